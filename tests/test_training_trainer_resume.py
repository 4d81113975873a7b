"""Resuming: a run killed with SIGKILL resumes from its last checkpoint and ends exactly where an
uninterrupted run ends (weights, optimizer, scheduler, RNG and data position all restored)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from training.config import TrainConfig
from training.errors import TrainingError
from training.progress import read_metrics
from training.toy import byte_tokenizer, make_tiny_llama, write_toy_data
from training.trainer import main, train

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("toy")
    model = make_tiny_llama(folder / "model", byte_tokenizer(), hidden=32)
    data = write_toy_data(folder / "data.jsonl", count=16)
    return {"model": str(model), "data": str(data)}


def config(toy, tmp_path, **fields) -> TrainConfig:
    base = dict(name="toy", model=toy["model"], data=[toy["data"]], max_length=1024, batch_size=1,
                max_steps=4, save_steps=2, lr=1e-2, bf16=False, seed=0, output_dir=str(tmp_path / "run"))
    return TrainConfig(**{**base, **fields})


def test_resume_refuses_a_run_with_other_data_order(toy, tmp_path):
    train(config(toy, tmp_path, max_steps=2))
    with pytest.raises(TrainingError, match="different model, data or batching"):
        train(config(toy, tmp_path, max_steps=2, seed=1))
    assert train(config(toy, tmp_path, max_steps=2, seed=1), resume=False).steps == 2


_CHILD = textwrap.dedent("""
    import sys, time
    from training.config import load_config
    from training.trainer import train
    train(load_config(sys.argv[1]), progress=lambda p: time.sleep(0.4))
""")


def test_resume_after_sigkill_ends_where_an_uninterrupted_run_ends(toy, tmp_path):
    fields = dict(max_steps=6, save_steps=2, grad_accum=2, lora_dropout=0.1)
    reference = train(config(toy, tmp_path / "ref", **fields))

    run = tmp_path / "killed"
    recipe = tmp_path / "toy.yaml"
    recipe.write_text(json.dumps(config(toy, tmp_path / "killed", **fields).model_dump(mode="json")))
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(recipe)], cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while not (run / "run" / "checkpoints" / "step-000002").is_dir():
        assert child.poll() is None, "the training subprocess ended before it was killed"
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.1)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert not (run / "run" / "adapter").exists()

    resumed = train(config(toy, tmp_path / "killed", **fields))
    assert resumed.resumed_from in (2, 4) and resumed.steps == 6
    assert resumed.final_loss == pytest.approx(reference.final_loss, rel=1e-5)
    assert resumed.tokens == reference.tokens
    steps = [r["step"] for r in read_metrics(resumed.metrics_path) if "loss" in r]
    assert steps == list(range(1, 7))  # the steps after the checkpoint were redone, not duplicated


def test_module_entry_point(toy, tmp_path, capsys):
    recipe = tmp_path / "toy.yaml"
    recipe.write_text(json.dumps(config(toy, tmp_path, max_steps=1).model_dump(mode="json")))
    assert main([str(recipe)]) == 0
    assert json.loads(capsys.readouterr().out)["steps"] == 1
    assert main([str(tmp_path / "nope.yaml")]) == 1
