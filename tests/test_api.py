"""The OpenAI-compatible API on a scripted model: shapes, streaming, tool calls, errors, queueing."""
from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from agent_app.server.app import create_app
from agent_app.settings import ServerOptions
from model.engines.queued import QueuedEngine
from model.scripted import ScriptedEngine
from tests.conftest import live_server
from tests.fakes import SlowEngine

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "北京"}}\n</tool_call>'


def client_for(engine, **options) -> TestClient:
    return TestClient(create_app(engine, ServerOptions(**options)))


def chat(client, **body):
    body.setdefault("model", "scripted")
    body.setdefault("messages", [{"role": "user", "content": "hi"}])
    return client.post("/v1/chat/completions", json=body)


def sse_events(response) -> list:
    events = [line[len("data: "):] for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    return [json.loads(event) for event in events[:-1]]


def test_models_and_health():
    client = client_for(ScriptedEngine())
    assert client.get("/v1/models").json()["data"][0]["id"] == "scripted"
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["parallel"] == 1 and health["serving"] == 0


def test_non_streaming_answer_has_openai_shape():
    engine = ScriptedEngine(["Hello there, friend."])
    body = chat(client_for(engine), temperature=0, max_tokens=50, seed=7, stop=["END"]).json()
    assert body["object"] == "chat.completion"
    choice = body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "Hello there, friend."}
    assert choice["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens"] == 3
    sampling = engine.history[0].sampling
    assert (sampling.temperature, sampling.max_tokens, sampling.seed, sampling.stop) == (0, 50, 7, ["END"])


def test_streaming_sends_role_then_content_then_finish():
    client = client_for(ScriptedEngine(["one two three"]))
    response = chat(client, stream=True, stream_options={"include_usage": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response)
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in events if e["choices"])
    assert text == "one two three"
    finishes = [e["choices"][0]["finish_reason"] for e in events if e["choices"]]
    assert finishes[-1] == "stop" and finishes.count("stop") == 1
    assert events[-1]["choices"] == [] and events[-1]["usage"]["completion_tokens"] == 3


def test_tool_call_non_streaming_keeps_chinese_as_utf8():
    response = chat(client_for(ScriptedEngine([CALL])), tools=[WEATHER])
    assert "北京".encode() in response.content  # UTF-8 text, not \\u escapes
    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    call = choice["message"]["tool_calls"][0]
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "北京"}


def test_tool_call_streams_as_delta_tool_calls():
    events = sse_events(chat(client_for(ScriptedEngine(["Checking. " + CALL])), tools=[WEATHER], stream=True))
    calls = [c for e in events for c in e["choices"][0]["delta"].get("tool_calls", [])]
    assert len(calls) == 1 and calls[0]["index"] == 0
    assert calls[0]["function"]["name"] == "get_weather"
    assert json.loads(calls[0]["function"]["arguments"]) == {"city": "北京"}
    assert events[-1]["choices"][0]["finish_reason"] == "tool_calls"


class LoopCutEngine(ScriptedEngine):
    """Ends its reply as the engine's repetition guard does (finish "repetition")."""

    def _stream(self, request, reply, cancel):
        for delta in super()._stream(request, reply, cancel):
            if delta.finish_reason:
                delta.finish_reason = "repetition"
            yield delta


@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_cut_for_looping_is_length_with_stop_reason_repetition(stream):
    response = chat(client_for(LoopCutEngine(["I can help you with your web search."])), stream=stream)
    ends = [e["choices"][0] for e in sse_events(response) if e["choices"]] if stream else response.json()["choices"]
    last = [choice for choice in ends if choice["finish_reason"]]
    assert len(last) == 1 and last[0]["finish_reason"] == "length" and last[0]["stop_reason"] == "repetition"


@pytest.mark.parametrize("stream", [False, True])
def test_a_call_that_does_not_parse_never_reaches_the_content(stream):
    broken = 'Let me check. <tool_call>\n{"name": "get_weather", "arguments": {"city": }\n</tool_call>'
    response = chat(client_for(ScriptedEngine([broken])), tools=[WEATHER], stream=stream)
    if stream:
        choices = [e["choices"][0] for e in sse_events(response) if e["choices"]]
        text = "".join(choice["delta"].get("content", "") for choice in choices)
        finish = choices[-1]["finish_reason"]
        assert not [c for choice in choices for c in choice["delta"].get("tool_calls", [])]
    else:
        choice = response.json()["choices"][0]
        text, finish = choice["message"]["content"], choice["finish_reason"]
        assert "tool_calls" not in choice["message"]
    assert text.strip() == "Let me check." and finish == "stop"


