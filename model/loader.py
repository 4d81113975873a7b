"""Model spec + engine settings -> a ready ChatEngine."""
from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, Field

from model.call_decision import TextAnswers, ToolDecision, resolve_threshold
from model.chat_template import ChatTemplate
from model.engines.base import ChatEngine, TemplatedEngine
from model.errors import EngineUnavailableError
from model.spec import ModelSource, merged_type, resolve_model

logger = logging.getLogger(__name__)

EngineName = Literal["auto", "llama.cpp", "transformers", "lmdeploy"]


REPEAT_PENALTY = 1.1
"""The default penalty on repeated tokens, chosen on the validation split (bench/sampling.py:
160 items of lingxi_tools_val at temperature 0.2, default model; 1.0 / 1.1 / 1.2 scored 24.4 /
25.6 / 24.4% and cut 6.4 / 1.7 / 1.3% of replies for looping or length)."""


class EngineConfig(BaseModel):
    """How to run a model. Every field is also a `lingxi serve` / `lingxi chat` option."""

    engine: EngineName = Field("auto", description="auto: llama.cpp for GGUF, transformers otherwise")
    n_ctx: int = Field(4096, ge=256, description="context length in tokens")
    n_threads: int | None = Field(None, ge=1, description="CPU threads for llama.cpp (default: cores - 1)")
    device: str = Field("auto", description="transformers device: auto, cpu, cuda")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field("auto", description="transformers dtype")
    lmdeploy_backend: Literal["pytorch", "turbomind"] = Field("pytorch", description="LMDeploy backend")
    tp: int = Field(1, ge=1, description="LMDeploy tensor parallelism (GPUs)")
    quant_policy: Literal[0, 4, 8] = Field(0, description="LMDeploy KV-cache quantization bits (0: off)")
    lmdeploy_model_format: Literal["hf", "awq"] = Field("hf", description="LMDeploy weights: hf, or awq "
                                                        "(W4A16 written by `lingxi quantize --to awq`)")
    bnb: Literal["int8", "nf4", "fp4"] | None = Field(None, description="transformers engine: load the weights "
                                                      "with bitsandbytes in 8 bits or 4 bits (NF4 / FP4)")
    constrained_calls: bool = Field(True, description="auto mode on llama.cpp and transformers: a call the model "
                                                      "opens is decoded under the offered tools' grammar (it always "
                                                      "parses)")
    tool_decision: ToolDecision = Field("auto", description="whether an answer opens with a tool call: model (its "
                                        "own first tokens), calibrated (its probability of a call against a "
                                        "threshold chosen on validation), auto (calibrated where the adapter's "
                                        "card says it won on validation)")
    call_threshold: float | None = Field(None, ge=0, le=1, description="the calibrated decision's threshold "
                                         "for every language (default: the adapter card's, per language)")
    text_answers: TextAnswers = Field("with_tools", description="where the calibrated decision's text answers "
                                      "are written: with_tools (after the prompt it scored, the call opening "
                                      "barred, on llama.cpp: the message is evaluated once), without_tools (after "
                                      "a prompt without the tools)")
    prompt_cache_mb: int = Field(256, ge=0, description="llama.cpp: memory for the KV states of earlier "
                                 "prompts, so a new conversation or agent step evaluates only its new tokens "
                                 "(0: off)")
    merge_adapter: bool = Field(True, description="llama.cpp: serve a shipped adapter as merged weights, "
                                "built once and cached (no LoRA applied at run time); other adapters are "
                                "always applied at run time")
    parallel: int = Field(1, ge=1, le=64, description="llama.cpp: requests decoded together in one context "
                          "(continuous batching); each holds n_ctx tokens of KV cache")
    batch_threads: int | None = Field(None, ge=1, description="llama.cpp with --parallel above 1: threads for a "
                                      "decode of more than one token: a prompt, or several requests' next "
                                      "tokens (default: all cores)")
    repeat_penalty: float = Field(REPEAT_PENALTY, ge=1.0, le=2.0, description="penalty on tokens the reply "
                                  "repeats (1: off)")


def choose_engine(source: ModelSource, requested: EngineName) -> EngineName:
    if requested != "auto":
        return requested
    if source.format == "gguf" and source.adapter_format != "peft":
        return "llama.cpp"
    return "transformers"


def load_engine(spec: str = "bundled", adapter: str | None = None,
                config: EngineConfig | None = None) -> ChatEngine:
    config = config or EngineConfig()
    prefer = "peft" if config.engine in ("transformers", "lmdeploy") else None
    source = resolve_model(spec, adapter, prefer)
    engine = choose_engine(source, config.engine)
    logger.info("loading %s with %s", source.name, engine)
    try:
        threshold = resolve_threshold(config.tool_decision, config.call_threshold, source.adapter)
    except ValueError as error:
        raise EngineUnavailableError(str(error)) from error
    if engine == "llama.cpp":
        loaded = _llama_cpp(source, config)
    elif engine == "transformers":
        loaded = _transformers(source, config)
    else:
        loaded = _lmdeploy(source, config)
    if threshold is not None:
        logger.info("calibrated call decision: a call when its probability reaches %s",
                    ", ".join(f"{value:.3f} ({language})" for language, value in threshold.items()))
    loaded.call_threshold = threshold
    loaded.text_answers = config.text_answers
    return loaded


