"""LMDeploy: the GPU serving engine (optional extra `lingxi[gpu]`).

Runs on CUDA only; on a machine without it, construction fails at start-up with a clear
EngineUnavailableError. The PyTorch backend is the default here because only it supports
JSON-schema constrained decoding (forced tool calls); TurboMind is faster for plain chat.
For several GPUs use LMDeploy's own tensor parallelism (`tp`) and its proxy server.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any, Literal

from model.engines.base import TextChunk
from model.engines.hf import HFTokenizerMixin
from model.errors import EngineUnavailableError
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


class LMDeployGenerator(HFTokenizerMixin):
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

    def generate(self, prompt: str, params: SamplingParams, json_schema: dict[str, Any] | None,
                 cancel: threading.Event) -> Iterator[TextChunk]:
        from lmdeploy import GenerationConfig

        config = GenerationConfig(
            max_new_tokens=params.max_tokens,
            temperature=params.temperature,
            top_p=params.top_p,
            do_sample=params.temperature > 0,
            random_seed=params.seed,
            stop_words=self.stop + list(params.stop) or None,
            response_format=(
                {"type": "json_schema", "json_schema": {"name": "tool_call", "schema": json_schema}}
                if json_schema else None
            ),
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
