"""A tool's JSON schema, derived from its typed, documented function, and its arguments validated.

The schema is the OpenAI function ``parameters`` object.  It is always derived, never written by
hand: in `function_schema(fn)` pydantic builds a model from the signature and its JSON schema, and
docstring_parser reads the Google-style docstring (the description, one ``Args:`` entry per
parameter).  Limits ride on ``typing.Annotated``: ``Annotated[str, Field(max_length=500)]``
(pydantic's ``Field``, or ``annotated_types`` objects such as ``MaxLen``/``Ge``) becomes
``maxLength`` in the schema, so the model sees the limit and the validator enforces it.  pydantic's
schema is put in the shape tools have always shown the model (no titles, enums inline,
``["string", "null"]`` for optional values, keys in one order): the shipped adapter learnt those.

`validate_arguments` uses jsonschema's Draft 2020-12 validator, so any schema works, also one from
elsewhere (langchain, MCP), which `check_schema` checks when such a tool is defined.  Its errors
become short messages for the model, one problem per value, in the order of the arguments.
Booleans are not integers, nor is ``2.0``; NaN and infinities are refused; the one coercion is the
safe one, an integer where a number is expected becomes a float.  Whatever the schema says, no
call's arguments may exceed `MAX_ARGUMENTS_CHARS` of JSON, no string in them `MAX_STRING_CHARS`,
and no nesting `MAX_NESTING_DEPTH` levels: a model cannot push a huge blob into any tool.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
import re
import typing
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import docstring_parser
import pydantic
import pydantic_core
from docstring_parser.google import DEFAULT_SECTIONS, GoogleParser, Section, SectionType
from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.exceptions import SchemaError, UnknownType
from pydantic.json_schema import PydanticJsonSchemaWarning
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from tools.errors import ToolArgumentError, ToolDefinitionError

logger = logging.getLogger(__name__)

MAX_STRING_CHARS = 100_000
"""Longest string any argument (or nested value) may be, whatever its schema says."""
MAX_ARGUMENTS_CHARS = 200_000
"""Longest a whole call's arguments may be, as JSON text."""
MAX_NESTING_DEPTH = 32
"""Deepest the arguments may nest (objects and arrays)."""

_GOOGLE = GoogleParser([  # docstring_parser's sections, and the other headers that end the description
    *DEFAULT_SECTIONS, Section("Keyword Args", "param", SectionType.MULTIPLE),
    *(Section(title, "notes", SectionType.SINGULAR)
      for title in ("Note", "Notes", "Warning", "Warnings", "See Also", "Todo", "References", "Return", "Yield")),
])


@dataclass
class Docstring:
    """A parsed Google-style docstring: the free text and one description per argument."""

    description: str = ""
    args: dict[str, str] = field(default_factory=dict)
    returns: str = ""


def parse_docstring(doc: str | None) -> Docstring:
    """Split a Google-style docstring into its description, ``Args:`` entries and ``Returns:`` text.

    Raises `ToolDefinitionError` when a section cannot be read (an ``Args:`` entry without a colon).
    """
    try:
        parsed = _GOOGLE.parse(doc or "")
    except docstring_parser.ParseError as exc:
        raise ToolDefinitionError(f"cannot read the docstring: {exc}") from None
    returns = next((item.description for item in parsed.many_returns if not item.is_generator), "")
    return Docstring(
        description=(parsed.description or "").strip(),
        args={param.arg_name.lstrip("*"): _one_line(param.description) for param in parsed.params},
        returns=_one_line(returns),
    )


def _one_line(text: str | None) -> str:
    return " ".join(line.strip() for line in (text or "").splitlines() if line.strip())


# ---------------------------------------------------------------------------- schema derivation


