"""The python tool: real subprocess runs under limits, with hostile snippets."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tools import PythonTool, SandboxLimits, ToolRegistry, run_python

FAST = SandboxLimits(wall_seconds=4, cpu_seconds=2, memory_mb=512)


@pytest.fixture(scope="module")
def registry() -> ToolRegistry:
    return ToolRegistry([PythonTool(FAST)])


def test_stdout_and_last_value(registry):
    result = registry.call("python", {"code": "print('你好, 灵犀')\nx = 6 * 7\nx"})
    assert result.ok, result.content
    assert result.content == "stdout:\n你好, 灵犀\nresult: 42"


def test_no_output():
    run = run_python("x = 1", FAST)
    assert run.ok and run.report(1000) == "(no output)"


def test_exception_is_an_error_observation_with_traceback(registry):
    result = registry.call("python", {"code": "print('before')\n1/0"})
    assert not result.ok
    assert result.content.startswith("Error: status: the code raised ZeroDivisionError")
    assert "stdout:\nbefore" in result.content
    assert 'File "<cell>", line 2' in result.content and "_sandbox_child" not in result.content


def test_syntax_error(registry):
    result = registry.call("python", {"code": "def (:"})
    assert not result.ok and "SyntaxError" in result.content


def test_infinite_loop_is_stopped():
    limits = SandboxLimits(wall_seconds=1.5, cpu_seconds=10)
    start = time.monotonic()
    run = run_python("while True: pass", limits)
    assert time.monotonic() - start < 8
    assert not run.ok and run.killed_reason.startswith("timed out after 1.5 s")


def test_cpu_limit():
    run = run_python("while True: pass", SandboxLimits(wall_seconds=30, cpu_seconds=1))
    assert run.killed_reason.startswith("CPU time limit exceeded")


def test_sleeping_child_killed_on_wall_clock():
    run = run_python("import time\nprint('start', flush=True)\ntime.sleep(60)", SandboxLimits(wall_seconds=1))
    assert run.killed_reason.startswith("timed out") and run.stdout == "start\n"


@pytest.mark.parametrize("code", ["x = bytearray(8 * 1024**3)", "x = []\nwhile True: x.append(b' ' * 10**7)"])
def test_memory_bomb_is_stopped(code):
    run = run_python(code, FAST)
    assert not run.ok
    assert run.error == "MemoryError: " or run.killed_reason


def test_huge_output_is_capped_and_killed():
    limits = SandboxLimits(wall_seconds=10, max_output_bytes=1000, kill_output_bytes=200_000)
    start = time.monotonic()
    run = run_python("while True: print('x' * 1000)", limits)
    assert time.monotonic() - start < 8
    assert run.killed_reason.startswith("output limit exceeded")
    assert len(run.stdout) == 1000 and run.stdout_bytes > 200_000
    assert "stdout truncated" in run.report(1000)


def test_environment_has_no_secrets_and_cwd_is_a_fresh_tempdir(monkeypatch):
    monkeypatch.setenv("LINGXI_TEST_API_KEY", "sk-very-secret")
    run = run_python(
        "import os, tempfile\n"
        "open('scratch.txt', 'w').write('ok')\n"
        "(sorted(os.environ), os.getcwd(), os.environ['HOME'], tempfile.gettempdir(), open('scratch.txt').read())",
        FAST,
    )
    assert run.ok, run.stderr
    names, cwd, home, tmp, scratch = eval(run.value)  # our own repr of plain data
    assert "LINGXI_TEST_API_KEY" not in names and "sk-very-secret" not in run.value
    assert set(names) <= {"PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "MPLBACKEND", "MPLCONFIGDIR", "LC_CTYPE"}
    assert cwd != os.getcwd() and "lingxi-python-" in cwd and home == cwd == tmp
    assert scratch == "ok"
    assert not Path(cwd).exists()  # deleted afterwards


def test_parent_environ_through_proc_is_refused(monkeypatch):
    monkeypatch.setenv("LINGXI_TEST_API_KEY", "sk-very-secret")
    run = run_python(f"open('/proc/{os.getpid()}/environ', 'rb').read()", FAST)
    assert not run.ok and "sk-very-secret" not in run.stdout + run.stderr + (run.value or "")
    assert "SandboxViolation" in run.error


def test_protected_paths_are_not_readable(tmp_path):
    secret = tmp_path / "secrets" / "key.txt"
    secret.parent.mkdir()
    secret.write_text("hunter2")
    limits = SandboxLimits(wall_seconds=4, protected_paths=[str(secret.parent)])
    run = run_python(f"open({str(secret)!r}).read()", limits)
    assert not run.ok and "reading" in run.error and "hunter2" not in run.stderr
    listing = run_python(f"import os; os.listdir({str(secret.parent)!r})", limits)
    assert not listing.ok


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("import os; os.fork()", "os.fork is not allowed"),
        ("import subprocess; subprocess.run(['sh', '-c', 'echo hi'])", "subprocess.Popen is not allowed"),
        ("import os; os.system('echo hi')", "os.system is not allowed"),
        ("import os; os.execv('/bin/sh', ['sh'])", "os.exec is not allowed"),
        ("import pty; pty.spawn('/bin/sh')", "not allowed"),
        ("import _posixsubprocess; _posixsubprocess.fork_exec()", "starting processes is not allowed"),
        ("import os, signal; os.kill(os.getppid(), signal.SIGKILL)", "sending signals to other processes"),
        ("import socket; socket.create_connection(('127.0.0.1', 9))", "network access is not allowed"),
        ("import socket; socket.getaddrinfo('example.com', 80)", "network access is not allowed"),
        ("import ctypes; ctypes.CDLL('libc.so.6').system(b'echo hi')", "ctypes.dlopen is not allowed"),
        ("import ctypes; ctypes.string_at(0)", "not allowed"),
        ("open('/tmp/lingxi-escape.txt', 'w').write('x')", "writing outside the working directory"),
        ("import os; os.remove('/tmp/whatever')", "writing outside the working directory"),
        ("import os; os.symlink('/etc', 'link'); open('link/evil', 'w')", "writing outside the working directory"),
        ("import multiprocessing as m; p = m.Process(target=print); p.start()", "not allowed"),
    ],
)
def test_hostile_snippets_are_refused(code, fragment):
    run = run_python(code, FAST)
    assert not run.ok
    assert fragment in run.stderr, run.stderr
    assert not Path("/tmp/lingxi-escape.txt").exists()


def test_deep_recursion_reports_recursion_error():
    run = run_python("def f(n): return f(n + 1)\nf(0)", FAST)
    assert run.error.startswith("RecursionError")


def test_sys_exit_code_is_reported():
    run = run_python("import sys; sys.exit(3)", FAST)
    assert not run.ok and run.exit_code == 3 and "exited with code 3" in run.report(100)


def test_stdin_is_empty():
    run = run_python("input()", FAST)
    assert run.error.startswith("EOFError")


def test_tool_schema_and_docstring_says_what_it_does_not_protect():
    tool = PythonTool()
    params = tool.parameters
    assert params["required"] == ["code"] and params["properties"]["code"]["type"] == "string"
    assert "does NOT protect against" in PythonTool.__doc__
    assert tool.timeout > tool.limits.wall_seconds


def test_pidfd_route_to_killing_another_process_is_refused():
    import subprocess
    import sys

    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        code = f"import os, signal\nfd = os.pidfd_open({victim.pid})\nsignal.pidfd_send_signal(fd, signal.SIGKILL)"
        run = run_python(code, FAST)
        fresh = run_python("import sys\ndel sys.modules['posix']\nimport posix", FAST)
        time.sleep(0.2)
        assert victim.poll() is None, "the sandboxed code killed another process"
        assert "sending signals to other processes" in run.stderr
        assert "importing posix again is not allowed" in fresh.stderr
    finally:
        victim.kill()
        victim.wait()


def test_images_a_run_draws_are_kept_in_the_conversation_workspace(tmp_path):
    from tools import ToolRegistry, Workspace, use_workspace
    from tools.python_sandbox import PythonTool

    code = ("import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
            "plt.plot([1, 2, 3], [2, 4, 1])\nplt.savefig('plot.png')\nopen('notes.txt', 'w').write('x')\n'drawn'")
    workspace = Workspace(tmp_path / "conversation")
    with use_workspace(workspace):
        result = ToolRegistry([PythonTool()]).call("python", {"code": code})
    assert result.ok, result.content
    assert result.content.endswith("Images saved to this conversation's files: plot.png")
    assert workspace.files() == ["plot.png"]  # images only
    assert (workspace.path / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_only_regular_small_images_are_kept(tmp_path):
    import os

    from tools import Workspace
    from tools.python_sandbox import MAX_KEPT_IMAGE_BYTES, keep_images

    work = tmp_path / "work"
    work.mkdir()
    (work / "a.png").write_bytes(b"png")
    os.symlink("/etc/hostname", work / "link.png")  # a link out of the directory is not followed
    with open(work / "huge.png", "wb") as handle:
        handle.truncate(MAX_KEPT_IMAGE_BYTES + 1)
    (work / "dir.png").mkdir()
    for number in range(8):
        (work / f"z{number}.svg").write_text("<svg/>")
    workspace = Workspace(tmp_path / "conversation")
    kept = keep_images(work, workspace)
    assert kept == ["a.png", "z0.svg", "z1.svg", "z2.svg", "z3.svg"]  # at most five
    assert sorted(workspace.files()) == sorted(kept)
