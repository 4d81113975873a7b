"""Training jobs that outlive the page that started them: one `lingxi train` process at a time.

    jobs = TrainingJobs(lingxi_home())
    job = jobs.start(config)          # `lingxi train` on runs/<name>/job-config.yaml, then `lingxi export`
                                      # of the LoRA as runs/<name>/adapter.gguf
    jobs.current()                    # the job, its status refreshed from its process and files
    jobs.progress(job)                # the metrics the trainer logged (step, loss, tokens/s...)
    jobs.stop(); jobs.resume()        # training resumes from the last checkpoint
    jobs.evaluate("lingxi_tools_val") # `lingxi eval` of the base, the default and the new adapter
    jobs.estimate(config)             # `lingxi train --estimate`: time and memory from a few real steps

A job is a list of commands run in turn by this module's runner (``python -m training.jobs``), a
process in a session of its own, so closing the browser tab or restarting the app leaves it
running; what the app knows of it is ``$LINGXI_HOME/runs/job.json`` plus the run folder its
commands write (metrics.jsonl, checkpoints, result.json, adapter.gguf, eval/, train.log).
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from training.config import TrainConfig, config_to_yaml
from training.errors import TrainingError
from training.estimate import ESTIMATE_FILE, read_estimate
from training.progress import read_metrics

logger = logging.getLogger(__name__)

JOB_FILE = "job.json"
ADAPTER_GGUF = "adapter.gguf"
"""The run's LoRA as a GGUF file (exported after training): what llama.cpp serves and evaluates."""
EVAL_MODELS = ("base", "default")
"""What an evaluate job compares the run's adapter with: the bundled model without an adapter, and
the adapter the app serves by default."""
EXPORT_DIR = "export"
PEFT_ZIP = "peft.zip"
GATE_TYPES = ("q8_0", "q4_k_m")
"""The GGUF types an export tries behind the accuracy gate, largest first."""
ESTIMATE_STEPS = 3
"""Optimizer steps an estimate times (after its warm-up step)."""
CONFIG_FILE = "job-config.yaml"
LOG_FILE = "train.log"
_LOG_TAIL_LINES = 4
_EXEC_GRACE_S = 5.0


class JobBusyError(TrainingError):
    """A training job is already running: only one at a time."""


@dataclass
class TrainingJob:
    """One training run started by the app, as recorded on disk."""

    name: str
    run_dir: str
    pid: int
    started: float
    status: str = "running"  # running | finished | failed | stopped
    message: str = ""
    """Why it failed (the end of its log), or what it finished with."""
    ended: float | None = None
    kind: str = "train"
    """train (`lingxi train`), estimate (`lingxi train --estimate`: time and memory from a few steps) or
    evaluate (`lingxi eval` of the base, the default and the run's adapter)."""
    bench: str | None = None
    """The benchmark of an evaluate job."""

    @property
    def folder(self) -> Path:
        return Path(self.run_dir)

    @property
    def log(self) -> Path:
        return self.folder / LOG_FILE

    @property
    def eval_dir(self) -> Path:
        """Where an evaluate job writes its runs (`<bench>__<model>.json`)."""
        return self.folder / "eval"

    @property
    def steps_file(self) -> Path:
        return self.folder / f"{self.kind}-steps.json"

    @property
    def done_file(self) -> Path:
        """What the job's runner writes when every step succeeded."""
        return self.folder / f"{self.kind}-done.json"

    def adapter(self) -> str | None:
        """The trained adapter to serve: the GGUF LoRA when it was exported (llama.cpp), else the
        peft folder (transformers); None before training finished."""
        if (self.folder / ADAPTER_GGUF).is_file():
            return str(self.folder / ADAPTER_GGUF)
        return (self.result() or {}).get("adapter_path")

    def estimate(self) -> dict[str, Any] | None:
        """The run's estimate.json (time, memory, data mix) once an estimate job measured it."""
        return read_estimate(self.folder)

    def downloads(self) -> dict[str, Path]:
        """What the run offers for download, by kind: `gguf-lora` (adapter.gguf), `peft` (the
        zipped float16 adapter) and `gguf` (merged into its base, at the smallest type that passed
        the export's accuracy gate), those that exist."""
        found = {"gguf-lora": self.folder / ADAPTER_GGUF, "peft": self.folder / EXPORT_DIR / PEFT_ZIP}
        found = {kind: path for kind, path in found.items() if path.is_file()}
        gated = self.gated_export()
        if gated.get("path"):
            found["gguf"] = Path(gated["path"])
        return found

    def gated_export(self) -> dict[str, Any]:
        """The export's gate: {type, path, size_mb} of the smallest type that passed, plus
        `refused` (types that lost too much accuracy); {} before an export ran."""
        path = self.folder / EXPORT_DIR / "quant" / "quantize.json"
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {}
        ready = [entry for entry in summary.get("types", []) if entry.get("ready")]
        best = min(ready, key=lambda entry: entry.get("size_mb", 0), default=None)
        gated = {"refused": summary.get("refused", []), "max_drop": summary.get("max_drop")}
        if best is not None and Path(best["path"]).is_file():
            gated.update(type=best["type"], path=best["path"], size_mb=best.get("size_mb"))
        return gated

    def result(self) -> dict[str, Any] | None:
        """The trainer's result.json (steps, final loss, adapter path...) once it finished."""
        path = self.folder / "result.json"
        try:
            return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        except (OSError, json.JSONDecodeError):
            return None


