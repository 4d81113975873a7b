"""`lingxi mcp serve` end to end: the real command in its own process, driven by the MCP SDK's own
client over stdio and over streamable HTTP (one server per transport, shared by the module)."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx2
import pytest
from anyio.from_thread import start_blocking_portal
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
SERVE = [sys.executable, "-m", "agent_app.cli", "mcp", "serve"]
DEFAULT_TOOLS = {"calculator", "python", "web_search", "knowledge_base", "fetch_url"}
API_KEY = "sk-test-mcp-key"
SECRET = "sk-test-SECRET-in-lingxi-home"
WORD_COUNT_MODULE = '''
from tools import tool


@tool
def word_count(text: str) -> int:
    """Count the words in a text.

    Args:
        text: The text to count.
    """
    return len(text.split())
'''
NOTES = "# Launch notes\n\nThe launch code word is marmalade.\n\n" + " ".join(f"word{i}" for i in range(400)) + "\n"


def server_env(home: Path) -> dict[str, str]:
    """This environment without LINGXI_* settings (a developer's LINGXI_PORT or LINGXI_TOOLS), and
    the test's own home."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LINGXI_")}
    return env | {"LINGXI_HOME": str(home)}


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content)


@contextmanager
def connected(transport) -> Iterator[tuple]:
    """An MCP client session on ``transport``, usable from synchronous tests: yields
    ``(call, client)`` where ``call(client.method, *args)`` runs it on the session's event loop."""
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(
            Client(transport, read_timeout_seconds=60)) as client:
        yield portal.call, client


@asynccontextmanager
async def stdio_transport(home: Path, *args: str) -> AsyncIterator:
    """`lingxi mcp serve ARGS` started by the SDK's stdio client; its stderr goes to home/server.log."""
    params = StdioServerParameters(command=SERVE[0], args=[*SERVE[1:], *args], env=server_env(home), cwd=str(ROOT))
    with open(home / "server.log", "a", encoding="utf-8") as errlog:
        async with stdio_client(params, errlog=errlog) as streams:
            yield streams


@asynccontextmanager
async def http_transport(url: str, key: str | None) -> AsyncIterator:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            yield streams


# ------------------------------------------------------------------------------------------ stdio

@pytest.fixture(scope="module")
def stdio_home(tmp_path_factory) -> Path:
    """A home with one ingested document and a secret that the python tool must not read."""
    from tools import KnowledgeBase

    home = tmp_path_factory.mktemp("mcp-stdio-home")
    notes = tmp_path_factory.mktemp("docs") / "launch_notes.md"
    notes.write_text(NOTES, encoding="utf-8")
    KnowledgeBase(home / "knowledge").ingest(notes)
    (home / "secrets").mkdir()
    (home / "secrets" / "api_key.txt").write_text(SECRET, encoding="utf-8")
    return home


@pytest.fixture(scope="module")
def stdio(stdio_home):
    with connected(stdio_transport(stdio_home)) as session:
        yield session


def test_stdio_lists_the_default_tools_with_their_schemas(stdio):
    call, client = stdio
    tools = {tool.name: tool for tool in call(client.list_tools).tools}
    assert set(tools) == DEFAULT_TOOLS
    calculator = tools["calculator"].input_schema
    assert calculator["type"] == "object" and calculator["required"] == ["expression"]
    assert tools["python"].description


def test_stdio_calls_the_calculator(stdio):
    call, client = stdio
    result = call(client.call_tool, "calculator", {"expression": "17 * 23"})
    assert not result.is_error and text_of(result) == "391"


def test_hostile_python_is_refused_and_the_server_answers_the_next_call(stdio, stdio_home):
    call, client = stdio
    spawn = call(client.call_tool, "python", {"code": "import subprocess\nsubprocess.run(['id'])"})
    assert spawn.is_error and "not allowed" in text_of(spawn)
    secret_file = stdio_home / "secrets" / "api_key.txt"
    steal = call(client.call_tool, "python", {"code": f"print(open({str(secret_file)!r}).read())"})
    assert steal.is_error and SECRET not in text_of(steal)
    assert re.search(r"not allowed|Permission denied|PermissionError|SandboxViolation", text_of(steal))
    assert text_of(call(client.call_tool, "calculator", {"expression": "2 ** 10"})) == "1024"


def test_bad_arguments_and_unknown_tools_are_error_results(stdio):
    call, client = stdio
    wrong = call(client.call_tool, "calculator", {"expr": "1 + 1"})
    assert wrong.is_error and "expression" in text_of(wrong)
    hidden = call(client.call_tool, "ocr", {"image": "x.png"})  # registered, but not offered
    assert hidden.is_error and "unknown tool 'ocr'" in text_of(hidden)
    assert not call(client.call_tool, "calculator", {"expression": "1 + 1"}).is_error


