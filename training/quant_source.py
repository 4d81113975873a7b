"""The unquantized source a quantization starts from, written with the export code.

`lingxi quantize MODEL` accepts what a user has: `bundled` or another GGUF, a training run, a peft
adapter folder (with its base), a Hugging Face model folder. llama.cpp's quantizer needs an
f16 (or bf16/f32) GGUF, and quantizing an already quantized file rounds twice, so:

- an f16 / bf16 / f32 GGUF is used as it is;
- a quantized GGUF (the bundled Q4_1) is dequantized once to an f16 GGUF with the same
  metadata (`model.quantize.dequantize_gguf`; its tensors equal those of the longer route
  transformers `gguf_file=` -> safetensors -> `convert_hf_to_gguf.py --outtype f16`);
- a run or adapter is merged into its base first, a model folder converted directly
  (`export_gguf(..., outtype="f16")`).

LMDeploy's AWQ takes a Hugging Face folder instead: `hf_source` gives one for the same inputs.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from model.errors import ModelError
from model.quantize import UNQUANTIZED_FTYPES, dequantize_gguf, gguf_file_type
from model.spec import resolve_model
from training.export import ExportError, export_gguf, export_model, find_trained

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuantSource:
    name: str
    """The model's name in file names and eval runs."""
    path: Path
    """An f16 / bf16 / f32 GGUF (gguf_source) or a Hugging Face folder (hf_source)."""


def _adapter_path(spec: str, adapter: str | None) -> str | None:
    """A path for `adapter`: as given, or the peft folder of a shipped adapter ('lingxi-tools',
    'default'); None for no adapter."""
    if adapter is None or Path(adapter).expanduser().exists():
        return adapter
    try:
        return resolve_model(spec, adapter, "peft").adapter
    except ModelError as error:
        raise ExportError(str(error)) from error


def _trained(spec: str, adapter: str | None) -> tuple[str, Path] | None:
    """(kind, folder) when `adapter` (or `spec`) is a run, adapter or model folder."""
    for candidate in (adapter, spec):
        if candidate and Path(candidate).expanduser().is_dir():
            try:
                return find_trained(candidate)
            except ExportError:
                continue
    return None


def source_name(spec: str, adapter: str | None = None) -> str:
    """The name outputs and eval runs carry: the run's (or adapter's) folder name, else the model's."""
    trained = _trained(spec, _adapter_path(spec, adapter))
    if trained is not None:
        found = trained[1]
        return found.parent.name if found.name in ("adapter", "model", "merged", "peft") else found.name
    try:
        return resolve_model(spec).name
    except ModelError as error:
        raise ExportError(str(error)) from error


def _merged_folder(spec: str, adapter: str | None, kind: str, found: Path, work: Path) -> Path:
    """A Hugging Face folder of the trained model: an adapter merged into its base under `work`."""
    if kind == "model":
        return found
    return export_model(found, work / "merged", spec if adapter else None)


def gguf_source(spec: str, adapter: str | None, work_dir: str | Path) -> QuantSource:
    """An unquantized GGUF of `spec` (+ `adapter`), written under `work_dir` when it must be made."""
    work = Path(work_dir)
    adapter = _adapter_path(spec, adapter)
    name = source_name(spec, adapter)
    target = work / f"{name}-f16.gguf"
    trained = _trained(spec, adapter)
    if trained is not None:
        kind, found = trained
        folder = _merged_folder(spec, adapter, kind, found, work)
        if not _is_current(target, folder / "config.json"):
            export_gguf(folder, target, "f16")
        return QuantSource(name, target)
    if adapter:
        raise ExportError(f"{adapter}: a GGUF LoRA cannot be quantized; pass the run or peft adapter folder")
    try:
        source = resolve_model(spec)
    except ModelError as error:
        raise ExportError(str(error)) from error
    if source.format != "gguf":
        raise ExportError(f"{spec!r} is a Hugging Face hub id; download it to a folder first")
    kind = gguf_file_type(source.path)
    if kind in UNQUANTIZED_FTYPES.values():
        return QuantSource(name, Path(source.path))
    if not _is_current(target, Path(source.path)):
        logger.info("%s is quantized (%s): dequantizing it to f16 first", source.path, kind)
        target.parent.mkdir(parents=True, exist_ok=True)
        dequantize_gguf(source.path, target)
    return QuantSource(name, target)


def hf_source(spec: str, adapter: str | None, work_dir: str | Path) -> QuantSource:
    """A Hugging Face folder of `spec` (+ `adapter`, merged), as LMDeploy's AWQ wants it."""
    adapter = _adapter_path(spec, adapter)
    trained = _trained(spec, adapter)
    if trained is not None:
        kind, found = trained
        return QuantSource(source_name(spec, adapter), _merged_folder(spec, adapter, kind, found, Path(work_dir)))
    from training.modeling import hf_folder_for

    return QuantSource(source_name(spec), Path(hf_folder_for(spec)))


def _is_current(target: Path, origin: Path) -> bool:
    return target.is_file() and origin.exists() and target.stat().st_mtime >= origin.stat().st_mtime
