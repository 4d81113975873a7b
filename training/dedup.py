"""Text keys for cleaning (training/clean.py): normalised comparison text, the language by
script, character n-grams, and a near-duplicate index (MinHash LSH from datasketch)."""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

Language = Literal["en", "zh", "ja", "ko", "other", "unknown"]
CJK_SHARE = 0.5
"""A text is CJK when at least this share of its word units are Han, kana or Hangul characters
(a CJK character counts as one unit, as does a run of Latin letters: "用 Python 算 SHA-256" is
Chinese, "Translate 你好 into English" is English)."""
LATIN_SHARE = 0.8
"""A text of another script ("other") is one where CJK and Latin make less than this share of its letters."""
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")
LSH_MARGIN = 0.15
LSH_THRESHOLD = 0.9
"""The LSH index is built at `threshold - LSH_MARGIN`, at most this (see NearIndex)."""

# ---- normalisation ---------------------------------------------------------------------------
_SPACE = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u200b\ufeff]")


def normalise_key(text: str) -> str:
    """The comparison form: NFKC, casefolded, whitespace collapsed, stripped."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def tidy_text(text: str) -> str:
    """The safe normalisation of kept text: NFC, LF line ends, no zero-width spaces, stripped."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub("", text).strip()


def detect_language(text: str) -> Language:
    """The language of `text` by script. Letters mostly of neither CJK nor Latin script are
    "other"; else CJK characters making at least CJK_SHARE of the word units mean Chinese
    (Japanese where kana are 10% of them, Korean where Hangul dominates), and the rest is taken as
    English (a script test: French passes as "en"); no letters at all is "unknown"."""
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return "unknown"
    han = sum(1 for char in letters if "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff")
    kana = sum(1 for char in letters if "\u3040" <= char <= "\u30ff")
    hangul = sum(1 for char in letters if "\uac00" <= char <= "\ud7af" or "\u1100" <= char <= "\u11ff")
    cjk = han + kana + hangul
    latin = sum(1 for char in letters if char.isascii() or "\u00c0" <= char <= "\u024f")
    if cjk + latin < LATIN_SHARE * len(letters):
        return "other"
    if cjk and cjk >= CJK_SHARE * (cjk + len(_LATIN_WORD.findall(text))):
        if hangul > han + kana:
            return "ko"
        return "ja" if kana >= 0.1 * cjk else "zh"
    return "en"


# ---- MinHash -----------------------------------------------------------------------------------
def shingles(text: str, size: int) -> set[bytes]:
    """Character n-grams of a normalised text (the whole text when it is shorter)."""
    if len(text) <= size:
        return {text.encode("utf-8")} if text else set()
    return {text[start:start + size].encode("utf-8") for start in range(len(text) - size + 1)}


class NearIndex:
    """Near-duplicate search over normalised texts: MinHash LSH proposes candidates, the exact
    Jaccard similarity of their character n-grams confirms them (and is what reports show).

    The LSH is built for a lower threshold than asked (`threshold - LSH_MARGIN`, at most
    LSH_THRESHOLD): with 128 permutations an index built at 0.85 proposes a pair of true
    similarity 0.9 only 81% of the time, one built at 0.7 99.9% of the time; the extra
    candidates cost one set comparison each."""

    def __init__(self, threshold: float, num_perm: int = 128, shingle_size: int = 5, seed: int = 1):
        from datasketch import MinHashLSH

        self.threshold, self.num_perm, self.size, self.seed = threshold, num_perm, shingle_size, seed
        lsh_threshold = min(max(threshold - LSH_MARGIN, 0.1), LSH_THRESHOLD)
        self.lsh = MinHashLSH(threshold=lsh_threshold, num_perm=num_perm)
        self.entries: list[tuple[str, Any]] = []
        self._last: tuple[str, Any] | None = None  # the sketch `match` made, for an `add` of the same text

    def _sketch(self, text: str):
        if self._last is not None and self._last[0] == text:
            return self._last[1]
        from datasketch import LeanMinHash, MinHash

        sketch = MinHash(num_perm=self.num_perm, seed=self.seed)
        sketch.update_batch(sorted(shingles(text, self.size)))
        self._last = (text, LeanMinHash(sketch))
        return self._last[1]

    def match(self, text: str) -> tuple[Any, float] | None:
        """The most similar entry at or above the threshold, with its similarity."""
        grams = shingles(text, self.size)
        best: tuple[Any, float] | None = None
        for key in self.lsh.query(self._sketch(text)):
            other, payload = self.entries[key]
            similarity = jaccard(grams, shingles(other, self.size))
            if similarity >= self.threshold and (best is None or similarity > best[1]):
                best = (payload, similarity)
        return best

    def add(self, text: str, payload: Any) -> None:
        self.lsh.insert(len(self.entries), self._sketch(text))
        self.entries.append((text, payload))


def jaccard(first: set, second: set) -> float:
    union = len(first | second)
    return len(first & second) / union if union else 0.0
