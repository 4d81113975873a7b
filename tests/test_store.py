"""The conversation store: persistence, sessions, export, and nothing lost to a SIGKILL."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from agent_app.store import ConversationStore, SessionNotFoundError


def test_sessions_survive_a_reopen(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    first = store.create("Weather chat", meta={"model": "bundled"})
    store.append(first, {"role": "user", "content": "北京天气？"})
    store.append(first, {"role": "assistant", "content": "晴。"})
    second = store.create("Other")
    store.close()
    again = ConversationStore(tmp_path / "c.sqlite3")
    assert again.messages(first)[0]["content"] == "北京天气？"
    infos = {info.id: info for info in again.sessions()}
    assert infos[first].messages == 2 and infos[first].meta == {"model": "bundled"}
    assert set(infos) == {first, second}
    assert again._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_rename_delete_and_unknown_sessions(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    sid = store.create()
    store.rename(sid, "Renamed")
    assert store.info(sid).title == "Renamed"
    store.delete(sid)
    for action in (lambda: store.messages(sid), lambda: store.append(sid, {"role": "user", "content": "x"}),
                   lambda: store.rename(sid, "x"), lambda: store.delete(sid)):
        with pytest.raises(SessionNotFoundError):
            action()


def test_export_is_one_training_example(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    sid = store.create()
    call = {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "1+1"}'}}
    for message in [{"role": "user", "content": "1+1?"},
                    {"role": "assistant", "content": None, "tool_calls": [call], "reasoning_content": "add"},
                    {"role": "tool", "tool_call_id": "c1", "name": "calculator", "content": "2"},
                    {"role": "user", "content": "Error: bad", "name": "feedback"},
                    {"role": "assistant", "content": "2"}]:
        store.append(sid, message)
    tools = [{"type": "function", "function": {"name": "calculator", "parameters": {"type": "object"}}}]
    example = store.export_example(sid, tools, system="Be brief.")
    assert example["tools"] == tools
    assert example["messages"][0] == {"role": "system", "content": "Be brief."}
    assert example["messages"][2]["tool_calls"] == [call] and "reasoning_content" not in example["messages"][2]
    assert "name" not in example["messages"][4]
    path = tmp_path / "out.jsonl"
    assert store.export_jsonl([sid, sid], path, tools) == 2
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["messages"][0]["content"] == "1+1?"


WRITER = """
import sys, time
from agent_app.store import ConversationStore
store = ConversationStore(sys.argv[1])
sid = store.create(session_id="killme")
i = 0
while True:
    store.append(sid, {"role": "user", "content": f"message {i}"})
    print(i, flush=True)
    i += 1
"""


def test_sigkill_during_writes_loses_no_completed_message(tmp_path):
    path = tmp_path / "c.sqlite3"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    acknowledged = -1
    deadline = time.monotonic() + 30
    while acknowledged < 300 and time.monotonic() < deadline:
        acknowledged = int(writer.stdout.readline())
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert acknowledged >= 300
    messages = ConversationStore(path).messages("killme")
    # every append that returned (and printed) is there, in order, with nothing torn
    assert len(messages) >= acknowledged + 1
    assert [m["content"] for m in messages[: acknowledged + 1]] == [f"message {i}" for i in range(acknowledged + 1)]
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
