"""Tool schemas written as `{param: {"type": "str", "description": ...}}` (Seal-Tools, API-Bank)
-> OpenAI tools with JSON-schema parameters."""
from __future__ import annotations

import random
from typing import Any

from model.types import ToolSchema

JSON_TYPES: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "string": {"type": "string"},
    "int": {"type": "integer"},
    "integer": {"type": "integer"},
    "float": {"type": "number"},
    "number": {"type": "number"},
    "bool": {"type": "boolean"},
    "boolean": {"type": "boolean"},
    "list": {"type": "array"},
    "list(str)": {"type": "array", "items": {"type": "string"}},
    "list(int)": {"type": "array", "items": {"type": "integer"}},
    "dict": {"type": "object"},
}


def openai_tool(name: str, description: str, parameters: dict[str, Any],
                required: list[str] | None = None) -> ToolSchema:
    properties = {}
    for key, spec in parameters.items():
        spec = spec if isinstance(spec, dict) else {}
        prop = dict(JSON_TYPES.get(str(spec.get("type", "")).lower().replace(" ", ""), {}))
        if spec.get("description"):
            prop["description"] = spec["description"]
        properties[key] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = [key for key in required if key in properties]
    return {"type": "function", "function": {"name": name, "description": description, "parameters": schema}}


def with_distractors(needed: list[ToolSchema], pool: list[ToolSchema], count: int,
                     rng: random.Random) -> list[ToolSchema]:
    """The tools a conversation needs plus `count` others from `pool`, in a shuffled order, so
    the model learns to pick the right tool rather than the only one."""
    names = {tool["function"]["name"] for tool in needed}
    others = [tool for tool in pool if tool["function"]["name"] not in names]
    tools = list(needed) + rng.sample(others, min(count, len(others)))
    rng.shuffle(tools)
    return tools


def unknown_arguments(arguments: dict[str, Any], tool: ToolSchema) -> list[str]:
    """Arguments a call passes that its tool's schema does not declare."""
    declared = (tool["function"].get("parameters") or {}).get("properties") or {}
    return [key for key in arguments if key not in declared]


def missing_arguments(arguments: dict[str, Any], tool: ToolSchema) -> list[str]:
    """Required arguments a call leaves out."""
    required = (tool["function"].get("parameters") or {}).get("required") or []
    return [key for key in required if key not in arguments]


def argument_problems(arguments: dict[str, Any], tool: ToolSchema) -> list[str]:
    """Both of the above, as messages."""
    name = tool["function"]["name"]
    return ([f"argument {key!r} is not in the schema of {name!r}" for key in unknown_arguments(arguments, tool)]
            + [f"required argument {key!r} of {name!r} is missing" for key in missing_arguments(arguments, tool)])