def function_schema(fn: Callable, *, strict_docs: bool = True) -> tuple[str, dict]:
    """Return ``(description, parameters)`` for a function, derived from its hints and docstring.

    Every parameter needs a type hint and (with ``strict_docs``) an ``Args:`` entry; ``*args`` and
    ``**kwargs`` are not allowed.  Parameters without a default are required.
    """
    name = getattr(fn, "__name__", repr(fn))
    try:
        doc = parse_docstring(inspect.getdoc(fn))
    except ToolDefinitionError as exc:
        raise ToolDefinitionError(f"tool {name!r}: {exc}") from None
    if strict_docs and not doc.description:
        raise ToolDefinitionError(f"tool {name!r} needs a docstring with a description")
    parameters, hints = _typed_parameters(fn, name)
    derived = _pydantic_schema(name, parameters, hints)
    properties: dict[str, dict] = {}
    for param in parameters:
        schema = {key: value for key, value in derived["properties"][param.name].items() if key != "description"}
        text = doc.args.get(param.name) or _annotated_description(hints[param.name])
        if not text and strict_docs:
            raise ToolDefinitionError(
                f"tool {name!r}: parameter {param.name!r} needs a description in the docstring's Args: section"
            )
        properties[param.name] = _in_fixed_order({**schema, "description": text} if text else schema)
    result = {"type": "object", "properties": properties, "required": derived.get("required", []),
              "additionalProperties": False}
    nested = {key: value for key, value in derived.get("$defs", {}).items() if "enum" not in value}  # enums are inline
    return doc.description, {**result, "$defs": nested} if nested else result


def _typed_parameters(fn: Callable, name: str) -> tuple[list[inspect.Parameter], dict[str, Any]]:
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:  # unresolved forward references and the like
        raise ToolDefinitionError(f"cannot resolve the type hints of {name!r}: {exc}") from exc
    parameters = list(inspect.signature(fn).parameters.values())
    for param in parameters:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ToolDefinitionError(f"tool {name!r}: *args/**kwargs cannot be described by a schema")
        if param.name not in hints:
            raise ToolDefinitionError(f"tool {name!r}: parameter {param.name!r} needs a type hint")
    return parameters, hints


def _pydantic_schema(name: str, parameters: list[inspect.Parameter], hints: dict[str, Any]) -> dict:
    """The JSON schema of a pydantic model with one field per parameter, in our shape (`_tidy`)."""
    fields = {  # aliases let any parameter name (``_x``, ``json``, ``model_config``) be a field
        f"field_{index}": (hints[param.name], pydantic.Field(... if param.default is param.empty else param.default,
                                                             alias=param.name))
        for index, param in enumerate(parameters)
    }
    config = pydantic.ConfigDict(regex_engine="python-re")  # a pattern means what it means to Python's re
    try:
        for param in parameters:
            _check_limits_fit(hints[param.name])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PydanticJsonSchemaWarning)  # a default that is not JSON is left out
            model = pydantic.create_model("ToolArguments", __config__=config, **fields)
            schema = model.model_json_schema(by_alias=True)
    except pydantic.PydanticUserError as exc:  # a type pydantic cannot describe
        first_line = str(exc).splitlines()[0]
        raise ToolDefinitionError(f"tool {name!r}: unsupported parameter type for a tool schema: {first_line}") from exc
    except pydantic_core.SchemaError as exc:  # a limit it cannot build, such as a pattern Python cannot read
        reason = str(exc).strip().splitlines()[-1].strip().removeprefix("error: ")
        raise ToolDefinitionError(f"tool {name!r}: a parameter's limit cannot be used: {reason}") from exc
    return _tidy(strip_titles(schema), schema.get("$defs", {}))


_LIMIT_KINDS = {
    **dict.fromkeys(("min_length", "max_length"), {"string", "array", "object"}),
    **dict.fromkeys(("gt", "ge", "lt", "le", "multiple_of"), {"integer", "number"}),
    "pattern": {"string"},
}


