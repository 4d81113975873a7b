"""JSON records with the line each starts on: JSONL, a JSON array (as LLaMA-Factory writes it),
or a single JSON object. A record that does not parse is reported, with its line, and reading
goes on where the format allows it (JSONL: the next line; an array: nowhere, the rest is lost)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.errors import DataFormatError


@dataclass
class RawRecord:
    location: str
    """"file.jsonl:12", or "file.json:40 (item 3)" for an item of a JSON array."""
    value: Any = None
    error: str | None = None
    """Why the record does not parse as JSON; value is None then."""


def read_text(path: str | Path) -> str:
    """A data file as text: UTF-8 (a byte-order mark is dropped); anything else is an error."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataFormatError(f"cannot read the file ({error.strerror})", str(path)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DataFormatError(f"not UTF-8 text (byte {error.start})", f"{path}:{line}") from None


def iter_json_records(path: str | Path, text: str | None = None) -> Iterator[RawRecord]:
    text = read_text(path) if text is None else text
    body = text.lstrip()
    if body.startswith("["):
        yield from _iter_array(str(path), text)
        return
    records = _iter_lines(str(path), text)
    first = next(records, None)
    if first is None:
        return
    if first.error is not None and body.startswith("{"):
        try:  # one pretty-printed JSON object
            yield RawRecord(f"{path}:{_line_of(text, text.index('{'))}", json.loads(text))
            return
        except json.JSONDecodeError:
            pass
    yield first
    yield from records


def _iter_lines(name: str, text: str) -> Iterator[RawRecord]:
    # Lines end at "\n" only: str.splitlines() would also split at U+2028 and U+2029, which
    # json.dumps(ensure_ascii=False) leaves raw inside strings (GSM8K questions hold some).
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield RawRecord(f"{name}:{number}", json.loads(line))
        except json.JSONDecodeError as error:
            yield RawRecord(f"{name}:{number}", error=f"invalid JSON ({error.msg}, column {error.colno})")


def _iter_array(name: str, text: str) -> Iterator[RawRecord]:
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    line, counted = 1, 0  # line number of `counted`, counted incrementally
    index = 0
    while True:
        position = _skip_space(text, position)
        if position < len(text) and text[position] == "]" and index == 0:
            return
        line += text.count("\n", counted, position)
        counted = position
        where = f"{name}:{line} (item {index})"
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            yield RawRecord(where, error=f"invalid JSON at line {error.lineno}, column {error.colno} "
                                         f"({error.msg}); the rest of the array is not read")
            return
        yield RawRecord(where, value)
        index += 1
        position = _skip_space(text, end)
        if position < len(text) and text[position] == ",":
            position += 1
            continue
        if position < len(text) and text[position] == "]":
            return
        line += text.count("\n", counted, position)
        counted = position
        yield RawRecord(f"{name}:{line}", error="expected ',' or ']' after an array item; the rest is not read")
        return


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1
