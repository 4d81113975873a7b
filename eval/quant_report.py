"""The quantization trade-off as a table and a chart, from `quantize.json` (eval/quant_gate.py).

One row per model (the f16 source first, then each type): file size, load time, decode tokens/s,
peak memory, held-out perplexity, accuracy per benchmark with its drop against the source, and
whether the gate marked it ready. The PNG chart shows the same columns as bars.

    from eval.quant_report import write_quant_report
    write_quant_report("~/.lingxi/quant/SmolLM2-135M-Instruct")   # -> report.md + quant.png
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from eval.quant_gate import SUMMARY_FILE, load_summary

logger = logging.getLogger(__name__)

MISSING = "—"
CHART_FILE = "quant.png"
PERF_COLUMNS = (("size_mb", "size MB", "{:.0f}"), ("load_s", "load s", "{:.2f}"),
                ("decode_tps", "decode tok/s", "{:.0f}"), ("peak_mb", "peak MB", "{:.0f}"),
                ("ppl", "perplexity", "{:.2f}"))


def _rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [summary["source"], *summary["types"]]


def _perf_value(row: dict[str, Any], key: str) -> float | None:
    if key == "size_mb":
        return row.get("size_mb")
    return (row.get("perf") or {}).get(key)


def _fmt(value: float | None, pattern: str) -> str:
    return MISSING if value is None else pattern.format(value)


def _ready(row: dict[str, Any], is_source: bool) -> str:
    if is_source:
        return "source"
    return {True: "ready", False: "**refused**", None: "unchecked"}[row.get("ready")]


def markdown_table(summary: dict[str, Any]) -> list[str]:
    benches = summary.get("benches", [])
    header = ["type", *[title for _, title, _ in PERF_COLUMNS], *[f"{b} %" for b in benches], "imatrix", "gate"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for index, row in enumerate(_rows(summary)):
        cells = [row["type"]]
        cells += [_fmt(_perf_value(row, key), pattern) for key, _, pattern in PERF_COLUMNS]
        for bench in benches:
            accuracy = row.get("accuracy", {}).get(bench)
            drop = row.get("drop", {}).get(bench)
            text = _fmt(None if accuracy is None else 100 * accuracy, "{:.1f}")
            cells.append(text if drop is None or index == 0 else f"{text} ({0.0 - drop:+.1f})")
        cells += ["yes" if row.get("imatrix") else "no", _ready(row, index == 0)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def write_chart(summary: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _rows(summary)
    labels = [row["type"] for row in rows]
    benches = summary.get("benches", [])
    panels = [(key, title) for key, title, _ in PERF_COLUMNS if any(_perf_value(r, key) is not None for r in rows)]
    count = len(panels) + (1 if benches else 0)
    figure, axes = plt.subplots(1, count, figsize=(3.2 * count, 3.4), squeeze=False)
    colors = ["#7f7f7f"] + ["#1f77b4" if r.get("ready") is not False else "#d62728" for r in rows[1:]]
    for axis, (key, title) in zip(axes[0], panels):
        values = [_perf_value(r, key) or 0.0 for r in rows]
        axis.bar(labels, values, color=colors)
        axis.set_title(title)
        axis.tick_params(axis="x", rotation=45, labelsize=8)
    if benches:
        axis = axes[0][-1]
        width = 0.8 / len(benches)
        for offset, bench in enumerate(benches):
            values = [100 * (r.get("accuracy", {}).get(bench) or 0.0) for r in rows]
            positions = [i + (offset - (len(benches) - 1) / 2) * width for i in range(len(rows))]
            axis.bar(positions, values, width, label=bench)
        axis.set_xticks(range(len(rows)), labels, rotation=45, fontsize=8)
        axis.set_title("accuracy %")
        axis.legend(fontsize=7)
    figure.suptitle(f"{summary['model']}: quantization trade-off (grey: source, red: refused)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def write_quant_report(summary_path: str | os.PathLike, out_dir: str | os.PathLike | None = None) -> Path:
    """report.md + quant.png next to quantize.json (or in `out_dir`); returns the report's path."""
    summary = load_summary(summary_path)
    source = Path(summary_path)
    out = Path(out_dir) if out_dir else (source if source.is_dir() else source.parent)
    out.mkdir(parents=True, exist_ok=True)
    chart = write_chart(summary, out / CHART_FILE)
    perf = next((r["perf"] for r in _rows(summary) if r.get("perf")), None) or {}
    lines = [f"# Quantization report: {summary['model']}", ""]
    lines += markdown_table(summary)
    lines += ["", f"![quantization trade-off]({chart.name})", ""]
    notes = [f"Gate: a type is refused when accuracy drops by more than {summary['max_drop']:g} points "
             "on any benchmark (the source is the f16 model)."]
    if summary.get("noise"):
        notes.append(summary["noise"].capitalize() + ": a difference of one or two items is noise.")
    if perf:
        notes.append(f"Decode: llama.cpp, {perf.get('threads')} thread(s), greedy, {perf.get('tokens')} tokens, "
                     "best of the repeats; peak MB: resident memory the model adds to a fresh process; "
                     "perplexity on the held-out text model/calibration/heldout.txt.")
    notes.append(f"Importance matrix: {summary.get('imatrix', 'off')}.")
    lines += [f"- {note}" for note in notes]
    report = out / "report.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    logger.info("quantization report: %s", report)
    return report


__all__ = ["SUMMARY_FILE", "markdown_table", "write_chart", "write_quant_report"]
