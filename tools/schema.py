"""Derive a tool's JSON schema from type hints and a Google-style docstring, and validate against it.

The schema is the OpenAI function ``parameters`` object.  It is always derived, never written by
hand: `function_schema(fn)` reads the signature, the type hints and the ``Args:`` section of the
docstring.  Limits ride on ``typing.Annotated``: ``Annotated[str, Field(max_length=500)]`` (pydantic's
``Field``, or ``annotated_types`` objects such as ``MaxLen``/``Ge``) becomes ``maxLength`` in the
schema, so the model sees the limit and the validator enforces it.

`validate_arguments` checks a call's arguments against a schema (the subset of JSON Schema
produced here and by pydantic: type, enum, const, items, properties, required,
additionalProperties, anyOf/oneOf, $ref to $defs, minLength/maxLength, pattern,
minimum/maximum/exclusive bounds, multipleOf, minItems/maxItems, min/maxProperties) and coerces
only the safe case int -> float.  Whatever the schema says, no call's arguments may exceed
`MAX_ARGUMENTS_CHARS` of JSON, no string in them `MAX_STRING_CHARS`, and no nesting
`MAX_NESTING_DEPTH` levels: a model cannot push a huge blob into any tool.
"""

from __future__ import annotations

import enum
import inspect
import json
import math
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.errors import ToolArgumentError, ToolDefinitionError

_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Params|Keyword Args|Returns?|Yields?|Raises|Examples?|Notes?"
    r"|Warnings?|Attributes|See Also|Todo|References)\s*:\s*$"
)
_ARG_LINE = re.compile(r"^\*{0,2}(\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")

_JSON_TYPE_OF = {str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}

MAX_STRING_CHARS = 100_000
"""Longest string any argument (or nested value) may be, whatever its schema says."""
MAX_ARGUMENTS_CHARS = 200_000
"""Longest a whole call's arguments may be, as JSON text."""
MAX_NESTING_DEPTH = 32
"""Deepest the arguments may nest (objects and arrays)."""

# Constraint attributes of pydantic's Field metadata and annotated_types -> JSON Schema keyword,
# per JSON type of the annotated value.
_SIZE_KEYWORDS = {
    "string": ("minLength", "maxLength"),
    "array": ("minItems", "maxItems"),
    "object": ("minProperties", "maxProperties"),
}
_NUMBER_KEYWORDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum",
                    "multiple_of": "multipleOf"}


@dataclass
class Docstring:
    """A parsed Google-style docstring: the free text and one description per argument."""

    description: str = ""
    args: dict[str, str] = field(default_factory=dict)
    returns: str = ""


def parse_docstring(doc: str | None) -> Docstring:
    """Split a Google-style docstring into its description, ``Args:`` entries and ``Returns:`` text."""
    lines = inspect.cleandoc(doc or "").splitlines()
    result = Docstring()
    free: list[str] = []
    section: str | None = None
    current: str | None = None
    base_indent = 0
    returns: list[str] = []
    for line in lines:
        header = _SECTION.match(line.strip()) if not line.startswith((" ", "\t")) else None
        if header:
            section, current, base_indent = header.group(1).lower(), None, -1
            continue
        if section is None:
            free.append(line)
            continue
        if section in ("args", "arguments", "parameters", "params", "keyword args"):
            if not line.strip():
                continue
            indent = len(line) - len(line.lstrip())
            if base_indent < 0:
                base_indent = indent
            match = _ARG_LINE.match(line.strip())
            if indent <= base_indent and match:
                current = match.group(1)
                result.args[current] = match.group(3).strip()
            elif current is not None:
                result.args[current] = (result.args[current] + " " + line.strip()).strip()
        elif section in ("returns", "return"):
            returns.append(line.strip())
    result.description = "\n".join(free).strip()
    result.returns = " ".join(x for x in returns if x).strip()
    return result


