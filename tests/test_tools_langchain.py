"""langchain-core interop both ways, for real."""

from __future__ import annotations

from typing import Literal

import pytest
from langchain_core.tools import BaseTool, StructuredTool
from langchain_core.tools import tool as lc_tool_decorator
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, Field

from tools import ToolDefinitionError, ToolRegistry, calculator, tool
from tools.langchain_interop import from_langchain, to_langchain


@tool
def greet(name: str, style: Literal["short", "long"] = "short", times: int = 1, scale: float = 1.0) -> str:
    """Greet someone.

    Args:
        name: Who to greet.
        style: How to greet.
        times: How many greetings.
        scale: Volume.
    """
    word = "你好" if style == "short" else "你好呀，很高兴见到你"
    return " ".join([f"{word} {name} x{scale}"] * times)


def test_lingxi_tool_to_langchain():
    lc = to_langchain(greet)
    assert isinstance(lc, StructuredTool) and lc.name == "greet"
    assert lc.description.startswith("Greet someone.")
    openai = convert_to_openai_tool(lc)["function"]
    props = openai["parameters"]["properties"]
    assert openai["parameters"]["required"] == ["name"]
    assert props["name"]["type"] == "string" and props["name"]["description"] == "Who to greet."
    assert props["style"]["enum"] == ["short", "long"] and props["times"]["default"] == 1
    assert lc.invoke({"name": "灵犀", "times": 2, "scale": 2}) == "你好 灵犀 x2.0 你好 灵犀 x2.0"
    assert lc.invoke({"name": "A", "style": "long"}) == "你好呀，很高兴见到你 A x1.0"


def test_lingxi_tool_to_langchain_errors_are_text():
    lc = to_langchain(greet)
    wrong = lc.invoke({"name": 5})
    assert wrong.startswith("Error: invalid arguments for tool 'greet'")
    extra = lc.invoke({"name": "A", "colour": "red"})
    assert extra.startswith("Error: invalid arguments")
    calc = to_langchain(calculator)
    assert calc.invoke({"expression": "7/2"}) == "3.5"
    assert calc.invoke({"expression": "1/0"}) == "Error: division by zero"


def test_langchain_tool_call_message():
    lc = to_langchain(calculator)
    message = lc.invoke({"type": "tool_call", "id": "call_1", "name": "calculator", "args": {"expression": "2**10"}})
    assert message.content == "1024" and message.tool_call_id == "call_1"


class SearchArgs(BaseModel):
    query: str = Field(description="Text to look up.")
    limit: int = Field(3, description="How many hits.")
    title: str | None = Field(None, description="A property literally named title.")


def _search(query: str, limit: int = 3, title: str | None = None) -> str:
    return f"{query}:{limit}:{title}"


@lc_tool_decorator
def multiply(a: int, b: float) -> float:
    """Multiply two numbers."""
    return a * b


@lc_tool_decorator
def fails(x: str) -> str:
    """Always raises."""
    raise ValueError(f"bad {x}")


def test_langchain_tool_to_lingxi():
    structured = StructuredTool.from_function(_search, name="doc search", description="Search docs.", args_schema=SearchArgs)
    converted = from_langchain(structured)
    assert converted.name == "doc_search"  # sanitized
    params = converted.parameters
    assert params["required"] == ["query"]
    assert params["properties"]["query"] == {"type": "string", "description": "Text to look up."}
    assert params["properties"]["limit"]["default"] == 3
    assert "title" in params["properties"]  # a property called "title" survives title stripping
    assert "title" not in params and "title" not in params["properties"]["query"]
    assert converted(query="灵犀", limit=5) == "灵犀:5:None"


def test_registry_accepts_langchain_tools_and_validates():
    registry = ToolRegistry()
    registered = registry.register(multiply)
    assert isinstance(multiply, BaseTool) and registered.name == "multiply"
    assert registry.schemas()[0]["function"]["parameters"]["properties"]["a"] == {"type": "integer"}
    ok = registry.call("multiply", '{"a": 3, "b": 2}')
    assert ok.ok and ok.content == "6.0"
    bad = registry.call("multiply", {"a": "three", "b": 2})
    assert not bad.ok and "argument 'a' must be integer" in bad.content
    registry.register(fails)
    failed = registry.call("fails", {"x": "input"})
    assert not failed.ok and failed.content == "Error: ValueError: bad input"


def test_round_trip_keeps_the_schema():
    back = from_langchain(to_langchain(greet))
    assert back.parameters["properties"]["style"]["enum"] == ["short", "long"]
    assert back.parameters["required"] == ["name"]
    assert back(name="x") == "你好 x x1.0"


@pytest.mark.parametrize("arguments", [{"name": "A", "times": "2"}, {"name": "A", "style": "medium"}])
def test_strict_model_rejects_unsafe_coercions(arguments):
    assert to_langchain(greet).invoke(arguments).startswith("Error: invalid arguments")


def test_a_langchain_tool_with_a_broken_json_schema_is_refused_when_converted():
    def codes(**kwargs: str) -> str:
        return str(kwargs)

    good = {"type": "object", "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}}, "required": ["code"]}
    converted = from_langchain(StructuredTool.from_function(codes, name="codes", description="Codes.", args_schema=good))
    assert converted(code="ABC") == "{'code': 'ABC'}"
    bad = ToolRegistry([converted]).call("codes", {"code": "abc"})
    assert bad.content == "Error: invalid arguments for tool 'codes': argument 'code' must match the pattern '^[A-Z]{3}$', got \"abc\""
    broken = {"type": "object", "properties": {"code": {"type": "string", "pattern": "(unclosed"}}}
    with pytest.raises(ToolDefinitionError, match="tool 'codes' has an invalid parameters schema at \\$.properties.code.pattern"):
        from_langchain(StructuredTool.from_function(codes, name="codes", description="Codes.", args_schema=broken))
