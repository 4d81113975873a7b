"""Tools whose schemas come from elsewhere (langchain, later MCP) meet the same checks as tool
schemas sent with a request: a broken one never enters a registry, or is refused by the model
layer; a valid one runs through the agent endpoint on the real model without harm.

Strategies: tests/schema_strategies.py. LINGXI_SCHEMA_FUZZ_EXAMPLES bounds the live part."""
from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from agent_app.server.app import create_app
from agent_app.settings import ServerOptions
from agent_app.store import ConversationStore
from model.tool_schemas import ToolSchemaError, check_tools
from tests.schema_strategies import broken_parameters, valid_parameters
from tools import Tool, ToolDefinitionError, ToolRegistry

EXAMPLES = int(os.environ.get("LINGXI_SCHEMA_FUZZ_EXAMPLES", "30"))
QUICK = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


class Lookup(Tool):
    """A tool from elsewhere: a ready schema, any arguments, a fixed answer."""

    def forward(self, **kwargs) -> str:
        return "found: 42"


def lookup(parameters) -> Lookup:
    return Lookup(name="lookup", description="查找信息 / look something up", parameters=parameters)


@QUICK
@given(parameters=broken_parameters())
def test_a_broken_schema_never_reaches_the_model(parameters):
    try:
        registry = ToolRegistry([lookup(parameters)])
    except ToolDefinitionError as error:
        assert "lookup" in str(error)
        return
    with pytest.raises(ToolSchemaError):  # jsonschema-valid but unusable (an empty enum, min > max)
        check_tools(registry.schemas())


@QUICK
@given(parameters=valid_parameters())
def test_a_valid_schema_is_taken_by_the_registry_and_the_model_layer(parameters):
    registry = ToolRegistry([lookup(parameters)])
    check_tools(registry.schemas())


@pytest.mark.model
@settings(max_examples=max(3, EXAMPLES // 3), deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(parameters=valid_parameters())
def test_an_agent_turn_with_any_valid_tool_ends_in_an_answer_or_an_error_event(bundled_engine, tmp_path_factory,
                                                                                 parameters):
    store = ConversationStore(tmp_path_factory.mktemp("store") / "c.sqlite3")
    app = create_app(bundled_engine, ServerOptions(), registry=ToolRegistry([lookup(parameters)]), store=store)
    with TestClient(app) as client:
        response = client.post("/v1/agent/chat", json={"message": "Look up the weather in 北京, please.",
                                                       "max_steps": 2, "max_tokens": 160, "temperature": 1.0})
        assert response.status_code == 200, response.text[:500]
        body = response.json()
        assert body["answer"] is not None or body["error"], body
        assert client.get("/health").status_code == 200
