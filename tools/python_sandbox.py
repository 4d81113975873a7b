"""The ``python`` tool: run a code cell in a separate, limited process.

The parent (this module) starts ``sys.executable -I`` on `tools/_sandbox_child.py` in a new
session with a clean environment and a fresh temporary working directory, reads stdout, stderr
and a result pipe with caps, and kills the whole process group on the wall-clock deadline or when
the output runs away.  It never raises for anything the code does: the outcome is always a report.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tools.base import Tool
from tools.errors import ToolExecutionError
from tools.workspace import Workspace, current_workspace

logger = logging.getLogger(__name__)

CHILD_SCRIPT = Path(__file__).with_name("_sandbox_child.py")


@dataclass
class SandboxLimits:
    """Limits for one run of the python tool."""

    wall_seconds: float = 10.0  # the whole process group is killed after this
    cpu_seconds: int = 10  # RLIMIT_CPU
    memory_mb: int = 1024  # RLIMIT_AS (address space, so a bit above real use)
    file_size_mb: int = 16  # RLIMIT_FSIZE, per file written
    max_output_bytes: int = 16_000  # kept per stream (stdout, stderr)
    kill_output_bytes: int = 4_000_000  # the process is killed once it printed this much
    extra_processes: int = 16  # RLIMIT_NPROC above what the user already runs (ignored for root)
    allow_network: bool = False  # refuse connect/bind/DNS through the audit hook
    protected_paths: list[str] = field(default_factory=list)  # never readable from the cell


@dataclass
class SandboxRun:
    """What one run produced."""

    stdout: str
    stderr: str
    value: str | None  # repr of the last expression, when it is not None
    error: str | None  # "ExceptionType: message" when the cell raised
    exit_code: int | None
    killed_reason: str | None  # why the sandbox stopped it: timeout, output, memory, signal
    elapsed: float
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    layers: list[str] = field(default_factory=list)  # kernel layers that held: landlock-abiN, seccomp, ...

    @property
    def ok(self) -> bool:
        return self.error is None and self.killed_reason is None and self.exit_code == 0

    def report(self, max_chars: int) -> str:
        """The observation text: status, stdout, stderr and the last value."""
        parts = []
        if self.killed_reason:
            parts.append(f"status: {self.killed_reason}")
        elif self.error:
            kind = self.error.split(":", 1)[0]
            note = " (refused by the sandbox: its kernel rules or the file's permissions)" if kind == "PermissionError" else ""
            parts.append(f"status: the code raised {kind}{note}")
        elif self.exit_code:
            parts.append(f"status: exited with code {self.exit_code}")
        for label, text, total in (("stdout", self.stdout, self.stdout_bytes), ("stderr", self.stderr, self.stderr_bytes)):
            if text:
                note = f"\n[... {label} truncated: {total} bytes in all]" if total > max_chars else ""
                parts.append(f"{label}:\n{text.rstrip()}{note}")
        if self.value is not None:
            parts.append(f"result: {self.value}")
        return "\n".join(parts) if parts else "(no output)"


SYSTEM_SECRETS = ["/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh", "/root"]


def _default_protected() -> list[str]:
    paths = [str(Path.home()), *SYSTEM_SECRETS]
    if os.environ.get("LINGXI_HOME"):
        paths.append(os.environ["LINGXI_HOME"])
    return paths


def run_python(code: str, limits: SandboxLimits | None = None,
               keep: Callable[[Path], None] | None = None) -> SandboxRun:
    """Run ``code`` in a fresh limited subprocess and return what happened. Never raises for the
    code's behaviour (exceptions, crashes, timeouts, floods all end up in the SandboxRun).
    ``keep(workdir)`` runs after the process is gone and before the directory is deleted."""
    limits = limits or SandboxLimits()
    base = Path(tempfile.mkdtemp(prefix="lingxi-python-"))
    workdir = base / "work"
    workdir.mkdir()
    code_path = base / "cell.py"
    code_path.write_text(code, encoding="utf-8")
    read_fd, write_fd = os.pipe()
    config = {
        "workdir": str(workdir),
        "code_path": str(code_path),
        "result_fd": write_fd,
        "memory_bytes": limits.memory_mb * 1024 * 1024,
        "cpu_seconds": max(1, int(limits.cpu_seconds)),
        "file_size_bytes": limits.file_size_mb * 1024 * 1024,
        "extra_processes": limits.extra_processes,
        "allow_network": limits.allow_network,
        "protected_paths": limits.protected_paths or _default_protected(),
        "allowed_read_paths": sorted({sys.prefix, sys.base_prefix, sys.exec_prefix, str(CHILD_SCRIPT.parent)}),
    }
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-B", "-X", "utf8", str(CHILD_SCRIPT), json.dumps(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=workdir,
            env=_child_env(workdir),
            start_new_session=True,
            pass_fds=(write_fd,),
        )
    except OSError as exc:
        os.close(read_fd)
        os.close(write_fd)
        shutil.rmtree(base, ignore_errors=True)
        raise ToolExecutionError(f"could not start the python sandbox: {exc}") from exc
    os.close(write_fd)
    try:
        return _supervise(proc, read_fd, limits, start)
    finally:
        _kill_group(proc)
        proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
        os.close(read_fd)
        try:
            if keep is not None:
                keep(workdir)
        finally:
            shutil.rmtree(base, ignore_errors=True)


SAVED_IMAGES = "Images saved to this conversation's files: "
"""The report's last line when a run drew images (the UI shows them, the API lists them)."""
IMAGE_OUTPUTS = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
MAX_KEPT_IMAGES = 5
MAX_KEPT_IMAGE_BYTES = 10 * 2**20