def type_schema(annotation: Any) -> dict:
    """The JSON schema of one Python type annotation (str, int, float, bool, list, dict, Literal,
    Enum, Optional / ``X | None``, Union, ``Annotated[X, "description"]``, Any)."""
    if annotation is Any or annotation is inspect.Parameter.empty:
        return {}
    if annotation is None or annotation is type(None):
        return {"type": "null"}
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _annotated_schema(args[0], args[1:])
    if origin is typing.Literal:
        values = [v.value if isinstance(v, enum.Enum) else v for v in args]
        return _enum_schema(values)
    if origin in (typing.Union, types.UnionType):
        return _union_schema(args)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _enum_schema([m.value for m in annotation])
    if annotation in _JSON_TYPE_OF:
        return {"type": _JSON_TYPE_OF[annotation]}
    container = origin or annotation
    if container in (list, set, frozenset, tuple) or container in (Sequence, typing.Sequence):
        schema: dict = {"type": "array"}
        item_args = [a for a in args if a is not Ellipsis]
        if container is tuple and len(item_args) > 1 and Ellipsis not in args:
            schema["prefixItems"] = [type_schema(a) for a in item_args]
            schema["minItems"] = schema["maxItems"] = len(item_args)
        elif item_args:
            schema["items"] = type_schema(item_args[0])
        return schema
    if container in (dict, Mapping, typing.Mapping):
        schema = {"type": "object"}
        if len(args) == 2 and args[1] is not Any:
            schema["additionalProperties"] = type_schema(args[1])
        return schema
    raise ToolDefinitionError(f"unsupported parameter type {annotation!r} for a tool schema")


def _annotated_schema(base: Any, extras: tuple) -> dict:
    """``Annotated[base, ...]``: strings are the description; pydantic ``Field(...)`` objects and
    annotated_types constraints (MaxLen, MinLen, Len, Ge, Gt, Le, Lt, Interval, MultipleOf) become
    JSON Schema limits."""
    schema = type_schema(base)
    notes: list[str] = []
    for extra in extras:
        if isinstance(extra, str):
            notes.append(extra)
            continue
        description = getattr(extra, "description", None)  # pydantic FieldInfo
        if isinstance(description, str) and description:
            notes.append(description)
        for constraint in _constraints_of(extra):
            _apply_constraint(schema, constraint, base)
    if notes:
        schema["description"] = " ".join(notes)
    return schema


def _constraints_of(extra: Any) -> list[Any]:
    """The constraint objects in one Annotated extra: a FieldInfo's ``metadata`` or the object itself."""
    metadata = getattr(extra, "metadata", None)
    return list(metadata) if isinstance(metadata, list) else [extra]


def _apply_constraint(schema: dict, constraint: Any, base: Any) -> None:
    kinds = _schema_kinds(schema)
    for attribute in ("min_length", "max_length"):
        value = getattr(constraint, attribute, None)
        if value is None:
            continue
        sized = [k for k in kinds if k in _SIZE_KEYWORDS]
        if not sized:
            raise ToolDefinitionError(f"{attribute} does not apply to {base!r}")
        schema[_SIZE_KEYWORDS[sized[0]][attribute == "max_length"]] = int(value)
    for attribute, keyword in _NUMBER_KEYWORDS.items():
        value = getattr(constraint, attribute, None)
        if value is None:
            continue
        if not {"integer", "number"} & set(kinds):
            raise ToolDefinitionError(f"{attribute} does not apply to {base!r}")
        schema[keyword] = value
    pattern = getattr(constraint, "pattern", None)
    if pattern is not None:
        if "string" not in kinds:
            raise ToolDefinitionError(f"pattern does not apply to {base!r}")
        schema["pattern"] = pattern if isinstance(pattern, str) else pattern.pattern


def _schema_kinds(schema: dict) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    return [k for k in kind if k != "null"] if isinstance(kind, list) else []


def _enum_schema(values: list) -> dict:
    kinds = sorted({_JSON_TYPE_OF.get(type(v), "string") for v in values})
    schema: dict = {"enum": list(values)}
    schema["type"] = kinds[0] if len(kinds) == 1 else kinds
    return schema


def _union_schema(args: tuple) -> dict:
    non_null = [a for a in args if a is not type(None)]
    nullable = len(non_null) < len(args)
    if len(non_null) == 1:
        schema = type_schema(non_null[0])
        if nullable:
            schema = _add_null(schema)
        return schema
    options = [type_schema(a) for a in non_null]
    if all(set(o) == {"type"} and isinstance(o["type"], str) for o in options):
        kinds = [o["type"] for o in options] + (["null"] if nullable else [])
        return {"type": kinds}
    if nullable:
        options.append({"type": "null"})
    return {"anyOf": options}


