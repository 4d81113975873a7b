"""Quantizing a model: GGUF types through llama.cpp's own quantizer, bitsandbytes configs for the
transformers engine (and QLoRA's base), LMDeploy's W4A16 AWQ command for a GPU.

- `quantize_gguf`: an f16 / bf16 / f32 GGUF -> one of `GGUF_TYPES` with `llama_model_quantize`
  (the C API llama-cpp-python exposes; no llama.cpp binary), optionally with an importance matrix
  (`model.imatrix`). A GGUF that is already quantized is refused: re-quantizing rounds twice
  (shared/FACTS.md: a fine-tune merged and re-quantized to Q4_1 lost 46 of 50 points).
- `bnb_config`: the one BitsAndBytesConfig builder (int8, nf4, fp4) for serving and QLoRA.
- `awq_command` / `run_awq`: `lmdeploy lite auto_awq` (W4A16, CUDA only), served afterwards by
  the LMDeploy engine with `model_format="awq"` and optionally `quant_policy` 8/4 (KV cache).

The model layer prepares nothing: merging an adapter or dequantizing a GGUF into the f16 source
is training's job (`training/quant_source.py`); evaluating the result is eval's (`eval/quant_gate.py`).
"""
from __future__ import annotations

import ctypes
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from model.errors import EngineUnavailableError, ModelError

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)


class QuantizeError(ModelError):
    """A quantization that cannot run: an unknown type, a quantized source, a failed quantizer."""


@dataclass(frozen=True)
class GgufType:
    name: str
    """What a user types: q4_k_m."""
    ftype: str
    """llama.h's LLAMA_FTYPE_MOSTLY_* suffix."""
    bits: float
    """Nominal bits per weight of the main tensors."""
    uses_imatrix: bool
    """Whether llama.cpp's quantizer for this type weighs its rounding by an importance matrix."""


GGUF_TYPES: dict[str, GgufType] = {t.name: t for t in (
    GgufType("q8_0", "Q8_0", 8.5, False),
    GgufType("q6_k", "Q6_K", 6.56, True),
    GgufType("q5_k_m", "Q5_K_M", 5.5, True),
    GgufType("q5_0", "Q5_0", 5.5, True),
    GgufType("q4_k_m", "Q4_K_M", 4.8, True),
    GgufType("q4_k_s", "Q4_K_S", 4.6, True),
    GgufType("q4_0", "Q4_0", 4.5, True),
    GgufType("q4_1", "Q4_1", 5.0, True),
    GgufType("q3_k_m", "Q3_K_M", 3.9, True),
    GgufType("q5_k_s", "Q5_K_S", 5.5, True),
    GgufType("q5_1", "Q5_1", 6.0, True),
    GgufType("q2_k", "Q2_K", 2.6, True),
)}
"""The llama.cpp types `lingxi quantize --to` accepts (the first five are the usual choices)."""
AWQ = "awq"
"""`--to awq`: LMDeploy's W4A16 AWQ (CUDA only)."""

UNQUANTIZED_FTYPES = {0: "f32", 1: "f16", 32: "bf16"}
"""llama_ftype values (GGUF `general.file_type`) a quantization may start from."""


class QuantizeOptions(BaseModel):
    """What `lingxi quantize` takes; every field is a command-line option."""

    model: str = Field("bundled", description="bundled, a .gguf, a training run, a peft adapter or a Hugging Face folder")
    adapter: str | None = Field(None, description="a peft adapter to merge into MODEL first")
    to: str = Field("q4_k_m", description=f"types, comma-separated: {', '.join(GGUF_TYPES)}; or awq (LMDeploy "
                                          "W4A16, CUDA only)")
    eval: str | None = Field(None, description="benchmarks for the accuracy gate, comma-separated "
                                               "(e.g. bfcl_simple,mmlu); none: not checked")
    limit: int | None = Field(None, ge=1, description="first N items of each benchmark")
    max_drop: float = Field(2.0, ge=0, description="refuse a type whose accuracy drops by more than this "
                                                  "many points on any benchmark")
    imatrix: str = Field("auto", description="importance matrix: auto (computed from the shipped calibration "
                                             "text), off, or an imatrix GGUF file")
    threads: int | None = Field(None, ge=1, description="CPU threads for quantizing, eval and measuring "
                                                       "(default: cores - 1)")
    n_ctx: int = Field(4096, ge=256, description="context length for the eval runs")
    measure: bool = Field(True, description="measure load time, decode tokens/s, peak memory and perplexity")
    kv_quant: int = Field(0, description="with --to awq: LMDeploy KV-cache quantization bits (0, 8 or 4)")
    out: str | None = Field(None, description="output folder (default: $LINGXI_HOME/quant/<model-name>)")
    card: str | None = Field(None, description="a shipped adapter's folder: record there the fastest type "
                                               "that passed the gate, which the app then serves the adapter "
                                               "merged as (`merged_type` in its card.json)")
    data_dir: str | None = Field(None, description="benchmark data folder (default: $LINGXI_DATA_DIR or ../shared/data)")


