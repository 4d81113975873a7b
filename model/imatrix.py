"""Importance matrices for llama.cpp's quantizer, computed with transformers instead of a binary.

An importance matrix holds, for every weight matrix, the mean of the squared input activations
per input column over some calibration text: columns that see large inputs matter more, and
llama.cpp's k-quants and q4_0/q5_0 weigh their rounding error by it. llama.cpp computes it
with its `llama-imatrix` tool; here forward pre-hooks on every `nn.Linear` of the model, loaded
with transformers, collect the same sums, and the file is written in llama.cpp's imatrix GGUF
format (`<tensor>.in_sum2` and `<tensor>.counts`, `imatrix.datasets`, `imatrix.chunk_count`,
`imatrix.chunk_size`) under the tensor names of the GGUF model, so `llama-quantize --imatrix`
reads it too.

The calibration text ships in `model/calibration/`: mixed English and Chinese prose plus tool-use
conversations rendered through the one tool-call format (`model/tool_format.py`) and the model's
own chat template, i.e. the kind of text Lingxi serves.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model.chat_template import ChatTemplate
from model.quantize import QuantizeError
from model.tool_format import DEFAULT_TOOL_FORMAT

logger = logging.getLogger(__name__)

CALIBRATION_DIR = Path(__file__).resolve().parent / "calibration"
CALIBRATION_TEXT = CALIBRATION_DIR / "calibration.txt"
CALIBRATION_DIALOGUES = CALIBRATION_DIR / "tool_dialogues.json"
HELDOUT_TEXT = CALIBRATION_DIR / "heldout.txt"
"""Held-out text (not used for calibration) for perplexity checks."""
DATASET_NAME = "lingxi-calibration"


@dataclass
class Imatrix:
    """Per-tensor sums of squared inputs and the number of tokens they were summed over."""

    sums: dict[str, np.ndarray] = field(default_factory=dict)
    """Tensor name -> sum of squared inputs per column (experts' rows one after another)."""
    counts: dict[str, np.ndarray] = field(default_factory=dict)
    """Tensor name -> tokens summed over, one count per expert (dense layers have one)."""
    chunk_count: int = 0
    chunk_size: int = 0
    datasets: list[str] = field(default_factory=lambda: [DATASET_NAME])

    def values(self) -> dict[str, np.ndarray]:
        """What llama.cpp's quantizer takes: sums / count per expert row (1.0 where nothing was seen)."""
        result = {}
        for name, sums in self.sums.items():
            counts = np.asarray(self.counts[name], dtype=np.float64).reshape(-1)
            rows = np.asarray(sums, dtype=np.float64).reshape(len(counts), -1)
            safe = np.maximum(counts, 1)[:, None]
            result[name] = np.where(counts[:, None] > 0, rows / safe, 1.0).reshape(-1).astype(np.float32)
        return result


def calibration_texts(chat_template: str | None, bos: str = "", eos: str = "") -> list[str]:
    """The shipped calibration text: prose paragraphs, then each tool conversation rendered with
    the tool format inside the model's chat template."""
    prose = [p.strip() for p in CALIBRATION_TEXT.read_text(encoding="utf-8").splitlines() if p.strip()]
    template = ChatTemplate.from_source(chat_template, bos, eos)
    dialogues = json.loads(CALIBRATION_DIALOGUES.read_text(encoding="utf-8"))
    rendered = [template.render(DEFAULT_TOOL_FORMAT.prepare_messages(d["messages"], d["tools"]),
                                add_generation_prompt=False) for d in dialogues]
    return ["\n".join(prose), *rendered]


def gguf_tensor_names(architecture: str, n_blocks: int):
    """A function: Hugging Face module name -> GGUF tensor name (without `.weight`), or None."""
    import gguf

    arch = {name: key for key, name in gguf.MODEL_ARCH_NAMES.items()}.get(architecture)
    if arch is None:
        raise QuantizeError(f"gguf-py knows no architecture {architecture!r}")
    name_map = gguf.get_tensor_name_map(arch, n_blocks)
    return lambda module_name: name_map.get_name(module_name)


def compute_imatrix(model, tokenizer, texts: list[str], architecture: str, chunk_tokens: int = 512) -> Imatrix:
    """Run `texts` (in chunks of `chunk_tokens`) through a transformers `model`; collect the
    squared inputs of every Linear layer under the layer's GGUF tensor name."""
    import torch

    n_blocks = int(getattr(model.config, "num_hidden_layers", 0))
    to_gguf = gguf_tensor_names(architecture, n_blocks)
    result = Imatrix(chunk_size=chunk_tokens)
    hooks = []
    for module_name, module in model.named_modules():
        if not isinstance(module, torch.nn.Linear):
            continue
        base = to_gguf(module_name.removeprefix("base_model.model."))
        if base is None:
            logger.debug("imatrix: no GGUF name for %s", module_name)
            continue
        hooks.append(module.register_forward_pre_hook(_collector(result, f"{base}.weight", module.in_features)))
    try:
        ids = [t for text in texts for t in tokenizer(text, add_special_tokens=False)["input_ids"]]
        with torch.no_grad():
            for start in range(0, len(ids), chunk_tokens):
                chunk = ids[start:start + chunk_tokens]
                model(input_ids=torch.tensor([chunk], device=model.device))
                result.chunk_count += 1
    finally:
        for hook in hooks:
            hook.remove()
    logger.info("imatrix: %d tensors from %d tokens in %d chunks", len(result.sums), len(ids), result.chunk_count)
    return result


def _collector(result: Imatrix, name: str, width: int):
    def hook(module, inputs) -> None:
        x = inputs[0].detach().float().reshape(-1, width)
        squares = (x * x).sum(dim=0).cpu().numpy().astype(np.float64)
        result.sums[name] = result.sums.get(name, 0.0) + squares
        result.counts[name] = result.counts.get(name, np.zeros(1)) + x.shape[0]
    return hook


def imatrix_from_gguf(gguf_path: str | Path, chunk_tokens: int = 512, threads: int | None = None) -> Imatrix:
    """Load an (unquantized) GGUF with transformers and compute its importance matrix on the
    shipped calibration text, with `threads` torch threads (default: cores - 1; on a busy
    2-core machine two threads run 5x slower than one)."""
    import torch
    from gguf import GGUFReader

    from model.engines.hf import gguf_parts, load_hf_model
    from model.engines.llamacpp import default_threads

    reader = GGUFReader(str(gguf_path))
    architecture = _field(reader, "general.architecture", "llama")
    tied = not any(t.name == "output.weight" for t in reader.tensors)
    del reader
    folder, file = gguf_parts(str(gguf_path))
    model, tokenizer = load_hf_model(folder, file, device="cpu", dtype="float32")
    texts = calibration_texts(getattr(tokenizer, "chat_template", None), tokenizer.bos_token or "",
                              tokenizer.eos_token or "")
    before = torch.get_num_threads()
    torch.set_num_threads(threads or default_threads())
    try:
        imatrix = compute_imatrix(model, tokenizer, texts, architecture, chunk_tokens)
    finally:
        torch.set_num_threads(before)
    if tied and "output.weight" in imatrix.sums:  # tied embeddings: the output matmul uses token_embd
        imatrix.sums["token_embd.weight"] = imatrix.sums.pop("output.weight")
        imatrix.counts["token_embd.weight"] = imatrix.counts.pop("output.weight")
    return imatrix


def write_imatrix(imatrix: Imatrix, path: str | Path) -> Path:
    """Write llama.cpp's imatrix GGUF: for each tensor, `.in_sum2` (F32, one row) and `.counts`."""
    import gguf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), arch="imatrix")
    writer.add_string("general.type", "imatrix")
    writer.add_array("imatrix.datasets", imatrix.datasets)
    writer.add_uint32("imatrix.chunk_count", imatrix.chunk_count)
    writer.add_uint32("imatrix.chunk_size", imatrix.chunk_size)
    for name in sorted(imatrix.sums):
        counts = np.asarray(imatrix.counts[name], dtype=np.float32).reshape(-1, 1)
        writer.add_tensor(f"{name}.in_sum2", np.asarray(imatrix.sums[name], dtype=np.float32).reshape(len(counts), -1))
        writer.add_tensor(f"{name}.counts", counts)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def read_imatrix(path: str | Path) -> Imatrix:
    """Read an imatrix GGUF (ours or llama-imatrix's)."""
    from gguf import GGUFReader

    reader = GGUFReader(str(path))
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    for tensor in reader.tensors:
        name = tensor.name
        if name.endswith(".in_sum2"):
            sums[name.removesuffix(".in_sum2")] = np.array(tensor.data, dtype=np.float64)
        elif name.endswith(".counts"):
            counts[name.removesuffix(".counts")] = np.array(tensor.data, dtype=np.float64).reshape(-1)
    missing = sorted(set(sums) ^ set(counts))
    if missing:
        raise QuantizeError(f"{path}: sums and counts do not pair up for {', '.join(missing[:5])}")
    result = Imatrix(chunk_count=_field(reader, "imatrix.chunk_count", 0),
                     chunk_size=_field(reader, "imatrix.chunk_size", 0),
                     datasets=list(_field(reader, "imatrix.datasets", [])))
    result.sums = {name: total.reshape(-1) for name, total in sums.items()}
    result.counts = counts
    return result


def _field(reader, key: str, default):
    found = reader.get_field(key)
    return found.contents() if found is not None else default