def _check_limits_fit(annotation: Any) -> None:
    """Refuse a limit that cannot apply to its type (pydantic writes ``maxLength`` on an integer)."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        base = pydantic.TypeAdapter(args[0]).json_schema()
        kinds = {kind for option in base.get("anyOf", [base]) for kind in _type_list(option.get("type"))}
        for extra in args[1:]:
            metadata = getattr(extra, "metadata", None)  # a FieldInfo's constraints, or the constraint itself
            for constraint in metadata if isinstance(metadata, list) else [extra]:
                for attribute, fitting_kinds in _LIMIT_KINDS.items():
                    if getattr(constraint, attribute, None) is not None and not kinds & fitting_kinds:
                        raise ToolDefinitionError(f"{attribute} does not apply to {args[0]!r}")
        args = args[:1]
    for arg in args:
        _check_limits_fit(arg)


def _annotated_description(annotation: Any) -> str:
    """``Annotated[X, "text"]`` strings and ``Field(description=...)`` texts, joined."""
    if typing.get_origin(annotation) is not typing.Annotated:
        return ""
    notes = [extra if isinstance(extra, str) else getattr(extra, "description", None)
             for extra in typing.get_args(annotation)[1:]]
    return " ".join(note for note in notes if isinstance(note, str) and note)


_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMAS = ("items", "additionalProperties", "not")


def _map_subschemas(schema: dict, change: Callable[[Any], Any]) -> dict:
    """A copy of a pydantic-made ``schema`` with ``change`` applied to each direct subschema (not
    to values such as ``default`` or ``enum``, nor to the names of ``properties``)."""
    result = dict(schema)
    for key, value in schema.items():
        if key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            result[key] = {name: change(sub) for name, sub in value.items()}
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            result[key] = [change(sub) for sub in value]
        elif key in _SUBSCHEMAS:
            result[key] = change(value)
    return result


def strip_titles(schema: Any) -> Any:
    """The schema without pydantic's ``title`` annotations (a property called "title" stays)."""
    if not isinstance(schema, dict):
        return schema
    return _map_subschemas({key: value for key, value in schema.items() if key != "title"}, strip_titles)


def _tidy(schema: Any, defs: dict) -> Any:
    """pydantic's schema in our shape: enums inline, unions as type lists, no no-op keywords."""
    if not isinstance(schema, dict):
        return schema
    schema = _map_subschemas(schema, lambda sub: _tidy(sub, defs))
    target = defs.get(str(schema.get("$ref", "")).removeprefix("#/$defs/"), {})
    if "enum" in target:  # an Enum class: its values in place of pydantic's $ref
        del schema["$ref"]
        schema.update({key: target[key] for key in ("enum", "type") if key in target})
    if "const" in schema:  # a one-value Literal is an enum, like every other Literal
        schema["enum"] = [schema.pop("const")]
    if schema.get("additionalProperties") is True:
        del schema["additionalProperties"]
    if schema.get("items") == {}:
        del schema["items"]
    return _in_fixed_order(_collapse_union(schema))


def _collapse_union(schema: dict) -> dict:
    """``anyOf`` of plain types as one type list; ``X | None`` as X with "null" added."""
    options = schema.get("anyOf")
    if not options:
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    others = [option for option in options if option != {"type": "null"}]
    nullable = len(others) < len(options)
    if nullable and len(others) == 1 and "type" in others[0]:
        kinds = _type_list(others[0]["type"])
        with_null = {**others[0], "type": kinds if "null" in kinds else [*kinds, "null"]}
        if "enum" in with_null:
            with_null["enum"] = [*with_null["enum"], None]
        return {**with_null, **rest}
    if all(set(option) == {"type"} and isinstance(option["type"], str) for option in others):
        return {"type": [option["type"] for option in others] + (["null"] if nullable else []), **rest}
    return schema


_KEY_ORDER = (  # the order of keys in a property's schema; "*" stands for the keys not listed
    "$ref", "enum", "type", "items", "prefixItems", "additionalProperties", "minItems", "maxItems", "minLength",
    "maxLength", "pattern", "minProperties", "maxProperties", "exclusiveMinimum", "minimum", "exclusiveMaximum",
    "maximum", "multipleOf", "anyOf", "*", "description", "default",
)


def _in_fixed_order(schema: dict) -> dict:
    return dict(sorted(schema.items(), key=lambda item: _KEY_ORDER.index(item[0] if item[0] in _KEY_ORDER else "*")))


# ------------------------------------------------------------------------------ schemas from elsewhere


