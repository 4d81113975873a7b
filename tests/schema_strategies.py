"""Hypothesis strategies for tool schemas: valid ones with every keyword the grammar converter
handles (nested objects, `$defs`/`$ref` local and recursive, `anyOf`, `enum`, `const`, patterns,
type lists, string, array and number bounds, Chinese descriptions), and broken ones (not a JSON
Schema, unsatisfiable, a `$ref` that does not resolve, a bad regex, not an object)."""
from __future__ import annotations

import json

from hypothesis import strategies as st

NAMES = st.sampled_from(["city", "count", "query", "城市", "数量", "a b", "x-y", "deep", "items", "$ref", "name"])
TEXT = st.text(alphabet=st.sampled_from("abcxyz 北京天气,.<>/|-"), max_size=12)
DESCRIPTIONS = st.sampled_from(["", "The city to look up.", "要查询的城市名称。", "数量（整数）", "a <b> tag & \"quote\""])
PATTERNS = st.sampled_from(["^[a-z]{1,8}$", "^\\d{3}-\\d{4}$", "ab+c", "^[A-Z][a-z]*", "[0-9]+$",
                            "^(?=x)x{1,3}$", "^\\w+\\s\\w+$", "^(yes|no|maybe)$", "^[^,]{1,6}$"])
SCALARS = st.one_of(st.integers(-1000, 1000), st.booleans(), st.none(), TEXT,
                    st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False))


def _described(schema: dict, description: str) -> dict:
    return {**schema, "description": description} if description else schema


def _bounded_pair(low_max: int, span: int):
    return st.tuples(st.integers(0, low_max), st.integers(0, span)).map(lambda p: (p[0], p[0] + p[1]))


@st.composite
def string_schemas(draw) -> dict:
    schema: dict = {"type": "string"}
    kind = draw(st.sampled_from(["free", "bounded", "pattern", "format"]))
    if kind == "bounded":
        schema["minLength"], schema["maxLength"] = draw(_bounded_pair(4, 20))
    elif kind == "pattern":
        schema["pattern"] = draw(PATTERNS)
    elif kind == "format":
        schema["format"] = draw(st.sampled_from(["date", "time", "date-time", "uuid", "email"]))
    return schema


@st.composite
def number_schemas(draw) -> dict:
    schema: dict = {"type": draw(st.sampled_from(["integer", "number"]))}
    if draw(st.booleans()):
        schema["minimum"], schema["maximum"] = draw(_bounded_pair(50, 100))
    return schema


LEAVES = st.one_of(
    string_schemas(), number_schemas(), st.just({"type": "boolean"}), st.just({"type": "null"}),
    st.lists(SCALARS, min_size=1, max_size=5, unique_by=json.dumps).map(lambda values: {"enum": values}),
    SCALARS.map(lambda value: {"const": value}),
    st.just({}),
    st.sampled_from([["string", "null"], ["integer", "string"], ["boolean", "null", "number"]]).map(
        lambda kinds: {"type": kinds}),
)


def _containers(children):
    objects = st.tuples(st.dictionaries(NAMES, children, min_size=0, max_size=3), st.data()).map(_object)
    arrays = st.tuples(children, _bounded_pair(2, 3), st.booleans()).map(
        lambda t: {"type": "array", "items": t[0], **({"minItems": t[1][0], "maxItems": t[1][1]} if t[2] else {})})
    any_of = st.lists(children, min_size=1, max_size=3).map(lambda options: {"anyOf": options})
    return st.one_of(objects, arrays, any_of)


def _object(pair) -> dict:
    properties, data = pair
    required = data.draw(st.lists(st.sampled_from(sorted(properties)), unique=True)) if properties else []
    schema = {"type": "object", "properties": properties, "required": required}
    if data.draw(st.booleans()):
        schema["additionalProperties"] = data.draw(st.booleans())
    return schema


PROPERTY_SCHEMAS = st.tuples(st.recursive(LEAVES, _containers, max_leaves=6), DESCRIPTIONS).map(
    lambda pair: _described(*pair))
RECURSIVE_NODE = {"$defs": {"node": {"type": "object", "properties": {
    "value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}}}}}


@st.composite
def valid_parameters(draw) -> dict:
    properties = draw(st.dictionaries(NAMES, PROPERTY_SCHEMAS, min_size=0, max_size=4))
    parameters = {"type": "object", "properties": properties,
                  "required": draw(st.lists(st.sampled_from(sorted(properties)), unique=True)) if properties else []}
    if draw(st.booleans()):  # a pydantic-style nested model: $defs at the root, local (and recursive) $refs
        parameters.update(RECURSIVE_NODE)
        parameters["properties"]["tree"] = {"$ref": "#/$defs/node"}
    return parameters


BROKEN_PARTS = st.sampled_from([
    {"enum": []}, {"type": "banana"}, {"$ref": "#/$defs/missing"}, {"type": "string", "pattern": "(["},
    {"type": "string", "minLength": 9, "maxLength": 2}, {"type": "array", "minItems": 10**6},
    {"type": "integer", "minimum": 5, "maximum": 1}, {"anyOf": []}, {"type": []}, {"properties": "no"},
    {"$ref": "https://example.com/schema.json"}, {"required": "city"}, {"type": "string", "maxLength": -1},
])


@st.composite
def broken_parameters(draw):
    how = draw(st.sampled_from(["part", "top", "forbidden"]))
    if how == "top":
        return draw(st.sampled_from([{"type": "string"}, {"type": "array"}, ["not", "an", "object"], "schema", 3]))
    if how == "forbidden":
        return {"type": "object", "properties": {}, "required": ["x"], "additionalProperties": False}
    return {"type": "object", "properties": {draw(NAMES): draw(BROKEN_PARTS)}, "required": []}
