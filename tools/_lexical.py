"""A small in-memory BM25 index for the knowledge base's lexical ranker, Chinese and English alike.

Terms: lower-cased Latin words and numbers; in Chinese (and Japanese kana), every character and
every pair of neighbouring characters, so a question matches a document's words without a word
segmenter (character bigrams are the usual baseline for Chinese retrieval).

    index = BM25Index()
    index.add("a", "绿萝冬季室温不低于10℃")
    index.top("绿萝冬天几度", 3)      # [("a", 4.1)]
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_STOPWORDS = frozenset(
    "a an and are as at be by do does for from has have how i in is it its my of on or our so that the "
    "their this to was we what when where which who why will with you your".split()
)


def terms(text: str) -> list[str]:
    """The index terms of ``text``: English words, Chinese characters and character bigrams."""
    lowered = text.lower()
    found = [word for word in _WORD.findall(lowered) if word not in _STOPWORDS]
    for run in _CJK.findall(lowered):
        found.extend(run)
        found.extend(run[i : i + 2] for i in range(len(run) - 1))
    return found


class BM25Index:
    """Okapi BM25 over documents added by id (k1 = 1.2, b = 0.75, the usual defaults)."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._postings: dict[str, dict[str, int]] = {}  # term -> {id: count}
        self._terms: dict[str, Counter[str]] = {}  # id -> its term counts
        self._lengths: dict[str, int] = {}
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._terms)

    def add(self, doc_id: str, text: str) -> None:
        """Index ``text`` under ``doc_id`` (replacing what that id held)."""
        self.remove([doc_id])
        counts = Counter(terms(text))
        self._terms[doc_id] = counts
        self._lengths[doc_id] = length = sum(counts.values())
        self._total_length += length
        for term, count in counts.items():
            self._postings.setdefault(term, {})[doc_id] = count

    def remove(self, doc_ids: Iterable[str]) -> None:
        for doc_id in doc_ids:
            counts = self._terms.pop(doc_id, None)
            if counts is None:
                continue
            self._total_length -= self._lengths.pop(doc_id)
            for term in counts:
                posting = self._postings[term]
                del posting[doc_id]
                if not posting:
                    del self._postings[term]

    def top(self, query: str, k: int) -> list[tuple[str, float]]:
        """The ``k`` best-scoring ids for ``query`` with their scores (only ids sharing a term)."""
        if not self._terms:
            return []
        total = len(self._terms)
        average = self._total_length / total or 1.0
        scores: Counter[str] = Counter()
        for term in set(terms(query)):
            posting = self._postings.get(term)
            if not posting:
                continue
            idf = math.log(1 + (total - len(posting) + 0.5) / (len(posting) + 0.5))
            for doc_id, count in posting.items():
                norm = self.k1 * (1 - self.b + self.b * self._lengths[doc_id] / average)
                scores[doc_id] += idf * count * (self.k1 + 1) / (count + norm)
        return scores.most_common(k)
