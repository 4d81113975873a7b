"""BFCL's AST checker rules, reimplemented: is a list of model calls one of the gold answers?

The rules follow the Berkeley Function Calling Leaderboard's published `ast_checker.py` for Python
functions:

- the function name must match (names are compared after the caller maps legalised names back);
- every required parameter must be present, and no parameter may appear that is not in both the
  schema and the gold answer;
- a gold parameter whose acceptable values include "" may be left out; any other must be given;
- each value must have the schema's type (an int is accepted where a float is expected; a value
  of the gold answer's own type is also accepted, as BFCL does for "variable" answers) and must
  equal one of the acceptable values: strings after BFCL's normalisation (lowercase, drop spaces
  and , . / - _ * ^, single quotes as double quotes), lists element by element, dicts key by key
  with their own lists of acceptable values;
- parallel calls are matched one to one regardless of order; irrelevance passes only without a call.

Differences from BFCL, all in the lenient direction and on purpose: parallel matching is a full
bipartite matching (BFCL matches greedily, which can miss a valid assignment); types and values
are checked recursively at every depth (BFCL checks one level); an int inside a float array is
accepted; the type "any" accepts any value; a required parameter that the gold answer itself leaves
out (a known data quirk) is not demanded, and the outcome carries a note saying so.

Nothing here raises on odd data: malformed gold answers or calls give an outcome with an
error type starting with "gold:" or "call:".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

OPTIONAL = ""
"""BFCL marks "this parameter may be omitted" by listing "" among the acceptable values."""

_STRIP = re.compile(r"[ ,./\-_*^]")


@dataclass
class CheckOutcome:
    valid: bool
    error_type: str | None = None
    error: str = ""
    notes: list[str] = field(default_factory=list)


def _fail(error_type: str, error: str, notes: list[str] | None = None) -> CheckOutcome:
    return CheckOutcome(False, error_type, error, list(notes or []))


def standardize_string(text: str) -> str:
    """BFCL's string normalisation: 'April 1, 2024' and 'april 1 2024' compare equal."""
    return _STRIP.sub("", text).lower().replace("'", '"')


# ---- entry point ----------------------------------------------------------------------------
def check_calls(category: str, functions: list[dict], calls: list[dict], gold: Any) -> CheckOutcome:
    """Check `calls` ([{"name", "arguments"}], names already mapped back to the schema's) for a
    BFCL category: simple_python / multiple / parallel / parallel_multiple / irrelevance."""
    if category == "irrelevance":
        if calls:
            return _fail("irrelevance:made_call", f"expected no call, got {len(calls)}")
        return CheckOutcome(True)
    bad_call = _malformed_call(calls)
    if bad_call:
        return _fail("call:malformed", bad_call)
    if not isinstance(gold, list) or not gold or not all(_gold_call_parts(g) for g in gold):
        return _fail("gold:malformed", f"unusable ground truth: {gold!r:.200}")
    if not calls:
        return _fail("no_call", "the model made no function call")
    if len(calls) != len(gold):
        return _fail("wrong_count", f"expected {len(gold)} call(s), got {len(calls)}")
    if "parallel" in category:
        return _check_parallel(functions, calls, gold)
    return check_one_call(functions, calls[0], gold[0])


def _malformed_call(calls: Any) -> str:
    if not isinstance(calls, list):
        return "calls is not a list"
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            return f"call without a name: {call!r:.100}"
        if not isinstance(call.get("arguments", {}), dict):
            return f"arguments of {call['name']} are not an object"
    return ""


def _gold_call_parts(gold_call: Any) -> tuple[str, dict] | None:
    """A gold call is {name: {param: [acceptable values]}}."""
    if not isinstance(gold_call, dict) or len(gold_call) != 1:
        return None
    (name, params), = gold_call.items()
    if not isinstance(name, str) or not isinstance(params, dict):
        return None
    return name, params


def find_function(functions: list[dict], name: str) -> dict | None:
    for function in functions:
        if isinstance(function, dict) and function.get("name") == name:
            return function
    return None


