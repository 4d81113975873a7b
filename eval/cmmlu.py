"""CMMLU: `<data>/cmmlu/<split>/<subject>.csv` (index, Question, A-D, Answer letter). The files
carry no Chinese subject names, so the Chinese prompt header leaves the subject out; each
subject is its own category."""
from __future__ import annotations

from eval.mc import MultipleChoiceBenchmark


class CMMLU(MultipleChoiceBenchmark):
    name = "cmmlu"
    folder = "cmmlu"
    language = "zh"

    def subject_name(self, subject: str) -> str | None:
        return None