def parse_types(spec: str | list[str]) -> list[GgufType]:
    """"q8_0,q4_k_m" -> the types, in order; an unknown name raises before any work."""
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    types: list[GgufType] = []
    for name in (n.strip().lower() for n in names):
        if not name:
            continue
        if name not in GGUF_TYPES:
            raise QuantizeError(f"unknown GGUF type {name!r}; one of: {', '.join(GGUF_TYPES)}")
        if GGUF_TYPES[name] not in types:
            types.append(GGUF_TYPES[name])
    if not types:
        raise QuantizeError(f"no GGUF type given; one or more of: {', '.join(GGUF_TYPES)}")
    return types


def gguf_file_type(path: str | Path) -> str:
    """A GGUF file's type as a name ("f16", "q4_1", ...), from its `general.file_type`."""
    from gguf import GGUFReader, LlamaFileType

    field = GGUFReader(str(path)).get_field("general.file_type")
    if field is None:
        return "unknown"
    value = int(field.contents())
    if value in UNQUANTIZED_FTYPES:
        return UNQUANTIZED_FTYPES[value]
    try:
        return LlamaFileType(value).name.removeprefix("MOSTLY_").lower()
    except ValueError:
        return f"ftype {value}"


def require_unquantized(path: str | Path) -> str:
    """The GGUF's type when it is f32 / f16 / bf16; a QuantizeError otherwise."""
    kind = gguf_file_type(path)
    if kind not in UNQUANTIZED_FTYPES.values():
        raise QuantizeError(
            f"{path} is already quantized ({kind}); quantize from an f16 GGUF instead "
            "(`lingxi quantize` writes one from the model first), never re-quantize a quantized file")
    return kind


