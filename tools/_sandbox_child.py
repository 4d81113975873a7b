"""The child side of the python tool: runs ONE cell under limits, then reports on a pipe.

Started by `tools.python_sandbox` as ``python -I -B -X utf8 _sandbox_child.py CONFIG_JSON``.
It imports nothing from this project except its two sibling files, loaded by path:
`_sandbox_kernel.py` (Landlock, seccomp, capabilities) and `_sandbox_hook.py` (the audit hook).
In order it: sets resource limits, reads the cell, applies the kernel layers the platform offers,
defuses the primitives that raise no audit event (``_posixsubprocess.fork_exec``, pidfd, ctypes'
preloaded ``memmove``/``memset``, fresh module copies and extension modules from the cell's own
directory through ``_imp``), installs the audit hook, runs the cell like a notebook cell and writes
``{"value": ..., "error": ..., "exit_code": ..., "layers": [...]}`` as JSON to the result pipe.

The audit hook is defence in depth, NOT a security boundary: see PythonTool's docstring.
"""

import ast
import builtins
import importlib.util
import json
import linecache
import os
import resource
import sys
import traceback

CELL = "<cell>"
MAX_REPR = 10_000
HERE = os.path.dirname(os.path.abspath(__file__))
PATCHED_MODULES = frozenset({"_posixsubprocess", "_ctypes", "posix", "_signal", "_imp"})  # no fresh copies
SYSTEM_READ_ROOTS = ("/usr/lib", "/usr/lib64", "/usr/local/lib", "/lib", "/lib64", "/usr/share/zoneinfo",
                     "/etc/ld.so.cache", "/etc/localtime", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
                     "/proc/cpuinfo", "/proc/meminfo", "/sys/devices/system/cpu")


