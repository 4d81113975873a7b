"""Exporting what a run trained: a merged Hugging Face folder, a GGUF llama.cpp serves, or the
LoRA adapter as a GGUF LoRA that llama.cpp applies at load time.

- `export_model`: LoRA adapter + its base -> merged weights, saved as safetensors with the
  tokenizer and chat template (a folder transformers, LMDeploy and the GGUF converter read).
  The base is loaded in fp32 and the adapter merged there, also for a QLoRA adapter (merging
  into the 4-bit base would round the deltas away).
- `export_gguf`: a merged (or fully fine-tuned) folder -> GGUF through llama.cpp's
  `convert_hf_to_gguf.py` (f32, f16, bf16, q8_0), then, for the k-quants and friends,
  `llama_cpp.llama_model_quantize` (no llama.cpp binary needed). Re-quantizing a fine-tune to
  a 4-bit type can erase it (shared/FACTS.md: Q4_1 4/50 vs 50/50): check accuracy after.
- `export_lora_gguf`: the peft adapter -> GGUF LoRA with `convert_lora_to_gguf.py`; serve it with
  `lingxi serve --model BASE.gguf --adapter adapter.gguf`.

The converters (and the gguf-py they import) come from the llama.cpp sources inside the
llama-cpp-python sdist; `make` unpacks them to .venv/share/lingxi/llama.cpp. `LINGXI_LLAMA_CPP_DIR`
overrides the place (a llama.cpp checkout, or the unpacked sdist).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from model.quantize import GGUF_TYPES
from training.errors import TrainingError
from training.trainer import RUN_INFO

logger = logging.getLogger(__name__)

LLAMA_CPP_ENV = "LINGXI_LLAMA_CPP_DIR"
LLAMA_CPP_VERSION = "0.3.36"
CONVERTER_TYPES = ("f32", "f16", "bf16", "q8_0")
GgufType = Literal[tuple(dict.fromkeys([*CONVERTER_TYPES, *GGUF_TYPES]))]  # type: ignore[valid-type]
"""What `--outtype` takes: the converter's own types, then every type of `model.quantize.GGUF_TYPES`."""


class ExportError(TrainingError):
    """An export that cannot run: nothing trained at the path, no converter, a failed conversion."""


class ExportOptions(BaseModel):
    """`lingxi export SOURCE`: what to write from a run folder, an adapter or a model folder."""

    source: str = Field(description="a run folder ($LINGXI_HOME/runs/NAME), a peft adapter folder, or a "
                                    "Hugging Face model folder")
    to: Literal["hf", "gguf", "lora-gguf", "peft"] = Field(
        "gguf", description="hf: merged safetensors folder; gguf: merged GGUF; lora-gguf: the adapter as a GGUF "
                            "LoRA; peft: the adapter alone in float16 (half the size, for shipping)")
    outtype: GgufType = Field("q8_0", description="GGUF type (gguf: any; lora-gguf: f32, f16, bf16, q8_0)")
    out: str | None = Field(None, description="output path (default: inside the run folder)")
    base: str | None = Field(None, description="base model of the adapter (default: the one it was trained on)")


def export(options: ExportOptions) -> Path:
    if options.to == "hf":
        return export_model(options.source, options.out, options.base)
    if options.to == "gguf":
        return export_gguf(options.source, options.out, options.outtype, options.base)
    if options.to == "peft":
        return export_peft(options.source, options.out)
    if options.outtype not in CONVERTER_TYPES:
        raise ExportError(f"a GGUF LoRA is written as one of {', '.join(CONVERTER_TYPES)}, not {options.outtype}")
    return export_lora_gguf(options.source, options.out, options.base, options.outtype)  # type: ignore[arg-type]


# ---- what a path holds ----------------------------------------------------------------------
def find_trained(source: str | Path) -> tuple[Literal["adapter", "model"], Path]:
    """A run folder, adapter folder or model folder -> what it holds and where."""
    path = Path(source).expanduser()
    for kind, folder in (("adapter", path / "adapter"), ("model", path / "model"), ("adapter", path),
                         ("model", path)):
        marker = "adapter_config.json" if kind == "adapter" else "config.json"
        if (folder / marker).is_file():
            return kind, folder  # type: ignore[return-value]
    raise ExportError(f"nothing to export at {path}: expected a run folder (with adapter/ or model/), a peft "
                      "adapter folder (adapter_config.json) or a model folder (config.json)")


