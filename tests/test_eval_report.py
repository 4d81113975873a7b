"""The side-by-side report: tables with deltas, missing cells, charts, failed items."""
from pathlib import Path

import pytest

from eval import get_benchmark, load_run, run_benchmark, write_report
from model.scripted import ScriptedEngine

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
RIGHT = '<tool_call>{"name": "geometry_circle_area", "arguments": {"radius": 3.0}}</tool_call>'
LONG = "I would rather talk about the weather. " * 40


@pytest.fixture
def runs(tmp_path):
    """base: bfcl_simple (1 of 4 right) + mmlu; tuned: bfcl_simple (2 of 4) + seal_tools."""
    out = tmp_path / "runs"
    base = ScriptedEngine([RIGHT, LONG, LONG, LONG], name="base")
    tuned = ScriptedEngine([RIGHT, LONG, '<tool_call>{"name": "book_table", "arguments": '
                                         '{"restaurant": "Luigi\'s", "party_size": 4}}</tool_call>', LONG], name="tuned")
    paths = [run_benchmark(base, get_benchmark("bfcl_simple", data_dir=FIXTURES), out_dir=out).path,
             run_benchmark(ScriptedEngine(default="B", name="base"), get_benchmark("mmlu", data_dir=FIXTURES),
                           out_dir=out).path,
             run_benchmark(tuned, get_benchmark("bfcl_simple", data_dir=FIXTURES), out_dir=out).path,
             run_benchmark(ScriptedEngine(default="nothing", name="tuned"),
                           get_benchmark("seal_tools", data_dir=FIXTURES), out_dir=out).path]
    return paths


def test_report_compares_runs_side_by_side_with_deltas_and_gaps(runs, tmp_path):
    path = write_report(runs, tmp_path / "report")
    text = path.read_text()
    lines = text.splitlines()
    assert path.name == "report.md"
    assert "| benchmark | base | tuned | items |" in lines
    assert "| bfcl_simple | 25.0 | 50.0 (+25.0) | 4 / 4 |" in lines
    mmlu = load_run(runs[1])
    assert f"| mmlu | {100 * mmlu.accuracy:.1f} | — | 7 / — |" in lines
    assert "| seal_tools | — | 0.0 | — / 2 |" in lines
    assert "| seal_tools · arg_f1 | — | 0.0 |" in lines
    assert "## mmlu by category" in text and "| STEM |" in text


def test_report_writes_charts_and_lists_failures_truncated(runs, tmp_path):
    out = tmp_path / "report"
    text = write_report(runs, out, max_failures=2, truncate=50).read_text()
    assert (out / "accuracy.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "categories_mmlu.png").exists()
    assert "![accuracy](accuracy.png)" in text
    assert "### bfcl_simple · base (3 failed, first 2 shown)" in text
    assert "- `simple_python_1` — no_call: the model made no function call" in text
    assert "I would rather talk about the weather. I would rat …" in text
    assert LONG not in text
    assert "## Data issues (skipped lines)" in text


def test_same_model_twice_on_a_bench_gets_its_own_column(runs, tmp_path):
    text = write_report([runs[0], runs[0]], tmp_path / "twice").read_text()
    assert "| bfcl_simple | 25.0 | 25.0 (+0.0) | 4 / 4 |" in text.splitlines()
    assert "| benchmark | base | base (2) | items |" in text.splitlines()


def test_report_gives_intervals_and_the_paired_test(runs, tmp_path):
    lines = write_report(runs, tmp_path / "report").read_text().splitlines()
    assert "## 95% confidence intervals and paired tests" in lines
    # 1 of 4 and 2 of 4: Wilson intervals; tuned wins 1 item the base misses and loses none
    assert "| bfcl_simple | base | 25.0 [4.6–69.9] | — | — | — |" in lines
    assert "| bfcl_simple | tuned | 50.0 [15.0–85.0] | — | — | +1 / −0, p = 1 |" in lines


def test_wilson_interval_and_sign_test():
    from eval.stats import sign_test, wilson_interval

    low, high = wilson_interval(24, 96)
    assert (round(100 * low, 1), round(100 * high, 1)) == (17.4, 34.5)  # by hand: centre 0.2596, half-width 0.0855
    assert wilson_interval(0, 10)[0] == 0.0 and 0.25 < wilson_interval(0, 10)[1] < 0.35
    assert wilson_interval(10, 10)[1] == 1.0 and wilson_interval(10, 10)[0] < 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert sign_test(16, 9) == pytest.approx(0.2295, abs=1e-3)
    assert sign_test(10, 0) == pytest.approx(2 / 1024)
    assert sign_test(0, 0) == 1.0


def test_lingxi_tools_report_splits_the_intervals_by_language(tmp_path):
    bench = get_benchmark("lingxi_tools_legacy")
    items = bench.load()
    engine = ScriptedEngine(default="I am not sure.", name="silent")
    run = run_benchmark(engine, bench, out_dir=tmp_path / "runs")
    by_language = {lang: [r for r in run.records if r.details["language"] == lang] for lang in ("en", "zh")}
    assert len(by_language["en"]) + len(by_language["zh"]) == len(items) == 96
    row = next(line for line in write_report([run], tmp_path / "report").read_text().splitlines()
               if line.startswith("| lingxi_tools_legacy | silent |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    for cell, records in zip(cells[3:5], (by_language["en"], by_language["zh"])):
        share = 100 * sum(r.correct for r in records) / len(records)
        assert cell.startswith(f"{share:.1f} [")
