"""The `lingxi` command line: generated options, eval end to end against an endpoint, data check."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent_app.cli import main
from agent_app.server.app import create_app
from agent_app.settings import ServerOptions
from model.scripted import ScriptedEngine
from tests.conftest import live_server

FIXTURES = Path(__file__).parent / "fixtures"


def run_cli(*args, input_text=""):
    script = "from agent_app.cli import main; import sys; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", script, *args], input=input_text, capture_output=True,
                          text=True, timeout=120)


def test_help_lists_the_subcommands_and_generated_options():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("serve", "chat", "eval", "data"):
        assert command in result.stdout
    serve = run_cli("serve", "--help").stdout
    for option in ("--model", "--adapter", "--engine", "--n-ctx", "--port", "--api-key", "--max-waiting"):
        assert option in serve


def test_invalid_option_values_are_refused_clearly():
    result = run_cli("serve", "--n-ctx", "5")
    assert result.returncode == 2 and "n_ctx" in result.stderr


def test_eval_against_an_endpoint_then_report(tmp_path, capsys):
    gold = ['<tool_call>{"name": "geometry_circle_area", "arguments": {"radius": 3.0}}</tool_call>',
            "I do not know."]
    engine = ScriptedEngine(gold, name="scripted")
    with live_server(create_app(engine, ServerOptions())) as url:
        code = main(["eval", "--url", url + "/v1", "--model", "scripted", "--bench", "bfcl_simple",
                     "--limit", "2", "--out", str(tmp_path / "runs"), "--data-dir", str(FIXTURES / "eval")])
    assert code == 0
    out = capsys.readouterr().out
    assert "bfcl_simple" in out and "50.0%" in out
    run = json.loads(next((tmp_path / "runs").glob("bfcl_simple__*.json")).read_text())
    assert [r["correct"] for r in run["records"]] == [True, False]
    report = tmp_path / "runs" / "report" / "report.md"
    assert report.is_file() and "bfcl_simple" in report.read_text()
    code = main(["eval", "report", str(next((tmp_path / "runs").glob("*.json"))), "--out", str(tmp_path / "rep")])
    assert code == 0 and (tmp_path / "rep" / "report.md").is_file()


def test_eval_needs_benchmarks_and_rejects_unknown_ones(tmp_path):
    assert "--bench" in run_cli("eval", "--url", "http://127.0.0.1:9/v1").stderr
    result = run_cli("eval", "--url", "http://127.0.0.1:9/v1", "--bench", "nope")
    assert result.returncode == 1 and "unknown benchmark 'nope'" in result.stderr


def test_data_check_reports_problems_with_line_numbers():
    bad = run_cli("data", "check", str(FIXTURES / "training" / "openai_bad.jsonl"))
    assert bad.returncode == 1 and "openai_bad.jsonl:2" in bad.stdout
    good = run_cli("data", "check", str(FIXTURES / "training" / "openai_good.jsonl"), "--json")
    assert good.returncode == 0 and json.loads(good.stdout)["examples"] > 0


def test_missing_data_file_is_a_clear_error():
    result = run_cli("data", "check", "/no/such/file.jsonl")
    assert result.returncode == 1 and "no/such/file.jsonl" in result.stderr


def test_train_and_export_report_bad_input_clearly(tmp_path):
    result = run_cli("train", str(tmp_path / "missing.yaml"))
    assert result.returncode == 1 and "missing.yaml" in result.stderr
    result = run_cli("export", str(tmp_path / "no-run"), "--to", "gguf")
    assert result.returncode == 1 and "no-run" in result.stderr
    assert "SOURCE" in run_cli("export", "--help").stdout
