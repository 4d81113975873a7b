"""Requests that once killed the server or gave a 500 (tool schemas a grammar cannot take, text
no model can read) are 400s that say what is wrong, before the model sees them.

The engine here is scripted: these checks happen before any model work. The same inputs against
the real model are in tests/test_fuzz_tool_schemas.py."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from agent_app.server.app import create_app
from agent_app.settings import ServerOptions
from agent_app.store import ConversationStore
from model.scripted import ScriptedEngine
from tools import ToolRegistry, calculator

ISSUE_SCHEMAS = [
    ({"type": "object", "properties": {"a": {"enum": []}}, "required": ["a"]}, "enum is empty"),
    ({"type": "banana"}, "'banana' is not valid"),
    ({"type": "object", "properties": {"a": {"$ref": "#/$defs/gone"}}, "required": ["a"]}, "does not resolve"),
    ({"type": "object", "properties": {"a": {"type": "string", "pattern": "(["}}, "required": ["a"]}, "not a 'regex'"),
]


@pytest.fixture
def app_and_engine(tmp_path):
    engine = ScriptedEngine(['{"name": "f", "arguments": {}}'])
    app = create_app(engine, ServerOptions(), registry=ToolRegistry([calculator]),
                     store=ConversationStore(tmp_path / "c.sqlite3"))
    return TestClient(app), engine


def forced(parameters) -> dict:
    return {"model": "scripted", "messages": [{"role": "user", "content": "go"}], "tool_choice": "required",
            "tools": [{"type": "function", "function": {"name": "get_thing", "parameters": parameters}}]}


@pytest.mark.parametrize("parameters, fragment", ISSUE_SCHEMAS)
def test_an_unusable_tool_schema_is_a_400_naming_the_tool_before_any_work(app_and_engine, parameters, fragment):
    client, engine = app_and_engine
    response = client.post("/v1/chat/completions", json=forced(parameters))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "tool 'get_thing'" in error["message"] and fragment in error["message"]
    assert error["param"] == "tools.0.function"
    assert engine.history == []


def test_defs_at_the_root_with_refs_are_accepted(app_and_engine):
    client, engine = app_and_engine
    parameters = {"type": "object", "$defs": {"n": {"type": "object", "properties": {"c": {"$ref": "#/$defs/n"}}}},
                  "properties": {"a": {"$ref": "#/$defs/n"}}, "required": ["a"]}
    assert client.post("/v1/chat/completions", json=forced(parameters)).status_code == 200
    assert len(engine.history) == 1


RAW_SURROGATE = b'{"model": "scripted", "messages": [{"role": "user", "content": "a\\ud800b"}]}'


@pytest.mark.parametrize("body, where", [
    (RAW_SURROGATE, "messages[0].content"),
    (b'{"model": "scripted", "messages": [{"role": "user", "content": "nul\\u0000"}]}', "messages[0].content"),
    (b'{"model": "scripted", "messages": [{"role": "user", "content": [{"type": "text", "text": "\\udc00"}]}]}',
     "messages[0].content[0].text"),
    (b'{"model": "scripted", "messages": [{"role": "user", "content": "ok"}], "tools": [{"type": "function", '
     b'"function": {"name": "f", "description": "\\ud83d", "parameters": {}}}]}', "tools[0].function.description"),
    (b'{"model": "scripted", "messages": [{"role": "user", "content": "ok"}], "stop": ["\\ud800"]}', "stop[0]"),
])
def test_text_no_model_can_read_is_a_400_that_says_where(app_and_engine, body, where):
    client, engine = app_and_engine
    response = client.post("/v1/chat/completions", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert message.startswith(f"{where}: contains "), message
    assert engine.history == []


def test_the_agent_endpoint_refuses_the_same_text_and_stores_nothing(app_and_engine, tmp_path):
    client, engine = app_and_engine
    body = b'{"message": "hello \\ud800", "tools": ["calculator"]}'
    response = client.post("/v1/agent/chat", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("message: contains an unpaired surrogate (U+D800)")
    assert client.get("/v1/agent/sessions").json()["data"] == []
    assert engine.history == []
