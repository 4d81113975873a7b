"""A calibrated call decision: whether an answer opens with a tool call, decided from the
model's own probability of opening one, against a threshold chosen on a validation split.

Small models decide badly when left to their first sampled tokens: the shipped 135M adapter
calls a tool for a greeting and answers arithmetic from memory. Its probability of writing
``<tool_call>`` as the answer's first tokens is a better score than its sample: scored on the
validation split of the tool-use scenarios (never the test split, never BFCL), a threshold on it
trades call recall against abstention, and `lingxi eval decision` picks the threshold and draws
the curve. The threshold lives in the adapter's card (``call_decision``) and is used by default
only where it won on validation.

    EngineConfig(tool_decision="auto")          # the card's thresholds where they won, else the model's own
    EngineConfig(tool_decision="calibrated", call_threshold=0.3)
    EngineConfig(tool_decision="model")         # the model's first tokens decide

A "text" decision is final: the answer is written after the same prompt (nothing is evaluated
twice, and the conversation's next turn continues it), with the call opening barred token by token
(model/text_bar.py), on generators that can bar a text (llama.cpp); elsewhere, or with
``text_answers="without_tools"``, after the prompt without the tools.

The score is not equally spread in both languages (the shipped adapter is less sure of a call in
Chinese), so the card holds a threshold per language, and a request is judged by the language of
its last user message (`request_language`). A threshold given as an option serves both.
"""
from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path
from typing import Any, Literal

logger = logging.getLogger(__name__)

ToolDecision = Literal["auto", "model", "calibrated"]
Thresholds = dict[str, float]
"""A threshold per language of the request ("en", "zh")."""
TextAnswers = Literal["with_tools", "without_tools"]
"""Where a text answer the decision chose is written: after the prompt it scored, with the call
opening barred (model/text_bar.py), or after the prompt without the tools."""
CARD_KEY = "call_decision"
LANGUAGES = ("en", "zh")
_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


def request_language(messages: list[dict[str, Any]]) -> str:
    """"zh" when the last user message holds Chinese characters, else "en"."""
    text = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
    if isinstance(text, list):  # OpenAI content parts
        text = " ".join(part.get("text", "") for part in text if isinstance(part, dict))
    return "zh" if isinstance(text, str) and _HAN.search(text) else "en"


def threshold_for(thresholds: Thresholds | float | None, language: str) -> float | None:
    """The threshold a request in ``language`` is judged by (one number serves every language)."""
    if thresholds is None or isinstance(thresholds, (int, float)):
        return thresholds
    return thresholds.get(language)


def call_probability(generator: Any, prompt: str, opening: str, at_least: float | None = None) -> float | None:
    """P(the continuation of ``prompt`` starts with ``opening``), from a generator that can
    score a continuation (`continuation_logprob`), else None.

    ``at_least``: the caller only asks whether the probability reaches this. A generator that
    `stops_scoring_below_floor` may then stop once the opening's first tokens are less likely,
    and return their probability: below ``at_least`` as the whole opening's would be."""
    score = getattr(generator, "continuation_logprob", None)
    if score is None:
        return None
    if at_least and getattr(generator, "stops_scoring_below_floor", False):
        return math.exp(score(prompt, opening, floor=math.log(at_least)))
    return math.exp(score(prompt, opening))


def card_of(adapter: str | None) -> Path | None:
    """The eval card beside an adapter (a GGUF LoRA file or a peft folder), if it has one."""
    if not adapter:
        return None
    path = Path(adapter)
    for candidate in (path / "card.json", path.parent / "card.json", path.parent.parent / "card.json"):
        if candidate.is_file():
            return candidate
    return None


def card_threshold(adapter: str | None) -> tuple[Thresholds | None, bool]:
    """(the thresholds the adapter's card records, whether they won on validation)."""
    card = card_of(adapter)
    if card is None:
        return None, False
    try:
        decision = json.loads(card.read_text(encoding="utf-8")).get(CARD_KEY) or {}
    except (OSError, json.JSONDecodeError) as error:
        logger.warning("cannot read %s: %s", card, error)
        return None, False
    thresholds = decision.get("thresholds")
    if isinstance(thresholds, dict):
        recorded = {language: float(value) for language, value in thresholds.items()}
    elif decision.get("threshold") is not None:
        recorded = {language: float(decision["threshold"]) for language in LANGUAGES}
    else:
        recorded = None
    return recorded, bool(decision.get("default"))


def resolve_threshold(mode: ToolDecision, threshold: float | None, adapter: str | None) -> Thresholds | None:
    """The thresholds an engine decides with, or None when the model decides itself.

    model: None. calibrated: ``threshold`` (for every language), else the card's (an error
    without either). auto: ``threshold`` if given, else the card's where it won on validation."""
    if mode == "model":
        return None
    if threshold is not None:
        return {language: threshold for language in LANGUAGES}
    recorded, won = card_threshold(adapter)
    if mode == "calibrated":
        if recorded is None:
            raise ValueError("tool_decision 'calibrated' needs a threshold: give --call-threshold, or use an "
                             "adapter whose card records one (`lingxi eval decision`)")
        return recorded
    return recorded if won else None
