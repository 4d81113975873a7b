"""What the server's routes share: the queued engine, its names, the worker threads."""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from agent_app.store import ConversationStore
from model.engines.queued import QueuedEngine
from tools import ToolRegistry


@dataclass
class ServerState:
    engine: QueuedEngine
    model_name: str
    registry: ToolRegistry
    store: ConversationStore
    aliases: tuple[str, ...] = ("bundled", "default", "lingxi")
    workspaces: Path | None = None
    """Where each conversation's files live (None: $LINGXI_HOME/workspaces)."""
    warm_prompts: bool = False
    """Whether start-up evaluates the default agent's prompt ahead of the first request."""
    warmed: threading.Event = field(default_factory=threading.Event)
    """Set once that start-up warming has ended (done, failed, or nothing to warm)."""
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(64, "lingxi-gen"))
    tasks: set[asyncio.Task] = field(default_factory=set)

    def keep(self, task: asyncio.Task) -> None:
        """Hold a reference to a background task until it ends (asyncio keeps only weak ones)."""
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    @property
    def model_names(self) -> set[str]:
        return {self.model_name, self.engine.name, *self.aliases}
