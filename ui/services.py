"""What the UI's handlers work with: the engines, the tools, the store, the knowledge base.

One `Services` per app, made by app.create_web_app; no module-level state anywhere in ui/.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent_app.store import ConversationStore
from model.engines.queued import QueuedEngine
from tools import KnowledgeBase, ToolRegistry, Workspace, conversation_workspace
from tools.sources import ToolSources
from ui.engines import EngineCache


@dataclass
class Services:
    engines: EngineCache
    registry: ToolRegistry
    store: ConversationStore
    knowledge: KnowledgeBase | None
    home: Path
    language: str = "en"
    """The interface language a new browser tab starts with."""
    tool_sources: ToolSources | None = None
    """The MCP servers feeding the registry, and their config file (the tools panel manages them)."""
    serve_on_api: Callable[[QueuedEngine], None] | None = None
    """Makes an engine the one the app's API (/v1) serves; None where the UI runs without the API."""

    @property
    def exports(self) -> Path:
        """Where exported training data goes (served to the browser as downloads)."""
        folder = self.home / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @property
    def workspaces(self) -> Path:
        """Where each conversation's files live (served to the browser: attachments, speech)."""
        return self.home / "workspaces"

    def workspace(self, session_id: str) -> Workspace:
        """The files of one conversation (tools/workspace.py)."""
        return conversation_workspace(self.workspaces, session_id)

    def session_choices(self) -> list[tuple[str, str]]:
        """(title, id) for the conversation list, most recent first."""
        return [(info.title, info.id) for info in self.store.sessions()]
