"""What quantization buys and costs on the bundled model (SmolLM2-135M-Instruct), CPU, one run.

f16 (dequantized from the shipped Q4_1) against q4_k_m quantized from it with the importance
matrix, both through `lingxi quantize`'s own code (training/quant_source.py, eval/quant_flow.py):
- decode tokens/s of each: llama.cpp, one thread, the same prompt, greedy, 128 new tokens,
  best of 3, each model in a fresh process (model/gguf_perf.py); also load time, peak memory
  and held-out perplexity;
- accuracy on the first N bfcl_simple items for both, and the delta (points).

Prints the figures and, last, `quant speedup: X` (q4_k_m decode tokens/s over f16's).
Files go to $LINGXI_HOME/quant/SmolLM2-135M-Instruct/bench; the f16 source, the importance
matrix and the eval cache are those of `lingxi quantize bundled` (a rerun re-measures but asks
the model only about new items or changed files).

    .venv/bin/python bench/quant.py [--limit 10] [--types q4_k_m] [--threads 1]
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=10, help="bfcl_simple items for the accuracy delta")
    parser.add_argument("--types", default="q4_k_m", help="quantized types to compare with f16")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--bench", default="bfcl_simple")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from eval.quant_flow import gate, prepare, quantize_all
    from eval.quant_gate import Variant
    from eval.quant_report import markdown_table, write_quant_report
    from model.loader import EngineConfig
    from model.quantize import QuantizeOptions
    from eval.runner import slug
    from tools import lingxi_home
    from training.quant_source import gguf_source, source_name

    name = source_name("bundled")
    main_dir = lingxi_home() / "quant" / slug(name)  # shared with `lingxi quantize bundled`
    out = main_dir / "bench"
    imatrix = main_dir / "imatrix.gguf"
    options = QuantizeOptions(model="bundled", to=args.types, eval=args.bench, limit=args.limit,
                              threads=args.threads, max_drop=100, out=str(out),
                              imatrix=str(imatrix) if imatrix.is_file() else "auto")
    plan = prepare(options)
    source = gguf_source("bundled", None, main_dir)
    out.mkdir(parents=True, exist_ok=True)
    f16 = Variant("f16", source.path, EngineConfig(n_ctx=4096, n_threads=args.threads))
    variants = quantize_all(plan, name, source.path, out)
    summary = gate(plan, name, f16, variants, out, runs_dir=main_dir / "eval").to_dict()
    report = write_quant_report(out)

    print("\n".join(markdown_table(summary)))
    base = summary["source"]
    for row in summary["types"]:
        speedup = row["perf"]["decode_tps"] / base["perf"]["decode_tps"]
        delta = {b: 100 * (row["accuracy"][b] - base["accuracy"][b]) for b in summary["benches"]}
        print(f"{row['type']}: {row['perf']['decode_tps']:.1f} vs f16 {base['perf']['decode_tps']:.1f} tokens/s; "
              f"size {row['size_mb']:.0f} vs {base['size_mb']:.0f} MB; perplexity {row['perf']['ppl']:.2f} vs "
              f"{base['perf']['ppl']:.2f}; accuracy delta "
              + ", ".join(f"{b} {d:+.1f} points" for b, d in delta.items()))
    print(f"{summary['noise']}\nreport: {report}")
    first = summary["types"][0]
    print(f"quant speedup: {first['perf']['decode_tps'] / base['perf']['decode_tps']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
