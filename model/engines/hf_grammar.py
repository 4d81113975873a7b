"""Constrained decoding for the transformers engine, through llguidance.

llguidance compiles a JSON schema into a grammar over the model's own tokenizer and, at each step,
computes which tokens may come next (a bitmask over the vocabulary, in Rust). This module only
wires it into `model.generate`:

- `SchemaGrammars`: one per tokenizer; compiles a schema once, checks it, and keeps the most
  recent `MAX_GRAMMARS` (as llama.cpp's engine does). A schema llguidance cannot express raises
  `GrammarError`, and TemplatedEngine falls back as it does for llama.cpp (model/engines/base.py).
- `GrammarConstraint`: one generation's state. It is the logits processor
  (``logits_processor=[constraint]``: every token the grammar forbids gets -inf, before
  temperature, top-k and top-p, which transformers applies after custom processors) and hands out
  a stopping criterion that ends generation the moment the grammar is complete, without waiting
  for the model to write an end-of-turn token.

Free strings cannot hold our tags or chat special tokens (`markup_free_strings`: the rule the
llama.cpp grammar applies). An object's properties are the ones it declares unless the schema says otherwise (as llama.cpp's
converter reads it; JSON Schema itself would allow any others): a small model otherwise invents
keys. The JSON is written as training renders a call (``", "`` and ``": "``, no other whitespace; see
model/tool_format.py): a small model otherwise fills the freedom with newlines. Keywords
llguidance does not implement (``uniqueItems``, ``not``, ``if``…) are ignored (``lenient``), so
the grammar allows a superset there and the arguments are checked after decoding, as llama.cpp's
converter does with what it drops; a schema llguidance rejects outright (a pattern with
look-arounds or back-references, an unknown type) is a GrammarError.
"""
from __future__ import annotations

import json
import logging
from typing import Any

import llguidance.hf
import numpy as np
import torch
from llguidance import LLMatcher
from llguidance.numpy import allocate_token_bitmask, fill_next_token_bitmask

from model.call_schema import MARKUP_FREE_PATTERN
from model.errors import GenerationError, GrammarError
from model.tool_schemas import map_subschemas

logger = logging.getLogger(__name__)

MAX_GRAMMARS = 64
"""Compiled grammars kept per tokenizer; the oldest goes first."""
JSON_OPTIONS = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": ", "lenient": True}
"""llguidance's JSON compile options (see the module docstring)."""


class SchemaGrammars:
    """The compiled grammars of JSON schemas for one Hugging Face tokenizer."""

    def __init__(self, tokenizer):
        self._hf_tokenizer = tokenizer
        self._tokenizer = None  # llguidance's view of it, built on first use (about 1 s)
        self._compiled: dict[str, CompiledGrammar] = {}

    def compile(self, json_schema: dict[str, Any]) -> "CompiledGrammar":
        """The grammar of ``json_schema``; raises GrammarError when llguidance refuses it."""
        key = json.dumps(json_schema, ensure_ascii=False)
        if key not in self._compiled:
            if len(self._compiled) >= MAX_GRAMMARS:
                self._compiled.pop(next(iter(self._compiled)))
            self._compiled[key] = self._build(json_schema)
        return self._compiled[key]

    def _build(self, json_schema: dict[str, Any]) -> "CompiledGrammar":
        tokenizer = self.ll_tokenizer()
        try:
            grammar = LLMatcher.grammar_from_json_schema(declared_properties_only(markup_free_strings(json_schema)),
                                                         defaults=JSON_OPTIONS)
        except (ValueError, TypeError) as error:
            raise GrammarError(f"llguidance cannot read the schema: {error}") from error
        failed, messages = LLMatcher.validate_grammar_with_warnings(grammar, tokenizer)
        if failed:
            raise GrammarError(f"llguidance cannot build a grammar of the schema: {_one_line(messages)}")
        if messages:
            logger.debug("llguidance ignored part of a schema: %s", "; ".join(messages))
        matcher = LLMatcher(tokenizer, grammar, log_level=0)
        if matcher.is_error():
            raise GrammarError(f"llguidance cannot build a grammar of the schema: {matcher.get_error()}")
        return CompiledGrammar(matcher, tokenizer.vocab_size)

    def ll_tokenizer(self):
        """llguidance's tokenizer for the model's; GrammarError for a tokenizer it cannot read."""
        if self._tokenizer is None:
            try:
                self._tokenizer = llguidance.hf.from_tokenizer(self._hf_tokenizer)
            except (ValueError, TypeError) as error:
                raise GrammarError(f"llguidance cannot use this tokenizer ({type(self._hf_tokenizer).__name__}): "
                                   f"{error}") from error
        return self._tokenizer


