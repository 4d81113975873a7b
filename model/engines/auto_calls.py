"""Auto mode with calls that cannot come out broken: the model writes freely, and once it opens a
call, the rest of that call is decoded under the grammar of the offered tools.

Decoding runs in phases on one generator (llama.cpp reuses the prompt's common prefix in its KV
cache, so a phase costs only its new tokens):

1. free: the model writes text (streamed out as it comes). If it writes ``<tool_call>``,
   generation stops there;
2. call: the prompt so far plus ``<tool_call>\\n`` is continued under the call grammar (a name
   among the offered tools, arguments valid for it: model/call_schema.py), and the call is read
   from that JSON. The answer's first call is announced (``ChatDelta.call_opening``) once its
   name is decoded, so a client can show it while the arguments are written;
3. the call, rendered as training renders it, closes the phase and decoding is free again:
   more calls, text, or the end. The same call twice in one answer is a loop: the answer ends.

The model still decides whether to call (the first token is its own); only the shape of a call it
opens is fixed. At most `MAX_CALLS` calls an answer; every phase shares the answer's
``max_tokens``.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from model.call_schema import read_forced_call
from model.engines.stop import StopEvent
from model.tool_format import CALL_OPEN, partial_suffix
from model.types import CallOpening, ChatDelta, ChatRequest, SamplingParams, new_call_id

if TYPE_CHECKING:
    from model.engines.base import TemplatedEngine

logger = logging.getLogger(__name__)

MAX_CALLS = 8
"""Calls one answer may hold; a model that keeps calling is stopped there."""


def stream_with_constrained_calls(engine: "TemplatedEngine", request: ChatRequest, prompt: str, prompt_tokens: int,
                                  schema: dict[str, Any], cancel: threading.Event,
                                  open_call: bool = False) -> Iterator[ChatDelta]:
    """The answer's deltas. ``open_call``: the answer starts with a call (the decision was made
    before: model/call_decision.py), so decoding starts in the call phase."""
    parser = engine.tool_format.stream_parser(request.active_tools())
    raw: list[str] = []
    budget = request.sampling.max_tokens
    used, calls, finish = 0, 0, "stop"
    made: list = []
    while True:
        if open_call:
            before_call, open_call = prompt, False
        else:
            free = _FreePhase(engine, request, prompt, _remaining(request, budget, used), cancel, raw, parser)
            for delta in free:
                if delta.content or delta.tool_calls or delta.failed_calls:
                    yield delta
            used, finish = used + free.tokens, free.finish
            calls += free.calls
            if not free.opened_call or cancel.is_set() or calls + len(made) >= MAX_CALLS or _spent(budget, used):
                break
            before_call = prompt + free.text
        prompt = before_call + engine.tool_format.call_prefix
        if not _fits(engine, prompt):
            finish = "length"
            break
        pieces = engine._generate(prompt, engine.generator.count_tokens(prompt), _remaining(request, budget, used),
                                  schema, cancel, [])
        # The answer's first call is announced by its name as soon as that is decoded: what a
        # client shows first. Later calls come whole (one may yet turn out to repeat an earlier one).
        announced: CallOpening | None = None
        call_text = ""
        for piece in pieces:
            call_text += piece
            if announced is None and not made and calls == 0:
                name = decoded_name(call_text)
                if name is not None:
                    announced = CallOpening(name, new_call_id())
                    yield ChatDelta(call_opening=announced)
        used, finish = used + pieces.tokens, pieces.finish
        call = read_forced_call(call_text)
        if call is None:  # cut at max_tokens, or cancelled: no half call reaches the client
            raw.append(engine.tool_format.call_prefix + call_text)
            break
        if (call.name, call.arguments) in [(m.name, m.arguments) for m in made]:  # a loop, not a new question
            finish = "stop"
            break
        if announced is not None:
            call = replace(call, id=announced.id)
        made.append(call)
        yield ChatDelta(tool_calls=[call])
        # The call as training renders it (the grammar may leave a space the model never saw).
        rendered = engine.tool_format.render_call(call)
        prompt = before_call + rendered
        raw.append(rendered)
        if _spent(budget, used) or not _fits(engine, prompt):
            break
    last = parser.finish()
    yield engine._last(last, finish, calls + len(made) > 0 or bool(last.tool_calls), prompt_tokens, used, raw)


_NAME = re.compile(r'\s*\{\s*"name"\s*:\s*("(?:[^"\\]|\\.)*")')


def decoded_name(call_text: str) -> str | None:
    """The tool name of a call being decoded under the call grammar (``{"name": "...", ...``),
    once its string is closed; None before."""
    match = _NAME.match(call_text)
    return json.loads(match.group(1)) if match else None


def _spent(budget: int | None, used: int) -> bool:
    return budget is not None and used >= budget


def _fits(engine: "TemplatedEngine", prompt: str) -> bool:
    return engine.generator.count_tokens(prompt) < engine.n_ctx


def _remaining(request: ChatRequest, budget: int | None, used: int) -> SamplingParams:
    return replace(request.sampling, max_tokens=None if budget is None else max(1, budget - used))


class _FreePhase:
    """One free phase: its deltas as they come; afterwards the text it kept, whether it ended by
    the model opening a call, its tokens, the calls the parser found in its text, its finish."""

    def __init__(self, engine, request, prompt, sampling, cancel, raw, parser):
        self.stop = StopEvent(cancel)
        self._pieces = engine._generate(prompt, engine.generator.count_tokens(prompt), sampling, None, self.stop, [],
                                        guard=True)
        self._raw, self._parser = raw, parser
        self.text, self.opened_call, self.calls = "", False, 0

    @property
    def tokens(self) -> int:
        return self._pieces.tokens

    @property
    def finish(self) -> str:
        return "stop" if self.opened_call else self._pieces.finish

    def __iter__(self) -> Iterator[ChatDelta]:
        pending = ""
        for piece in self._pieces:
            pending += piece
            tag = pending.find(CALL_OPEN)
            if tag >= 0:
                self.opened_call = True
                self.stop.set()
                for _ in self._pieces:  # the generator stops at its next token; let it end (and unlock)
                    pass
                yield self._keep(pending[:tag])
                return
            hold = partial_suffix(pending, CALL_OPEN)
            yield self._keep(pending[: len(pending) - hold])
            pending = pending[len(pending) - hold:]
        yield self._keep(pending)

    def _keep(self, text: str) -> ChatDelta:
        self.text += text
        self._raw.append(text)
        delta = self._parser.feed(text)
        self.calls += len(delta.tool_calls)
        return delta
