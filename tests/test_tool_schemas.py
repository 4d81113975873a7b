"""Tool schemas from requests: what is refused (and how it is said), what is accepted, and the
call schema built from them ($defs hoisted, strings bounded, the loose fallback, reading back)."""
from __future__ import annotations

import pytest

from model.call_schema import (argument_problems, forced_call_schema, hoist_refs, loose_call_schema,
                               read_forced_call)
from model.text_check import check_text, text_problem
from model.tool_schemas import ToolSchemaError, check_tools, resolve_pointer
from model.errors import InvalidRequestError

NODE_DEFS = {"n": {"type": "object", "properties": {"c": {"$ref": "#/$defs/n"}}}}
RECURSIVE = {"type": "object", "$defs": NODE_DEFS, "properties": {"a": {"$ref": "#/$defs/n"}}, "required": ["a"]}


def tool(parameters, name="f") -> dict:
    return {"type": "function", "function": {"name": name, "parameters": parameters}}


@pytest.mark.parametrize("parameters, where, fragment", [
    ({"type": "object", "properties": {"a": {"enum": []}}, "required": ["a"]},
     "parameters.properties.a", "enum is empty"),
    ({"type": "banana"}, "parameters.type", "'banana' is not valid"),
    ({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}},
     "parameters.properties.a", "$ref #/$defs/missing does not resolve"),
    ({"type": "object", "properties": {"a": {"$ref": "https://example.com/s.json"}}},
     "parameters.properties.a", "only local JSON-pointer references"),
    ({"type": "object", "properties": {"a": {"type": "string", "pattern": "(["}}},
     "parameters.properties.a.pattern", "is not a 'regex'"),
    ({"type": "string"}, "parameters.type", 'must be "object"'),
    ({"type": "object", "properties": {"a": {"type": "string", "minLength": 5, "maxLength": 2}}},
     "parameters.properties.a", "minLength 5 is greater than maxLength 2"),
    ({"type": "object", "properties": {"a": {"type": "integer", "minimum": 3, "maximum": 1}}},
     "parameters.properties.a", "minimum 3 is greater than maximum 1"),
    ({"type": "object", "properties": {}, "required": ["x"], "additionalProperties": False},
     "parameters", "property \"x\" is required but the schema forbids it"),
    ({"type": "object", "properties": {"a": {"type": "string", "minLength": 10**9}}},
     "parameters.properties.a", "more than a generated call may hold"),
    ({"type": "object", "properties": {"a": {"type": "array", "minItems": 100000}}},
     "parameters.properties.a", "minItems 100000"),
    ({"type": "object", "anyOf": []}, "parameters.anyOf", "should be non-empty"),
    ("not a schema", "parameters", "must be a JSON Schema object"),
])
def test_unusable_schemas_are_refused_naming_the_tool_the_place_and_the_problem(parameters, where, fragment):
    with pytest.raises(ToolSchemaError) as caught:
        check_tools([tool(parameters, name="get_weather")])
    message = str(caught.value)
    assert message.startswith(f"tool 'get_weather': {where}: "), message
    assert fragment in message
    assert isinstance(caught.value, InvalidRequestError)  # the API's 400


def test_deep_nesting_is_refused_not_a_recursion_error():
    schema: dict = {"type": "object"}
    for _ in range(200):
        schema = {"type": "object", "properties": {"a": schema}}
    with pytest.raises(ToolSchemaError, match="nests deeper than"):
        check_tools([tool(schema)])


@pytest.mark.parametrize("parameters", [
    RECURSIVE,
    {"type": "object", "definitions": {"x": {"type": "integer"}}, "properties": {"a": {"$ref": "#/definitions/x"}}},
    {"type": "object", "properties": {"a": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                                      "b": {"enum": ["x", 1, None]}, "c": {"const": {"k": [1]}},
                                      "d": {"type": "string", "pattern": "^[a-z]+$", "minLength": 1, "maxLength": 8},
                                      "e": {"type": "array", "items": {"type": "number"}, "minItems": 1, "maxItems": 3},
                                      "f": {"type": ["string", "null"]}, "g": {"$ref": "#"}}},
    {"type": "object", "properties": {"a~b/c": {"type": "string"}, "r": {"$ref": "#/properties/a~0b~1c"}}},
    {"properties": {}},  # no type: an object, as OpenAI reads it
    {},
])
def test_valid_schemas_pass(parameters):
    check_tools([tool(parameters)])


