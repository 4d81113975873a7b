"""BFCL benchmark: loader, request building, name mapping, and agreement with the real gold data."""
import copy
import json
import re
from pathlib import Path

import pytest

from eval import get_benchmark
from eval.base import Prediction
from eval.bfcl import BFCL_BENCHMARKS, legal_names, map_calls_back, to_json_schema, to_openai_tools
from eval.bfcl_checker import calls_from_gold
from model.scripted import ScriptedEngine

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
JSON_SCHEMA_TYPES = {"object", "array", "string", "integer", "number", "boolean"}


def call(name, **arguments):
    return f'<tool_call>{json.dumps({"name": name, "arguments": arguments})}</tool_call>'


def walk_schemas(schema):
    yield schema
    for sub in (schema.get("properties") or {}).values():
        yield from walk_schemas(sub)
    if isinstance(schema.get("items"), dict):
        yield from walk_schemas(schema["items"])


def test_loader_reads_every_category_and_reports_bad_lines():
    simple = get_benchmark("bfcl_simple", data_dir=FIXTURES)
    items = simple.load()
    assert [i.id for i in items] == ["simple_python_0", "simple_python_1", "simple_python_2", "simple_python_3"]
    reasons = " / ".join(issue.reason for issue in simple.load_issues)
    assert "invalid JSON" in reasons  # the cut line
    assert "no ground truth" in reasons  # simple_python_4
    assert "not a list of named schemas" in reasons  # simple_python_5
    assert "not a JSON object" in reasons  # the array line
    assert "gold line without id" in reasons
    counts = {cls.name: len(get_benchmark(cls.name, data_dir=FIXTURES).load()) for cls in BFCL_BENCHMARKS}
    assert counts == {"bfcl_simple": 4, "bfcl_multiple": 2, "bfcl_parallel": 2,
                      "bfcl_parallel_multiple": 1, "bfcl_irrelevance": 2}


def test_request_has_legal_names_and_json_schema_types():
    bench = get_benchmark("bfcl_simple", data_dir=FIXTURES)
    item = bench.load()[3]
    request = bench.build_request(item)
    assert request.sampling.temperature == 0 and request.sampling.max_tokens == 256
    assert request.messages == item.data["messages"] and request.messages is not item.data["messages"]
    tool = request.tools[0]["function"]
    assert tool["name"] == "db_filter_records"
    assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", tool["name"])
    params = tool["parameters"]
    assert params["type"] == "object"
    for schema in walk_schemas(params):
        assert schema["type"] in JSON_SCHEMA_TYPES
        assert "optional" not in schema
    assert params["properties"]["conditions"]["items"]["type"] == "object"
    assert params["properties"]["data"]["type"] == "string"  # BFCL maps "any" to string


def test_float_and_tuple_conversion():
    schema = to_json_schema({"type": "tuple", "items": {"type": "float", "description": "x"}, "optional": True})
    assert schema == {"type": "array", "items": {"type": "number", "description": "x This is a float type value.",
                                                 "format": "float"}}
    assert to_json_schema({"type": "mystery"})["type"] == "string"
    assert to_json_schema("not a dict") == {"type": "string"}


def test_legal_names_are_unique_and_map_back():
    functions = [{"name": "a.b"}, {"name": "a_b"}, {"name": "x" * 70}]
    names = legal_names(functions)
    assert names["a.b"] == "a_b" and names["a_b"] != "a_b" and len(set(names.values())) == 3
    assert all(len(n) <= 64 for n in names.values())
    calls = [{"name": "a_b", "arguments": {}}, {"name": "a.b", "arguments": {}}, {"name": names["a_b"]}]
    assert [c["name"] for c in map_calls_back(calls, functions)] == ["a.b", "a.b", "a_b"]
    assert [t["function"]["name"] for t in to_openai_tools(functions)] == list(names.values())


def test_scripted_model_end_to_end_on_fixtures():
    bench = get_benchmark("bfcl_simple", data_dir=FIXTURES)
    items = bench.load()
    engine = ScriptedEngine([
        call("geometry_circle_area", radius=3, units="centimeters"),  # int for float, normalised string
        call("convert_currency", amount=100, source="usd", target="EUR", round_result=False),  # wrong value
        call("book_table", restaurant="LUIGI'S", party_size=4),  # gold leaves out required "time"
        "I cannot do that.",  # no call
    ])
    records = [bench.check(item, bench.predict(engine, item)) for item in items]
    assert [r.correct for r in records] == [True, False, True, False]
    assert records[0].calls[0]["name"] == "geometry.circle_area"
    assert records[1].error_type == "value_error:others"
    assert "leaves out required parameter 'time'" in records[2].details["notes"][0]
    assert records[3].error_type == "no_call" and records[3].raw_output == "I cannot do that."
    assert len(engine.history) == 4 and engine.history[0].tools[0]["function"]["name"] == "geometry_circle_area"


