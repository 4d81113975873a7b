"""Fakes at the model boundary beyond model/scripted.py: a slow engine that records concurrency
and cancellation, and a character-level text generator to drive TemplatedEngine."""
from __future__ import annotations

import threading
import time

from model.engines.base import ChatEngine, TextChunk
from model.errors import GrammarError
from model.types import ChatDelta, ChatRequest, SamplingParams, Usage


class SlowEngine(ChatEngine):
    """Yields `tokens` words, `delay` seconds apart; notes overlap and cancellation."""

    def __init__(self, tokens: int = 20, delay: float = 0.05):
        self.name, self.n_ctx = "slow", 4096
        self.tokens, self.delay = tokens, delay
        self.active = 0
        self.max_active = 0
        self.cancelled = threading.Event()
        self.started = threading.Event()
        self.finished = 0
        self._lock = threading.Lock()

    def stream(self, request: ChatRequest, cancel: threading.Event | None = None):
        cancel = cancel or threading.Event()
        return self._run(cancel)

    def _run(self, cancel: threading.Event):
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        self.started.set()
        produced = 0
        try:
            for _ in range(self.tokens):
                if cancel.is_set():
                    yield ChatDelta(finish_reason="cancelled", usage=Usage(1, produced))
                    return
                time.sleep(self.delay)
                produced += 1
                yield ChatDelta(content="tok ")
            yield ChatDelta(finish_reason="stop", usage=Usage(1, produced))
        finally:
            if produced < self.tokens:  # stopped early: cancelled, or the stream was closed
                self.cancelled.set()
            with self._lock:
                self.active -= 1
                self.finished += 1


class CharGenerator:
    """A TextGenerator whose tokens are characters and whose output is scripted."""

    def __init__(self, output: str, n_ctx: int = 400, supports_json_schema: bool = True):
        self.output, self.n_ctx = output, n_ctx
        self.supports_json_schema = supports_json_schema
        self.prompts: list[str] = []
        self.schemas: list = []

    def count_tokens(self, text: str) -> int:
        return len(text)

    def generate(self, prompt: str, params: SamplingParams, json_schema, cancel):
        self.prompts.append(prompt)
        self.schemas.append(json_schema)
        text = self.output[: params.max_tokens]
        for char in text:
            if cancel.is_set():
                return "stop"
            yield TextChunk(char, 1)
        return "length" if len(text) < len(self.output) else "stop"

    def close(self) -> None:
        pass


class PhasedGenerator(CharGenerator):
    """A generator that builds grammars (like llama.cpp), so TemplatedEngine decodes calls in
    phases: each free phase writes the next of `free`, each call phase the next of `calls`."""

    def __init__(self, free: list[str], calls: list[str] = (), n_ctx: int = 4000):
        super().__init__("", n_ctx)
        self.free, self.calls = list(free), list(calls)
        self.stopped_early: list[bool] = []

    def prepare_schema(self, schema) -> None:
        pass

    def generate(self, prompt, params, json_schema, cancel):
        self.output = (self.calls if json_schema else self.free).pop(0) if (self.calls if json_schema else self.free) else ""
        produced = yield from super().generate(prompt, params, json_schema, cancel)
        self.stopped_early.append(cancel.is_set())
        return produced


class PrefixPhasedGenerator(PhasedGenerator):
    """`PhasedGenerator` on a backend that `accepts_grammar_prefix` (as the batched llama.cpp
    engine does): a call phase is given the call's beginning as written, and writes the rest of
    the scripted call after it. A phase whose prefix reaches the arguments takes the call off the
    script; one given only the name's opening leaves it there (the engine stops it at the name)."""

    accepts_grammar_prefix = True

    def __init__(self, free: list[str], calls: list[str] = (), n_ctx: int = 4000, refuse_prefixes: bool = False):
        super().__init__(free, calls, n_ctx)
        self.prefixes: list[str] = []
        self.refuse_prefixes = refuse_prefixes

    def generate(self, prompt, params, json_schema, cancel, grammar_prefix: str = ""):
        if not grammar_prefix:
            return (yield from super().generate(prompt, params, json_schema, cancel))
        if self.refuse_prefixes:
            raise GrammarError(f"the grammar does not allow {grammar_prefix!r}")
        self.prefixes.append(grammar_prefix)
        call = self.calls[0]
        assert call.startswith(grammar_prefix), (call, grammar_prefix)
        if grammar_prefix.endswith('"arguments": '):
            self.calls.pop(0)
        self.output = call[len(grammar_prefix):]
        produced = yield from CharGenerator.generate(self, prompt, params, json_schema, cancel)
        self.stopped_early.append(cancel.is_set())
        return produced
