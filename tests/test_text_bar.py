"""A text barred from a reply (model/text_bar.py): no sequence of tokens the bar lets through
spells it, however the vocabulary splits it, while text that only looks like its beginning stays
possible."""
from __future__ import annotations

import numpy as np
import pytest

from model.text_bar import TextBar

OPENING = "<tool_call>"
VOCABULARY = [piece.encode() for piece in (
    "<", "<t", "x<", " <", "tool", "to", "ool", "ol_call>", "_call>", "_", "call", ">", "a", " b", "div", "<<",
    "y<tool", "<tool_call>", "\u4f60", "\uff1a")] + ["\uff1a".encode()[:2]]  # and part of a UTF-8 character
DEPTH = 4


def texts(bar: TextBar | None, depth: int = DEPTH) -> set[bytes]:
    """Every text of up to `depth` tokens whose each token the bar allows after the one before."""
    found: set[bytes] = set()

    def extend(text: bytes, previous: int | None, left: int) -> None:
        found.add(text)
        if not left:
            return
        barred = set(bar.barred_after(previous).tolist()) if bar else set()
        for token, piece in enumerate(VOCABULARY):
            if token not in barred:
                extend(text + piece, token, left - 1)

    extend(b"", None, depth)
    return found


def test_no_sequence_the_bar_allows_spells_the_text():
    unbarred = {text for text in texts(None) if OPENING.encode() in text}
    assert len(unbarred) > 100  # the vocabulary can spell it many ways: whole, 2, 3 and 4 tokens
    assert not [text for text in texts(TextBar(VOCABULARY, OPENING)) if OPENING.encode() in text]


def test_text_that_only_begins_like_it_stays_possible():
    allowed = texts(TextBar(VOCABULARY, OPENING))
    assert {b"a<div>", b"a <div>", b"x<ool", b"a << b"} <= allowed
    assert b"a<tool" not in allowed and b"x<tool" not in allowed
    assert b"<div>" not in allowed  # the reply's first token may not begin the opening: the decision said text


def test_the_bar_is_applied_to_a_row_of_logits():
    bar = TextBar(VOCABULARY, OPENING)
    logits = np.zeros(len(VOCABULARY), dtype=np.float32)
    bar.apply(logits, VOCABULARY.index(b" <"))
    barred = {VOCABULARY[token].decode() for token in np.flatnonzero(np.isneginf(logits))}
    assert barred == {"tool", "to", "<tool_call>"}


def test_an_empty_text_cannot_be_barred():
    with pytest.raises(ValueError):
        TextBar(VOCABULARY, "")
