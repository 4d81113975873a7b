"""The unquantized source a quantization starts from, written with the export code.

`lingxi quantize MODEL` accepts what a user has: `bundled` or another GGUF, a training run, a peft
adapter folder (with its base), a Hugging Face model folder. llama.cpp's quantizer needs an
f16 (or bf16/f32) GGUF, and quantizing an already quantized file rounds twice, so:

- an f16 / bf16 / f32 GGUF is used as it is;
- a quantized GGUF (the bundled Q4_1) is dequantized once into a Hugging Face folder
  (`hf_folder_for`) and converted to an f16 GGUF;
- a run or adapter is merged into its base first, a model folder converted directly
  (`export_gguf(..., outtype="f16")`).

LMDeploy's AWQ takes a Hugging Face folder instead: `hf_source` gives one for the same inputs.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from model.errors import ModelError
from model.quantize import UNQUANTIZED_FTYPES, gguf_file_type
from model.spec import resolve_model
from training.export import ExportError, export_gguf, export_model, find_trained

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuantSource:
    name: str
    """The model's name in file names and eval runs."""
    path: Path
    """An f16 / bf16 / f32 GGUF (gguf_source) or a Hugging Face folder (hf_source)."""


def _trained(spec: str, adapter: str | None) -> tuple[str, Path] | None:
    """(kind, folder) when `spec` (or `adapter`) is a run, adapter or model folder."""
    for candidate in (adapter, spec):
        if candidate and Path(candidate).expanduser().is_dir():
            try:
                return find_trained(candidate)
            except ExportError:
                continue
    return None


def _name(spec: str, adapter: str | None, found: Path | None) -> str:
    if found is not None:
        return found.parent.name if found.name in ("adapter", "model", "merged") else found.name
    try:
        return resolve_model(spec).name
    except ModelError as error:
        raise ExportError(str(error)) from error


def gguf_source(spec: str, adapter: str | None, work_dir: str | Path) -> QuantSource:
    """An unquantized GGUF of `spec` (+ `adapter`), written under `work_dir` when it must be made."""
    work = Path(work_dir)
    trained = _trained(spec, adapter)
    if trained is not None:
        kind, found = trained
        name = _name(spec, adapter, found)
        target = work / f"{name}-f16.gguf"
        base = spec if adapter else None
        origin = found / ("adapter_model.safetensors" if kind == "adapter" else "config.json")
        if not _is_current(target, origin):
            export_gguf(adapter or spec, target, "f16", base)
        return QuantSource(name, target)
    if adapter:
        raise ExportError(f"{adapter}: quantize a GGUF LoRA by merging it first; pass the run or peft "
                          "adapter folder instead")
    try:
        source = resolve_model(spec)
    except ModelError as error:
        raise ExportError(str(error)) from error
    if source.format != "gguf":
        raise ExportError(f"{spec!r} is a Hugging Face hub id; download it to a folder first")
    if gguf_file_type(source.path) in UNQUANTIZED_FTYPES.values():
        return QuantSource(source.name, Path(source.path))
    from training.modeling import hf_folder_for

    target = work / f"{source.name}-f16.gguf"
    if not _is_current(target, Path(source.path)):
        logger.info("%s is quantized (%s): dequantizing it to f16 first", source.path, gguf_file_type(source.path))
        export_gguf(hf_folder_for(spec), target, "f16")
    return QuantSource(source.name, target)


def hf_source(spec: str, adapter: str | None) -> QuantSource:
    """A Hugging Face folder of `spec` (+ `adapter`, merged), as LMDeploy's AWQ wants it."""
    trained = _trained(spec, adapter)
    if trained is not None:
        _, found = trained
        folder = export_model(adapter or spec, None, spec if adapter else None)
        return QuantSource(_name(spec, adapter, found), Path(folder))
    from training.modeling import hf_folder_for

    return QuantSource(_name(spec, None, None), Path(hf_folder_for(spec)))


def _is_current(target: Path, origin: Path) -> bool:
    return target.is_file() and origin.exists() and target.stat().st_mtime >= origin.stat().st_mtime