def base_of(adapter: Path, base: str | None = None) -> str:
    """The base model spec of an adapter: `base`, else its lingxi.json, else adapter_config.json."""
    if base:
        return base
    info = adapter / RUN_INFO
    if info.is_file():
        return json.loads(info.read_text(encoding="utf-8"))["base_model"]
    config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    if config.get("base_model_name_or_path"):
        return config["base_model_name_or_path"]
    raise ExportError(f"{adapter}: cannot tell its base model; pass base=")


def _run_dir(source: Path, found: Path) -> Path:
    return found.parent if found.name in ("adapter", "model") and found.parent != found else found


# ---- merged Hugging Face folder -------------------------------------------------------------
def export_model(source: str | Path, out: str | Path | None = None, base: str | None = None) -> Path:
    """Merge the adapter at `source` into its base; save safetensors + tokenizer + chat template.
    A fully fine-tuned model is copied (or returned as it is when `out` is None)."""
    kind, found = find_trained(source)
    if kind == "model":
        if out is None:
            return found
        shutil.copytree(found, Path(out), dirs_exist_ok=True)
        return Path(out)
    from peft import PeftModel
    from transformers import AutoTokenizer

    from training.modeling import load_base, save_hf

    target = Path(out) if out else _run_dir(Path(source), found) / "merged"
    spec = base_of(found, base)
    if _merged_is_current(target, found, spec):
        logger.info("%s is already merged in %s", found, target)
        return target
    logger.info("merging %s into %s", found, spec)
    model, tokenizer = load_base(spec)
    merged = PeftModel.from_pretrained(model, str(found)).merge_and_unload()
    if (found / "tokenizer_config.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(str(found))  # the one trained with (chat template)
    merged.config.use_cache = True
    save_hf(merged, tokenizer, target)
    info = {"base_model": spec, "adapter": str(found), "merged": True}
    (target / RUN_INFO).write_text(json.dumps(info, indent=2), encoding="utf-8")
    return target


def export_peft(source: str | Path, out: str | Path | None = None) -> Path:
    """The peft adapter at `source` with its weights in float16 (what a shipped adapter keeps),
    its adapter_config.json and run info; peft loads it as it loads any adapter."""
    from safetensors.torch import load_file, save_file

    kind, found = find_trained(source)
    if kind != "adapter":
        raise ExportError(f"{found} is a full model, not an adapter: export it with --to hf or --to gguf")
    target = Path(out) if out else _run_dir(Path(source), found) / "peft-fp16"
    target.mkdir(parents=True, exist_ok=True)
    weights = load_file(str(found / "adapter_model.safetensors"))
    save_file({name: tensor.half().contiguous() for name, tensor in weights.items()},
              str(target / "adapter_model.safetensors"))
    for name in ("adapter_config.json", RUN_INFO):
        if (found / name).is_file():
            shutil.copy2(found / name, target / name)
    return target


def _merged_is_current(target: Path, adapter: Path, spec: str) -> bool:
    """A merged folder written from this adapter and base after the adapter last changed."""
    info, weights = target / RUN_INFO, adapter / "adapter_model.safetensors"
    if not info.is_file() or not weights.is_file():
        return False
    saved = json.loads(info.read_text(encoding="utf-8"))
    return (saved.get("adapter") == str(adapter) and saved.get("base_model") == spec
            and info.stat().st_mtime >= weights.stat().st_mtime)


# ---- GGUF -----------------------------------------------------------------------------------
def llama_cpp_dir() -> Path:
    """The llama.cpp sources holding convert_hf_to_gguf.py, convert_lora_to_gguf.py, gguf-py."""
    candidates = []
    if os.environ.get(LLAMA_CPP_ENV):
        candidates.append(Path(os.environ[LLAMA_CPP_ENV]).expanduser())
    candidates.append(Path(sys.prefix) / "share" / "lingxi" / "llama.cpp")
    for root in candidates:
        for folder in (root, root / "vendor" / "llama.cpp"):
            if (folder / "convert_hf_to_gguf.py").is_file():
                return folder
    raise ExportError(
        "llama.cpp's GGUF converters were not found (looked in "
        + ", ".join(str(c) for c in candidates) + "). `make` installs them; by hand:\n"
        f"  pip download llama-cpp-python=={LLAMA_CPP_VERSION} --no-binary :all: --no-deps -d /tmp/lcp\n"
        f"  tar xzf /tmp/lcp/llama_cpp_python-{LLAMA_CPP_VERSION}.tar.gz -C /tmp/lcp\n"
        f"  export {LLAMA_CPP_ENV}=/tmp/lcp/llama_cpp_python-{LLAMA_CPP_VERSION}/vendor/llama.cpp")


def _convert(script: str, args: list[str]) -> None:
    path = llama_cpp_dir() / script
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("NO_LOCAL_GGUF", None)  # the converter must use its own gguf-py, not the installed gguf
    command = [sys.executable, str(path), *args]
    logger.info("running %s", " ".join(command))
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise ExportError(f"{script} failed (exit {done.returncode}):\n{tail}")


def export_gguf(source: str | Path, out: str | Path | None = None, outtype: GgufType = "q8_0",
                base: str | None = None) -> Path:
    """A GGUF of the trained model (merging an adapter first) that llama.cpp serves."""
    if outtype not in CONVERTER_TYPES and outtype not in GGUF_TYPES:
        raise ExportError(f"unknown GGUF type {outtype!r}: one of {', '.join([*CONVERTER_TYPES, *GGUF_TYPES])}")
    kind, found = find_trained(source)
    llama_cpp_dir()  # fail before a long merge
    folder = export_model(source, None, base) if kind == "adapter" else found
    run = _run_dir(Path(source), found)
    target = Path(out) if out else run / f"{run.name}-{outtype}.gguf"
    target.parent.mkdir(parents=True, exist_ok=True)
    if outtype in CONVERTER_TYPES:
        _convert("convert_hf_to_gguf.py", [str(folder), "--outfile", str(target), "--outtype", outtype])
        return target
    f16 = target.with_name(target.stem + ".f16.tmp.gguf")
    _convert("convert_hf_to_gguf.py", [str(folder), "--outfile", str(f16), "--outtype", "f16"])
    try:
        quantize_gguf(f16, target, outtype)
    finally:
        f16.unlink(missing_ok=True)
    return target


def quantize_gguf(source: str | Path, target: str | Path, outtype: str, threads: int | None = None) -> Path:
    """Re-quantize an f16 / f32 GGUF with llama.cpp's C API: `model.quantize.quantize_gguf`
    (which `lingxi quantize` uses too, with an importance matrix and an accuracy gate)."""
    from model.quantize import QuantizeError
    from model.quantize import quantize_gguf as quantize

    if outtype not in GGUF_TYPES:
        raise ExportError(f"llama_model_quantize types: {', '.join(GGUF_TYPES)}; not {outtype!r}")
    try:
        return quantize(source, target, outtype, threads=threads)
    except QuantizeError as error:
        raise ExportError(str(error)) from None


def export_lora_gguf(source: str | Path, out: str | Path | None = None, base: str | None = None,
                     outtype: Literal["f32", "f16", "bf16", "q8_0"] = "f16") -> Path:
    """The peft adapter at `source` as a GGUF LoRA for llama.cpp (`lora_path=`, or `lingxi serve
    --adapter`). llama.cpp applies it to the base GGUF it was trained on."""
    kind, found = find_trained(source)
    if kind != "adapter":
        raise ExportError(f"{found} is a full model, not a LoRA adapter: export it with export_gguf")
    llama_cpp_dir()
    from training.modeling import hf_folder_for

    base_folder = hf_folder_for(base_of(found, base))  # the converter reads the base's config only
    run = _run_dir(Path(source), found)
    target = Path(out) if out else run / f"{run.name}-lora-{outtype}.gguf"
    target.parent.mkdir(parents=True, exist_ok=True)
    _convert("convert_lora_to_gguf.py", [str(found), "--base", base_folder, "--outfile", str(target),
                                         "--outtype", outtype])
    return target