def _add_null(schema: dict) -> dict:
    schema = dict(schema)
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list):
        schema["type"] = [*kind, "null"] if "null" not in kind else kind
    elif "anyOf" in schema:
        schema["anyOf"] = [*schema["anyOf"], {"type": "null"}]
    elif schema:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def function_schema(fn: Callable, *, strict_docs: bool = True) -> tuple[str, dict]:
    """Return ``(description, parameters)`` for a function, derived from its hints and docstring.

    Every parameter needs a type hint and (with ``strict_docs``) an ``Args:`` entry; ``*args`` and
    ``**kwargs`` are not allowed.  Parameters without a default are required.
    """
    name = getattr(fn, "__name__", repr(fn))
    doc = parse_docstring(inspect.getdoc(fn))
    if strict_docs and not doc.description:
        raise ToolDefinitionError(f"tool {name!r} needs a docstring with a description")
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:  # unresolved forward references and the like
        raise ToolDefinitionError(f"cannot resolve the type hints of {name!r}: {exc}") from exc
    properties: dict[str, dict] = {}
    required: list[str] = []
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ToolDefinitionError(f"tool {name!r}: *args/**kwargs cannot be described by a schema")
        if param.name not in hints:
            raise ToolDefinitionError(f"tool {name!r}: parameter {param.name!r} needs a type hint")
        schema = type_schema(hints[param.name])
        text = doc.args.get(param.name) or schema.pop("description", "")
        if not text and strict_docs:
            raise ToolDefinitionError(
                f"tool {name!r}: parameter {param.name!r} needs a description in the docstring's Args: section"
            )
        if text:
            schema["description"] = text
        if param.default is param.empty:
            required.append(param.name)
        else:
            default = param.default.value if isinstance(param.default, enum.Enum) else param.default
            if _is_json_value(default):
                schema["default"] = default
        properties[param.name] = schema
    parameters: dict = {"type": "object", "properties": properties, "required": required}
    parameters["additionalProperties"] = False
    return doc.description, parameters


