"""Continuous batching on llama.cpp: several requests decode together in one context.

What llama.cpp's own server does with ``--parallel N``, in process: one scheduler thread owns a
llama.cpp context holding ``parallel`` sequences of up to ``n_ctx`` tokens each.
Every step it builds one batch — the next token of each sequence that is generating, then chunks
of newly admitted prompts — decodes it once, and samples each sequence's token from its own row
of logits with its own sampler chain (repeat penalty, grammar, top-k / top-p / min-p,
temperature, seed), exactly the chain llama-cpp-python's ``create_completion`` builds. A request
joins at the next step and leaves when it ends; nobody waits for a whole reply of another.

Where the speed comes from on a CPU: the weights are read once a step for every sequence, and a
step of more than one token (several sequences, or a prompt) runs on ``batch_threads`` threads
(all cores by default; llama.cpp's ``n_threads_batch``), where one sequence's next token decodes
on ``n_threads`` (cores − 1). On this 2-core machine two threads decoded four sequences at 58
tokens/s against 37 on one, and a 300-token prompt at 122-125 against 61-76 tokens/s; with a
busy loop on the other core, 58 against 37 and 50-83 against 54-70 (shared/FACTS.md records a
collapse of two threads beside a busy process; these multi-token decodes did not show one). Each sequence has a KV stream of its own, so attention
reads only its own tokens (one shared buffer made a lone sequence attend over every other
conversation's cells too: 16 against 24 tokens/s, one run each, with four 900-token prompts held).

The scoring paths (the calibrated call decision, multiple-choice log-probabilities) and warming
run on the scheduler thread too, between steps, in one more sequence of the same context: the
prompt cache (model/engines/prompt_cache.py) then holds states of one layout, and a prompt scored
or warmed there is restored into a generating sequence by copying its KV state, not evaluated
again. (llama.cpp refuses a state written by a context with another number of streams.) A last
sequence prefetches, when nothing else runs, prompts that are likely to come (`prefetch`: the
next turn of a conversation whose reply was written without the tools).

A scored state is not copied into the prompt cache while a request waits on it. Copying the 20 MB
state of the app's tool prompt took 49-57 ms on this machine, most of it the first touch of fresh
memory, and it sat between a request's call decision and its first token. Nor is a finished
reply's state copied as it ends. States stay in the KV cache instead, and the roles swap KV
streams (sequence ids) rather than copy them: a request, or a score, takes the free stream that
suits its prompt best, be it a generating slot's, the scratch sequence's (a call the decision
opened continues the scored state there) or the idle sequence's, and the conversation's next turn
is scored and answered in the stream that holds its last reply. States are copied into the prompt
cache between the decode steps of replies whose first text is out, when the engine is idle
(`IDLE_AFTER`), or before a stream holding one is overwritten.

Which streams run together matters as much: llama.cpp decodes a batch over separate KV streams in
one pass over the weights only where their ids are consecutive and increasing. So the batch holds
its sequences in stream order, and a request takes a stream that keeps the running streams
consecutive before it looks at what the streams hold (docs/serving.md, "A finished reply stays in
its slot; streams kept consecutive").
"""
from __future__ import annotations

import codecs
import ctypes
import logging
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.engines.base import TextChunk
from model.engines.llamacpp import LlamaCppGenerator, log_softmax
from model.engines.prompt_cache import common_prefix
from model.errors import GenerationError, GrammarError
from model.text_bar import TextBar
from model.types import SamplingParams

logger = logging.getLogger(__name__)

PENALTY_LAST_N = 64
"""Tokens the repeat penalty looks back over (llama-cpp-python's ``last_n_tokens_size``)."""
BATCH_TOKENS = 512
"""Most tokens one decode takes (llama-cpp-python's default n_batch)."""
TOP_K, MIN_P = 40, 0.05
"""llama-cpp-python's ``create_completion`` defaults, kept so that both engines sample alike."""
IDLE_AFTER = 0.2
"""Seconds without a request before prefetching starts (back-to-back requests never wait for it)."""
IDLE_CHUNK = 8
"""Tokens one prefetch step evaluates: a request that arrives meanwhile waits for one step at most
(8 tokens after the 850-token tool prompt: ~45 ms on this machine's two cores)."""
PREFETCHES = 4
"""Prompts waiting to be prefetched; older ones are dropped."""
SHORT_TAIL = 16
"""Tokens of a slot's state not yet in the prompt cache that may be overwritten without copying it
there first: evaluating them again (~4 ms a token) costs less than the copy (say the call
opening scored after a prompt, which a call's own prompt continues a little differently)."""


