"""Retrieval recall on the bilingual test split (tests/fixtures/kb_retrieval/test.json): 40 Chinese
and 40 English notes in one index, 100 questions phrased unlike them, 20 of them cross-lingual.

The recipe (language-centred multilingual-e5-small, no BM25) was chosen on the validation split;
`bench/kb_recall.py` prints every recipe on both splits. Measured on test (5 December):
recall@3 zh 0.93, en 1.00, cross-lingual 0.95; all-MiniLM-L6-v2 before it: 0.53, 1.00, 0.10.
The floors below sit one or two questions under those figures (the issue's goal for zh and en is
0.95: on test, zh misses it by one question)."""

from __future__ import annotations

from eval.retrieval import RETRIEVAL_SPLITS, load_split, measure_recall
from tools import KnowledgeBase


def test_chinese_english_and_cross_lingual_questions_find_their_notes(tmp_path):
    result = measure_recall(KnowledgeBase(tmp_path / "kb"), load_split(RETRIEVAL_SPLITS / "test.json"), tmp_path / "docs")
    assert {kind: len(ranks) for kind, ranks in result.ranks.items()} == {"zh": 40, "en": 40, "cross": 20}
    assert result.recall("zh", 3) >= 0.9
    assert result.recall("en", 3) >= 0.95
    assert result.recall("cross", 3) >= 0.8


def test_the_splits_are_apart():
    validation, test = (load_split(RETRIEVAL_SPLITS / f"{name}.json") for name in ("validation", "test"))
    assert not {d["text"] for d in validation.documents} & {d["text"] for d in test.documents}
    assert not {q["q"] for q in validation.questions} & {q["q"] for q in test.questions}