def keep_images(workdir: Path, workspace: Workspace) -> list[str]:
    """Copy the images a run left in its working directory (top level; regular files only, never
    through a link; at most 5 of 10 MB each) into ``workspace``; return the names they got."""
    kept = []
    for path in sorted(workdir.iterdir()):
        if len(kept) == MAX_KEPT_IMAGES or path.suffix.lower() not in IMAGE_OUTPUTS:
            continue
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:  # a symlink, or gone
            continue
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_KEPT_IMAGE_BYTES:
            os.close(descriptor)
            continue
        with os.fdopen(descriptor, "rb") as source:
            target = workspace.new_file(path.stem, path.suffix.lower())
            with open(target, "wb") as out:
                shutil.copyfileobj(source, out)
        kept.append(target.name)
    return kept


def _child_env(workdir: Path) -> dict[str, str]:
    """A minimal environment: nothing of the parent's (no API keys), HOME and TMPDIR in the cell's dir."""
    return {
        "PATH": os.defpath,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(workdir),
    }


def _supervise(proc: subprocess.Popen, result_fd: int, limits: SandboxLimits, start: float) -> SandboxRun:
    assert proc.stdout is not None and proc.stderr is not None
    names = {proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr", result_fd: "result"}
    kept = {"stdout": bytearray(), "stderr": bytearray(), "result": bytearray()}
    totals = {"stdout": 0, "stderr": 0, "result": 0}
    selector = selectors.DefaultSelector()
    for fd in names:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    deadline = start + limits.wall_seconds
    killed: str | None = None
    exited_at: float | None = None
    while selector.get_map():
        now = time.monotonic()
        if now >= deadline:
            killed = f"timed out after {limits.wall_seconds:g} s (process killed)"
            break
        if exited_at is None and _has_exited(proc):
            exited_at = now
        if exited_at is not None and now - exited_at > 0.5:
            break  # leftover descendants keep a pipe open: stop waiting for them
        for key, _ in selector.select(timeout=min(0.1, deadline - now)):
            name = names[key.fd]
            try:
                data = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            if not data:
                selector.unregister(key.fd)
                continue
            totals[name] += len(data)
            cap = 1_000_000 if name == "result" else limits.max_output_bytes
            room = cap - len(kept[name])
            if room > 0:
                kept[name] += data[:room]
        if totals["stdout"] + totals["stderr"] > limits.kill_output_bytes:
            killed = f"output limit exceeded ({limits.kill_output_bytes} bytes; process killed)"
            break
    selector.close()
    _kill_group(proc)
    returncode, cpu_used = _reap(proc)
    result = _parse_result(bytes(kept["result"]))
    if killed is None and not result:
        killed = _describe_death(returncode, limits, cpu_used)
    return SandboxRun(
        stdout=kept["stdout"].decode("utf-8", errors="replace"),
        stderr=kept["stderr"].decode("utf-8", errors="replace"),
        value=result.get("value"),
        error=result.get("error"),
        exit_code=result.get("exit_code", returncode),
        killed_reason=killed,
        elapsed=time.monotonic() - start,
        stdout_bytes=totals["stdout"],
        stderr_bytes=totals["stderr"],
        layers=[str(x) for x in result.get("layers") or []],
    )


def _has_exited(proc: subprocess.Popen) -> bool:
    """True once the child exited, without reaping it (its pid keeps the process group alive)."""
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _parse_result(raw: bytes) -> dict:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _reap(proc: subprocess.Popen) -> tuple[int, float]:
    """Wait for the child; its exit code and the CPU seconds it used."""
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except ChildProcessError:
        return proc.wait(), 0.0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


def _describe_death(returncode: int, limits: SandboxLimits, cpu_used: float = 0.0) -> str:
    if returncode < 0:
        sig = -returncode
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu_used >= limits.cpu_seconds):
            return f"CPU time limit exceeded ({limits.cpu_seconds} s; process killed)"
        if sig == signal.SIGSEGV:
            return "the process crashed (segmentation fault, e.g. recursion too deep or memory exhausted)"
        if sig == signal.SIGKILL:
            return "the process was killed (SIGKILL; possibly out of memory)"
        return f"the process was killed by signal {signal.Signals(sig).name}"
    if returncode == 0:
        return "the process ended without reporting a result"
    return f"the process ended abnormally with exit code {returncode}"


