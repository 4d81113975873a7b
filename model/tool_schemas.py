"""Tool schemas that arrive with a request, checked before any work is done.

A schema the server cannot use is a `ToolSchemaError` (an `InvalidRequestError`: HTTP 400) that
names the tool, the place in its schema and the problem. Nothing unusable goes on to a grammar
converter or to llama.cpp, where it could fail with a 500 or take the process down.

`check_tools` asks of each tool's ``parameters``:
- is it a JSON Schema? jsonschema's meta-schema check (Draft 2020-12 unless the schema names its
  own draft), with every ``pattern`` compiled as a regular expression;
- does it describe an object? (``type`` absent or "object", as OpenAI's API requires);
- does every ``$ref`` point inside it? (a local JSON pointer such as ``#/$defs/node``: remote
  references are never fetched);
- can anything satisfy it, where a grammar depends on the answer? an empty ``enum``, a minimum
  size above the maximum, a required property that ``false`` or ``additionalProperties: false``
  forbids;
- is it small enough to generate? minimum sizes above `MAX_GENERATED_STRING` characters or
  `MAX_GENERATED_ITEMS` items, and nesting deeper than `MAX_SCHEMA_DEPTH`, are refused.

`subschemas` walks the schema positions of a schema (never into ``enum``, ``const`` or
``default`` data), `map_subschemas` rewrites them, `resolve_pointer` follows a local ``$ref``: the
call schema (model/call_schema.py) and the grammar (model/engines/gbnf.py) build on them.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft202012Validator, SchemaError, validators

from model.errors import InvalidRequestError
from model.types import ToolSchema

MAX_GENERATED_STRING = 4096
"""Largest ``minLength`` a tool may ask for: a forced call must be able to write it."""
MAX_GENERATED_ITEMS = 256
"""Largest ``minItems`` / ``minProperties`` a tool may ask for."""
MAX_SCHEMA_DEPTH = 64
"""Deepest a tool's schema may nest (subschema inside subschema)."""

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("additionalProperties", "items", "contains", "not", "if", "then", "else",
                  "propertyNames", "unevaluatedItems", "unevaluatedProperties", "additionalItems")
_SIZE_PAIRS = (("minLength", "maxLength"), ("minItems", "maxItems"), ("minProperties", "maxProperties"),
               ("minimum", "maximum"))


class ToolSchemaError(InvalidRequestError):
    """A tool's ``parameters`` the server cannot use; the message names the tool and the place."""

    def __init__(self, tool: str, where: str, problem: str):
        self.tool, self.where, self.problem = tool, where, problem
        super().__init__(f"tool {tool!r}: {where}: {problem}")


def check_tools(tools: list[ToolSchema]) -> None:
    """Raise `ToolSchemaError` for the first tool whose schema cannot be used; see the module."""
    for tool in tools:
        function = tool.get("function") or {}
        check_parameters(str(function.get("name", "?")), function.get("parameters"))