# ---- one call ---------------------------------------------------------------------------------
def check_one_call(functions: list[dict], call: dict, gold_call: dict) -> CheckOutcome:
    parts = _gold_call_parts(gold_call)
    if parts is None:
        return _fail("gold:malformed", f"unusable gold call: {gold_call!r:.200}")
    gold_name, gold_params = parts
    function = find_function(functions, gold_name)
    if function is None or not isinstance(function.get("parameters"), dict):
        return _fail("gold:unknown_function", f"gold names {gold_name!r}, which has no usable schema")
    if call["name"] != gold_name:
        return _fail("wrong_func_name", f"expected {gold_name!r}, got {call['name']!r}")
    schema = function["parameters"]
    properties = schema.get("properties") or {}
    arguments = call.get("arguments") or {}
    notes: list[str] = []

    for param in schema.get("required") or []:
        if param in arguments:
            continue
        if param not in gold_params or _only_optional(gold_params[param]):
            notes.append(f"gold answer leaves out required parameter {param!r}")
            continue
        return _fail("missing_required", f"missing required parameter {param!r}", notes)

    for param, value in arguments.items():
        if param not in properties or param not in gold_params:
            return _fail("unexpected_param", f"unexpected parameter {param!r}", notes)
        outcome = check_param(param, value, _as_list(gold_params[param]), properties[param])
        if not outcome.valid:
            outcome.notes = notes
            return outcome

    for param, acceptable in gold_params.items():
        if param not in arguments and OPTIONAL not in _as_list(acceptable):
            if param in (schema.get("required") or []) or param in properties:
                return _fail("missing_optional", f"parameter {param!r} not given and not optional", notes)
            notes.append(f"gold answer demands {param!r}, which the schema lacks")
            return _fail("gold:unknown_param", f"gold demands unknown parameter {param!r}", notes)
    return CheckOutcome(True, notes=notes)


def _as_list(acceptable: Any) -> list:
    return acceptable if isinstance(acceptable, list) else [acceptable]


def _only_optional(acceptable: Any) -> bool:
    return all(value == OPTIONAL for value in _as_list(acceptable))


def check_param(param: str, value: Any, acceptable: list, schema: Any) -> CheckOutcome:
    """Type, then value, of one argument against its list of acceptable values."""
    schema = schema if isinstance(schema, dict) else {}
    declared = schema.get("type")
    if not type_matches(value, {"type": declared}):
        gold_type = _gold_value_type(acceptable)
        # BFCL's "variable" rule: a value of the gold answer's own type is judged by value.
        if gold_type is None or not _same_kind(value, gold_type):
            return _fail("type_error:simple", f"parameter {param!r}: expected {declared}, got {type(value).__name__}")
    elif not type_matches(value, schema) and not any(_elements_like_gold(value, o) for o in acceptable):
        return _fail("type_error:nested", f"parameter {param!r}: an element is not of the declared {declared} type")
    # "" itself stays comparable: BFCL accepts an empty string where "" is listed.
    if any(values_equal(value, option, schema) for option in acceptable):
        return CheckOutcome(True)
    kind = {
        "string": "value_error:string",
        "array": "value_error:list/tuple",
        "tuple": "value_error:list/tuple",
        "dict": "value_error:dict",
    }.get(declared, "value_error:others")
    return _fail(kind, f"parameter {param!r}: {value!r:.80} is not one of {acceptable!r:.160}")


def _is_optional_marker(option: Any) -> bool:
    return isinstance(option, str) and option == OPTIONAL


def _gold_value_type(acceptable: list) -> type | None:
    for option in acceptable:
        if not _is_optional_marker(option):
            return type(option)
    return None


def _elements_like_gold(value: Any, option: Any) -> bool:
    """The "variable" rule one level down: list elements of the gold list's own element type."""
    if not isinstance(value, (list, tuple)) or not isinstance(option, list):
        return False
    gold_type = _gold_value_type(option)
    return gold_type is not None and all(_same_kind(element, gold_type) for element in value)


def _same_kind(value: Any, gold_type: type) -> bool:
    if gold_type is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return type(value) is gold_type


