"""Schema derivation from hints + docstrings, and argument validation."""

from __future__ import annotations

import datetime
import enum
from typing import Annotated, Literal, Optional

import pytest
from pydantic import BaseModel
from pydantic import BaseModel, Field

from tools import Tool, ToolArgumentError, ToolDefinitionError, tool
from tools.schema import check_schema, parse_docstring, strip_titles, validate_arguments


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


# ------------------------------------------------------------------ schemas that come from elsewhere


class Node(BaseModel):
    name: str = Field(max_length=5)
    weight: float = 1.0
    children: list[Node] = []


class Tree(BaseModel):
    root: Node
    label: Optional[str] = None


def tree_tool() -> Tool:
    """A tool whose ready schema pydantic built: nested, with a recursive ``$ref`` into ``$defs``."""
    parameters = {**strip_titles(Tree.model_json_schema()), "additionalProperties": False}
    assert parameters["$defs"]["Node"]["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    return Tool(name="plant", description="Plant a tree.", parameters=parameters)


def test_a_nested_schema_with_a_recursive_ref_is_accepted_and_validated_through_its_refs():
    plant = tree_tool()
    check_schema("plant", plant.parameters)
    cleaned = plant.validate({"root": {"name": "a", "weight": 2, "children": [{"name": "b", "children": [{"name": "c", "weight": 3}]}]}})
    assert cleaned == {"root": {"name": "a", "weight": 2.0, "children": [{"name": "b", "children": [{"name": "c", "weight": 3.0}]}]}}
    assert isinstance(cleaned["root"]["children"][0]["children"][0]["weight"], float)  # int -> float through two $refs
    with pytest.raises(ToolArgumentError) as info:
        plant.validate({"root": {"name": "toolong", "children": [{"name": 5}, {"weight": "x", "name": "c"}, {"children": [{}]}]},
                        "extra": 1})
    assert str(info.value) == (
        "invalid arguments for tool 'plant': argument 'root.name' is too long: 7 characters, at most 5; "
        "argument 'root.children[0].name' must be string, got integer 5; "
        "argument 'root.children[1].weight' must be number, got string \"x\"; "
        "argument 'root.children[2]' is missing required field 'name'; "
        "argument 'root.children[2].children[0]' is missing required field 'name'; "
        "unknown argument 'extra' (expected: root, label)"
    )


@pytest.mark.parametrize(
    "parameters, fragment",
    [
        ({"type": "banana"}, 'tool \'ext\': its parameters must be a JSON Schema with "type": "object"'),
        ([], 'must be a JSON Schema with "type": "object", got []'),
        ({"type": "object", "properties": {"x": {"type": "banana"}}},
         "tool 'ext' has an invalid parameters schema at $.properties.x.type"),
        ({"type": "object", "properties": {"x": {"type": "string", "pattern": "[a-z"}}},
         "tool 'ext' has an invalid parameters schema at $.properties.x.pattern: '[a-z' is not a 'regex'"),
        ({"type": "object", "properties": {"x": {"$ref": "#/$defs/Missing"}}},
         "tool 'ext': its parameters schema refers to '#/$defs/Missing', which cannot be resolved"),
        ({"type": "object", "properties": {"x": {"$ref": "https://example.com/remote.json"}}}, "cannot be resolved"),
    ],
)
def test_a_broken_schema_from_elsewhere_is_refused_when_the_tool_is_defined(parameters, fragment):
    with pytest.raises(ToolDefinitionError) as info:
        check_schema("ext", parameters)
    assert fragment in str(info.value)
    with pytest.raises(ToolDefinitionError):
        Tool(name="ext", description="From elsewhere.", parameters=parameters)


def test_a_missing_ref_target_in_an_unchecked_schema_is_an_argument_error_at_validation():
    schema = {"type": "object", "properties": {"x": {"$ref": "#/$defs/Missing"}}}
    with pytest.raises(ToolArgumentError, match="the parameters schema of tool 'ext' cannot be used: .*Missing"):
        validate_arguments("ext", schema, {"x": 1})
    assert validate_arguments("ext", schema, {"y": 1}) == {"y": 1}  # the $ref is only followed where used


def test_a_pattern_python_cannot_read_is_the_schemas_problem_not_the_calls():
    schema = {"type": "object", "properties": {"word": {"type": "string", "pattern": r"\p{L}+"}}}
    with pytest.raises(ToolDefinitionError, match="is not a 'regex'"):
        check_schema("ext", schema)  # refused when such a tool is defined, so no call meets it ...
    with pytest.raises(ToolArgumentError, match="the parameters schema of tool 'ext' cannot be used: bad escape"):
        validate_arguments("ext", schema, {"word": "灵犀"})  # ... and an unchecked schema is blamed, not the call


@pytest.mark.parametrize(
    "schema, arguments, expected",
    [
        ({"type": "number", "multipleOf": 0.1}, 0.3, None),  # float rounding is forgiven
        ({"type": "number", "multipleOf": 0.1}, 0.35, "argument 'x' must be a multiple of 0.1, got 0.35"),
        ({"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]}, [1, 2],
         "argument 'x[1]' must be string, got integer 2"),
        ({"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "string"}}]}, "s",
         "argument 'x' must be integer or array, got string \"s\""),
        ({"const": "on"}, "off", "argument 'x' must be \"on\", got \"off\""),
        ({"type": "array", "uniqueItems": True}, [1, 1], "argument 'x' does not match the schema: [1, 1] has non-unique elements"),
        ({"type": "integer"}, 2.0, "argument 'x' must be integer, got number 2.0"),
        ({}, [1, float("inf")], "argument 'x[1]' must be a finite number, got inf"),
    ],
)
def test_any_schema_keyword_gives_a_message_naming_the_argument(schema, arguments, expected):
    parameters = {"type": "object", "properties": {"x": schema}}
    check_schema("ext", parameters)
    if expected is None:
        assert validate_arguments("ext", parameters, {"x": arguments}) == {"x": arguments}
        return
    with pytest.raises(ToolArgumentError) as info:
        validate_arguments("ext", parameters, {"x": arguments})
    assert str(info.value) == f"invalid arguments for tool 'ext': {expected}"


def test_a_one_value_literal_is_an_enum_and_a_pattern_python_cannot_read_is_a_definition_error():
    def pick(mode: Literal["fast"] = "fast") -> str:
        """Pick.

        Args:
            mode: The only mode.
        """
        return mode

    assert tool(pick).parameters["properties"]["mode"] == {"enum": ["fast"], "type": "string", "description": "The only mode.", "default": "fast"}

    def letters(word: Annotated[str, Field(pattern=r"\p{L}+")]) -> str:
        """Letters.

        Args:
            word: Letters only.
        """
        return word

    with pytest.raises(ToolDefinitionError, match="tool 'letters': a parameter's limit cannot be used: bad escape"):
        tool(letters)


class Person(BaseModel):
    name: str
    age: int


def test_a_function_tool_gets_its_arguments_as_their_annotated_types():
    @tool
    def greet(person: Person, when: datetime.date, unit: Unit = Unit.CELSIUS) -> str:
        """Greet someone.

        Args:
            person: Who.
            when: On which day.
            unit: A unit.
        """
        assert isinstance(person, Person) and isinstance(when, datetime.date) and isinstance(unit, Unit)
        return f"{person.name} ({person.age}) on {when.isoformat()} in {unit.value}"

    schema = greet.openai_schema()["function"]["parameters"]
    assert schema["properties"]["person"] == {"$ref": "#/$defs/Person", "description": "Who."}
    assert schema["$defs"]["Person"]["required"] == ["name", "age"]
    assert greet(person={"name": "李雷", "age": 30}, when="2026-12-03", unit="fahrenheit") == \
        "李雷 (30) on 2026-12-03 in fahrenheit"
    with pytest.raises(ToolArgumentError, match="argument 'when': Input should be a valid date"):
        greet(person={"name": "x", "age": 1}, when="not a day")