class BatchedLlamaCpp(LlamaCppGenerator):
    """A GGUF model serving up to ``parallel`` generations at once. Thread-safe: callers on any
    thread submit generations, scoring and warming to the scheduler thread, which alone touches
    the context. (The inherited llama-cpp-python object provides the weights, the LoRA, the
    tokenizer and the grammars; its own context is kept small and unused.)"""

    def __init__(self, model_path: str, n_ctx: int = 4096, n_threads: int | None = None,
                 lora_path: str | None = None, stop: list[str] | None = None, prompt_cache_mb: int = 256,
                 parallel: int = 4, batch_threads: int | None = None):
        super().__init__(model_path, _UNUSED_CONTEXT, n_threads, lora_path, stop, prompt_cache_mb)
        self.n_ctx = n_ctx
        self.parallel = parallel
        self.batch_threads = batch_threads or os.cpu_count() or 1
        """Threads for a decode of more than one token (several sequences, or a prompt)."""
        self._context = _BatchContext(self.llm, n_ctx, parallel + 2, self.llm.context_params.n_threads,
                                      self.batch_threads)
        self._slots = [_Slot(index) for index in range(parallel)]
        self._scratch = _Slot(parallel)
        """The sequence scoring and warming decode in."""
        self._idle = _Slot(parallel + 1)
        """The sequence prefetching decodes in (`prefetch`)."""
        self._prefetches: deque[list[int]] = deque(maxlen=PREFETCHES)
        """Prompts to evaluate when idle, newest first (the scheduler thread's own)."""
        self._inbox: queue.Queue[_Sequence | _Job | _Prefetch | None] = queue.Queue()
        self._closed = False
        self.steps = 0
        """Batches decoded so far; with `tokens_decoded`, how full they were."""
        self.tokens_decoded = 0
        """Tokens decoded in those batches (`tokens_scored`: those decoded alone)."""
        self._thread = threading.Thread(target=self._schedule, name="lingxi-batch", daemon=True)
        self._thread.start()

    @property
    def tokens_scored(self) -> int:
        """Tokens decoded alone, outside the batches: scoring, warming, prefetching."""
        return self._context.decoded_alone

    # -- TextGenerator -------------------------------------------------------------------------
    accepts_grammar_prefix = True
    """`generate` takes ``grammar_prefix``: model/engines/auto_calls.py then puts the parts of a
    call that its grammar fixes into the prompt instead of decoding them a token at a time."""

    def generate(self, prompt: str, params: SamplingParams, json_schema: dict[str, Any] | None,
                 cancel: threading.Event, grammar_prefix: str = "", barred: str = "") -> Iterator[TextChunk]:
        """``grammar_prefix``: text that follows the prompt as if it had been decoded under the
        grammar (say ``{"name": "``): it is evaluated with the prompt, in one batch, and its tokens
        are accepted by the sampler chain, so the grammar continues after it. GrammarError if the
        grammar does not allow it. ``barred``: a text the reply never contains."""
        if self._closed:
            raise GenerationError("the engine is closed")
        grammar = self.prepare_schema(json_schema) if json_schema else None
        written = self._written_tokens(grammar_prefix, grammar) if grammar_prefix else []
        sampler = _sampler_chain(self.llm, params, self.repeat_penalty, grammar)
        sampler.accept(written)
        sequence = _Sequence(self.tokenize(prompt) + written, params, cancel, sampler,
                             _StopText(self.stop + list(params.stop)), self.text_bar(barred) if barred else None)
        self._inbox.put(sequence)
        try:
            while True:
                item = sequence.out.get()
                if isinstance(item, _Finished):
                    break
                if isinstance(item, BaseException):
                    raise item
                yield TextChunk(item, 0)
        finally:
            sequence.abandoned.set()  # the caller stopped early: the scheduler drops the sequence
        yield TextChunk("", item.tokens)
        return item.reason

    def _written_tokens(self, text: str, grammar) -> list[int]:
        """The tokens of ``text``, each checked against the grammar before it is taken (llama.cpp
        aborts the process when a grammar is made to accept a token it does not allow)."""
        if grammar is None:
            raise GrammarError("a grammar prefix needs a grammar")
        tokens = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        check = _grammar_sampler(self.llm, grammar)
        try:
            for token in tokens:
                if not check.allows(token):
                    raise GrammarError(f"the grammar does not allow {text!r}")
                check.accept([token])
        finally:
            check.free()
        return tokens

    def next_token_logprobs(self, prompt: str, candidates: list[str]) -> dict[str, float]:
        tokens = self.tokenize(prompt)
        logprobs = self._run_job(lambda: self._score(tokens, [], 0), after=self._keep_scratch_later)[0]
        result = {}
        for candidate in candidates:
            ids = self.llm.tokenize(candidate.encode("utf-8"), add_bos=False, special=False)
            result[candidate] = float(logprobs[ids[0]]) if ids else float("-inf")
        return result

    def continuation_logprob(self, prompt: str, continuation: str, floor: float | None = None) -> float:
        """log P(``continuation`` | ``prompt``), decoded in one batch after what the scratch
        sequence or the prompt cache holds of the prompt; the prompt's state is kept after.

        ``floor``: when the continuation's first token alone is less likely than this, that
        token's log-probability is returned (below ``floor``, as the whole would be) and the rest
        of the continuation is not decoded: a decision against a threshold needs no more. (The
        call decision's opening, ``<tool_call>``, is five tokens; its first one carries nearly all
        of the doubt: P("<") 0.036 against P(call) 0.035 for "今天有什么新闻？".)"""
        tokens, extra = self.tokenize(prompt), self.tokenize(continuation)
        if not extra:
            return 0.0
        if floor is not None and len(extra) > 1:
            return self._run_job(lambda: self._score_above(tokens, extra, floor), after=self._keep_scratch_later)
        rows = self._run_job(lambda: self._score(tokens, extra[:-1], len(extra)), after=self._keep_scratch_later)
        return float(sum(row[token] for row, token in zip(rows, extra)))

    stops_scoring_below_floor = True
    """`continuation_logprob` takes ``floor`` (model/call_decision.py passes the threshold)."""

    def warm(self, prompt: str) -> None:
        tokens = self.tokenize(prompt)
        self._run_job(lambda: (self._score(tokens, [], 0), self._save(self._scratch)))  # kept once it returns

    def prefetch(self, prompt: str) -> None:
        """Evaluate ``prompt`` once nothing has arrived for `IDLE_AFTER` seconds, `IDLE_CHUNK`
        tokens a step, and keep its state in the prompt cache: say the next turn of a
        conversation, while its user reads the reply. Returns at once; without a prompt cache it
        does nothing."""
        if not self._closed and self.prompt_cache is not None:
            self._inbox.put(_Prefetch(self.tokenize(prompt)))

    def _keep_scratch_later(self) -> None:
        """Keep the scored state, without copying it now: see the module's docstring."""
        self._scratch.unsaved = True

    def _run_job(self, work: Callable[[], Any], after: Callable[[], Any] | None = None) -> Any:
        """Run ``work`` on the scheduler thread and return its result; ``after`` runs there once
        the caller has it (keeping a state, say), before anything else the scheduler does."""
        if self._closed:
            raise GenerationError("the engine is closed")
        job = _Job(work, after)
        self._inbox.put(job)
        job.finished.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._inbox.put(None)
            self._thread.join(timeout=10)
            if not self._thread.is_alive():
                self._context.free()
        super().close()

    # -- the scheduler thread --------------------------------------------------------------------
    def _schedule(self) -> None:
        active: list[_Sequence] = []
        waiting: list[_Sequence] = []
        idle = False
        """Nothing has arrived for IDLE_AFTER seconds and nothing runs: prefetching may."""
        while True:
            taken = self._take_new(active, waiting, idle)
            if taken is None:
                break
            self._admit(waiting, active)
            idle = not taken and not active and not waiting
            if not active:
                if idle:
                    self._idle_step()
                continue
            try:
                self._step(active)
            except Exception as error:  # a failed decode ends every sequence in it, not the engine
                logger.exception("llama.cpp batch decode failed")
                failure = error if isinstance(error, GenerationError) else GenerationError(f"llama.cpp failed: {error}")
                for sequence in active:
                    self._end(sequence, failure)
            active[:] = [sequence for sequence in active if not sequence.done]
            if active and not waiting and self._inbox.empty() and all(sequence.sent_text for sequence in active):
                self._save_one()  # between the tokens of replies already under way, not before their first text
        for sequence in active + waiting:
            self._end(sequence, GenerationError("the engine was closed"))
        while True:  # jobs submitted while closing
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Job):
                item.fail(GenerationError("the engine was closed"))

    def _take_new(self, active: list["_Sequence"], waiting: list["_Sequence"], idle: bool) -> int | None:
        """Run submitted jobs, move submitted sequences to `waiting` and prefetches to their
        queue; how many items came (None: closing). When nothing runs it waits: for the next
        item, or IDLE_AFTER seconds while idle work is to be done (not at all once idle)."""
        taken = 0
        try:
            if active or waiting or (idle and self._idle_work()):
                item = self._inbox.get_nowait()
            elif self._idle_work():
                item = self._inbox.get(timeout=IDLE_AFTER)
            else:
                item = self._inbox.get()
            while True:
                if item is None:
                    return None
                taken += 1
                if isinstance(item, _Job):
                    item.run()
                elif isinstance(item, _Prefetch):
                    self._prefetches.appendleft(item.tokens)
                else:
                    waiting.append(item)
                item = self._inbox.get_nowait()
        except queue.Empty:
            return taken

    def _idle_work(self) -> bool:
        return bool(self._prefetches) or any(slot.unsaved and slot.sequence is None for slot in self._all_slots())

    def _all_slots(self) -> list["_Slot"]:
        return [*self._slots, self._scratch, self._idle]

    def _idle_step(self) -> None:
        """One piece of idle work: copy a slot's state into the prompt cache, else prefetch."""
        if not self._save_one() and self._prefetches:
            self._prefetch_step()

    def _save_one(self) -> bool:
        """Copy the state of one slot that holds one not yet in the prompt cache; False: none does."""
        unsaved = next((slot for slot in self._all_slots() if slot.unsaved and slot.sequence is None), None)
        if unsaved is None:
            return False
        self._save(unsaved)
        return True

    def _prefetch_step(self) -> None:
        """Evaluate the next IDLE_CHUNK tokens of the newest prefetch in the idle sequence
        (starting from the longest prefix the prompt cache holds); keep the state once whole."""
        tokens, slot = self._prefetches[0], self._idle
        if self.prompt_cache is None or self.prompt_cache.holds(tokens):
            self._prefetches.popleft()
            return
        start = len(slot.tokens)
        if common_prefix(slot.tokens, tokens) < start or not start:
            start = self._prepare(slot, tokens)
        chunk = tokens[start: start + IDLE_CHUNK]
        try:
            self._context.decode_alone(slot, chunk, scored_from=len(chunk) - 1)
        except Exception:
            logger.exception("llama.cpp: prefetching a prompt failed")
            self._prefetches.popleft()
            slot.tokens = []
            self._context.forget(slot.index, 0)
            return
        if len(slot.tokens) >= len(tokens):
            self._prefetches.popleft()
            self._save(slot)

    def _admit(self, waiting: list["_Sequence"], active: list["_Sequence"]) -> None:
        while waiting:
            sequence = waiting[0]
            if sequence.abandoned.is_set() or sequence.cancel.is_set():
                waiting.pop(0)
                self._end(sequence, _Finished("stop", 0))
                continue
            free = [slot for slot in self._slots if slot.sequence is None]
            if not free:
                return
            waiting.pop(0)
            try:
                self._place(sequence, free)
            except Exception as error:
                self._end(sequence, GenerationError(f"llama.cpp could not start the prompt: {error}"))
                continue
            active.append(sequence)

    def _place(self, sequence: "_Sequence", free: list["_Slot"]) -> None:
        """Put `sequence` in one of the `free` generating slots, given the free KV stream that
        suits its prompt best (`_take_stream`)."""
        tokens = sequence.prompt
        slot = self._take_stream(tokens, free)
        start = self._prepare(slot, tokens)
        slot.sequence = sequence
        sequence.slot = slot
        sequence.pending = list(tokens[start:])

    def _prepare(self, slot: "_Slot", tokens: list[int]) -> int:
        """Make `slot` hold the longest prefix of `tokens` that it or the prompt cache has (a
        cached state is copied in); returns where decoding must start. The last token is always
        decoded again, for its logits."""
        held = common_prefix(slot.tokens, tokens)
        if _needs_saving(slot, tokens):
            self._save(slot)
        found = self.prompt_cache.lookup(tokens) if self.prompt_cache is not None else None
        if found is not None and found[1] > held:
            entry, held = found
            if self._context.restore(slot.index, entry.state):
                slot.tokens = list(entry.tokens)
                self.restored += 1
            else:
                logger.warning("restoring a cached prompt state failed; evaluating the prompt in full")
                slot.tokens, held = [], 0
        start = min(held, len(tokens) - 1)
        self._context.forget(slot.index, start)
        slot.tokens = list(tokens[:start])
        return start

    def _score(self, tokens: list[int], extra: list[int], rows: int) -> list[np.ndarray]:
        """Decode `tokens` then `extra` in the scratch sequence, alone; the log-probabilities
        after each of the last `rows` decoded tokens (at least the last one). The scratch sequence
        first takes the free KV stream that suits `tokens` best (`_take_stream`): the one holding
        a finished reply that `tokens`, the next turn, continue, say. The caller keeps the state of
        both once it has the result (`_keep_scratch_later`): a call the decision opens, or a text
        answer, continues from it, and any other continuation of `tokens` reuses its prefix."""
        slot = self._take_stream(tokens, [self._scratch])
        start = self._prepare(slot, tokens)
        pending = tokens[start:] + extra
        wanted = max(rows, 1)
        result = self._context.decode_alone(slot, pending, scored_from=len(pending) - wanted)
        slot.tokens = tokens + extra
        return result

    def _score_above(self, tokens: list[int], extra: list[int], floor: float) -> float:
        """`continuation_logprob` with a floor: the prompt first, the continuation after it only
        while its first token is at least as likely as ``floor``."""
        total = float(self._score(tokens, [], 0)[0][extra[0]])
        if total < floor:
            return total
        rows = self._context.decode_alone(self._scratch, extra[:-1], scored_from=0)
        return total + float(sum(row[token] for row, token in zip(rows, extra[1:])))

    def _take_stream(self, tokens: list[int], roles: list["_Slot"]) -> "_Slot":
        """One of `roles` (free generating slots, or the scratch sequence), made to own the free
        KV stream that suits `tokens` best, and returned. Roles not running a sequence swap
        streams, and what the streams hold, without copying anything, so every free stream is a
        candidate: the scratch sequence's scored state, a finished reply, a prefetched prompt.

        The best stream, in this order: one with which the running sequences decode in the fewest
        llama.cpp passes a step (`_passes`: filling a gap the end of a reply left beats adding to
        a run, which beats starting a new run); one whose state need not be copied into the prompt
        cache before `tokens` overwrite it; the one holding the longest prefix of `tokens`."""
        running = [slot.index for slot in self._slots if slot.sequence is not None]
        free = [slot for slot in self._all_slots() if slot.sequence is None]
        best = max(free, key=lambda slot: (-_passes([*running, slot.index]), not _needs_saving(slot, tokens),
                                           common_prefix(slot.tokens, tokens)))
        if best in roles:
            return best
        role = min(roles, key=lambda slot: (slot.unsaved, len(slot.tokens)))  # the other role gets the least to keep
        _swap(role, best)
        return role

    def _step(self, active: list["_Sequence"]) -> None:
        for sequence in active:
            if sequence.abandoned.is_set() or sequence.cancel.is_set():
                self._finish(sequence, "stop")
        entries = self._context.fill([sequence for sequence in active if not sequence.done])
        if not entries:
            return
        self._context.decode()
        self.steps += 1
        self.tokens_decoded += self._context.batch.n_tokens
        for sequence, row in entries:
            if row is not None:
                if sequence.bar is not None:
                    self._context.bar(row, sequence.bar, sequence.slot.tokens[-1] if sequence.generated else None)
                self._next_token(sequence, self._context.sample(sequence.sampler, row))

    def _next_token(self, sequence: "_Sequence", token: int) -> None:
        if _is_eog(self.llm, token):
            self._finish(sequence, "stop")
            return
        sequence.generated += 1
        text, stopped = sequence.stop_text.feed(self.llm.detokenize([token], special=False))
        if text:
            sequence.out.put(text)
            sequence.sent_text = True
        if stopped:
            self._finish(sequence, "stop")
        elif sequence.params.max_tokens is not None and sequence.generated >= sequence.params.max_tokens:
            self._finish(sequence, "length")
        elif sequence.cancel.is_set() or sequence.abandoned.is_set():
            self._finish(sequence, "stop")
        else:
            sequence.pending = [token]

    def _finish(self, sequence: "_Sequence", reason: str) -> None:
        tail = "" if sequence.stop_text.stopped else sequence.stop_text.flush()
        if tail:
            sequence.out.put(tail)
        slot = sequence.slot
        self._end(sequence, _Finished(reason, sequence.generated))
        if slot is not None:
            slot.unsaved = self._worth_saving(slot)  # copied when idle, or before it is overwritten

    def _save(self, slot: "_Slot | None") -> None:
        """Keep what `slot` holds (prompt and reply) in the prompt cache: the conversation's next
        turn, or the call phase after a free phase, starts from it."""
        if slot is None:
            return
        slot.unsaved = False
        if not self._worth_saving(slot):
            return
        state = self._context.state(slot.index)
        if state is not None:
            self.prompt_cache.store(slot.tokens, state)

    def _worth_saving(self, slot: "_Slot") -> bool:
        """Whether the prompt cache would take `slot`'s state and does not hold it yet."""
        cache = self.prompt_cache
        return cache is not None and len(slot.tokens) >= cache.min_tokens and not cache.holds(slot.tokens)

    def _end(self, sequence: "_Sequence", outcome: "_Finished | BaseException") -> None:
        if sequence.done:
            return
        sequence.done = True
        if sequence.slot is not None:
            sequence.slot.sequence = None
        sequence.sampler.free()
        sequence.out.put(outcome)


