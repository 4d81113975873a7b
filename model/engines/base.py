"""The one engine interface, and the templated engine every local backend is built on.

A `ChatEngine` takes a `ChatRequest` and yields `ChatDelta`s. Local backends (llama.cpp,
transformers, LMDeploy) only turn a prompt string into text pieces (`TextGenerator`);
`TemplatedEngine` does the rest the same way for all of them: chat template, tool format,
forced calls, context checks, and parsing the output back into tool calls.
"""
from __future__ import annotations

import json
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Protocol

from model.call_decision import TextAnswers, Thresholds, call_probability, request_language, threshold_for
from model.call_schema import argument_problems, forced_call_schema, loose_call_schema, read_forced_call
from model.chat_template import ChatTemplate
from model.engines.auto_calls import stream_with_constrained_calls
from model.engines.stop import StopEvent
from model.errors import ContextLengthError, GrammarError, InvalidRequestError
from model.repetition import RepetitionGuard, trim_loop
from model.tool_format import CALL_OPEN, DEFAULT_TOOL_FORMAT, ToolFormat
from model.text_check import check_text
from model.tool_schemas import check_tools
from model.types import ChatDelta, ChatRequest, ChatResult, SamplingParams, Usage

logger = logging.getLogger(__name__)


class ChatEngine(ABC):
    """Chat messages + optional tools + sampling options in; text or a stream of deltas out."""

    name: str = "engine"
    n_ctx: int = 0
    parallel: int = 1
    """Generations the engine serves at once (the queue in front of it lets that many in)."""

    @abstractmethod
    def stream(self, request: ChatRequest, cancel: threading.Event | None = None) -> Iterator[ChatDelta]:
        """Yield deltas; the last one carries finish_reason and usage.

        Setting `cancel` stops generation at the next token (finish_reason "cancelled").
        Raises ContextLengthError or InvalidRequestError before the first delta.
        """

    def chat(self, request: ChatRequest, cancel: threading.Event | None = None) -> ChatResult:
        content, calls, failed = [], [], []
        finish, usage, raw = "stop", Usage(), None
        for delta in self.stream(request, cancel):
            content.append(delta.content)
            calls.extend(delta.tool_calls)
            failed.extend(delta.failed_calls)
            if delta.finish_reason:
                finish, usage, raw = delta.finish_reason, delta.usage or usage, delta.raw_text
        text = "".join(content)
        text = (trim_loop(text) if finish == "repetition" else text).strip()
        return ChatResult(
            content=text or (None if calls else ""),
            tool_calls=calls,
            finish_reason=finish,
            usage=usage,
            raw_text=raw if raw is not None else text,
            failed_calls=failed,
        )

    def count_prompt_tokens(self, request: ChatRequest) -> int:
        return 0

    def next_token_logprobs(self, request: ChatRequest, candidates: list[str]) -> dict[str, float] | None:
        """Log-probability of each candidate (say "A".."D") as the answer's first token, or None
        when the engine cannot tell (eval then falls back to generation)."""
        return None

    def call_probability(self, request: ChatRequest) -> float | None:
        """The model's probability that its answer to ``request`` opens with a tool call, or None
        when the engine cannot tell (model/call_decision.py)."""
        return None

    def warm(self, request: ChatRequest) -> bool:
        """Evaluate ``request``'s prompt ahead of time, so that a later request starting the same
        way (its system prompt and tools) evaluates only its own tokens. False: nothing to warm."""
        return False

    def close(self) -> None:
        """Free the backend's resources."""


@dataclass
class TextChunk:
    text: str
    n_tokens: int = 1


FORCED_CALL_TRIES = 3
"""Samples a forced call may take to fall inside its schema (greedy decoding takes one)."""


def _reseeded(sampling: SamplingParams, attempt: int) -> SamplingParams:
    """The same sampling with another seed (a fixed seed would draw the same call again)."""
    return replace(sampling, seed=None if sampling.seed is None else sampling.seed + attempt)


class TextGenerator(Protocol):
    """What a backend must do: count tokens and continue a prompt, optionally under a JSON schema."""

    n_ctx: int

    def count_tokens(self, text: str) -> int: ...

    # Optional: `prepare_schema(json_schema)` builds (and caches) what `generate` will decode
    # under, raising GrammarError when the backend cannot; TemplatedEngine then falls back to a
    # looser schema. A generator without it takes every schema as it is.

    def generate(
        self,
        prompt: str,
        params: SamplingParams,
        json_schema: dict[str, Any] | None,
        cancel: threading.Event,
    ) -> Iterator[TextChunk]:
        """Yield text pieces until a stop string, end of turn, max_tokens or cancel.

        Finish with `return "stop" | "length"` (the generator's return value).
        """
        ...

    def close(self) -> None: ...


