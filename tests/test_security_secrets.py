"""Access to the API: the key guards every route but /health; the key, Authorization headers and
the server's environment never reach the logs (ours at DEBUG, uvicorn's access log) nor anything
the model receives; servers bind loopback unless told otherwise."""
from __future__ import annotations

import ast
import json
import logging
import re
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from agent_app.server.app import create_app
from agent_app.settings import ServerOptions
from agent_app.store import ConversationStore
from model.scripted import ScriptedEngine
from tests.conftest import free_port
from tools import PythonTool, ToolRegistry, calculator

KEY = "sk-lingxi-test-key-6f1d2c"
ENV_SECRET = "env-secret-value-93ab7e"
WRONG_KEY = "sk-wrong-guess-41c0aa"
LEAK_CODE = ("import os\nprint(dict(os.environ))\n"
             "print(open(f'/proc/{os.getppid()}/environ').read())")
LEAK_CALL = ('<tool_call>\n{"name": "python", "arguments": {"code": ' + json.dumps(LEAK_CODE) + '}}\n</tool_call>')


def guarded_client(engine=None, tmp_path=None) -> TestClient:
    store = ConversationStore(tmp_path / "c.sqlite3") if tmp_path else None
    app = create_app(engine or ScriptedEngine(default="ok"), ServerOptions(api_key=KEY),
                     registry=ToolRegistry([calculator]), store=store)
    return TestClient(app)


def every_route(routes) -> list[tuple[str, str]]:
    """(method, path) of every route, included routers too (FastAPI keeps those as wrappers)."""
    found = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            found += every_route(included.routes)
            continue
        path = re.sub(r"\{[^}]+\}", "s1", getattr(route, "path", ""))
        found += [(method, path) for method in sorted(getattr(route, "methods", None) or ()) if method != "HEAD"]
    return found


def test_the_key_guards_every_route_but_health_including_the_schema_and_docs(tmp_path):
    client = guarded_client(tmp_path=tmp_path)
    routes = every_route(client.app.routes)
    paths = {path for _, path in routes}
    assert {"/openapi.json", "/docs", "/redoc", "/v1/chat/completions", "/v1/agent/chat", "/v1/models"} <= paths
    for method, path in routes:
        bare = client.request(method, path)
        wrong = client.request(method, path, headers={"Authorization": f"Bearer {WRONG_KEY}"})
        keyed = client.request(method, path, headers={"Authorization": f"Bearer {KEY}"})
        if path == "/health":
            assert bare.status_code == 200
            continue
        assert bare.status_code == 401 and wrong.status_code == 401, (method, path)
        assert bare.json()["error"]["type"] == "authentication_error"
        assert bare.headers["WWW-Authenticate"] == "Bearer"
        assert keyed.status_code != 401, (method, path)
    assert client.get("/openapi.json", headers={"Authorization": f"Bearer {KEY}"}).json()["info"]["title"] == "Lingxi"


def test_the_schema_declares_the_bearer_scheme_on_guarded_routes(tmp_path):
    document = guarded_client(tmp_path=tmp_path).app.openapi()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert document["paths"]["/v1/chat/completions"]["post"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in document["paths"]["/health"]["get"]


@pytest.fixture
def logged_server(tmp_path, monkeypatch):
    """A live server with uvicorn's access log and every logger at DEBUG, all into caplog."""
    monkeypatch.setenv("LINGXI_API_KEY", KEY)
    monkeypatch.setenv("LINGXI_TEST_SECRET", ENV_SECRET)
    engine = ScriptedEngine(default="ok")
    app = create_app(engine, ServerOptions(api_key=KEY), registry=ToolRegistry([calculator, PythonTool()]),
                     store=ConversationStore(tmp_path / "c.sqlite3"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="debug",
                                           access_log=True, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", engine
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_secrets_reach_neither_the_logs_nor_the_model(logged_server, caplog, capfd):
    url, engine = logged_server
    caplog.set_level(logging.DEBUG)
    engine.enqueue("Hello.", "Streamed.", LEAK_CALL, "Done.", RuntimeError("the backend crashed"))
    auth = {"Authorization": f"Bearer {KEY}"}
    chat = {"model": "scripted", "messages": [{"role": "user", "content": "hi"}]}
    assert httpx.post(url + "/v1/chat/completions", json=chat, headers=auth, timeout=30).status_code == 200
    streamed = httpx.post(url + "/v1/chat/completions", json={**chat, "stream": True}, headers=auth, timeout=30)
    assert streamed.status_code == 200 and "[DONE]" in streamed.text
    turn = httpx.post(url + "/v1/agent/chat", json={"message": "show me the environment", "tools": ["python"]},
                      headers=auth, timeout=60).json()
    assert turn["answer"] == "Done."
    tool_result = next(step for step in turn["steps"] if step["type"] == "tool_result")
    assert "PATH" in tool_result["content"]  # the code ran and printed its (minimal) environment
    failed = httpx.post(url + "/v1/chat/completions", json=chat, headers=auth, timeout=30)
    assert failed.status_code == 500
    assert httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer {WRONG_KEY}"}, timeout=5).status_code == 401
    assert httpx.get(url + "/health", timeout=5).status_code == 200

    server_records = [record for record in caplog.records if not record.name.startswith(("httpx", "httpcore"))]
    logged = "\n".join(logging.Formatter().format(record) for record in server_records)
    logged += "".join(capfd.readouterr())
    assert "/v1/agent/chat" in logged and "401" in logged  # the access log was captured
    seen_by_model = json.dumps([(request.messages, request.tools) for request in engine.history], ensure_ascii=False)
    assert "PATH" in seen_by_model
    for secret in (KEY, WRONG_KEY, ENV_SECRET, "Authorization", "LINGXI_TEST_SECRET"):
        assert secret not in logged, secret
        assert secret not in seen_by_model, secret


def test_settings_never_show_the_key():
    options = ServerOptions(api_key=KEY)
    assert KEY not in repr(options) and KEY not in str(options.model_dump())


def test_servers_bind_loopback_unless_told_otherwise(monkeypatch):
    from agent_app.cli import Serve

    monkeypatch.delenv("LINGXI_HOST", raising=False)
    assert ServerOptions().host == "127.0.0.1"
    assert Serve.model_fields["host"].default == "127.0.0.1"
    # app.py takes its host from ServerOptions too; read it without importing Gradio (~40 s here).
    tree = ast.parse((Path(__file__).resolve().parents[1] / "app.py").read_text())
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    assert "ServerOptions" in {base.id for base in classes["WebApp"].bases if isinstance(base, ast.Name)}
    assigned = {target.target.id for node in classes.values() for target in node.body
                if isinstance(target, ast.AnnAssign) and isinstance(target.target, ast.Name)}
    assert "host" not in assigned
    runs = [call for call in ast.walk(tree) if isinstance(call, ast.Call) and ast.unparse(call.func) == "uvicorn.run"]
    assert runs and all(ast.unparse(k.value) == "self.host" for call in runs for k in call.keywords if k.arg == "host")