def _is_json_value(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


# ----------------------------------------------------------------------------------- validation


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
    schema, and arguments over the global size limits.
    """
    if not isinstance(arguments, dict):
        raise ToolArgumentError(
            f"arguments for tool {tool_name!r} must be a JSON object, got {_json_kind(arguments)}"
        )
    check_argument_size(tool_name, arguments, max_string_chars, max_arguments_chars)
    problems: list[str] = []
    properties: dict = schema.get("properties", {})
    cleaned: dict = {}
    missing = [k for k in schema.get("required", []) if k not in arguments]
    for key in missing:
        problems.append(f"missing required argument {key!r}")
    extra = schema.get("additionalProperties", True)
    for key, value in arguments.items():
        if key in properties:
            cleaned[key] = _check(value, properties[key], key, schema, problems)
        elif extra is False:
            expected = ", ".join(properties) or "no arguments"
            shown = str(key) if len(str(key)) <= 60 else str(key)[:57] + "..."
            problems.append(f"unknown argument {shown!r} (expected: {expected})")
        else:
            sub = extra if isinstance(extra, dict) else {}
            cleaned[key] = _check(value, sub, key, schema, problems)
    if problems:
        raise ToolArgumentError(f"invalid arguments for tool {tool_name!r}: " + "; ".join(problems))
    return cleaned


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


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _check(value: Any, schema: dict, path: str, root: dict, problems: list[str]) -> Any:
    """Validate one value; append messages to ``problems``; return the (coerced) value."""
    if "$ref" in schema:
        schema = _resolve_ref(schema["$ref"], root)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            for option in schema[key]:
                trial: list[str] = []
                result = _check(value, option, path, root, trial)
                if not trial:
                    return result
            kinds = " or ".join(_describe(o, root) for o in schema[key])
            problems.append(f"argument {path!r} must be {kinds}, got {_json_kind(value)} {_short(value)}")
            return value
    kinds = schema.get("type")
    if kinds is not None:
        allowed = [kinds] if isinstance(kinds, str) else list(kinds)
        value, ok = _coerce(value, allowed)
        if not ok:
            problems.append(
                f"argument {path!r} must be {' or '.join(allowed)}, got {_json_kind(value)} {_short(value)}"
            )
            return value
    if "enum" in schema and value not in schema["enum"]:
        options = ", ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
        problems.append(f"argument {path!r} must be one of {options}, got {_short(value)}")
        return value
    if "const" in schema and value != schema["const"]:
        problems.append(f"argument {path!r} must be {_short(schema['const'])}, got {_short(value)}")
        return value
    limit_problems = _limit_problems(value, schema, path)
    if limit_problems:
        problems.extend(limit_problems)
        return value
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_check(v, schema["items"], f"{path}[{i}]", root, problems) for i, v in enumerate(value)]
    if isinstance(value, dict) and ("properties" in schema or isinstance(schema.get("additionalProperties"), dict)):
        return _check_object(value, schema, path, root, problems)
    return value


def _limit_problems(value: Any, schema: dict, path: str) -> list[str]:
    """The schema's size and range limits that ``value`` breaks, one message each."""
    if isinstance(value, str):
        return _string_problems(value, schema, path)
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return _number_problems(value, schema, path)
    if isinstance(value, (list, tuple)):
        return _size_problems(len(value), "items", schema.get("minItems"), schema.get("maxItems"), path)
    if isinstance(value, dict):
        return _size_problems(len(value), "fields", schema.get("minProperties"), schema.get("maxProperties"), path)
    return []


def _string_problems(value: str, schema: dict, path: str) -> list[str]:
    found = _size_problems(len(value), "characters", schema.get("minLength"), schema.get("maxLength"), path)
    pattern = schema.get("pattern")
    if not found and isinstance(pattern, str):
        try:
            matched = re.search(pattern, value) is not None
        except re.error:
            matched = True  # a pattern Python cannot read is the schema's problem, not the call's
        if not matched:
            found.append(f"argument {path!r} must match the pattern {pattern!r}, got {_short(value)}")
    return found


def _size_problems(size: int, unit: str, low: Any, high: Any, path: str) -> list[str]:
    if isinstance(high, int) and size > high:
        return [f"argument {path!r} is too long: {size} {unit}, at most {high}"]
    if isinstance(low, int) and size < low:
        return [f"argument {path!r} is too short: {size} {unit}, at least {low}"]
    return []


def _number_problems(value: int | float, schema: dict, path: str) -> list[str]:
    if isinstance(value, float) and not math.isfinite(value):
        return [f"argument {path!r} must be a finite number, got {value}"]
    bounds = (
        ("minimum", lambda v, b: v >= b, "at least"),
        ("maximum", lambda v, b: v <= b, "at most"),
        ("exclusiveMinimum", lambda v, b: v > b, "greater than"),
        ("exclusiveMaximum", lambda v, b: v < b, "less than"),
    )
    for keyword, within, words in bounds:
        bound = schema.get(keyword)
        if isinstance(bound, (int, float)) and not isinstance(bound, bool) and not within(value, bound):
            return [f"argument {path!r} must be {words} {bound}, got {_short(value)}"]
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and not isinstance(step, bool) and step > 0 and not _is_multiple(value, step):
        return [f"argument {path!r} must be a multiple of {step}, got {_short(value)}"]
    return []


def _is_multiple(value: int | float, step: int | float) -> bool:
    if isinstance(value, int) and isinstance(step, int):
        return value % step == 0
    try:
        quotient = value / step
    except OverflowError:
        return False
    return math.isfinite(quotient) and abs(quotient - round(quotient)) <= 1e-9 * max(1.0, abs(quotient))


def _check_object(value: dict, schema: dict, path: str, root: dict, problems: list[str]) -> dict:
    props = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    out = {}
    for key in schema.get("required", []):
        if key not in value:
            problems.append(f"argument {path!r} is missing required field {key!r}")
    for key, item in value.items():
        if key in props:
            out[key] = _check(item, props[key], f"{path}.{key}", root, problems)
        elif extra is False:
            problems.append(f"argument {path!r} has unknown field {key!r}")
        else:
            out[key] = _check(item, extra, f"{path}.{key}", root, problems) if isinstance(extra, dict) else item
    return out


def _coerce(value: Any, allowed: list[str]) -> tuple[Any, bool]:
    kind = _json_kind(value)
    if kind in allowed:
        return (list(value) if isinstance(value, tuple) else value), True
    if kind == "integer" and "number" in allowed:
        return float(value), True  # the one safe coercion
    return value, False


def _describe(schema: dict, root: dict) -> str:
    if "$ref" in schema:
        schema = _resolve_ref(schema["$ref"], root)
    kinds = schema.get("type", "any value")
    return kinds if isinstance(kinds, str) else " or ".join(kinds)


def _resolve_ref(ref: str, root: dict) -> dict:
    node: Any = root
    if not ref.startswith("#/"):
        return {}
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            return {}
        node = node[part]
    return node if isinstance(node, dict) else {}
