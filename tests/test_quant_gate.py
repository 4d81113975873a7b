"""The accuracy gate of `lingxi quantize`, on scripted models: a drop over --max-drop refuses
the type with exit 1 and a message naming type, benchmark, both accuracies and the drop; a drop
within it is ready; quantize.json and the report say the same. Options are checked before work."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent_app.cli import main
from eval import get_benchmark, run_benchmark
from eval.base import UnknownBenchmarkError
from eval.quant_gate import QuantGateError, Variant, judge, refusal_message, run_gate
from eval.quant_report import markdown_table, write_quant_report
from model.quantize import QuantizeError
from model.scripted import ScriptedEngine

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
RIGHT = '<tool_call>{"name": "geometry_circle_area", "arguments": {"radius": 3.0}}</tool_call>'
WRONG = "I cannot call functions."


def bench():
    return get_benchmark("bfcl_simple", data_dir=FIXTURES)


def scripted_run(tmp_path, name, replies):
    return run_benchmark(ScriptedEngine(replies, name=name), bench(), limit=3, out_dir=tmp_path)


def test_a_drop_over_max_drop_refuses_and_names_everything(tmp_path):
    source = scripted_run(tmp_path, "src", [RIGHT, RIGHT, RIGHT])  # fixture items: 1 of 3 matches RIGHT
    worse = scripted_run(tmp_path, "q4", [WRONG, WRONG, WRONG])
    assert source.accuracy == pytest.approx(1 / 3) and worse.accuracy == 0
    verdict = judge(Variant("q4_0", tmp_path / "q4.gguf"), {"bfcl_simple": source}, {"bfcl_simple": worse}, 5.0)
    assert verdict.ready is False and [d.bench for d in verdict.refused] == ["bfcl_simple"]
    assert verdict.drops[0].drop == pytest.approx(33.333333, abs=1e-4)
    message = refusal_message(verdict)
    assert "q4_0" in message and "bfcl_simple" in message and "33.3% -> 0.0%" in message
    assert "33.3 points > --max-drop 5" in message and "one item is 33.3 points" in message


def test_within_max_drop_or_a_gain_is_ready(tmp_path):
    source = scripted_run(tmp_path, "src", [WRONG] * 3)
    same = scripted_run(tmp_path, "q8", [RIGHT] * 3)
    verdict = judge(Variant("q8_0", tmp_path / "q8.gguf"), {"bfcl_simple": source}, {"bfcl_simple": same}, 0.0)
    assert verdict.ready is True and verdict.drops[0].drop < 0 and refusal_message(verdict) == ""
    unchecked = judge(Variant("q8_0", tmp_path / "q8.gguf"), {}, {}, 0.0)
    assert unchecked.ready is None


def test_runs_on_different_items_are_not_compared(tmp_path):
    source = run_benchmark(ScriptedEngine(default=RIGHT, name="src"), bench(), limit=2, out_dir=tmp_path)
    other = run_benchmark(ScriptedEngine(default=RIGHT, name="q"), bench(), limit=3, out_dir=tmp_path)
    with pytest.raises(QuantGateError):
        judge(Variant("q4_0", tmp_path / "x"), {"bfcl_simple": source}, {"bfcl_simple": other}, 1.0)


def fake_models(tmp_path, monkeypatch, replies_by_label):
    """Model files (a few bytes each) and a load_engine that answers by the file's label."""
    import eval.quant_gate as gate

    paths = {}
    for label in replies_by_label:
        paths[label] = tmp_path / f"m-{label}.gguf"
        paths[label].write_bytes(label.encode())
    calls = []

    def load_engine(path, config=None):
        label = Path(path).stem.removeprefix("m-")
        calls.append(label)
        return ScriptedEngine(default=replies_by_label[label], name=label)

    monkeypatch.setattr(gate, "load_engine", load_engine)
    return paths, calls


def test_run_gate_writes_quantize_json_and_the_report(tmp_path, monkeypatch):
    paths, calls = fake_models(tmp_path, monkeypatch, {"f16": RIGHT, "q8_0": RIGHT, "q4_0": WRONG})
    source = Variant("f16", paths["f16"], perf={"load_s": 0.1, "decode_tps": 50.0, "peak_mb": 300.0, "ppl": 20.0})
    variants = [Variant("q8_0", paths["q8_0"]), Variant("q4_0", paths["q4_0"], imatrix=True)]
    out = tmp_path / "out"
    summary = run_gate("tiny", source, variants, [bench()], 3, 10.0, out, "auto")
    data = json.loads((out / "quantize.json").read_text())
    assert data["ready"] == ["q8_0"] and data["refused"] == ["q4_0"]
    q4 = data["types"][1]
    assert q4["type"] == "q4_0" and q4["ready"] is False and q4["imatrix"] is True
    assert q4["drop"]["bfcl_simple"] == pytest.approx(33.333333, abs=1e-4) and q4["n"]["bfcl_simple"] == 3
    assert "1 item = 33.3 points" in data["noise"]
    assert [v.variant.label for v in summary.refused] == ["q4_0"]

    again = run_gate("tiny", source, variants, [bench()], 3, 10.0, out, "auto")  # cached: no new predictions
    assert all(run.new_predictions == 0 for v in again.verdicts for run in v.runs.values())

    report = write_quant_report(out)
    text = report.read_text()
    assert (out / "quant.png").stat().st_size > 1000
    rows = {line.split("|")[1].strip(): line for line in markdown_table(data)[2:]}
    assert "**refused**" in rows["q4_0"] and "0.0 (-33.3)" in rows["q4_0"] and "ready" in rows["q8_0"]
    assert "| 50 |" in rows["f16"] and "20.00" in rows["f16"] and "source" in rows["f16"]
    assert "drops by more than 10 points" in text


