"""The audit hook of the python tool's child process: refuses what a cell may not do.

Loaded by `tools/_sandbox_child.py` by file path; standalone (stdlib only).  The hook refuses new
processes, signals to other processes, ctypes' loading and raw-memory primitives, cffi, network
access (unless allowed), writes outside the working directory (by path, by descriptor, by
``dir_fd``, through symlinks and hard links), opening directories outside it (the ``dir_fd`` and
``opener`` routes), reads of protected paths and of other processes' ``/proc`` entries, raising
rlimits, and introspection of the sandbox's own guards.

It is written so that the cell cannot switch it off from Python: every function, set and builtin
it uses is bound when it is made (patching ``builtins``, ``os.path`` or ``sys.modules['__main__']``
changes nothing), it accepts only exact ``str``/``bytes``/``int``/pathlib paths (so no code of the
cell runs inside it), and resolves paths with its own copy of ``realpath``.  It is still defence in
depth, not a boundary: native code (a C extension, a ctypes pointer) can get past any audit hook.
The kernel layers in `tools/_sandbox_kernel.py` are what holds then.
"""

import os
import pathlib
import posix
import stat
import types

FORBIDDEN_EVENTS = frozenset({
    "os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.startfile",
    "subprocess.Popen", "pty.spawn", "os.killpg", "signal.pthread_kill",
    "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.call_function", "ctypes.cdata",
    "ctypes.cdata/buffer", "ctypes.func_pointer", "ctypes.string_at", "ctypes.wstring_at", "ctypes.addressof",
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "resource.setrlimit", "resource.prlimit",
    "sqlite3.enable_load_extension", "sqlite3.load_extension", "sys.setprofile", "sys.settrace",
})
NETWORK_EVENTS = frozenset({
    "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.gethostbyaddr", "socket.gethostbyname_ex", "socket.getnameinfo",
})
# event -> (position of a path argument, position of its dir_fd argument or None), for writes
WRITE_EVENTS = {
    "os.remove": ((0, 1),), "os.rmdir": ((0, 1),), "os.mkdir": ((0, 2),), "os.rename": ((0, 2), (1, 3)),
    "os.link": ((0, 2), (1, 3)), "os.symlink": ((1, 2),), "os.chmod": ((0, 2),), "os.chown": ((0, 3),),
    "os.truncate": ((0, None),), "os.utime": ((0, 3),), "os.setxattr": ((0, None),),
    "os.removexattr": ((0, None),), "shutil.rmtree": ((0, 1),), "os.mkfifo": ((0, 2),),
    "os.mknod": ((0, 3),), "os.chflags": ((0, None),), "os.lchflags": ((0, None),),
}
READ_EVENTS = {"os.listdir": ((0, None),), "os.scandir": ((0, None),), "os.chdir": ((0, None),),
               "os.listxattr": ((0, None),), "os.getxattr": ((0, None),)}
BLOCKED_IMPORTS = frozenset({"_cffi_backend", "cffi"})  # their own dlopen raises no audit event
BLOCKED_REIMPORTS = frozenset({"_posixsubprocess", "_ctypes", "ctypes", "posix", "os", "_signal", "signal", "_imp"})
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
PATH_TYPES = (pathlib.PurePosixPath, pathlib.PosixPath, pathlib.Path, pathlib.PurePath)
PATH_METHODS = ("__fspath__", "__str__")


class SandboxViolation(PermissionError):
    """Raised inside the cell when it tries something the sandbox forbids."""