class CompiledGrammar:
    """A checked grammar, ready to start any number of generations."""

    def __init__(self, matcher, vocab_size: int):
        self._matcher = matcher  # never advanced: each generation advances a copy
        self.vocab_size = vocab_size

    def constraint(self, prompt_length: int) -> "GrammarConstraint":
        """The state of one generation whose prompt is ``prompt_length`` tokens long."""
        return GrammarConstraint(self._matcher.deep_copy(), self.vocab_size, prompt_length)


class GrammarConstraint:
    """One generation under a grammar (batch size 1): a logits processor for `model.generate`,
    and through `stopping_criterion` the end of generation once the grammar is complete."""

    def __init__(self, matcher, vocab_size: int, prompt_length: int):
        self.matcher = matcher
        self.prompt_length = prompt_length
        self._consumed = 0
        self._bitmask = allocate_token_bitmask(1, vocab_size)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self._advance(input_ids)
        fill_next_token_bitmask(self.matcher, self._bitmask)
        bits = np.unpackbits(self._bitmask.view(np.uint8), bitorder="little").astype(bool)
        allowed = torch.zeros(scores.shape[-1], dtype=torch.bool)  # logits past the tokenizer's: never
        width = min(bits.size, scores.shape[-1])
        allowed[:width] = torch.from_numpy(bits[:width])
        if not bool(allowed.any()):
            raise GenerationError(f"the grammar allows no next token: {self.matcher.get_error() or 'dead end'}")
        return scores.masked_fill(~allowed.to(scores.device), float("-inf"))

    def stopping_criterion(self) -> "_GrammarComplete":
        return _GrammarComplete(self)

    @property
    def complete(self) -> bool:
        """Whether the grammar is done: nothing may follow what was decoded."""
        return self.matcher.is_stopped() and not self.matcher.is_error()

    def _advance(self, input_ids) -> None:
        """Feed the matcher every token generated since it last looked."""
        if input_ids.shape[0] != 1:
            raise GenerationError("constrained decoding runs one sequence at a time")
        new = input_ids[0, self.prompt_length + self._consumed:].tolist()
        for token in new:
            if not self.matcher.consume_token(token):
                raise GenerationError(f"token {token} broke the grammar: {self.matcher.get_error()}")
        self._consumed += len(new)


class _GrammarComplete:
    """A stopping criterion: true once the grammar admits nothing more."""

    def __init__(self, constraint: GrammarConstraint):
        self.constraint = constraint

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs) -> torch.BoolTensor:
        self.constraint._advance(input_ids)
        done = self.constraint.complete
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


def declared_properties_only(schema: Any) -> Any:
    """A copy of ``schema`` in which an object with ``properties`` and nothing said about other
    keys takes no others. Left as they are: ``allOf`` (its branches are merged, and each needs its
    freedom for the others' keys), objects with pattern or unevaluated properties, and objects that
    require a key they do not declare."""
    if not isinstance(schema, dict) or "allOf" in schema:
        return schema
    out = map_subschemas(schema, declared_properties_only)
    properties, required = out.get("properties"), out.get("required")
    undeclared = isinstance(required, list) and isinstance(properties, dict) and not set(required) <= set(properties)
    if isinstance(properties, dict) and not _OTHER_KEYS & out.keys() and not undeclared:
        out["additionalProperties"] = False
    return out


_OTHER_KEYS = {"additionalProperties", "patternProperties", "unevaluatedProperties"}


def markup_free_strings(schema: Any) -> Any:
    """A copy of ``schema`` whose free strings (no pattern, format, enum or const of their own)
    cannot hold our tags or chat special tokens (`MARKUP_FREE_PATTERN`): llguidance matches a
    pattern against the decoded string, escapes included, and keeps ``maxLength`` beside it."""
    if not isinstance(schema, dict):
        return schema
    out = map_subschemas(schema, markup_free_strings)
    kinds = out.get("type") if isinstance(out.get("type"), list) else [out.get("type")]
    if "string" in kinds and not {"pattern", "format", "enum", "const"} & out.keys():
        out["pattern"] = MARKUP_FREE_PATTERN
    return out


def _one_line(messages: list[str]) -> str:
    text = " ".join(messages).strip()
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
