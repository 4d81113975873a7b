"""Lingxi's tools as an MCP server (Model Context Protocol): ``lingxi mcp serve``.

Any MCP client (Claude Desktop, Cursor, an agent of your own) can call the registry's tools with
the same schemas, argument validation, observation limits, timeouts and python sandbox as
Lingxi's own agent; the knowledge base's ingested documents are offered as resources.

    lingxi mcp serve                                   # stdio: the client starts it
    lingxi mcp serve --tools calculator,python         # only these tools
    lingxi mcp serve --tools-module my_tools.py        # also your @tool functions
    lingxi mcp serve --transport http --port 7862 --api-key KEY
                                                       # streamable HTTP at http://127.0.0.1:7862/mcp

Claude Desktop (claude_desktop_config.json) or Cursor (.cursor/mcp.json), stdio:

    {"mcpServers": {"lingxi": {"command": "lingxi", "args": ["mcp", "serve"]}}}

Over HTTP, a client sends ``Authorization: Bearer KEY`` when the server has ``--api-key``; the
server binds 127.0.0.1 unless told otherwise, and then accepts only loopback Host and Origin
headers (the SDK's DNS-rebinding protection).  In stdio mode standard output is the protocol:
logs and messages go to standard error.
"""
from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote

import anyio
from mcp import types
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from tools.base import Tool, ToolResult
from tools.errors import UnknownToolError
from tools.knowledge_base import KnowledgeBase
from tools.registry import ToolRegistry

logger = logging.getLogger(__name__)

SERVER_NAME = "lingxi"
HTTP_PATH = "/mcp"
DOCUMENT_URI_PREFIX = "lingxi://knowledge/"
INSTRUCTIONS = ("Lingxi's local tools: each call is validated against the tool's JSON schema and runs with "
                "its time limit (python in a sandbox without network or subprocesses). A failed call comes "
                "back as an error result whose text says what went wrong.")
_MIME_TYPES = {".md": "text/markdown", ".markdown": "text/markdown"}


# ------------------------------------------------------------------------------------ the server

def build_server(registry: ToolRegistry, names: list[str] | None = None,
                 knowledge_base: KnowledgeBase | None = None) -> Server:
    """An MCP server offering ``names`` (default: the registry's default tools) and, when a
    knowledge base is given, its documents as resources.

    Raises UnknownToolError, listing the available tools, when a name is not registered.
    """
    exposed = choose_tools(registry, names)

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[mcp_tool(registry.get(name)) for name in exposed])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        return await call_exposed_tool(registry, exposed, params.name, params.arguments)

    def input_schema(name: str) -> Mapping[str, Any] | None:
        return registry.get(name).parameters if name in exposed else None

    logger.info("MCP server offers %s", ", ".join(exposed) or "no tools")
    return Server(SERVER_NAME, version=_lingxi_version(), instructions=INSTRUCTIONS,
                  get_tool_input_schema=input_schema, on_list_tools=list_tools, on_call_tool=call_tool,
                  **(_resource_handlers(knowledge_base) if knowledge_base is not None else {}))


def parse_tool_names(text: str | None) -> list[str] | None:
    """``"calculator, python"`` -> ``["calculator", "python"]``; nothing given -> None (the defaults)."""
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def choose_tools(registry: ToolRegistry, names: list[str] | None) -> list[str]:
    """The tool names to expose: ``names`` if all are registered, else the registry's defaults."""
    if names is None:
        return registry.default_names()
    if not names:
        raise UnknownToolError(f"no tools named; available tools: {', '.join(registry.names())}")
    unknown = [name for name in names if name not in registry]
    if unknown:
        raise UnknownToolError(f"unknown tool{'s' if len(unknown) > 1 else ''} "
                               f"{', '.join(repr(name) for name in unknown)}; "
                               f"available tools: {', '.join(registry.names())}")
    return list(dict.fromkeys(names))


def mcp_tool(item: Tool) -> types.Tool:
    """A registry tool as MCP lists it: its name, description and JSON schema of the arguments."""
    return types.Tool(name=item.name, description=item.description or None,
                      input_schema=item.parameters or {"type": "object", "properties": {}})


async def call_exposed_tool(registry: ToolRegistry, exposed: list[str], name: str,
                            arguments: dict[str, Any] | None) -> types.CallToolResult:
    """Run one exposed tool in a worker thread; every failure is an error result, never a raise."""
    if name not in exposed:
        available = ", ".join(exposed) or "none"
        return error_result(f"Error: unknown tool {name!r}; available tools: {available}")
    result = await anyio.to_thread.run_sync(registry.call, name, arguments)
    logger.info("tool %s: %s in %.2f s", name, "ok" if result.ok else "error", result.elapsed)
    return tool_result(result)


def tool_result(result: ToolResult) -> types.CallToolResult:
    """A registry observation as an MCP result (``is_error`` when the call failed)."""
    return types.CallToolResult(content=[types.TextContent(text=result.content)], is_error=not result.ok)


