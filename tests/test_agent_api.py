"""POST /v1/agent/chat and the session routes, on a scripted model."""
import json

from fastapi.testclient import TestClient

from agent_app.server.app import create_app
from agent_app.settings import ServerOptions
from agent_app.store import ConversationStore
from model.errors import GenerationError
from model.scripted import ScriptedEngine
from tools import ToolRegistry, calculator

CALL = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "21*2"}}\n</tool_call>'


def make_client(replies, tmp_path, **options):
    engine = ScriptedEngine(replies)
    store = ConversationStore(tmp_path / "c.sqlite3")
    app = create_app(engine, ServerOptions(**options), registry=ToolRegistry([calculator]), store=store)
    return TestClient(app), engine, store


def test_non_streaming_turn_returns_answer_and_steps_and_persists(tmp_path):
    client, engine, store = make_client([CALL, "It is 42."], tmp_path)
    body = client.post("/v1/agent/chat", json={"message": "21 times 2?"}).json()
    assert body["answer"] == "It is 42." and body["error"] is None
    assert [s["type"] for s in body["steps"]] == ["tool_call", "tool_result", "final_answer"]
    assert body["steps"][1]["content"] == "42"
    stored = store.messages(body["session_id"])
    assert [m["role"] for m in stored] == ["user", "assistant", "tool", "assistant"]


def test_streaming_turn_sends_typed_events(tmp_path):
    client, _, _ = make_client([CALL, "It is 42."], tmp_path)
    response = client.post("/v1/agent/chat", json={"message": "21 times 2?", "stream": True})
    lines = [l[6:] for l in response.text.splitlines() if l.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    events = [json.loads(l) for l in lines[:-1]]
    assert events[0]["type"] == "session"
    kinds = [e["type"] for e in events[1:]]
    assert kinds.index("tool_call") < kinds.index("tool_result") < kinds.index("final_answer")
    assert "text" in kinds and events[-1] == {"type": "final_answer", "text": "It is 42.", "steps": 2}


def test_a_session_continues_and_can_be_listed_read_and_deleted(tmp_path):
    client, engine, _ = make_client(["Hello.", "Still here."], tmp_path)
    sid = client.post("/v1/agent/chat", json={"message": "hi"}).json()["session_id"]
    client.post("/v1/agent/chat", json={"message": "again", "session_id": sid})
    assert [m["content"] for m in engine.history[1].messages] == ["hi", "Hello.", "again"]
    listed = client.get("/v1/agent/sessions").json()["data"]
    assert listed[0]["id"] == sid and listed[0]["messages"] == 4
    assert len(client.get(f"/v1/agent/sessions/{sid}").json()["messages"]) == 4
    assert client.delete(f"/v1/agent/sessions/{sid}").json()["deleted"] is True
    missing = client.get(f"/v1/agent/sessions/{sid}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "session_not_found"
    assert client.delete(f"/v1/agent/sessions/{sid}").status_code == 404


def test_bad_agent_requests_are_400(tmp_path):
    client, engine, _ = make_client([], tmp_path)
    for body, fragment in [({"message": ""}, "message"), ({"message": "x", "tools": ["nope"]}, "nope"),
                           ({"message": "x", "max_steps": 0}, "max_steps"),
                           ({"message": "x", "protocol": "magic"}, "protocol"),
                           ({"message": "x", "session_id": "../etc"}, "session_id")]:
        response = client.post("/v1/agent/chat", json=body)
        assert response.status_code == 400 and fragment in response.text, body
    assert engine.history == []


def test_model_failure_reaches_the_client_and_keeps_the_user_message(tmp_path):
    client, _, store = make_client([GenerationError("backend died"), GenerationError("backend died")], tmp_path)
    failed = client.post("/v1/agent/chat", json={"message": "hi", "session_id": "s1"})
    assert failed.status_code == 500 and "backend died" in failed.json()["error"]["message"]
    streamed = client.post("/v1/agent/chat", json={"message": "hi", "session_id": "s1", "stream": True})
    events = [json.loads(l[6:]) for l in streamed.text.splitlines() if l.startswith("data: {")]
    assert events[-1]["type"] == "error" and events[-1]["kind"] == "model"
    assert [m["content"] for m in store.messages("s1")] == ["hi", "hi"]


def test_agent_routes_need_the_api_key(tmp_path):
    client, _, _ = make_client(["x"], tmp_path, api_key="k")
    assert client.post("/v1/agent/chat", json={"message": "hi"}).status_code == 401
    assert client.get("/v1/agent/sessions").status_code == 401


def test_each_session_s_tools_work_in_its_own_workspace(tmp_path, lingxi_home):
    from tools import current_workspace, tool

    @tool
    def list_files() -> str:
        """List the conversation's files."""
        workspace = current_workspace()
        return f"{workspace.path.name}: {', '.join(workspace.files()) or 'none'}"

    listing = '<tool_call>\n{"name": "list_files", "arguments": {}}\n</tool_call>'
    engine = ScriptedEngine([listing, "Done.", listing, "Done."])
    app = create_app(engine, ServerOptions(), registry=ToolRegistry([list_files]),
                     store=ConversationStore(tmp_path / "c.sqlite3"))
    client = TestClient(app)
    (lingxi_home / "workspaces" / "trip").mkdir(parents=True)
    (lingxi_home / "workspaces" / "trip" / "ticket.png").write_bytes(b"png")
    trip = client.post("/v1/agent/chat", json={"message": "files?", "session_id": "trip"}).json()
    assert trip["steps"][1]["content"] == "trip: ticket.png"
    other = client.post("/v1/agent/chat", json={"message": "files?", "session_id": "notes"}).json()
    assert other["steps"][1]["content"] == "notes: none"  # another conversation sees none of them
