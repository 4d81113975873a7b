"""llama.cpp through llama-cpp-python: the default engine on a CPU, for GGUF files."""
from __future__ import annotations

import ctypes
import functools
import json
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from model.engines.base import TextChunk
from model.engines.gbnf import schema_to_gbnf
from model.engines.prompt_cache import PromptCache, common_prefix
from model.errors import GenerationError, GrammarError
from model.text_bar import TextBar
from model.types import SamplingParams

logger = logging.getLogger(__name__)


def default_threads() -> int:
    # FACTS.md: with another busy process on the cores, n_threads=2 can collapse throughput by
    # 100x on this machine's 2 cores; one thread per physical core minus one is the safe default.
    return max(1, (os.cpu_count() or 2) - 1)


TOKENIZED_PROMPTS = 16
"""Texts whose tokens are kept: one request tokenizes its prompt several times (counted for the
context check, then scored for the call decision, then decoded), ~3 ms each for the app's
tool prompt on this machine's CPU."""


class LlamaCppGenerator:
    """A GGUF model in process. Not thread-safe: callers serialise access (the server's queue)."""

    def __init__(self, model_path: str, n_ctx: int = 4096, n_threads: int | None = None,
                 lora_path: str | None = None, stop: list[str] | None = None, prompt_cache_mb: int = 256):
        from llama_cpp import Llama

        threads = n_threads or default_threads()
        self.llm = Llama(
            model_path=model_path,
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            lora_path=lora_path,
            use_mmap=lora_path is None,  # llama.cpp applies a LoRA only with mmap off
            verbose=False,
        )
        self.n_ctx = self.llm.n_ctx()
        self.stop = list(stop or [])
        self.repeat_penalty = 1.0
        """Penalty on recently written tokens (llama.cpp's repeat_penalty over its last 64; 1: off)."""
        self._lock = threading.Lock()
        self._grammars: dict[str, Any] = {}
        self._grammar_lock = threading.Lock()
        self.prompt_cache = PromptCache(prompt_cache_mb << 20) if prompt_cache_mb > 0 else None
        """KV states of earlier prompts (model/engines/prompt_cache.py); None: off."""
        self.restored = 0
        """How many prompts started from a cached state instead of what the context held."""
        self._tokens_of = functools.lru_cache(maxsize=TOKENIZED_PROMPTS)(self._tokenize)
        self._bars: dict[str, TextBar] = {}

    # -- metadata used to build the chat template --------------------------------------------
    @property
    def metadata(self) -> dict[str, str]:
        return dict(self.llm.metadata)

    def token_text(self, token_id: int) -> str:
        if token_id < 0:
            return ""
        return self.llm.detokenize([token_id], special=True).decode("utf-8", errors="replace")

    def special_tokens(self) -> tuple[str, str]:
        return self.token_text(self.llm.token_bos()), self.token_text(self.llm.token_eos())

    # -- TextGenerator -------------------------------------------------------------------------
    def tokenize(self, text: str) -> list[int]:
        return list(self._tokens_of(text))

    def _tokenize(self, text: str) -> tuple[int, ...]:
        return tuple(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    bars_text = True
    """`generate` takes ``barred``: a text the reply never contains (model/text_bar.py)."""

    def text_bar(self, text: str) -> TextBar:
        """The bar of `text` over this model's vocabulary (built once: ~0.25 s for 49k tokens)."""
        bar = self._bars.get(text)
        if bar is None:
            vocabulary = [self.llm.detokenize([token], special=False) for token in range(self.llm.n_vocab())]
            bar = self._bars[text] = TextBar(vocabulary, text)
        return bar

    def generate(self, prompt: str, params: SamplingParams, json_schema: dict[str, Any] | None,
                 cancel: threading.Event, barred: str = "") -> Iterator[TextChunk]:
        """``barred``: a text the reply never contains."""
        from llama_cpp import LogitsProcessorList, StoppingCriteriaList

        check = _CancelCheck(cancel)
        bar = self.text_bar(barred) if barred else None
        with self._lock:
            self._restore_prefix(self.tokenize(prompt))
            try:
                stream = self.llm.create_completion(
                    prompt,
                    max_tokens=params.max_tokens,
                    temperature=params.temperature,
                    top_p=params.top_p,
                    repeat_penalty=self.repeat_penalty,
                    stop=self.stop + list(params.stop),
                    seed=params.seed,
                    grammar=self.prepare_schema(json_schema) if json_schema else None,
                    stopping_criteria=StoppingCriteriaList([check]),
                    logits_processor=LogitsProcessorList([_BarProcessor(bar)]) if bar else None,
                    stream=True,
                )
                finish = "stop"
                for chunk in stream:
                    choice = chunk["choices"][0]
                    if choice["text"]:
                        yield TextChunk(choice["text"], 0)
                    finish = choice.get("finish_reason") or finish
            except (RuntimeError, ValueError) as error:
                raise GenerationError(f"llama.cpp failed: {error}") from error
            self._save_state()
            yield TextChunk("", self._completion_tokens(prompt, finish, params.max_tokens))
        return "length" if finish == "length" else "stop"

    def prepare_schema(self, json_schema: dict[str, Any]):
        """The llama.cpp grammar of ``json_schema``, built once and checked with llama.cpp's own
        parser before it is ever used; raises GrammarError. (llama.cpp answers a grammar it cannot
        parse with a null sampler, and a null sampler in the chain crashes the process.)"""
        key = json.dumps(json_schema, ensure_ascii=False)
        with self._grammar_lock:
            if key not in self._grammars:
                if len(self._grammars) >= _MAX_GRAMMARS:
                    self._grammars.pop(next(iter(self._grammars)))
                self._grammars[key] = self._checked_grammar(schema_to_gbnf(json_schema))
            return self._grammars[key]

    def _checked_grammar(self, gbnf: str):
        from llama_cpp import LlamaGrammar

        if not grammar_parses(self.llm._model.vocab, gbnf):
            raise GrammarError("llama.cpp cannot parse the grammar built from the schema")
        return LlamaGrammar.from_string(gbnf, verbose=False)

    def _completion_tokens(self, prompt: str, finish: str, max_tokens: int | None) -> int:
        """Tokens generated, as llama.cpp's own usage counts them. After an end-of-turn token or a
        cancel, every kept token has been evaluated, so the context holds prompt + completion;
        after a user stop string the last kept token is not evaluated yet (one short)."""
        if finish == "length" and max_tokens:
            return max_tokens
        return max(0, self.llm.n_tokens - len(self.tokenize(prompt)))

    def next_token_logprobs(self, prompt: str, candidates: list[str]) -> dict[str, float]:
        with self._lock:
            self._eval_prompt(self.tokenize(prompt))
            logprobs = self._last_logprobs()
        result = {}
        for candidate in candidates:
            ids = self.llm.tokenize(candidate.encode("utf-8"), add_bos=False, special=False)
            result[candidate] = float(logprobs[ids[0]]) if ids else float("-inf")
        return result

    def continuation_logprob(self, prompt: str, continuation: str) -> float:
        """log P(``continuation`` | ``prompt``). What the context lacks of the prompt and the
        continuation are decoded in one batch, with logits from the prompt's last token on; then
        the continuation is forgotten and the prompt stays in the KV cache: a generation from it
        afterwards evaluates one token, not the prompt again."""
        tokens, extra = self.tokenize(prompt), self.tokenize(continuation)
        if not extra:
            return 0.0
        with self._lock:
            self._restore_prefix(tokens)
            held = common_prefix(self.llm.input_ids[: self.llm.n_tokens].tolist(), tokens)
            start = min(held, len(tokens) - 1)
            self.llm._ctx.kv_cache_seq_rm(-1, start, -1)
            pending = tokens[start:] + extra[:-1]
            rows = self._batch_logprobs(pending, start, scored_from=len(tokens) - 1 - start)
            self.llm._ctx.kv_cache_seq_rm(-1, len(tokens), -1)  # forget the continuation
            self.llm.input_ids[start: len(tokens)] = tokens[start:]
            self.llm.n_tokens = len(tokens)
            self.llm._requires_eval = True  # the next generate replays the prompt's last token for its logits
            self._save_state()
        return float(sum(row[token] for row, token in zip(rows, extra)))

    def _batch_logprobs(self, tokens: list[int], start: int, scored_from: int = 0) -> list[np.ndarray]:
        """Decode ``tokens`` at positions ``start``… in batches of at most n_batch; the
        log-probabilities of the next token after each of ``tokens[scored_from:]``."""
        from llama_cpp import llama_cpp

        context, step, rows = self.llm._ctx.ctx, self.llm.n_batch, []
        batch = llama_cpp.llama_batch_init(step, 0, 1)
        try:
            for offset in range(0, len(tokens), step):
                chunk = tokens[offset: offset + step]
                for index, token in enumerate(chunk):
                    batch.token[index] = token
                    batch.pos[index] = start + offset + index
                    batch.n_seq_id[index] = 1
                    batch.seq_id[index][0] = 0
                    batch.logits[index] = offset + index >= scored_from
                batch.n_tokens = len(chunk)
                if llama_cpp.llama_decode(context, batch) != 0:
                    raise GenerationError("llama.cpp could not decode the scored text")
                rows += [log_softmax(np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(context, index),
                                                            shape=(self.llm.n_vocab(),)))
                         for index in range(len(chunk)) if offset + index >= scored_from]
        finally:
            llama_cpp.llama_batch_free(batch)
        return rows

    def warm(self, prompt: str) -> None:
        """Evaluate ``prompt`` now and keep its state, so that prompts starting with it later
        (a new conversation with the same system prompt and tools) evaluate only what follows."""
        with self._lock:
            self._eval_prompt(self.tokenize(prompt))

    def _eval_prompt(self, tokens: list[int]) -> None:
        """Evaluate ``tokens``, reusing the longest prefix the context or the prompt cache holds
        (as llama-cpp-python's own generate does); the last token is always evaluated, for logits."""
        self._restore_prefix(tokens)
        cached = self.llm.longest_token_prefix(self.llm.input_ids[: self.llm.n_tokens].tolist(), tokens)
        self.llm.n_tokens = min(cached, len(tokens) - 1)  # eval() drops the KV cache from here on
        self.llm.eval(tokens[self.llm.n_tokens:])
        self._save_state()

    def _restore_prefix(self, tokens: list[int]) -> None:
        """Load the cached state sharing the longest prefix with ``tokens`` when it shares more
        than the context holds now; llama-cpp-python then evaluates only the rest."""
        if self.prompt_cache is None:
            return
        found = self.prompt_cache.lookup(tokens)
        if found is None:
            return
        entry, shared = found
        if shared <= common_prefix(self.llm.input_ids[: self.llm.n_tokens].tolist(), tokens):
            return
        from llama_cpp import llama_cpp

        size = len(entry.state)
        if llama_cpp.llama_state_seq_set_data(self.llm._ctx.ctx, entry.state, size, 0) != size:
            logger.warning("restoring a cached prompt state failed; evaluating the prompt in full")
            self.llm.reset()
            self.llm._ctx.kv_cache_clear()
            return
        self.llm.input_ids[: len(entry.tokens)] = entry.tokens
        self.llm.n_tokens = len(entry.tokens)
        self.llm._requires_eval = True  # logits come from a decode, never from a restored state
        self.restored += 1

    def _save_state(self) -> None:
        """Keep the state of what the context holds now (prompt and reply) in the prompt cache."""
        count = self.llm.n_tokens
        if self.prompt_cache is None or count < self.prompt_cache.min_tokens:
            return
        tokens = self.llm.input_ids[:count].tolist()
        if self.prompt_cache.holds(tokens):
            return
        from llama_cpp import llama_cpp

        self.llm._ctx.kv_cache_seq_rm(-1, count, -1)  # cells past n_tokens (a scored continuation)
        context = self.llm._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(context, 0)
        state = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(context, state, size, 0)
        if written != size:
            state = (ctypes.c_uint8 * written).from_buffer_copy(state)
        self.prompt_cache.store(tokens, state)

    def _last_logprobs(self) -> np.ndarray:
        return log_softmax(np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self.llm.n_vocab(),)))

    def close(self) -> None:
        with self._lock:  # a scoring or warming pass still running (a start-up warm) ends first
            self.llm.close()


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits.astype(np.float64)
    top = logits.max()
    return logits - (np.log(np.exp(logits - top).sum()) + top)


class _BarProcessor:
    """A llama-cpp-python logits processor (called once before each sampled token) that applies
    a `TextBar`."""

    def __init__(self, bar: TextBar):
        self.bar, self.first = bar, True

    def __call__(self, input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        self.bar.apply(scores, None if self.first else int(input_ids[-1]))
        self.first = False
        return scores


class _CancelCheck:
    """A llama.cpp stopping criterion, asked once per sampled token: stop when cancelled."""

    def __init__(self, cancel: threading.Event):
        self.cancel = cancel

    def __call__(self, input_ids, logits) -> bool:
        return self.cancel.is_set()


_MAX_GRAMMARS = 64


def grammar_parses(vocab, gbnf: str) -> bool:
    """Whether llama.cpp's grammar parser takes ``gbnf`` (it prints its reason to stderr if not)."""
    from llama_cpp import llama_cpp

    sampler = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode("utf-8"), b"root")
    if not sampler:
        return False
    llama_cpp.llama_sampler_free(sampler)
    return True
