"""C-Eval: `<data>/ceval/<split>/<subject>_<split>.csv` (id, question, A-D, answer letter,
explanation) and `<data>/ceval/subject_mapping.json` (subject -> [English name, Chinese name,
group]). Chinese prompts name the subject in Chinese; categories are the four groups."""
from __future__ import annotations

import json

from eval.mc import MultipleChoiceBenchmark


class CEval(MultipleChoiceBenchmark):
    name = "ceval"
    folder = "ceval"
    language = "zh"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._mapping: dict[str, list[str]] | None = None

    @property
    def mapping(self) -> dict[str, list[str]]:
        if self._mapping is None:
            path = self.data_root / "ceval" / "subject_mapping.json"
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                self.issue(path, f"subject mapping unreadable ({type(error).__name__}); subjects ungrouped")
                data = {}
            self._mapping = {k: v for k, v in data.items() if isinstance(v, list) and len(v) >= 3}
        return self._mapping

    def subject_name(self, subject: str) -> str | None:
        return self.mapping[subject][1] if subject in self.mapping else None

    def category_of(self, subject: str) -> str:
        return self.mapping[subject][2] if subject in self.mapping else "Other"