class _Job:
    """Work for the scheduler thread (scoring, warming); the caller waits for `finished`."""

    def __init__(self, work: Callable[[], Any], after: Callable[[], Any] | None = None):
        self.work, self.after = work, after
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished = threading.Event()

    def run(self) -> None:
        try:
            self.result = self.work()
        except Exception as error:
            logger.exception("llama.cpp scoring failed")
            self.error = error if isinstance(error, GenerationError) else GenerationError(f"llama.cpp failed: {error}")
        self.finished.set()
        if self.after is not None and self.error is None:
            try:
                self.after()
            except Exception:
                logger.exception("llama.cpp: keeping a scored state failed")

    def fail(self, error: BaseException) -> None:
        self.error = error
        self.finished.set()


_UNUSED_CONTEXT = 256
"""Tokens of llama-cpp-python's own context, which the batched engine never decodes in."""


@dataclass
class _Prefetch:
    tokens: list[int]


@dataclass
class _Finished:
    reason: str
    tokens: int


@dataclass
class _Slot:
    index: int
    """The llama.cpp sequence id (one KV stream)."""
    tokens: list[int] = field(default_factory=list)
    """What the slot's KV cache holds, from position 0."""
    sequence: "_Sequence | None" = None
    unsaved: bool = False
    """The KV holds a state worth keeping that the prompt cache does not have yet."""


