"""The child side of the python tool: runs ONE cell under limits, then reports on a pipe.

Started by `tools.python_sandbox` as ``python -I -B -X utf8 _sandbox_child.py CONFIG_JSON``.
It is a standalone script (it imports nothing from this project).  In order it: sets resource
limits, reads the cell, pre-imports and defuses the primitives that raise no audit event
(``_posixsubprocess.fork_exec``, ``os.pidfd_open``, ``signal.pidfd_send_signal``, fresh module
copies through ``_imp``), installs an audit hook (no new processes, no signals to other
processes, no foreign calls through ctypes, no network unless allowed, writes only inside the
working directory, no reads of protected paths or other processes' /proc entries), runs the cell
like a notebook cell and writes
``{"value": ..., "error": ..., "exit_code": ...}`` as JSON to the result pipe.

The audit hook is defence in depth, NOT a security boundary: see PythonTool's docstring.
"""

import ast
import builtins
import json
import linecache
import os
import resource
import sys
import traceback

CELL = "<cell>"
MAX_REPR = 10_000
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

FORBIDDEN_EVENTS = {
    "os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.startfile",
    "subprocess.Popen", "pty.spawn", "os.killpg", "signal.pthread_kill",
    "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.call_function", "ctypes.cdata",
    "ctypes.string_at", "ctypes.wstring_at", "ctypes.addressof",
    "gc.get_objects", "gc.get_referrers", "gc.get_referents",
}
NETWORK_EVENTS = {
    "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.gethostbyaddr", "socket.gethostbyname_ex", "socket.getnameinfo",
}
PATH_EVENTS = {  # event -> positions of path arguments that must lie inside the working directory
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1), "os.link": (1,),
    "os.symlink": (1,), "os.chmod": (0,), "os.chown": (0,), "os.truncate": (0,), "os.utime": (0,),
    "os.setxattr": (0,), "os.removexattr": (0,), "shutil.rmtree": (0,), "os.mkfifo": (0,),
    "os.mknod": (0,), "os.chflags": (0,), "os.lchflags": (0,),
}
BLOCKED_REIMPORTS = {"_posixsubprocess", "_ctypes", "ctypes", "posix", "os", "_signal", "signal"}
PATCHED_MODULES = {"_posixsubprocess", "_ctypes", "posix", "_signal"}  # no fresh copies through _imp


class SandboxViolation(PermissionError):
    """Raised inside the cell when it tries something the sandbox forbids."""


def set_limits(cfg):
    def limit(kind, soft, slack=0):
        try:
            _, hard = resource.getrlimit(kind)
            if hard != resource.RLIM_INFINITY:
                soft = min(soft, hard)
            resource.setrlimit(kind, (soft, soft + slack if hard == resource.RLIM_INFINITY else hard))
        except (ValueError, OSError):
            pass  # the platform refuses this limit: the others still hold

    limit(resource.RLIMIT_AS, cfg["memory_bytes"])
    limit(resource.RLIMIT_CPU, cfg["cpu_seconds"], slack=1)  # SIGXCPU at soft, SIGKILL at hard
    limit(resource.RLIMIT_FSIZE, cfg["file_size_bytes"])
    limit(resource.RLIMIT_CORE, 0)
    limit(resource.RLIMIT_NOFILE, 256)
    if hasattr(resource, "RLIMIT_NPROC"):
        limit(resource.RLIMIT_NPROC, count_user_tasks() + cfg["extra_processes"])


def count_user_tasks():
    """Threads the current user already runs (RLIMIT_NPROC counts them all, threads included)."""
    uid, total = os.getuid(), 0
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                total += int(fields["Threads"].strip())
        except (OSError, KeyError, ValueError):
            continue
    return total


def defuse_spawning():
    """Replace the C primitives that raise no audit event in 3.11: the one behind subprocess
    (``_posixsubprocess.fork_exec``) and the pidfd route to signalling other processes.
    Speed bumps, not walls: see the module docstring."""
    import _imp
    import _posixsubprocess
    import _signal
    import posix
    import signal

    def no_processes(*args, **kwargs):
        raise SandboxViolation("sandbox: starting processes is not allowed")

    def no_signals(*args, **kwargs):
        raise SandboxViolation("sandbox: sending signals to other processes is not allowed")

    _posixsubprocess.fork_exec = no_processes
    for module, attribute in ((os, "pidfd_open"), (posix, "pidfd_open"), (signal, "pidfd_send_signal"), (_signal, "pidfd_send_signal")):
        if hasattr(module, attribute):
            setattr(module, attribute, no_signals)
    try:
        import ctypes  # noqa: F401 - loaded now so that later imports succeed; calls stay blocked
    except Exception:
        pass

    def guarded(create):
        def create_module(spec, *args):
            if spec.name in PATCHED_MODULES:
                raise SandboxViolation(f"sandbox: a fresh copy of {spec.name} is not allowed")
            return create(spec, *args)

        return create_module

    _imp.create_builtin = guarded(_imp.create_builtin)
    _imp.create_dynamic = guarded(_imp.create_dynamic)