def dequantize_gguf(source: str | Path, target: str | Path) -> Path:
    """A quantized GGUF (the bundled Q4_1) -> an f16 GGUF with the same metadata (gguf-py's
    dequantizers; norms and other 1-D tensors stay f32, as llama.cpp's converter writes them).
    The values are exactly the quantized ones: this undoes the file format, not the rounding."""
    import gguf
    import numpy as np

    reader = gguf.GGUFReader(str(source))
    architecture = reader.get_field("general.architecture").contents()
    partial = Path(target).with_name(Path(target).name + ".partial")
    writer = gguf.GGUFWriter(str(partial), architecture)
    for key, field_ in reader.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.file_type"):
            continue
        sub_type = field_.types[1] if field_.types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, field_.contents(), field_.types[0], sub_type)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    for tensor in reader.tensors:
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
        values = values.reshape(tuple(int(n) for n in reversed(tensor.shape)))
        writer.add_tensor(tensor.name, values.astype(np.float16 if values.ndim > 1 else np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    partial.replace(target)
    return Path(target)


def quantize_gguf(source: str | Path, target: str | Path, type_name: str,
                  imatrix: dict[str, "np.ndarray"] | None = None, threads: int | None = None) -> Path:
    """`source` (an f16/bf16/f32 GGUF) -> `target` quantized to `type_name` by llama.cpp.

    `imatrix`: tensor name (as in the GGUF) -> mean squared input activation per column, as
    `model.imatrix.read_imatrix` returns it; ignored by types that do not use one (q8_0)."""
    kind = GGUF_TYPES.get(type_name)
    if kind is None:
        raise QuantizeError(f"unknown GGUF type {type_name!r}; one of: {', '.join(GGUF_TYPES)}")
    require_unquantized(source)
    try:
        import llama_cpp
    except ImportError as error:
        raise QuantizeError("quantizing a GGUF needs llama-cpp-python") from error
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{kind.ftype}")
    params.nthread = threads or max(1, (os.cpu_count() or 2) - 1)
    keep_alive = None
    if imatrix and kind.uses_imatrix:
        params.imatrix, keep_alive = imatrix_array(imatrix)
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    partial = Path(target).with_name(Path(target).name + ".partial")
    logger.info("quantizing %s -> %s (%s%s)", source, target, type_name,
                ", with importance matrix" if keep_alive is not None else "")
    code = llama_cpp.llama_model_quantize(str(source).encode(), str(partial).encode(), ctypes.byref(params))
    del keep_alive  # the C side copied the data during the call
    if code != 0:
        partial.unlink(missing_ok=True)
        raise QuantizeError(f"llama_model_quantize {source} -> {type_name} failed (code {code})")
    partial.replace(target)
    return Path(target)


def imatrix_array(imatrix: dict[str, "np.ndarray"]) -> tuple[Any, list[Any]]:
    """The importance matrix as llama.h's null-terminated `llama_model_imatrix_data` array, plus
    the objects that must stay alive while llama.cpp reads it."""
    import llama_cpp
    import numpy as np

    entries = (llama_cpp.llama_model_imatrix_data * (len(imatrix) + 1))()
    alive: list[Any] = [entries]
    for entry, (name, values) in zip(entries, sorted(imatrix.items())):
        data = np.ascontiguousarray(values, dtype=np.float32)
        encoded = name.encode()
        alive += [data, encoded]
        entry.name = encoded
        entry.data = data.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        entry.size = data.size
    entries[len(imatrix)].name = None  # the terminator llama.cpp stops at
    return entries, alive


# ---- bitsandbytes ----------------------------------------------------------------------------
BnbMode = Literal["int8", "nf4", "fp4"]


def bnb_config(mode: BnbMode, compute_dtype: str = "bfloat16", double_quant: bool = True):
    """The BitsAndBytesConfig for `mode`: int8 (LLM.int8()), or 4-bit NF4 / FP4 with
    `compute_dtype` compute and (for 4-bit) double quantization of the scales. QLoRA's base is
    `bnb_config("nf4")`."""
    import torch
    from transformers import BitsAndBytesConfig

    try:
        import bitsandbytes  # noqa: F401
    except ImportError as error:
        raise EngineUnavailableError("bitsandbytes is not installed (pip install bitsandbytes)") from error
    if mode == "int8":
        return BitsAndBytesConfig(load_in_8bit=True)
    if mode not in ("nf4", "fp4"):
        raise QuantizeError(f"unknown bitsandbytes mode {mode!r}; one of: int8, nf4, fp4")
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=mode,
                              bnb_4bit_use_double_quant=double_quant,
                              bnb_4bit_compute_dtype=getattr(torch, compute_dtype))


# ---- LMDeploy W4A16 AWQ (CUDA) -----------------------------------------------------------------
@dataclass(frozen=True)
class AwqOptions:
    w_bits: int = 4
    w_group_size: int = 128
    calib_dataset: str = "ptb"
    """LMDeploy fetches it from the Hugging Face Hub: the GPU machine needs it cached or online."""
    calib_samples: int = 128
    calib_seqlen: int = 2048
    batch_size: int = 1


def awq_command(model_dir: str | Path, work_dir: str | Path, options: AwqOptions = AwqOptions()) -> list[str]:
    """The `lmdeploy lite auto_awq` command line that writes a W4A16 model to `work_dir`."""
    lmdeploy = shutil.which("lmdeploy") or str(Path(sys.executable).with_name("lmdeploy"))
    return [lmdeploy, "lite", "auto_awq", str(model_dir), "--work-dir", str(work_dir),
            "--w-bits", str(options.w_bits), "--w-group-size", str(options.w_group_size),
            "--calib-dataset", options.calib_dataset, "--calib-samples", str(options.calib_samples),
            "--calib-seqlen", str(options.calib_seqlen), "--batch-size", str(options.batch_size)]


def run_awq(model_dir: str | Path, work_dir: str | Path, options: AwqOptions = AwqOptions()) -> Path:
    """Quantize a Hugging Face folder to W4A16 AWQ with LMDeploy (needs CUDA and `lingxi[gpu]`).
    Serve the result with `--engine lmdeploy --lmdeploy-model-format awq` (KV cache: `--quant-policy 8`)."""
    from model.engines.lmdeploy_backend import require_cuda

    if not (Path(model_dir) / "config.json").is_file():
        raise QuantizeError(f"AWQ quantizes a Hugging Face folder (config.json); {model_dir} is not one")
    require_cuda()
    command = awq_command(model_dir, work_dir, options)
    logger.info("running %s", " ".join(command))
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise QuantizeError(f"lmdeploy lite auto_awq failed (exit {done.returncode}):\n{tail}")
    return Path(work_dir)
