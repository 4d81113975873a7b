"""Training jobs that outlive the page: one `lingxi train` process at a time, its state on disk.

The job logic runs on a stand-in trainer (a small script taking the place of `python`), and one
test trains two real LoRA steps on the bundled model, stops and resumes."""
from __future__ import annotations

import json
import os
import stat
import sys
import time
import zipfile
from pathlib import Path

import pytest

from training.config import TrainConfig
from training.errors import TrainingError
from training.jobs import JobBusyError, TrainingJobs, run_steps

FAKE_TRAINER = """#!{python}
# Stands in for python: runs a job's real runner and zipfile, fakes `lingxi train` (logs steps, then
# finishes or fails as runs/<name>/behaviour says), `lingxi export` (writes the --out file or
# folder) and `lingxi quantize` (its gate's quantize.json: q8_0 and q4_k_m kept, q3_k_m refused).
import json, os, pathlib, sys, time
if sys.argv[1:3] in (["-m", "training.jobs"], ["-m", "zipfile"]):
    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
out_arg = pathlib.Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else None
if sys.argv[3] == "export" and "peft" in sys.argv:
    out_arg.mkdir(parents=True, exist_ok=True)
    (out_arg / "adapter_config.json").write_text("{{}}")
    sys.exit(0)
if sys.argv[3] == "export":
    out_arg.write_bytes(b"GGUF")
    sys.exit(0)
if sys.argv[3] == "quantize":
    out_arg.mkdir(parents=True, exist_ok=True)
    types = []
    for name, size, ready in (("q8_0", 145.0, True), ("q4_k_m", 105.0, True), ("q3_k_m", 90.0, False)):
        (out_arg / f"model-{{name}}.gguf").write_bytes(b"GGUF")
        types.append({{"type": name, "path": str(out_arg / f"model-{{name}}.gguf"), "size_mb": size, "ready": ready}})
    (out_arg / "quantize.json").write_text(json.dumps({{"types": types, "refused": ["q3_k_m"], "max_drop": 2.0}}))
    sys.exit(0)
import yaml
config = yaml.safe_load(pathlib.Path(sys.argv[-1]).read_text())
out = pathlib.Path(config["output_dir"])
behaviour = (out / "behaviour").read_text().strip() if (out / "behaviour").exists() else "finish"
for step in range(1, 4):
    with open(out / "metrics.jsonl", "a") as metrics:
        metrics.write(json.dumps({{"step": step, "loss": 2.0 / step, "tokens_per_s": 100.0}}) + "\\n")
    print(f"step {{step}}/3", flush=True)
    time.sleep(0.2 if behaviour != "hang" else 60)
if behaviour == "crash":
    print("RuntimeError: CUDA error: out of memory", flush=True)
    sys.exit(1)
if behaviour == "disk":
    print("OSError: [Errno 28] No space left on device", flush=True)
    sys.exit(1)
(out / "result.json").write_text(json.dumps({{"steps": 3, "final_loss": 0.6667, "adapter_path": str(out / "adapter")}}))
"""


