"""Where an agent's tools come from: the built-ins, a user's Python file, and MCP servers.

    sources = agent_tools(home, tools_module="my_tools.py")   # + the servers in home/mcp.json
    agent = Agent(engine, sources.registry, ...)
    ...
    sources.close()                                           # the MCP servers' processes end

All of them land in one `ToolRegistry`, so the agent, the API's tool list, the UI's tools panel,
training data and eval see them alike.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from tools.defaults import default_registry
from tools.errors import ToolSourceError
from tools.knowledge_base import KnowledgeBase
from tools.mcp_client import MCPServers, config_path, read_mcp_config
from tools.registry import ToolRegistry
from tools.user_module import load_tools_module

logger = logging.getLogger(__name__)


@dataclass
class ToolSources:
    """A registry and the MCP servers that feed it (None when MCP was not asked for)."""

    registry: ToolRegistry
    mcp: MCPServers | None = None
    mcp_config: Path | None = None

    def close(self) -> None:
        """Disconnect the MCP servers."""
        if self.mcp is not None:
            self.mcp.close()


def agent_tools(home: Path, *, tools_module: str | Path | None = None, mcp_config: str | Path | None = None,
                use_mcp: bool = True, knowledge_base: KnowledgeBase | None = None,
                max_observation_chars: int = 4000) -> ToolSources:
    """The default tools, then the tools of ``tools_module``, then those of every MCP server in
    ``mcp_config`` (default ``home/mcp.json``; a missing file means none).

    A bad tools module or an unreadable config raises ToolSourceError (the user asked for it by
    name: start-up stops with the reason); a server that fails only gets a failed status.
    """
    registry = default_registry(home, max_observation_chars, knowledge_base=knowledge_base)
    if tools_module:
        for item in load_tools_module(tools_module):
            if item.name in registry:
                raise ToolSourceError(f"tools module {str(tools_module)!r}: a tool named {item.name!r} is already "
                                      "registered (a built-in); give yours another name, e.g. @tool(name=...)")
            registry.register(item)
    if not use_mcp:
        return ToolSources(registry)
    path = Path(mcp_config).expanduser() if mcp_config else config_path(home)
    if mcp_config and not path.is_file():
        raise ToolSourceError(f"MCP config {str(path)!r}: no such file")
    servers = MCPServers(registry, logs=Path(home) / "logs")
    config = read_mcp_config(path)
    if config.servers or config.problems:
        logger.info("MCP: connecting to %s from %s", ", ".join(config.servers) or "no servers", path)
    servers.connect(config)
    return ToolSources(registry, servers, path)