class PythonTool(Tool):
    """Runs untrusted Python in a separate, limited process.

    What it does: each call starts a fresh ``python -I`` (isolated mode: no PYTHON* variables, no
    user site) in a new session and process group, in a fresh temporary working directory that is
    deleted afterwards, with a minimal environment (PATH, LANG, HOME=TMPDIR=that directory; none
    of the parent's variables, so no API keys).  Limits: RLIMIT_CPU, RLIMIT_AS (memory),
    RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_NPROC (where the kernel enforces it: not for root), core
    dumps off, a wall-clock deadline after which the whole process group is SIGKILLed, and capped
    stdout/stderr (the process is killed if it floods).  An audit hook in the child refuses new
    processes (fork, exec, subprocess, os.system, posix_spawn), signals to other processes, ctypes
    foreign calls, network access (connect, bind, DNS) unless ``allow_network``, writes outside the
    working directory, and reads of the protected paths (the user's home and ``$LINGXI_HOME``
    unless inside the Python installation) and of other processes' ``/proc`` entries.

    What it does NOT protect against: it is not a container or VM.  Audit hooks are defence in
    depth, not a security boundary: a determined attacker with Python (interpreter internals, a
    crafted extension module, a bug in CPython) can get around them.  There is no network isolation
    at the kernel level, no filesystem jail: the code can still read any other file the user can
    read (system files, the project checkout on sys.path).  Disk use is capped per file, not in
    total; RLIMIT_NPROC does not bind root; kernel and side-channel attacks are out of scope.  For
    hostile code run it as an unprivileged user inside a container or VM as well.
    """

    name = "python"

    def __init__(self, limits: SandboxLimits | None = None, *, max_report_chars: int = 8000) -> None:
        self.limits = limits or SandboxLimits()
        self.max_report_chars = max_report_chars
        super().__init__(timeout=self.limits.wall_seconds + 10.0)

    def forward(self, code: str) -> str:
        """Run Python code in a sandboxed subprocess and report stdout, stderr and the value of the
        last expression (like a notebook cell). Each call starts fresh: no state is kept between
        calls. No network, no subprocesses, files only in a temporary directory.

        Args:
            code: The Python source to run; end it with an expression to see its value.
        """
        workspace, images = current_workspace(), []
        run = run_python(code, self.limits, keep=lambda workdir: images.extend(keep_images(workdir, workspace)))
        report = run.report(self.limits.max_output_bytes)
        if len(report) > self.max_report_chars:
            report = report[: self.max_report_chars] + "\n[... report truncated]"
        if images:
            report += f"\n{SAVED_IMAGES}{', '.join(images)}"
        logger.debug("python tool ran in %.2f s (ok=%s)", run.elapsed, run.ok)
        if run.ok:
            return report
        raise ToolExecutionError(report)
