"""The JSON schema of one forced tool call, and reading the call back from what was decoded.

A forced call (``tool_choice`` "required" or a named tool) is decoded under a schema of the shape
``{"name": <a forced name>, "arguments": <that tool's parameters>}``, name first. Engines with
constrained decoding take it as it is (LMDeploy) or turn it into a grammar (llama.cpp, see
model/engines/gbnf.py). Its parts:

- each tool's ``$defs`` and every local ``$ref`` are hoisted to the call schema's root under
  names of their own (``t0-ref0``), so that references still resolve once the parameters sit
  under ``arguments``, and two tools' definitions never clash;
- free strings (no enum, const or pattern) are bounded to `FORCED_STRING_MAX_LENGTH` characters:
  small models otherwise never close a string and run on to max_tokens.

`loose_call_schema` is the fallback for a valid schema that a grammar converter cannot express:
the same names, keys and required keys, each value any JSON. What was decoded is then read with
`read_forced_call` and checked against the tool's own schema with `argument_problems`.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from model.tool_schemas import map_subschemas, resolve_pointer
from model.types import ToolCall, ToolSchema

logger = logging.getLogger(__name__)

FORCED_STRING_MAX_LENGTH = 256
"""Longest string a forced (grammar-constrained) call may hold."""
MARKUP_FREE_PATTERN = "^(?:[^<]|<[^/|｜tse<])*<?$"
"""A string with no markup that starts with "<|", "</", "<t", "<s", "<e" or "<｜" (our ``<tool_call>``
tags, chat special tokens such as ``<|im_end|>``, ``</s>``, ``<start_of_turn>``), as a JSON Schema
pattern: what the llama.cpp grammar forbids character by character (model/engines/gbnf.py), for
engines that decode a schema's patterns (transformers through llguidance)."""
CALL_KEY_ORDER = ["name", "arguments"]
"""The order a forced call's keys are decoded in: the name first, so the arguments follow it."""

_EMPTY_PARAMETERS = {"type": "object", "properties": {}}


def forced_call_schema(tools: list[ToolSchema]) -> dict[str, Any]:
    """The JSON schema of one call to any of ``tools``."""
    return _one_of([_call_option(tool, f"t{index}", loose=False) for index, tool in enumerate(tools)])


def loose_call_schema(tools: list[ToolSchema]) -> dict[str, Any]:
    """A call to any of ``tools`` whose arguments keep only their keys: for schemas beyond a grammar
    converter; the arguments are checked after decoding instead."""
    return _one_of([_call_option(tool, f"t{index}", loose=True) for index, tool in enumerate(tools)])


def _one_of(options: list[tuple[dict, dict]]) -> dict[str, Any]:
    definitions = {name: schema for _, defs in options for name, schema in defs.items()}
    calls = [call for call, _ in options]
    root = calls[0] if len(calls) == 1 else {"anyOf": calls}
    return {**root, "$defs": definitions} if definitions else root


def _call_option(tool: ToolSchema, prefix: str, loose: bool) -> tuple[dict, dict]:
    function = tool["function"]
    parameters = function.get("parameters") or _EMPTY_PARAMETERS
    arguments, definitions = ({**_keys_only(parameters)}, {}) if loose else hoist_refs(parameters, prefix)
    call = {
        "type": "object",
        "properties": {"name": {"const": function["name"]}, "arguments": bound_strings(arguments)},
        "required": list(CALL_KEY_ORDER),
        "additionalProperties": False,
    }
    return call, {name: bound_strings(schema) for name, schema in definitions.items()}


def _keys_only(parameters: dict) -> dict:
    properties = parameters.get("properties") if isinstance(parameters.get("properties"), dict) else {}
    required = [name for name in parameters.get("required") or [] if isinstance(name, str)]
    keys = list(properties) + [name for name in required if name not in properties]
    loose: dict[str, Any] = {"type": "object", "properties": {name: {} for name in keys}}
    if required:
        loose["required"] = required
    if parameters.get("additionalProperties") is False:
        loose["additionalProperties"] = False
    return loose


def hoist_refs(parameters: dict, prefix: str) -> tuple[dict, dict]:
    """(``parameters`` with every ``$ref`` pointing at ``#/$defs/<prefix>-refN``, those definitions).

    Each distinct reference target of ``parameters`` becomes one definition, itself rewritten the
    same way, so recursive schemas stay recursive. ``$defs`` and ``definitions`` are dropped:
    everything they held that is used is now a hoisted definition.
    """
    names: dict[str, str] = {}
    hoisted: dict[str, Any] = {}

    def rename(ref: str) -> str:
        if ref not in names:
            names[ref] = f"{prefix}-ref{len(names)}"
            hoisted[names[ref]] = rewrite(resolve_pointer(parameters, ref))
        return names[ref]

    def rewrite(schema: Any) -> Any:
        if not isinstance(schema, dict):
            return schema
        out = map_subschemas({key: value for key, value in schema.items() if key not in ("$defs", "definitions")},
                             rewrite)
        if isinstance(schema.get("$ref"), str):
            out["$ref"] = f"#/$defs/{rename(schema['$ref'])}"
        return out

    return rewrite(parameters), hoisted


def bound_strings(schema: Any) -> Any:
    """A copy of ``schema`` in which every free string has ``maxLength`` at most
    `FORCED_STRING_MAX_LENGTH` (or its own ``minLength``, where that is larger)."""
    if not isinstance(schema, dict):
        return schema
    bounded = map_subschemas(schema, bound_strings)
    if bounded.get("type") == "string" and not {"enum", "const", "pattern"} & bounded.keys():
        low = bounded.get("minLength") if isinstance(bounded.get("minLength"), int) else 0
        limit = max(FORCED_STRING_MAX_LENGTH, low)
        own = bounded.get("maxLength")
        bounded["maxLength"] = min(own, limit) if isinstance(own, int) else limit
    return bounded


def read_forced_call(text: str) -> ToolCall | None:
    """The call in a forced call's decoded text: the JSON object it opens with, read as it is
    (never re-scanned for tags: an argument may contain any text). Text after the object (a
    closing tag, from an engine without a grammar) is not part of the call."""
    try:
        data, _ = json.JSONDecoder().raw_decode(text.strip())
    except (json.JSONDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not isinstance(data.get("arguments"), dict):
        return None
    return ToolCall(name=data["name"], arguments=data["arguments"])


def argument_problems(tool: ToolSchema, arguments: dict) -> str | None:
    """What is wrong with ``arguments`` for ``tool`` by its own schema, or None."""
    parameters = tool["function"].get("parameters") or _EMPTY_PARAMETERS
    try:
        error = best_match(Draft202012Validator(parameters).iter_errors(arguments))
    except Exception as failure:  # a schema jsonschema cannot run (checked schemas should not get here)
        logger.warning("cannot check the arguments of %s: %s", tool["function"]["name"], failure)
        return None
    if error is None:
        return None
    place = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in error.absolute_path)
    return f"arguments{place}: {error.message}"
