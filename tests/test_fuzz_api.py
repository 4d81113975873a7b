"""Schema-driven fuzzing: schemathesis generates requests from the app's own /openapi.json (valid
and invalid ones) and sends them over real HTTP to a loopback server on a scripted model.

No response may be a 5xx and no call may hang. Bounded: LINGXI_FUZZ_EXAMPLES examples per
operation (default 25, ~15 s in all); raise it for a longer run, e.g. LINGXI_FUZZ_EXAMPLES=500.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from agent_app.server.app import create_app
from agent_app.settings import ServerOptions
from agent_app.store import ConversationStore
from model.scripted import ScriptedEngine
from tests.conftest import live_server
from tools import ToolRegistry, calculator

EXAMPLES = int(os.environ.get("LINGXI_FUZZ_EXAMPLES", "25"))
CALL_TIMEOUT = 10.0
_DATA = Path(tempfile.mkdtemp(prefix="lingxi-fuzz-"))
ENGINE = ScriptedEngine(default="A fuzzed reply. <tool_call>\n{\"name\": \"calculator\", "
                                "\"arguments\": {\"expression\": \"1+1\"}}\n</tool_call>")
APP = create_app(ENGINE, ServerOptions(stall_timeout=5), registry=ToolRegistry([calculator]),
                 store=ConversationStore(_DATA / "fuzz.sqlite3"))
# The document the app serves at /openapi.json (read without running the app's lifespan, which
# would close its store when done); the calls go over HTTP to the live server below.
schema = schemathesis.openapi.from_dict(APP.openapi())


@pytest.fixture(scope="module")
def base_url():
    with live_server(APP) as url:
        yield url


def test_the_schema_describes_the_request_bodies():
    document = APP.openapi()
    for path in ("/v1/chat/completions", "/v1/agent/chat"):
        body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body["$ref"].startswith("#/components/schemas/")
    chat = document["components"]["schemas"]["ChatCompletionRequest"]
    assert {"model", "messages"} <= set(chat["required"]) and "tools" in chat["properties"]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_no_hang(case, base_url):
    start = time.monotonic()
    response = case.call(base_url=base_url, timeout=CALL_TIMEOUT)
    elapsed = time.monotonic() - start
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    assert elapsed < CALL_TIMEOUT
    content_type = (response.headers.get("content-type") or [""])[0]
    if response.status_code >= 400 and content_type.startswith("application/json"):
        assert set(response.json()["error"]) >= {"message", "type"}  # OpenAI-style error body