class TemplatedEngine(ChatEngine):
    """A local model: chat template + tool format around a `TextGenerator`."""

    def __init__(self, name: str, generator: TextGenerator, template: ChatTemplate,
                 tool_format: ToolFormat = DEFAULT_TOOL_FORMAT, constrained_calls: bool = True,
                 call_threshold: Thresholds | float | None = None, text_answers: TextAnswers = "with_tools"):
        self.name = name
        self.constrained_calls = constrained_calls
        self.call_threshold = call_threshold
        """Calibrated call decision (model/call_decision.py): in auto mode, the answer opens
        with a call when the model's probability of opening one is at least this (per language
        of the request, or one number for all); None: the model's own first tokens decide."""
        self.text_answers = text_answers
        """Where the calibrated decision's text answers are written: "with_tools", after the
        prompt it scored, calls barred (model/text_bar.py), on generators that can bar a text;
        "without_tools" (and elsewhere), after the prompt without the tools."""
        self.generator = generator
        self.template = template
        self.tool_format = tool_format
        self.n_ctx = generator.n_ctx
        self.parallel = getattr(generator, "parallel", 1)

    def render_prompt(self, request: ChatRequest) -> str:
        messages = self.tool_format.prepare_messages(request.messages, request.active_tools())
        prompt = self.template.render(messages, add_generation_prompt=True)
        if request.forced_tool_names():
            prompt += self.tool_format.call_prefix + self._name_prefill(request)
        return prompt

    def _name_prefill(self, request: ChatRequest) -> str:
        """Without grammar support, a call forced to one tool starts with that tool's name
        written into the prompt, so at least the name is right; the arguments stay free."""
        names = request.forced_tool_names() or []
        if getattr(self.generator, "supports_json_schema", True) or len(names) != 1:
            return ""
        return '{"name": ' + json.dumps(names[0], ensure_ascii=False) + ', "arguments": '


    def count_prompt_tokens(self, request: ChatRequest) -> int:
        return self.generator.count_tokens(self.render_prompt(request))

    def warm(self, request: ChatRequest) -> bool:
        warm = getattr(self.generator, "warm", None)
        if warm is None:
            return False
        warm(self.render_prompt(request))
        if request.active_tools() and self.call_threshold is not None:
            if self._bars_calls():
                self.generator.text_bar(CALL_OPEN)  # built once (~0.25 s), not in a user's first answer
            else:
                warm(self.render_prompt(replace(request, tool_choice="none")))  # what a calibrated "no call" continues
        return True

    def next_token_logprobs(self, request: ChatRequest, candidates: list[str]) -> dict[str, float] | None:
        scorer = getattr(self.generator, "next_token_logprobs", None)
        return scorer(self.render_prompt(request), candidates) if scorer else None

    def call_probability(self, request: ChatRequest, prompt: str | None = None,
                         at_least: float | None = None) -> float | None:
        """``at_least``: only whether the probability reaches this matters (see
        model/call_decision.py `call_probability`); a smaller one may then come back smaller still."""
        if not request.active_tools() or request.forced_tool_names():
            return None
        return call_probability(self.generator, prompt or self.render_prompt(request),
                                self.tool_format.call_prefix.rstrip(), at_least)

    def constrains_calls(self) -> bool:
        """Whether a call the model opens in auto mode is decoded under the tools' grammar."""
        return self.constrained_calls and hasattr(self.generator, "prepare_schema")

    def stream(self, request: ChatRequest, cancel: threading.Event | None = None) -> Iterator[ChatDelta]:
        cancel = cancel or threading.Event()
        check_text(request.messages, "messages")
        check_text(request.tools, "tools")
        check_tools(request.tools)
        forced = request.forced_tool_names()
        schema = self._forced_schema(request, forced) if forced else None
        prompt = self.render_prompt(request)
        prompt_tokens = self.generator.count_tokens(prompt)
        self._check_context(prompt_tokens, request.sampling.max_tokens)
        if schema is not None:
            return self._stream_forced(request, prompt, prompt_tokens, schema, cancel)
        # Auto mode, on a backend that builds grammars: calls the model opens come out whole
        # (model/engines/auto_calls.py), and with a threshold the call decision is calibrated.
        if request.active_tools() and self.constrains_calls():
            schema = self.call_schema(request.active_tools())
            opens_call, answer_prompt, bar_calls = self._decide(request, prompt)
            deltas = stream_with_constrained_calls(self, request, answer_prompt, prompt_tokens, schema, cancel,
                                                   open_call=opens_call, bar_calls=bar_calls)
            if answer_prompt != prompt and hasattr(self.generator, "prefetch"):
                return self._then_prefetch_next_turn(request, deltas)
            return deltas
        return self._stream(request, prompt, prompt_tokens, cancel)

    def _then_prefetch_next_turn(self, request: ChatRequest, deltas: Iterator[ChatDelta]) -> Iterator[ChatDelta]:
        """The answer's deltas. An answer written from the prompt without the tools leaves
        nothing the conversation's next turn can start from: that turn's call decision reads the
        tool prompt, these messages and this answer. Once a text answer is out, that much
        is prefetched while its user reads it (the generator's `prefetch`), so the next decision
        evaluates only the new message. (Handed over with the last delta, not after it: a
        consumer that has the last delta may stop iterating.)"""
        text, called = [], False
        for delta in deltas:
            text.append(delta.content or "")
            called = called or bool(delta.tool_calls)
            if delta.finish_reason in ("stop", "length") and not called:  # a client sends back what it got
                self._prefetch_next_turn(request, "".join(text))
            yield delta

    def _prefetch_next_turn(self, request: ChatRequest, answer: str) -> None:
        if answer.strip():
            messages = self.tool_format.prepare_messages([*request.messages, {"role": "assistant", "content": answer}],
                                                         request.active_tools())
            self.generator.prefetch(self.template.render(messages, add_generation_prompt=False))

    def _decide(self, request: ChatRequest, prompt: str) -> tuple[bool, str, bool]:
        """(whether the answer opens with a call, the prompt it continues, whether calls are
        barred from it). Without a threshold the model decides as it writes. With one, a call is
        opened when the model's probability of opening one reaches it; otherwise the answer is
        text: written after the same prompt with the call opening barred, so the message is
        evaluated once and the next turn continues this one (`text_answers` "with_tools"), or
        after the prompt without the tools (as with tool_choice "none")."""
        threshold = threshold_for(self.call_threshold, request_language(request.messages))
        if threshold is None:
            return False, prompt, False
        probability = self.call_probability(request, prompt, at_least=threshold)
        if probability is None:
            return False, prompt, False
        opens_call = probability >= threshold
        logger.debug("call probability %s%.3f, threshold %.3f: %s", "" if opens_call else "at most ", probability,
                     threshold, "call" if opens_call else "text")
        if opens_call:
            return True, prompt, False
        if self._bars_calls():
            return False, prompt, True
        return False, self.render_prompt(replace(request, tool_choice="none")), False

    def _bars_calls(self) -> bool:
        """Whether a text answer is written after the tool prompt with calls barred."""
        return self.text_answers == "with_tools" and getattr(self.generator, "bars_text", False)

    def _stream(self, request, prompt, prompt_tokens, cancel) -> Iterator[ChatDelta]:
        parser = self.tool_format.stream_parser(request.active_tools())
        raw: list[str] = []
        called = False
        pieces = self._generate(prompt, prompt_tokens, request.sampling, None, cancel, raw, guard=True)
        for text in pieces:
            delta = parser.feed(text)
            called = called or bool(delta.tool_calls)
            if delta.content or delta.tool_calls or delta.failed_calls:
                yield delta
        last = parser.finish()
        yield self._last(last, pieces.finish, called or bool(last.tool_calls), prompt_tokens, pieces.tokens, raw)

    def _stream_forced(self, request, prompt, prompt_tokens, schema, cancel) -> Iterator[ChatDelta]:
        """A forced call: the output is the call's JSON itself (after any prefilled part), read
        whole at the end; what does not parse (a cut at max_tokens) comes back as text. A sampled
        call is sampled again, up to `FORCED_CALL_TRIES` times in all, where it falls outside a
        schema the grammar cannot hold whole (number bounds, say) or was cut at max_tokens (a
        grammar bounds strings in characters, not tokens: a long Chinese string can outrun a small
        max_tokens)."""
        prefill = self._name_prefill(request)
        tokens = 0
        for attempt in range(FORCED_CALL_TRIES):
            raw: list[str] = [self.tool_format.call_prefix + prefill]
            sampling = request.sampling if attempt == 0 else _reseeded(request.sampling, attempt)
            pieces = self._generate(prompt, prompt_tokens, sampling, schema, cancel, raw)
            decoded = prefill + "".join(pieces)
            tokens += pieces.tokens
            call = read_forced_call(decoded)
            if call is not None:
                problem = self._forced_argument_problem(request, call)
                problem = problem and f"forced call to {call.name} decoded outside its schema: {problem}"
            else:
                problem = "forced call cut at max_tokens" if pieces.finish == "length" else None
            if problem is None or cancel.is_set() or request.sampling.temperature == 0:
                break
            logger.info("%s; sampling it again", problem)
        if problem is not None:
            logger.warning("%s", problem)
        last = ChatDelta(tool_calls=[call]) if call else ChatDelta(content=decoded.strip())
        yield self._last(last, pieces.finish, call is not None, prompt_tokens, tokens, raw)

    def _generate(self, prompt, prompt_tokens, sampling, schema, cancel, raw, guard: bool = False,
                  grammar_prefix: str = "", barred: str = "") -> "_Pieces":
        """The pieces of one generation. ``guard``: free text, stopped when it starts to loop
        (model/repetition.py; finish "repetition"). ``grammar_prefix``: for a generator that
        `accepts_grammar_prefix`, text after the prompt that the grammar counts as decoded.
        ``barred``: for a generator that `bars_text`, a text the reply never contains."""
        params = self._bounded(sampling, prompt_tokens)
        stop = StopEvent(cancel)
        extra = {"grammar_prefix": grammar_prefix} if grammar_prefix else {}
        if barred:
            extra["barred"] = barred
        return _Pieces(self.generator.generate(prompt, params, schema, stop, **extra), stop, raw,
                       RepetitionGuard() if guard else None)

    @staticmethod
    def _last(last: ChatDelta, finish: str, called: bool, prompt_tokens: int, completion_tokens: int,
              raw: list[str]) -> ChatDelta:
        last.finish_reason = "tool_calls" if called and finish == "stop" else finish
        last.usage = Usage(prompt_tokens, completion_tokens)
        last.raw_text = "".join(raw)
        return last

    def _forced_schema(self, request: ChatRequest, names: list[str]) -> dict[str, Any]:
        """The schema a forced call decodes under: the tools' own, or, where the backend cannot
        build a grammar of it, their keys only (the arguments are then checked after decoding)."""
        by_name = {tool["function"]["name"]: tool for tool in request.tools}
        unknown = [name for name in names if name not in by_name]
        if unknown:
            raise InvalidRequestError(f"tool_choice names unknown tool(s): {', '.join(unknown)}")
        return self.call_schema([by_name[name] for name in names])

    def call_schema(self, tools: list) -> dict[str, Any]:
        """The schema one call to any of ``tools`` decodes under (see `_forced_schema`)."""
        names = [tool["function"]["name"] for tool in tools]
        schema = forced_call_schema(tools)
        prepare = getattr(self.generator, "prepare_schema", None)
        if prepare is None:
            return schema
        try:
            prepare(schema)
        except GrammarError as error:
            logger.warning("no grammar for the schema of %s (%s); decoding their keys only", names, error)
            schema = loose_call_schema(tools)
            try:
                prepare(schema)
            except GrammarError as again:
                raise InvalidRequestError(f"cannot build a decoding grammar for tool(s) "
                                          f"{', '.join(names)}: {again}") from again
        return schema

    @staticmethod
    def _forced_argument_problem(request: ChatRequest, call) -> str | None:
        tool = next((t for t in request.tools if t["function"]["name"] == call.name), None)
        return argument_problems(tool, call.arguments) if tool else f"{call.name!r} was not offered"

    def _check_context(self, prompt_tokens: int, max_tokens: int | None) -> None:
        needed = prompt_tokens + (max_tokens or 1)
        if needed > self.n_ctx:
            raise ContextLengthError(prompt_tokens, max_tokens, self.n_ctx)

    def _bounded(self, params: SamplingParams, prompt_tokens: int) -> SamplingParams:
        room = self.n_ctx - prompt_tokens
        max_tokens = min(params.max_tokens or room, room)
        return SamplingParams(
            max_tokens=max_tokens,
            temperature=params.temperature,
            top_p=params.top_p,
            stop=list(params.stop),
            seed=params.seed,
        )

    def close(self) -> None:
        self.generator.close()


class _Pieces:
    """The text pieces of one generation, in order; afterwards its finish reason and token count.
    Every piece is also appended to `raw`. With a guard, a reply that starts to loop is stopped
    (finish "repetition")."""

    def __init__(self, generator: Iterator[TextChunk], stop: StopEvent, raw: list[str],
                 guard: RepetitionGuard | None = None):
        self._generator, self._stop, self._raw, self._guard = generator, stop, raw, guard
        self.finish = "stop"
        self.tokens = 0

    def __iter__(self) -> Iterator[str]:
        looped = False
        while True:
            try:
                chunk = next(self._generator)
            except StopIteration as end:
                self.finish = end.value or "stop"
                break
            self.tokens += chunk.n_tokens
            self._raw.append(chunk.text)
            if not looped:
                yield chunk.text
            if self._guard is not None and not looped and self._guard.feed(chunk.text):
                looped = True  # stop at the next token; keep reading to the generator's end (token count, lock)
                self._stop.set()
        if looped:
            self.finish = "repetition"
        elif self._stop.caller.is_set():
            self.finish = "cancelled"
