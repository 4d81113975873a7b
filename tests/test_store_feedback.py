"""Feedback on answers, truncation (regenerate / edit), and the export of liked answers."""
import json

import pytest

from agent_app.store import ConversationStore, SessionNotFoundError

CALL = {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "1+1"}'}}
TOOLS = [{"type": "function", "function": {"name": "calculator", "parameters": {"type": "object"}}}]


def conversation(store: ConversationStore, title: str = "Sums") -> str:
    sid = store.create(title)
    for message in [{"role": "user", "content": "1+1?"},
                    {"role": "assistant", "content": None, "tool_calls": [CALL]},
                    {"role": "tool", "tool_call_id": "c1", "name": "calculator", "content": "2"},
                    {"role": "assistant", "content": "It is 2.", "reasoning_content": "easy"},
                    {"role": "user", "content": "And 2+2?"},
                    {"role": "assistant", "content": "Five."}]:
        store.append(sid, message)
    return sid


def test_feedback_is_stored_replaced_cleared_and_survives_a_reopen(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    sid = conversation(store)
    store.set_feedback(sid, 3, "like")
    store.set_feedback(sid, 5, "like")
    store.set_feedback(sid, 5, "dislike")
    assert store.feedback(sid) == {3: "like", 5: "dislike"}
    store.close()
    again = ConversationStore(tmp_path / "c.sqlite3")
    assert again.feedback(sid) == {3: "like", 5: "dislike"}
    again.set_feedback(sid, 5, None)
    assert again.feedback(sid) == {3: "like"}


def test_only_assistant_messages_of_known_sessions_take_feedback(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    sid = conversation(store)
    for position in (0, 2, 6, -1):
        with pytest.raises(ValueError):
            store.set_feedback(sid, position, "like")
    with pytest.raises(SessionNotFoundError):
        store.set_feedback("nope", 1, "like")
    assert store.feedback(sid) == {}


def test_truncate_keeps_the_first_messages_and_drops_their_feedback(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    sid = conversation(store)
    store.set_feedback(sid, 3, "like")
    store.set_feedback(sid, 5, "dislike")
    assert store.truncate(sid, 4) == 2
    assert [m["content"] for m in store.messages(sid)] == ["1+1?", None, "2", "It is 2."]
    assert store.feedback(sid) == {3: "like"}
    store.append(sid, {"role": "user", "content": "again"})
    assert store.messages(sid)[-1]["content"] == "again"
    assert store.truncate(sid, 0) == 5 and store.messages(sid) == [] and store.feedback(sid) == {}
    with pytest.raises(SessionNotFoundError):
        store.truncate("nope", 0)


def test_deleting_a_session_deletes_its_feedback(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    sid = conversation(store)
    store.set_feedback(sid, 3, "like")
    store.delete(sid)
    assert store.liked() == []
    assert store._db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 0


def test_liked_answers_export_as_training_examples_ending_at_the_last_liked_answer(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    liked = conversation(store, "liked")
    disliked = conversation(store, "disliked")
    store.set_feedback(liked, 3, "like")
    store.set_feedback(liked, 5, "dislike")
    store.set_feedback(disliked, 5, "dislike")
    assert store.liked() == [(liked, 3)]
    path = tmp_path / "liked.jsonl"
    assert store.export_liked_jsonl(path, TOOLS, system="Be brief.") == 1
    (line,) = path.read_text(encoding="utf-8").splitlines()
    example = json.loads(line)
    assert example["tools"] == TOOLS
    roles = [m["role"] for m in example["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant"]
    assert example["messages"][2]["tool_calls"] == [CALL]
    assert example["messages"][-1] == {"role": "assistant", "content": "It is 2."}


def test_a_database_from_before_feedback_gains_the_table(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE sessions (id TEXT PRIMARY KEY, title TEXT NOT NULL, created REAL NOT NULL, "
                     "updated REAL NOT NULL, meta TEXT NOT NULL DEFAULT '{}');"
                     "INSERT INTO sessions VALUES ('old', 'Old', 0, 0, '{}');")
    db.close()
    store = ConversationStore(path)
    store.append("old", {"role": "assistant", "content": "hi"})
    store.set_feedback("old", 0, "like")
    assert store.liked() == [("old", 0)]
