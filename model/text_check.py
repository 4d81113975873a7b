"""Text a model cannot be given: found before any work, reported where it is.

JSON may carry characters that no tokenizer takes. A lone surrogate ("\\ud800" in a JSON
string) decodes to a Python string that UTF-8 cannot encode; NUL ends a C string, so a native
library would silently see less than was sent. Both are refused, in chat requests, agent
requests and the UI alike, with the place and the character named; nothing is repaired
silently, so what the user sent is never changed behind their back.
"""
from __future__ import annotations

import re
from typing import Any

from model.errors import InvalidRequestError

_UNUSABLE = re.compile("[\ud800-\udfff\x00]")


def unusable_char(text: str) -> tuple[int, str] | None:
    """(position, code such as "U+D800") of the first character of ``text`` no model can be
    given, or None."""
    found = _UNUSABLE.search(text)
    return None if found is None else (found.start(), f"U+{ord(found.group()):04X}")


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be given to a model, or None."""
    found = unusable_char(text)
    if found is None:
        return None
    position, code = found
    what = "a NUL character (U+0000)" if code == "U+0000" else f"an unpaired surrogate ({code}) that UTF-8 cannot encode"
    return f"contains {what} at character {position}"


def first_text_problem(value: Any, where: str = "") -> tuple[str, str] | None:
    """(path, problem) of the first string in a JSON-like value (keys included) that cannot be
    given to a model, or None."""
    todo: list[tuple[str, Any]] = [(where, value)]
    while todo:
        path, item = todo.pop(0)
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return path or "text", problem
        elif isinstance(item, dict):
            for key, child in item.items():
                key_problem = text_problem(key) if isinstance(key, str) else None
                if key_problem:
                    return path or "body", f"a key {key_problem}"
                todo.append((f"{path}.{key}" if path else str(key), child))
        elif isinstance(item, list):
            todo.extend((f"{path}[{index}]", child) for index, child in enumerate(item))
    return None


def check_text(value: Any, where: str = "") -> None:
    """Raise InvalidRequestError naming the first unusable string in ``value``."""
    found = first_text_problem(value, where)
    if found:
        raise InvalidRequestError(f"{found[0]}: {found[1]}")
