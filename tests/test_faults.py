"""Faults at the model boundary, over real HTTP on loopback: an engine that crashes before its
first token or mid-stream, hangs, or ignores cancellation. Every client gets a clear error (an SSE
error event then [DONE] when streaming; an OpenAI-style error body otherwise) and the next request
is served.

Faults tested elsewhere and kept there: a client that disconnects frees its slot
(tests/test_api.py::test_client_disconnect_stops_generation_and_frees_the_model and
::test_non_streaming_disconnect_also_cancels), SIGKILL during writes loses no completed message
(tests/test_store.py::test_sigkill_during_writes_loses_no_completed_message), a killed training
run resumes from its last checkpoint
(tests/test_training_trainer_resume.py::test_resume_after_sigkill_ends_where_an_uninterrupted_run_ends).
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque

import httpx
import pytest

from agent_app.server.app import create_app
from agent_app.settings import ServerOptions
from agent_app.store import ConversationStore
from model.engines.base import ChatEngine
from model.engines.queued import QueuedEngine
from model.types import ChatDelta, ChatRequest, Usage
from tests.conftest import live_server
from tools import ToolRegistry, calculator

STALL = 2.0  # long enough that a pause of the test process (GC, a loaded CI host) is not a hang
HEALTHY = "all is well"


class FaultyEngine(ChatEngine):
    """Answers HEALTHY unless a fault is queued for the next request with `plan()`:
    raise_on_call, raise_first, raise_mid, hang_first, hang_mid, ignore_cancel."""

    def __init__(self):
        self.name, self.n_ctx = "faulty", 4096
        self.plans: deque[str] = deque()
        self.hung = threading.Event()
        self.release = threading.Event()

    def plan(self, *faults: str) -> "FaultyEngine":
        self.plans.extend(faults)
        return self

    def stream(self, request: ChatRequest, cancel: threading.Event | None = None):
        fault = self.plans.popleft() if self.plans else "none"
        if fault == "raise_on_call":
            raise RuntimeError("the backend crashed on start")
        return self._run(fault, cancel or threading.Event())

    def _run(self, fault: str, cancel: threading.Event):
        if fault == "raise_first":
            raise RuntimeError("the backend crashed before its first token")
        if fault == "hang_first":
            self._hang()
        words = ["partial", "answer", "then", "trouble"] * (100 if fault == "ignore_cancel" else 1)
        if fault == "none":
            words = HEALTHY.split()
        for index, word in enumerate(words):
            if cancel.is_set():
                if fault != "ignore_cancel":
                    yield ChatDelta(finish_reason="cancelled", usage=Usage(1, index))
                    return
                self._hang()  # told to stop, it blocks instead (a long native call, say)
            yield ChatDelta(content=word if index == 0 else " " + word)
            time.sleep(0.02)
            if index == 1 and fault == "raise_mid":
                raise RuntimeError("the backend crashed mid-stream")
            if index == 1 and fault == "hang_mid":
                self._hang()
        yield ChatDelta(finish_reason="stop", usage=Usage(1, len(words)))

    def _hang(self) -> None:
        self.hung.set()
        self.release.wait(30)


@pytest.fixture
def engine():
    faulty = FaultyEngine()
    yield faulty
    faulty.release.set()  # let the threads of abandoned generations end


@pytest.fixture
def url(engine, tmp_path):
    app = create_app(engine, ServerOptions(stall_timeout=STALL), registry=ToolRegistry([calculator]),
                     store=ConversationStore(tmp_path / "faults.sqlite3"))
    with live_server(app) as base:
        yield base


def chat(url: str, stream: bool = False, timeout: float = 10) -> httpx.Response:
    return httpx.post(url + "/v1/chat/completions", timeout=timeout, json={
        "model": "faulty", "messages": [{"role": "user", "content": "hi"}], "stream": stream})


def agent(url: str, stream: bool = False, timeout: float = 10) -> httpx.Response:
    return httpx.post(url + "/v1/agent/chat", timeout=timeout, json={"message": "hi", "stream": stream})


def sse(response: httpx.Response) -> list:
    lines = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]", response.text
    return [json.loads(line) for line in lines[:-1]]


def assert_served(url: str) -> None:
    healthy = chat(url)
    assert healthy.status_code == 200, healthy.text
    assert healthy.json()["choices"][0]["message"]["content"] == HEALTHY


@pytest.mark.parametrize("fault", ["raise_on_call", "raise_first", "raise_mid", "hang_first", "hang_mid"])
def test_streaming_chat_gets_an_error_event_then_done_and_the_next_request_works(engine, url, fault):
    engine.plan(fault)
    start = time.monotonic()
    response = chat(url, stream=True)
    assert response.status_code == 200 and time.monotonic() - start < STALL + 3
    events = sse(response)
    error = events[-1]["error"]
    assert error["type"] == "server_error"
    assert ("crashed" in error["message"]) if fault.startswith("raise") else (f"nothing for {STALL:g} s" in error["message"])
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in events if e.get("choices"))
    assert text == ("partial answer" if fault.endswith("_mid") else "")
    assert_served(url)


@pytest.mark.parametrize("fault, status", [
    ("raise_on_call", 500), ("raise_first", 500), ("raise_mid", 500), ("hang_first", 503), ("hang_mid", 503)])
def test_non_streaming_chat_gets_an_openai_error_and_the_next_request_works(engine, url, fault, status):
    engine.plan(fault)
    response = chat(url)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == "server_error" and error["message"]
    if status == 503:
        assert error["code"] == "generation_stalled" and int(response.headers["Retry-After"]) >= 1
    else:
        assert error["code"] == "generation_failed" and "RuntimeError" in error["message"]
    assert_served(url)


def test_a_hung_engine_is_cut_and_the_model_is_served_while_its_thread_still_hangs(engine, url):
    engine.plan("hang_mid")
    assert chat(url).status_code == 503
    assert engine.hung.is_set() and not engine.release.is_set()
    assert_served(url)
    health = httpx.get(url + "/health", timeout=5).json()
    assert health["status"] == "ok" and health["waiting"] == 0


def test_an_engine_that_ignores_cancellation_loses_its_turn_after_the_stall_timeout(engine, url):
    engine.plan("ignore_cancel")
    body = {"model": "faulty", "messages": [{"role": "user", "content": "x"}], "stream": True}
    with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=10) as response:
        for line in response.iter_lines():
            if "answer" in line:
                break  # the client goes away mid-answer
    assert engine.hung.wait(5), "the engine never saw the cancellation"
    start = time.monotonic()
    assert_served(url)
    assert time.monotonic() - start < STALL + 3
    assert not engine.release.is_set()  # served although the ignoring engine's thread still blocks


@pytest.mark.parametrize("fault", ["raise_on_call", "raise_mid", "hang_first", "hang_mid"])
def test_a_streaming_agent_turn_ends_with_a_model_error_event_then_done(engine, url, fault):
    engine.plan(fault)
    response = agent(url, stream=True)
    assert response.status_code == 200
    events = sse(response)
    assert events[0]["type"] == "session"
    assert events[-1]["type"] == "error" and events[-1]["kind"] == "model"
    healthy = agent(url).json()
    assert healthy["answer"] == HEALTHY and healthy["error"] is None


@pytest.mark.parametrize("fault, status", [("raise_mid", 500), ("hang_mid", 503)])
def test_a_non_streaming_agent_turn_gets_an_openai_error(engine, url, fault, status):
    engine.plan(fault)
    response = agent(url)
    assert response.status_code == status and response.json()["error"]["type"] == "server_error"
    if status == 503:
        assert "Retry-After" in response.headers
    assert agent(url).json()["answer"] == HEALTHY


def test_the_queue_gives_an_engine_told_to_stop_the_stall_timeout_then_passes_its_turn_on():
    faulty = FaultyEngine().plan("ignore_cancel")
    queued = QueuedEngine(faulty, stall_timeout=STALL)
    request = ChatRequest([{"role": "user", "content": "x"}])
    try:
        stream = queued.stream(request)
        next(stream)
        stream.close()  # the caller leaves; the engine blocks instead of stopping
        assert faulty.hung.wait(5)
        start = time.monotonic()
        text = queued.chat(request).content
        waited = time.monotonic() - start
        assert text == HEALTHY
        assert STALL * 0.8 <= waited < STALL + 2  # it waited for the engine, but not for ever
    finally:
        faulty.release.set()
