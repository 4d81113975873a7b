"""Loading a base model for training or export, through the model layer.

A model spec (`bundled`, a .gguf file, a Hugging Face folder or hub id) resolves with
`model.spec.resolve_model` and loads with `model.engines.hf.load_hf_model`, as serving does.
Two things differ from serving:
- A GGUF loads dequantized (fp32) but still carries transformers' GGUF quantizer, and
  `save_pretrained` refuses such a model ("quantized with gguf and is not serializable");
  `make_saveable` clears the quantizer, after which it saves as ordinary safetensors.
- QLoRA needs a bitsandbytes 4-bit base, and transformers cannot apply a bitsandbytes config
  while reading a GGUF. A GGUF base is therefore first written once as a Hugging Face folder
  (`hf_folder_for`, cached under $LINGXI_HOME/cache/hf) and loaded from there with the 4-bit
  config. The same folder is the `--base` that llama.cpp's LoRA converter needs.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from model.errors import ModelError
from model.spec import ModelSource, resolve_model
from tools import lingxi_home
from training.errors import TrainingError

logger = logging.getLogger(__name__)


class ModelLoadError(TrainingError):
    """The base model (or an adapter) could not be found or loaded."""


def resolve(spec: str) -> ModelSource:
    try:
        return resolve_model(spec)
    except ModelError as error:
        raise ModelLoadError(str(error)) from error


def load_base(spec: str, *, four_bit: bool = False, compute_dtype: str = "bfloat16"):
    """(model, tokenizer) in fp32 on the CPU (accelerate moves it later), saveable; with
    `four_bit`, a bitsandbytes NF4 base (double quantization, `compute_dtype` compute)."""
    from model.engines.hf import gguf_parts, load_hf_model

    source = resolve(spec)
    if four_bit:
        return _load_four_bit(hf_folder_for(spec) if source.format == "gguf" else source.path, compute_dtype)
    folder, file = gguf_parts(source.path) if source.format == "gguf" else (source.path, None)
    try:
        model, tokenizer = load_hf_model(folder, file, device="cpu", dtype="float32")
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"transformers could not load {spec!r}: {error}") from error
    make_saveable(model)
    return model, tokenizer


def _load_four_bit(path: str, compute_dtype: str):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from model.quantize import bnb_config

    try:
        quant = bnb_config("nf4", compute_dtype)
    except ModelError as error:
        raise ModelLoadError(f"QLoRA needs bitsandbytes: {error}") from error
    logger.info("loading %s as a 4-bit NF4 base (bitsandbytes)", path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, quantization_config=quant, dtype=torch.float32,
                                                     device_map={"": "cuda" if torch.cuda.is_available() else "cpu"})
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"could not load {path!r} in 4 bits: {error}") from error
    return model, tokenizer


def make_saveable(model: Any) -> Any:
    """Drop the GGUF quantizer transformers keeps on a dequantized GGUF model (shared/FACTS.md)."""
    config = getattr(model, "config", None)
    if getattr(model, "hf_quantizer", None) is not None and _is_gguf(model.hf_quantizer):
        model.hf_quantizer = None
        if hasattr(model, "is_quantized"):
            model.is_quantized = False
        if config is not None and hasattr(config, "quantization_config"):
            del config.quantization_config
    elif config is not None and _is_gguf(getattr(config, "quantization_config", None)):
        del config.quantization_config
    return model


def _is_gguf(obj: Any) -> bool:
    if obj is None:
        return False
    config = getattr(obj, "quantization_config", obj)
    method = config.get("quant_method") if isinstance(config, dict) else getattr(config, "quant_method", None)
    return str(getattr(method, "value", method)).lower() == "gguf"


def hf_folder_for(spec: str) -> str:
    """A Hugging Face folder holding the model `spec` names: the spec itself for an HF folder or
    hub id; for a GGUF, a dequantized copy written once under $LINGXI_HOME/cache/hf."""
    source = resolve(spec)
    if source.format == "hf":
        return source.path
    gguf = Path(source.path)
    stat = gguf.stat()
    key = hashlib.sha256(f"{gguf.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    folder = lingxi_home() / "cache" / "hf" / f"{gguf.stem}-{key}"
    if (folder / "config.json").is_file():
        return str(folder)
    logger.info("writing %s as a Hugging Face folder (once) to %s", gguf.name, folder)
    model, tokenizer = load_base(spec)
    save_hf(model, tokenizer, folder)
    return str(folder)


def save_hf(model: Any, tokenizer: Any, folder: str | Path) -> Path:
    """model + tokenizer (with its chat template) as safetensors, written atomically."""
    folder = Path(folder)
    partial = folder.with_name(f".{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    make_saveable(model)
    model.save_pretrained(partial, safe_serialization=True)
    tokenizer.save_pretrained(partial)
    if folder.exists():
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial.rename(folder)
    return folder
