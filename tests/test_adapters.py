"""Shipped adapters: names, the default rule, the eval card that decides it, the float16 export."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import model.spec as spec
from eval.base import Record
from eval.card import write_adapter_card
from eval.runner import RunResult
from model.errors import ModelNotFoundError


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A shipped adapter folder with both forms, and a way to write its card."""
    folder = tmp_path / "adapters" / "lingxi-tools-135m"
    (folder / "peft").mkdir(parents=True)
    (folder / "peft" / "adapter_config.json").write_text("{}", encoding="utf-8")
    (folder / "adapter.gguf").write_bytes(b"GGUF")
    monkeypatch.setattr(spec, "SHIPPED_ADAPTERS_DIR", tmp_path / "adapters")

    def card(default: bool) -> None:
        (folder / "card.json").write_text(json.dumps({"default": default}), encoding="utf-8")

    return folder, card


def test_none_and_no_card_mean_no_adapter(shipped):
    assert spec.resolve_model("bundled", "none").adapter is None
    assert spec.resolve_model("bundled", "default").adapter is None  # no card.json yet


def test_default_follows_the_card(shipped):
    folder, card = shipped
    card(False)
    assert spec.resolve_model("bundled", "default").adapter is None
    card(True)
    source = spec.resolve_model("bundled", "default")
    assert source.adapter == str(folder / "adapter.gguf") and source.adapter_format == "gguf"
    assert source.name.endswith("+lingxi-tools")
    # only the bundled model has a default adapter
    assert spec.default_adapter("some/other-model") is None


def test_a_default_the_user_chose_comes_before_the_shipped_one(shipped, tmp_path):
    folder, card = shipped
    card(True)
    mine = tmp_path / "runs" / "mine" / "adapter.gguf"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"GGUF")
    spec.set_user_default_adapter(mine)
    source = spec.resolve_model("bundled", "default")
    assert source.adapter == str(mine.resolve()) and source.name.endswith("+mine")
    assert spec.resolve_model("bundled", "none").adapter is None
    assert spec.default_adapter("some/other-model") is None
    mine.unlink()  # a deleted run falls back to the shipped default
    assert spec.resolve_model("bundled", "default").adapter == str(folder / "adapter.gguf")
    mine.write_bytes(b"GGUF")
    spec.set_user_default_adapter(None)
    assert not spec.user_default_path().exists()
    assert spec.resolve_model("bundled", "default").adapter == str(folder / "adapter.gguf")


def test_a_shipped_name_picks_the_form_the_engine_needs(shipped):
    folder, _ = shipped
    assert spec.resolve_model("bundled", "lingxi-tools").adapter_format == "gguf"
    peft = spec.resolve_model("bundled", "lingxi-tools", prefer="peft")
    assert peft.adapter == str(folder / "peft") and peft.adapter_format == "peft"
    (folder / "adapter.gguf").unlink()
    with pytest.raises(ModelNotFoundError, match="no gguf form"):
        spec.resolve_model("bundled", "lingxi-tools")


def _run(model: str, bench: str, outcomes: dict[str, list[bool]]) -> RunResult:
    records = [Record(id=f"{kind}-{i}", category=kind, correct=ok,
                      scores={"tool_choice": float(ok), "args_correct": float(ok), "answer_correct": float(ok)})
               for kind, oks in outcomes.items() for i, ok in enumerate(oks)]
    return RunResult(model=model, bench=bench, config={}, records=records)


def test_the_card_makes_it_default_only_when_it_beats_the_base(tmp_path):
    base = [_run("base", "lingxi_tools", {"calculator": [False] * 4, "no_tool": [True] * 2}),
            _run("base", "bfcl_simple", {"simple": [False] * 3})]
    better = [_run("tuned", "lingxi_tools", {"calculator": [True, True, False, False], "no_tool": [True, True]}),
              _run("tuned", "bfcl_simple", {"simple": [True, False, False]})]
    card = write_adapter_card(base, better, tmp_path / "good", "lingxi-tools")
    assert card["default"] is True
    assert card["gate"]["base"] == pytest.approx(2 / 6) and card["gate"]["tuned"] == pytest.approx(4 / 6)
    assert card["per_kind"]["calculator"] == {"n": 4, "base": 0.0, "tuned": 0.5}
    # item by item: 2 items only the tuned model gets, none only the base; P(2-0 or 0-2 | fair) = 0.5
    assert card["gate"]["paired"] == {"items": 6, "tuned_only": 2, "base_only": 0, "p_value": pytest.approx(0.5)}
    saved = json.loads((tmp_path / "good" / "card.json").read_text(encoding="utf-8"))
    assert saved["default"] is True
    readme = (tmp_path / "good" / "README.md").read_text(encoding="utf-8")
    assert "Default: yes" in readme and "bfcl_simple" in readme
    assert (tmp_path / "good" / "eval" / "report.md").is_file()
    # a margin it does not clear keeps the base
    assert write_adapter_card(base, better, tmp_path / "margin", "lingxi-tools", margin=40)["default"] is False
    worse = [_run("tuned", "lingxi_tools", {"calculator": [True, False, False, False], "no_tool": [False, False]})]
    card = write_adapter_card(base, worse, tmp_path / "bad", "lingxi-tools")
    assert card["default"] is False
    assert "Default: no" in (tmp_path / "bad" / "README.md").read_text(encoding="utf-8")


