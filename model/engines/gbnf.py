"""JSON schema -> a GBNF grammar that llama.cpp decodes under, bounded and safe.

llama-cpp-python's own converter (`json_schema_to_gbnf`) does the translation. Around it:

Before, the schema is put in a form the converter reads right (`for_converter`):
- ``{}`` and ``true`` mean any JSON value (the converter would read them as "any object");
- a list of types becomes ``anyOf`` with the schema's other keywords in each branch (the
  converter would drop ``maxLength`` and the like);
- a required property missing from ``properties`` is added as any value;
- ``pattern`` is anchored (``^(...)$``: a string that matches the whole pattern also contains a
  match, so the grammar allows a subset of what the schema allows), ``\\d``, ``\\w`` and ``\\s``
  become character classes; a pattern with lookarounds, back-references or repetition counts
  over `MAX_REPEAT` is dropped (a bounded string; the value is checked after decoding);
- arrays hold at most ``minItems`` + `MAX_OPTIONAL_ITEMS` items;
- an integer bounded on both sides to at most `MAX_INTEGER_ENUM` values becomes the enum of those
  values (the converter ignores ``minimum`` and ``maximum``); a number bounded on both sides, or
  only below by 0, is decoded under a rule of its own (`bounded_number_rule`: the integer parts it
  allows written out, at most `MAX_NUMBER_PARTS`, a fraction of at most `MAX_FRACTION_DIGITS`
  digits, no exponent; numbers in a span that a fractional bound cuts are left out);
  other bounds are checked after decoding, and a sampled call outside them is sampled again
  (model/engines/base.py);
- a property named "$ref" is renamed for the converter (it would read it as a reference) and
  named back in the grammar;
- a recursive definition (a tree's node that holds nodes) is unrolled `MAX_RECURSION` levels
  deep; below that an optional recursive property is left out and a required one is any value.

After, the grammar's generic rules are bounded (`_bounded_rules`): any string at most
`FORCED_STRING_MAX_LENGTH` characters, any value at most `MAX_GENERIC_DEPTH` levels deep with at
most `MAX_OPTIONAL_ITEMS` members per level, and no string may carry a quote or backslash
unescaped, a control character, or markup that starts with "<|", "</", "<t", "<s" or "<e" (our
``<tool_call>`` tags and chat special tokens such as ``<|im_end|>``, ``</s>``,
``<start_of_turn>``): a small model can neither run on forever nor write a tag inside a call.

A conversion that fails raises `GrammarError`; the engine then checks the grammar with
llama.cpp's own parser before it is ever used (model/engines/llamacpp.py).
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from model.call_schema import CALL_KEY_ORDER, FORCED_STRING_MAX_LENGTH
from model.errors import GrammarError
from model.tool_schemas import map_subschemas, schema_children

MAX_OPTIONAL_ITEMS = 16
"""Members an array or a generic object may have beyond its required minimum."""
MAX_GENERIC_DEPTH = 3
"""Levels a value of unspecified type may nest."""
MAX_REPEAT = 256
"""Largest repetition count a pattern may use in a grammar."""
MAX_RECURSION = 4
"""Levels a recursive definition is unrolled to."""
MAX_INTEGER_ENUM = 256
"""Largest span of a bounded integer written out as the values it allows."""
MAX_NUMBER_PARTS = 1024
"""Most integer parts a bounded number's rule writes out (beyond, its bounds are checked after)."""
MAX_FRACTION_DIGITS = 6
"""Digits after the point in a bounded number."""
_NUMBER_SENTINEL = "lingxi-bounded-number"
_NUMBER_LITERAL = re.compile(r'"\\"' + _NUMBER_SENTINEL + r' ([^"\\]*)\\""')