def load_sibling(name):
    """One of this script's sibling files, as a module that is not entered in sys.modules."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def defuse_spawning(violation, trusted_roots):
    """Replace the C primitives that raise no audit event in 3.11: the one behind subprocess
    (``_posixsubprocess.fork_exec``), the pidfd route to signalling other processes, ctypes'
    preloaded raw-memory functions, fresh copies of patched modules and extension modules loaded
    from outside the Python installation.  Returns the guards, whose ``__defaults__`` hold the
    originals (the audit hook hides them).  Speed bumps, not walls: see the module docstring."""
    import _imp
    import _posixsubprocess
    import _signal
    import posix
    import signal

    def no_processes(*args, **kwargs):
        raise violation("sandbox: starting processes is not allowed")

    def no_signals(*args, **kwargs):
        raise violation("sandbox: sending signals to other processes is not allowed")

    def no_raw_memory(*args, **kwargs):
        raise violation("sandbox: ctypes raw-memory functions are not allowed")

    _posixsubprocess.fork_exec = no_processes
    for module, attribute in ((os, "pidfd_open"), (posix, "pidfd_open"), (signal, "pidfd_send_signal"), (_signal, "pidfd_send_signal")):
        if hasattr(module, attribute):
            setattr(module, attribute, no_signals)
    try:
        import ctypes  # loaded now so that later imports (numpy, torch) succeed; its calls stay blocked
        ctypes.memmove = ctypes.memset = no_raw_memory
    except Exception:
        pass
    trusted = tuple(os.path.realpath(p).rstrip("/") + "/" for p in trusted_roots)

    def create_builtin(spec, _original=_imp.create_builtin, _exact=str, _patched=PATCHED_MODULES, _v=violation):
        name = spec.name
        if type(name) is not _exact or name in _patched:
            raise _v(f"sandbox: a fresh copy of {name!s:.40} is not allowed")
        return _original(spec)

    def create_dynamic(spec, file=None, _original=_imp.create_dynamic, _exact=str, _patched=PATCHED_MODULES,
                       _trusted=trusted, _realpath=os.path.realpath, _v=violation):
        name, origin = spec.name, spec.origin
        if type(name) is not _exact or type(origin) is not _exact or name in _patched:
            raise _v("sandbox: this extension module is not allowed")
        if not _realpath(origin).startswith(_trusted):
            raise _v("sandbox: extension modules load only from the Python installation")
        return _original(spec) if file is None else _original(spec, file)

    _imp.create_builtin = create_builtin
    _imp.create_dynamic = create_dynamic
    return [create_builtin, create_dynamic]


def execute(code):
    """Run the cell like a notebook cell; the repr of its last expression (cut), or None."""
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    linecache.cache[CELL] = (len(code), None, code.splitlines(True), CELL)
    tree = ast.parse(code, filename=CELL, mode="exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, CELL, "exec"), namespace)
    if last is None:
        return None
    value = eval(compile(last, CELL, "eval"), namespace)
    if value is None:
        return None
    text = repr(value)
    return text if len(text) <= MAX_REPR else text[:MAX_REPR] + "... [repr truncated]"


def run_cell(code, result_pipe, layers):
    report = {"value": None, "error": None, "exit_code": 0, "layers": layers}
    saved_builtins = dict(builtins.__dict__)
    try:
        try:
            report["value"] = execute(code)
        finally:
            builtins.__dict__.clear()  # the cell may have patched builtins: this runner needs the real ones
            builtins.__dict__.update(saved_builtins)
    except SystemExit as exc:
        code_ = exc.code
        report["exit_code"] = code_ if isinstance(code_, int) else (0 if code_ is None else 1)
        if code_ not in (None, 0) and not isinstance(code_, int):
            print(code_, file=sys.stderr)
    except BaseException as exc:  # noqa: BLE001 - reported like the interpreter would
        sys.stderr.write(format_exception(exc))
        report["error"] = f"{type(exc).__name__}: {exc}"[:2000]
        report["exit_code"] = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os.write(result_pipe, json.dumps(report).encode("utf-8"))
    os._exit(0)


def format_exception(exc):
    """The traceback as the interpreter prints it, without the sandbox's own frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != CELL:
        tb = tb.tb_next  # hide this runner's frames
    report_exc = traceback.TracebackException(type(exc), exc, tb)
    report_exc.stack = traceback.StackSummary.from_list(
        [frame for frame in report_exc.stack if os.path.dirname(os.path.abspath(frame.filename)) != HERE]
    )
    return "".join(report_exc.format())


def trusted_read_roots(cfg):
    """Where the cell may read: the Python installation, sys.path (not the cell's dir), system libraries."""
    work = os.path.realpath(cfg["workdir"])
    roots = [p for p in cfg["allowed_read_paths"] + sys.path if p and os.path.realpath(p) != work]
    return sorted({os.path.realpath(p) for p in roots if os.path.realpath(p) != os.path.realpath(HERE)})


def main():
    cfg = json.loads(sys.argv[1])
    kernel, hook_module = load_sibling("_sandbox_kernel"), load_sibling("_sandbox_hook")
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != HERE]
    sys.path.insert(0, cfg["workdir"])
    sys.dont_write_bytecode = True
    set_limits(cfg)
    with open(cfg["code_path"], encoding="utf-8") as fh:
        code = fh.read()
    result_pipe = cfg["result_fd"]
    sys.argv = [CELL]
    trusted = trusted_read_roots(cfg)
    layers = kernel.confine(cfg["workdir"], trusted + [f"/proc/{os.getpid()}"] + list(SYSTEM_READ_ROOTS),
                            cfg["allow_network"])
    guards = defuse_spawning(hook_module.SandboxViolation, trusted)
    cfg["allowed_read_paths"] = trusted
    sys.addaudithook(hook_module.make_hook(cfg, guards, kernel_fs=any(l.startswith("landlock") for l in layers)))
    run_cell(code, result_pipe, layers)


if __name__ == "__main__":
    main()
