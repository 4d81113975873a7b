"""Converters of public data sets (../shared/data) into the internal `Conversation` form.

| set           | function                 | input                                   |
|---------------|--------------------------|-----------------------------------------|
| glaive demos  | `glaive.convert`         | train_toolcall/glaive_toolcall_*.json   |
| Seal-Tools    | `seal_tools.convert`     | seal_tools/dev.jsonl + tool.jsonl       |
| API-Bank lv1  | `api_bank.convert`       | api_bank/lv1-lv2-samples + apis.json    |

Each returns a `Converted`: the conversations, the problems of the records left out (with their
locations) and counts of what the conversion changed. Evaluation data (BFCL, Seal-Tools test
splits) is refused: a model trained on it would be scored on what it memorised.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from training.conversation import Conversation, Problem
from training.errors import TrainingError


@dataclass
class Converted:
    name: str
    conversations: list[Conversation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    """Problems of records left out (errors) or kept with a caveat (warnings)."""
    notes: Counter = field(default_factory=Counter)
    """What the conversion did, counted: e.g. "dependent calls left out": 28."""

    def summary(self) -> str:
        with_calls = sum(bool(c.calls()) for c in self.conversations)
        n = len(self.conversations)
        notes = "; ".join(f"{key}: {value}" for key, value in sorted(self.notes.items()))
        return (f"{self.name}: {n} conversations, {with_calls} with calls, {n - with_calls} without; "
                f"{sum(p.severity == 'error' for p in self.problems)} left out"
                + (f"; {notes}" if notes else ""))


EVAL_ONLY = ("bfcl",)


def refuse_eval_data(path: str | Path) -> None:
    """Raise for a path inside an evaluation-only data set."""
    parts = {part.lower() for part in Path(path).resolve().parts}
    for name in EVAL_ONLY:
        if name in parts:
            raise TrainingError(f"{path} is evaluation data ({name}); it must never be trained on")
