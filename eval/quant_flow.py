"""`lingxi quantize MODEL --to TYPES [--eval BENCHES] [--max-drop P]`: the steps after the source.

The command line wires it (agent_app/cli.py): `prepare` checks every option before any work
(types, benchmark names and data, the importance-matrix choice, CUDA for AWQ); training writes
the unquantized source (`training/quant_source.py`); `quantize_all` writes each type with
llama.cpp (or LMDeploy's AWQ on a GPU); `run_gate` (eval/quant_gate.py) evaluates source and
outputs and decides which are ready; `eval/quant_report.py` writes the table and the chart.

Everything goes to `$LINGXI_HOME/quant/<model-name>/` unless `--out` says otherwise.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from eval import benchmark_names, get_benchmark
from eval.base import Benchmark
from eval.quant_gate import GateSummary, QuantGateError, Variant, run_gate
from eval.runner import slug
from model.loader import EngineConfig
from model.quantize import AWQ, GgufType, QuantizeError, QuantizeOptions, parse_types, quantize_gguf
from tools import lingxi_home

logger = logging.getLogger(__name__)



@dataclass
class QuantPlan:
    options: QuantizeOptions
    types: list[GgufType]
    awq: bool
    benches: list[Benchmark]
    imatrix_file: Path | None

    def out_dir(self, model_name: str) -> Path:
        return Path(self.options.out).expanduser() if self.options.out else lingxi_home() / "quant" / slug(model_name)

    @property
    def uses_imatrix(self) -> bool:
        return self.options.imatrix != "off" and any(t.uses_imatrix for t in self.types)


def prepare(options: QuantizeOptions) -> QuantPlan:
    """Check every option; raise a typed error before any model is touched."""
    names = [n.strip().lower() for n in options.to.split(",") if n.strip()]
    awq = AWQ in names
    if awq and len(names) > 1:
        raise QuantizeError("--to awq runs on its own (its source is a Hugging Face folder served by LMDeploy); "
                            "quantize GGUF types in another run")
    types = [] if awq else parse_types(names)
    if options.kv_quant not in (0, 4, 8):
        raise QuantizeError(f"--kv-quant is 0, 8 or 4, not {options.kv_quant}")
    benches = []
    for name in benchmark_names(options.eval) if options.eval else []:
        bench = get_benchmark(name, options.data_dir)
        bench.load()  # a missing data folder fails now, not after the quantization
        benches.append(bench)
    imatrix_file = None
    if options.imatrix not in ("auto", "off"):
        imatrix_file = Path(options.imatrix).expanduser()
        if not imatrix_file.is_file():
            raise QuantizeError(f"--imatrix is auto, off or an imatrix GGUF file; {imatrix_file} does not exist")
    if awq:
        from model.engines.lmdeploy_backend import require_cuda

        require_cuda()
    return QuantPlan(options, types, awq, benches, imatrix_file)


def load_imatrix(plan: QuantPlan, source: Path, out: Path):
    """The importance matrix values for this run, or None (off, or no type uses one)."""
    from model.imatrix import imatrix_from_gguf, read_imatrix, write_imatrix

    if not plan.uses_imatrix:
        return None
    if plan.imatrix_file is not None:
        return read_imatrix(plan.imatrix_file).values()
    cached = out / "imatrix.gguf"
    if not (cached.is_file() and cached.stat().st_mtime >= source.stat().st_mtime):
        started = time.perf_counter()
        write_imatrix(imatrix_from_gguf(source, threads=plan.options.threads), cached)
        logger.info("importance matrix computed in %.0f s -> %s", time.perf_counter() - started, cached)
    return read_imatrix(cached).values()


def imatrix_label(plan: QuantPlan, out: Path) -> str:
    if not plan.uses_imatrix:
        return "off"
    return str(plan.imatrix_file) if plan.imatrix_file else f"auto ({out / 'imatrix.gguf'})"


def quantize_all(plan: QuantPlan, model_name: str, source: Path, out: Path) -> list[Variant]:
    """Each GGUF type of the plan, quantized from `source` into `out`."""
    imatrix = load_imatrix(plan, source, out)
    engine = EngineConfig(n_ctx=plan.options.n_ctx, n_threads=plan.options.threads)
    variants = []
    for kind in plan.types:
        target = out / f"{slug(model_name)}-{kind.name}.gguf"
        started = time.perf_counter()
        quantize_gguf(source, target, kind.name, imatrix, plan.options.threads)
        logger.info("%s written in %.1f s (%.0f MB)", target.name, time.perf_counter() - started,
                    target.stat().st_size / 1e6)
        variants.append(Variant(kind.name, target, engine, imatrix is not None and kind.uses_imatrix))
    return variants


def awq_variants(plan: QuantPlan, hf_folder: Path, out: Path) -> tuple[Variant, list[Variant]]:
    """Source and output of an AWQ run (LMDeploy on CUDA): unverified on a GPU in this repository."""
    from model.quantize import run_awq

    work = run_awq(hf_folder, out / "awq")
    common = dict(engine="lmdeploy", n_ctx=plan.options.n_ctx)
    source = Variant("hf", hf_folder, EngineConfig(**common))
    quantized = Variant(AWQ, work, EngineConfig(**common, lmdeploy_model_format="awq",
                                                quant_policy=plan.options.kv_quant))
    return source, [quantized]


def measure(variants: list[Variant], threads: int | None) -> None:
    """Fill each GGUF variant's `perf` (a fresh process per model)."""
    from dataclasses import asdict

    from model.gguf_perf import measure_gguf

    for variant in variants:
        if variant.path.suffix == ".gguf":
            variant.perf = asdict(measure_gguf(variant.path, threads=threads or 1))
            logger.info("%s: %.0f tokens/s, peak %.0f MB, perplexity %s", variant.label,
                        variant.perf["decode_tps"], variant.perf["peak_mb"], variant.perf["ppl"])


def gate(plan: QuantPlan, model_name: str, source: Variant, variants: list[Variant], out: Path,
         runs_dir: Path | None = None) -> GateSummary:
    if not variants:
        raise QuantGateError("nothing was quantized")
    if plan.options.measure:
        measure([source, *variants], plan.options.threads)
    return run_gate(model_name, source, variants, plan.benches, plan.options.limit, plan.options.max_drop,
                    out, imatrix_label(plan, out), runs_dir)


__all__ = ["AWQ", "QuantPlan", "QuantizeOptions", "awq_variants", "gate", "prepare", "quantize_all"]
