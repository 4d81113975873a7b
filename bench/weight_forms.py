"""What each form of the default's weights costs where a reply's time goes: a prompt chunk after
the tool prompt (time to first token) and one token at a time (decode), against the runtime LoRA.

Forms: the bare bundled model (Q4_1), the bundled model + the shipped GGUF LoRA applied at run
time (what `make run` served before the merge won here; the baseline), and the LoRA merged into
the base (model/merged.py's merge, no importance matrix) quantized to each `--types`. Only types
that pass the merge's fidelity check against the runtime LoRA keep the tune (q8_0 and q6_k did;
q4_0 and q4_k_m did not: docs/serving.md), the others are here for their speed alone.

Each round measures every form in turn, in one process, llama.cpp as the app runs it (one thread
for a token, `--batch-threads` for a prompt): the prompt chunk is a 24-token message after an
840-token prefix (the five tools' system prompt is about 840 tokens), its milliseconds per token;
decode is 8 tokens one at a time after it. Medians over `--rounds` (this VM drifts by up to 30%
within an hour, so forms are never measured one after the other).

Prints a line per form and, last, `merged <type>/runtime LoRA prompt speed: X` and
`merged <type>/bare decode ratio: X` for the first type.

    .venv/bin/python bench/weight_forms.py [--types q8_0,q6_k,q4_0] [--rounds 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PREFIX_TOKENS, CHUNK_TOKENS, DECODE_TOKENS = 840, 24, 8
PREFIX_TEXT = "You are a helpful assistant with tools. 你是灵犀，一个会调用工具的助手。 " * 60
CHUNK_TEXT = "用户：今天有什么新闻？请告诉我一些最新的消息，谢谢你的帮助。What is new today? Thanks a lot!"


def merged_forms(types: list[str], folder: Path, threads: int) -> dict[str, tuple[str, str | None]]:
    """{form: (model file, LoRA file or None)}; merges built once into `folder`."""
    from model.merged import merge_lora_gguf
    from model.quantize import quantize_gguf
    from model.spec import resolve_model

    source = resolve_model("bundled", "default")
    if not source.adapter:
        raise SystemExit("the bundled model has no shipped adapter to merge")
    forms = {"bare (Q4_1)": (source.path, None), "runtime LoRA": (source.path, source.adapter)}
    folder.mkdir(parents=True, exist_ok=True)
    f16 = folder / "merged-f16.gguf"
    if not f16.is_file():
        merge_lora_gguf(source.path, source.adapter, f16)
    for type_name in types:
        target = folder / f"merged-{type_name}.gguf"
        if not target.is_file():
            quantize_gguf(f16, target, type_name, threads=threads)
        forms[f"merged {type_name}"] = (str(target), None)
    return forms


def measure(llm, prefix: list[int], chunk: list[int]) -> tuple[float, float]:
    """(prompt ms a token, decode tokens/s) of one round."""
    llm.reset()
    llm.eval(prefix)
    start = time.perf_counter()
    llm.eval(chunk)
    prompt_ms = (time.perf_counter() - start) * 1000 / len(chunk)
    start = time.perf_counter()
    for token in chunk[:DECODE_TOKENS]:
        llm.eval([token])
    return prompt_ms, DECODE_TOKENS / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--types", default="q8_0,q6_k,q4_0")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                        help="llama.cpp threads for a token, as the app's default (cores - 1)")
    parser.add_argument("--batch-threads", type=int, default=os.cpu_count() or 1,
                        help="threads for a prompt, as the app's default (all cores)")
    args = parser.parse_args(argv)
    from llama_cpp import Llama

    from model.named import models_dir

    types = [name.strip() for name in args.types.split(",") if name.strip()]
    forms = merged_forms(types, models_dir() / "bench-weight-forms", args.threads)
    models = {name: Llama(model_path=model, lora_path=lora, n_ctx=2048, n_threads=args.threads,
                          n_threads_batch=args.batch_threads, verbose=False)
              for name, (model, lora) in forms.items()}
    tokenizer = models["bare (Q4_1)"]
    prefix = tokenizer.tokenize(PREFIX_TEXT.encode("utf-8"), add_bos=False)[:PREFIX_TOKENS]
    chunk = tokenizer.tokenize(CHUNK_TEXT.encode("utf-8"), add_bos=False)[:CHUNK_TOKENS]
    prompt = {name: [] for name in models}
    decode = {name: [] for name in models}
    for _ in range(args.rounds):
        for name, llm in models.items():
            ms, rate = measure(llm, prefix, chunk)
            prompt[name].append(ms)
            decode[name].append(rate)
    for llm in models.values():
        llm.close()

    print(f"{len(chunk)}-token message after a {len(prefix)}-token prefix, then {DECODE_TOKENS} tokens one at a "
          f"time; threads {args.threads} (token) / {args.batch_threads} (prompt); medians of {args.rounds} rounds, "
          f"cpu cores {os.cpu_count()}")
    for name in models:
        print(f"{name:<14} prompt {statistics.median(prompt[name]):.2f} ms/token   "
              f"decode {statistics.median(decode[name]):.1f} tokens/s")
    if types:
        first = f"merged {types[0]}"
        lora_ms, merged_ms = statistics.median(prompt["runtime LoRA"]), statistics.median(prompt[first])
        print(f"{first}/runtime LoRA prompt speed: {lora_ms / merged_ms:.2f}")
        print(f"{first}/bare decode ratio: "
              f"{statistics.median(decode[first]) / statistics.median(decode['bare (Q4_1)']):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
