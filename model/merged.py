"""A shipped adapter served as merged weights: no LoRA applied at run time.

llama.cpp applies a GGUF LoRA at every matrix product; merging the adapter into the base once
removes that work. But the merge must be stored in a type that keeps the tune, and a bigger type
costs decode bandwidth: on the bundled model a merge keeps the tune only at 6 bits or more. On
the Intel machine those files decoded no faster than the 5-bit base with the LoRA at run time; on
the AMD EPYC machine the q6_k merge read prompts 1.52x as fast and decoded 1.17x the bare model,
so since 6 December the shipped card names `merged_type: q6_k` (docs/serving.md has the figures).

- `merge_lora_gguf`: a GGUF base (any type; quantized tensors are dequantized exactly) plus a GGUF
  LoRA (llama.cpp's `.lora_a` / `.lora_b` tensors and `adapter.lora.alpha`) → an f16 GGUF with
  W + alpha / r · B·A in every adapted matrix, as llama.cpp computes it at run time;
- `merged_model`: that merge quantized to the adapter card's `merged_type` (recorded by
  `lingxi quantize --card`, the fastest type that passed the accuracy gate), built once and
  cached under `$LINGXI_HOME/models/merged/` (`model.named.models_dir()`), keyed by a hash of the
  base file, the adapter file, the type and this module's recipe version; a build is kept only
  if it passes `fidelity_check` against the runtime-LoRA model it replaces.
"""
from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from model.errors import ModelError

logger = logging.getLogger(__name__)

RECIPE_VERSION = 1
"""Part of the cache key: bump it when the merge or the check changes what a build is."""

MIN_AGREEMENT = 0.93
MAX_MEAN_KL = 0.05
"""The fidelity gate: the merged model's top token equals the runtime-LoRA model's at >= 93% of the
check positions, and the mean KL between their next-token distributions is <= 0.05 nats. Measured
with the shipped adapter (lingxi-tools) over the 1,536 check positions (agreement, mean KL): merged
f16 98.4%, 0.003; q8_0 97.6%, 0.005; q6_k 96.5%, 0.011; merged then re-quantized to the base's Q4_1
(the build that erased a tune in shared/FACTS.md) 78.6%, 0.283; the bare base 78.0%, 0.317."""


class MergeError(ModelError):
    """A merge that cannot be made or does not reproduce the runtime-LoRA model."""


def lora_scale(alpha: float, rank: int) -> float:
    """llama.cpp's LoRA scale: alpha / rank, or 1 when the adapter gives no alpha."""
    return alpha / rank if alpha else 1.0


def merge_lora_gguf(base: str | Path, lora: str | Path, target: str | Path) -> Path:
    """`base` + `lora` → `target`, an f16 GGUF (1-D tensors f32) with the base's metadata."""
    import gguf
    import numpy as np

    adapter = gguf.GGUFReader(str(lora))
    alpha_field = adapter.get_field(gguf.Keys.Adapter.LORA_ALPHA)
    alpha = float(alpha_field.contents()) if alpha_field is not None else 0.0
    pairs = _lora_pairs(adapter)
    reader = gguf.GGUFReader(str(base))
    writer = gguf.GGUFWriter(str(target), reader.get_field("general.architecture").contents())
    for key, field_ in reader.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.file_type"):
            continue
        sub_type = field_.types[1] if field_.types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, field_.contents(), field_.types[0], sub_type)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    merged = set()
    for tensor in reader.tensors:
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
        values = values.reshape(tuple(int(n) for n in reversed(tensor.shape))).astype(np.float32)
        if tensor.name in pairs:
            a, b = pairs[tensor.name]
            delta = lora_scale(alpha, a.shape[0]) * (b @ a)
            if delta.shape != values.shape:
                raise MergeError(f"{lora}: the LoRA of {tensor.name} is {delta.shape}, the base tensor "
                                 f"{values.shape}: this adapter was trained on another model")
            values += delta
            merged.add(tensor.name)
        writer.add_tensor(tensor.name, values.astype(np.float16 if values.ndim > 1 else np.float32))
    if missing := sorted(set(pairs) - merged):
        raise MergeError(f"{lora}: {len(missing)} adapted tensors are not in {base} (first: {missing[0]})")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return Path(target)


def _lora_pairs(adapter) -> dict[str, tuple]:
    """Base tensor name → (A of shape (r, in), B of shape (out, r)) in float32."""
    import gguf
    import numpy as np

    halves: dict[str, dict[str, np.ndarray]] = {}
    for tensor in adapter.tensors:
        name, _, half = tensor.name.rpartition(".")
        if half not in ("lora_a", "lora_b"):
            raise MergeError(f"unexpected tensor {tensor.name!r} in a LoRA GGUF")
        if name.startswith("token_embd"):
            raise MergeError("merging a LoRA on the token embedding is not supported; serve it at run time")
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
        halves.setdefault(name, {})[half] = values.reshape(
            tuple(int(n) for n in reversed(tensor.shape))).astype(np.float32)
    pairs = {}
    for name, half in halves.items():
        if set(half) != {"lora_a", "lora_b"}:
            raise MergeError(f"the LoRA of {name} lacks its {'lora_b' if 'lora_a' in half else 'lora_a'}")
        pairs[name] = (half["lora_a"], half["lora_b"])
    if not pairs:
        raise MergeError("the LoRA GGUF holds no lora_a / lora_b tensors")
    return pairs


