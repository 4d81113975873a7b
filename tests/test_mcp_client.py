"""MCP servers as a tool source: real server processes (tests/fixtures/mcp_tiny_server.py, written
with the official SDK) launched from an mcp.json, their tools called through the registry and the
agent on a scripted model; servers that cannot start, crash, hang or flood."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent_app.agent import Agent
from agent_app.events import FinalAnswer, ToolResultEvent
from agent_app.memory import Memory
from agent_app.server.app import create_app
from agent_app.settings import ServerOptions
from agent_app.store import ConversationStore
from model.scripted import ScriptedEngine
from model.tool_format import DEFAULT_TOOL_FORMAT, INERT_MARK
from tools.errors import ToolSourceError
from tools.mcp_client import add_mcp_server, read_mcp_config, remove_mcp_server
from tools.sources import agent_tools
from training.check import check_file

TINY = str(Path(__file__).parent / "fixtures" / "mcp_tiny_server.py")


def tiny(**extra) -> dict:
    return {"command": sys.executable, "args": [TINY], **extra}


def write_config(home: Path, servers: dict) -> Path:
    path = home / "mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    return path


def call(name: str, **arguments) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>'


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """Two tiny servers (call timeouts 4 and 60 s) beside three entries that cannot start, loaded as
    the app does."""
    home = tmp_path_factory.mktemp("home")
    write_config(home, {"tiny": tiny(timeout=4),
                        "roomy": tiny(timeout=60),  # the same tools again (prefixed), with time for 10 MB
                        "broken": tiny(args=[TINY, "--exit-at-start"]),
                        "missing": {"command": str(home / "no-such-program")},
                        "half": {"args": ["x"]}})
    started = time.monotonic()
    loaded = agent_tools(home)
    loaded.started_in = time.monotonic() - started
    yield loaded
    loaded.close()


def status(sources, name):
    return next(row for row in sources.mcp.statuses() if row.name == name)


def test_servers_in_mcp_json_join_the_registry_beside_the_built_ins(sources):
    names = sources.registry.names()
    assert {"calculator", "python", "knowledge_base"} <= set(names)
    assert {"convert_units", "nap", "forge"} <= set(names)
    assert "tiny_calculator" in names  # its own calculator clashes with the built-in: prefixed
    assert sources.registry.get("calculator").description != "A calculator of the tiny server's own " \
                                                              "(its name clashes with Lingxi's built-in)."
    schema = sources.registry.get("convert_units").parameters
    assert schema["required"] == ["value", "factor"]
    assert status(sources, "tiny").status == "connected"


def test_servers_that_cannot_start_are_reported_and_block_nothing(sources):
    broken, missing, half = status(sources, "broken"), status(sources, "missing"), status(sources, "half")
    assert broken.status == "failed" and "no API token configured" in broken.error  # its stderr, kept
    assert missing.status == "failed" and "no-such-program" in missing.error
    assert half.status == "invalid" and "command" in half.error
    assert sources.started_in < 15  # together, not one after the other's timeout


def test_a_call_returns_the_servers_answer_as_quoted_external_content(sources):
    result = sources.registry.call("convert_units", {"value": 10, "factor": 0.621371})
    assert result.ok, result.content
    assert "6.2137" in result.content and "EXTERNAL CONTENT from MCP server tiny" in result.content
    prefixed = sources.registry.call("tiny_calculator", {"expression": "1+1"})
    assert "tiny says 1+1" in prefixed.content
    assert sources.registry.call("calculator", {"expression": "17 * 23"}).content == "391"


def test_bad_arguments_and_error_results_become_error_observations(sources):
    bad = sources.registry.call("convert_units", {"value": "ten"})
    assert not bad.ok and bad.content.startswith("Error: invalid arguments for tool 'convert_units'")
    refused = sources.registry.call("refuse", {"reason": "no"})
    assert not refused.ok and "refused: no" in refused.content and "MCP server 'tiny'" in refused.content


def test_a_result_cannot_forge_a_call_or_a_turn_boundary(sources):
    result = sources.registry.call("forge", {})
    assert result.ok
    prompt = DEFAULT_TOOL_FORMAT.render_tool_result({"role": "tool", "content": result.content})
    assert "<tool_call>" not in prompt and "<|im_end|>" not in prompt and "<|im_start|>" not in prompt
    assert prompt.count("</tool_response>") == 1 and INERT_MARK in prompt


def test_a_server_that_sleeps_past_the_timeout_gives_an_error_in_time(sources):
    started = time.monotonic()
    result = sources.registry.call("nap", {"seconds": 30})
    assert not result.ok and "4 s" in result.content
    assert time.monotonic() - started < 8
    assert sources.registry.call("convert_units", {"value": 1, "factor": 2}).ok  # still serving


def test_ten_megabytes_are_cut_to_the_observation_limit(sources):
    result = sources.registry.call("roomy_flood", {"megabytes": 10})
    assert result.ok and result.truncated
    assert len(result.content) <= sources.registry.max_observation_chars
    assert result.content.rstrip().endswith("<<<END EXTERNAL CONTENT>>>")


def test_a_server_that_crashes_mid_call_is_started_again_for_the_next_call(sources):
    crashed = sources.registry.call("crash", {})
    assert not crashed.ok and "stopped during the call" in crashed.content
    assert status(sources, "tiny").status == "failed"
    again = sources.registry.call("convert_units", {"value": 2, "factor": 3})
    assert again.ok and "6.0" in again.content
    assert status(sources, "tiny").status == "connected"


def test_the_agent_calls_an_mcp_tool_and_answers_from_its_result(sources):
    engine = ScriptedEngine([call("convert_units", value=42, factor=0.621371), "About 26.1 miles."])
    agent = Agent(engine, sources.registry)
    events = list(agent.run("How many miles is 42 km?", Memory()))
    result = next(e for e in events if isinstance(e, ToolResultEvent))
    assert result.ok and "26.0976" in result.content
    assert any(isinstance(e, FinalAnswer) and e.text == "About 26.1 miles." for e in events)
    offered = {tool["function"]["name"] for tool in engine.history[0].tools}
    assert {"convert_units", "calculator"} <= offered


def test_a_conversation_that_used_an_mcp_tool_is_valid_training_data(sources, tmp_path):
    engine = ScriptedEngine([call("convert_units", value=5, factor=2), "It is 10."])
    store = ConversationStore(tmp_path / "c.sqlite3")
    client = TestClient(create_app(engine, ServerOptions(warm_prompts=False), sources.registry, store))
    session_id = client.post("/v1/agent/chat", json={"message": "5 times 2 by conversion?"}).json()["session_id"]
    example = store.export_example(session_id, sources.registry.schemas(["calculator", "convert_units"]))
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(example) + "\n", encoding="utf-8")
    report = check_file(path)
    assert report.examples == 1 and not report.errors, report.errors
    assert report.tool_calls == 1 and report.tool_results == 1


def test_config_file_errors_are_clear_and_entries_are_added_and_removed(tmp_path):
    path = tmp_path / "mcp.json"
    assert read_mcp_config(path).servers == {}  # no file: no servers
    path.write_text('{"mcpServers": {"a": {"command": "x",}}}', encoding="utf-8")
    with pytest.raises(ToolSourceError, match="line 1, column"):
        read_mcp_config(path)
    path.write_text(json.dumps({"mcpServers": {"keep": {"url": "http://127.0.0.1:1/mcp", "note": "mine"}},
                                "other": 1}), encoding="utf-8")
    add_mcp_server(path, "new", {"command": "echo", "args": ["hi"]})
    with pytest.raises(ToolSourceError, match="either"):
        add_mcp_server(path, "bad", {"command": "x", "url": "http://y"})
    with pytest.raises(ToolSourceError, match="name"):
        add_mcp_server(path, "no spaces", {"command": "x"})
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["other"] == 1 and raw["mcpServers"]["keep"]["note"] == "mine"
    assert set(read_mcp_config(path).servers) == {"keep", "new"}
    assert remove_mcp_server(path, "new") and not remove_mcp_server(path, "new")
    assert set(read_mcp_config(path).servers) == {"keep"}


def test_an_explicit_config_that_does_not_exist_stops_start_up(tmp_path):
    with pytest.raises(ToolSourceError, match="no such file"):
        agent_tools(tmp_path, mcp_config=tmp_path / "nope.json")
