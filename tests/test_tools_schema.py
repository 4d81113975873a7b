"""Schema derivation from hints + docstrings, and argument validation."""

from __future__ import annotations

import enum
from typing import Annotated, Literal, Optional

import pytest

from tools import Tool, ToolArgumentError, ToolDefinitionError, tool
from tools.schema import parse_docstring


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


@tool(name="weather", timeout=3)
def get_weather(
    city: str,
    days: int = 1,
    unit: Unit = Unit.CELSIUS,
    detail: Literal["short", "long"] = "short",
    tags: list[str] | None = None,
    scale: float = 1.0,
    when: Optional[str] = None,
    flags: dict[str, bool] | None = None,
    note: Annotated[str, "A free note."] = "",
) -> str:
    """Get the weather forecast for a city.

    Uses an imaginary service.

    Args:
        city: Name of the city, e.g. "Beijing" or "北京".
        days: How many days to forecast,
            counted from today.
        unit (Unit): Temperature unit.
        detail: How much detail to give.
        tags: Optional labels.
        scale: A multiplier.
        when: A date, or none for today.
        flags: Named switches.

    Returns:
        The forecast as text.
    """
    return f"{city}|{days}|{unit.value}|{detail}|{tags}|{scale!r}|{when}|{flags}|{note}"


def test_schema_types_defaults_required_and_descriptions():
    schema = get_weather.openai_schema()
    assert schema["type"] == "function"
    fn = schema["function"]
    assert fn["name"] == "weather"
    assert fn["description"] == "Get the weather forecast for a city.\n\nUses an imaginary service."
    params = fn["parameters"]
    assert params["type"] == "object"
    assert params["required"] == ["city"]
    assert params["additionalProperties"] is False
    props = params["properties"]
    assert props["city"] == {"type": "string", "description": 'Name of the city, e.g. "Beijing" or "北京".'}
    assert props["days"] == {
        "type": "integer",
        "description": "How many days to forecast, counted from today.",
        "default": 1,
    }
    assert props["unit"]["enum"] == ["celsius", "fahrenheit"] and props["unit"]["default"] == "celsius"
    assert props["detail"] == {"enum": ["short", "long"], "type": "string", "description": "How much detail to give.", "default": "short"}
    assert props["tags"]["type"] == ["array", "null"] and props["tags"]["items"] == {"type": "string"}
    assert props["scale"]["type"] == "number"
    assert props["when"]["type"] == ["string", "null"]
    assert props["flags"]["additionalProperties"] == {"type": "boolean"}
    assert props["note"]["description"] == "A free note."  # from Annotated
    assert get_weather.timeout == 3


def test_docstring_parser_sections():
    doc = parse_docstring(
        """Summary.

        Args:
            a (int): First.
                More about a.
            b: Second.

        Raises:
            ValueError: never.
        """
    )
    assert doc.description == "Summary."
    assert doc.args == {"a": "First. More about a.", "b": "Second."}


def test_validation_accepts_and_coerces_int_to_float_and_enum():
    out = get_weather(city="北京", days=2, scale=2, unit="fahrenheit", tags=["a"])
    assert out == "北京|2|fahrenheit|short|['a']|2.0|None|None|"
    cleaned = get_weather.validate({"city": "x", "scale": 3})
    assert cleaned["scale"] == 3.0 and isinstance(cleaned["scale"], float)


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        ({}, "missing required argument 'city'"),
        ({"city": "x", "town": "y"}, "unknown argument 'town' (expected: city, days, unit"),
        ({"city": 5}, "argument 'city' must be string, got integer 5"),
        ({"city": "x", "days": "3"}, "argument 'days' must be integer, got string \"3\""),
        ({"city": "x", "days": 2.5}, "argument 'days' must be integer, got number"),
        ({"city": "x", "days": True}, "argument 'days' must be integer, got boolean"),
        ({"city": "x", "detail": "medium"}, 'must be one of "short", "long"'),
        ({"city": "x", "tags": ["a", 1]}, "argument 'tags[1]' must be string"),
        ({"city": "x", "flags": {"a": "yes"}}, "argument 'flags.a' must be boolean"),
    ],
)
def test_validation_errors_are_clear(arguments, fragment):
    with pytest.raises(ToolArgumentError) as info:
        get_weather.validate(arguments)
    assert fragment in str(info.value)
    assert "weather" in str(info.value)


def test_validation_reports_every_problem_at_once():
    with pytest.raises(ToolArgumentError) as info:
        get_weather.validate({"days": "x", "bogus": 1})
    text = str(info.value)
    assert "missing required argument 'city'" in text and "unknown argument 'bogus'" in text
    assert "'days' must be integer" in text


def test_arguments_must_be_an_object():
    with pytest.raises(ToolArgumentError, match="must be a JSON object, got array"):
        get_weather.validate([1, 2])


def test_definition_errors():
    def no_hint(x):
        """Do it.

        Args:
            x: The x.
        """

    def no_arg_doc(x: int) -> int:
        """Do it."""
        return x

    def no_doc(x: int) -> int:
        return x

    def star(*args: int) -> int:
        """Do it.

        Args:
            args: Values.
        """
        return 0

    for fn, fragment in [(no_hint, "needs a type hint"), (no_arg_doc, "needs a description"), (no_doc, "needs a docstring"), (star, "*args")]:
        with pytest.raises(ToolDefinitionError, match=fragment.replace("*", r"\*")):
            tool(fn)
    with pytest.raises(ToolDefinitionError, match="tool name"):
        tool(name="bad name!")(get_weather.fn)


def test_class_tool_with_lazy_setup_derives_schema_from_forward():
    class Counter(Tool):
        name = "counter"

        def __init__(self) -> None:
            self.setups = 0
            super().__init__()

        def setup(self) -> None:
            self.setups += 1

        def forward(self, step: int = 1) -> int:
            """Count up.

            Args:
                step: How much to add.
            """
            return step * 10

    counter = Counter()
    assert counter.setups == 0  # lazy
    assert counter.parameters["properties"]["step"]["type"] == "integer"
    assert counter.description == "Count up."
    assert counter(step=2) == 20 and counter() == 10
    assert counter.setups == 1
