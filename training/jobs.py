"""Training jobs that outlive the page that started them: one `lingxi train` process at a time.

    jobs = TrainingJobs(lingxi_home())
    job = jobs.start(config)          # writes runs/<name>/job-config.yaml, launches `lingxi train` on it
    jobs.current()                    # the job, its status refreshed from its process and files
    jobs.progress(job)                # the metrics the trainer logged (step, loss, tokens/s...)
    jobs.stop(); jobs.resume()        # training resumes from the last checkpoint

The job is a separate process in a session of its own, so closing the browser tab or restarting
the app leaves it running; what the app knows of it is ``$LINGXI_HOME/runs/job.json`` plus the
run folder the trainer writes (metrics.jsonl, checkpoints, result.json, train.log).
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
from training.progress import read_metrics

logger = logging.getLogger(__name__)

JOB_FILE = "job.json"
CONFIG_FILE = "job-config.yaml"
LOG_FILE = "train.log"
_LOG_TAIL_LINES = 4


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

    @property
    def folder(self) -> Path:
        return Path(self.run_dir)

    @property
    def log(self) -> Path:
        return self.folder / LOG_FILE

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
        running = self.current()
        if running is not None and running.status == "running":
            raise JobBusyError(f"a training job is already running: {running.name} (started "
                               f"{time.strftime('%H:%M', time.localtime(running.started))}); stop it first")
        folder = config.out_dir if config.output_dir else self.runs / config.run_name
        folder.mkdir(parents=True, exist_ok=True)
        recipe = folder / CONFIG_FILE
        recipe.write_text(config_to_yaml(config.model_copy(update={"output_dir": str(folder)})), encoding="utf-8")
        (folder / "result.json").unlink(missing_ok=True)  # a resumed run finishes anew
        job = TrainingJob(name=config.run_name, run_dir=str(folder), pid=self._launch(recipe, folder),
                          started=time.time())
        self._save(job)
        logger.info("training job %s started (pid %d) in %s", job.name, job.pid, folder)
        return job

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
        if job is None:
            raise TrainingError("no training job to resume")
        return self.start(load_config(job.folder / CONFIG_FILE))

    def progress(self, job: TrainingJob) -> list[dict[str, Any]]:
        """The trainer's logged steps so far (``step``, ``loss``, ``tokens_per_s``, ``eta_s``...)."""
        return read_metrics(job.folder / "metrics.jsonl")

    def _running(self, job: TrainingJob) -> bool:
        child = self._children.get(job.pid)
        if child is not None:
            return child.poll() is None
        return _alive(job.pid, job.folder)

    def _launch(self, recipe: Path, folder: Path) -> int:
        env = {**os.environ, "LINGXI_HOME": str(self._home), "PYTHONUNBUFFERED": "1"}
        with open(folder / LOG_FILE, "ab") as log:
            process = subprocess.Popen([self.python, "-m", "agent_app.cli", "train", str(recipe)], stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT, env=env, cwd=_project_root(),
                                       start_new_session=True)  # survives the app; stopped as a group
        self._children[process.pid] = process
        return process.pid

    def _settle(self, job: TrainingJob) -> None:
        """The process is gone: finished (result.json written) or failed (the log says why)."""
        result = job.result()
        job.ended = time.time()
        if result is not None:
            loss = result.get("final_loss")
            job.status = "finished"
            job.message = f"{result.get('steps')} steps" + (f", final loss {loss:.4f}" if loss is not None else "")
        else:
            job.status, job.message = "failed", _failure(job.log)
        self._save(job)

    def _save(self, job: TrainingJob) -> None:
        self.runs.mkdir(parents=True, exist_ok=True)
        temporary = self.job_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(job), indent=2), encoding="utf-8")
        os.replace(temporary, self.job_file)


def _project_root() -> str:
    return str(Path(__file__).resolve().parents[1])


def _alive(pid: int, folder: Path) -> bool:
    """Whether ``pid`` is still our trainer (not a later process that reused the number)."""
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
    return "train" in cmdline and str(folder) in cmdline


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
    if "out of memory" in text or "cannot allocate memory" in text or not lines:
        return f"the process ran out of memory or was killed{': ' + tail if tail else ''}"
    return f"the training process ended without finishing: {tail}"