class TrainingJobs:
    """The app's training jobs under ``home/runs``: start, watch, stop, resume; one at a time."""

    def __init__(self, home: Path, python: str = sys.executable) -> None:
        self.runs = Path(home) / "runs"
        self.python = python
        self._home = Path(home)
        self._children: dict[int, subprocess.Popen] = {}
        """The processes this instance launched: polled (and reaped) directly; a job found on disk
        after a restart is checked through /proc instead."""

    @property
    def job_file(self) -> Path:
        return self.runs / JOB_FILE

    def current(self) -> TrainingJob | None:
        """The last job started from here, its status brought up to date (None: never one)."""
        try:
            job = TrainingJob(**json.loads(self.job_file.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError, TypeError):
            return None
        if job.status == "running" and not self._running(job):
            self._settle(job)
        return job

    def start(self, config: TrainConfig) -> TrainingJob:
        """Launch `lingxi train` on ``config`` in its run folder. Raises JobBusyError while another
        job runs; a run folder with checkpoints is resumed, not overwritten."""
        self._refuse_if_busy()
        folder, recipe = self._write_recipe(config)
        for stale in ("result.json", ADAPTER_GGUF):  # a resumed run finishes anew
            (folder / stale).unlink(missing_ok=True)
        steps = [self._lingxi("train", str(recipe))]
        if config.uses_lora:  # llama.cpp serves (and evaluates) a GGUF LoRA, not a peft folder
            steps.append(self._lingxi("export", str(folder), "--to", "lora-gguf", "--outtype", "f16",
                                      "--out", str(folder / ADAPTER_GGUF)))
        job = self._run(TrainingJob(name=config.run_name, run_dir=str(folder), pid=0, started=time.time()), steps)
        logger.info("training job %s started (pid %d) in %s", job.name, job.pid, folder)
        return job

    def estimate(self, config: TrainConfig, steps: int = ESTIMATE_STEPS) -> TrainingJob:
        """Measure what ``config`` would cost here (`lingxi train --estimate`: the model and data
        loaded as training would, a few real steps timed) as a job of its own; its figures and the
        data mix land in the run folder's estimate.json (training.estimate)."""
        self._refuse_if_busy()
        folder, recipe = self._write_recipe(config)
        (folder / ESTIMATE_FILE).unlink(missing_ok=True)
        job = self._run(TrainingJob(name=config.run_name, run_dir=str(folder), pid=0, started=time.time(),
                                    kind="estimate"),
                        [self._lingxi("train", str(recipe), "--estimate", str(steps))])
        logger.info("estimate job for %s started (pid %d)", job.name, job.pid)
        return job

    def _refuse_if_busy(self) -> None:
        running = self.current()
        if running is not None and running.status == "running":
            raise JobBusyError(f"a job is already running: {running.name} (started "
                               f"{time.strftime('%H:%M', time.localtime(running.started))}); wait for it or stop it")

    def _write_recipe(self, config: TrainConfig) -> tuple[Path, Path]:
        folder = config.out_dir if config.output_dir else self.runs / config.run_name
        folder.mkdir(parents=True, exist_ok=True)
        recipe = folder / CONFIG_FILE
        recipe.write_text(config_to_yaml(config.model_copy(update={"output_dir": str(folder)})), encoding="utf-8")
        return folder, recipe

    def evaluate(self, bench: str, limit: int | None = None) -> TrainingJob:
        """Evaluate the last finished run's adapter against the base and the default on ``bench``
        (first ``limit`` items), as a background job of its own: three `lingxi eval` runs."""
        self._refuse_if_busy()
        job = self.current()
        adapter = job.adapter() if job else None
        if job is None or not adapter:
            raise TrainingError("no trained adapter to evaluate: train one first")
        out = job.eval_dir
        out.mkdir(parents=True, exist_ok=True)
        limit_args = ["--limit", str(limit)] if limit else []
        steps = [self._lingxi("eval", "--model", "bundled", "--adapter", spec, "--name", name, "--bench", bench,
                              "--out", str(out), *limit_args)
                 for name, spec in (("base", "none"), ("default", "default"), (job.name, adapter))]
        evaluation = self._run(TrainingJob(name=job.name, run_dir=job.run_dir, pid=0, started=time.time(),
                                           kind="evaluate", bench=bench), steps)
        logger.info("evaluate job for %s on %s started (pid %d)", job.name, bench, evaluation.pid)
        return evaluation

    def export(self, bench: str = "lingxi_tools_val", limit: int | None = 40,
               types: tuple[str, ...] = GATE_TYPES) -> TrainingJob:
        """Package the last finished run for download, as a job of its own: the peft adapter
        (float16) zipped, and the model merged and quantized to each of ``types`` behind the
        accuracy gate (`lingxi quantize --eval bench`): `downloads()` then offers the smallest type
        whose accuracy held. The GGUF LoRA (adapter.gguf) is already there after training."""
        self._refuse_if_busy()
        job = self.current()
        if job is None or not job.adapter():
            raise TrainingError("no trained run to export: train one first")
        out = job.folder / EXPORT_DIR
        out.mkdir(parents=True, exist_ok=True)
        (out / "quant" / "quantize.json").unlink(missing_ok=True)
        steps = []
        if job.result() and job.result().get("adapter_path"):
            steps += [self._lingxi("export", job.run_dir, "--to", "peft", "--out", str(out / "peft")),
                      [self.python, "-m", "zipfile", "-c", str(out / PEFT_ZIP), str(out / "peft")]]
        limit_args = ["--limit", str(limit)] if limit else []
        steps.append(self._lingxi("quantize", job.run_dir, "--to", ",".join(types), "--eval", bench, *limit_args,
                                  "--no-measure", "--out", str(out / "quant")))
        exported = self._run(TrainingJob(name=job.name, run_dir=job.run_dir, pid=0, started=time.time(),
                                         kind="export", bench=bench), steps)
        logger.info("export job for %s started (pid %d)", job.name, exported.pid)
        return exported

    def stop(self) -> TrainingJob | None:
        """Stop the running job (its process group gets SIGTERM, then SIGKILL after 10 s); the
        checkpoints it saved stay, and `resume` continues from the last one."""
        job = self.current()
        if job is None or job.status != "running":
            return job
        _terminate(job.pid)
        job.status, job.ended, job.message = "stopped", time.time(), "stopped by the user"
        self._save(job)
        return job

    def resume(self) -> TrainingJob:
        """Start the last job again on its own config: training continues from its last checkpoint."""
        from training.config import load_config

        job = self.current()
        if job is None or job.kind != "train":
            raise TrainingError("no training job to resume")
        return self.start(load_config(job.folder / CONFIG_FILE))

    def progress(self, job: TrainingJob) -> list[dict[str, Any]]:
        """The trainer's logged steps so far (``step``, ``loss``, ``tokens_per_s``, ``eta_s``...)."""
        return read_metrics(job.folder / "metrics.jsonl")

    def _running(self, job: TrainingJob) -> bool:
        child = self._children.get(job.pid)
        if child is not None:
            return child.poll() is None
        return _alive(job.pid, job.folder, young=time.time() - job.started < _EXEC_GRACE_S)

    def _lingxi(self, *args: str) -> list[str]:
        return [self.python, "-m", "agent_app.cli", *args]

    def _run(self, job: TrainingJob, steps: list[list[str]]) -> TrainingJob:
        """Write the job's steps, launch their runner (`python -m training.jobs`), record the job."""
        job.done_file.unlink(missing_ok=True)
        job.steps_file.write_text(json.dumps(steps), encoding="utf-8")
        env = {**os.environ, "LINGXI_HOME": str(self._home), "PYTHONUNBUFFERED": "1"}
        with open(job.log, "ab") as log:
            process = subprocess.Popen([self.python, "-m", "training.jobs", str(job.steps_file), str(job.done_file)],
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                                       cwd=_project_root(), start_new_session=True)  # survives the app; stopped as a group
        self._children[process.pid] = process
        job.pid = process.pid
        self._save(job)
        return job

    def _settle(self, job: TrainingJob) -> None:
        """The process is gone: finished (result.json written) or failed (the log says why)."""
        job.ended = time.time()
        if not job.done_file.is_file():
            job.status, job.message = "failed", _failure(job.log)
        elif job.kind == "train":
            result = job.result() or {}
            loss = result.get("final_loss")
            job.status = "finished"
            job.message = f"{result.get('steps')} steps" + (f", final loss {loss:.4f}" if loss is not None else "")
        elif job.kind == "estimate":
            job.status, job.message = "finished", ""
        elif job.kind == "export":
            job.status, job.message = "finished", ""
        else:
            job.status, job.message = "finished", f"evaluated on {job.bench}"
        self._save(job)

    def _save(self, job: TrainingJob) -> None:
        self.runs.mkdir(parents=True, exist_ok=True)
        temporary = self.job_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(job), indent=2), encoding="utf-8")
        os.replace(temporary, self.job_file)