@pytest.fixture
def fake_python(tmp_path) -> str:
    path = tmp_path / "fake-python"
    path.write_text(FAKE_TRAINER.format(python=sys.executable), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def config(name="mine", **fields) -> TrainConfig:
    return TrainConfig(name=name, model="bundled", method="lora", data=["liked.jsonl"], max_steps=3, **fields)


def wait_until_settled(jobs: TrainingJobs, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.current()
        if job.status != "running":
            return job
        time.sleep(0.1)
    raise AssertionError("the job did not end in time")


def test_a_job_runs_reports_progress_and_finishes(tmp_path, fake_python):
    jobs = TrainingJobs(tmp_path, python=fake_python)
    job = jobs.start(config())
    assert job.status == "running" and (job.folder / "job-config.yaml").is_file()
    done = wait_until_settled(jobs)
    assert done.status == "finished" and done.message == "3 steps, final loss 0.6667"
    assert done.adapter() == str(done.folder / "adapter.gguf")  # exported after training
    assert [record["step"] for record in jobs.progress(done)] == [1, 2, 3]
    assert "step 3/3" in done.log.read_text()


def test_only_one_job_at_a_time_and_a_restarted_app_still_sees_it(tmp_path, fake_python):
    jobs = TrainingJobs(tmp_path, python=fake_python)
    first = jobs.start(config("first"))
    (first.folder / "behaviour").write_text("hang")
    with pytest.raises(JobBusyError, match="already running: first"):
        jobs.start(config("second"))
    after_restart = TrainingJobs(tmp_path, python=fake_python)  # a new app process reads the same files
    assert after_restart.current().status == "running" and after_restart.current().pid == first.pid
    stopped = after_restart.stop()
    assert stopped.status == "stopped"
    with pytest.raises(ProcessLookupError):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            os.kill(first.pid, 0)
            time.sleep(0.1)
    assert jobs.start(config("second")).status == "running"  # free again


@pytest.mark.parametrize("behaviour, message", [
    ("crash", "ran out of memory"),
    ("disk", "the disk is full"),
])
def test_a_failed_job_says_why_in_plain_words(tmp_path, fake_python, behaviour, message):
    jobs = TrainingJobs(tmp_path, python=fake_python)
    folder = tmp_path / "runs" / "mine"
    folder.mkdir(parents=True)
    (folder / "behaviour").write_text(behaviour)
    jobs.start(config())
    failed = wait_until_settled(jobs)
    assert failed.status == "failed" and message in failed.message


def test_resume_starts_the_same_config_again(tmp_path, fake_python):
    jobs = TrainingJobs(tmp_path, python=fake_python)
    jobs.start(config())
    wait_until_settled(jobs)
    resumed = jobs.resume()
    assert resumed.name == "mine" and resumed.status == "running"
    assert wait_until_settled(jobs).status == "finished"


@pytest.mark.slow
def test_two_real_lora_steps_then_an_evaluation_run_as_jobs(tmp_path):
    """The real trainer as a job: 2 LoRA steps on a few conversations, an adapter at the end; then
    the real `lingxi eval` of base, default and the adapter on 2 validation items, as a job."""
    data = tmp_path / "liked.jsonl"
    example = {"messages": [{"role": "user", "content": "What is 6 times 7?"},
                            {"role": "assistant", "content": "6 times 7 is 42."}]}
    data.write_text("\n".join(json.dumps(example) for _ in range(8)) + "\n", encoding="utf-8")
    jobs = TrainingJobs(tmp_path)
    recipe = TrainConfig(name="real", model="bundled", method="lora", data=[str(data)], max_steps=2, batch_size=2,
                         max_length=128, save_steps=1, lora_r=4, lora_alpha=8)
    jobs.start(recipe)
    done = wait_until_settled(jobs, timeout=600)
    assert done.status == "finished", done.message
    assert done.result()["steps"] == 2 and Path(done.result()["adapter_path"]).is_dir()
    assert done.adapter() == str(done.folder / "adapter.gguf")  # exported for llama.cpp
    assert [record["step"] for record in jobs.progress(done) if "loss" in record] == [1, 2]

    evaluation = jobs.evaluate("lingxi_tools_val", limit=2)  # base, default and this adapter, 2 items each
    assert evaluation.kind == "evaluate" and evaluation.status == "running"
    with pytest.raises(JobBusyError):
        jobs.start(recipe)
    evaluated = wait_until_settled(jobs, timeout=600)
    assert evaluated.status == "finished", evaluated.message
    runs = sorted(path.name for path in evaluated.eval_dir.glob("lingxi_tools_val__*.json"))
    assert runs == ["lingxi_tools_val__base.json", "lingxi_tools_val__default.json", "lingxi_tools_val__real.json"]
    assert all(json.loads((evaluated.eval_dir / name).read_text())["n"] == 2 for name in runs)

    # an estimate of another run: the model and its data loaded as training would, 1 + 1 real steps
    estimate = jobs.estimate(recipe.model_copy(update={"name": "next", "tool_use": 1, "max_steps": 30}), steps=1)
    assert estimate.kind == "estimate"
    measured = wait_until_settled(jobs, timeout=600)
    assert measured.status == "finished", measured.message
    figures = measured.estimate()
    assert figures["total_steps"] == 30 and figures["measured_steps"] == 1
    assert figures["seconds_per_step"] > 0 and 0.1 < figures["peak_memory_gb"] < 20 and figures["memory_kind"] == "RAM"
    assert figures["total_s"] > figures["load_s"] + 29 * figures["seconds_per_step"] - 1e-6
    assert figures["sources"]["liked.jsonl"] == 8 and figures["sources"]["lingxi_tool_use:calculator"] == 1
    assert figures["tokens"] > 0 and figures["checkpoints"] == 30 and figures["checkpoint_s"] > 0
    assert not (measured.folder / "checkpoints").exists() and not measured.adapter()  # nothing trained, nothing kept
    assert not list(measured.folder.glob(".estimate-*"))



def test_the_steps_runner_stops_at_the_first_failure_and_marks_success(tmp_path):
    ok = tmp_path / "ok"
    ok.mkdir()
    (ok / "steps.json").write_text(json.dumps([[sys.executable, "-c", "print('one')"],
                                               [sys.executable, "-c", "print('two')"]]))
    assert run_steps(ok / "steps.json", ok / "done.json") == 0 and (ok / "done.json").is_file()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "steps.json").write_text(json.dumps([[sys.executable, "-c", "raise SystemExit(3)"],
                                                [sys.executable, "-c", "open('ran', 'w')"]]))
    assert run_steps(bad / "steps.json", bad / "done.json") == 3
    assert not (bad / "done.json").exists() and not (bad / "ran").exists()


def test_an_export_zips_the_peft_adapter_and_offers_the_smallest_type_that_passed(tmp_path, fake_python):
    jobs = TrainingJobs(tmp_path, python=fake_python)
    with pytest.raises(TrainingError, match="train one first"):
        jobs.export()
    jobs.start(config())
    trained = wait_until_settled(jobs)
    assert set(trained.downloads()) == {"gguf-lora"}  # adapter.gguf, right after training
    exporting = jobs.export(limit=10)
    assert exporting.kind == "export" and exporting.status == "running"
    done = wait_until_settled(jobs)
    assert done.status == "finished", done.message
    downloads = done.downloads()
    assert set(downloads) == {"gguf-lora", "peft", "gguf"}
    assert downloads["gguf"].name == "model-q4_k_m.gguf"  # the smaller of the two that kept their accuracy
    with zipfile.ZipFile(downloads["peft"]) as archive:
        assert "peft/adapter_config.json" in archive.namelist()
    assert done.gated_export()["refused"] == ["q3_k_m"]
    quantize = next(step for step in json.loads(done.steps_file.read_text()) if "quantize" in step)
    assert quantize[quantize.index("--to") + 1] == "q8_0,q4_k_m" and "--eval" in quantize and "10" in quantize


def test_evaluation_needs_a_trained_adapter(tmp_path, fake_python):
    jobs = TrainingJobs(tmp_path, python=fake_python)
    with pytest.raises(TrainingError, match="train one first"):
        jobs.evaluate("lingxi_tools_val")
