"""A chat turn: drive the Agent, render its steps as they come, keep every step in the store.

The Agent does the work (agent_app/agent.py); this module only turns its events into views. The
store is the truth: each turn ends by showing the conversation as stored, plus a note when
something failed. Stop sets the turn's cancel event: the model stops at its next token and
what it had written is kept as the answer. Regenerate, edit-and-resend and retry cut the stored
conversation back to a user message and run that message again.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from agent_app.agent import Agent, AgentConfig
from agent_app.events import ErrorEvent, TextDelta
from agent_app.memory import Memory
from agent_app.protocols import make_protocol
from model.errors import ModelError
from model.types import SamplingParams
from tools import Workspace
from ui.attachments import save_attachments, split_attachments, tools_for_turn, with_attachments
from ui.i18n import t
from ui.render import View, note, render_steps
from ui.services import Services

logger = logging.getLogger(__name__)
REFRESH_SECONDS = 0.05  # at most ~20 screen updates a second while text streams
MAX_TOKENS = 512


@dataclass
class TurnSettings:
    language: str
    engine_key: str | None
    tools: list[str] | None
    protocol: str
    system: str
    temperature: float
    max_steps: int

    def __post_init__(self) -> None:  # a component the page has not filled in yet sends None
        self.tools = None if self.tools is None else list(self.tools)  # None: every tool
        self.system = self.system or ""
        self.temperature = 0.2 if self.temperature is None else float(self.temperature)
        self.max_steps = 6 if self.max_steps is None else int(self.max_steps)


class Busy(Exception):
    """This browser tab already has an answer being written."""


class ChatTurns:
    def __init__(self, services: Services):
        self.services = services
        self._running: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def stop(self, client: str) -> None:
        with self._lock:
            cancel = self._running.get(client)
        if cancel is not None:
            cancel.set()

    def run(self, session_id: str | None, text: str, settings: TurnSettings, client: str,
            keep: int | None = None, files: list[str] = ()) -> Iterator[tuple[View, str]]:
        """Answer `text` with the attached `files` (uploaded paths) in the session (created when
        None), first cutting the stored conversation to its first `keep` messages. Yields
        (view, session id); the last view is what is stored."""
        cancel = self._claim(client)
        try:
            store = self.services.store
            if session_id is None or not store.exists(session_id):
                session_id = store.create(title=_title(text or " ".join(Path(f).name for f in files)))
            elif keep is not None:
                store.truncate(session_id, keep)
            if files:
                text = with_attachments(text, save_attachments(self.services.workspace(session_id), list(files)))
            for view in self._stream(session_id, text, settings, cancel):
                yield view, session_id
        finally:
            with self._lock:
                self._running.pop(client, None)

    def _claim(self, client: str) -> threading.Event:
        with self._lock:
            if client in self._running:
                raise Busy()
            cancel = self._running[client] = threading.Event()
        return cancel

    def _stream(self, session_id: str, text: str, settings: TurnSettings,
                cancel: threading.Event) -> Iterator[View]:
        store, language = self.services.store, settings.language
        memory = Memory.from_messages(store.messages(session_id))
        workspace = self.services.workspace(session_id)

        def save(step) -> None:
            for message in step.to_messages():
                store.append(session_id, message)

        streaming, shown, failure = "", 0.0, None
        try:
            for event in self._agent(settings, workspace, text).run(text, memory, save, cancel):
                if isinstance(event, TextDelta):
                    streaming += event.text
                    if time.monotonic() - shown < REFRESH_SECONDS:
                        continue
                else:
                    streaming = ""
                    if isinstance(event, ErrorEvent) and event.kind == "step_limit":
                        failure = t(language, "step_limit", steps=settings.max_steps)
                shown = time.monotonic()
                yield render_steps(memory.steps, language, streaming, workspace)
        except ModelError as error:
            failure = t(language, "model_failed", error=error)
        except Exception as error:  # our own bug: say so in the chat, keep the app running
            logger.exception("chat turn failed")
            failure = t(language, "internal_error", error=f"{type(error).__name__}: {error}")
        view = render_steps(memory.steps, language, workspace=workspace)
        yield note(view, failure) if failure else view

    def _agent(self, settings: TurnSettings, workspace: Workspace, text: str) -> Agent:
        """The turn's agent: the chosen tools, plus what the message's attachments need."""
        registry = self.services.registry
        chosen = None if settings.tools is None else [name for name in settings.tools if name in registry]
        config = AgentConfig(
            max_steps=settings.max_steps, system_prompt=settings.system.strip() or None,
            sampling=SamplingParams(max_tokens=MAX_TOKENS, temperature=settings.temperature),
            tool_names=tools_for_turn(chosen, split_attachments(text)[1], registry))
        return Agent(self.services.engines.get(settings.engine_key), registry,
                     make_protocol(settings.protocol, "zh" if settings.language == "zh" else "en"), config,
                     workspace=workspace)


def _title(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:60] or "…"


def last_user_message(messages: list[dict]) -> tuple[int, str] | None:
    """Position and text of the last message the user wrote (not feedback to the model)."""
    for position in range(len(messages) - 1, -1, -1):
        message = messages[position]
        if message["role"] == "user" and message.get("name") != "feedback":
            return position, message.get("content") or ""
    return None


def message_text(value) -> str:
    """The text of an edited message (a string, or Gradio's list of parts)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("text") or value.get("content") or "")
    if isinstance(value, list):
        return "".join(message_text(part) for part in value)
    return str(value or "")