def check_parameters(name: str, parameters: Any) -> None:
    if parameters is None:
        return
    try:
        problem = _cached_problem(json.dumps(parameters, sort_keys=True, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):
        problem = ("parameters", f"cannot be read as JSON or nests deeper than {MAX_SCHEMA_DEPTH} levels")
    if problem:
        raise ToolSchemaError(name, *problem)


@lru_cache(maxsize=256)
def _cached_problem(parameters_json: str) -> tuple[str, str] | None:
    """(where, problem) of the first problem of a schema, or None; cached, since the same tools
    arrive with every turn of a conversation."""
    return first_problem(json.loads(parameters_json))


def first_problem(parameters: Any) -> tuple[str, str] | None:
    if not isinstance(parameters, dict):
        return "parameters", f"must be a JSON Schema object, got {_kind(parameters)}"
    deep = _too_deep(parameters)
    if deep:
        return deep
    try:
        meta_check(parameters)
    except SchemaError as error:
        where = _place(error.absolute_path)
        return where, _short(error.message)
    if parameters.get("type", "object") != "object":
        return "parameters.type", f"must be \"object\" (a function takes named arguments), got {_short(json.dumps(parameters['type']))}"
    for where, schema in subschemas(parameters, "parameters"):
        problem = _ref_problem(schema, parameters) or _unsatisfiable(schema) or _too_large(schema)
        if problem:
            return where, problem
    return None


def meta_check(schema: dict) -> None:
    """jsonschema's check of a schema against its draft's meta-schema, regexes compiled."""
    validator = validators.validator_for(schema, default=Draft202012Validator)
    validator.check_schema(schema, format_checker=validator.FORMAT_CHECKER)


def subschemas(schema: Any, where: str = "") -> Iterator[tuple[str, dict]]:
    """Every subschema (dict) of ``schema``, itself first, with its path; data such as ``enum``,
    ``const``, ``default`` and ``examples`` is never entered."""
    if not isinstance(schema, dict):
        return
    yield where, schema
    for key, child in schema_children(schema):
        yield from subschemas(child, f"{where}.{key}" if where else key)


def schema_children(schema: dict) -> Iterator[tuple[str, Any]]:
    """(path step, child) for each direct subschema position of ``schema``."""
    for keyword in _SCHEMA_MAPS:
        children = schema.get(keyword)
        if isinstance(children, dict):
            for name, child in children.items():
                yield f"{keyword}.{name}", child
    for keyword in _SCHEMA_LISTS:
        children = schema.get(keyword)
        if isinstance(children, list):
            for index, child in enumerate(children):
                yield f"{keyword}[{index}]", child
    for keyword in _SCHEMA_VALUES:
        child = schema.get(keyword)
        if isinstance(child, dict):
            yield keyword, child
        elif keyword == "items" and isinstance(child, list):  # drafts before 2020-12
            for index, item in enumerate(child):
                yield f"items[{index}]", item


def map_subschemas(schema: dict, change) -> dict:
    """A shallow copy of ``schema`` with ``change`` applied to each direct subschema (an object
    or a boolean schema); data and property names are kept as they are."""
    out = dict(schema)
    for keyword in _SCHEMA_MAPS:
        if isinstance(schema.get(keyword), dict):
            out[keyword] = {name: change(child) for name, child in schema[keyword].items()}
    for keyword in _SCHEMA_LISTS:
        if isinstance(schema.get(keyword), list):
            out[keyword] = [change(child) for child in schema[keyword]]
    for keyword in _SCHEMA_VALUES:
        child = schema.get(keyword)
        if isinstance(child, (dict, bool)):
            out[keyword] = change(child)
        elif keyword == "items" and isinstance(child, list):
            out[keyword] = [change(item) for item in child]
    return out


def resolve_pointer(document: Any, ref: str) -> Any:
    """The value a local ``$ref`` ("#", "#/$defs/node", "#/properties/a~1b") points at in
    ``document``; raises LookupError when it does not resolve."""
    if not ref.startswith("#") or (len(ref) > 1 and not ref.startswith("#/")):
        raise LookupError("only local JSON-pointer references ('#/...') are supported")
    node = document
    for raw in ref[2:].split("/") if len(ref) > 1 else []:
        step = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            raise LookupError(f"{step!r} is not found")
    return node


def _ref_problem(schema: dict, root: dict) -> str | None:
    ref = schema.get("$ref")
    if ref is None:
        return None
    try:
        target = resolve_pointer(root, ref)
    except LookupError as error:
        return f"$ref {_short(ref)} does not resolve: {error}"
    if not isinstance(target, (dict, bool)):
        return f"$ref {_short(ref)} points at {_kind(target)}, not at a schema"
    return None


def _unsatisfiable(schema: dict) -> str | None:
    if schema.get("enum") == []:
        return "enum is empty: no value can satisfy it"
    for low, high in _SIZE_PAIRS:
        low_value, high_value = schema.get(low), schema.get(high)
        if _number(low_value) and _number(high_value) and low_value > high_value:
            return f"{low} {low_value} is greater than {high} {high_value}: no value can satisfy it"
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    for name in schema.get("required") or []:
        if properties.get(name) is False or (name not in properties and schema.get("additionalProperties") is False):
            return f"property {_short(json.dumps(name, ensure_ascii=False))} is required but the schema forbids it"
    return None


def _too_large(schema: dict) -> str | None:
    for keyword, limit, unit in (("minLength", MAX_GENERATED_STRING, "characters"),
                                 ("minItems", MAX_GENERATED_ITEMS, "items"),
                                 ("minProperties", MAX_GENERATED_ITEMS, "properties")):
        value = schema.get(keyword)
        if _number(value) and value > limit:
            return f"{keyword} {value} asks for more than a generated call may hold (at most {limit} {unit})"
    return None


def _too_deep(schema: Any, depth: int = 0) -> tuple[str, str] | None:
    if depth > MAX_SCHEMA_DEPTH:
        return "parameters", f"nests deeper than {MAX_SCHEMA_DEPTH} levels"
    if isinstance(schema, dict):
        values = schema.values()
    elif isinstance(schema, list):
        values = schema
    else:
        return None
    for value in values:
        found = _too_deep(value, depth + 1)
        if found:
            return found
    return None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _place(path) -> str:
    steps = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)
    return "parameters" + steps


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def _short(text: str, limit: int = 120) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."
