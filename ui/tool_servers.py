"""The MCP panel: the configured MCP servers, grouped with their tools and status, and a form to
add or remove a server entry in $LINGXI_HOME/mcp.json without editing JSON by hand.

Connecting is tools/mcp_client.py's; a server added here is connected at once and its tools join
the registry (and the tools checklist) beside the built-ins.
"""
from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

import gradio as gr

from tools import ToolRegistry
from tools.errors import ToolSourceError
from tools.mcp_client import MCPServers, add_mcp_server, remove_mcp_server
from ui.i18n import t
from ui.services import Services

if TYPE_CHECKING:
    from ui.layout import Components

_STATUS_ICON = {"connected": "🟢", "connecting": "🟡", "failed": "🔴", "closed": "⚪", "invalid": "🔴"}


def server_table(services: Services, language: str) -> str:
    """Markdown: one section per server with its status, where it runs, its tools or its error."""
    servers = _servers(services)
    rows = servers.statuses() if servers else []
    if not rows:
        return t(language, "mcp_none")
    lines = []
    for row in rows:
        head = f"{_STATUS_ICON.get(row.status, '⚪')} **{row.name}** · {t(language, 'mcp_' + row.status)}"
        lines.append(head + (f" · `{row.target}`" if row.target else ""))
        if row.tools:
            lines.append("  " + t(language, "mcp_tools", tools=", ".join(f"`{name}`" for name in row.tools)))
        if row.error:
            lines.append("  " + t(language, "mcp_error", error=row.error.replace("\n", " ")))
    return "\n\n".join(lines)


def tool_choices(registry: ToolRegistry, servers: MCPServers | None) -> list[tuple[str, str]]:
    """The tools checklist: built-ins by name, MCP tools as ``server · name``."""
    owner = {name: status.name for status in (servers.statuses() if servers else []) for name in status.tools}
    return [(f"{owner[name]} · {name}" if name in owner else name, name) for name in registry.names()]


def server_names(services: Services) -> list[str]:
    servers = _servers(services)
    return [row.name for row in servers.statuses()] if servers else []


def entry_from_form(target: str, arguments: str) -> dict:
    """A config entry from the form: a URL, or a command with its arguments (shell-quoted)."""
    target = (target or "").strip()
    if target.startswith(("http://", "https://")):
        return {"url": target}
    try:
        words = shlex.split(target) + shlex.split(arguments or "")
    except ValueError as error:
        raise ToolSourceError(f"cannot read the command: {error}") from None
    if not words:
        raise ToolSourceError("give a command to launch, or an http(s) URL")
    return {"command": words[0], "args": words[1:]}


def _servers(services: Services) -> MCPServers | None:
    return services.tool_sources.mcp if services.tool_sources else None


def wire(c: "Components", services: Services) -> None:
    sources = services.tool_sources
    if sources is None or sources.mcp is None or sources.mcp_config is None:
        return

    def panel(language, chosen):
        """The status text, the remove choices and the tools checklist, as they stand now."""
        names = server_names(services)
        offered = [name for name in (chosen or []) if name in services.registry]
        return (server_table(services, language), gr.Dropdown(choices=names, value=None),
                gr.CheckboxGroup(choices=tool_choices(services.registry, _servers(services)), value=offered))

    def add(name, target, arguments, language, chosen, progress=gr.Progress()):
        name = (name or "").strip()
        before = set(services.registry.names())
        try:
            entry = entry_from_form(target, arguments)
            checked = add_mcp_server(sources.mcp_config, name, entry)
        except ToolSourceError as error:
            gr.Warning(str(error))
            return (t(language, "mcp_add_failed", error=error), *panel(language, chosen)[1:])
        progress(0.2, desc=t(language, "mcp_starting", name=name))
        connection = sources.mcp.add(name, checked)
        added = [tool for tool in services.registry.names() if tool not in before]
        if connection.status != "connected":
            gr.Warning(t(language, "mcp_add_failed", error=connection.error or connection.status))
        return panel(language, [*(chosen or []), *added])

    def remove(name, language, chosen):
        if name:
            remove_mcp_server(sources.mcp_config, name)
            sources.mcp.remove(name)
        return panel(language, chosen)

    outputs = [c.mcp_status, c.mcp_remove_choice, c.tools]
    c.mcp_add.click(add, [c.mcp_name, c.mcp_target, c.mcp_args, c.language, c.tools], outputs,
                    show_progress="full")
    c.mcp_remove.click(remove, [c.mcp_remove_choice, c.language, c.tools], outputs)
    c.mcp_refresh.click(panel, [c.language, c.tools], outputs)
    c.demo.load(panel, [c.language, c.tools], outputs)
