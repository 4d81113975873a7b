"""Lingxi's evaluation harness: benchmarks, a cached resumable runner, side-by-side reports.

    from eval import get_benchmark, run_benchmark, write_report
    bench = get_benchmark("bfcl_simple")                 # data from $LINGXI_DATA_DIR or ../shared/data
    run = run_benchmark(engine, bench, limit=50, out_dir="runs/eval")
    write_report([run.path, other_run_path], "runs/report")

Benchmarks by name: see `BENCHMARKS`. GSM8K / SVAMP loaders and their numeric check are here for
the agent-math loaders; `svamp_agent` and `gsm8k_agent` (eval/agent_tasks.py) run them through the agent loop.
"""
from __future__ import annotations

import os
from collections.abc import Callable

from eval.agent_math import check_math_answer, extract_answer_number, load_gsm8k, load_svamp
from eval.agent_tasks import GSM8KAgent, SVAMPAgent
from eval.api_bank import APIBank
from eval.base import (
    Benchmark,
    DataNotFoundError,
    EvalError,
    Item,
    LoadIssue,
    Prediction,
    Record,
    UnknownBenchmarkError,
    resolve_data_dir,
)
from eval.bfcl import BFCLIrrelevance, BFCLMultiple, BFCLParallel, BFCLParallelMultiple, BFCLSimple
from eval.ceval import CEval
from eval.cmmlu import CMMLU
from eval.lingxi_tools import LingxiTools, LingxiToolsLegacy, LingxiToolsMedia, LingxiToolsMediaVal, LingxiToolsVal
from eval.mc import extract_choice
from eval.mmlu import MMLU
from eval.report import write_report
from eval.runner import ProgressFn, RunResult, default_runs_dir, load_run, run_benchmark
from eval.seal_tools import SealTools

BENCHMARKS: dict[str, Callable[..., Benchmark]] = {
    cls.name: cls
    for cls in (
        BFCLSimple, BFCLMultiple, BFCLParallel, BFCLParallelMultiple, BFCLIrrelevance,
        MMLU, CEval, CMMLU, APIBank, SealTools, LingxiTools, LingxiToolsVal, LingxiToolsLegacy, LingxiToolsMedia,
        LingxiToolsMediaVal, SVAMPAgent, GSM8KAgent,
    )
}
"""Registry name -> benchmark class. Constructor options: data_dir, max_tokens, and per family:
multiple choice n_shots / split / use_logprobs, api_bank all_tools, seal_tools split / n_distractors."""

BENCHMARK_GROUPS = {
    "bfcl": ["bfcl_simple", "bfcl_multiple", "bfcl_parallel", "bfcl_parallel_multiple", "bfcl_irrelevance"],
    "mc": ["mmlu", "ceval", "cmmlu"],
    "tools": ["lingxi_tools", "api_bank", "seal_tools"],
    "agent": ["svamp_agent", "gsm8k_agent"],
}
"""Shorthands a command line may expand ("bfcl" -> its five categories). `lingxi_tools_val`, the
validation split, is in none: it is asked for by name, when choosing, never in a report group;
nor is `lingxi_tools_legacy`, asked for by name to compare with figures of the first test split,
nor are `lingxi_tools_media` and `lingxi_tools_media_val` (the media tools), asked for by name so
that what "tools" runs, and the figures it gave, stay as they were."""


def benchmark_names(spec: str) -> list[str]:
    """"bfcl,mmlu" -> the benchmark names it stands for, groups expanded, order kept."""
    names: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        for name in BENCHMARK_GROUPS.get(part, [part] if part else []):
            if name not in BENCHMARKS:
                known = ", ".join([*BENCHMARKS, *BENCHMARK_GROUPS])
                raise UnknownBenchmarkError(f"unknown benchmark {name!r}; known: {known}")
            if name not in names:
                names.append(name)
    return names


def get_benchmark(name: str, data_dir: str | os.PathLike | None = None, **options) -> Benchmark:
    """A benchmark by registry name; `options` go to its constructor."""
    if name not in BENCHMARKS:
        raise UnknownBenchmarkError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    return BENCHMARKS[name](data_dir=data_dir, **options)


__all__ = [
    "BENCHMARKS",
    "BENCHMARK_GROUPS",
    "Benchmark",
    "DataNotFoundError",
    "EvalError",
    "Item",
    "LoadIssue",
    "Prediction",
    "ProgressFn",
    "Record",
    "RunResult",
    "UnknownBenchmarkError",
    "benchmark_names",
    "check_math_answer",
    "default_runs_dir",
    "extract_answer_number",
    "extract_choice",
    "get_benchmark",
    "load_gsm8k",
    "load_run",
    "load_svamp",
    "resolve_data_dir",
    "run_benchmark",
    "write_report",
]
