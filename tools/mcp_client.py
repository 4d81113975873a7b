"""Other programs' tools: MCP servers as a tool source, through the official `mcp` SDK.

``$LINGXI_HOME/mcp.json`` lists the servers in the shape Claude Desktop and Cursor use::

    {"mcpServers": {
        "files":  {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]},
        "remote": {"url": "http://127.0.0.1:8000/mcp", "headers": {"Authorization": "Bearer KEY"}}
    }}

Lingxi's own keys, all optional: ``timeout`` (seconds a call may take, 30), ``startup_timeout``
(seconds to connect, 20), ``disabled`` (true: skip the entry), ``cwd`` for a command.

Each server gets an `MCPConnection`: a daemon thread with its own event loop holds the SDK's
session open; tools call into it from any thread. Every remote tool becomes an `MCPTool` in the
same registry as the built-ins: the registry validates its arguments against the server's schema,
enforces its timeout and renders its result as quoted external content, defused like any web page.
A server that cannot start, dies or hangs never raises out of here: its status says why, and a
call to one of its tools gives the model an ``Error: ...`` observation. A server that died is
started again at the next call to one of its tools.
"""
from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tools.base import ExternalContent, Tool
from tools.errors import ToolDefinitionError, ToolExecutionError, ToolSourceError, ToolTimeoutError, \
    ToolUnavailableError
from tools.workspace import current_workspace

logger = logging.getLogger(__name__)

CONFIG_NAME = "mcp.json"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")
_STDERR_TAIL_CHARS = 600


class MCPServerEntry(BaseModel):
    """One entry of ``mcpServers``: a command to launch (stdio) or a URL (streamable HTTP)."""

    model_config = ConfigDict(extra="ignore")

    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float = Field(30.0, gt=0, le=3600, description="seconds one call may take")
    startup_timeout: float = Field(20.0, gt=0, le=600, description="seconds to start and list the tools")
    disabled: bool = False

    @model_validator(mode="after")
    def _command_or_url(self) -> MCPServerEntry:
        if bool(self.command) == bool(self.url):
            raise ValueError('give either "command" (a program to launch) or "url" (an HTTP endpoint)')
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ValueError(f'"url" must start with http:// or https://, got {self.url!r}')
        return self

    def describe(self) -> str:
        """The entry in one line, secrets left out (headers and env values are not shown)."""
        return self.url if self.url else " ".join([self.command or "", *self.args])


@dataclass
class MCPConfig:
    """What a config file holds: the usable entries, and why each unusable one is not."""

    servers: dict[str, MCPServerEntry] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def config_path(home: Path) -> Path:
    """Where the app, `lingxi serve` and `lingxi chat --agent` look for MCP servers."""
    return Path(home) / CONFIG_NAME


def read_mcp_config(path: str | Path) -> MCPConfig:
    """Read ``mcpServers`` from ``path``; a missing file means no servers.

    A file that is not JSON, or not this shape, raises ToolSourceError (with the line and column);
    one bad entry only puts that entry in ``problems``, so the others still load.
    """
    raw = _read_raw(Path(path))
    config = MCPConfig()
    for name, value in raw.get("mcpServers", {}).items():
        try:
            entry = MCPServerEntry.model_validate(value)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(step) for step in problem["loc"])
            config.problems[name] = f"{where + ': ' if where else ''}{problem['msg']}"
            continue
        if not entry.disabled:
            config.servers[name] = entry
    return config


def add_mcp_server(path: str | Path, name: str, entry: dict) -> MCPServerEntry:
    """Add (or replace) the entry ``name`` in the config file, keeping everything else in it."""
    if not name or _UNSAFE_NAME.search(name):
        raise ToolSourceError(f"MCP server name {name!r}: use letters, digits, '_' and '-'")
    try:
        checked = MCPServerEntry.model_validate(entry)
    except ValidationError as exc:
        raise ToolSourceError(f"MCP server {name!r}: {exc.errors()[0]['msg']}") from None
    raw = _read_raw(Path(path))
    raw.setdefault("mcpServers", {})[name] = entry
    _write_raw(Path(path), raw)
    return checked


def remove_mcp_server(path: str | Path, name: str) -> bool:
    """Remove the entry ``name`` from the config file; False when there was none."""
    raw = _read_raw(Path(path))
    if name not in raw.get("mcpServers", {}):
        return False
    del raw["mcpServers"][name]
    _write_raw(Path(path), raw)
    return True