def inside(path, roots):
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def make_hook(cfg):
    work = os.path.realpath(cfg["workdir"])
    writable = [work, "/dev/null"]
    protected = [os.path.realpath(p) for p in cfg["protected_paths"]]
    allowed_reads = [work] + [os.path.realpath(p) for p in cfg["allowed_read_paths"]]
    own_proc = f"/proc/{os.getpid()}"
    allow_network = cfg["allow_network"]
    my_pid = os.getpid()

    def real(path):
        if isinstance(path, int):
            return None
        return os.path.realpath(os.fsdecode(path))

    def check_read(path):
        full = real(path)
        if full is None:
            return
        if full.startswith("/proc/") and not inside(full, [own_proc]):
            part = full.split("/")[2]
            if part.isdigit() or part in ("thread-self",):
                raise SandboxViolation(f"sandbox: reading other processes' /proc entries is not allowed: {full}")
        if inside(full, protected) and not inside(full, allowed_reads):
            raise SandboxViolation(f"sandbox: reading {full} is not allowed")

    def check_write(path):
        full = real(path)
        if full is not None and not inside(full, writable):
            raise SandboxViolation(f"sandbox: writing outside the working directory is not allowed: {full}")

    def hook(event, args):
        if event in FORBIDDEN_EVENTS:
            raise SandboxViolation(f"sandbox: {event} is not allowed")
        if event == "os.kill":
            if args[0] != my_pid:
                raise SandboxViolation("sandbox: sending signals to other processes is not allowed")
        elif event == "open":
            path, flags = args[0], args[2] if len(args) > 2 else 0
            if isinstance(flags, int) and flags & WRITE_FLAGS:
                check_write(path)
            else:
                mode = args[1] if len(args) > 1 else None
                if isinstance(mode, str) and any(c in mode for c in "wax+"):
                    check_write(path)
                check_read(path)
        elif event in ("os.listdir", "os.scandir"):
            if args and args[0] is not None:
                check_read(args[0])
        elif event in PATH_EVENTS:
            for i in PATH_EVENTS[event]:
                if i < len(args):
                    check_write(args[i])
            if event == "os.symlink":
                check_read(args[0])
        elif event in NETWORK_EVENTS and not allow_network:
            raise SandboxViolation("sandbox: network access is not allowed")
        elif event == "import" and args and args[0] in BLOCKED_REIMPORTS:
            raise SandboxViolation(f"sandbox: importing {args[0]} again is not allowed")

    return hook


def run_cell(code, result_pipe):
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    linecache.cache[CELL] = (len(code), None, code.splitlines(True), CELL)
    report = {"value": None, "error": None, "exit_code": 0}
    try:
        tree = ast.parse(code, filename=CELL, mode="exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, CELL, "exec"), namespace)
        if last is not None:
            value = eval(compile(last, CELL, "eval"), namespace)
            if value is not None:
                text = repr(value)
                report["value"] = text if len(text) <= MAX_REPR else text[:MAX_REPR] + "... [repr truncated]"
    except SystemExit as exc:
        code_ = exc.code
        report["exit_code"] = code_ if isinstance(code_, int) else (0 if code_ is None else 1)
        if code_ not in (None, 0) and not isinstance(code_, int):
            print(code_, file=sys.stderr)
    except BaseException as exc:  # noqa: BLE001 - reported like the interpreter would
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != CELL:
            tb = tb.tb_next  # hide this runner's frames
        report_exc = traceback.TracebackException(type(exc), exc, tb)
        here = os.path.abspath(__file__)
        report_exc.stack = traceback.StackSummary.from_list(
            [frame for frame in report_exc.stack if os.path.abspath(frame.filename) != here]
        )
        sys.stderr.write("".join(report_exc.format()))
        report["error"] = f"{type(exc).__name__}: {exc}"[:2000]
        report["exit_code"] = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os.write(result_pipe, json.dumps(report).encode("utf-8"))
    os._exit(0)


def main():
    cfg = json.loads(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != here]
    sys.path.insert(0, cfg["workdir"])
    sys.dont_write_bytecode = True
    set_limits(cfg)
    with open(cfg["code_path"], encoding="utf-8") as fh:
        code = fh.read()
    result_pipe = cfg["result_fd"]
    sys.argv = [CELL]
    defuse_spawning()
    cfg["allowed_read_paths"] = cfg["allowed_read_paths"] + [p for p in sys.path if p]
    sys.addaudithook(make_hook(cfg))
    run_cell(code, result_pipe)


if __name__ == "__main__":
    main()