def _needs_saving(slot: _Slot, tokens: list[int]) -> bool:
    """Whether `slot`'s state must be copied into the prompt cache before `tokens` overwrite it:
    it is not there yet, and more than `SHORT_TAIL` of its tokens would go."""
    return slot.unsaved and len(slot.tokens) - common_prefix(slot.tokens, tokens) > SHORT_TAIL


def _passes(streams: list[int]) -> int:
    """How many llama.cpp passes over the weights a decode step of sequences on KV streams
    `streams` takes: one for each run of consecutive stream ids (llama.cpp splits a batch over
    separate streams with ``split_equal(n_ubatch, sequential=true)``). Four next tokens on streams
    0, 2, 3 and 4 took two passes."""
    ordered = sorted(set(streams))
    return sum(1 for index, stream in enumerate(ordered) if index == 0 or stream != ordered[index - 1] + 1)


def _swap(a: _Slot, b: _Slot) -> None:
    """Exchange the KV streams (and what they hold) of two slots that run no sequence."""
    a.index, b.index = b.index, a.index
    a.tokens, b.tokens = b.tokens, a.tokens
    a.unsaved, b.unsaved = b.unsaved, a.unsaved


class _Sequence:
    """One generation: its prompt, sampler and output queue, and where the scheduler has got to."""

    def __init__(self, prompt: list[int], params: SamplingParams, cancel: threading.Event,
                 sampler: "_Sampler", stop_text: "_StopText", bar: TextBar | None = None):
        self.prompt, self.params, self.cancel = prompt, params, cancel
        self.sampler, self.stop_text, self.bar = sampler, stop_text, bar
        self.out: queue.Queue = queue.Queue()
        self.abandoned = threading.Event()
        self.slot: _Slot | None = None
        self.pending: list[int] = []
        """Tokens to decode next: the rest of the prompt, then each sampled token."""
        self.generated = 0
        self.sent_text = False
        self.done = False