def test_cli_exits_1_naming_the_refused_type(tmp_path, monkeypatch, capsys):
    import eval.quant_flow as flow
    import model.quantize as quantize
    import training.quant_source as quant_source

    paths, _ = fake_models(tmp_path, monkeypatch, {"f16": RIGHT, "q8_0": RIGHT, "q4_0": WRONG})
    monkeypatch.setattr(quant_source, "source_name", lambda spec, adapter=None: "tiny")
    monkeypatch.setattr(quant_source, "gguf_source",
                        lambda spec, adapter, work: quant_source.QuantSource("tiny", paths["f16"]))
    monkeypatch.setattr(quantize, "gguf_file_type", lambda path: "f16")
    monkeypatch.setattr(flow, "quantize_all", lambda plan, name, source, out: [
        Variant(t.name, paths[t.name]) for t in plan.types])
    args = ["quantize", "bundled", "--to", "q8_0,q4_0", "--eval", "bfcl_simple", "--limit", "3",
            "--max-drop", "5", "--no-measure", "--imatrix", "off", "--out", str(tmp_path / "out"),
            "--data-dir", str(FIXTURES)]
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert "q4_0 NOT ready" in captured.err and "33.3% -> 0.0%" in captured.err
    assert "q8_0" in captured.out and "ready" in captured.out and "report:" in captured.out
    assert main([*args[:3], "q8_0", *args[4:]]) == 0  # the good type alone passes


@pytest.mark.parametrize("args, error", [
    (["--to", "q4_k_m,q7_x"], QuantizeError),
    (["--to", "q8_0", "--eval", "bfcl_simple,not_a_bench"], UnknownBenchmarkError),
    (["--to", "q8_0", "--imatrix", "/nonexistent/imatrix.gguf"], QuantizeError),
    (["--to", "awq,q8_0"], QuantizeError),
])
def test_bad_options_are_refused_before_any_work(args, error, tmp_path, monkeypatch, capsys):
    import training.quant_source as quant_source
    from eval.quant_flow import prepare
    from model.quantize import QuantizeOptions

    def no_work(*a, **k):
        raise AssertionError("work started before the options were checked")

    monkeypatch.setattr(quant_source, "gguf_source", no_work)
    monkeypatch.setattr(quant_source, "source_name", no_work)
    options = dict(zip([a.removeprefix("--").replace("-", "_") for a in args[::2]], args[1::2]))
    with pytest.raises(error):
        prepare(QuantizeOptions(data_dir=str(FIXTURES), **options))
    assert main(["quantize", "bundled", *args, "--data-dir", str(FIXTURES)]) == 1
    assert "lingxi:" in capsys.readouterr().err


def _summary_with(types: list[dict]) -> dict:
    return {"model": "m", "benches": ["lingxi_tools_val"], "limit": 160, "max_drop": 2.0,
            "source": {"accuracy": {"lingxi_tools_val": 0.156}}, "types": types}


def _type(name: str, ready, decode=None, imatrix=False) -> dict:
    return {"type": name, "accuracy": {"lingxi_tools_val": 0.15}, "ready": ready, "imatrix": imatrix,
            "perf": {"decode_tps": decode} if decode else None}


def test_the_card_records_the_fastest_type_that_passed_without_an_importance_matrix(tmp_path):
    import json

    from eval.quant_gate import record_merged_type

    card = tmp_path / "card.json"
    card.write_text(json.dumps({"name": "lingxi-tools", "default": True}))
    summary = _summary_with([_type("q8_0", True, 45.0), _type("q6_k", True, 47.0),
                             _type("q4_0", False, 64.0), _type("q5_0", True, 50.0, imatrix=True)])
    assert record_merged_type(card, summary) == "q6_k"
    written = json.loads(card.read_text())
    assert written["merged_type"] == "q6_k" and written["default"] is True  # the rest of the card is kept
    assert written["merged_gate"]["types"]["q4_0"]["ready"] is False


def test_no_type_that_passed_means_nothing_is_recorded(tmp_path):
    import json

    from eval.quant_gate import QuantGateError, record_merged_type

    card = tmp_path / "card.json"
    card.write_text(json.dumps({"name": "lingxi-tools"}))
    for types in ([_type("q4_0", False, 64.0)], [_type("q8_0", None)], [_type("q5_0", True, 50.0, imatrix=True)]):
        with pytest.raises(QuantGateError, match="nothing recorded"):
            record_merged_type(card, _summary_with(types))
    assert "merged_type" not in json.loads(card.read_text())