def _read_raw(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8") or "{}")
    except json.JSONDecodeError as exc:
        raise ToolSourceError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolSourceError(f"{path}: cannot be read: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("mcpServers", {}), dict):
        raise ToolSourceError(f'{path}: expected {{"mcpServers": {{"name": {{"command": ...}}}}}}')
    return raw


def _write_raw(path: Path, raw: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".mcp-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(raw, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    os.replace(temporary, path)


@dataclass
class _Session:
    """One connection's live state: its event loop (in its own thread), the SDK client, and the
    calls in flight. A restart makes a new one, so an old session ending never touches the new."""

    loop: asyncio.AbstractEventLoop
    stop: asyncio.Event | None = None
    client: Any = None
    calls: set = field(default_factory=set)


class MCPConnection:
    """One MCP server, kept connected by a daemon thread with its own event loop.

    ``status`` is "connecting", "connected", "failed" (``error`` says why) or "closed".
    """

    def __init__(self, name: str, entry: MCPServerEntry, on_connected: Callable[[MCPConnection], None] | None = None,
                 logs: Path | None = None) -> None:
        self.name = name
        self.entry = entry
        self.status = "connecting"
        self.error = ""
        self.remote_tools: list[Any] = []  # mcp_types.Tool, as the server listed them
        self._on_connected = on_connected
        self._logs = logs
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._session: _Session | None = None

    def start(self) -> None:
        """Connect in the background; `wait` blocks until connected or failed."""
        with self._lock:
            self._ready.clear()
            self.status, self.error = "connecting", ""
            session = _Session(asyncio.new_event_loop())
            self._session = session
            threading.Thread(target=self._run, args=(session,), name=f"mcp-{self.name}", daemon=True).start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the outcome of `start`: True when connected."""
        self._ready.wait(self.entry.startup_timeout if timeout is None else timeout)
        return self.status == "connected"

    def call(self, tool_name: str, arguments: dict, timeout: float) -> Any:
        """Call a tool on the server and return its ``CallToolResult``; start the server again
        first if it died. Raises ToolUnavailableError (not connected, or the connection broke),
        ToolTimeoutError, or ToolExecutionError (the server refused the request)."""
        if self.status == "failed":
            logger.info("MCP server %s: starting it again (%s)", self.name, self.error)
            self.start()
            self.wait()
        session = self._session
        if self.status != "connected" or session is None or session.client is None:
            raise ToolUnavailableError(f"MCP server {self.name!r} is not connected: {self.error or self.status}")
        future = asyncio.run_coroutine_threadsafe(self._call(session, tool_name, arguments, timeout), session.loop)
        try:
            return future.result(timeout)
        except (concurrent.futures.TimeoutError, TimeoutError):
            future.cancel()
            raise self._timeout(tool_name, timeout) from None
        except concurrent.futures.CancelledError:
            raise ToolUnavailableError(f"MCP server {self.name!r} stopped during the call: "
                                       f"{self.error or 'connection closed'}") from None
        except Exception as exc:  # the protocol's errors: the model reads them
            raise self._protocol_error(exc, session, tool_name, timeout) from None

    def close(self) -> None:
        """Stop the session (and the server's process, for a command)."""
        self.status = "closed"
        self._end(self._session)

    def _timeout(self, tool_name: str, timeout: float) -> ToolTimeoutError:
        return ToolTimeoutError(f"MCP server {self.name!r}: tool {tool_name!r} gave no answer within {timeout:g} s")

    def _protocol_error(self, exc: Exception, session: _Session, tool_name: str, timeout: float) -> Exception:
        from mcp import MCPError
        from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        code = exc.code if isinstance(exc, MCPError) else None
        if code == REQUEST_TIMEOUT:
            return self._timeout(tool_name, timeout)
        if isinstance(exc, MCPError) and code != CONNECTION_CLOSED:
            return ToolExecutionError(f"MCP server {self.name!r} refused the call: {exc.error.message}")
        # The connection broke (the process died, the stream closed): the next call starts it again.
        with self._lock:
            if self._session is session and self.status == "connected":
                self.status, self.error = "failed", _describe(exc)
        self._end(session)
        return ToolUnavailableError(f"MCP server {self.name!r} stopped during the call: {_describe(exc)}")

    @staticmethod
    def _end(session: _Session | None) -> None:
        if session is not None and session.stop is not None and not session.loop.is_closed():
            try:
                session.loop.call_soon_threadsafe(session.stop.set)
            except RuntimeError:  # the loop closed meanwhile
                pass

    @staticmethod
    async def _call(session: _Session, tool_name: str, arguments: dict, timeout: float) -> Any:
        task = asyncio.current_task()
        session.calls.add(task)
        try:
            return await session.client.call_tool(tool_name, arguments, read_timeout_seconds=timeout)
        finally:
            session.calls.discard(task)

    def _run(self, session: _Session) -> None:
        asyncio.set_event_loop(session.loop)
        try:
            session.loop.run_until_complete(self._serve(session))
        finally:
            session.loop.close()

    async def _serve(self, session: _Session) -> None:
        from mcp import Client

        session.stop = asyncio.Event()
        errlog = self._stderr_file()
        try:
            async with Client(self._transport(errlog), read_timeout_seconds=self.entry.timeout) as client:
                listed = await asyncio.wait_for(client.list_tools(), self.entry.startup_timeout)
                if self.status == "closed" or self._session is not session:
                    return
                with self._lock:
                    if self._session is not session:
                        return
                    self.remote_tools, session.client = list(listed.tools), client
                    self.status = "connected"
                logger.info("MCP server %s: connected, %d tools", self.name, len(self.remote_tools))
                if self._on_connected:
                    self._on_connected(self)  # registered before anyone waiting hears it is connected
                self._ready.set()
                await session.stop.wait()
        except BaseException as exc:  # noqa: BLE001 - any failure is this server's status, never the app's
            failure = self._failure(exc, errlog)
            with self._lock:  # a restart may have replaced this session meanwhile: then it is not ours to report
                if self._session is session and self.status != "closed":
                    self.status, self.error = "failed", failure
                    logger.warning("MCP server %s failed: %s", self.name, self.error)
            if not isinstance(exc, Exception):
                raise
        finally:
            session.client = None
            for task in list(session.calls):
                task.cancel()
            with self._lock:
                if self._session is session:
                    if self.status == "connected":
                        self.status, self.error = "failed", "the server closed the connection"
                    self._ready.set()
            if errlog is not None:
                errlog.close()

    def _transport(self, errlog: Any) -> Any:
        if self.entry.url:
            import httpx2
            from mcp.client.streamable_http import streamable_http_client

            http = httpx2.AsyncClient(headers=self.entry.headers, timeout=self.entry.timeout)
            return streamable_http_client(self.entry.url, http_client=http)
        from mcp.client.stdio import StdioServerParameters, stdio_client

        parameters = StdioServerParameters(command=self.entry.command, args=self.entry.args,
                                           env=self.entry.env or None, cwd=self.entry.cwd)
        return stdio_client(parameters, errlog=errlog)

    def _stderr_file(self) -> Any:
        """A command's stderr goes to ``<logs>/mcp-<name>.log``: its last lines explain a failure."""
        if self.entry.url or self._logs is None:
            return None
        self._logs.mkdir(parents=True, exist_ok=True)
        return open(self._logs / f"mcp-{self.name}.log", "w+", encoding="utf-8", errors="replace")

    def _failure(self, exc: BaseException, errlog: Any) -> str:
        if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
            message = f"no answer within {self.entry.startup_timeout:g} s"
        else:
            message = _describe(exc)
        tail = _tail(errlog)
        return f"{message}{' — stderr: ' + tail if tail else ''}"


def _describe(exc: BaseException) -> str:
    """The innermost useful message of an exception (anyio raises groups of them)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _tail(errlog: Any) -> str:
    if errlog is None or errlog.closed:
        return ""
    try:
        errlog.flush()
        errlog.seek(0)
        text = errlog.read()
    except (OSError, ValueError):
        return ""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-3:])[-_STDERR_TAIL_CHARS:]


class MCPTool(Tool):
    """A tool of an MCP server, called through its `MCPConnection`."""

    def __init__(self, connection: MCPConnection, remote: Any, name: str) -> None:
        self.connection = connection
        self.remote_name = remote.name
        self.server = connection.name
        description = (remote.description or remote.title or remote.name).strip()
        super().__init__(name=name, description=description, parameters=dict(remote.input_schema),
                         timeout=connection.entry.timeout)

    def forward(self, **arguments: Any) -> ExternalContent:
        result = self.connection.call(self.remote_name, arguments, self.timeout)
        text = result_text(result, self.name)
        if result.is_error:
            raise ToolExecutionError(f"MCP server {self.server!r}: {text}")
        return ExternalContent(source=f"MCP server {self.server}", text=text)


def result_text(result: Any, tool_name: str) -> str:
    """What a ``CallToolResult`` says, as text: text parts as they are, images and audio saved to
    the conversation's workspace (the model gets the file name, never the bytes)."""
    parts: list[str] = []
    for block in result.content or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind in ("image", "audio"):
            parts.append(_save_media(block, tool_name))
        elif kind == "resource":
            resource = block.resource
            parts.append(getattr(resource, "text", None) or f"[binary resource {resource.uri}]")
        elif kind == "resource_link":
            parts.append(f"[resource {block.uri}]")
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(parts) if parts else "(no output)"


def _save_media(block: Any, tool_name: str) -> str:
    suffix = "." + block.mime_type.split("/")[-1].split(";")[0].replace("jpeg", "jpg")[:8]
    try:
        data = base64.b64decode(block.data, validate=True)
    except ValueError:
        return f"[{block.type} ({block.mime_type}) that is not valid base64: left out]"
    path = current_workspace().new_file(f"{tool_name}-{block.type}", _UNSAFE_NAME.sub("", suffix) or ".bin")
    path.write_bytes(data)
    return f"[{block.type} saved as {path.name}]"


@dataclass
class MCPServerStatus:
    """What the UI and the logs show about one configured server."""

    name: str
    status: str  # connecting | connected | failed | closed | invalid
    error: str
    tools: list[str]
    target: str


class MCPServers:
    """The configured MCP servers of one app: connections, and their tools in a registry.

    Tools are registered when their server connects (at start-up, or later for a slow server);
    a name that is already taken gets the server's name as a prefix (``files_read_file``).
    """

    def __init__(self, registry: Any, logs: Path | None = None) -> None:
        self.registry = registry
        self.logs = logs
        self.connections: dict[str, MCPConnection] = {}
        self.problems: dict[str, str] = {}
        self._tool_names: dict[str, list[str]] = {}
        self._holding = False
        self._lock = threading.Lock()

    def connect(self, config: MCPConfig, wait: float | None = None) -> None:
        """Start every server of ``config`` at once and wait for them together: at most ``wait``
        seconds (default: the longest ``startup_timeout``). Slower servers join when they connect."""
        self.problems.update(config.problems)
        for name, problem in config.problems.items():
            logger.warning("MCP server %s skipped: %s", name, problem)
        with self._lock:
            self._holding = True  # register in config order once all have had their chance
        started = [self.add(name, entry, wait=0) for name, entry in config.servers.items()]
        longest = wait if wait is not None else max((c.entry.startup_timeout for c in started), default=0)
        deadline = time.monotonic() + longest
        for connection in started:
            connection.wait(max(0.0, deadline - time.monotonic()))
        with self._lock:
            self._holding = False
        for connection in started:
            if connection.status == "connected" and connection.name not in self._tool_names:
                self._register(connection)

    def add(self, name: str, entry: MCPServerEntry, wait: float | None = None) -> MCPConnection:
        """Connect one more server (replacing one of the same name); wait for it unless ``wait=0``."""
        self.remove(name)
        self.problems.pop(name, None)
        connection = MCPConnection(name, entry, on_connected=self._register, logs=self.logs)
        self.connections[name] = connection
        connection.start()
        if wait != 0:
            connection.wait(wait)
        return connection

    def remove(self, name: str) -> bool:
        """Disconnect a server and take its tools out of the registry."""
        connection = self.connections.pop(name, None)
        with self._lock:
            for tool_name in self._tool_names.pop(name, []):
                self.registry.unregister(tool_name)
        if connection is not None:
            connection.close()
        return connection is not None

    def close(self) -> None:
        """Disconnect every server (their processes end)."""
        for name in list(self.connections):
            self.remove(name)

    def statuses(self) -> list[MCPServerStatus]:
        """Every configured server, in config order, with its status and the names its tools have here."""
        rows = [MCPServerStatus(name, c.status, c.error, list(self._tool_names.get(name, [])), c.entry.describe())
                for name, c in self.connections.items()]
        rows += [MCPServerStatus(name, "invalid", problem, [], "") for name, problem in self.problems.items()]
        return rows

    def tool_names(self) -> list[str]:
        """The registry names of every MCP tool now registered."""
        with self._lock:
            return [name for names in self._tool_names.values() for name in names]

    def _register(self, connection: MCPConnection) -> None:
        """Put a connected server's tools in the registry (again, after a restart)."""
        with self._lock:
            if self._holding or self.connections.get(connection.name) is not connection:
                return  # `connect` registers it when all servers have started; or it was removed
            for tool_name in self._tool_names.pop(connection.name, []):
                self.registry.unregister(tool_name)
            names = []
            for remote in connection.remote_tools:
                name = self._free_name(connection.name, remote.name)
                try:
                    self.registry.register(MCPTool(connection, remote, name))
                except (ToolDefinitionError, ValueError) as exc:
                    logger.warning("MCP server %s: tool %r left out: %s", connection.name, remote.name, exc)
                    continue
                names.append(name)
            self._tool_names[connection.name] = names

    def _free_name(self, server: str, remote_name: str) -> str:
        name = _UNSAFE_NAME.sub("_", remote_name)[:64] or "tool"
        if name not in self.registry:
            return name
        prefixed = f"{_UNSAFE_NAME.sub('_', server)}_{name}"[:64]
        for number in range(2, 1000):
            if prefixed not in self.registry:
                return prefixed
            prefixed = f"{server}_{name}"[:60] + f"_{number}"
        raise ToolDefinitionError(f"no free name for MCP tool {remote_name!r} of server {server!r}")