def test_resolve_pointer_unescapes_and_refuses_what_is_not_there():
    document = {"properties": {"a/b": {"type": "string"}, "list": [{"x": 1}]}}
    assert resolve_pointer(document, "#/properties/a~1b") == {"type": "string"}
    assert resolve_pointer(document, "#/properties/list/0/x") == 1
    assert resolve_pointer(document, "#") is document
    with pytest.raises(LookupError):
        resolve_pointer(document, "#/properties/nope")
    with pytest.raises(LookupError):
        resolve_pointer(document, "#anchor")


def test_defs_are_hoisted_so_references_resolve_under_arguments():
    schema = forced_call_schema([tool(RECURSIVE, "tree"), tool(RECURSIVE, "forest")])
    trees = [option["properties"]["arguments"]["properties"]["a"]["$ref"] for option in schema["anyOf"]]
    assert trees == ["#/$defs/t0-ref0", "#/$defs/t1-ref0"]  # one name per tool: no clash
    node = schema["$defs"]["t0-ref0"]
    assert node["properties"]["c"] == {"$ref": "#/$defs/t0-ref0"}  # still recursive
    assert "$defs" not in schema["anyOf"][0]["properties"]["arguments"]
    assert RECURSIVE["$defs"]["n"]["properties"]["c"] == {"$ref": "#/$defs/n"}  # not mutated


def test_hoisting_never_touches_data_or_property_names_that_look_like_keywords():
    parameters = {"type": "object", "properties": {"$ref": {"type": "string", "default": {"$ref": "#/x"}},
                                                   "$defs": {"const": {"$defs": 1}}}}
    hoisted, definitions = hoist_refs(parameters, "t0")
    assert hoisted == parameters and definitions == {}


def test_free_strings_are_bounded_but_not_below_their_own_minimum():
    parameters = {"type": "object", "properties": {
        "free": {"type": "string"}, "long": {"type": "string", "minLength": 300},
        "short": {"type": "string", "maxLength": 5}, "picked": {"type": "string", "enum": ["a"]}}}
    arguments = forced_call_schema([tool(parameters)])["properties"]["arguments"]["properties"]
    assert arguments["free"]["maxLength"] == 256
    assert arguments["long"]["maxLength"] == 300
    assert arguments["short"]["maxLength"] == 5
    assert "maxLength" not in arguments["picked"]


def test_the_loose_schema_keeps_names_keys_and_required_keys_only():
    parameters = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^(?=x).+$"}},
                  "required": ["a", "b"], "additionalProperties": False}
    loose = loose_call_schema([tool(parameters, "g")])
    assert loose["properties"]["name"] == {"const": "g"}
    assert loose["properties"]["arguments"] == {"type": "object", "properties": {"a": {}, "b": {}},
                                                "required": ["a", "b"], "additionalProperties": False}


def test_a_forced_call_is_read_from_its_json_never_from_tags_inside_its_strings():
    text = '{"name": "calc", "arguments": {"expression": "}}\\n</tool_call>\\n<tool_call>\\n{"}}'
    call = read_forced_call(text)
    assert call is not None and call.name == "calc"
    assert call.arguments == {"expression": "}}\n</tool_call>\n<tool_call>\n{"}
    assert read_forced_call('{"name": "calc", "arguments": {"expression": "1"}}\n</tool_call>').arguments == {
        "expression": "1"}
    assert read_forced_call('{"name": "calc", "arguments": {"expr') is None  # cut at max_tokens
    assert read_forced_call('{"name": "calc", "arguments": "1+1"}') is None


def test_arguments_are_checked_against_the_tools_own_schema_refs_included():
    weather = tool(RECURSIVE)
    assert argument_problems(weather, {"a": {"c": {}}}) is None
    assert "arguments.a.c" in argument_problems(weather, {"a": {"c": 3}})
    assert "'a' is a required property" in argument_problems(weather, {})


def test_text_no_model_can_read_is_found_with_its_place():
    assert text_problem("fine 北京") is None
    assert text_problem("a\ud800b") == "contains an unpaired surrogate (U+D800) that UTF-8 cannot encode at character 1"
    assert text_problem("nul\x00") == "contains a NUL character (U+0000) at character 3"
    with pytest.raises(InvalidRequestError, match=r"^messages\[1\]\.content: contains an unpaired surrogate"):
        check_text([{"role": "user", "content": "ok"}, {"role": "user", "content": "\udfff"}], "messages")
    with pytest.raises(InvalidRequestError, match="a key contains a NUL"):
        check_text({"a\x00": 1})
