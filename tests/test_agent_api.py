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


def test_files_go_up_into_a_session_come_back_as_references_and_go_with_it(tmp_path, lingxi_home):
    from tools import current_workspace, tool

    @tool
    def shout(text: str) -> str:
        """Write the text in capitals to a new file.

        Args:
            text: What to write.
        """
        path = current_workspace().new_file("shout", ".txt")
        path.write_text(text.upper())
        return f"Wrote {path.name}"

    call = '<tool_call>\n{"name": "shout", "arguments": {"text": "hi"}}\n</tool_call>'
    engine = ScriptedEngine([call, "Done."])
    client = TestClient(create_app(engine, ServerOptions(), registry=ToolRegistry([shout]),
                                   store=ConversationStore(tmp_path / "c.sqlite3")))
    up = client.post("/v1/agent/sessions/trip/files", files={"file": ("收据 1.png", b"\x89PNG...", "image/png")})
    assert up.status_code == 200 and up.json()["name"] == "收据-1.png" and up.json()["bytes"] == 7
    again = client.post("/v1/agent/sessions/trip/files", files={"file": ("收据 1.png", b"other", "image/png")}).json()
    assert again["name"] == "收据-1-2.png"  # never overwrites

    body = client.post("/v1/agent/chat", json={"message": "shout", "session_id": "trip"}).json()
    names = [f["name"] for f in body["files"]]
    assert names == ["shout.txt", "收据-1-2.png", "收据-1.png"]
    shout_ref = body["files"][0]
    assert shout_ref == {"name": "shout.txt", "bytes": 2, "url": "/v1/agent/sessions/trip/files/shout.txt"}
    assert client.get(shout_ref["url"]).content == b"HI"
    assert client.get(up.json()["url"]).content == b"\x89PNG..."
    assert [f["name"] for f in client.get("/v1/agent/sessions/trip/files").json()["data"]] == names

    assert client.get("/v1/agent/sessions/trip/files/..%2Fc.sqlite3").status_code == 404
    assert client.get("/v1/agent/sessions/trip/files/nothing.txt").json()["error"]["code"] == "file_not_found"
    assert client.post("/v1/agent/sessions/bad%20id/files", files={"file": ("a.png", b"x")}).status_code == 400

    assert client.delete("/v1/agent/sessions/trip").json()["deleted"]
    assert not (lingxi_home / "workspaces" / "trip").exists()
    assert client.get("/v1/agent/sessions/trip/files").json()["data"] == []


def test_an_upload_over_the_limit_is_refused_and_leaves_nothing(tmp_path, lingxi_home, monkeypatch):
    from agent_app.server import agent_routes

    monkeypatch.setattr(agent_routes, "MAX_UPLOAD_BYTES", 1000)
    client, _, _ = make_client([], tmp_path)
    response = client.post("/v1/agent/sessions/big/files", files={"file": ("huge.wav", b"x" * 5000)})
    assert response.status_code == 413 and "larger than" in response.json()["error"]["message"]
    assert client.get("/v1/agent/sessions/big/files").json()["data"] == []


def test_an_uploaded_image_is_read_by_the_ocr_tool_through_the_agent(tmp_path, lingxi_home):
    import io

    import pytest

    pytest.importorskip("rapidocr", reason="the media extra")
    from PIL import Image, ImageDraw, ImageFont

    from tools import default_registry

    image = Image.new("RGB", (520, 90), "white")
    fonts = __import__("glob").glob("/usr/share/fonts/**/LiberationSans-Regular.ttf", recursive=True)
    font = ImageFont.truetype(fonts[0], 32) if fonts else ImageFont.load_default(size=32)
    ImageDraw.Draw(image).text((20, 25), "Gate B12 closes at 09:40", fill="black", font=font)
    png = io.BytesIO()
    image.save(png, format="PNG")

    engine = ScriptedEngine(['<tool_call>\n{"name": "ocr", "arguments": {"image": "boarding.png"}}\n</tool_call>',
                             "Your gate is B12; it closes at 09:40."])
    client = TestClient(create_app(engine, ServerOptions(), registry=default_registry(lingxi_home),
                                   store=ConversationStore(tmp_path / "c.sqlite3")))
    assert client.post("/v1/agent/sessions/flight/files", files={"file": ("boarding.png", png.getvalue())}).status_code == 200
    body = client.post("/v1/agent/chat", json={"message": "When does my gate close?", "session_id": "flight",
                                               "tools": ["ocr"]}).json()
    assert body["answer"] == "Your gate is B12; it closes at 09:40."
    observation = body["steps"][1]["content"]
    assert body["steps"][1]["ok"] and "text read from boarding.png" in observation
    assert all(piece in observation for piece in ("Gate B12", "closes", "09:40"))
    assert [t["function"]["name"] for t in engine.history[0].tools] == ["ocr"]
