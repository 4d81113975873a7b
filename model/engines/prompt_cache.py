"""Warm prompts: the KV states of prompts already evaluated, kept so a new prompt that starts the
same way evaluates only its new tokens.

llama-cpp-python on its own reuses only the common prefix with the *previous* prompt: with the
app's five tools offered (837 prompt tokens) a new conversation waited 6.5 s for its first token
after any other prompt in between (shared/FACTS.md). This cache keeps several states, least
recently used first out, within a byte budget; the llama.cpp generator restores the entry that
shares the longest prefix with a new prompt whenever that beats what its context already holds.

Why not llama-cpp-python's `LlamaRAMCache`: its entries copy the whole logits buffer with the KV
state (`n_batch` × vocabulary floats: about 100 MB for this model's 49k vocabulary) where this
cache stores one sequence's KV state (about 23 KB a token for SmolLM2-135M), and it is consulted
only by `create_completion`, not by the scoring paths (the calibrated call decision).
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens `a` and `b` share."""
    count = 0
    for x, y in zip(a, b):
        if x != y:
            break
        count += 1
    return count


@dataclass(frozen=True)
class CachedPrompt:
    tokens: tuple[int, ...]
    """The tokens whose keys and values `state` holds, in order from position 0."""
    state: Any
    """One sequence's state as llama.cpp's `llama_state_seq_get_data` writes it: a ctypes byte
    array (handed back to `llama_state_seq_set_data` without a copy) or bytes; `len()` is its size."""


class PromptCache:
    """Prompt states, least recently used evicted first once `capacity_bytes` is exceeded.

    An entry whose tokens are a prefix of a newer entry's is dropped when that one is stored: the
    longer state serves every prompt the shorter one did (the tokens after the shared prefix are
    evaluated again). Safe to share between threads (the batched engine's scheduler and its
    scoring callers use one cache)."""

    def __init__(self, capacity_bytes: int, min_tokens: int = 8):
        self.capacity_bytes = capacity_bytes
        self.min_tokens = min_tokens
        """Prompts shorter than this are not worth a state (evaluating them is as quick)."""
        self._entries: OrderedDict[tuple[int, ...], CachedPrompt] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        with self._lock:
            return sum(len(entry.state) for entry in self._entries.values())

    def lookup(self, tokens: Sequence[int]) -> tuple[CachedPrompt, int] | None:
        """The entry sharing the longest prefix with `tokens` and that prefix's length, or None."""
        with self._lock:
            return self._lookup(tokens)

    def _lookup(self, tokens: Sequence[int]) -> tuple[CachedPrompt, int] | None:
        best, best_length = None, 0
        for entry in self._entries.values():
            length = common_prefix(entry.tokens, tokens)
            if length > best_length:
                best, best_length = entry, length
        if best is None or best_length < self.min_tokens:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(best.tokens)
        return best, best_length

    def holds(self, tokens: Sequence[int]) -> bool:
        with self._lock:
            return tuple(tokens) in self._entries

    def store(self, tokens: Sequence[int], state: Any) -> bool:
        """Keep `state` for `tokens`; False when it is too short or alone exceeds the budget."""
        key = tuple(tokens)
        if len(key) < self.min_tokens or len(state) > self.capacity_bytes:
            return False
        with self._lock:
            self._store(key, state)
        return True

    def _store(self, key: tuple[int, ...], state: Any) -> None:
        for old in [k for k in self._entries if len(k) <= len(key) and key[: len(k)] == k]:
            del self._entries[old]
        self._entries[key] = CachedPrompt(key, state)
        while self.size_bytes > self.capacity_bytes:
            evicted, _ = self._entries.popitem(last=False)
            logger.debug("prompt cache: evicted a state of %d tokens", len(evicted))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
