"""The agent endpoint: the ReAct / tool-calling loop runs server-side for a session.

POST /v1/agent/chat streams the agent's events as SSE (or returns the answer with its steps);
GET/DELETE /v1/agent/sessions[/{id}] list, read and delete conversations.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from agent_app.agent import Agent, AgentConfig
from agent_app.events import AgentEvent, ErrorEvent, TurnSummary, event_to_dict
from agent_app.memory import Memory
from agent_app.protocols import make_protocol
from agent_app.server.bridge import cancel_on_disconnect, iterate_in_thread
from agent_app.server.errors import error_response, model_error_response
from agent_app.server.protocol import TextOnlyRequest
from agent_app.server.state import ServerState
from agent_app.store import SessionNotFoundError
from model.errors import GenerationError, ModelError
from model.types import SamplingParams
from tools import Workspace, conversation_workspace, lingxi_home

logger = logging.getLogger(__name__)
router = APIRouter()
SESSION_ID = r"^[A-Za-z0-9_-]{1,64}$"
MAX_UPLOAD_BYTES = 50 * 2**20
"""The largest file a client may add to a conversation (the media tools' own limits are lower or equal)."""


class AgentChatRequest(TextOnlyRequest):
    message: str = Field(min_length=1, max_length=32_000)
    session_id: str | None = Field(None, pattern=SESSION_ID)
    tools: list[str] | None = Field(None, description="tool names the agent may use (default: every tool offered "
                                                      "by default; the media tools are offered when named)")
    protocol: Literal["native", "react"] = "native"
    language: Literal["en", "zh"] = "en"
    system: str | None = Field(None, max_length=8_000)
    max_steps: int = Field(6, ge=1, le=20)
    temperature: float = Field(0.2, ge=0, le=2)
    max_tokens: int = Field(512, ge=1, le=8192)
    stream: bool = False


@router.post("/v1/agent/chat")
async def agent_chat(body: AgentChatRequest, request: Request):
    state: ServerState = request.app.state.lingxi
    unknown = sorted(set(body.tools or []) - set(state.registry.names()))
    if unknown:
        return error_response(400, f"unknown tool(s): {', '.join(unknown)}; available: "
                                   f"{', '.join(state.registry.names())}", param="tools")
    if state.engine.is_full():  # refused before anything is stored, so a retry adds no duplicate
        return model_error_response(state.engine.queue_full_error())
    session_id = body.session_id or state.store.create(title=body.message[:60])
    if not state.store.exists(session_id):
        state.store.create(title=body.message[:60], session_id=session_id)
    workspace = _workspace(state, session_id)
    agent = Agent(state.engine, state.registry, make_protocol(body.protocol, body.language), AgentConfig(
        max_steps=body.max_steps, system_prompt=body.system, tool_names=body.tools,
        sampling=SamplingParams(max_tokens=body.max_tokens, temperature=body.temperature)), workspace=workspace)
    memory = Memory.from_messages(state.store.messages(session_id))

    def save(step) -> None:
        for message in step.to_messages():
            state.store.append(session_id, message)

    cancel = threading.Event()
    events = iterate_in_thread(lambda: agent.run(body.message, memory, save, cancel), cancel, state.executor)
    state.keep(asyncio.create_task(cancel_on_disconnect(request, cancel)))
    if body.stream:
        head, error = await _opening(events)
        if error is not None and not isinstance(error, GenerationError):
            return model_error_response(error)  # refused before it began: busy, too long
        return StreamingResponse(_sse(session_id, head, None if error else events), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    summary = TurnSummary()
    try:
        async for event in events:
            summary.add(event)
    except ModelError as error:
        return model_error_response(error)
    finally:
        cancel.set()
    return {"session_id": session_id, "answer": summary.answer, "error": summary.error, "steps": summary.steps,
            "files": _file_references(workspace, session_id)}


async def _opening(events: AsyncIterator[AgentEvent]) -> tuple[list[AgentEvent], ModelError | None]:
    """The events up to the first that is not an error, or up to the ModelError that ended the
    turn, so that a turn refused at its start is still answered with a status code."""
    head: list[AgentEvent] = []
    try:
        async for event in events:
            head.append(event)
            if not isinstance(event, ErrorEvent):
                break
    except ModelError as error:
        return head, error
    return head, None


async def _sse(session_id: str, head: list[AgentEvent], rest: AsyncIterator[AgentEvent] | None):
    yield _event({"type": "session", "session_id": session_id})
    try:
        for event in head:
            yield _event(event_to_dict(event))
        if rest is not None:
            async for event in rest:
                yield _event(event_to_dict(event))
    except ModelError:
        pass  # the agent already sent an ErrorEvent of kind "model"
    except Exception as error:  # our own bug: tell the client rather than cutting the stream
        logger.exception("agent stream failed")
        yield _event(event_to_dict(ErrorEvent(f"internal error: {type(error).__name__}", "model", 0)))
    yield "data: [DONE]\n\n"


def _event(data: dict) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.get("/v1/agent/sessions")
async def list_sessions(request: Request) -> dict:
    state: ServerState = request.app.state.lingxi
    return {"data": [info.to_dict() for info in state.store.sessions()]}


@router.get("/v1/agent/sessions/{session_id}")
async def read_session(session_id: str, request: Request):
    state: ServerState = request.app.state.lingxi
    try:
        return {"session": state.store.info(session_id).to_dict(), "messages": state.store.messages(session_id)}
    except SessionNotFoundError as error:
        return error_response(404, str(error), param="session_id", code="session_not_found")


@router.delete("/v1/agent/sessions/{session_id}")
async def delete_session(session_id: str, request: Request):
    state: ServerState = request.app.state.lingxi
    try:
        state.store.delete(session_id)
    except SessionNotFoundError as error:
        return error_response(404, str(error), param="session_id", code="session_not_found")
    if re.fullmatch(SESSION_ID, session_id):
        _workspace(state, session_id).delete()
    return {"id": session_id, "deleted": True}


@router.post("/v1/agent/sessions/{session_id}/files")
async def upload_file(session_id: str, file: UploadFile, request: Request):
    """Add a file to a conversation (created if new) for its tools to read by name: ``ocr`` an
    image, ``speech_to_text`` a recording. The name is kept unless taken (then ``name-2.ext``)."""
    state: ServerState = request.app.state.lingxi
    if not re.fullmatch(SESSION_ID, session_id):
        return error_response(400, "session_id must be 1-64 of [A-Za-z0-9_-]", param="session_id")
    name = Path(file.filename or "upload").name
    stem, suffix = Path(name).stem, Path(name).suffix.lower()[:10]
    target = _workspace(state, session_id).new_file(stem, suffix)
    size = 0
    with open(target, "wb") as out:
        while block := await file.read(1 << 20):
            size += len(block)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                target.unlink()
                return error_response(413, f"{name} is larger than {MAX_UPLOAD_BYTES // 2**20} MB", param="file",
                                      code="file_too_large")
            out.write(block)
    if not state.store.exists(session_id):
        state.store.create(title=name[:60], session_id=session_id)
    return {"name": target.name, "bytes": size, "url": _file_url(session_id, target.name)}


@router.get("/v1/agent/sessions/{session_id}/files")
async def list_files(session_id: str, request: Request):
    state: ServerState = request.app.state.lingxi
    if not re.fullmatch(SESSION_ID, session_id):
        return error_response(400, "session_id must be 1-64 of [A-Za-z0-9_-]", param="session_id")
    return {"data": _file_references(_workspace(state, session_id), session_id)}


@router.get("/v1/agent/sessions/{session_id}/files/{name}")
async def read_file(session_id: str, name: str, request: Request):
    """A file of the conversation: an upload, or what a tool wrote (speech, a plot)."""
    state: ServerState = request.app.state.lingxi
    workspace = _workspace(state, session_id) if re.fullmatch(SESSION_ID, session_id) else None
    if workspace is None or name not in workspace.files():
        return error_response(404, f"no file named {name!r} in session {session_id!r}", param="name",
                              code="file_not_found")
    return FileResponse(workspace.path / name, filename=name)


def _workspace(state: ServerState, session_id: str) -> Workspace:
    return conversation_workspace(state.workspaces or lingxi_home() / "workspaces", session_id)


def _file_url(session_id: str, name: str) -> str:
    return f"/v1/agent/sessions/{session_id}/files/{quote(name)}"


def _file_references(workspace: Workspace, session_id: str) -> list[dict]:
    """The conversation's files as references: name, size, and where to fetch them."""
    return [{"name": name, "bytes": (workspace.path / name).stat().st_size, "url": _file_url(session_id, name)}
            for name in workspace.files()]
