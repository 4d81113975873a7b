"""The accuracy gate of `lingxi quantize`: evaluate each quantized model against its source on
the same benchmark items and refuse to mark it ready when accuracy drops by more than
`max_drop` points on any benchmark.

Evaluation goes through `eval.run_benchmark`, cached under the run folder and keyed by a hash of
each model file, so a rerun asks the model only about new items or changed files. The result is
`quantize.json` (per type: accuracy, drop, ready, and the run cost when measured), which
`eval/quant_report.py` turns into a table and a chart.

Sampling noise: on n items one item moves accuracy by 100/n points; a limit of 20 cannot see a
drop smaller than 5 points, and a 1-item difference is within noise. The summary says so.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.base import Benchmark, EvalError
from eval.runner import RunResult, run_benchmark
from model.loader import EngineConfig, load_engine

logger = logging.getLogger(__name__)

SUMMARY_FORMAT = "lingxi-quantize/1"
SUMMARY_FILE = "quantize.json"


class QuantGateError(EvalError):
    """The gate cannot run: nothing to compare, or a benchmark that evaluates nothing."""


@dataclass
class Variant:
    """One model the gate evaluates: the source or a quantized output."""

    label: str
    """The type: f16 (the source), q4_k_m, awq, ..."""
    path: Path
    engine: EngineConfig = field(default_factory=EngineConfig)
    imatrix: bool = False
    perf: dict[str, Any] | None = None
    """Run cost (model/gguf_perf.py) when measured."""


@dataclass
class BenchDrop:
    bench: str
    n: int
    source_accuracy: float
    accuracy: float

    @property
    def drop(self) -> float:
        """Accuracy lost against the source, in points (negative: it gained)."""
        return round(100 * (self.source_accuracy - self.accuracy), 6)

    @property
    def points_per_item(self) -> float:
        return 100 / self.n if self.n else math.inf


@dataclass
class TypeVerdict:
    variant: Variant
    drops: list[BenchDrop]
    max_drop: float
    runs: dict[str, RunResult] = field(default_factory=dict)

    @property
    def checked(self) -> bool:
        return bool(self.drops)

    @property
    def refused(self) -> list[BenchDrop]:
        return [d for d in self.drops if d.drop > self.max_drop]

    @property
    def ready(self) -> bool | None:
        """True / False after the gate; None when no benchmark was run (unchecked)."""
        return (not self.refused) if self.checked else None


def judge(variant: Variant, source_runs: dict[str, RunResult], runs: dict[str, RunResult],
          max_drop: float) -> TypeVerdict:
    """Compare one variant's runs with the source's, bench by bench, on the same items."""
    drops = []
    for bench, run in runs.items():
        source = source_runs.get(bench)
        if source is None:
            raise QuantGateError(f"no source run of {bench} to compare {variant.label} with")
        if [r.id for r in source.records] != [r.id for r in run.records]:
            raise QuantGateError(f"{bench}: {variant.label} and the source ran on different items")
        drops.append(BenchDrop(bench, run.n, source.accuracy, run.accuracy))
    return TypeVerdict(variant, drops, max_drop, runs)


def refusal_message(verdict: TypeVerdict) -> str:
    """One line per refused benchmark: type, bench, both accuracies, the drop and the noise."""
    lines = []
    for d in verdict.refused:
        lines.append(
            f"{verdict.variant.label} NOT ready (未通过精度门槛): {d.bench} {100 * d.source_accuracy:.1f}% -> "
            f"{100 * d.accuracy:.1f}%, a drop of {d.drop:.1f} points > --max-drop {verdict.max_drop:g} "
            f"(on {d.n} items one item is {d.points_per_item:.1f} points)")
    return "\n".join(lines)


def noise_note(benches: dict[str, int]) -> str:
    parts = [f"{bench}: {n} items, 1 item = {100 / n:.1f} points" for bench, n in benches.items() if n]
    return "sampling noise: " + "; ".join(parts) if parts else ""


# ---- running it -------------------------------------------------------------------------------
def file_digest(path: Path) -> str:
    """A short content hash of a model file (or of a folder's weights): the eval cache key."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix in
                                                (".safetensors", ".bin", ".json") and p.is_file())
    digest = hashlib.sha256()
    for file in files:
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()[:10]


def evaluate_variant(variant: Variant, model_name: str, benches: list[Benchmark], limit: int | None,
                     out_dir: Path) -> dict[str, RunResult]:
    """Run every benchmark on one variant; results are cached per file content."""
    if not benches:
        return {}
    name = f"{model_name}-{variant.label}-{file_digest(variant.path)}"
    engine = load_engine(str(variant.path), config=variant.engine)
    try:
        runs = {}
        for bench in benches:
            run = run_benchmark(engine, bench, limit, out_dir=out_dir, model_name=name)
            logger.info("%s on %s: %.1f%% (%d items, %d new)", variant.label, bench.name,
                        100 * run.accuracy, run.n, run.new_predictions)
            runs[bench.name] = run
        return runs
    finally:
        engine.close()