def test_paired_sign_test():
    from eval.card import paired

    base = _run("b", "lingxi_tools", {"k": [True] * 9 + [False] * 87})
    tuned = _run("t", "lingxi_tools", {"k": [False] * 9 + [True] * 16 + [False] * 71})
    result = paired(base, tuned)
    assert (result["tuned_only"], result["base_only"], result["items"]) == (16, 9, 96)
    assert result["p_value"] == pytest.approx(0.2295, abs=1e-3)  # 2 * P(X >= 16), X ~ Binomial(25, 1/2)
    assert paired(base, base)["p_value"] == 1.0


def test_the_card_needs_the_gate_benchmark(tmp_path):
    with pytest.raises(ValueError, match="lingxi_tools"):
        write_adapter_card([_run("b", "bfcl_simple", {"s": [True]})], [_run("t", "bfcl_simple", {"s": [True]})],
                           tmp_path, "x")


def test_eval_card_command(tmp_path):
    from agent_app.cli import main

    base = _run("base", "lingxi_tools", {"calculator": [False, False]}).save(tmp_path / "b.json")
    tuned = _run("tuned", "lingxi_tools", {"calculator": [True, False]}).save(tmp_path / "t.json")
    assert main(["eval", "card", str(tmp_path / "card"), "--base", str(base), "--tuned", str(tuned)]) == 0
    assert json.loads((tmp_path / "card" / "card.json").read_text(encoding="utf-8"))["default"] is True


def test_the_card_reports_public_sources_never_trained_on(tmp_path):
    base = [_run("base", "lingxi_tools", {"calculator": [False, True]}),
            _run("base", "api_bank", {"level-1": [False] * 5 + [True] * 3}),
            _run("base", "seal_tools", {"s": [True, True]})]
    tuned = [_run("tuned", "lingxi_tools", {"calculator": [True, True]}),
             _run("tuned", "api_bank", {"level-1": [True] * 4 + [False] * 4}),
             _run("tuned", "seal_tools", {"s": [True, False]})]
    card = write_adapter_card(base, tuned, tmp_path / "card", "x", held_out={"api_bank": "api_bank"})
    entry = card["held_out"]["api_bank"]
    assert (entry["n"], entry["base"], entry["tuned"]) == (8, 3 / 8, 4 / 8)
    assert (entry["paired"]["tuned_only"], entry["paired"]["base_only"]) == (4, 3)
    assert "seal_tools" not in card["held_out"]  # trained on: no generalization claim
    readme = (tmp_path / "card" / "README.md").read_text(encoding="utf-8")
    assert "never trained on" in readme and "| api_bank | api_bank | 8 | 37.5% | 50.0% | 4 / 3 |" in readme
    assert write_adapter_card(base, tuned, tmp_path / "plain", "x")["held_out"] == {}
    assert "never trained on" not in (tmp_path / "plain" / "README.md").read_text(encoding="utf-8")


def test_eval_card_reads_the_held_out_sources_from_the_training_run(tmp_path):
    from agent_app.cli import _held_out_sources

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("public_sets: default\npublic_held_out: [api_bank]\n", encoding="utf-8")
    assert _held_out_sources(str(run)) == {"api_bank": "api_bank"}
    (run / "config.yaml").write_text("public_sets: null\n", encoding="utf-8")  # no public data: all unseen
    assert _held_out_sources(str(run)) == {"seal_tools": "seal_tools", "api_bank": "api_bank"}
    (run / "config.yaml").write_text("public_sets: default\n", encoding="utf-8")  # before the field: all seen
    assert _held_out_sources(str(run)) == {}


def test_export_peft_halves_the_weights(tmp_path):
    import torch
    from safetensors.torch import load_file, save_file

    from training.export import export_peft

    adapter = tmp_path / "run" / "adapter"
    adapter.mkdir(parents=True)
    weights = {"base_model.model.layers.0.q_proj.lora_A.weight": torch.randn(8, 64)}
    save_file(weights, str(adapter / "adapter_model.safetensors"))
    (adapter / "adapter_config.json").write_text('{"r": 8}', encoding="utf-8")
    out = export_peft(tmp_path / "run", tmp_path / "shipped")
    loaded = load_file(str(out / "adapter_model.safetensors"))
    name = "base_model.model.layers.0.q_proj.lora_A.weight"
    assert loaded[name].dtype == torch.float16
    assert torch.allclose(loaded[name].float(), weights[name], atol=1e-2)
    assert (out / "adapter_config.json").read_text(encoding="utf-8") == '{"r": 8}'
