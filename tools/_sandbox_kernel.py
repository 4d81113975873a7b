"""Kernel-enforced confinement for the python tool's child process (Linux), applied before the cell.

Loaded by `tools/_sandbox_child.py` by file path; standalone (stdlib and ctypes only, nothing of
this project).  `confine()` applies, each where the platform offers it, and reports which held:

- ``no_new_privs``: no privilege gain through exec (required by the next two).
- Landlock (Linux 5.13+): reads only below the given read roots, reads and writes only below the
  working directory, no execve of anything; with ABI 4+ no TCP connect or bind; with ABI 6+ no
  signals to processes outside the sandbox and no abstract unix sockets outside it.
- capabilities dropped: a root child keeps uid 0 but loses CAP_DAC_OVERRIDE, CAP_KILL, CAP_SYS_ADMIN...
- seccomp (x86_64): fork, vfork and non-thread clone, execve, ptrace, signals to other processes,
  pidfd, raising rlimits, mount/namespaces/modules/bpf/io_uring and, unless the network is allowed,
  any socket other than AF_UNIX fail with EPERM.

These hold even when code gets past the audit hook (native code, interpreter tricks): they are the
part of the sandbox that is a kernel boundary.  They do not hide files the read roots contain, nor
limit what the cell computes or prints (rlimits and the parent's supervision do that).
"""

import ctypes
import os
import platform

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
LANDLOCK_CREATE_RULESET, LANDLOCK_ADD_RULE, LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1

FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_ABI1_ALL = (1 << 13) - 1  # execute .. make_sym
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
READ_RIGHTS = FS_READ_FILE | FS_READ_DIR


class RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _fs_rights(abi):
    rights = FS_ABI1_ALL
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def landlock_abi(libc):
    abi = libc.syscall(LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), LANDLOCK_CREATE_RULESET_VERSION)
    return abi if abi > 0 else 0


def apply_landlock(libc, workdir, read_roots, rw_devices, allow_network):
    """Restrict this process with Landlock; returns the ABI used (0: not available)."""
    abi = landlock_abi(libc)
    if abi < 1:
        return 0
    handled = _fs_rights(abi)
    attr = RulesetAttr(handled_access_fs=handled)
    size = 8
    if abi >= 4:
        attr.handled_access_net = 0 if allow_network else NET_BIND_TCP | NET_CONNECT_TCP
        size = 16
    if abi >= 6:
        attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
        size = 24
    ruleset = libc.syscall(LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        return 0
    try:
        everything_but_exec = handled & ~FS_EXECUTE
        _add_path_rule(libc, ruleset, workdir, everything_but_exec)
        for path in read_roots:
            _add_path_rule(libc, ruleset, path, READ_RIGHTS)
        for path in rw_devices:
            _add_path_rule(libc, ruleset, path, FS_READ_FILE | FS_WRITE_FILE)
        if libc.syscall(LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
            return 0
    finally:
        os.close(ruleset)
    return abi


def _add_path_rule(libc, ruleset, path, rights):
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # absent on this system: nothing to allow
    try:
        if not os.path.isdir(path):
            rights &= FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV | FS_EXECUTE
        rule = PathBeneathAttr(allowed_access=rights, parent_fd=fd)
        libc.syscall(LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, ctypes.byref(rule), 0)
    finally:
        os.close(fd)


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities(libc):
    """Empty the effective, permitted and inheritable capability sets (a no-op for non-root)."""
    header = CapHeader(version=0x20080522, pid=0)
    data = (CapData * 2)()
    return libc.capset(ctypes.byref(header), data) == 0


# seccomp-bpf --------------------------------------------------------------------------------
X86_64 = 0xC000003E
NR = {"fork": 57, "vfork": 58, "clone": 56, "clone3": 435, "execve": 59, "execveat": 322, "kill": 62,
      "tkill": 200, "tgkill": 234, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297, "pidfd_open": 434,
      "pidfd_send_signal": 424, "pidfd_getfd": 438, "ptrace": 101, "process_vm_readv": 310,
      "process_vm_writev": 311, "socket": 41, "io_uring_setup": 425, "setrlimit": 160, "prlimit64": 302,
      "mount": 165, "umount2": 166, "unshare": 272, "setns": 308, "chroot": 161, "pivot_root": 155,
      "init_module": 175, "finit_module": 313, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
      "keyctl": 250, "add_key": 248, "request_key": 249, "kexec_load": 246, "reboot": 169,
      "personality": 135, "setsid": 112, "setpgid": 109, "capset": 126, "mount_setattr": 442,
      "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsmount": 432}
DENIED = ("fork", "vfork", "execve", "execveat", "tkill", "pidfd_open", "pidfd_send_signal", "pidfd_getfd",
          "ptrace", "process_vm_readv", "process_vm_writev", "io_uring_setup", "setrlimit", "mount",
          "umount2", "unshare", "setns", "chroot", "pivot_root", "init_module", "finit_module", "bpf",
          "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "kexec_load", "reboot",
          "personality", "setsid", "setpgid", "capset", "mount_setattr", "open_tree", "move_mount",
          "fsopen", "fsmount")
LD_W_ABS, JEQ_K, JSET_K, JGE_K, RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
RET_ALLOW, RET_KILL_PROCESS = 0x7FFF0000, 0x80000000
EPERM, ENOSYS = 1, 38
CLONE_THREAD, AF_UNIX = 0x10000, 1


def _ret_errno(errno):
    return 0x00050000 | errno


def _arg_low(i):
    return 16 + 8 * i  # seccomp_data.args[i], low 32 bits (little-endian)


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(SockFilter))]


