"""POST /v1/chat/completions: OpenAI's chat API with tools, streaming as server-sent events."""
from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from agent_app.server.bridge import cancel_on_disconnect, iterate_in_thread
from agent_app.server.errors import error_body, error_response, model_error_response
from agent_app.server.protocol import ChatCompletionRequest, completion_id, now
from agent_app.server.state import ServerState
from model.errors import GenerationError, ModelError
from model.types import ChatDelta, ToolCall, Usage

logger = logging.getLogger(__name__)
router = APIRouter()


@router.post("/v1/chat/completions")
async def chat_completions(body: ChatCompletionRequest, request: Request):
    state: ServerState = request.app.state.lingxi
    if body.model not in state.model_names:
        return error_response(404, f"the model {body.model!r} does not exist; this server serves "
                                   f"{', '.join(sorted(state.model_names))}", param="model",
                              code="model_not_found")
    chat_request = body.to_chat_request()
    cancel = threading.Event()
    deltas = iterate_in_thread(lambda: state.engine.stream(chat_request, cancel), cancel, state.executor)
    try:
        first = await anext(deltas)
    except ModelError as error:
        # Refused before it started (busy, too long, bad tool_choice): a status code says it best.
        # A generation that failed is, for a streaming client, an error event in its stream.
        if body.stream and isinstance(error, GenerationError):
            return _event_stream(_failed_stream(error))
        return model_error_response(error)
    frame = _Frame(completion_id(), now(), state.model_name)
    # Whatever way the response ends, a client that went away stops its generation.
    state.keep(asyncio.create_task(cancel_on_disconnect(request, cancel)))
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return _event_stream(_sse(frame, first, deltas, include_usage, cancel))
    try:
        return await _complete(frame, first, deltas)
    finally:
        cancel.set()


class _Frame:
    """What every chunk of one completion repeats."""

    def __init__(self, id_: str, created: int, model: str):
        self.id, self.created, self.model = id_, created, model

    def chunk(self, delta: dict, end: str | None = None) -> dict:
        """A chunk; `end` is the engine's finish reason on the last one."""
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, **(_choice_end(end) if end else {"finish_reason": None})}]}


def _finish(reason: str | None) -> str:
    """OpenAI's finish reasons: a reply cut because it looped is cut short, like one out of tokens."""
    if reason in (None, "cancelled"):
        return "stop"
    return "length" if reason == "repetition" else reason


def _choice_end(reason: str | None) -> dict:
    """finish_reason, and (as vLLM does) a stop_reason saying why, where OpenAI's names hide it."""
    end = {"finish_reason": _finish(reason)}
    if reason == "repetition":
        end["stop_reason"] = "repetition"
    return end


async def _complete(frame: _Frame, first: ChatDelta, deltas: AsyncIterator[ChatDelta]) -> JSONResponse:
    content: list[str] = []
    calls: list[ToolCall] = []
    finish, usage = None, Usage()
    try:
        async for delta in _chain(first, deltas):
            content.append(delta.content)
            calls.extend(delta.tool_calls)
            if delta.finish_reason:
                finish, usage = delta.finish_reason, delta.usage or usage
    except ModelError as error:
        return model_error_response(error)
    text = "".join(content).strip()
    message = {"role": "assistant", "content": text if text or not calls else None}
    if calls:
        message["tool_calls"] = [call.to_openai() for call in calls]
    return JSONResponse({
        "id": frame.id, "object": "chat.completion", "created": frame.created, "model": frame.model,
        "choices": [{"index": 0, "message": message, **_choice_end(finish), "logprobs": None}],
        "usage": usage.to_openai(),
    })


def _event_stream(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _chain(first: ChatDelta, rest: AsyncIterator[ChatDelta]) -> AsyncIterator[ChatDelta]:
    yield first
    async for delta in rest:
        yield delta


def _event(data: dict | str) -> str:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {payload}\n\n"


async def _sse(frame: _Frame, first: ChatDelta, deltas: AsyncIterator[ChatDelta],
               include_usage: bool, cancel: threading.Event) -> AsyncIterator[str]:
    try:
        async for event in _sse_events(frame, first, deltas, include_usage):
            yield event
    finally:
        cancel.set()


async def _sse_events(frame: _Frame, first: ChatDelta, deltas: AsyncIterator[ChatDelta],
                      include_usage: bool) -> AsyncIterator[str]:
    yield _event(frame.chunk({"role": "assistant", "content": ""}))
    call_index = 0
    opened: str | None = None  # the id of a call announced by name, whose arguments are to come
    try:
        async for delta in _chain(first, deltas):
            if delta.content:
                yield _event(frame.chunk({"content": delta.content}))
            if delta.call_opening:  # as OpenAI streams a call: id and name first, arguments after
                opened = delta.call_opening.id
                yield _event(frame.chunk({"tool_calls": [{
                    "index": call_index, "id": opened, "type": "function",
                    "function": {"name": delta.call_opening.name, "arguments": ""},
                }]}))
            for call in delta.tool_calls:
                if call.id == opened:
                    piece = {"index": call_index, "function": {"arguments": call.arguments_json()}}
                    opened = None
                else:
                    piece = {"index": call_index, "id": call.id, "type": "function",
                             "function": {"name": call.name, "arguments": call.arguments_json()}}
                yield _event(frame.chunk({"tool_calls": [piece]}))
                call_index += 1
            if delta.finish_reason:
                yield _event(frame.chunk({}, delta.finish_reason))
                if include_usage:
                    yield _event({**frame.chunk({}), "choices": [],
                                  "usage": (delta.usage or Usage()).to_openai()})
    except ModelError as error:
        logger.error("stream failed: %s", error)
        yield _error_event(error)
    except Exception as error:  # our own bug: say so in the stream rather than cutting it
        logger.exception("stream failed")
        yield _error_event(error)
    yield _event("[DONE]")


def _error_event(error: Exception) -> str:
    message = str(error) if isinstance(error, ModelError) else f"internal error: {type(error).__name__}"
    return _event(error_body(message, "server_error", code=type(error).__name__))


async def _failed_stream(error: ModelError) -> AsyncIterator[str]:
    logger.error("stream failed before its first token: %s", error)
    yield _error_event(error)
    yield _event("[DONE]")
