"""RemoteEngine against a live Lingxi server on a scripted model: the protocol survives a round trip."""
import pytest

from agent_app.server.app import create_app
from agent_app.settings import ServerOptions
from model.engines.remote import RemoteEngine
from model.errors import EngineUnavailableError, InvalidRequestError
from model.scripted import ScriptedEngine
from model.types import ChatRequest, SamplingParams
from tests.conftest import free_port, live_server

WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}}}}


def test_text_tool_calls_and_usage_round_trip():
    scripted = ScriptedEngine(["hello remote world",
                               'first <tool_call>{"name": "get_weather", "arguments": {"city": "广州"}}</tool_call>'
                               '<tool_call>{"name": "get_weather", "arguments": {"city": "Lyon"}}</tool_call>'])
    with live_server(create_app(scripted, ServerOptions(api_key="key"))) as url:
        remote = RemoteEngine(url + "/v1", "scripted", api_key="key")
        first = remote.chat(ChatRequest([{"role": "user", "content": "hi"}],
                                        sampling=SamplingParams(max_tokens=9, temperature=0, seed=3)))
        assert first.content == "hello remote world" and first.usage.completion_tokens == 3
        assert scripted.history[0].sampling.seed == 3
        second = remote.chat(ChatRequest([{"role": "user", "content": "weather"}], tools=[WEATHER]))
        assert second.content == "first" and second.finish_reason == "tool_calls"
        assert [c.arguments["city"] for c in second.tool_calls] == ["广州", "Lyon"]


def test_errors_map_to_model_error_types():
    with live_server(create_app(ScriptedEngine(), ServerOptions(api_key="key"))) as url:
        with pytest.raises(InvalidRequestError, match="does not exist"):
            RemoteEngine(url + "/v1", "other-model", api_key="key").chat(
                ChatRequest([{"role": "user", "content": "x"}]))
        with pytest.raises(EngineUnavailableError, match="API key"):
            RemoteEngine(url + "/v1", "scripted", api_key="wrong").chat(ChatRequest([{"role": "user", "content": "x"}]))
    with pytest.raises(EngineUnavailableError, match="cannot reach"):
        RemoteEngine(f"http://127.0.0.1:{free_port()}/v1", "m").chat(ChatRequest([{"role": "user", "content": "x"}]))