def check_schema(tool_name: str, parameters: Any) -> None:
    """Raise `ToolDefinitionError` naming the tool unless ``parameters`` is a valid Draft 2020-12
    JSON Schema of an object, with ``$ref``s that resolve and patterns that Python's re can read (a
    pattern it cannot read is the schema's problem: refused here, never blamed on a call).
    `Tool` calls this for every schema, derived or brought from elsewhere (langchain, MCP)."""
    if not isinstance(parameters, dict) or parameters.get("type") != "object":
        raise ToolDefinitionError(f'tool {tool_name!r}: its parameters must be a JSON Schema with "type": '
                                  f'"object", got {_short(parameters)}')
    try:
        Draft202012Validator.check_schema(parameters, format_checker=Draft202012Validator.FORMAT_CHECKER)
    except SchemaError as exc:
        raise ToolDefinitionError(f"tool {tool_name!r} has an invalid parameters schema at {exc.json_path}: "
                                  f"{_clip(exc.message)}") from None
    resolver, pending = _resolver(parameters), [parameters]
    while pending:  # every subschema, found by the referencing library, which knows the keywords
        node = pending.pop()
        if isinstance(node, dict) and isinstance(node.get("$ref"), str) and _target(node["$ref"], resolver) is None:
            raise ToolDefinitionError(f"tool {tool_name!r}: its parameters schema refers to {node['$ref']!r}, "
                                      "which cannot be resolved")
        pending.extend(DRAFT202012.subresources_of(node) if isinstance(node, dict) else ())


def _resolver(schema: Any) -> Any:
    return Registry().resolver_with_root(DRAFT202012.create_resource(schema))


def _target(ref: str, resolver: Any) -> Any:
    """The subschema ``ref`` points at, or None."""
    try:
        return resolver.lookup(ref).contents
    except Unresolvable:
        return None


# ----------------------------------------------------------------------------------- validation


def _multiple_of_with_tolerance(validator: Any, step: Any, instance: Any, schema: dict) -> Iterator[ValidationError]:
    """``multipleOf`` that forgives float rounding, as pydantic does: 0.3 is a multiple of 0.1."""
    if not (validator.is_type(instance, "number") and validator.is_type(step, "number") and step > 0):
        return
    if isinstance(instance, int) and isinstance(step, int):
        is_multiple = instance % step == 0
    else:
        try:
            quotient = instance / step
        except OverflowError:
            quotient = math.inf
        is_multiple = math.isfinite(quotient) and abs(quotient - round(quotient)) <= 1e-9 * max(1.0, abs(quotient))
    if not is_multiple:
        yield ValidationError(f"{instance!r} is not a multiple of {step}")


_Validator = validators.extend(
    Draft202012Validator,
    {"multipleOf": _multiple_of_with_tolerance},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many({
        "integer": lambda _checker, value: isinstance(value, int) and not isinstance(value, bool),  # not 2.0
        "array": lambda _checker, value: isinstance(value, (list, tuple)),
    }),
)


def validate_arguments(
    tool_name: str,
    schema: dict,
    arguments: Any,
    *,
    max_string_chars: int = MAX_STRING_CHARS,
    max_arguments_chars: int = MAX_ARGUMENTS_CHARS,
) -> dict:
    """Check ``arguments`` against a tool's parameters schema and return a cleaned copy.

    Raises `ToolArgumentError` naming every problem: missing required arguments, unknown
    arguments (with the expected names), wrong types, values outside an enum or a limit of the
    schema, and arguments over the global size limits (checked first).
    """
    if not isinstance(arguments, dict):
        raise ToolArgumentError(
            f"arguments for tool {tool_name!r} must be a JSON object, got {_json_kind(arguments)}"
        )
    check_argument_size(tool_name, arguments, max_string_chars, max_arguments_chars)
    validator = _Validator(schema)
    errors_by_path: dict[tuple, list[ValidationError]] = {}
    try:
        for error in validator.iter_errors(arguments):
            errors_by_path.setdefault(tuple(error.absolute_path), []).append(error)
    except (Unresolvable, UnknownType, re.error) as exc:  # a schema that did not go through check_schema
        logger.warning("the parameters schema of tool %r cannot be used: %s", tool_name, exc)
        message = f"the parameters schema of tool {tool_name!r} cannot be used: {_clip(str(exc))}"
        raise ToolArgumentError(message) from None
    problems: list[str] = []
    _report(arguments, (), errors_by_path, schema, problems)
    if problems:
        raise ToolArgumentError(f"invalid arguments for tool {tool_name!r}: " + "; ".join(dict.fromkeys(problems)))
    return _cleaned(arguments, schema, validator, _resolver(schema))


# What makes a value itself wrong, in the order it is reported: one problem per value, and none
# about what a wrong value holds.  Keywords not listed (uniqueItems, not, ...) come last.
_VALUE_KEYWORDS = (
    "anyOf", "oneOf", "type", "enum", "const", "finite", "maxLength", "minLength", "pattern", "minimum",
    "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "maxItems", "minItems",
    "maxProperties", "minProperties",
)


