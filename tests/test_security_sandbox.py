"""The python tool against a corpus of hostile cells (tests/hostile/*.py).

Each snippet starts with a header: ``# category: ...``, ``# expect: a, b`` (the outcomes accepted)
and optionally ``# requires: module``.  Every one runs through the real tool, as the agent calls it
(`ToolRegistry.call`), with a fake API key in the server's environment, a secret file and a
conversation store in $LINGXI_HOME, a watched directory with a canary file and a loopback listener.
Platform notes: RLIMIT_NPROC does not bind root (fork bombs are stopped by the audit hook and, on
x86_64 Linux, seccomp); whether an infinite loop ends on the CPU limit or the wall clock depends on
the load, so ``timeout`` accepts both; Landlock (Linux 5.13+) turns many refusals into a plain
PermissionError, which counts as refused as well.
"""

from __future__ import annotations

import collections
import importlib.util
import json
import os
import re
import socket
import urllib.request
from pathlib import Path

import pytest

from tools import PythonTool, SandboxLimits, ToolRegistry

CORPUS = sorted((Path(__file__).parent / "hostile").glob("*.py"))
LIMITS = SandboxLimits(wall_seconds=4, cpu_seconds=1, memory_mb=160, kill_output_bytes=1_000_000)
SECRETS = ("sk-test-SECRET-123", "sk-test-SECRET-FILE-456", "sk-test-SECRET-STORE-789")
SHADOW_LINE = re.compile(r"\broot:[^:\s]*:\d+:")
OUTCOMES = {
    "refused": r"not allowed|Permission denied|Operation not permitted|PermissionError|SandboxViolation",
    "memory": r"MemoryError|Cannot allocate memory|out of memory",
    "timeout": r"timed out after \d+(\.\d+)? s|CPU time limit exceeded",
    "output": r"output limit exceeded|truncated",
    "error": r"status: the code raised \w+(Error|Exception)",
    "crash": r"crashed|killed by signal|\(SIGKILL",
}
MEASURED: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)


def header(path: Path) -> dict[str, str]:
    fields = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line[1:].strip().partition(":")
        if sep and key in ("category", "expect", "requires"):
            fields[key] = value.strip()
    return fields


@pytest.fixture
def server_side(tmp_path, monkeypatch, lingxi_home):
    """What the server holds that a cell must not reach or change."""
    from agent_app.store import ConversationStore

    monkeypatch.setenv("LINGXI_API_KEY", SECRETS[0])
    (lingxi_home / "secrets").mkdir(parents=True)
    secret_file = lingxi_home / "secrets" / "api_key.txt"
    secret_file.write_text(SECRETS[1])
    store = ConversationStore.in_home(lingxi_home)
    session = store.create("secret chat")
    store.append(session, {"role": "user", "content": SECRETS[2]})
    watched = tmp_path / "watched"
    watched.mkdir()
    canary = watched / "canary.txt"
    canary.write_text("canary")
    canary.chmod(0o644)
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen()
    tcp.setblocking(False)
    port = tcp.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    udp.setblocking(False)
    yield {"__WATCH_DIR__": str(watched), "__CANARY__": str(canary), "__SECRET_FILE__": str(secret_file),
           "__STORE__": str(store.path),
           "__LINGXI_HOME__": str(lingxi_home), "__PORT__": str(port), "tcp": tcp, "udp": udp,
           "canary_stat": canary.stat()}
    tcp.close()
    udp.close()


def received_anything(sock: socket.socket, datagram: bool) -> bool:
    try:
        sock.recvfrom(100) if datagram else sock.accept()
    except BlockingIOError:
        return False
    return True


