"""Alpaca: `{"instruction", "input", "output", "system"?, "history"?}` records, as LLaMA-Factory
reads them: the user turn is the instruction and the input joined by a newline, `history` is a
list of earlier `[user, assistant]` pairs. One-way: Lingxi never writes Alpaca."""
from __future__ import annotations

from typing import Any

from training.conversation import Conversation
from training.errors import DataFormatError

NAME = "alpaca"


def detect(record: Any) -> bool:
    return isinstance(record, dict) and "instruction" in record and "output" in record


def parse(record: Any, source: str | None = None) -> Conversation:
    if not isinstance(record, dict):
        raise DataFormatError(f"expected a JSON object, got {type(record).__name__}")
    for key in ("instruction", "output"):
        if not isinstance(record.get(key), str):
            raise DataFormatError(f'"{key}" must be a string')
    messages: list[dict[str, Any]] = []
    if record.get("system"):
        messages.append({"role": "system", "content": str(record["system"])})
    for number, pair in enumerate(record.get("history") or []):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise DataFormatError(f"history item {number}: expected a [user, assistant] pair of strings")
        messages += [{"role": "user", "content": pair[0]}, {"role": "assistant", "content": pair[1]}]
    query = "\n".join(part for part in (record["instruction"], record.get("input") or "") if part)
    messages += [{"role": "user", "content": query}, {"role": "assistant", "content": record["output"]}]
    return Conversation(messages, id=_id(record), source=source)


def _id(record: dict[str, Any]) -> str | None:
    return None if record.get("id") is None else str(record["id"])