# ---- types ----------------------------------------------------------------------------------
def type_matches(value: Any, schema: dict) -> bool:
    """Does `value` (decoded JSON) have the BFCL Python type the schema declares, at every depth?"""
    declared = schema.get("type") if isinstance(schema, dict) else None
    if declared in (None, "any") or not isinstance(declared, str):
        return True
    if declared == "string":
        return isinstance(value, str)
    if declared == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if declared in ("float", "number"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if declared == "boolean":
        return isinstance(value, bool)
    if declared in ("array", "tuple"):
        items = schema.get("items")
        return isinstance(value, (list, tuple)) and (
            not isinstance(items, dict) or all(type_matches(element, items) for element in value)
        )
    if declared in ("dict", "object"):
        if not isinstance(value, dict):
            return False
        properties = schema.get("properties") or {}
        return all(type_matches(v, properties[k]) for k, v in value.items() if k in properties)
    return True


# ---- values ---------------------------------------------------------------------------------
def values_equal(value: Any, gold: Any, schema: Any = None) -> bool:
    """One value against one acceptable gold value, recursively.

    A gold dict maps each key to its own list of acceptable values (BFCL's format for dict
    parameters and for the dicts inside a list of dicts)."""
    schema = schema if isinstance(schema, dict) else {}
    if isinstance(gold, dict):
        return isinstance(value, dict) and _dict_equal(value, gold, schema)
    if isinstance(gold, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(gold):
            return False
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        return all(values_equal(v, g, items) for v, g in zip(value, gold))
    if isinstance(gold, str):
        return isinstance(value, str) and standardize_string(value) == standardize_string(gold)
    if isinstance(gold, bool) or isinstance(value, bool):
        return isinstance(gold, bool) and isinstance(value, bool) and gold == value
    if isinstance(gold, (int, float)):
        return isinstance(value, (int, float)) and value == gold
    return value == gold


def _dict_equal(value: dict, gold: dict, schema: dict) -> bool:
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    for key, item in value.items():
        if key not in gold:
            return False
        acceptable = _as_list(gold[key])
        sub_schema = properties.get(key, {})
        if not any(values_equal(item, option, sub_schema) for option in acceptable):
            return False
    return all(key in value or OPTIONAL in _as_list(options) for key, options in gold.items())


# ---- parallel ---------------------------------------------------------------------------------
def _check_parallel(functions: list[dict], calls: list[dict], gold: list[dict]) -> CheckOutcome:
    """One-to-one matching of gold calls to model calls, in any order (Kuhn's augmenting paths)."""
    outcomes = [[check_one_call(functions, call, gold_call) for call in calls] for gold_call in gold]
    match_of_call: dict[int, int] = {}

    def assign(g: int, seen: set[int]) -> bool:
        for c, outcome in enumerate(outcomes[g]):
            if outcome.valid and c not in seen:
                seen.add(c)
                if c not in match_of_call or assign(match_of_call[c], seen):
                    match_of_call[c] = g
                    return True
        return False

    notes = sorted({note for row in outcomes for outcome in row if outcome.valid for note in outcome.notes})
    for g in range(len(gold)):
        if not assign(g, set()):
            reason = _closest_failure(outcomes[g], gold[g], calls)
            return _fail(
                "cannot_find_match",
                f"no model call matches gold call {g} ({reason.error_type}: {reason.error})",
                notes,
            )
    return CheckOutcome(True, notes=notes)


def _closest_failure(row: list[CheckOutcome], gold_call: dict, calls: list[dict]) -> CheckOutcome:
    """The most telling failure for an unmatched gold call: against a same-named call if any."""
    name = next(iter(gold_call))
    same_name = [outcome for outcome, call in zip(row, calls) if call["name"] == name and not outcome.valid]
    failures = same_name or [outcome for outcome in row if not outcome.valid]
    return failures[0] if failures else row[0]


# ---- gold answers as calls (for validating the checker, and for building examples) ------------
def calls_from_gold(gold: list[dict], functions: list[dict], include_optional: bool = False) -> list[dict]:
    """One concrete correct answer: the first acceptable value of each parameter.

    Parameters the gold lets you omit are left out, unless `include_optional` (then they are
    given their first non-empty acceptable value when the schema knows them, or when required)."""
    calls = []
    for gold_call in gold:
        name, params = _gold_call_parts(gold_call) or ("", {})
        function = find_function(functions, name) or {}
        schema = function.get("parameters") or {}
        required = set(schema.get("required") or [])
        known = set((schema.get("properties") or {}).keys())
        arguments = {}
        for param, acceptable in params.items():
            options = [o for o in _as_list(acceptable) if not _is_optional_marker(o)]
            omittable = len(options) < len(_as_list(acceptable))
            if not options or (omittable and param not in required and not (include_optional and param in known)):
                continue
            arguments[param] = _concrete(options[0], include_optional)
        calls.append({"name": name, "arguments": arguments})
    return calls


def _concrete(option: Any, include_optional: bool) -> Any:
    if isinstance(option, dict):
        concrete = {}
        for key, acceptable in option.items():
            options = [o for o in _as_list(acceptable) if not _is_optional_marker(o)]
            omittable = len(options) < len(_as_list(acceptable))
            if options and (include_optional or not omittable):
                concrete[key] = _concrete(options[0], include_optional)
        return concrete
    if isinstance(option, list):
        return [_concrete(element, include_optional) for element in option]
    return option
