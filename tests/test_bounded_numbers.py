"""The grammar rule of a bounded number (model/engines/gbnf.py `bounded_number_rule`), read as a
regular expression: everything it allows is within the bounds, and it allows the numbers people
write (integers, and decimals whose whole integer span is in bounds)."""
from __future__ import annotations

import json
import random
import re

import pytest

from model.engines.gbnf import MAX_NUMBER_PARTS, bounded_number_rule


def as_regex(body: str) -> re.Pattern:
    """GBNF literals, classes and {m,n} repetitions, as Python's re reads them."""
    literal = re.compile(r'"((?:[^"\\]|\\.)*)"')
    pattern = literal.sub(lambda match: re.escape(json.loads(f'"{match.group(1)}"')), body)
    return re.compile("(?:" + pattern.replace(" ", "") + ")")


def in_bounds(value: float, bounds: dict) -> bool:
    return (value >= bounds.get("minimum", -1e300) and value > bounds.get("exclusiveMinimum", -1e300)
            and value <= bounds.get("maximum", 1e300) and value < bounds.get("exclusiveMaximum", 1e300))


BOUNDS = [{"minimum": -90, "maximum": 90}, {"minimum": -180, "maximum": 180}, {"exclusiveMinimum": 0, "maximum": 2.5},
          {"minimum": 0}, {"exclusiveMinimum": 0}, {"exclusiveMinimum": -3, "exclusiveMaximum": 3},
          {"exclusiveMinimum": 0, "exclusiveMaximum": 1}, {"minimum": -5.5, "maximum": -2}, {"minimum": 3, "maximum": 7}]


@pytest.mark.parametrize("bounds", BOUNDS)
@pytest.mark.parametrize("integer", [False, True])
def test_everything_the_rule_allows_is_in_bounds(bounds, integer):
    body = bounded_number_rule(bounds, integer)
    if body is None:  # only where no integer is in bounds
        assert integer and not any(in_bounds(n, bounds) for n in range(-300, 301))
        return
    rule = as_regex(body)
    rng = random.Random(0)
    accepted = 0
    for _ in range(5000):
        value = rng.choice([rng.randint(-300, 300), round(rng.uniform(-200, 200), rng.randint(1, 4)),
                            round(rng.uniform(-4, 4), rng.randint(1, 3))])
        text = json.dumps(value)
        if rule.fullmatch(text):
            accepted += 1
            assert in_bounds(value, bounds), (bounds, text)
            assert not integer or isinstance(value, int), text
    assert accepted > 0


@pytest.mark.parametrize("bounds, texts", [
    ({"minimum": -90, "maximum": 90}, ["-33.87", "0", "90", "-90", "12.5", "-0.25"]),
    ({"minimum": -180, "maximum": 180}, ["151.21", "-179.999999"]),
    ({"exclusiveMinimum": 0, "maximum": 100}, ["0.5", "99.99", "100", "0.001"]),
    ({"minimum": 0}, ["0", "123456.75", "3"]),
])
def test_the_numbers_people_write_are_allowed(bounds, texts):
    rule = as_regex(bounded_number_rule(bounds))
    assert [text for text in texts if not rule.fullmatch(text)] == []


def test_edges_an_exclusive_bound_excludes_are_refused_also_written_with_zeros():
    rule = as_regex(bounded_number_rule({"exclusiveMinimum": 0, "exclusiveMaximum": 10}))
    assert not any(rule.fullmatch(text) for text in ["0", "0.0", "10", "10.0", "-0.5", "1e3"])


def test_no_rule_where_it_would_not_help():
    assert bounded_number_rule({"exclusiveMinimum": -500}) is None  # one side, not 0
    assert bounded_number_rule({"maximum": 5}) is None
    assert bounded_number_rule({"minimum": 0, "maximum": MAX_NUMBER_PARTS * 2}) is None
    assert bounded_number_rule({"minimum": 0.5, "maximum": 0.9}) is None  # no whole span inside