def _llama_cpp(source: ModelSource, config: EngineConfig) -> TemplatedEngine:
    from model.engines.llamacpp import LlamaCppGenerator

    if source.format != "gguf":
        raise EngineUnavailableError(f"llama.cpp needs a GGUF file; {source.spec!r} is a Hugging Face model")
    if source.adapter_format == "peft":
        raise EngineUnavailableError(
            "llama.cpp applies GGUF LoRA files only: convert the adapter with `lingxi export`, "
            "or serve it with --engine transformers"
        )
    model_path, lora_path = llama_cpp_weights(source, config)
    if config.parallel > 1:
        from model.engines.batched import BatchedLlamaCpp

        generator = BatchedLlamaCpp(model_path, config.n_ctx, config.n_threads, lora_path,
                                    prompt_cache_mb=config.prompt_cache_mb, parallel=config.parallel,
                                    batch_threads=config.batch_threads)
    else:
        generator = LlamaCppGenerator(model_path, config.n_ctx, config.n_threads, lora_path,
                                      prompt_cache_mb=config.prompt_cache_mb)
    bos, eos = generator.special_tokens()
    template = ChatTemplate.from_source(generator.metadata.get("tokenizer.chat_template"), bos, eos)
    generator.stop = template.stop_strings
    generator.repeat_penalty = config.repeat_penalty
    return TemplatedEngine(source.name, generator, template, constrained_calls=config.constrained_calls)


def llama_cpp_weights(source: ModelSource, config: EngineConfig) -> tuple[str, str | None]:
    """(model file, LoRA file or None): a shipped adapter merged into its base where its card
    names a merged type (built on first use, then cached), else the base with the LoRA applied at
    run time. A merge that cannot be built is logged and served the slower way."""
    kind = merged_type(source.adapter) if source.adapter and config.merge_adapter else None
    if kind is None:
        return source.path, source.adapter
    from model.merged import MergeError, merged_model
    from model.named import models_dir

    try:
        return str(merged_model(source.path, source.adapter, kind, models_dir() / "merged", config.n_threads)), None
    except (MergeError, ImportError, OSError) as error:
        logger.warning("serving %s with its LoRA applied at run time (slower): %s", source.name, error)
        return source.path, source.adapter


def _transformers(source: ModelSource, config: EngineConfig) -> TemplatedEngine:
    from model.engines.hf import TransformersGenerator, gguf_parts

    if source.format == "gguf":
        folder, file = gguf_parts(source.path)
        if config.bnb:
            raise EngineUnavailableError(
                "transformers cannot apply bitsandbytes while reading a GGUF; give a Hugging Face folder "
                "(`lingxi export RUN --to hf`) or quantize the GGUF with `lingxi quantize`")
        generator = TransformersGenerator.from_path(folder, file, source.adapter, config.device,
                                                    config.dtype, config.n_ctx)
    else:
        generator = TransformersGenerator.from_path(source.path, None, source.adapter, config.device,
                                                    config.dtype, config.n_ctx, config.bnb)
    bos, eos = generator.special_tokens()
    template = ChatTemplate.from_source(generator.chat_template, bos, eos)
    generator.stop = template.stop_strings
    generator.repeat_penalty = config.repeat_penalty
    return TemplatedEngine(source.name, generator, template, constrained_calls=config.constrained_calls)


def _lmdeploy(source: ModelSource, config: EngineConfig) -> TemplatedEngine:
    from model.engines.lmdeploy_backend import LMDeployGenerator

    if source.format != "hf":
        raise EngineUnavailableError("LMDeploy serves Hugging Face folders; export the model first")
    if source.adapter:
        raise EngineUnavailableError("merge the adapter first (`lingxi export`) to serve it with LMDeploy")
    generator = LMDeployGenerator(source.path, config.n_ctx, config.lmdeploy_backend, config.tp,
                                  config.quant_policy, model_format=config.lmdeploy_model_format)
    bos, eos = generator.special_tokens()
    template = ChatTemplate.from_source(generator.chat_template, bos, eos)
    generator.stop = template.stop_strings
    generator.repeat_penalty = config.repeat_penalty
    # Forced calls decode under LMDeploy's guided decoding; auto-mode calls are parsed from free text
    # until the two-phase path passes a GPU check (model/engines/lmdeploy_backend.py).
    return TemplatedEngine(source.name, generator, template, constrained_calls=False)