def _report(value: Any, path: tuple, errors_by_path: dict, root: dict, problems: list[str]) -> None:
    """Append the problems of ``value`` and of what it holds, in the order the model wrote them."""
    errors = errors_by_path.get(path, [])
    own = [error for error in errors if error.validator not in ("required", "additionalProperties")]
    if isinstance(value, float) and not math.isfinite(value):  # JSON Schema's numbers include NaN
        own.append(ValidationError("not a finite number", validator="finite", instance=value))
    if own:
        problems.append(_value_problem(min(own, key=_keyword_rank), path, root))
        return
    unknown: dict[str, dict] = {}
    for error in errors:
        if error.validator == "required":
            problems.extend(_missing_field(path, key) for key in error.validator_value if key not in value)
        else:
            unknown.update(dict.fromkeys(_unknown_keys(value, error.schema), error.schema))
    children = value.items() if isinstance(value, dict) else enumerate(value) if _json_kind(value) == "array" else ()
    for key, item in children:
        if key in unknown:
            problems.append(_unknown_field(path, key, unknown[key]))
        else:
            _report(item, (*path, key), errors_by_path, root, problems)


def _keyword_rank(error: ValidationError) -> int:
    return _VALUE_KEYWORDS.index(error.validator) if error.validator in _VALUE_KEYWORDS else len(_VALUE_KEYWORDS)


def _missing_field(path: tuple, key: str) -> str:
    if not path:
        return f"missing required argument {key!r}"
    return f"argument {_path_text(path)!r} is missing required field {key!r}"


def _unknown_field(path: tuple, key: str, schema: dict) -> str:
    if not path:
        expected = ", ".join(schema.get("properties", {})) or "no arguments"
        return f"unknown argument {_clip(str(key), 60)!r} (expected: {expected})"
    return f"argument {_path_text(path)!r} has unknown field {key!r}"


def _unknown_keys(instance: dict, schema: dict) -> list[str]:
    """The keys ``additionalProperties: false`` refused (jsonschema names them only in its message)."""
    known, patterns = schema.get("properties", {}), list(schema.get("patternProperties", {}))
    return [key for key in instance if key not in known and not any(re.search(p, key) for p in patterns)]


_SIZE_LIMITS = {
    "maxLength": ("too long", "characters", "at most"), "minLength": ("too short", "characters", "at least"),
    "maxItems": ("too long", "items", "at most"), "minItems": ("too short", "items", "at least"),
    "maxProperties": ("too long", "fields", "at most"), "minProperties": ("too short", "fields", "at least"),
}
_NUMBER_LIMITS = {
    "minimum": "at least", "maximum": "at most", "exclusiveMinimum": "greater than",
    "exclusiveMaximum": "less than", "multipleOf": "a multiple of",
}


def _value_problem(error: ValidationError, path: tuple, root: dict) -> str:
    """One message: "argument 'tags[1]' must be string, got integer 1" and the like."""
    keyword, value, limit = error.validator, error.instance, error.validator_value
    subject = f"argument {_path_text(path)!r}" if path else "the arguments"
    if keyword in ("type", "anyOf", "oneOf"):
        kinds = _type_list(limit) if keyword == "type" else [_describe(option, root) for option in limit]
        return f"{subject} must be {' or '.join(kinds)}, got {_json_kind(value)} {_short(value)}"
    if keyword == "enum":
        options = ", ".join(json.dumps(option, ensure_ascii=False) for option in limit)
        return f"{subject} must be one of {options}, got {_short(value)}"
    if keyword == "const":
        return f"{subject} must be {_short(limit)}, got {_short(value)}"
    if keyword == "finite":
        return f"{subject} must be a finite number, got {value}"
    if keyword in _SIZE_LIMITS:
        too, unit, bound = _SIZE_LIMITS[keyword]
        return f"{subject} is {too}: {len(value)} {unit}, {bound} {limit}"
    if keyword in _NUMBER_LIMITS:
        return f"{subject} must be {_NUMBER_LIMITS[keyword]} {limit}, got {_short(_as_expected(value, error.schema))}"
    if keyword == "pattern":
        return f"{subject} must match the pattern {limit!r}, got {_short(value)}"
    return f"{subject} does not match the schema: {_clip(error.message)}"