@dataclass(frozen=True)
class Fidelity:
    positions: int
    agreement: float
    """Share of positions whose top token is the same in both models."""
    mean_kl: float
    """Mean KL(runtime LoRA ‖ merged) of the next-token distributions, in nats."""

    def passes(self) -> bool:
        return self.agreement >= MIN_AGREEMENT and self.mean_kl <= MAX_MEAN_KL


def check_texts(chat_template: str | None, bos: str = "", eos: str = "") -> list[str]:
    """What the fidelity check reads: the held-out prose (English and Chinese, never used for
    calibration) and the shipped tool conversations rendered in the model's chat template."""
    from model.imatrix import HELDOUT_TEXT, calibration_texts

    return [HELDOUT_TEXT.read_text(encoding="utf-8"), *calibration_texts(chat_template, bos, eos)[1:]]


def fidelity_check(base: str | Path, lora: str | Path, merged: str | Path, threads: int = 1) -> Fidelity:
    """Teacher-forced over `check_texts`: how closely `merged` follows `base` with `lora`
    applied by llama.cpp at run time (about 25 s on one thread for the bundled model)."""
    import numpy as np

    reference = _CheckModel(str(base), str(lora), threads)
    candidate = _CheckModel(str(merged), None, threads)
    try:
        same, kl, positions = 0, 0.0, 0
        for text in check_texts(reference.chat_template, *reference.special_tokens()):
            p_log, q_log = reference.log_probs(text), candidate.log_probs(text)
            same += int((p_log.argmax(1) == q_log.argmax(1)).sum())
            kl += float((np.exp(p_log) * (p_log - q_log)).sum())
            positions += len(p_log)
    finally:
        reference.close()
        candidate.close()
    return Fidelity(positions, same / positions, kl / positions)


CHECK_TOKENS = 256
"""Positions read from each check text (the whole check: about 1,500 positions)."""


class _CheckModel:
    def __init__(self, model: str, lora: str | None, threads: int):
        from llama_cpp import Llama

        self.llm = Llama(model_path=model, lora_path=lora, use_mmap=lora is None, n_ctx=CHECK_TOKENS,
                         n_batch=CHECK_TOKENS, n_threads=threads, n_threads_batch=threads, logits_all=True,
                         verbose=False)
        self.chat_template = self.llm.metadata.get("tokenizer.chat_template")

    def special_tokens(self) -> tuple[str, str]:
        return tuple(self.llm.detokenize([token], special=True).decode("utf-8", "replace")
                     for token in (self.llm.token_bos(), self.llm.token_eos()))

    def log_probs(self, text: str):
        """Next-token log-probabilities at each of the text's first CHECK_TOKENS positions."""
        tokens = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)[:CHECK_TOKENS]
        self.llm.reset()
        self.llm.eval(tokens)
        return _log_softmax(self.llm.scores[: len(tokens)].astype("float32"))

    def close(self) -> None:
        self.llm.close()


def _log_softmax(logits):
    import numpy as np

    top = logits.max(1, keepdims=True)
    return logits - (np.log(np.exp(logits - top).sum(1, keepdims=True)) + top)


def merged_model(base: str | Path, lora: str | Path, type_name: str, folder: str | Path,
                 threads: int | None = None) -> Path:
    """The cached merge of `lora` into `base` as `type_name`, built (and checked) on first use.
    Raises MergeError when it cannot be built or fails the fidelity check; nothing is kept then."""
    from model.quantize import QuantizeError, quantize_gguf

    key = cache_key(base, lora, type_name)
    folder = Path(folder)
    target = folder / f"{Path(lora).parent.name or 'adapter'}-{type_name}-{key[:16]}.gguf"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    logger.info("merging %s into %s as %s, once (cached at %s)", lora, base, type_name, target)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".building-") as work:
        f16 = merge_lora_gguf(base, lora, Path(work) / "merged-f16.gguf")
        built = Path(work) / target.name
        try:
            quantize_gguf(f16, built, type_name, threads=threads)
        except QuantizeError as error:
            raise MergeError(str(error)) from error
        fidelity = fidelity_check(base, lora, built, threads=threads or 1)
        logger.info("merged %s: top-token agreement with the runtime LoRA %.1f%% over %d positions, "
                    "mean KL %.4f nats", type_name, 100 * fidelity.agreement, fidelity.positions, fidelity.mean_kl)
        if not fidelity.passes():
            raise MergeError(f"the merged {type_name} model does not follow the runtime LoRA: top token "
                             f"equal at {100 * fidelity.agreement:.1f}% of positions (needs "
                             f"{100 * MIN_AGREEMENT:.0f}%), mean KL {fidelity.mean_kl:.3f} nats (at most "
                             f"{MAX_MEAN_KL}): not used")
        record = {"base": str(base), "lora": str(lora), "type": type_name, "key": key, **asdict(fidelity)}
        built.with_suffix(".json").write_text(json.dumps(record, indent=2), encoding="utf-8")
        built.with_suffix(".json").replace(target.with_suffix(".json"))
        built.replace(target)  # last: a file at `target` is always a checked build
    return target


def cache_key(base: str | Path, lora: str | Path, type_name: str) -> str:
    digest = hashlib.sha256(f"lingxi-merged:{RECIPE_VERSION}:{type_name}:".encode())
    for path in (base, lora):
        digest.update(_file_digest(Path(path)).encode())
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
