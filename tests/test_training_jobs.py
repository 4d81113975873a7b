"""Training jobs that outlive the page: one `lingxi train` process at a time, its state on disk.

The job logic runs on a stand-in trainer (a small script taking the place of `python`), and one
test trains two real LoRA steps on the bundled model, stops and resumes."""
from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from training.config import TrainConfig
from training.jobs import JobBusyError, TrainingJobs

FAKE_TRAINER = """#!{python}
# Stands in for `python -m agent_app.cli train RECIPE`: logs steps, then finishes or fails.
import json, pathlib, sys, time, yaml
recipe = pathlib.Path(sys.argv[-1])
config = yaml.safe_load(recipe.read_text())
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
def test_two_real_lora_steps_on_the_bundled_model_run_as_a_job(tmp_path):
    """The real trainer as a job: 2 LoRA steps on a few conversations, an adapter at the end."""
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
    assert [record["step"] for record in jobs.progress(done) if "loss" in record] == [1, 2]
