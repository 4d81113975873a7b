"""LMDeploy: the GPU serving engine (optional extra `lingxi[gpu]`).

Runs on CUDA only; on a machine without it, construction fails at start-up with a clear
EngineUnavailableError. The PyTorch backend is the default here because only it supports
JSON-schema constrained decoding (forced tool calls); TurboMind is faster for plain chat.
For several GPUs use LMDeploy's own tensor parallelism (`tp`) and its proxy server.

Forced tool calls use LMDeploy's own guided decoding (xgrammar, through `response_format`): the
call is decoded under its JSON schema with whitespace bounded, and `prepare_schema` checks a schema
with xgrammar before it reaches LMDeploy's engine loop (one it cannot compile falls back to the
call's keys, as on the other engines). In auto mode calls are still read from free text (the
lenient parser): the two-phase constrained calls of model/engines/auto_calls.py are off here until
a GPU check passes (on an H200, 2026-12-04, the call phase ended after two tokens with finish
"length", cause not found), and with them the calibrated call decision.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any, Literal

from model.engines.base import TextChunk
from model.engines.hf import HFTokenizerMixin
from model.call_schema import FORCED_STRING_MAX_LENGTH
from model.errors import EngineUnavailableError, GrammarError
from model.tool_schemas import map_subschemas
from model.types import SamplingParams

logger = logging.getLogger(__name__)


def require_cuda() -> None:
    try:
        import torch
    except ImportError as error:
        raise EngineUnavailableError("the LMDeploy engine needs PyTorch with CUDA") from error
    if not torch.cuda.is_available():
        raise EngineUnavailableError(
            "the LMDeploy engine needs an NVIDIA GPU with CUDA, and none is available here; "
            "use --engine llama.cpp (GGUF) or --engine transformers on a CPU"
        )
    try:
        import lmdeploy  # noqa: F401
    except ImportError as error:
        raise EngineUnavailableError(
            "LMDeploy is not installed: pip install 'lingxi[gpu]' on a CUDA machine"
        ) from error


def engine_config_options(backend: Literal["pytorch", "turbomind"], n_ctx: int = 4096, tp: int = 1,
                          quant_policy: int = 0, cache_max_entry_count: float = 0.5,
                          model_format: Literal["hf", "awq"] = "hf") -> dict[str, Any]:
    """The keyword arguments of LMDeploy's engine config. `quant_policy` 8 / 4 quantizes the KV
    cache to int8 / int4; `model_format="awq"` serves W4A16 weights from `lmdeploy lite auto_awq`
    (TurboMind takes it as an option; the PyTorch engine reads it from the model's config.json)."""
    if quant_policy not in (0, 4, 8):
        raise EngineUnavailableError(f"LMDeploy quant_policy is 0, 4 or 8, not {quant_policy}")
    options: dict[str, Any] = dict(session_len=n_ctx, tp=tp, cache_max_entry_count=cache_max_entry_count,
                                   quant_policy=quant_policy)
    if backend == "turbomind" and model_format != "hf":
        options["model_format"] = model_format
    return options


def engine_config(backend: Literal["pytorch", "turbomind"], n_ctx: int = 4096, tp: int = 1, quant_policy: int = 0,
                  cache_max_entry_count: float = 0.5, model_format: Literal["hf", "awq"] = "hf"):
    from lmdeploy import PytorchEngineConfig, TurbomindEngineConfig

    options = engine_config_options(backend, n_ctx, tp, quant_policy, cache_max_entry_count, model_format)
    return PytorchEngineConfig(**options) if backend == "pytorch" else TurbomindEngineConfig(**options)


MAX_WHITESPACE = 1
"""Whitespace characters in a row that a call's JSON may hold (xgrammar's JSON otherwise allows any:
a random-weight model filled a forced call with newlines to max_tokens on the H200 check)."""


def response_format(json_schema: dict[str, Any]) -> dict[str, Any]:
    """LMDeploy's `response_format` for decoding under ``json_schema``: an xgrammar structural tag,
    since plain `json_schema` cannot bound whitespace. Markup inside strings is not excluded here
    as the llama.cpp grammar does (xgrammar's `excludes` drops the strings' `maxLength`, and an
    unbounded string runs on to max_tokens); chat special tokens cannot appear inside the JSON, and
    the call is read from the JSON itself, never re-scanned for tags."""
    return {"type": "structural_tag", "format": {"type": "json_schema", "json_schema": for_xgrammar(json_schema),
                                                 "max_whitespace_cnt": MAX_WHITESPACE}}


BOUNDED_ANY = {"anyOf": [{"type": "string", "maxLength": FORCED_STRING_MAX_LENGTH}, {"type": "number"},
                         {"type": "boolean"}, {"type": "null"}]}


def for_xgrammar(schema: Any) -> Any:
    """``schema`` as xgrammar should see it: a key that is required but not declared is declared
    as a scalar with a bounded string (xgrammar's objects hold their declared keys only, so the
    call came out without it; its "any value" has strings without end), and a string's `format`
    (an annotation) is dropped where it has a `maxLength` (xgrammar ignores the length beside a
    format, and the string runs on). Both were seen on the H200 check (bench/lmdeploy_calls.py)."""
    if not isinstance(schema, dict):
        return schema
    out = map_subschemas(schema, for_xgrammar)
    properties, required = out.get("properties"), out.get("required")
    if isinstance(properties, dict) and isinstance(required, list):
        missing = [key for key in required if isinstance(key, str) and key not in properties]
        if missing:
            out["properties"] = {**properties, **{key: BOUNDED_ANY for key in missing}}
    if "format" in out and "maxLength" in out:
        del out["format"]
    return out


class LMDeployGenerator(HFTokenizerMixin):
    supports_json_schema = True
    """A JSON schema is decoded under LMDeploy's guided decoding (xgrammar)."""

    def __init__(self, model_path: str, n_ctx: int = 4096, backend: Literal["pytorch", "turbomind"] = "pytorch",
                 tp: int = 1, quant_policy: int = 0, cache_max_entry_count: float = 0.5,
                 stop: list[str] | None = None, model_format: Literal["hf", "awq"] = "hf"):
        require_cuda()
        from lmdeploy import pipeline
        from transformers import AutoTokenizer

        config = engine_config(backend, n_ctx, tp, quant_policy, cache_max_entry_count, model_format)
        logger.info("starting LMDeploy (%s backend) on %s", backend, model_path)
        self.pipe = pipeline(model_path, backend_config=config)
        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        self.n_ctx = n_ctx
        self.stop = list(stop or [])
        self.repeat_penalty = 1.0
        """LMDeploy's repetition_penalty (1: off)."""
        self._checked: set[str] = set()

    def prepare_schema(self, json_schema: dict[str, Any]) -> None:
        """Checks that xgrammar (LMDeploy's grammar compiler) takes ``json_schema``; raises
        GrammarError when it does not. A schema that passed once is not compiled again here
        (LMDeploy keeps its own cache of compiled grammars)."""
        key = json.dumps(json_schema, sort_keys=True, ensure_ascii=False)
        if key in self._checked:
            return
        import xgrammar

        try:
            xgrammar.Grammar.from_structural_tag(json.dumps(response_format(json_schema), ensure_ascii=False))
        except (RuntimeError, ValueError, TypeError) as error:
            raise GrammarError(f"xgrammar: {error}") from error
        self._checked.add(key)

    def generate(self, prompt: str, params: SamplingParams, json_schema: dict[str, Any] | None,
                 cancel: threading.Event) -> Iterator[TextChunk]:
        from lmdeploy import GenerationConfig

        config = GenerationConfig(
            max_new_tokens=params.max_tokens,
            temperature=params.temperature,
            top_p=params.top_p,
            do_sample=params.temperature > 0,
            random_seed=params.seed,
            repetition_penalty=self.repeat_penalty,
            stop_words=self.stop + list(params.stop) or None,
            response_format=response_format(json_schema) if json_schema else None,
        )
        finish = "stop"
        generated = 0
        stream = self.pipe.stream_infer(prompt, gen_config=config, do_preprocess=False)
        try:
            for response in stream:
                if cancel.is_set():
                    break
                new_tokens = max(0, response.generate_token_len - generated)
                generated = response.generate_token_len
                if response.text or new_tokens:
                    yield TextChunk(response.text, new_tokens)
                finish = response.finish_reason or finish
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
        return "length" if finish == "length" else "stop"

    def close(self) -> None:
        self.pipe.close()
