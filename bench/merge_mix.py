"""Merges of the shipped adapter with a quantization type per tensor: does one keep the tune and
decode as fast as the bare bundled model?

`default/bare decode ratio` in bench/serve.py stays below 1.0 (0.87-0.92 on 8 December). The
served merge, "q6_k", is 136.5 MB: 576-wide rows are no multiple of 256, so all but the 30
`ffn_down` tensors fall back to Q8_0. The bare model is 96.5 MB (Q4_1). Whole-file 4- and 5-bit
merges lose the tune (docs/serving.md). llama.cpp's quantizer also takes a type per tensor
(`tt_overrides`: a regular expression on the tensor name, and a type), so a merge can keep most
tensors at 8 bits and put a few large ones at 4.

Each form in `RECIPES`: a file type and its per-tensor overrides. It is quantized from the f16
merge (model/merged.py) with an importance matrix of that merge (model/imatrix.py), and the token
embeddings stay Q8_0 as in the base (the LoRA does not touch them). Then comes the merge's own
fidelity check against the runtime LoRA (top token at >= 93% of positions, mean KL <= 0.05 nats).
Then every form decodes 64 tokens of the story prompt, one token at a time (one thread, greedy),
in turns over `--rounds` rounds, beside the bare model and the served merge.

Prints a line per form: tensor types, size, fidelity, median decode tokens/s, and the ratio to
the bare model in the same rounds. The last line is `best passing form/bare decode ratio: X`.
Builds are cached under `$LINGXI_HOME/models/bench-merge-mix/`.

    .venv/bin/python bench/merge_mix.py [--forms "gate q4_0,gate q4_0 down q6_k"] [--rounds 7]
"""
from __future__ import annotations

import argparse
import collections
import ctypes
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EIGHT_BIT_BUT = {"attn_q": "q8_0", "attn_k": "q8_0", "attn_v": "q8_0", "attn_output": "q8_0",
                 "ffn_down": "q8_0", "ffn_up": "q8_0"}
RECIPES: dict[str, tuple[str, dict[str, str]]] = {
    "gate q4_0": ("q4_0", EIGHT_BIT_BUT),
    "gate q4_0 down q6_k": ("q4_0", {**EIGHT_BIT_BUT, "ffn_down": "q6_k"}),
    "gate+up q4_0": ("q4_0", {key: value for key, value in EIGHT_BIT_BUT.items() if key != "ffn_up"}),
    "q4_0 but down+v": ("q4_0", {"ffn_down": "q8_0", "attn_v": "q8_0"}),
    "q4_0": ("q4_0", {}),
}
"""Form name -> (file type, {tensor name pattern: type})."""
PROMPT = ("<|im_start|>user\nWrite a long, detailed story about a dragon who learns to cook.<|im_end|>\n"
          "<|im_start|>assistant\n")
DECODE_TOKENS = 64


def build(name: str, f16: Path, imatrix: dict, folder: Path) -> Path:
    """The merge quantized as `RECIPES[name]` (cached in `folder`)."""
    import llama_cpp

    from model.quantize import imatrix_array

    file_type, overrides = RECIPES[name]
    target = folder / (name.replace(" ", "-").replace(",", "") + ".gguf")
    if target.is_file():
        return target
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{file_type.upper()}")
    params.nthread = 2
    params.token_embedding_type = llama_cpp.GGML_TYPE_Q8_0
    params.imatrix, alive = imatrix_array(imatrix)
    entries = (llama_cpp.llama_model_tensor_override * (len(overrides) + 1))()  # null-terminated
    for entry, (pattern, type_name) in zip(entries, overrides.items()):
        entry.pattern, entry.type = pattern.encode(), getattr(llama_cpp, f"GGML_TYPE_{type_name.upper()}")
    if overrides:
        params.tt_overrides = entries
    partial = target.with_name(target.name + ".partial")
    if llama_cpp.llama_model_quantize(str(f16).encode(), str(partial).encode(), ctypes.byref(params)) != 0:
        raise SystemExit(f"llama_model_quantize failed for {name}")
    del alive
    partial.replace(target)
    return target


def tensor_types(path: Path) -> str:
    from gguf import GGUFReader

    counts = collections.Counter(t.tensor_type.name for t in GGUFReader(str(path)).tensors if len(t.shape) > 1)
    return ", ".join(f"{count} {kind}" for kind, count in counts.most_common())


def decode_rate(path: str) -> float:
    """Tokens/s of `DECODE_TOKENS` greedy tokens, one at a time, after the story prompt."""
    import llama_cpp

    llm = llama_cpp.Llama(path, n_ctx=512, n_threads=1, verbose=False)
    try:
        llm.eval(llm.tokenize(PROMPT.encode(), special=True))
        start = time.perf_counter()
        for _ in range(DECODE_TOKENS):
            llm.eval([int(llm.sample(temp=0))])
        return DECODE_TOKENS / (time.perf_counter() - start)
    finally:
        llm.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", default=",".join(RECIPES), help=f"comma-separated, of: {', '.join(RECIPES)}")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    names = [name.strip() for name in args.forms.split(",") if name.strip()]
    if unknown := [name for name in names if name not in RECIPES]:
        parser.error(f"unknown forms {unknown}; known: {', '.join(RECIPES)}")

    import numpy as np

    from model.imatrix import imatrix_from_gguf
    from model.merged import fidelity_check, merge_lora_gguf, merged_model
    from model.named import models_dir
    from model.spec import resolve_model

    source = resolve_model("bundled", "default")
    served = merged_model(source.path, source.adapter, "q6_k", models_dir() / "merged", 1)
    folder = models_dir() / "bench-merge-mix"
    folder.mkdir(parents=True, exist_ok=True)
    f16 = folder / "merged-f16.gguf"
    if not f16.is_file():
        merge_lora_gguf(source.path, source.adapter, f16)
    saved = folder / "imatrix.npz"
    if not saved.is_file():
        np.savez(saved, **imatrix_from_gguf(f16, threads=2).values())
    imatrix = dict(np.load(saved))

    passing = {}
    for name in names:
        path = build(name, f16, imatrix, folder)
        fidelity = fidelity_check(source.path, source.adapter, path, threads=1)
        passing[name] = fidelity.passes()
        print(f"{name}: {tensor_types(path)}, {path.stat().st_size / 1e6:.1f} MB, fidelity: top token "
              f"{100 * fidelity.agreement:.1f}%, mean KL {fidelity.mean_kl:.4f} "
              f"({'passes' if fidelity.passes() else 'fails'})", flush=True)
    forms = {"bare (Q4_1)": str(source.path), "served merge (q6_k)": str(served),
             **{name: str(build(name, f16, imatrix, folder)) for name in names}}
    rates: dict[str, list[float]] = {form: [] for form in forms}
    for _ in range(args.rounds):
        for form, path in forms.items():
            rates[form].append(decode_rate(path))
    bare = statistics.median(rates["bare (Q4_1)"])
    for form, values in rates.items():
        print(f"{form}: decode {statistics.median(values):.1f} tokens/s (median of {args.rounds}), "
              f"/bare {statistics.median(values) / bare:.2f}")
    best = max((statistics.median(rates[name]) for name in names if passing[name]), default=float("nan"))
    print(f"best passing form/bare decode ratio: {best / bare:.2f}")


if __name__ == "__main__":
    main()
