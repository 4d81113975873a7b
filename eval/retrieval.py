"""Knowledge-base retrieval recall on a bilingual question set, through the real `KnowledgeBase`.

A split (tests/fixtures/kb_retrieval/{validation,test}.json) holds short documents in Chinese and
English and questions phrased unlike them, each answered by one document: ``zh`` and ``en``
questions in their document's language, ``cross`` questions in the other language. Every
document is ingested as a file into one index (as a user's upload would be), every question is
searched, and recall@k says how often the answering document is among the first k passages.

    split = load_split("tests/fixtures/kb_retrieval/validation.json")
    result = measure_recall(KnowledgeBase(tmp / "kb"), split, tmp / "docs")
    result.recall("zh", 3)       # 0.98
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.stats import wilson_interval
from tools.knowledge_base import KnowledgeBase

KINDS = ("zh", "en", "cross")
RETRIEVAL_SPLITS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "kb_retrieval"


@dataclass(frozen=True)
class RetrievalSplit:
    name: str
    documents: list[dict[str, str]]
    questions: list[dict[str, str]]


def load_split(path: Path | str) -> RetrievalSplit:
    """Read a split file, checking that every question names one of its documents."""
    path = Path(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    ids = {doc["id"] for doc in data["documents"]}
    unknown = [q["doc"] for q in data["questions"] if q["doc"] not in ids]
    if unknown:
        raise ValueError(f"{path}: questions name unknown documents {unknown[:5]}")
    return RetrievalSplit(path.stem, data["documents"], data["questions"])


@dataclass
class RecallResult:
    """Ranks of the answering document per question (None: not in the first ``depth``)."""

    depth: int
    ranks: dict[str, list[int | None]] = field(default_factory=lambda: defaultdict(list))
    misses: list[dict[str, Any]] = field(default_factory=list)
    ingest_seconds: float = 0.0
    search_seconds: float = 0.0

    def recall(self, kind: str, k: int) -> float:
        ranks = self.ranks[kind]
        return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else float("nan")

    def interval(self, kind: str, k: int) -> tuple[float, float]:
        ranks = self.ranks[kind]
        return wilson_interval(sum(1 for r in ranks if r is not None and r <= k), len(ranks))

    def to_dict(self) -> dict[str, Any]:
        return {kind: {"n": len(self.ranks[kind]), **{f"recall@{k}": self.recall(kind, k) for k in (1, 3)}}
                for kind in KINDS if self.ranks[kind]}


def measure_recall(kb: KnowledgeBase, split: RetrievalSplit, folder: Path, depth: int = 3) -> RecallResult:
    """Ingest the split's documents into ``kb`` (files under ``folder``), then search every question."""
    folder.mkdir(parents=True, exist_ok=True)
    for doc in split.documents:
        (folder / f"{doc['id']}.txt").write_text(doc["text"], encoding="utf-8")
    result = RecallResult(depth)
    started = time.perf_counter()
    kb.ingest(folder)
    result.ingest_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for question in split.questions:
        sources = [passage.source.removesuffix(".txt") for passage in kb.retrieve(question["q"], depth)]
        rank = sources.index(question["doc"]) + 1 if question["doc"] in sources else None
        result.ranks[question["kind"]].append(rank)
        if rank != 1:
            result.misses.append({**question, "rank": rank, "found": sources})
    result.search_seconds = time.perf_counter() - started
    return result
