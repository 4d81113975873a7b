"""Raw text for incremental pre-training: a .txt file (documents separated by blank lines) or
JSON/JSONL records with a "text" field."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from training.conversation import TextExample
from training.errors import DataFormatError

NAME = "text"
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


def detect(record: Any) -> bool:
    return isinstance(record, dict) and isinstance(record.get("text"), str) and "messages" not in record


def parse(record: Any, source: str | None = None) -> TextExample:
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise DataFormatError('expected an object with a "text" string')
    return TextExample(record["text"], id=None if record.get("id") is None else str(record["id"]), source=source)


def split_documents(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, document) for each blank-line-separated document of a .txt file."""
    text = text.replace("\r\n", "\n")
    position = 0
    for match in [*_BLANK_LINES.finditer(text), None]:
        end = match.start() if match else len(text)
        chunk = text[position:end]
        if chunk.strip():
            leading = len(chunk) - len(chunk.lstrip())
            yield text.count("\n", 0, position + leading) + 1, chunk.strip()
        if match:
            position = match.end()
