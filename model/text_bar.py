"""A text a reply never contains, barred token by token while it is sampled.

The calibrated call decision (model/call_decision.py) settles whether an answer opens with a call.
When it says "text", the answer is written after the same prompt, tools and all, so nothing is
evaluated twice. That prompt invites a call, and the model would open one anyway (in the middle of
a sentence as often as not). So the call opening, ``<tool_call>``, is barred: before each token is
sampled, every token that would complete or continue the opening after the text so far gets
probability zero.

Which tokens those are depends only on the token before (the model's tokens are sampled one at a
time, so the opening can only form across a token boundary):
- at the reply's first position, tokens whose text begins the opening (``<``);
- after a token whose text ends with the opening's first k characters (``<``, ``x<``, ``<t``),
  tokens whose text is a beginning of the rest (``t``, ``tool``, ``tool_call>``) or begins with
  the whole rest;
- anywhere, a token whose text holds the opening whole.
So no tokenization of the reply can spell the opening; ``a < b`` and ``<div>`` stay possible.
Texts are compared as bytes (a token may hold part of a UTF-8 character).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class TextBar:
    """The tokens a reply may not sample next so that it never contains ``text``."""

    def __init__(self, token_bytes: Sequence[bytes], text: str):
        barred = text.encode("utf-8")
        if not barred:
            raise ValueError("nothing to bar")
        self.text = text
        anywhere = {i for i, piece in enumerate(token_bytes) if barred in piece}
        by_first_byte: dict[int, list[int]] = {}
        for i, piece in enumerate(token_bytes):
            if piece:
                by_first_byte.setdefault(piece[0], []).append(i)
        self._after: dict[int, np.ndarray] = {}
        """For the text's first k characters just written (k = 0: the reply's first position):
        the tokens barred next."""
        for matched in range(len(barred)):
            rest = barred[matched:]
            self._after[matched] = _ids(anywhere | {
                i for i in by_first_byte.get(rest[0], ())
                if rest.startswith(token_bytes[i]) or token_bytes[i].startswith(rest)})
        self._anywhere = _ids(anywhere)
        self._ends = np.zeros(len(token_bytes), dtype=np.int16)
        """For each token: how many of the text's first characters its text ends with (0: none)."""
        for i, piece in enumerate(token_bytes):
            if barred[:1] in piece:
                self._ends[i] = max((k for k in range(1, len(barred)) if piece.endswith(barred[:k])), default=0)

    def barred_after(self, previous: int | None) -> np.ndarray:
        """The token ids barred at the next position: after token `previous`, or at the reply's
        first position (None)."""
        if previous is None:
            return self._after[0]
        matched = int(self._ends[previous]) if 0 <= previous < len(self._ends) else 0
        return self._after[matched] if matched else self._anywhere

    def apply(self, logits: np.ndarray, previous: int | None) -> None:
        """Bar the tokens in a row of logits, in place."""
        logits[self.barred_after(previous)] = -np.inf


def _ids(tokens: set[int]) -> np.ndarray:
    return np.array(sorted(tokens), dtype=np.int64)
