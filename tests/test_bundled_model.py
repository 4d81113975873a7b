"""End-to-end on the real bundled model (SmolLM2-135M-Instruct GGUF through llama.cpp)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from agent_app.server.app import create_app
from agent_app.settings import ServerOptions
from model.errors import ContextLengthError
from model.types import ChatRequest, SamplingParams
from tests.conftest import live_server

pytestmark = pytest.mark.model

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather for a city",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "city name"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city", "unit"]}}}


def test_chat_and_stream_agree_under_greedy_decoding(bundled_engine):
    request = ChatRequest([{"role": "user", "content": "What is the capital of France?"}],
                          sampling=SamplingParams(max_tokens=24, temperature=0))
    whole = bundled_engine.chat(request)
    streamed = list(bundled_engine.stream(request))
    assert whole.content
    assert "".join(d.content for d in streamed) == whole.content
    assert len(streamed) > 3  # really streamed, not one lump
    assert streamed[-1].usage.completion_tokens == whole.usage.completion_tokens > 0
    assert whole.usage.completion_tokens <= 24
    if whole.finish_reason == "length":
        assert whole.usage.completion_tokens == 24
    assert whole.usage.prompt_tokens == bundled_engine.count_prompt_tokens(request)


def test_chat_template_comes_from_the_gguf(bundled_engine):
    assert "<|im_start|>" in bundled_engine.template.source
    assert "<|im_end|>" in bundled_engine.template.stop_strings


def test_prompt_longer_than_the_context_is_refused(bundled_engine):
    with pytest.raises(ContextLengthError) as caught:
        bundled_engine.stream(ChatRequest([{"role": "user", "content": "word " * 3000}]))
    assert caught.value.n_ctx == 2048 and caught.value.prompt_tokens > 2048


def test_openai_client_chats_streams_and_gets_a_forced_tool_call(bundled_engine):
    from openai import BadRequestError, OpenAI

    with live_server(create_app(bundled_engine, ServerOptions())) as url:
        client = OpenAI(base_url=url + "/v1", api_key="unused")
        model = client.models.list().data[0].id
        reply = client.chat.completions.create(
            model=model, max_tokens=20, temperature=0,
            messages=[{"role": "user", "content": "Say hello in one short sentence."}])
        assert reply.choices[0].message.content.strip()
        assert reply.usage.completion_tokens > 0
        pieces = [chunk.choices[0].delta.content or "" for chunk in client.chat.completions.create(
            model=model, max_tokens=20, temperature=0, stream=True,
            messages=[{"role": "user", "content": "Name a colour."}]) if chunk.choices]
        assert sum(1 for piece in pieces if piece) > 1 and "".join(pieces).strip()

        forced = client.chat.completions.create(
            model=model, max_tokens=80, temperature=0, tools=[WEATHER],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
            messages=[{"role": "user", "content": "What's the weather like in Paris, in celsius?"}])
        choice = forced.choices[0]
        assert choice.finish_reason == "tool_calls"
        call = choice.message.tool_calls[0]
        arguments = json.loads(call.function.arguments)
        assert call.function.name == "get_weather"
        assert set(arguments) == {"city", "unit"} and arguments["unit"] in ("celsius", "fahrenheit")
        assert isinstance(arguments["city"], str)

        with pytest.raises(BadRequestError) as caught:
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "word " * 3000}])
        assert "maximum context length is 2048" in str(caught.value)


def test_terminal_chat_streams_a_reply():
    script = "from agent_app.cli import main; import sys; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", script, "chat", "--temperature", "0", "--max-tokens", "16", "--n-threads", "1"],
        input="What is 2 plus 2?\n/exit\n", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_cli_reports_a_bad_model_spec_clearly():
    script = "from agent_app.cli import main; import sys; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run([sys.executable, "-c", script, "chat", "--model", "/no/such/model.gguf"],
                            input="", capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "cannot resolve model spec" in result.stderr and "no such file" in result.stderr


@pytest.mark.slow
def test_transformers_engine_serves_the_same_gguf(bundled_engine):
    from model.loader import EngineConfig, load_engine

    engine = load_engine("bundled", config=EngineConfig(engine="transformers", n_ctx=2048))
    request = ChatRequest([{"role": "user", "content": "What is the capital of France?"}],
                          sampling=SamplingParams(max_tokens=12, temperature=0))
    result = engine.chat(request)
    assert "Paris" in result.content
    assert result.usage.completion_tokens > 0
    assert result.usage.prompt_tokens == bundled_engine.count_prompt_tokens(request)
    streamed = "".join(d.content for d in engine.stream(request))
    assert streamed == result.content


def test_agent_runs_on_the_real_model(bundled_engine):
    from agent_app.agent import Agent, AgentConfig
    from agent_app.events import ErrorEvent, FinalAnswer, TextDelta
    from agent_app.memory import Memory, ModelStep, UserStep
    from agent_app.protocols import ReActProtocol
    from tools import ToolRegistry, calculator

    agent = Agent(bundled_engine, ToolRegistry([calculator]), ReActProtocol("en"),
                  AgentConfig(max_steps=3, sampling=SamplingParams(max_tokens=64, temperature=0)))
    memory = Memory()
    events = list(agent.run("What is 12 times 7? Use the calculator.", memory))
    assert any(isinstance(e, TextDelta) and e.text for e in events)
    last = events[-1]
    assert isinstance(last, FinalAnswer) or (isinstance(last, ErrorEvent) and last.kind == "step_limit")
    assert isinstance(memory.steps[0], UserStep) and isinstance(memory.steps[1], ModelStep)
