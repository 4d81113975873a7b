"""Auto mode with calls that cannot come out broken: the model writes freely, and once it opens a
call, the rest of that call is decoded under the grammar of the offered tools.

Decoding runs in phases on one generator (llama.cpp reuses the prompt's common prefix in its KV
cache, so a phase costs only its new tokens):

1. free: the model writes text (streamed out as it comes). If it writes ``<tool_call>``,
   generation stops there;
2. call: the prompt so far plus ``<tool_call>\\n`` is continued under the call grammar (a name
   among the offered tools, arguments valid for it: model/call_schema.py), and the call is read
   from that JSON. The answer's first call is announced (``ChatDelta.call_opening``) once its
   name is decoded, so a client can show it while the arguments are written. Where the
   generator takes a grammar prefix (the batched llama.cpp engine), what the grammar fixes is
   written into the prompt rather than decoded a token at a time (`_CallPhase`);
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
from collections.abc import Generator, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from model.call_schema import read_forced_call
from model.engines.stop import StopEvent
from model.errors import GrammarError
from model.tool_format import CALL_OPEN, partial_suffix
from model.types import CallOpening, ChatDelta, ChatRequest, SamplingParams, new_call_id

if TYPE_CHECKING:
    from model.engines.base import TemplatedEngine

logger = logging.getLogger(__name__)

MAX_CALLS = 8
"""Calls one answer may hold; a model that keeps calling is stopped there."""


def stream_with_constrained_calls(engine: "TemplatedEngine", request: ChatRequest, prompt: str, prompt_tokens: int,
                                  schema: dict[str, Any], cancel: threading.Event,
                                  open_call: bool = False, bar_calls: bool = False) -> Iterator[ChatDelta]:
    """The answer's deltas. ``open_call``: the answer starts with a call (the decision was made
    before: model/call_decision.py), so decoding starts in the call phase. ``bar_calls``: the
    decision was "text": the answer is text alone, the call opening barred (model/text_bar.py)."""
    parser = engine.tool_format.stream_parser(request.active_tools())
    raw: list[str] = []
    budget = request.sampling.max_tokens
    used, calls, finish = 0, 0, "stop"
    made: list = []
    while True:
        if open_call:
            before_call, open_call = prompt, False
        else:
            free = _FreePhase(engine, request, prompt, _remaining(request, budget, used), cancel, raw, parser,
                              barred=CALL_OPEN if bar_calls else "")
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
        phase = _CallPhase(engine, prompt, schema, request.active_tools(), _remaining(request, budget, used), cancel)
        # The answer's first call is announced by its name as soon as that is decoded: what a
        # client shows first. Later calls come whole (one may yet turn out to repeat an earlier one).
        announced: CallOpening | None = None
        for name in phase:
            if announced is None and not made and calls == 0:
                announced = CallOpening(name, new_call_id())
                yield ChatDelta(call_opening=announced)
        used, finish = used + phase.tokens, phase.finish
        call = read_forced_call(phase.text)
        if call is None:  # cut at max_tokens, or cancelled: no half call reaches the client
            raw.append(engine.tool_format.call_prefix + phase.text)
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


class _CallPhase:
    """One call decoded under the call grammar after ``prompt`` (which ends with the call's opening
    tag). Iterating yields the call's name once it is decoded; afterwards `text` holds the call's
    JSON as decoded, `tokens` its tokens and `finish` how decoding ended.

    On a generator that `accepts_grammar_prefix`, what the grammar fixes goes into the prompt
    instead of being decoded a token at a time: the call starts as ``{"name": "``, the model
    writes the name until only one offered tool's fits (often its first token), and the arguments
    are decoded after ``{"name": "<that name>", "arguments": `` (the same grammar, taking those as
    decoded). Elsewhere the whole call is decoded in one go."""

    def __init__(self, engine: "TemplatedEngine", prompt: str, schema: dict[str, Any], tools: list,
                 sampling: SamplingParams, cancel: threading.Event):
        self.engine, self.prompt, self.schema, self.sampling, self.cancel = engine, prompt, schema, sampling, cancel
        self.names = [tool["function"]["name"] for tool in tools]
        self.text, self.tokens, self.finish = "", 0, "stop"

    def __iter__(self) -> Iterator[str]:
        if getattr(self.engine.generator, "accepts_grammar_prefix", False):
            yield from self._name_then_arguments()
        else:
            yield from self._whole()

    def _whole(self) -> Iterator[str]:
        pieces = self._pieces(self.sampling, self.cancel)
        named = False
        for piece in pieces:
            self.text += piece
            name = None if named else decoded_name(self.text)
            if name is not None:
                named = True
                yield name
        self.tokens, self.finish = pieces.tokens, pieces.finish

    def _name_then_arguments(self) -> Iterator[str]:
        name = settled_name("", self.names)
        if name is not None:
            yield name
        else:
            try:
                name = yield from self._decode_name()
            except GrammarError as error:  # a grammar that does not begin as render_call writes
                logger.info("decoding the call whole: %s", error)
                yield from self._whole()
                return
        if name is not None:
            self._decode_arguments(name)

    def _decode_name(self) -> Generator[str, None, str | None]:
        """The model writes the name after ``{"name": "`` until only one offered name fits it.
        The name is yielded as soon as it settles (a client shows it while the generation is
        still winding down); returns it, or None when the generation ended without one."""
        opening = self.engine.tool_format.name_opening()
        stop = StopEvent(self.cancel)
        pieces = self._pieces(self.sampling, stop, opening)
        written, name = "", None
        for piece in pieces:  # read to the end: the generation stops at its next token
            if name is None:
                written += piece
                name = settled_name(written, self.names)
                if name is not None:
                    stop.set()
                    yield name
        if name is None or self.cancel.is_set():
            self.text, self.tokens, self.finish = opening + written, pieces.tokens, pieces.finish
            return None
        return name

    def _decode_arguments(self, name: str) -> None:
        head = self.engine.tool_format.call_head(name)
        head_tokens = self.engine.generator.count_tokens(head)
        rest = self._pieces(_less(self.sampling, head_tokens), self.cancel, head)
        text = "".join(rest)
        self.text, self.tokens, self.finish = head + text, head_tokens + rest.tokens, rest.finish

    def _pieces(self, sampling: SamplingParams, cancel: threading.Event, grammar_prefix: str = ""):
        count = self.engine.generator.count_tokens
        prompt_tokens = count(self.prompt) + (count(grammar_prefix) if grammar_prefix else 0)
        return self.engine._generate(self.prompt, prompt_tokens, sampling, self.schema, cancel, [],
                                     grammar_prefix=grammar_prefix)


_CLOSED_STRING = re.compile(r'((?:[^"\\]|\\.)*)"')


def settled_name(written: str, names: list[str]) -> str | None:
    """The one offered name that ``written`` (a call's name string as decoded so far, after its
    opening quote) can still become, or None while several can (or none)."""
    encoded = {json.dumps(name, ensure_ascii=False)[1:-1]: name for name in names}
    closed = _CLOSED_STRING.match(written)
    if closed:
        return encoded.get(closed.group(1))
    fits = [name for text, name in encoded.items() if text.startswith(written)]
    return fits[0] if len(fits) == 1 else None


def _less(sampling: SamplingParams, tokens: int) -> SamplingParams:
    if sampling.max_tokens is None:
        return sampling
    return replace(sampling, max_tokens=max(1, sampling.max_tokens - tokens))


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

    def __init__(self, engine, request, prompt, sampling, cancel, raw, parser, barred: str = ""):
        self.stop = StopEvent(cancel)
        self._pieces = engine._generate(prompt, engine.generator.count_tokens(prompt), sampling, None, self.stop, [],
                                        guard=True, barred=barred)
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
