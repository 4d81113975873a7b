"""Reading training data files: one module per format, one table of them, one entry point.

| format   | file                                  | becomes        | written by Lingxi |
|----------|---------------------------------------|----------------|-------------------|
| openai   | JSONL `{"messages", "tools"}`         | Conversation   | yes (`write_openai_jsonl`) |
| sharegpt | LLaMA-Factory JSON array or JSONL     | Conversation   | yes (`write_sharegpt_json`) |
| alpaca   | instruction / input / output records  | Conversation   | no |
| text     | .txt (blank-line documents) or `{"text"}` | TextExample | via openai writer |

`iter_examples` never stops at a bad record: it yields each record with its location and its
problems (parse errors and validation). `read_examples` is the strict or skipping wrapper.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Literal

from training.conversation import Conversation, Example, Problem, TextExample
from training.errors import DataFormatError
from training.formats import alpaca, openai, sharegpt, text
from training.formats.records import iter_json_records, read_text

logger = logging.getLogger(__name__)

FORMATS: dict[str, ModuleType] = {module.NAME: module for module in (openai, sharegpt, alpaca, text)}
"""Name -> module with `detect(record) -> bool` and `parse(record, source) -> Example`."""
FORMAT_NAMES = ("auto", *FORMATS)

write_openai_jsonl = openai.write


@dataclass
class ReadItem:
    """One record of a file: the example (None when it could not be read) and its problems."""

    location: str
    example: Example | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.example is not None and not any(p.severity == "error" for p in self.problems)


def detect_format(path: str | Path) -> str:
    """The format of a file, from its extension (.txt) or its first record's keys."""
    path = Path(path)
    if path.suffix.lower() in (".txt", ".text", ".md"):
        return text.NAME
    for record in iter_json_records(path):
        if record.error is not None:
            raise DataFormatError(f"cannot detect the format: {record.error}", record.location)
        for name in (openai.NAME, sharegpt.NAME, alpaca.NAME, text.NAME):
            if FORMATS[name].detect(record.value):
                return name
        keys = sorted(record.value) if isinstance(record.value, dict) else type(record.value).__name__
        raise DataFormatError(
            f"cannot detect the format from the first record (keys: {keys}); expected "
            '"messages" (openai), "conversations" (sharegpt), "instruction"+"output" (alpaca) '
            'or "text"', record.location)
    raise DataFormatError("the file holds no records", str(path))


def iter_examples(path: str | Path, format: str = "auto") -> Iterator[ReadItem]:
    """Every record of `path` with its problems. Raises DataFormatError only for a file that
    cannot be read at all (missing, not UTF-8, unknown format)."""
    if format not in FORMAT_NAMES:
        raise DataFormatError(f"unknown format {format!r} (expected one of {', '.join(FORMAT_NAMES)})")
    path = Path(path)
    name = detect_format(path) if format == "auto" else format
    source = str(path)
    if name == text.NAME and path.suffix.lower() != ".json" and path.suffix.lower() != ".jsonl":
        for line, document in text.split_documents(read_text(path)):
            yield ReadItem(f"{path}:{line}", TextExample(document, source=source))
        return
    module = FORMATS[name]
    for record in iter_json_records(path):
        if record.error is not None:
            yield ReadItem(record.location, None, [Problem("error", record.error, record.location)])
            continue
        try:
            example = module.parse(record.value, source=source)
        except DataFormatError as error:
            yield ReadItem(record.location, None, [Problem("error", error.detail, record.location)])
            continue
        problems = example.validate() if isinstance(example, Conversation) else _text_problems(example)
        yield ReadItem(record.location, example,
                       [Problem(p.severity, p.message, record.location) for p in problems])


def _text_problems(example: TextExample) -> list[Problem]:
    return [] if example.text.strip() else [Problem("error", "empty text")]


def read_examples(path: str | Path, format: str = "auto",
                  errors: Literal["raise", "skip"] = "raise") -> list[Example]:
    """The usable examples of a file. errors="raise" stops at the first record with an error
    (DataFormatError naming its line); "skip" leaves such records out and logs each one."""
    examples: list[Example] = []
    for item in iter_examples(path, format):
        for problem in item.problems:
            if problem.severity == "error" and errors == "raise":
                raise DataFormatError(problem.message, problem.location)
            if problem.severity == "error":
                logger.warning("skipped: %s", problem)
        if item.ok:
            examples.append(item.example)  # type: ignore[arg-type]
    return examples


def write_sharegpt_json(conversations: Iterable[Conversation], path: str | Path) -> int:
    """A LLaMA-Factory ShareGPT JSON array (UTF-8, indented, Chinese as text)."""
    records = [sharegpt.to_sharegpt(conversation) for conversation in conversations]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return len(records)
