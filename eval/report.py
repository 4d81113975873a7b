"""Compare eval runs side by side: a Markdown report with deltas, PNG charts, failed items.

Columns are models (in the order the runs are given; the first is the baseline for deltas),
rows are benchmarks. Runs may cover different benchmarks: a missing cell shows "—".
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from eval.runner import RunResult, load_run, slug
from eval.stats import paired, record_language, wilson_interval

logger = logging.getLogger(__name__)

MISSING = "—"
MAX_CATEGORY_ROWS = 24
"""Benchmarks with more categories than this (CMMLU's 67 subjects) get no category table."""


@dataclass
class _Grid:
    columns: list[str]
    benches: list[str]
    cells: dict[tuple[str, str], RunResult]

    def get(self, bench: str, column: str) -> RunResult | None:
        return self.cells.get((bench, column))


def write_report(
    run_files: list[str | os.PathLike | RunResult],
    out_dir: str | os.PathLike,
    max_failures: int = 20,
    truncate: int = 300,
) -> Path:
    """Write `<out_dir>/report.md` and its PNG charts; return the Markdown file's path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs = [run if isinstance(run, RunResult) else load_run(run) for run in run_files]
    grid = _grid(runs)
    charts = _charts(grid, out)
    lines = ["# Evaluation report", ""]
    lines += _summary(grid)
    lines += _intervals(grid)
    lines += _scores_table(grid)
    lines += [f"![accuracy]({charts['accuracy']})", ""] if "accuracy" in charts else []
    lines += _category_tables(grid, charts)
    lines += _failures(grid, max_failures, truncate)
    lines += _issues(grid)
    path = out / "report.md"
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    logger.info("eval report: %s (%d runs)", path, len(runs))
    return path


def _grid(runs: list[RunResult]) -> _Grid:
    columns: list[str] = []
    benches: list[str] = []
    cells: dict[tuple[str, str], RunResult] = {}
    for run in runs:
        column, copy = run.model, 2
        while (run.bench, column) in cells:  # the same model twice on a bench: another column
            column, copy = f"{run.model} ({copy})", copy + 1
        if column not in columns:
            columns.append(column)
        if run.bench not in benches:
            benches.append(run.bench)
        cells[(run.bench, column)] = run
    return _Grid(columns, benches, cells)


def _cell(value: float | None, base: float | None) -> str:
    if value is None:
        return MISSING
    text = f"{100 * value:.1f}"
    return text if base is None else f"{text} ({100 * (value - base):+.1f})"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows), ""]


def _compare(grid: _Grid, bench: str, value) -> list[str]:
    """One row of cells: the first column's value, the others with a delta against it."""
    base_run = grid.get(bench, grid.columns[0])
    base = value(base_run) if base_run else None
    cells = []
    for index, column in enumerate(grid.columns):
        run = grid.get(bench, column)
        current = value(run) if run else None
        cells.append(_cell(current, base if index and base is not None else None))
    return cells


def _summary(grid: _Grid) -> list[str]:
    lines = [f"Accuracy (%); in brackets the difference from **{grid.columns[0]}**.", ""]
    header = ["benchmark", *grid.columns, "items"]
    rows = []
    for bench in grid.benches:
        counts = [str(grid.get(bench, c).n) if grid.get(bench, c) else MISSING for c in grid.columns]
        rows.append([bench, *_compare(grid, bench, lambda run: run.accuracy), " / ".join(counts)])
    return lines + _table(header, rows)


def _interval(records: list) -> str:
    """'24.0 [16.6–33.4]': accuracy and its 95% Wilson interval, in percent."""
    if not records:
        return MISSING
    correct = sum(record.correct for record in records)
    low, high = wilson_interval(correct, len(records))
    return f"{100 * correct / len(records):.1f} [{100 * low:.1f}–{100 * high:.1f}]"


def _intervals(grid: _Grid) -> list[str]:
    """Every cell with its 95% interval, by language where the benchmark marks one, and each
    column against the first item by item (only it right / only the first right, sign test p)."""
    rows = []
    for bench in grid.benches:
        for index, column in enumerate(grid.columns):
            run = grid.get(bench, column)
            if run is None:
                continue
            languages = {}
            for record in run.records:
                languages.setdefault(record_language(record), []).append(record)
            by_language = [_interval(languages.get(lang, [])) if None not in languages else MISSING
                           for lang in ("en", "zh")]
            base = grid.get(bench, grid.columns[0])
            versus = MISSING
            if index and base is not None:
                pair = paired(base, run)
                versus = f"+{pair['tuned_only']} / −{pair['base_only']}, p = {pair['p_value']:.2g}"
            rows.append([bench, column, _interval(run.records), *by_language, versus])
    header = ["benchmark", "model", "all", "en", "zh", f"vs {grid.columns[0]} (sign test)"]
    return ["## 95% confidence intervals and paired tests", "",
            "Accuracy (%) with its 95% Wilson interval, by language where the benchmark marks one; "
            f"against **{grid.columns[0]}**: items only this model gets right / only the first does, "
            "and the exact sign test of that split (below 0.05 the difference is unlikely to be chance).", "",
            *_table(header, rows)]


def _scores_table(grid: _Grid) -> list[str]:
    """Second scores (argument F1 and the like) that differ from plain accuracy."""
    redundant = {"acc", "ast", "call_acc"}
    rows = []
    for bench in grid.benches:
        names = sorted({name for c in grid.columns if grid.get(bench, c)
                        for name in grid.get(bench, c).mean_scores()} - redundant)
        for name in names:
            rows.append([f"{bench} · {name}",
                         *_compare(grid, bench, lambda run, n=name: run.mean_scores().get(n))])
    if not rows:
        return []
    return ["## Other scores (%)", "", *_table(["benchmark · score", *grid.columns], rows)]


def _category_tables(grid: _Grid, charts: dict[str, str]) -> list[str]:
    lines: list[str] = []
    for bench in grid.benches:
        categories = _categories(grid, bench)
        if len(categories) < 2 or len(categories) > MAX_CATEGORY_ROWS:
            continue
        rows = []
        for category in categories:
            def value(run, c=category):
                score = run.per_category().get(c)
                return score.accuracy if score else None
            rows.append([category, *_compare(grid, bench, value)])
        lines += [f"## {bench} by category", "", *_table(["category", *grid.columns], rows)]
        if bench in charts:
            lines += [f"![{bench}]({charts[bench]})", ""]
    return lines


def _categories(grid: _Grid, bench: str) -> list[str]:
    names: dict[str, None] = {}
    for column in grid.columns:
        run = grid.get(bench, column)
        for category in run.per_category() if run else {}:
            names[category] = None
    return list(names)


def _failures(grid: _Grid, max_failures: int, truncate: int) -> list[str]:
    lines = ["## Failed items", ""]
    for bench in grid.benches:
        for column in grid.columns:
            run = grid.get(bench, column)
            failed = [r for r in run.records if not r.correct] if run else []
            if not failed:
                continue
            shown = failed[:max_failures]
            more = f", first {len(shown)} shown" if len(failed) > len(shown) else ""
            lines += [f"### {bench} · {column} ({len(failed)} failed{more})", ""]
            for record in shown:
                reason = f"{record.error_type}: {record.error}" if record.error else str(record.error_type)
                output = record.raw_output if len(record.raw_output) <= truncate else record.raw_output[:truncate] + " …"
                lines += [f"- `{record.id}` — {reason}", "", "  ```text",
                          *("  " + line for line in (output.replace("```", "'''") or "(empty)").splitlines()),
                          "  ```", ""]
    return lines if len(lines) > 2 else []


def _issues(grid: _Grid) -> list[str]:
    rows = []
    for bench in grid.benches:
        for column in grid.columns:
            run = grid.get(bench, column)
            if run and run.load_issues:
                first = run.load_issues[0]
                where = f"{Path(first.source).name}:{first.line}" if first.line else Path(first.source).name
                rows.append([bench, column, str(len(run.load_issues)), f"{where}: {first.reason}"])
    if not rows:
        return []
    return ["## Data issues (skipped lines)", "", *_table(["benchmark", "model", "issues", "first"], rows)]


# ---- charts ---------------------------------------------------------------------------------
def _charts(grid: _Grid, out: Path) -> dict[str, str]:
    """PNG bar charts; returns name -> file name relative to the report."""
    charts = {}
    values = [[_accuracy(grid.get(b, c)) for b in grid.benches] for c in grid.columns]
    errors = [[_error_bar(grid.get(b, c)) for b in grid.benches] for c in grid.columns]
    charts["accuracy"] = _bar_chart(out / "accuracy.png", grid.benches, grid.columns, values,
                                    "accuracy (%), 95% intervals", errors)
    for bench in grid.benches:
        categories = _categories(grid, bench)
        if 2 <= len(categories) <= MAX_CATEGORY_ROWS:
            values = [[_category_accuracy(grid.get(bench, c), name) for name in categories] for c in grid.columns]
            charts[bench] = _bar_chart(out / f"categories_{slug(bench)}.png", categories, grid.columns,
                                       values, f"{bench}: accuracy by category (%)")
    return charts


def _accuracy(run: RunResult | None) -> float | None:
    return 100 * run.accuracy if run else None


def _error_bar(run: RunResult | None) -> tuple[float, float] | None:
    """How far the 95% interval reaches below and above the accuracy, in points."""
    if not run or not run.n:
        return None
    correct = sum(record.correct for record in run.records)
    low, high = wilson_interval(correct, run.n)
    value = correct / run.n
    return 100 * (value - low), 100 * (high - value)


def _category_accuracy(run: RunResult | None, category: str) -> float | None:
    score = run.per_category().get(category) if run else None
    return 100 * score.accuracy if score else None


def _bar_chart(path: Path, groups: list[str], series: list[str], values: list[list[float | None]], title: str,
               errors: list[list[tuple[float, float] | None]] | None = None) -> str:
    from matplotlib.figure import Figure  # no pyplot: no global backend state, safe in threads

    width = 0.8 / max(len(series), 1)
    figure = Figure(figsize=(max(6.0, 0.9 * len(groups) * max(len(series), 1) * 0.6 + 2), 4.2), dpi=100)
    axes = figure.subplots()
    for index, (name, row) in enumerate(zip(series, values)):
        positions = [g + index * width - 0.4 + width / 2 for g in range(len(groups))]
        heights = [v if v is not None else 0.0 for v in row]
        bars = axes.bar(positions, heights, width, label=name)
        if errors is not None:
            spans = [span or (0.0, 0.0) for span in errors[index]]
            axes.errorbar(positions, heights, yerr=[[low for low, _ in spans], [high for _, high in spans]],
                          fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
        tops = [high for _, high in spans] if errors is not None else [0.0] * len(row)
        for bar, value, top in zip(bars, row, tops):  # the label above the interval, not on it
            label = MISSING if value is None else f"{value:.0f}"
            axes.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height() + top),
                          ha="center", va="bottom", fontsize=7)
    axes.set_xticks(range(len(groups)))
    axes.set_xticklabels(groups, rotation=30 if len(groups) > 3 else 0, ha="right" if len(groups) > 3 else "center",
                         fontsize=8)
    axes.set_ylim(0, 105)
    axes.set_ylabel("%")
    axes.set_title(title)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    return path.name
