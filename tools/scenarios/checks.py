"""The checker of tool-use scenarios: did the model choose the right tool, fill valid and correct
arguments, and answer correctly? It lives beside the generator so data and checker share one
definition of "correct".

- tool choice: the set of tools called equals the gold set (no call at all for no_tool and
  irrelevant);
- arguments valid: each call passes its tool's own schema (the registry's validation);
- arguments correct, by kind: a calculator expression has the gold value (any equivalent
  expression counts; parallel calls match the gold values one to one); python code prints the
  gold output when run in the sandbox; a search query names the topic; a page URL is the gold URL;
  an ocr or speech_to_text call names the attached file (speech_to_text's language, if given, is
  "auto" or the one spoken); a text_to_speech call speaks the text asked for (case, spacing and
  punctuation aside);
- answer correct: a calculator answer states the gold value(s); a python answer contains the
  printed output; a web, knowledge-base or page answer contains the key fact; an ocr or
  speech_to_text answer carries what was read or heard (every one of its key phrases); a
  text_to_speech answer names the file the speech was written to; no_tool and irrelevant answers
  are any non-empty text without a call;
- an item is correct when all that applies to it holds.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from tools.errors import ToolError
from tools.scenarios.generate import (FILE_CHECKS, MEDIA_KINDS, NO_CALL_KINDS, Observer, Scenario, _numeric, _stdout,
                                     schema_registry)

_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")


@dataclass
class Score:
    tool_choice: bool
    args_valid: bool | None
    """None when no call was made."""
    args_correct: bool
    answer_correct: bool
    correct: bool
    reason: str = ""
    """Why the item failed, as a short stable tag ('' when correct)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score(scenario: Scenario, calls: list[dict[str, Any]], answer: str, observer: Observer) -> Score:
    """Score the model's first-turn `calls` ({"name", "arguments"}) and its final `answer` text."""
    if scenario.kind in NO_CALL_KINDS:
        ok = not calls and bool(answer.strip())
        return Score(tool_choice=not calls, args_valid=None, args_correct=not calls, answer_correct=ok, correct=ok,
                     reason="" if ok else ("unneeded_call" if calls else "empty_answer"))
    if not calls:
        return Score(False, None, False, False, False, "no_call")
    chosen = sorted({call["name"] for call in calls}) == sorted({call["name"] for call in scenario.calls})
    valid = all(_valid(observer, scenario, call) for call in calls)
    right_args = chosen and valid and _arguments_correct(scenario, calls, observer)
    right_answer = answer_correct(scenario, answer)
    correct = chosen and valid and right_args and right_answer
    reason = ("" if correct else "wrong_tool" if not chosen else "invalid_arguments" if not valid
              else "wrong_arguments" if not right_args else "wrong_answer")
    return Score(chosen, valid, right_args, right_answer, correct, reason)


def _valid(observer: Observer, scenario: Scenario, call: dict[str, Any]) -> bool:
    registry = schema_registry()
    if call["name"] not in registry or call["name"] not in scenario.tools:
        return False
    try:
        registry.get(call["name"]).validate(call.get("arguments") or {})
    except ToolError:
        return False
    return True


def _arguments_correct(scenario: Scenario, calls: list[dict[str, Any]], observer: Observer) -> bool:
    expect = scenario.expect
    arguments = [call.get("arguments") or {} for call in calls]
    if scenario.kind in ("calculator", "parallel"):
        values = []
        for args in arguments:
            ok, text = observer.observe(scenario, "calculator", args)
            values.append(_numeric(text) if ok else None)
        return _same_numbers(values, expect["values"])
    if scenario.kind == "python":
        ok, text = observer.observe(scenario, "python", arguments[0])
        return ok and _normal(_stdout(text)) == _normal(expect["output"])
    if scenario.kind == "fetch_url":
        return any(_url(args.get("url")) == _url(expect["url"]) for args in arguments)
    if scenario.kind in MEDIA_KINDS:
        return all(_media_arguments_correct(scenario, args) for args in arguments)
    query = " ".join(str(args.get("query", "")) for args in arguments).lower()
    return any(keyword.lower() in query for keyword in expect["query_keywords"])


def answer_correct(scenario: Scenario, answer: str) -> bool:
    """Does the final answer state what the gold answer states (see the module docstring)?"""
    if not answer.strip():
        return False
    expect = scenario.expect
    if scenario.kind in ("calculator", "parallel"):
        stated = [_numeric(match.replace(",", "")) for match in _NUMBER.findall(answer)]
        return all(any(_close(value, gold) for value in stated) for gold in expect["values"])
    if scenario.kind == "python":
        return _normal(expect["output"]) in _normal(answer)
    if scenario.kind in MEDIA_KINDS:
        return all(_normal(key).lower() in _normal(answer).lower() for key in expect["answer_keys"])
    lowered = answer.lower()
    return any(key.lower() in lowered for key in expect["answer_keys"])


def _media_arguments_correct(scenario: Scenario, arguments: dict[str, Any]) -> bool:
    """The attached file named (as the workspace reads a name), or the text asked for spoken."""
    if scenario.kind == "text_to_speech":
        return _spoken(arguments.get("text")) == _spoken(scenario.expect["text"])
    name = str(arguments.get(FILE_CHECKS[scenario.kind][0]) or "").strip().removeprefix("./")
    language = arguments.get("language", "auto")
    return name == scenario.expect["file"] and language in ("auto", scenario.expect.get("language", "auto"))


def _spoken(text: Any) -> str:
    """The words of a text to speak: quotes, punctuation, case and spacing do not change what is heard."""
    return " ".join(re.sub(r"[^\w\s']", " ", str(text or "")).lower().split())


def _same_numbers(values: list[float | None], gold: list[float | None]) -> bool:
    if len(values) != len(gold):
        return False
    remaining = list(gold)
    for value in values:
        match = next((g for g in remaining if _close(value, g)), "none")
        if match == "none":
            return False
        remaining.remove(match)
    return True


def _close(value: float | None, gold: float | None) -> bool:
    if value is None or gold is None:
        return False
    # an answer may round: 2 decimals (or 3 significant digits for long fractions) count
    return math.isclose(value, gold, rel_tol=1e-3, abs_tol=0.006)


def _normal(text: str) -> str:
    return " ".join(str(text).split())


def _url(url: Any) -> str:
    return str(url or "").strip().rstrip("/").lower()