def test_tool_history_reaches_the_model():
    engine = ScriptedEngine(["It is sunny."])
    messages = [
        {"role": "user", "content": "weather in Beijing?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "北京"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]
    body = chat(client_for(engine), messages=messages, tools=[WEATHER]).json()
    assert body["choices"][0]["message"]["content"] == "It is sunny."
    sent = engine.history[0].messages
    assert sent[1]["tool_calls"][0]["function"]["name"] == "get_weather" and sent[2]["role"] == "tool"


def test_named_tool_choice_is_passed_down():
    engine = ScriptedEngine(['{"name": "get_weather", "arguments": {"city": "Oslo"}}'])
    body = chat(client_for(engine), tools=[WEATHER],
                tool_choice={"type": "function", "function": {"name": "get_weather"}}).json()
    assert engine.history[0].forced_tool_names() == ["get_weather"]
    assert body["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"


@pytest.mark.parametrize("body, fragment", [
    ({"messages": []}, "messages"),
    ({"messages": "hello"}, "messages"),
    ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages"),
    ({"messages": [{"role": "user"}]}, "content"),
    ({"messages": [{"role": "user", "content": 5}]}, "content"),
    ({"temperature": 3}, "temperature"),
    ({"temperature": "hot"}, "temperature"),
    ({"top_p": 0}, "top_p"),
    ({"max_tokens": 0}, "max_tokens"),
    ({"n": 2}, "n"),
    ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ({"tool_choice": "required"}, "tools"),
    ({"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "nope"}}}, "nope"),
    ({"tools": [{"type": "function", "function": {"name": "bad name!"}}]}, "name"),
    ({"messages": [{"role": "assistant", "tool_calls": [
        {"id": "1", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]}]}, "JSON"),
    ({"messages": [{"role": "tool", "content": "x"}]}, "tool_call_id"),
])
def test_bad_input_is_a_400_with_an_openai_error_body(body, fragment):
    engine = ScriptedEngine()
    response = chat(client_for(engine), **body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert fragment in error["message"] + str(error["param"])
    assert engine.history == []  # nothing reached the model


def test_invalid_json_body_and_unknown_model():
    client = client_for(ScriptedEngine())
    response = client.post("/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and "JSON" in response.json()["error"]["message"]
    response = chat(client, model="gpt-9")
    assert response.status_code == 404 and response.json()["error"]["code"] == "model_not_found"


def test_api_key_guards_every_route_but_health():
    client = client_for(ScriptedEngine(["ok"]), api_key="s3cret")
    assert client.get("/health").status_code == 200
    assert client.get("/v1/models").status_code == 401
    assert chat(client).json()["error"]["type"] == "authentication_error"
    assert client.get("/v1/models", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.post(
        "/v1/chat/completions", headers={"Authorization": "Bearer s3cret"},
        json={"model": "scripted", "messages": [{"role": "user", "content": "x"}]})
    assert ok.status_code == 200 and ok.json()["choices"][0]["message"]["content"] == "ok"


def test_engine_failure_is_a_server_error_and_the_next_request_works():
    from model.errors import GenerationError

    client = client_for(ScriptedEngine([GenerationError("backend crashed"), "recovered"]))
    failed = chat(client)
    assert failed.status_code == 500 and "backend crashed" in failed.json()["error"]["message"]
    assert chat(client).json()["choices"][0]["message"]["content"] == "recovered"


def test_requests_are_queued_never_interleaved():
    engine = SlowEngine(tokens=5, delay=0.02)
    app = create_app(engine, ServerOptions())
    with live_server(app) as url:
        def one():
            r = httpx.post(url + "/v1/chat/completions", timeout=30,
                           json={"model": "slow", "messages": [{"role": "user", "content": "x"}]})
            assert r.status_code == 200
        threads = [threading.Thread(target=one) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert engine.finished == 6 and engine.max_active == 1


def test_full_queue_answers_429_with_retry_after():
    engine = SlowEngine(tokens=200, delay=0.02)
    app = create_app(QueuedEngine(engine, max_waiting=0), ServerOptions())
    with live_server(app) as url:
        body = {"model": "slow", "messages": [{"role": "user", "content": "x"}], "stream": True}
        with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=30) as busy:
            assert engine.started.wait(5)
            refused = httpx.post(url + "/v1/chat/completions", json=body, timeout=30)
            assert refused.status_code == 429
            assert refused.headers["Retry-After"] == "2"
            assert refused.json()["error"]["code"] == "queue_full"
            busy.close()


def test_client_disconnect_stops_generation_and_frees_the_model():
    engine = SlowEngine(tokens=500, delay=0.01)
    app = create_app(engine, ServerOptions())
    with live_server(app) as url:
        body = {"model": "slow", "messages": [{"role": "user", "content": "x"}], "stream": True}
        with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=30) as response:
            for line in response.iter_lines():
                if "tok" in line:
                    break
        assert engine.cancelled.wait(5), "generation went on after the client left"
        start = time.monotonic()
        engine.tokens = 2
        after = httpx.post(url + "/v1/chat/completions", json={**body, "stream": False}, timeout=30)
        assert after.status_code == 200 and time.monotonic() - start < 5


def test_non_streaming_disconnect_also_cancels():
    engine = SlowEngine(tokens=500, delay=0.01)
    app = create_app(engine, ServerOptions())
    with live_server(app) as url:
        body = {"model": "slow", "messages": [{"role": "user", "content": "x"}]}
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(url + "/v1/chat/completions", json=body, timeout=0.5)
        assert engine.cancelled.wait(5)


def test_the_official_openai_client_chats_streams_and_calls_tools():
    from openai import OpenAI

    engine = ScriptedEngine(["Hi from Lingxi.", "Streamed answer here.", CALL])
    with live_server(create_app(engine, ServerOptions(api_key="k"))) as url:
        client = OpenAI(base_url=url + "/v1", api_key="k")
        reply = client.chat.completions.create(model="scripted", messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content == "Hi from Lingxi."
        stream = client.chat.completions.create(model="scripted", stream=True,
                                                messages=[{"role": "user", "content": "hi"}])
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "Streamed answer here."
        called = client.chat.completions.create(
            model="scripted", messages=[{"role": "user", "content": "weather?"}], tools=[WEATHER],
            tool_choice={"type": "function", "function": {"name": "get_weather"}})
        call = called.choices[0].message.tool_calls[0]
        assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "北京"}
        from openai import BadRequestError
        with pytest.raises(BadRequestError):
            client.chat.completions.create(model="scripted", messages=[])


def phased_call_engine():
    """The engine's auto mode on a scripted generator that builds grammars: it opens a call to
    get_weather, decoded in its own phase (model/engines/auto_calls.py)."""
    from model.chat_template import ChatTemplate
    from model.engines.base import TemplatedEngine
    from tests.fakes import PhasedGenerator

    call_json = '{"name": "get_weather", "arguments": {"city": "北京"}}'
    return TemplatedEngine("phased", PhasedGenerator(free=["<tool_call>", ""], calls=[call_json]), ChatTemplate())


def test_a_call_streams_its_name_first_and_its_arguments_when_written():
    engine = phased_call_engine()
    events = sse_events(chat(client_for(engine), model="phased", tools=[WEATHER], stream=True))
    pieces = [c for e in events if e["choices"] for c in e["choices"][0]["delta"].get("tool_calls", [])]
    assert pieces[0]["function"] == {"name": "get_weather", "arguments": ""} and pieces[0]["id"]
    assert pieces[1] == {"index": 0, "function": {"arguments": '{"city": "北京"}'}}  # no name again: clients append
    assert events[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_the_official_openai_client_assembles_a_call_streamed_name_first():
    from openai import OpenAI

    engine = phased_call_engine()
    with live_server(create_app(engine, ServerOptions())) as url:
        client = OpenAI(base_url=url + "/v1", api_key="none")
        with client.chat.completions.stream(model="phased", messages=[{"role": "user", "content": "weather?"}],
                                            tools=[WEATHER]) as stream:
            final = stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "北京"}