def _describe(schema: Any, root: dict) -> str:
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        schema = _target(schema["$ref"], _resolver(root))
    kinds = _type_list(schema.get("type")) if isinstance(schema, dict) else []
    return " or ".join(kinds) or "any value"


def _cleaned(value: Any, schema: Any, validator: Any, resolver: Any) -> Any:
    """Valid arguments as the tool gets them: arrays as lists, and the one safe coercion, an integer
    where the schema expects a number (and not an integer) as a float."""
    if not isinstance(schema, dict):
        return value
    if isinstance(schema.get("$ref"), str):
        value = _cleaned(value, _target(schema["$ref"], resolver), validator, resolver)
    for option in schema.get("anyOf", schema.get("oneOf", [])):
        if validator.evolve(schema=option).is_valid(value):
            return _cleaned(value, option, validator, resolver)
    if isinstance(value, (list, tuple)):
        prefix = schema.get("prefixItems", [])
        return [_cleaned(item, prefix[index] if index < len(prefix) else schema.get("items"), validator, resolver)
                for index, item in enumerate(value)]
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return {key: _cleaned(item, properties.get(key, schema.get("additionalProperties")), validator, resolver)
                for key, item in value.items()}
    return _as_expected(value, schema)


def _as_expected(value: Any, schema: Any) -> Any:
    """An integer where the schema expects a number (and not an integer) as a float."""
    kinds = _type_list(schema.get("type")) if isinstance(schema, dict) else []
    return float(value) if _json_kind(value) == "integer" and "number" in kinds and "integer" not in kinds else value


# ---------------------------------------------------------------------------- global size limits


def check_argument_size(
    tool_name: str,
    arguments: dict,
    max_string_chars: int = MAX_STRING_CHARS,
    max_arguments_chars: int = MAX_ARGUMENTS_CHARS,
) -> None:
    """Raise `ToolArgumentError` when the arguments nest too deeply, hold a string (value or key)
    over ``max_string_chars``, or are over ``max_arguments_chars`` as JSON text."""
    problems: list[str] = []
    _walk_sizes(arguments, "", 0, max_string_chars, problems)
    if not problems:
        size = len(json.dumps(arguments, ensure_ascii=False, default=str))
        if size > max_arguments_chars:
            problems.append(f"the arguments are {size} characters of JSON, at most {max_arguments_chars}")
    if problems:
        raise ToolArgumentError(f"arguments for tool {tool_name!r} are too large: " + "; ".join(problems[:5]))


def _walk_sizes(value: Any, path: str, depth: int, max_string_chars: int, problems: list[str]) -> None:
    if depth > MAX_NESTING_DEPTH:
        problems.append(f"argument {path.split('.')[0].split('[')[0]!r} nests deeper than {MAX_NESTING_DEPTH} levels")
        return
    if isinstance(value, str):
        if len(value) > max_string_chars:
            problems.append(f"argument {path!r} is {len(value)} characters long, at most {max_string_chars}")
    elif isinstance(value, dict):
        for key, item in value.items():
            key_text = str(key)
            if len(key_text) > max_string_chars:
                problems.append(f"a key of {path or 'the arguments'!r} is {len(key_text)} characters long, "
                                f"at most {max_string_chars}")
                continue
            _walk_sizes(item, f"{path}.{key_text}" if path else key_text, depth + 1, max_string_chars, problems)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _walk_sizes(item, f"{path}[{index}]", depth + 1, max_string_chars, problems)


# ------------------------------------------------------------------------------ message helpers


def _path_text(path: tuple) -> str:
    """``tags[1]``, ``flags.a``: the path to a value as the model wrote it."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else f".{step}" if text else str(step)
    return text


def _type_list(kind: Any) -> list[str]:
    """A schema's ``type`` as a list: "string" -> ["string"], missing -> []."""
    return [kind] if isinstance(kind, str) else list(kind) if isinstance(kind, list) else []


_KINDS = ((type(None), "null"), (bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
          ((list, tuple), "array"), (dict, "object"))


def _json_kind(value: Any) -> str:
    return next((name for kind, name in _KINDS if isinstance(value, kind)), type(value).__name__)


def _short(value: Any) -> str:
    return _clip(json.dumps(value, ensure_ascii=False, default=str), 60)


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