class _BatchContext:
    """The scheduler's llama.cpp context: ``sequences`` KV streams of ``n_ctx`` tokens each."""

    def __init__(self, llm, n_ctx: int, sequences: int, threads: int, batch_threads: int):
        from llama_cpp import llama_cpp

        self._lib = llama_cpp
        params = type(llm.context_params).from_buffer_copy(llm.context_params)  # the same numerics
        params.n_ctx = n_ctx * sequences
        params.n_batch = params.n_ubatch = BATCH_TOKENS
        params.n_seq_max = sequences
        params.kv_unified = False  # a KV stream a sequence: attention reads only its own tokens
        params.n_threads, params.n_threads_batch = threads, batch_threads  # llama.cpp: one token, more
        self.ctx = llama_cpp.llama_init_from_model(llm._model.model, params)
        if not self.ctx:
            raise GenerationError(f"llama.cpp could not make a context for {sequences} sequences of {n_ctx} tokens")
        if llm._lora_adapter is not None:
            adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(llm._lora_adapter)
            scales = (ctypes.c_float * 1)(llm.lora_scale)
            if llama_cpp.llama_set_adapters_lora(self.ctx, adapters, 1, scales):
                raise GenerationError("llama.cpp could not apply the LoRA to the batch context")
        self.n_batch = BATCH_TOKENS
        self.batch = llama_cpp.llama_batch_init(self.n_batch, 0, 1)
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.n_vocab = llm.n_vocab()
        self.decoded_alone = 0
        """Tokens decoded alone so far (scoring, warming, prefetching)."""

    def fill(self, running: list[_Sequence]) -> list[tuple[_Sequence, int | None]]:
        """Put the next tokens of `running` in the batch: one for each generating sequence, then
        prompt chunks while room is left. Returns (sequence, logits row or None) for each
        sequence in the batch; a row is there where its last decoded token asks for a sample.

        The batch holds its sequences in the order of their KV streams. llama.cpp splits a batch
        into passes of consecutive, increasing stream ids; the slots swap streams, and four next
        tokens put in on streams 4, 1, 2, 3 took two passes (37-40 ms here against 30-31 in order)."""
        generating = [s for s in running if len(s.pending) == 1]
        prefilling = [s for s in running if len(s.pending) > 1]
        chunks, room = [], self.n_batch
        for sequence in generating + prefilling:  # next tokens first: a long prompt waits, not them
            if room <= 0:
                break
            chunk, sequence.pending = sequence.pending[:room], sequence.pending[room:]
            chunks.append((sequence, chunk))
            room -= len(chunk)
        batch, count, entries = self.batch, 0, []
        for sequence, chunk in sorted(chunks, key=lambda item: item[0].slot.index):
            slot = sequence.slot
            for token in chunk:
                batch.token[count] = token
                batch.pos[count] = len(slot.tokens)
                batch.n_seq_id[count] = 1
                batch.seq_id[count][0] = slot.index
                batch.logits[count] = False
                slot.tokens.append(token)
                count += 1
            row = None
            if not sequence.pending:
                batch.logits[count - 1] = True
                row = count - 1
            entries.append((sequence, row))
        batch.n_tokens = count
        return entries

    def decode_alone(self, slot: "_Slot", tokens: list[int], scored_from: int) -> list[np.ndarray]:
        """Decode `tokens` after what `slot` holds, in batches of at most n_batch, nothing else
        in them; the log-probabilities of the next token after each of ``tokens[scored_from:]``."""
        rows = []
        for offset in range(0, len(tokens), self.n_batch):
            chunk = tokens[offset: offset + self.n_batch]
            batch = self.batch
            for index, token in enumerate(chunk):
                batch.token[index] = token
                batch.pos[index] = len(slot.tokens) + index
                batch.n_seq_id[index] = 1
                batch.seq_id[index][0] = slot.index
                batch.logits[index] = offset + index >= scored_from
            batch.n_tokens = len(chunk)
            self.decode()
            self.decoded_alone += len(chunk)
            slot.tokens += chunk
            rows += [log_softmax(np.ctypeslib.as_array(self._lib.llama_get_logits_ith(self.ctx, index),
                                                        shape=(self.n_vocab,)))
                     for index in range(len(chunk)) if offset + index >= scored_from]
        return rows

    def decode(self) -> None:
        status = self._lib.llama_decode(self.ctx, self.batch)
        if status != 0:
            raise GenerationError(f"llama_decode returned {status}")

    def bar(self, row: int, bar: TextBar, previous: int | None) -> None:
        """Bar, in the logits of `row`, the tokens `bar` rules out after token `previous`."""
        bar.apply(np.ctypeslib.as_array(self._lib.llama_get_logits_ith(self.ctx, row), shape=(self.n_vocab,)), previous)

    def sample(self, sampler: "_Sampler", row: int) -> int:
        return self._lib.llama_sampler_sample(sampler.chain, self.ctx, row)

    def forget(self, seq_id: int, start: int) -> None:
        self._lib.llama_memory_seq_rm(self.memory, seq_id, start, -1)

    def restore(self, seq_id: int, state: np.ndarray) -> bool:
        return self._lib.llama_state_seq_set_data(self.ctx, _bytes_pointer(state), state.size, seq_id) == state.size

    def state(self, seq_id: int) -> np.ndarray | None:
        """The sequence's KV state, in a buffer that is not zeroed first (zeroing a ctypes array
        took 6 of the 9 ms a state of the app's 880-token tool prompt, 20 MB, cost here)."""
        size = self._lib.llama_state_seq_get_size(self.ctx, seq_id)
        state = np.empty(size, dtype=np.uint8)
        written = self._lib.llama_state_seq_get_data(self.ctx, _bytes_pointer(state), size, seq_id)
        if written == 0:
            return None
        return state if written == size else state[:written].copy()

    def free(self) -> None:
        if self.ctx:
            self._lib.llama_batch_free(self.batch)
            self._lib.llama_free(self.ctx)
            self.ctx = None