def error_result(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


def _lingxi_version() -> str:
    try:
        return metadata.version("lingxi")
    except metadata.PackageNotFoundError:  # a checkout that was never installed
        return ""


# ----------------------------------------------------------------- knowledge-base documents

def _resource_handlers(kb: KnowledgeBase) -> dict[str, Any]:
    async def list_resources(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=await anyio.to_thread.run_sync(document_resources, kb))

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        text = await anyio.to_thread.run_sync(read_document_text, kb, params.uri)
        if text is None:
            raise MCPError(types.INVALID_PARAMS, f"no such document in the knowledge base: {params.uri}",
                           {"uri": params.uri})
        return types.ReadResourceResult(contents=[
            types.TextResourceContents(uri=params.uri, mime_type=_mime_type(source_of_uri(params.uri)), text=text)])

    return {"on_list_resources": list_resources, "on_read_resource": read_resource}


def document_resources(kb: KnowledgeBase) -> list[types.Resource]:
    """The knowledge base's documents as MCP resources (none, and no index created, when it has
    never been used)."""
    if not kb.path.exists():
        return []
    return [types.Resource(uri=document_uri(doc["source"]), name=doc["source"], mime_type=_mime_type(doc["source"]),
                           description=_describe_document(doc))
            for doc in kb.documents()]


def read_document_text(kb: KnowledgeBase, uri: str) -> str | None:
    """The stored text of the document at ``uri`` (None: no such document)."""
    source = source_of_uri(uri)
    if source is None or not kb.path.exists():
        return None
    return kb.document_text(source)


def document_uri(source: str) -> str:
    return DOCUMENT_URI_PREFIX + quote(source, safe="")


def source_of_uri(uri: str) -> str | None:
    if not uri.startswith(DOCUMENT_URI_PREFIX):
        return None
    return unquote(uri[len(DOCUMENT_URI_PREFIX):]) or None


def _mime_type(source: str | None) -> str:
    return _MIME_TYPES.get(PurePosixPath(source or "").suffix.lower(), "text/plain")


def _describe_document(doc: dict[str, Any]) -> str:
    pages = f", {doc['pages']} pages" if doc.get("pages") else ""
    return f"a document in Lingxi's knowledge base ({doc['chunks']} chunks{pages})"


# ------------------------------------------------------------------------------- tool sources

def lingxi_mcp_server(home: Path, tools: str | None = None, tools_module: str | None = None) -> tuple[Server, list[str]]:
    """The server `lingxi mcp serve` runs, and the names of the tools it offers: the built-in tools
    and those of ``tools_module`` (``tools``: comma-separated names, default: the default tools);
    the knowledge base's documents as resources when its tool is offered.

    Raises ToolSourceError (a bad tools module), UnknownToolError (a name not registered) or
    ValueError (a module's tool takes a built-in's name) before anything is served.
    """
    from tools.sources import agent_tools

    knowledge_base = KnowledgeBase(home / "knowledge")
    registry = agent_tools(home, tools_module=tools_module, use_mcp=False, knowledge_base=knowledge_base).registry
    names = choose_tools(registry, parse_tool_names(tools))
    offered_kb = knowledge_base if "knowledge_base" in names else None
    return build_server(registry, names, offered_kb), names


# --------------------------------------------------------------------------------- transports

def serve_stdio(server: Server) -> None:
    """Serve one client over this process's stdin and stdout until it closes them."""
    from mcp.server.stdio import stdio_server

    async def run() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(run)


def http_app(server: Server, host: str = "127.0.0.1", api_key: str | None = None) -> Any:
    """The streamable HTTP ASGI app (endpoint `HTTP_PATH`), behind a bearer-key check when
    ``api_key`` is set.  On a loopback ``host`` the SDK accepts only loopback Host/Origin headers."""
    app = server.streamable_http_app(streamable_http_path=HTTP_PATH, host=host)
    return BearerKeyMiddleware(app, api_key) if api_key else app


def serve_http(server: Server, host: str = "127.0.0.1", port: int = 7862, api_key: str | None = None) -> None:
    """Serve the streamable HTTP app with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(http_app(server, host, api_key), host=host, port=port, log_level="info")


class BearerKeyMiddleware:
    """ASGI middleware: every HTTP request needs ``Authorization: Bearer KEY``, else 401 (JSON)."""

    def __init__(self, app: Any, api_key: str) -> None:
        self.app = app
        self._expected = f"Bearer {api_key}".encode()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not self._authorized(scope):
            await _send_unauthorized(send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, scope: dict) -> bool:
        given = next((value for key, value in scope.get("headers", []) if key == b"authorization"), b"")
        return secrets.compare_digest(given, self._expected)


async def _send_unauthorized(send: Any) -> None:
    body = json.dumps({"error": {"message": "invalid or missing API key (Authorization: Bearer KEY)",
                                 "type": "authentication_error"}}).encode()
    await send({"type": "http.response.start", "status": 401,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"www-authenticate", b"Bearer")]})
    await send({"type": "http.response.body", "body": body})