_ANNOTATIONS = {"description", "title", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly"}
_ANY = {"type": "value"}  # read by the converter as its primitive "any JSON value" rule
_REF_PROPERTY = "lingxi-property-named-ref"
_REPEAT = re.compile(r"\{(\d*)(?:,(\d*))?\}")
_UNSUPPORTED_PATTERN = re.compile(r"\(\?|\\[1-9]|\\[bBAZzpPk]")
_CLASS_ESCAPES = {"d": "0-9", "w": "a-zA-Z0-9_", "s": r" \t\n\r"}
_NEGATED_ESCAPES = {"D": "[^0-9]", "W": "[^a-zA-Z0-9_]", "S": r"[^ \t\n\r]"}


def schema_to_gbnf(schema: dict[str, Any]) -> str:
    """The GBNF grammar of ``schema``, with the call's keys in `CALL_KEY_ORDER`."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        prepared = for_converter(unroll_recursion(schema))
        text = json_schema_to_gbnf(json.dumps(prepared, ensure_ascii=False), prop_order=CALL_KEY_ORDER)
    except (AssertionError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as error:
        raise GrammarError(f"{type(error).__name__}: {error}") from error
    text = text.replace(f'"\\"{_REF_PROPERTY}\\""', '"\\"$ref\\""')
    text = _NUMBER_LITERAL.sub(lambda match: "(" + _number_rule_of(match.group(1)) + ")", text)
    return _format(_bounded_rules(_parse_rules(text)))


# ---- the schema, as the converter reads it ------------------------------------------------------

def for_converter(schema: Any) -> Any:
    """``schema`` in the form llama.cpp's converter reads right (see the module)."""
    if schema is True or (isinstance(schema, dict) and not set(schema) - _ANNOTATIONS):
        return dict(_ANY)
    if not isinstance(schema, dict):
        return schema
    if isinstance(schema.get("type"), list) and not {"anyOf", "oneOf"} & schema.keys():
        rest = {key: value for key, value in schema.items() if key != "type"}
        return {"anyOf": [for_converter({**rest, "type": kind}) for kind in schema["type"]]}
    out = _with_children_prepared(schema)
    if out.get("type") == "string" and isinstance(out.get("pattern"), str):
        pattern = grammar_pattern(out["pattern"])
        if pattern is None:
            del out["pattern"]
            out.setdefault("maxLength", FORCED_STRING_MAX_LENGTH)
        else:
            out["pattern"] = pattern
    if out.get("type") == "integer" and not {"enum", "const"} & out.keys():
        values = _integer_range(out)
        if values is not None:
            out["enum"] = values
    if out.get("type") in ("number", "integer") and not {"enum", "const", "multipleOf"} & out.keys():
        sentinel = _number_sentinel(out)
        if sentinel is not None:  # replaced by its rule once the converter has run (schema_to_gbnf)
            return {"const": sentinel}
    if out.get("type") in ("object", None) and isinstance(out.get("required"), list):
        _add_required_properties(out)
    if out.get("type") == "array" or "items" in out:
        low = out.get("minItems") if isinstance(out.get("minItems"), int) else 0
        high = out.get("maxItems")
        out["maxItems"] = min(high, low + MAX_OPTIONAL_ITEMS) if isinstance(high, int) else low + MAX_OPTIONAL_ITEMS
    return out


def _integer_range(schema: dict) -> list[int] | None:
    """The integers a bounded integer schema allows, where they are at most `MAX_INTEGER_ENUM`
    (the converter drops integer bounds; an enum of them keeps them), else None."""
    def bound(key: str) -> int | float | None:
        value = schema.get(key)
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    low = max((b for b in (bound("minimum"), _next_above(bound("exclusiveMinimum"))) if b is not None), default=None)
    high = min((b for b in (bound("maximum"), _next_below(bound("exclusiveMaximum"))) if b is not None), default=None)
    if low is None or high is None or high - low >= MAX_INTEGER_ENUM:
        return None
    step = bound("multipleOf")
    values = [n for n in range(math.ceil(low), math.floor(high) + 1) if not step or (n / step).is_integer()]
    return values or None


def _number_sentinel(schema: dict) -> str | None:
    """A constant standing for ``schema``'s bounded-number rule in the converter's output, or None
    where `bounded_number_rule` has none for it."""
    bounds = {key: schema[key] for key in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")
              if isinstance(schema.get(key), (int, float)) and not isinstance(schema.get(key), bool)}
    integer = schema.get("type") == "integer"
    if bounded_number_rule(bounds, integer) is None:
        return None
    spec = " ".join(f"{key}={value!r}" for key, value in sorted(bounds.items()))
    return f"{_NUMBER_SENTINEL} {spec} integer={integer}"


def _number_rule_of(spec: str) -> str:
    fields = dict(item.split("=", 1) for item in spec.split())
    integer = fields.pop("integer") == "True"
    bounds = {key: float(value) if "." in value or "e" in value else int(value) for key, value in fields.items()}
    return bounded_number_rule(bounds, integer)


def bounded_number_rule(bounds: dict[str, int | float], integer: bool = False) -> str | None:
    """A GBNF body for JSON numbers within ``bounds`` (JSON Schema's minimum, exclusiveMinimum,
    maximum, exclusiveMaximum), or None where it would not help: no upper bound unless the lower one
    is 0, or more than `MAX_NUMBER_PARTS` integers in the range.

    Every number it allows is within the bounds. It writes out the integers in bounds, and the
    integer parts k (or -m) whose whole open span (k, k + 1) (or (-(m + 1), -m)) is in bounds,
    followed by a fraction that ends in a non-zero digit (so "k.0" never stands for an excluded
    k). Numbers in a span cut by a fractional bound are left out (2.3 under a maximum of 2.5)."""
    low, low_open = _lower(bounds)
    high, high_open = _upper(bounds)
    digits = "[1-9] [0-9]{0,15}"
    fraction = f'"." [0-9]{{0,{MAX_FRACTION_DIGITS - 1}}} [1-9]'
    if high is None:
        if low != 0:
            return None
        whole = digits if low_open else f'"0" | {digits}'
        if integer:
            return whole
        return f"({whole}) ({fraction})?" + (f' | "0" {fraction}' if low_open else "")
    if low is None:
        return None

    def in_bounds(x: float) -> bool:
        return (x > low if low_open else x >= low) and (x < high if high_open else x <= high)

    if math.floor(high) - math.ceil(low) + 1 > MAX_NUMBER_PARTS:
        return None
    whole = [n for n in range(math.ceil(low), math.floor(high) + 1) if in_bounds(n)]
    rules = [_literals(whole)] if whole else []
    if not integer:
        positive = [k for k in range(max(0, math.ceil(low)), math.floor(high)) if k + 1 <= high]
        negative = [m for m in range(max(0, math.ceil(-high)), math.floor(-low)) if -(m + 1) >= low]
        if positive:
            rules.append(f"({_literals(positive)}) {fraction}")
        if negative:
            rules.append(f'"-" ({_literals(negative)}) {fraction}')
    return " | ".join(rules) if rules else None


def _literals(numbers: list[int]) -> str:
    return " | ".join(f'"{number}"' for number in numbers)


def _lower(bounds: dict) -> tuple[float | None, bool]:
    inclusive, exclusive = bounds.get("minimum"), bounds.get("exclusiveMinimum")
    if exclusive is not None and (inclusive is None or exclusive >= inclusive):
        return exclusive, True
    return inclusive, False


def _upper(bounds: dict) -> tuple[float | None, bool]:
    inclusive, exclusive = bounds.get("maximum"), bounds.get("exclusiveMaximum")
    if exclusive is not None and (inclusive is None or exclusive <= inclusive):
        return exclusive, True
    return inclusive, False


def _next_above(value: int | float | None) -> int | None:
    return None if value is None else math.floor(value) + 1


def _next_below(value: int | float | None) -> int | None:
    return None if value is None else math.ceil(value) - 1


def unroll_recursion(schema: dict) -> dict:
    """``schema`` with each definition that reaches itself copied `MAX_RECURSION` times, each copy
    referring to the next, the last to none (see the module)."""
    definitions = schema.get("$defs") if isinstance(schema.get("$defs"), dict) else {}
    cyclic = {name for name in definitions if name in _reachable(name, definitions)}
    if not cyclic:
        return schema
    unrolled = {name: _retarget(body, cyclic, 0) for name, body in definitions.items() if name not in cyclic}
    for depth in range(MAX_RECURSION):
        for name in cyclic:
            unrolled[f"{name}-d{depth}"] = _retarget(definitions[name], cyclic, depth + 1)
    root = _retarget({key: value for key, value in schema.items() if key != "$defs"}, cyclic, 0)
    return {**root, "$defs": unrolled}


def _reachable(start: str, definitions: dict) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for ref in _refs(definitions.get(todo.pop())):
            if ref not in seen:
                seen.add(ref)
                todo.append(ref)
    return seen


def _refs(schema: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        if isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/$defs/"):
            found.add(schema["$ref"][len("#/$defs/"):])
        for _, child in schema_children(schema):
            found |= _refs(child)
    return found


_CUT = {"$comment": "lingxi: recursion cut here"}
"""Where an unrolled definition stops (a dict, so that `map_subschemas` visits it)."""


def _retarget(schema: Any, cyclic: set[str], depth: int) -> Any:
    """A copy of ``schema`` whose references to cyclic definitions point at their copy for
    ``depth``; past `MAX_RECURSION` an optional property holding one is left out, an array of
    them is empty, and any other such place takes any value."""
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[len("#/$defs/"):] in cyclic:
        if depth >= MAX_RECURSION:
            return _CUT
        schema = {**schema, "$ref": f"{ref}-d{depth}"}
    out = map_subschemas(schema, lambda child: _retarget(child, cyclic, depth))
    if isinstance(out.get("properties"), dict):
        required = set(schema.get("required") or []) if isinstance(schema.get("required"), list) else set()
        out["properties"] = {name: child for name, child in out["properties"].items()
                             if child is not _CUT or name in required}
    if out.get("items") is _CUT and not out.get("minItems"):
        out["maxItems"] = 0  # an array of cut items holds none, which the schema allows
    return map_subschemas(out, lambda child: {} if child is _CUT else child)


def _with_children_prepared(schema: dict) -> dict:
    out = map_subschemas(schema, for_converter)
    if isinstance(out.get("properties"), dict):
        out["properties"] = {_property_name(name): child for name, child in out["properties"].items()
                             if child is not False}
    if isinstance(out.get("required"), list):
        out["required"] = [_property_name(name) for name in out["required"]]
    return out


def _property_name(name: Any) -> Any:
    return _REF_PROPERTY if name == "$ref" else name


def _add_required_properties(schema: dict) -> None:
    properties = schema.setdefault("properties", {})
    if not isinstance(properties, dict):
        return
    for name in schema["required"]:
        if isinstance(name, str) and name not in properties:
            properties[name] = dict(_ANY)


def grammar_pattern(pattern: str) -> str | None:
    """``pattern`` as the converter takes it (anchored, class escapes spelled out), or None."""
    if _UNSUPPORTED_PATTERN.search(pattern):
        return None
    for low, high in _REPEAT.findall(pattern):
        if (low and int(low) > MAX_REPEAT) or (high and int(high) > MAX_REPEAT):
            return None
    body = pattern[1:] if pattern.startswith("^") else pattern
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1]
    spelled = _spell_class_escapes(body)
    return None if spelled is None or "^" in spelled.replace("[^", "") or "$" in spelled.replace("\\$", "") \
        else f"^({spelled})$"


def _spell_class_escapes(pattern: str) -> str | None:
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            letter = pattern[index + 1]
            if letter in _CLASS_ESCAPES:
                out.append(_CLASS_ESCAPES[letter] if in_class else f"[{_CLASS_ESCAPES[letter]}]")
            elif letter in _NEGATED_ESCAPES:
                if in_class:
                    return None
                out.append(_NEGATED_ESCAPES[letter])
            else:
                out.append(pattern[index:index + 2])
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)


