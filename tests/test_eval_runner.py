"""The runner: cached predictions, resume, concurrency, model errors, progress, the run file."""
import json
from pathlib import Path

import pytest

from eval import (
    BENCHMARKS,
    DataNotFoundError,
    UnknownBenchmarkError,
    benchmark_names,
    get_benchmark,
    load_run,
    resolve_data_dir,
    run_benchmark,
)
from model.errors import ContextLengthError, GenerationError
from model.scripted import ScriptedEngine

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
RIGHT = '<tool_call>{"name": "geometry_circle_area", "arguments": {"radius": 3.0}}</tool_call>'


def simple():
    return get_benchmark("bfcl_simple", data_dir=FIXTURES)


def test_second_run_resumes_from_the_cache_without_calling_the_model(tmp_path):
    engine = ScriptedEngine(default=RIGHT, name="tiny")
    first = run_benchmark(engine, simple(), limit=3, out_dir=tmp_path)
    assert first.new_predictions == 3 and len(engine.history) == 3
    assert [r.correct for r in first.records] == [True, False, False]
    again = run_benchmark(engine, simple(), limit=3, out_dir=tmp_path)
    assert again.new_predictions == 0 and len(engine.history) == 3
    assert all(r.cached for r in again.records)
    assert [r.to_dict() | {"cached": False} for r in again.records] == [r.to_dict() for r in first.records]
    bigger = run_benchmark(engine, simple(), out_dir=tmp_path)  # one more item: one more call
    assert bigger.n == 4 and bigger.new_predictions == 1 and len(engine.history) == 4


def test_cache_is_keyed_by_model_name_and_benchmark_config(tmp_path):
    engine = ScriptedEngine(default=RIGHT, name="tiny")
    run_benchmark(engine, simple(), limit=2, out_dir=tmp_path)
    run_benchmark(engine, simple(), limit=2, out_dir=tmp_path, model_name="tiny-tuned")
    assert len(engine.history) == 4
    run_benchmark(engine, get_benchmark("bfcl_simple", data_dir=FIXTURES, max_tokens=64), limit=2, out_dir=tmp_path)
    assert len(engine.history) == 6
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["tiny", "tiny-tuned"]


def test_an_interrupted_run_keeps_what_it_did_and_ignores_a_torn_line(tmp_path):
    engine = ScriptedEngine([RIGHT, RIGHT, ValueError("a bug of ours")], name="tiny")
    with pytest.raises(ValueError):
        run_benchmark(engine, simple(), out_dir=tmp_path)
    cache = tmp_path / "cache" / "tiny" / "bfcl_simple.jsonl"
    assert len(cache.read_text().splitlines()) == 2
    with open(cache, "a") as handle:
        handle.write('{"bench": "bfcl_simple", "model": "ti')  # killed mid-write
    engine.enqueue(RIGHT, RIGHT)
    result = run_benchmark(engine, simple(), out_dir=tmp_path)
    assert result.n == 4 and result.new_predictions == 2


def test_model_errors_become_records_and_transient_ones_are_retried(tmp_path):
    engine = ScriptedEngine([ContextLengthError(5000, 256, 2048), GenerationError("backend crashed"), RIGHT, RIGHT],
                            name="tiny")
    result = run_benchmark(engine, simple(), out_dir=tmp_path)
    assert [r.error_type for r in result.records[:2]] == ["engine_error:ContextLengthError",
                                                          "engine_error:GenerationError"]
    assert "maximum context length" in result.records[0].error
    assert result.to_dict()["error_types"]["engine_error:GenerationError"] == 1
    engine.enqueue(RIGHT)
    again = run_benchmark(engine, simple(), out_dir=tmp_path)
    assert again.new_predictions == 1  # only the crashed one is asked again
    assert again.records[0].error_type == "engine_error:ContextLengthError"
    assert again.records[1].error_type == "wrong_func_name"


def test_concurrency_keeps_item_order_and_progress_counts_every_item(tmp_path):
    engine = ScriptedEngine(default=RIGHT, name="tiny")
    run_benchmark(engine, simple(), limit=1, out_dir=tmp_path)
    seen = []
    result = run_benchmark(engine, simple(), concurrency=3, out_dir=tmp_path,
                           progress=lambda done, total, record: seen.append((done, total, record.id, record.cached)))
    assert [r.id for r in result.records] == ["simple_python_0", "simple_python_1", "simple_python_2", "simple_python_3"]
    assert [s[0] for s in seen] == [1, 2, 3, 4] and {s[1] for s in seen} == {4}
    assert seen[0][2:] == ("simple_python_0", True)
    assert len(engine.history) == 4


def test_run_file_holds_config_categories_issues_and_records(tmp_path):
    engine = ScriptedEngine(default=RIGHT, name="tiny/q8_0")
    result = run_benchmark(engine, simple(), limit=2, out_dir=tmp_path)
    assert result.path == tmp_path / "bfcl_simple__tiny_q8_0.json"
    data = json.loads(result.path.read_text())
    assert data["model"] == "tiny/q8_0" and data["bench"] == "bfcl_simple"
    assert data["config"] == {"max_tokens": 256, "limit": 2}
    assert data["n"] == 2 and data["correct"] == 1 and data["accuracy"] == 0.5
    assert data["per_category"] == {"simple_python": {"n": 2, "correct": 1, "accuracy": 0.5}}
    assert data["scores"] == {"ast": 0.5}
    assert len(data["load_issues"]) == 5
    assert data["records"][1]["raw_output"].startswith("<tool_call>")
    loaded = load_run(result.path)
    assert loaded.accuracy == 0.5 and loaded.records[0].calls[0]["name"] == "geometry.circle_area"


def test_registry_names_groups_and_data_dir(monkeypatch, tmp_path):
    assert set(BENCHMARKS) == {"bfcl_simple", "bfcl_multiple", "bfcl_parallel", "bfcl_parallel_multiple",
                               "bfcl_irrelevance", "mmlu", "ceval", "cmmlu", "api_bank", "seal_tools",
                               "lingxi_tools", "lingxi_tools_val", "lingxi_tools_legacy", "lingxi_tools_media",
                               "lingxi_tools_media_val", "svamp_agent", "gsm8k_agent"}
    assert benchmark_names("mmlu, bfcl,mmlu") == ["mmlu", "bfcl_simple", "bfcl_multiple", "bfcl_parallel",
                                                  "bfcl_parallel_multiple", "bfcl_irrelevance"]
    with pytest.raises(UnknownBenchmarkError):
        benchmark_names("bfcl_typo")
    with pytest.raises(UnknownBenchmarkError):
        get_benchmark("nope")
    for name in BENCHMARKS:
        assert get_benchmark(name, data_dir=FIXTURES).load(), name
    monkeypatch.setenv("LINGXI_DATA_DIR", str(FIXTURES))
    assert resolve_data_dir() == FIXTURES and get_benchmark("cmmlu").load()
    with pytest.raises(DataNotFoundError):
        get_benchmark("mmlu", data_dir=tmp_path).load()
    monkeypatch.delenv("LINGXI_DATA_DIR")
    assert resolve_data_dir().parts[-2:] == ("shared", "data")