@pytest.fixture(scope="module")
def registry() -> ToolRegistry:
    return ToolRegistry([PythonTool(LIMITS)])


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_hostile_cell_is_stopped_or_confined(path, registry, server_side):
    fields = header(path)
    expected = [e.strip() for e in fields["expect"].split(",")]
    if fields.get("requires") and importlib.util.find_spec(fields["requires"]) is None:
        pytest.skip(f"{fields['requires']} is not installed")
    code = path.read_text(encoding="utf-8")
    for placeholder, value in server_side.items():
        if placeholder.startswith("__"):
            code = code.replace(placeholder, value)

    result = registry.call("python", {"code": code})  # (a) never raises: an observation

    text = result.content
    matched = [e for e in expected if (e == "confined" and result.ok) or (e != "confined" and re.search(OUTCOMES[e], text))]
    assert matched, f"{path.name}: expected {expected}, got:\n{text[:1500]}"  # (b) it says what happened
    MEASURED[fields["category"]][matched[0]] += 1
    for secret in SECRETS:  # (c) nothing of the server's leaks
        assert secret not in text, f"{path.name} leaked {secret}"
    assert not SHADOW_LINE.search(text), f"{path.name} leaked /etc/shadow"
    watched = Path(server_side["__WATCH_DIR__"])  # (d) nothing changed outside the cell's directory
    canary = Path(server_side["__CANARY__"])
    assert sorted(os.listdir(watched)) == ["canary.txt"]
    after, before = canary.stat(), server_side["canary_stat"]
    assert canary.read_text() == "canary"
    assert (after.st_mode, after.st_mtime_ns, after.st_nlink, after.st_uid) == (
        before.st_mode, before.st_mtime_ns, before.st_nlink, before.st_uid)
    assert not received_anything(server_side["tcp"], datagram=False), "a TCP connection reached the server"
    assert not received_anything(server_side["udp"], datagram=True), "a datagram reached the server"
    normal = registry.call("python", {"code": "print(1 + 1)"})  # (e) the tool still works
    assert normal.ok and normal.content == "stdout:\n2"


def test_the_corpus_covers_every_category():
    categories = collections.Counter(header(p)["category"] for p in CORPUS)
    assert len(CORPUS) >= 45
    for needed in ("infinite loop", "busy CPU", "fork bomb", "thread bomb", "memory bomb", "huge output",
                   "deep recursion", "write outside", "read environment", "read files", "network",
                   "signals", "ctypes", "spawning shells", "import tricks", "builtins patching",
                   "sys.modules tampering", "gc hunting"):
        assert categories[needed] >= 1, needed


def test_kernel_layers_are_reported_where_the_platform_has_them():
    """Which kernel layers hold depends on the platform; on x86_64 Linux seccomp must."""
    from tools import run_python

    run = run_python("1", LIMITS)
    assert run.ok
    if os.uname().sysname == "Linux" and os.uname().machine == "x86_64":
        assert "no_new_privs" in run.layers and "seccomp" in run.layers, run.layers
    print("kernel layers on this platform:", run.layers)


SERVER_LIMITS = SandboxLimits(wall_seconds=6, cpu_seconds=2, memory_mb=160)  # a busy server: more slack
WORST = ["fork_bomb_os_fork", "memory_list_append", "signal_kill_parent", "loop_while_true", "signal_kill_everything"]


def test_worst_cells_through_the_agent_endpoint_keep_the_server_answering(tmp_path):
    from agent_app.server.app import create_app
    from agent_app.settings import ServerOptions
    from agent_app.store import ConversationStore
    from model.scripted import ScriptedEngine
    from tests.conftest import live_server

    engine = ScriptedEngine()
    app = create_app(engine, ServerOptions(), registry=ToolRegistry([PythonTool(SERVER_LIMITS)]),
                     store=ConversationStore(tmp_path / "c.sqlite3"))
    with live_server(app) as url:
        for name in WORST:
            path = Path(__file__).parent / "hostile" / f"{name}.py"
            call = json.dumps({"name": "python", "arguments": {"code": path.read_text(encoding="utf-8")}})
            engine.enqueue(f"<tool_call>\n{call}\n</tool_call>", "Done.")
            request = urllib.request.Request(f"{url}/v1/agent/chat", data=json.dumps({"message": name}).encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                body = json.loads(response.read())
            result = next(s for s in body["steps"] if s["type"] == "tool_result")
            expected = [e.strip() for e in header(path)["expect"].split(",")]
            assert any(re.search(OUTCOMES[e], result["content"]) for e in expected), (name, result["content"][:800])
            assert body["answer"] == "Done."
            with urllib.request.urlopen(f"{url}/health", timeout=5) as health:
                assert json.loads(health.read())["status"] == "ok"


def test_zz_summary(capsys):
    """Prints what this run measured, category by category (pasted into docs/security.md)."""
    total = sum(sum(c.values()) for c in MEASURED.values())
    if not total:
        pytest.skip("run together with the corpus test")
    with capsys.disabled():
        print(f"\n{total} of {len(CORPUS)} snippets contained")
        for category in sorted(MEASURED):
            counts = ", ".join(f"{k} {v}" for k, v in sorted(MEASURED[category].items()))
            print(f"  {category}: {sum(MEASURED[category].values())} ({counts})")
