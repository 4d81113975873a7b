"""Runaway output: a reply that has started repeating itself ("I can help you with your web
search, I can help you with your web search, …") is stopped when the loop is certain, not at
max_tokens.

A loop is the end of the text being one unit written at least `repeats` times back to back. Short
units need a longer run before they count, so a ruler line ("--------"), "哈哈哈" or a row of
dots is not a loop; a sentence written three times in a row is, and so is one letter or Chinese
character written `SAME_CHARACTER_RUN` times ("食食食…", which a small model can write to max_tokens). Only exact repeats count: list
items that differ by a number, table rows that differ by a cell, are not loops.
"""
from __future__ import annotations

from dataclasses import dataclass

MIN_UNIT = 4
"""Shortest repeating unit, in characters, that can make a loop."""
MAX_UNIT = 240
"""Longest unit looked for (a long sentence, or two short ones)."""
SAME_CHARACTER_RUN = 32
"""Times one letter, digit or CJK character in a row that make a loop (no word or laugh is that long)."""


@dataclass(frozen=True)
class LoopRule:
    repeats: int = 3
    """Times a unit of MIN_UNIT..MAX_UNIT characters must follow itself."""
    min_span: int = 60
    """Characters the whole run must cover: short units need more repeats."""


class RepetitionGuard:
    """Feed it the text as it is generated; `feed` says when the text has started to loop.

    Afterwards `loop_start` is where the first repeat began: text before it is the reply; the
    repeats are the runaway part."""

    def __init__(self, rule: LoopRule | None = None):
        self.rule = rule or LoopRule()
        self.text = ""
        self.loop_start: int | None = None

    def feed(self, piece: str) -> bool:
        if self.loop_start is not None:
            return True
        self.text += piece
        if piece:
            self.loop_start = find_loop(self.text, self.rule)
        return self.loop_start is not None


def find_loop(text: str, rule: LoopRule = LoopRule()) -> int | None:
    """Where the loop at the end of ``text`` starts repeating (the end of its first unit), or None.

    The unit is counted from the end: ``text`` ends with ``unit * n`` for n >= rule.repeats,
    covering at least rule.min_span characters, and the unit holds something besides whitespace
    and one repeated character."""
    length = len(text)
    if length >= SAME_CHARACTER_RUN and text[-1].isalnum() and text.endswith(text[-1] * SAME_CHARACTER_RUN):
        return len(text.rstrip(text[-1])) + 1
    for unit in range(MIN_UNIT, min(MAX_UNIT, length // rule.repeats) + 1):
        needed = max(rule.repeats, -(-rule.min_span // unit))
        if unit * needed > length:
            break
        tail = text[length - unit:]
        if not _has_content(tail):
            continue
        if text.endswith(tail * needed):
            count = needed
            while length - unit * (count + 1) >= 0 and text[length - unit * (count + 1):length - unit * count] == tail:
                count += 1
            return length - unit * (count - 1)
    return None


def _has_content(unit: str) -> bool:
    """A letter, digit or CJK character, and more than one distinct character: not a ruler line,
    a table's |---| row or one laughing character."""
    return any(char.isalnum() for char in unit) and len(set(unit.strip())) > 1


def trim_loop(text: str, rule: LoopRule = LoopRule()) -> str:
    """``text`` without its runaway repeats (the first copy of the repeated unit stays)."""
    start = find_loop(text, rule)
    return text if start is None else text[:start].rstrip()
