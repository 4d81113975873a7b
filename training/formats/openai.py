"""OpenAI messages JSONL: one `{"messages": [...], "tools": [...]}` per line.

The app exports stored conversations in this format, and it is what Lingxi writes: UTF-8 with
Chinese kept as text (ensure_ascii=False). Extra top-level keys `id` and `source` are kept.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from training.conversation import Conversation, Example

NAME = "openai"


def detect(record: Any) -> bool:
    return isinstance(record, dict) and "messages" in record


def parse(record: Any, source: str | None = None) -> Conversation:
    return Conversation.from_record(record, source=source)


def write(examples: Iterable[Example], path: str | Path) -> int:
    """Write examples as JSONL (a `TextExample` as `{"text": ...}`); returns how many."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as file:
        for example in examples:
            file.write(json.dumps(example.to_record(), ensure_ascii=False) + "\n")
            count += 1
    return count