def make_hook(cfg, guarded_objects, kernel_fs):
    """The audit hook for one cell. ``guarded_objects``: functions whose internals must stay hidden
    (their ``__defaults__`` hold the originals they guard). ``kernel_fs``: Landlock confines files,
    so libraries that open files in C (sqlite3) may be used."""
    _type, _isinstance, _len, _int, _str, _bytes, _tuple = type, isinstance, len, int, str, bytes, tuple
    _frozenset, _id, _bool, _OSError, _AttributeError = frozenset, id, bool, OSError, AttributeError
    violation = SandboxViolation
    lstat, readlink, getcwd, fsdecode_bytes = posix.lstat, posix.readlink, posix.getcwd, bytes.decode
    stat_, is_link, is_dir = posix.stat, stat.S_ISLNK, stat.S_ISDIR
    str_startswith, str_split, str_join, str_rstrip = str.startswith, str.split, str.join, str.rstrip
    forbidden, network, write_events, read_events = FORBIDDEN_EVENTS, NETWORK_EVENTS, types.MappingProxyType(dict(WRITE_EVENTS)), types.MappingProxyType(dict(READ_EVENTS))
    blocked_imports, blocked_reimports, write_flags = BLOCKED_IMPORTS, BLOCKED_REIMPORTS, WRITE_FLAGS
    path_types = _frozenset(PATH_TYPES)
    str_slot = pathlib.PurePath.__dict__["_str"].__get__
    path_methods = _tuple((cls.__dict__, name, cls.__dict__.get(name)) for cls in PATH_TYPES for name in PATH_METHODS)
    proxy_get = types.MappingProxyType.get
    guarded_ids = _frozenset(id(f) for f in guarded_objects)
    keep_alive = _tuple(guarded_objects)  # noqa: F841 - the ids stay valid while the hook lives
    allow_network = bool(cfg["allow_network"])
    my_pid = posix.getpid()
    own_proc = f"/proc/{my_pid}"

    def resolve(path, base=None):
        """Absolute path with every symlink resolved (posixpath.realpath, non-strict), from captured primitives."""
        if not str_startswith(path, "/"):
            path = (base if base is not None else getcwd()) + "/" + path
        done, todo, hops = [], [p for p in str_split(path, "/") if p and p != "."], 0
        todo.reverse()
        while todo:
            part = todo.pop()
            if part == "..":
                if done:
                    done.pop()
                continue
            candidate = "/" + str_join("/", done + [part])
            try:
                info = lstat(candidate)
            except _OSError:
                done.append(part)
                continue
            if not is_link(info.st_mode):
                done.append(part)
                continue
            hops += 1
            if hops > 40:
                done.append(part)
                continue
            target = readlink(candidate)
            if str_startswith(target, "/"):
                done = []
            rest = [p for p in str_split(target, "/") if p and p != "."]
            rest.reverse()
            todo.extend(rest)
        return "/" + str_join("/", done)

    def as_text(path):
        """The path as an exact str without running any code of the cell; None for fds."""
        kind = _type(path)
        if kind is _int or kind is _bool:
            return None
        if kind is _str:
            return path
        if kind is _bytes:
            return fsdecode_bytes(path, "utf-8", "surrogateescape")
        if kind in path_types and all_path_methods_original():
            try:
                text = str_slot(path)  # what its (unpatched) __fspath__ returned: no code of the cell runs
            except _AttributeError:
                text = None
            if _type(text) is _str:
                return text
        raise violation(f"sandbox: paths must be str, bytes or pathlib paths, not {kind.__name__}")

    def all_path_methods_original():
        for namespace, name, original in path_methods:
            if proxy_get(namespace, name) is not original:
                return False
        return True

    def fd_path(fd):
        try:
            return readlink(f"/proc/self/fd/{fd:d}")
        except _OSError:
            raise violation(f"sandbox: cannot tell which file descriptor {fd} is") from None

    def target_of(path, dir_fd=None):
        text = as_text(path)
        if text is None:
            return resolve(fd_path(path))
        base = None
        if _type(dir_fd) is _int and dir_fd >= 0 and not str_startswith(text, "/"):  # -100: AT_FDCWD
            base = fd_path(dir_fd)
        return resolve(text, base)

    work = resolve(cfg["workdir"])
    writable = _tuple([work, "/dev/null"])
    protected = _tuple(resolve(p) for p in cfg["protected_paths"])
    allowed_reads = _tuple([work] + [resolve(p) for p in cfg["allowed_read_paths"]])

    def inside(full, roots):
        for root in roots:
            if full == root or str_startswith(full, str_rstrip(root, "/") + "/"):
                return True
        return False

    def check_read(full):
        if str_startswith(full, "/proc/") and not inside(full, (own_proc,)):
            part = str_split(full, "/")[2]
            if part.isdigit() or part == "thread-self":
                raise violation(f"sandbox: reading other processes' /proc entries is not allowed: {full}")
        if inside(full, protected) and not inside(full, allowed_reads):
            raise violation(f"sandbox: reading {full} is not allowed")

    def check_write(full):
        if not inside(full, writable):
            raise violation(f"sandbox: writing outside the working directory is not allowed: {full}")

    def check_no_outside_directory(full):
        """A directory descriptor outside would let dir_fd and opener reach anywhere."""
        if inside(full, (work,)):
            return
        try:
            mode = stat_(full).st_mode
        except _OSError:
            return
        if is_dir(mode):
            raise violation(f"sandbox: opening directories outside the working directory is not allowed: {full}")

    def check_open(args):
        path = args[0]
        flags = args[2] if _len(args) > 2 and _type(args[2]) is _int else 0
        mode = args[1] if _len(args) > 1 and _type(args[1]) is _str else ""
        text = as_text(path)
        if text is None:
            return  # an fd that was already opened (and checked)
        full = resolve(text)
        if flags & write_flags or "w" in mode or "a" in mode or "x" in mode or "+" in mode:
            check_write(full)
        check_read(full)
        check_no_outside_directory(full)

    def check_symlink(args):
        target, link = args[0], args[1]
        text = as_text(target)
        if text is None or ".." in str_split(text, "/"):
            raise violation("sandbox: writing outside the working directory is not allowed: symlink targets may not use '..'")
        link_text = as_text(link)
        link_dir = target_of(link_text, args[2] if _len(args) > 2 else None).rsplit("/", 1)[0]
        check_write(resolve(text, link_dir))

    def check_sqlite(database):
        if not kernel_fs:  # SQL (ATTACH, VACUUM INTO) opens files in C, past this hook
            raise violation("sandbox: sqlite3 needs kernel file confinement (Landlock) on this platform")
        text = as_text(database)
        if text in (":memory:", "") or text is None:
            return
        if str_startswith(text, "file:"):
            text = str_split(str_split(text[5:], "?")[0], "#")[0]
        full = resolve(text)
        if not inside(full, (work,)):
            raise violation(f"sandbox: sqlite3 databases must lie inside the working directory: {full}")

    def hook(event, args):
        if event in forbidden:
            raise violation(f"sandbox: {event} is not allowed")
        if event == "open":
            check_open(args)
        elif event in write_events:
            for index, dir_index in write_events[event]:
                if index < _len(args):
                    dir_fd = args[dir_index] if dir_index is not None and dir_index < _len(args) else None
                    check_write(target_of(args[index], dir_fd))
            if event == "os.symlink":
                check_symlink(args)
        elif event in read_events:
            for index, _ in read_events[event]:
                if index < _len(args) and args[index] is not None:
                    full = target_of(args[index])
                    check_read(full)
        elif event == "os.kill":
            if args[0] != my_pid:
                raise violation("sandbox: sending signals to other processes is not allowed")
        elif event in network:
            if not allow_network:
                raise violation("sandbox: network access is not allowed")
        elif event == "import":
            name = args[0] if args else None
            if _type(name) is not _str:
                raise violation("sandbox: module names must be plain str")
            if name in blocked_imports:
                raise violation(f"sandbox: importing {name} is not allowed (foreign-function interface)")
            if name in blocked_reimports:
                raise violation(f"sandbox: importing {name} again is not allowed")
        elif event == "sqlite3.connect":
            check_sqlite(args[0] if args else None)
        elif event == "object.__getattr__":
            if _len(args) > 1 and _id(args[0]) in guarded_ids:
                raise violation("sandbox: the internals of the sandbox's guards are hidden")

    return hook