def test_knowledge_base_documents_are_resources(stdio):
    call, client = stdio
    resources = call(client.list_resources).resources
    assert [resource.name for resource in resources] == ["launch_notes.md"]
    document = call(client.read_resource, resources[0].uri).contents[0]
    assert document.mime_type == "text/markdown" and document.text == NOTES.strip()  # chunks joined, overlaps once
    with pytest.raises(Exception, match="no such document"):
        call(client.read_resource, "lingxi://knowledge/missing.md")


def test_tools_option_offers_only_the_named_tools(tmp_path):
    with connected(stdio_transport(tmp_path, "--tools", "calculator")) as (call, client):
        assert [tool.name for tool in call(client.list_tools).tools] == ["calculator"]
        assert client.server_capabilities.resources is None  # no knowledge_base tool, no documents
        refused = call(client.call_tool, "python", {"code": "1"})
        assert refused.is_error and "available tools: calculator" in text_of(refused)


# ------------------------------------------------------------------------------------------- http

@pytest.fixture(scope="module")
def http_url(tmp_path_factory) -> Iterator[str]:
    """`lingxi mcp serve --transport http --api-key ... --tools-module word_count.py` on a free port."""
    home = tmp_path_factory.mktemp("mcp-http-home")
    module = home / "word_tools.py"
    module.write_text(WORD_COUNT_MODULE, encoding="utf-8")
    port = free_port()
    log = open(home / "server.log", "w+", encoding="utf-8")  # noqa: SIM115
    process = subprocess.Popen([*SERVE, "--transport", "http", "--port", str(port), "--api-key", API_KEY,
                                "--tools-module", str(module)], cwd=ROOT, env=server_env(home),
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def wait_for_port(port: int, process: subprocess.Popen, log, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the MCP server exited with {process.returncode}:\n{log.read()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the MCP server did not start listening")


@pytest.mark.parametrize("key", [None, "sk-wrong"])
def test_http_refuses_a_missing_or_wrong_key(http_url, key):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    response = httpx2.post(http_url, json=request, headers={**headers, "Accept": "application/json, text/event-stream"})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
    with pytest.raises(Exception), connected(http_transport(http_url, key)):  # noqa: B017 (the SDK wraps the 401)
        pass


def test_http_with_the_key_offers_the_module_tools_beside_the_defaults(http_url):
    with connected(http_transport(http_url, API_KEY)) as (call, client):
        names = [tool.name for tool in call(client.list_tools).tools]
        assert set(names) == DEFAULT_TOOLS | {"word_count"}
        counted = call(client.call_tool, "word_count", {"text": "one two three"})
        assert not counted.is_error and text_of(counted) == "3"
        assert text_of(call(client.call_tool, "calculator", {"expression": "17 * 23"})) == "391"
        assert call(client.call_tool, "word_count", {"text": 5}).is_error


def test_lingxis_own_mcp_client_uses_it_by_url_with_headers(http_url, tmp_path):
    """The other direction over HTTP: an mcp.json entry with "url" and "headers" (Lingxi as client)."""
    from tools import ToolRegistry
    from tools.mcp_client import MCPServerEntry, MCPServers

    registry = ToolRegistry()
    servers = MCPServers(registry)
    try:
        good = servers.add("lingxi", MCPServerEntry(url=http_url, headers={"Authorization": f"Bearer {API_KEY}"}))
        assert good.status == "connected" and "word_count" in registry.names()
        assert "3" in registry.call("word_count", {"text": "one two three"}).content
        wrong = servers.add("wrong", MCPServerEntry(url=http_url, headers={"Authorization": "Bearer sk-wrong"}))
        assert wrong.status == "failed" and wrong.error
    finally:
        servers.close()


def test_http_rejects_a_foreign_host_header(http_url):
    response = httpx2.post(http_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                           headers={"Authorization": f"Bearer {API_KEY}", "Host": "attacker.example"})
    assert response.status_code == 421  # the SDK's DNS-rebinding protection on a loopback bind


# ----------------------------------------------------------------------------- start-up failures

@pytest.mark.parametrize("args, message", [
    (["--tools-module", "{tmp}/missing.py"], "no such file"),
    (["--tools-module", "{tmp}/broken.py"], "failed to import: ZeroDivisionError"),
    (["--tools", "calculator,teleport"], "unknown tool 'teleport'; available tools: calculator, python"),
])
def test_bad_tool_sources_stop_start_up_with_one_clear_line(tmp_path, args, message):
    (tmp_path / "broken.py").write_text("1 / 0\n", encoding="utf-8")
    result = subprocess.run([*SERVE, *(arg.format(tmp=tmp_path) for arg in args)], cwd=ROOT,
                            env=server_env(tmp_path), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""  # stdout is the protocol in stdio mode
