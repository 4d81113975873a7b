"""langchain-core interop, both ways.

* `to_langchain(tool)`: any Lingxi tool as a langchain ``StructuredTool`` whose ``args_schema`` is
  a pydantic model built from our JSON schema; calling it goes through the same validation,
  timeout and truncation as `ToolRegistry.call`, and failures come back as ``"Error: ..."`` text.
* `from_langchain(lc_tool)`: any langchain ``BaseTool`` as a Lingxi `Tool`, its schema taken from
  ``tool_call_schema`` (pydantic model or JSON schema dict) and checked by `check_schema` (a
  broken schema is a `ToolDefinitionError` here, not a failure at every call).
  `ToolRegistry.register` accepts langchain tools directly and calls this.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Optional

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field, create_model

from tools.base import Tool
from tools.registry import execute
from tools.schema import strip_titles

_JSON_TO_PY: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool, "null": type(None)}


def to_langchain(item: Tool, *, max_observation_chars: int | None = 4000) -> StructuredTool:
    """Wrap a Lingxi tool as a langchain StructuredTool (sync; output is the observation text)."""

    def run(**kwargs: Any) -> str:
        return execute(item, kwargs, max_observation_chars).content

    return StructuredTool.from_function(
        func=run,
        name=item.name,
        description=item.description,
        args_schema=pydantic_model(item.name, item.parameters or {}),
        infer_schema=False,
        handle_validation_error=lambda exc: f"Error: invalid arguments for tool {item.name!r}: {_first_lines(exc)}",
    )


def pydantic_model(name: str, schema: dict) -> type[BaseModel]:
    """A pydantic model mirroring a JSON object schema (types, enums, defaults, descriptions)."""
    required = set(schema.get("required", []))
    fields: dict[str, Any] = {}
    for key, prop in schema.get("properties", {}).items():
        annotation = _annotation(prop)
        default = prop.get("default", ... if key in required else None)
        fields[key] = (annotation, Field(default, description=prop.get("description")))
    model_name = "".join(part.capitalize() for part in re.split(r"[^0-9A-Za-z]+", name) if part) + "Args"
    extra = "forbid" if schema.get("additionalProperties") is False else "allow"
    return create_model(model_name or "ToolArgs", __config__=ConfigDict(strict=True, extra=extra), **fields)


def _annotation(prop: dict) -> Any:
    if "enum" in prop:
        values = tuple(prop["enum"])
        return Literal[values]  # type: ignore[valid-type]
    if "anyOf" in prop or "oneOf" in prop:
        options = [_annotation(o) for o in prop.get("anyOf", prop.get("oneOf", []))]
        return _union(options)
    kind = prop.get("type")
    if isinstance(kind, list):
        return _union([_annotation({**prop, "type": k}) for k in kind])
    if kind == "array":
        items = prop.get("items")
        return list[_annotation(items)] if isinstance(items, dict) and items else list  # type: ignore[misc]
    if kind == "object":
        extra = prop.get("additionalProperties")
        return dict[str, _annotation(extra)] if isinstance(extra, dict) and extra else dict  # type: ignore[misc]
    return _JSON_TO_PY.get(kind, Any)


def _union(options: list[Any]) -> Any:
    non_null = [o for o in options if o is not type(None)]
    if not non_null:
        return type(None)
    joined = non_null[0]
    for option in non_null[1:]:
        joined = joined | option
    return Optional[joined] if len(non_null) < len(options) else joined


def _first_lines(exc: BaseException, limit: int = 6) -> str:
    return " ".join(str(exc).splitlines()[:limit])


class LangChainTool(Tool):
    """A langchain BaseTool seen as a Lingxi tool."""

    def __init__(self, lc_tool: BaseTool, *, timeout: float = 30.0) -> None:
        self.lc_tool = lc_tool
        name = re.sub(r"[^A-Za-z0-9_-]", "_", lc_tool.name)[:64] or "langchain_tool"
        super().__init__(
            name=name,
            description=(lc_tool.description or name).strip(),
            parameters=json_schema_of(lc_tool),
            timeout=timeout,
        )

    def forward(self, **kwargs: Any) -> Any:
        output = self.lc_tool.invoke(kwargs)
        content = getattr(output, "content", output)  # a ToolMessage when called with a tool call
        return content


def json_schema_of(lc_tool: BaseTool) -> dict:
    """The JSON object schema of a langchain tool's arguments, without pydantic's titles."""
    schema = lc_tool.tool_call_schema
    raw = schema if isinstance(schema, dict) else schema.model_json_schema()
    cleaned = strip_titles(raw)
    cleaned.setdefault("type", "object")
    cleaned.setdefault("properties", {})
    cleaned.setdefault("required", [])
    cleaned.pop("description", None)
    return cleaned


def from_langchain(lc_tool: BaseTool, *, timeout: float = 30.0) -> Tool:
    """Wrap a langchain BaseTool as a Lingxi Tool; raises ToolDefinitionError for a broken schema."""
    return LangChainTool(lc_tool, timeout=timeout)
