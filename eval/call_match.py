"""Name + argument matching of predicted calls against gold calls (API-Bank, Seal-Tools).

The rule, stated once:

- a predicted call matches a gold call when the names are equal (exactly) and the argument
  objects have the same keys with equal values after normalisation;
- normalisation: strings are case-folded with surrounding whitespace stripped and inner runs of
  whitespace collapsed; a number and a numeric string compare as numbers ("63" == 63 == 63.0);
  booleans equal booleans or "true"/"false"; lists compare element by element as multisets;
  dicts key by key;
- a gold value that stands for an earlier call's output (Seal-Tools writes "API_call_0") accepts
  any value: a model answering in one turn cannot know it, only that the argument is needed;
- an item is correct when its predicted calls match the gold calls one to one (order ignored,
  no extra and no missing call).

Second scores: `api_f1` over the multiset of called names, and `arg_f1` over the multiset of
(name, argument, normalised value) triples — Seal-Tools reports the same two levels. `arg_f1`
is None (not scored) for an item whose gold calls take no arguments.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

PLACEHOLDER = re.compile(r"^API_call_\d+$")
_SPACES = re.compile(r"\s+")


def normalize_value(value: Any) -> Any:
    """A hashable canonical form of an argument value (see the module docstring)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("num", float(value))
    if isinstance(value, str):
        text = _SPACES.sub(" ", value.strip()).casefold()
        if text in ("true", "false"):
            return ("bool", text == "true")
        number = _as_number(text)
        return ("num", number) if number is not None else ("str", text)
    if isinstance(value, (list, tuple)):
        return ("list", tuple(sorted((normalize_value(v) for v in value), key=repr)))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), normalize_value(v)) for k, v in value.items())))
    if value is None:
        return ("none",)
    return ("other", json.dumps(value, sort_keys=True, default=str))


def _as_number(text: str) -> float | None:
    try:
        number = float(text.replace(",", "")) if re.fullmatch(r"[-+]?[\d,]*\.?\d+(e[-+]?\d+)?", text) else None
    except ValueError:
        return None
    return number


def is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and bool(PLACEHOLDER.match(value.strip()))


def arguments_match(predicted: Any, gold: dict) -> bool:
    if not isinstance(predicted, dict) or set(predicted) != set(gold):
        return False
    return all(
        is_placeholder(value) or normalize_value(predicted[key]) == normalize_value(value)
        for key, value in gold.items()
    )


def call_matches(predicted: dict, gold: dict) -> bool:
    return predicted.get("name") == gold["name"] and arguments_match(predicted.get("arguments"), gold["arguments"])


@dataclass
class MatchResult:
    correct: bool
    error_type: str | None
    error: str
    api_f1: float
    arg_f1: float | None

    def scores(self) -> dict[str, float]:
        scores = {"call_acc": float(self.correct), "api_f1": self.api_f1}
        if self.arg_f1 is not None:
            scores["arg_f1"] = self.arg_f1
        return scores


def match_calls(predicted: list[dict], gold: list[dict]) -> MatchResult:
    """Score predicted calls ({"name", "arguments"}) against gold calls of the same shape."""
    api_f1 = f1(Counter(c.get("name") for c in predicted), Counter(g["name"] for g in gold))
    arg_f1 = _arg_f1(predicted, gold)
    if not predicted:
        return MatchResult(False, "no_call", "the model made no call", api_f1, arg_f1)
    unmatched = list(range(len(predicted)))
    for index, gold_call in enumerate(gold):
        hit = next((p for p in unmatched if call_matches(predicted[p], gold_call)), None)
        if hit is None:
            error_type, error = _why(gold_call, [predicted[p] for p in unmatched])
            return MatchResult(False, error_type, f"gold call {index}: {error}", api_f1, arg_f1)
        unmatched.remove(hit)
    if unmatched:
        names = [predicted[p].get("name") for p in unmatched]
        return MatchResult(False, "extra_call", f"calls beyond the gold answer: {names}", api_f1, arg_f1)
    return MatchResult(True, None, "", api_f1, arg_f1)