def _bytes_pointer(buffer: np.ndarray):
    return buffer.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))


class _Sampler:
    """A llama.cpp sampler chain for one sequence (it keeps that sequence's grammar state and
    penalty history)."""

    def __init__(self, chain):
        self.chain = chain

    def accept(self, tokens: list[int]) -> None:
        """Take ``tokens`` as sampled: the grammar moves past them, the penalties count them."""
        from llama_cpp import llama_cpp

        for token in tokens:
            llama_cpp.llama_sampler_accept(self.chain, token)

    def allows(self, token: int) -> bool:
        """Whether this sampler leaves ``token`` a chance as the next token (a grammar sets the
        logit of a token it does not allow to minus infinity). For a grammar alone: a chain's
        random sampler would move on."""
        from llama_cpp import llama_cpp

        data = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(token, 0.0, 0.0))
        candidates = llama_cpp.llama_token_data_array(data, 1, -1, False)
        llama_cpp.llama_sampler_apply(self.chain, ctypes.byref(candidates))
        return data[0].logit != float("-inf")

    def free(self) -> None:
        if self.chain:
            from llama_cpp import llama_cpp

            llama_cpp.llama_sampler_free(self.chain)
            self.chain = None


def _sampler_chain(llm, params: SamplingParams, repeat_penalty: float, grammar) -> _Sampler:
    """The chain llama-cpp-python's ``create_completion`` builds for the same options."""
    from llama_cpp import llama_cpp as lib

    chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
    sampler = _Sampler(chain)

    def add(link) -> None:
        if not link:
            sampler.free()
            raise GrammarError("llama.cpp could not build a sampler for the request")
        lib.llama_sampler_chain_add(chain, link)

    add(lib.llama_sampler_init_penalties(llm.n_vocab(), PENALTY_LAST_N, repeat_penalty, 0.0, 0.0))
    if grammar is not None:
        add(lib.llama_sampler_init_grammar(llm._model.vocab, grammar._grammar.encode("utf-8"),
                                           grammar._root.encode("utf-8")))
    if params.temperature == 0:
        add(lib.llama_sampler_init_greedy())
    else:
        add(lib.llama_sampler_init_top_k(TOP_K))
        add(lib.llama_sampler_init_top_p(params.top_p, 1))
        add(lib.llama_sampler_init_min_p(MIN_P, 1))
        add(lib.llama_sampler_init_temp(params.temperature))
        add(lib.llama_sampler_init_dist(lib.LLAMA_DEFAULT_SEED if params.seed is None else params.seed))
    return sampler