def run_steps(steps: Path, done: Path) -> int:
    """Run each command of the JSON list in ``steps`` in turn (their output is this process's);
    stop at the first that fails. When all succeed, write ``done``. Returns the exit status."""
    for command in json.loads(steps.read_text(encoding="utf-8")):
        print(f"$ {' '.join(command)}", flush=True)
        code = subprocess.call(command, stdin=subprocess.DEVNULL)
        if code != 0:
            if code < 0 or code == 137:  # a signal: the kernel's out-of-memory killer, or a stop
                print(f"{' '.join(command[3:5])} was killed (signal {-code if code < 0 else 9})", flush=True)
            return code
    done.write_text(json.dumps({"finished": time.time()}), encoding="utf-8")
    return 0



def _project_root() -> str:
    return str(Path(__file__).resolve().parents[1])


def _alive(pid: int, folder: Path, young: bool = False) -> bool:
    """Whether ``pid`` is still our job's runner (not a later process that reused the number). A
    ``young`` job may not have exec'd yet (its command line is still its parent's): alive if it exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process now
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return True  # no /proc (macOS): trust the pid
    if _is_zombie(pid):
        return False
    return young or ("training.jobs" in cmdline and str(folder) in cmdline)


def _is_zombie(pid: int) -> bool:
    """A child that exited but was not reaped yet (the app started it) counts as gone; reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    if state == "Z":
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return True
    return False


def _terminate(pid: int, grace: float = 10.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if _is_zombie(pid):
            return
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _failure(log: Path) -> str:
    """Why a job ended without a result: the last lines of its log, with a plain word for the
    usual causes (killed for memory, a full disk)."""
    try:
        lines = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    except OSError:
        lines = []
    said = [line for line in lines if line.startswith("lingxi: ")]  # the CLI's own one-line reason
    tail = said[-1] if said else " | ".join(lines[-_LOG_TAIL_LINES:])[-800:]
    text = tail.lower()
    if "no space left" in text:
        return f"the disk is full: {tail}"
    if "out of memory" in text or "cannot allocate memory" in text or "was killed" in text or not lines:
        return f"the process ran out of memory or was killed{': ' + tail if tail else ''}"
    return f"the training process ended without finishing: {tail}"


if __name__ == "__main__":  # a job's runner: python -m training.jobs STEPS.json DONE.json
    raise SystemExit(run_steps(Path(sys.argv[1]), Path(sys.argv[2])))