def _why(gold_call: dict, candidates: list[dict]) -> tuple[str, str]:
    same = [c for c in candidates if c.get("name") == gold_call["name"]]
    if not same:
        names = [c.get("name") for c in candidates]
        return "wrong_name", f"expected {gold_call['name']!r}, got {names}"
    arguments = same[0].get("arguments")
    if not isinstance(arguments, dict):
        return "wrong_arguments", "arguments are not an object"
    missing = sorted(set(gold_call["arguments"]) - set(arguments))
    extra = sorted(set(arguments) - set(gold_call["arguments"]))
    if missing:
        return "missing_argument", f"{gold_call['name']}: missing {missing}"
    if extra:
        return "unexpected_argument", f"{gold_call['name']}: unexpected {extra}"
    wrong = [k for k, v in gold_call["arguments"].items()
             if not is_placeholder(v) and normalize_value(arguments[k]) != normalize_value(v)]
    detail = ", ".join(f"{k}={arguments[k]!r:.60} (gold {gold_call['arguments'][k]!r:.60})" for k in wrong)
    return "wrong_value", f"{gold_call['name']}: {detail}"


def _triples(calls: list[dict]) -> Counter:
    triples: Counter = Counter()
    for call in calls:
        arguments = call.get("arguments") if isinstance(call.get("arguments"), dict) else {}
        for key, value in arguments.items():
            triples[(call.get("name"), key, normalize_value(value))] += 1
    return triples


def _arg_f1(predicted: list[dict], gold: list[dict]) -> float | None:
    gold_triples: Counter = Counter()
    wildcards: Counter = Counter()
    for call in gold:
        for key, value in call["arguments"].items():
            if is_placeholder(value):
                wildcards[(call["name"], key)] += 1
            else:
                gold_triples[(call["name"], key, normalize_value(value))] += 1
    predicted_triples = _triples(predicted)
    matched = sum((predicted_triples & gold_triples).values())
    # A placeholder argument is matched by any value given under that name and key.
    leftover = predicted_triples - gold_triples
    for (name, key), count in wildcards.items():
        available = sum(n for (n_name, n_key, _), n in leftover.items() if (n_name, n_key) == (name, key))
        matched += min(count, available)
    n_predicted = sum(predicted_triples.values())
    n_gold = sum(gold_triples.values()) + sum(wildcards.values())
    return None if n_gold == 0 else _f1_from_counts(matched, n_predicted, n_gold)


def f1(predicted: Counter, gold: Counter) -> float:
    return _f1_from_counts(sum((predicted & gold).values()), sum(predicted.values()), sum(gold.values()))


def _f1_from_counts(matched: int, n_predicted: int, n_gold: int) -> float:
    if n_predicted == 0 and n_gold == 0:
        return 1.0
    if matched == 0:
        return 0.0
    precision, recall = matched / n_predicted, matched / n_gold
    return 2 * precision * recall / (precision + recall)


TYPE_TO_JSON_SCHEMA = {
    "str": "string",
    "string": "string",
    "int": "integer",
    "integer": "integer",
    "float": "number",
    "number": "number",
    "bool": "boolean",
    "boolean": "boolean",
    "list": "array",
    "array": "array",
    "dict": "object",
    "object": "object",
}


def python_type_schema(type_name: Any) -> dict[str, Any]:
    """A Python-ish type name from API-Bank / Seal-Tools ("str", "list(str)", "int") -> JSON Schema."""
    text = str(type_name or "str").strip()
    inner = re.fullmatch(r"(list|List|array)\s*[\(\[]\s*(\w+)\s*[\)\]]", text)
    if inner:
        return {"type": "array", "items": python_type_schema(inner.group(2))}
    return {"type": TYPE_TO_JSON_SCHEMA.get(text.lower(), "string")}


def tool_schema(name: str, description: str, parameters: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """An OpenAI tool from {param: {"type", "description"}}."""
    properties = {}
    for param, spec in parameters.items():
        spec = spec if isinstance(spec, dict) else {}
        schema = python_type_schema(spec.get("type"))
        if spec.get("description"):
            schema["description"] = str(spec["description"])
        properties[param] = schema
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": list(required)},
        },
    }


class GoldCallsBenchmark:
    """Mixin for benchmarks whose items hold gold calls in `item.data["gold"]` and whose requests
    offer `item.data["tools"]`: the checking is the same, whatever the data looks like."""

    def request_for(self, item, messages):
        from model.types import ChatRequest

        return ChatRequest(messages=messages, tools=item.data["tools"], tool_choice="auto",
                           sampling=self.sampling())

    def check(self, item, prediction):
        result = match_calls(prediction.calls, item.data["gold"])
        return self.record(item, prediction, correct=result.correct, scores=result.scores(),
                           error_type=result.error_type, error=result.error,
                           details={"gold": item.data["gold"]})