def test_parallel_and_irrelevance_on_fixtures():
    parallel = get_benchmark("bfcl_parallel", data_dir=FIXTURES)
    item = parallel.load()[1]
    both = Prediction(calls=[
        {"name": "geo_distance", "arguments": {"coord1": [41.8902, 12.4922], "coord2": [37.9715, 23.7257]}},
        {"name": "geo_distance", "arguments": {"coord1": [48.8584, 2.2945], "coord2": [41.8902, 12.4922]}},
    ])
    assert parallel.check(item, both).correct
    assert not parallel.check(item, Prediction(calls=both.calls[:1])).correct
    irrelevance = get_benchmark("bfcl_irrelevance", data_dir=FIXTURES)
    item = irrelevance.load()[0]
    assert irrelevance.check(item, Prediction(text="Cao Xueqin.")).correct
    made = irrelevance.check(item, Prediction(calls=[{"name": "geometry_circle_area", "arguments": {"radius": 1}}]))
    assert not made.correct and made.error_type == "irrelevance:made_call"


# ---- agreement on the real data (skipped in a fresh clone without ../shared/data) -------------
needs_real = pytest.mark.skipif(not (REAL_DATA / "bfcl").exists(), reason="../shared/data/bfcl not present")


def legalised(calls, functions):
    names = legal_names(functions)
    return [{**c, "name": names.get(c["name"], c["name"])} for c in calls]


def perturbations(item, calls, category):
    """(kind, perturbed calls) pairs, each of which must fail."""
    functions = {f["name"]: f for f in item.data["functions"]}
    first = calls[0]
    yield "wrong_name", [{**first, "name": first["name"] + "_x"}, *calls[1:]]
    required = functions[first["name"]]["parameters"].get("required", [])
    present = [p for p in required if p in first["arguments"]]
    if present:
        arguments = {k: v for k, v in first["arguments"].items() if k != present[0]}
        yield "dropped_required", [{**first, "arguments": arguments}, *calls[1:]]
    if first["arguments"]:
        key, value = next(iter(first["arguments"].items()))
        yield "wrong_value", [{**first, "arguments": {**first["arguments"], key: wrong_value(value)}}, *calls[1:]]
        yield "wrong_type", [{**first, "arguments": {**first["arguments"], key: wrong_type(value)}}, *calls[1:]]
    if "parallel" in category:
        yield "extra_call", [*calls, copy.deepcopy(first)]


def wrong_value(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1000
    if isinstance(value, str):
        return value + " zzz"
    if isinstance(value, list):
        return value + value[:1] if value else ["zzz"]
    if isinstance(value, dict):
        return {**value, "zzz": 1}
    return "zzz"


def wrong_type(value):
    if isinstance(value, str):
        return 12345
    return str(value)


@needs_real
@pytest.mark.parametrize("cls", BFCL_BENCHMARKS, ids=lambda cls: cls.name)
def test_gold_answers_score_100_and_perturbations_fail(cls):
    bench = cls(data_dir=REAL_DATA)
    items = bench.load()
    assert items and not bench.load_issues
    if bench.category == "irrelevance":
        assert all(bench.check(i, Prediction(text="No function fits.")).correct for i in items)
        return
    failed_gold, survived = [], []
    for item in items:
        for include_optional in (False, True):
            calls = calls_from_gold(item.data["gold"], item.data["functions"], include_optional)
            calls = legalised(calls, item.data["functions"])[::-1]  # order must not matter
            if not bench.check(item, Prediction(calls=calls)).correct:
                failed_gold.append(item.id)
        calls = calls_from_gold(item.data["gold"], item.data["functions"])
        for kind, perturbed in perturbations(item, calls, bench.category):
            record = bench.check(item, Prediction(calls=legalised(perturbed, item.data["functions"])))
            if record.correct:
                survived.append((item.id, kind))
    assert failed_gold == []
    assert survived == []
