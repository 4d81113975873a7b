"""A scripted chat model: the fake at the model boundary for agent, API, UI and eval tests.

Queue the raw text the "model" writes with `enqueue()`; tool calls in it are parsed by the real
tool-format module, exactly as a local engine's output would be. Every request is kept in
`history`. Queue an exception instance to make the next request fail with it.
"""
from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterator

from model.engines.base import ChatEngine
from model.tool_format import DEFAULT_TOOL_FORMAT, ToolFormat
from model.types import ChatDelta, ChatRequest, Usage


class ScriptedEngine(ChatEngine):
    def __init__(self, replies: list[str | BaseException] | None = None, *, name: str = "scripted",
                 n_ctx: int = 4096, tool_format: ToolFormat = DEFAULT_TOOL_FORMAT, default: str | None = None):
        self.name = name
        self.n_ctx = n_ctx
        self.tool_format = tool_format
        self.default = default
        """Reply used when the queue is empty; None makes an empty queue an error."""
        self.replies: deque[str | BaseException] = deque(replies or [])
        self.history: list[ChatRequest] = []
        self._lock = threading.Lock()

    def enqueue(self, *replies: str | BaseException) -> "ScriptedEngine":
        self.replies.extend(replies)
        return self

    def _next_reply(self) -> str:
        with self._lock:
            if self.replies:
                reply = self.replies.popleft()
            elif self.default is not None:
                reply = self.default
            else:
                raise AssertionError("ScriptedEngine: no reply queued for this request")
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def stream(self, request: ChatRequest, cancel: threading.Event | None = None) -> Iterator[ChatDelta]:
        self.history.append(request)
        reply = self._next_reply()
        if request.forced_tool_names() and not reply.lstrip().startswith("<tool_call>"):
            reply = self.tool_format.call_prefix + reply
        return self._stream(request, reply, cancel or threading.Event())

    def _stream(self, request: ChatRequest, reply: str, cancel: threading.Event) -> Iterator[ChatDelta]:
        parser = self.tool_format.stream_parser(request.active_tools())
        called = False
        pieces = re.findall(r"\s*\S+|\s+", reply)
        limit = request.sampling.max_tokens
        finish = "stop"
        emitted = 0
        for piece in pieces:
            if cancel.is_set():
                finish = "cancelled"
                break
            if limit is not None and emitted >= limit:
                finish = "length"
                break
            emitted += 1
            delta = parser.feed(piece)
            called = called or bool(delta.tool_calls)
            if delta.content or delta.tool_calls or delta.failed_calls:
                yield delta
        last = parser.finish()
        if (called or last.tool_calls) and finish == "stop":
            finish = "tool_calls"
        last.finish_reason = finish
        last.usage = Usage(self.count_prompt_tokens(request), emitted)
        last.raw_text = "".join(pieces[:emitted])
        yield last

    def count_prompt_tokens(self, request: ChatRequest) -> int:
        return sum(len(str(message.get("content") or "").split()) + 4 for message in request.messages)
