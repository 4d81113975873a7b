"""Any OpenAI-compatible endpoint as a ChatEngine: a Lingxi server, an LMDeploy api_server, ...

The endpoint does its own templating and tool parsing; this engine only speaks the protocol:
SSE streaming, `delta.tool_calls` assembled by index, errors mapped to the model layer's types.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from model.engines.base import ChatEngine
from model.errors import EngineUnavailableError, GenerationError, InvalidRequestError
from model.types import ChatDelta, ChatRequest, ToolCall, Usage

logger = logging.getLogger(__name__)


class RemoteEngine(ChatEngine):
    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 300.0,
                 n_ctx: int = 0):
        self.base_url = base_url.rstrip("/")
        self.name = model
        self.n_ctx = n_ctx
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def payload(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.name, "messages": request.messages, "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": request.sampling.temperature, "top_p": request.sampling.top_p,
        }
        if request.sampling.max_tokens:
            body["max_tokens"] = request.sampling.max_tokens
        if request.sampling.stop:
            body["stop"] = request.sampling.stop
        if request.sampling.seed is not None:
            body["seed"] = request.sampling.seed
        if request.tools:
            body["tools"] = request.tools
            body["tool_choice"] = request.tool_choice
        return body

    def stream(self, request: ChatRequest, cancel: threading.Event | None = None) -> Iterator[ChatDelta]:
        cancel = cancel or threading.Event()
        try:
            response = self.client.send(
                self.client.build_request("POST", "/chat/completions", json=self.payload(request)), stream=True)
        except httpx.HTTPError as error:
            raise EngineUnavailableError(f"cannot reach {self.base_url}: {error}") from error
        if response.status_code >= 400:
            response.read()
            response.close()
            raise _http_error(response)
        return self._deltas(response, cancel)

    def _deltas(self, response: httpx.Response, cancel: threading.Event) -> Iterator[ChatDelta]:
        partial: dict[int, dict[str, str]] = {}
        finish, usage = "stop", Usage()
        try:
            for line in response.iter_lines():
                if cancel.is_set():
                    finish = "cancelled"
                    break
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                event = json.loads(data)
                if "error" in event:
                    raise GenerationError(event["error"].get("message", str(event["error"])))
                if event.get("usage"):
                    usage = Usage(event["usage"].get("prompt_tokens", 0), event["usage"].get("completion_tokens", 0))
                for choice in event.get("choices") or []:
                    delta = choice.get("delta") or {}
                    for piece in delta.get("tool_calls") or []:
                        _merge_call_piece(partial, piece)
                    if choice.get("finish_reason"):
                        finish = choice["finish_reason"]
                    if delta.get("content"):
                        yield ChatDelta(content=delta["content"])
        except httpx.HTTPError as error:
            raise GenerationError(f"the stream from {self.base_url} broke: {error}") from error
        finally:
            response.close()
        calls = [_finished_call(partial[index]) for index in sorted(partial)]
        yield ChatDelta(tool_calls=[call for call in calls if call], finish_reason=finish, usage=usage)

    def close(self) -> None:
        self.client.close()


def _merge_call_piece(partial: dict[int, dict[str, str]], piece: dict[str, Any]) -> None:
    slot = partial.setdefault(piece.get("index", 0), {"id": "", "name": "", "arguments": ""})
    slot["id"] = piece.get("id") or slot["id"]
    function = piece.get("function") or {}
    slot["name"] += function.get("name") or ""
    slot["arguments"] += function.get("arguments") or ""


def _finished_call(slot: dict[str, str]) -> ToolCall | None:
    try:
        arguments = json.loads(slot["arguments"]) if slot["arguments"].strip() else {}
    except json.JSONDecodeError:
        logger.warning("dropping a tool call whose arguments are not JSON: %r", slot["arguments"][:200])
        return None
    return ToolCall(slot["name"], arguments, id=slot["id"] or ToolCall(slot["name"], {}).id)


def _http_error(response: httpx.Response) -> Exception:
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = response.text[:500]
    text = f"{response.status_code} from {response.request.url}: {message}"
    if response.status_code in (400, 404, 422):
        return InvalidRequestError(text)
    if response.status_code in (401, 403):
        return EngineUnavailableError(text + " (check the API key)")
    return EngineUnavailableError(text)
