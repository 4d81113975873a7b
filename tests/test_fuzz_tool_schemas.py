"""No request can take the server down: Hypothesis generates tool schemas, valid ones with every
keyword the grammar converter handles and broken ones, and sends each as a forced call to a live
`lingxi serve` on the real default model (the bundled model with its shipped adapter), in a
process of its own, so that a crash shows as a dead server rather than a dead test run.

Every answer must be a tool call to the forced tool (valid schemas) or a 400 (broken ones), and
the server must still answer /health at the end. Bounded: LINGXI_SCHEMA_FUZZ_EXAMPLES examples
per test (default 30; raise it for a longer run, e.g. 500). Temperature 1.0: the model is free to
write anything the grammar lets through.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import free_port
from tests.schema_strategies import broken_parameters, valid_parameters

pytestmark = pytest.mark.model

EXAMPLES = int(os.environ.get("LINGXI_SCHEMA_FUZZ_EXAMPLES", "30"))
TIMEOUT = 180.0
STATS = {"valid": 0, "broken": 0, "calls": 0, "schema_valid_arguments": 0, "seconds": 0.0}

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`lingxi serve` on the default model, in its own process."""
    port = free_port()
    home = tmp_path_factory.mktemp("lingxi-home")
    log = open(home / "server.log", "w")
    command = [str(Path(sys.executable).parent / "lingxi"), "serve", "--port", str(port), "--n-threads", "1",
               "--n-ctx", "4096"]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "LINGXI_HOME": str(home)})
    url = f"http://127.0.0.1:{port}"
    _wait_for_health(process, url, home / "server.log")
    started = time.monotonic()
    yield process, url
    STATS["seconds"] = time.monotonic() - started
    alive = process.poll() is None
    health = httpx.get(f"{url}/health", timeout=10).status_code if alive else None
    process.terminate()
    process.wait(timeout=30)
    log.close()
    print(f"\nschema fuzz: {STATS}")
    assert alive and health == 200, (home / "server.log").read_text()[-3000:]


def _wait_for_health(process, url: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not start in 120 s")


def _forced_call(url: str, parameters, named: bool, seed: int) -> httpx.Response:
    tool = {"type": "function", "function": {"name": "lookup", "description": "查找信息 / look something up",
                                             "parameters": parameters}}
    choice = {"type": "function", "function": {"name": "lookup"}} if named else "required"
    body = {"model": "lingxi", "messages": [{"role": "user", "content": "Call the tool, please. 请调用工具。"}],
            "tools": [tool], "tool_choice": choice, "temperature": 1.0, "seed": seed, "max_tokens": 2000}
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=TIMEOUT)


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@FUZZ
@given(parameters=valid_parameters(), named=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_every_valid_schema_gets_a_tool_call(server, parameters, named, seed):
    process, url = server
    response = _forced_call(url, parameters, named, seed)
    assert process.poll() is None, "the server died"
    assert response.status_code == 200, (response.status_code, response.text[:500], parameters)
    choice = response.json()["choices"][0]
    calls = choice["message"].get("tool_calls") or []
    assert choice["finish_reason"] == "tool_calls" and len(calls) == 1, (choice, parameters)
    assert calls[0]["function"]["name"] == "lookup"
    arguments = json.loads(calls[0]["function"]["arguments"])
    assert isinstance(arguments, dict)
    STATS["valid"] += 1
    STATS["calls"] += 1
    STATS["schema_valid_arguments"] += _satisfies(parameters, arguments)


@FUZZ
@given(parameters=broken_parameters(), named=st.booleans())
def test_every_broken_schema_is_a_400_that_names_the_tool(server, parameters, named):
    process, url = server
    response = _forced_call(url, parameters, named, 0)
    assert process.poll() is None, "the server died"
    assert response.status_code == 400, (response.status_code, response.text[:500], parameters)
    assert "lookup" in response.json()["error"]["message"] or "parameters" in response.json()["error"]["message"]
    STATS["broken"] += 1


def _satisfies(parameters: dict, arguments: dict) -> bool:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(parameters).is_valid(arguments)