@dataclass
class GateSummary:
    model: str
    source: Variant
    source_runs: dict[str, RunResult]
    verdicts: list[TypeVerdict]
    max_drop: float
    limit: int | None
    imatrix: str

    @property
    def refused(self) -> list[TypeVerdict]:
        return [v for v in self.verdicts if v.ready is False]

    def to_dict(self) -> dict[str, Any]:
        def size_mb(path: Path) -> float:
            files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
            return round(sum(f.stat().st_size for f in files) / 1e6, 1)

        def entry(variant: Variant, runs: dict[str, RunResult], verdict: TypeVerdict | None) -> dict[str, Any]:
            return {
                "type": variant.label, "path": str(variant.path), "size_mb": size_mb(variant.path),
                "imatrix": variant.imatrix, "engine": variant.engine.engine,
                "accuracy": {b: r.accuracy for b, r in runs.items()},
                "n": {b: r.n for b, r in runs.items()},
                "drop": {d.bench: d.drop for d in verdict.drops} if verdict else {},
                "ready": verdict.ready if verdict else None,
                "perf": variant.perf,
            }

        items = {b: r.n for b, r in self.source_runs.items()}
        return {
            "format": SUMMARY_FORMAT, "model": self.model, "max_drop": self.max_drop, "limit": self.limit,
            "imatrix": self.imatrix, "benches": list(self.source_runs), "noise": noise_note(items),
            "source": entry(self.source, self.source_runs, None),
            "types": [entry(v.variant, v.runs, v) for v in self.verdicts],
            "ready": [v.variant.label for v in self.verdicts if v.ready],
            "refused": [v.variant.label for v in self.refused],
        }

    def save(self, out_dir: Path) -> Path:
        path = out_dir / SUMMARY_FILE
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        return path


def run_gate(model_name: str, source: Variant, variants: list[Variant], benches: list[Benchmark],
             limit: int | None, max_drop: float, out_dir: Path, imatrix: str = "off",
             runs_dir: Path | None = None) -> GateSummary:
    """Evaluate the source and every variant on `benches`; judge each variant; save quantize.json.
    Eval runs and their cache go to `runs_dir` (default: `out_dir/eval`)."""
    runs_dir = runs_dir or out_dir / "eval"
    source_runs = evaluate_variant(source, model_name, benches, limit, runs_dir)
    verdicts = []
    for variant in variants:
        runs = evaluate_variant(variant, model_name, benches, limit, runs_dir)
        verdicts.append(judge(variant, source_runs, runs, max_drop))
    summary = GateSummary(model_name, source, source_runs, verdicts, max_drop, limit, imatrix)
    summary.save(out_dir)
    return summary


def load_summary(path: str | os.PathLike) -> dict[str, Any]:
    path = Path(path)
    if path.is_dir():
        path = path / SUMMARY_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != SUMMARY_FORMAT:
        raise QuantGateError(f"{path} is not a `lingxi quantize` summary ({SUMMARY_FORMAT})")
    return data


__all__ = ["BenchDrop", "GateSummary", "QuantGateError", "TypeVerdict", "Variant", "evaluate_variant",
           "judge", "load_summary", "noise_note", "refusal_message", "run_gate"]


MERGED_TYPE_KEY = "merged_type"
MERGED_GATE_KEY = "merged_gate"


def record_merged_type(card_path: Path, summary: dict[str, Any]) -> str:
    """Record in a shipped adapter's card the type the app serves it as once merged
    (model/merged.py): the fastest type that passed this gate (decode tokens/s; the first ready
    one when nothing was measured). Only types quantized without an importance matrix count: the
    app's build uses none. Raises QuantGateError when no such type passed (an unchecked type does
    not count)."""
    ready = [entry for entry in summary["types"] if entry["ready"] and not entry["imatrix"]]
    if not ready:
        raise QuantGateError("no type quantized without an importance matrix passed the accuracy gate "
                             "(run with --eval and --imatrix off): nothing recorded; the adapter stays "
                             "applied at run time")
    speed = {entry["type"]: (entry.get("perf") or {}).get("decode_tps") for entry in ready}
    measured = [entry for entry in ready if speed[entry["type"]]]
    chosen = max(measured, key=lambda entry: speed[entry["type"]]) if measured else ready[0]
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.is_file() else {}
    card[MERGED_TYPE_KEY] = chosen["type"]
    card[MERGED_GATE_KEY] = {
        "model": summary["model"], "benches": summary["benches"], "limit": summary["limit"],
        "max_drop": summary["max_drop"], "source": summary["source"]["accuracy"],
        "types": {entry["type"]: {"accuracy": entry["accuracy"], "ready": entry["ready"],
                                  "decode_tps": (entry.get("perf") or {}).get("decode_tps")}
                  for entry in summary["types"]},
    }
    card_path.write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return chosen["type"]