# ---- the grammar, bounded --------------------------------------------------------------------

_ESCAPE = r'"\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])'
_SAFE_RULES = {
    "char": r'[^"\\<\x7F\x00-\x1F] | char-escape | "<" char-after-lt',
    "char-escape": _ESCAPE,
    # After "<": not "|" "｜" "/" "t" "s" "e" (tags, special tokens), not another "<".
    "char-after-lt": r'[^"\\<|｜/tse\x7F\x00-\x1F] | char-escape',
    "string": rf'"\"" char{{0,{FORCED_STRING_MAX_LENGTH}}} "\"" space',
}
_GENERIC = ("value", "object", "array")


def _generic_rules() -> dict[str, str]:
    """Any JSON value, at most MAX_GENERIC_DEPTH levels deep and MAX_OPTIONAL_ITEMS wide."""
    more = f"{{0,{MAX_OPTIONAL_ITEMS - 1}}}"
    rules = {"lingxi-scalar": "string | number | boolean | null"}
    names = ["value", *(f"lingxi-value-{level}" for level in range(1, MAX_GENERIC_DEPTH))]
    objects = ["object", *(f"lingxi-object-{level}" for level in range(1, MAX_GENERIC_DEPTH))]
    arrays = ["array", *(f"lingxi-array-{level}" for level in range(1, MAX_GENERIC_DEPTH))]
    for level in range(MAX_GENERIC_DEPTH):
        inner = names[level + 1] if level + 1 < MAX_GENERIC_DEPTH else "lingxi-scalar"
        rules[names[level]] = f"{objects[level]} | {arrays[level]} | lingxi-scalar"
        member = f'string ":" space {inner}'
        rules[objects[level]] = f'"{{" space ( {member} ( "," space {member} ){more} )? "}}" space'
        rules[arrays[level]] = f'"[" space ( {inner} ( "," space {inner} ){more} )? "]" space'
    return rules