def _grammar_sampler(llm, grammar) -> _Sampler:
    """A sampler of the grammar alone (for checking text against it)."""
    from llama_cpp import llama_cpp as lib

    sampler = lib.llama_sampler_init_grammar(llm._model.vocab, grammar._grammar.encode("utf-8"),
                                             grammar._root.encode("utf-8"))
    if not sampler:
        raise GrammarError("llama.cpp could not build a sampler for the grammar")
    return _Sampler(sampler)


def _is_eog(llm, token: int) -> bool:
    from llama_cpp import llama_cpp

    return bool(llama_cpp.llama_vocab_is_eog(llm._model.vocab, token))


class _StopText:
    """Bytes in, text out: complete UTF-8 only, cut before the first stop string, and holding back
    an ending that may still become one (as ``create_completion`` does)."""

    def __init__(self, stops: list[str]):
        self.stops = [stop for stop in stops if stop]
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._held = ""
        self.stopped = False

    def feed(self, piece: bytes) -> tuple[str, bool]:
        """(text that can go out now, whether a stop string was reached)."""
        if self.stopped:
            return "", True
        text = self._held + self._decoder.decode(piece)
        cut = min((i for i in (text.find(stop) for stop in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self._held, self.stopped = "", True
            return text[:cut], True
        hold = max((_partial(text, stop) for stop in self.stops), default=0)
        self._held = text[len(text) - hold:] if hold else ""
        return text[: len(text) - hold], False

    def flush(self) -> str:
        """What is held at the end: an ending that never became a stop string (the bytes of a
        character the reply was cut in the middle of are dropped)."""
        text, self._held = self._held, ""
        return text


def _partial(text: str, stop: str) -> int:
    """The length of the longest ending of `text` that begins `stop`."""
    for length in range(min(len(stop) - 1, len(text)), 0, -1):
        if stop.startswith(text[-length:]):
            return length
    return 0