def seccomp_program(pid, allow_network):
    """The BPF program as (code, jt, jf, k) tuples: a block per syscall, allow everything else."""
    prog = [(LD_W_ABS, 0, 0, 4), (JEQ_K, 1, 0, X86_64), (RET_K, 0, 0, RET_KILL_PROCESS)]

    def block(name, body):
        prog.append((LD_W_ABS, 0, 0, 0))
        prog.append((JEQ_K, 0, len(body), NR[name]))
        prog.extend(body)

    deny = [(RET_K, 0, 0, _ret_errno(EPERM))]
    allow_if_arg_equals = lambda i, value: [(LD_W_ABS, 0, 0, _arg_low(i)), (JEQ_K, 0, 1, value),
                                            (RET_K, 0, 0, RET_ALLOW), (RET_K, 0, 0, _ret_errno(EPERM))]
    prog.append((LD_W_ABS, 0, 0, 0))
    prog.append((JGE_K, 0, 1, 0x40000000))  # the x32 ABI: refuse all of it
    prog.append((RET_K, 0, 0, _ret_errno(EPERM)))
    for name in DENIED:
        block(name, deny)
    block("clone3", [(RET_K, 0, 0, _ret_errno(ENOSYS))])  # glibc then falls back to clone
    block("clone", [(LD_W_ABS, 0, 0, _arg_low(0)), (JSET_K, 0, 1, CLONE_THREAD),
                    (RET_K, 0, 0, RET_ALLOW), (RET_K, 0, 0, _ret_errno(EPERM))])
    for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        block(name, allow_if_arg_equals(0, pid))
    block("prlimit64", [(LD_W_ABS, 0, 0, _arg_low(2)), (JEQ_K, 0, 3, 0), (LD_W_ABS, 0, 0, _arg_low(2) + 4),
                        (JEQ_K, 0, 1, 0), (RET_K, 0, 0, RET_ALLOW), (RET_K, 0, 0, _ret_errno(EPERM))])
    if not allow_network:
        block("socket", allow_if_arg_equals(0, AF_UNIX))
    prog.append((RET_K, 0, 0, RET_ALLOW))
    return prog


def apply_seccomp(libc, allow_network):
    """Install the filter (needs no_new_privs); False where the platform is not x86_64 Linux."""
    if platform.machine() != "x86_64":
        return False
    prog = seccomp_program(os.getpid(), allow_network)
    filters = (SockFilter * len(prog))(*[SockFilter(*ins) for ins in prog])
    fprog = SockFprog(len(prog), filters)
    return libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0


def confine(workdir, read_roots, allow_network):
    """Apply every layer the platform offers; returns the names of those that hold."""
    if not os.uname().sysname == "Linux":
        return []
    libc = _libc()
    layers = []
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0:
        layers.append("no_new_privs")
    devices = [d for d in ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random") if os.path.exists(d)]
    abi = apply_landlock(libc, workdir, read_roots, devices, allow_network) if layers else 0
    if abi:
        layers.append(f"landlock-abi{abi}")
    if os.geteuid() == 0 and drop_capabilities(libc):
        layers.append("no-capabilities")
    if layers and apply_seccomp(libc, allow_network):
        layers.append("seccomp")
    return layers