def _parse_rules(text: str) -> dict[str, str]:
    rules: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip():
            name, body = line.split(" ::= ", 1)
            rules[name] = body
    return rules


def _bounded_rules(rules: dict[str, str]) -> dict[str, str]:
    from llama_cpp.llama_grammar import PRIMITIVE_RULES

    bounded = {name: _no_raw_quotes(body) for name, body in rules.items()}
    for name, body in bounded.items():
        if name.endswith("additional-kvs") and body.endswith(")*"):
            bounded[name] = body[:-1] + f"{{0,{MAX_OPTIONAL_ITEMS - 1}}}"
    if any(name in bounded for name in _GENERIC):
        bounded.update(_generic_rules())
        for primitive in ("number", "integral-part", "decimal-part", "boolean", "null"):
            bounded.setdefault(primitive, PRIMITIVE_RULES[primitive].content)
        bounded["string"] = _SAFE_RULES["string"]
    if "string" in bounded or "char" in bounded:
        keep_string = "string" in bounded
        bounded.update({name: body for name, body in _SAFE_RULES.items() if name != "string" or keep_string})
    return bounded


def _no_raw_quotes(body: str) -> str:
    """Negated character classes (a pattern's ``[^a]``, the converter's ``dot``) must not match a
    quote, a backslash or a control character: inside a JSON string they would end or break it."""
    return body.replace("[^", r'[^"\\\x00-\x1F')


def _format(rules: dict[str, str]) -> str:
    return "\n".join(f"{name} ::= {body}" for name, body in sorted(rules.items()))
