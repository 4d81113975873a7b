"""Conversations that survive a restart: SQLite in WAL mode under $LINGXI_HOME.

Every message is committed as it is appended, so a killed process loses no completed message.
A conversation exports as one training example in the training format (OpenAI messages with
`tools` and `tool_calls`, one JSON object per line of a JSONL file).

Feedback (a thumbs up or down on an assistant message) is kept by the message's position in its
conversation; liked answers export as training examples that end with the liked answer.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from model.types import Message, ToolSchema

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_session ON messages(session_id, id);
CREATE TABLE IF NOT EXISTS feedback (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('like', 'dislike')),
    created REAL NOT NULL,
    PRIMARY KEY (session_id, position)
);
"""
Rating = Literal["like", "dislike"]


class SessionNotFoundError(KeyError):
    def __str__(self) -> str:
        return f"no conversation with id {self.args[0]!r}"


@dataclass
class SessionInfo:
    id: str
    title: str
    created: float
    updated: float
    messages: int
    meta: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


class ConversationStore:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    @classmethod
    def in_home(cls, home: Path) -> "ConversationStore":
        return cls(Path(home) / "conversations.sqlite3")

    def create(self, title: str = "New chat", meta: dict[str, Any] | None = None,
               session_id: str | None = None) -> str:
        session_id = session_id or uuid.uuid4().hex[:16]
        now = time.time()
        with self._lock:
            self._db.execute("INSERT INTO sessions (id, title, created, updated, meta) VALUES (?, ?, ?, ?, ?)",
                             (session_id, title, now, now, json.dumps(meta or {}, ensure_ascii=False)))
        return session_id

    def exists(self, session_id: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is not None

    def append(self, session_id: str, message: Message) -> None:
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN")
            try:
                updated = self._db.execute("UPDATE sessions SET updated = ? WHERE id = ?", (now, session_id))
                if updated.rowcount == 0:
                    raise SessionNotFoundError(session_id)
                self._db.execute("INSERT INTO messages (session_id, message, created) VALUES (?, ?, ?)",
                                 (session_id, json.dumps(message, ensure_ascii=False), now))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def messages(self, session_id: str) -> list[Message]:
        self._require(session_id)
        with self._lock:
            rows = self._db.execute("SELECT message FROM messages WHERE session_id = ? ORDER BY id",
                                    (session_id,)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def sessions(self) -> list[SessionInfo]:
        with self._lock:
            rows = self._db.execute(
                "SELECT s.id, s.title, s.created, s.updated, s.meta, COUNT(m.id) FROM sessions s "
                "LEFT JOIN messages m ON m.session_id = s.id GROUP BY s.id ORDER BY s.updated DESC").fetchall()
        return [SessionInfo(r[0], r[1], r[2], r[3], r[5], json.loads(r[4])) for r in rows]

    def info(self, session_id: str) -> SessionInfo:
        for info in self.sessions():
            if info.id == session_id:
                return info
        raise SessionNotFoundError(session_id)

    def rename(self, session_id: str, title: str) -> None:
        with self._lock:
            if self._db.execute("UPDATE sessions SET title = ? WHERE id = ?", (title, session_id)).rowcount == 0:
                raise SessionNotFoundError(session_id)

    def delete(self, session_id: str) -> None:
        with self._lock:
            if self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount == 0:
                raise SessionNotFoundError(session_id)

    def export_example(self, session_id: str, tools: list[ToolSchema] | None = None,
                       system: str | None = None) -> dict[str, Any]:
        """One training example: {"messages": [...], "tools": [...]} in OpenAI form."""
        messages = [_for_training(m) for m in self.messages(session_id)]
        if system:
            messages.insert(0, {"role": "system", "content": system})
        return {"messages": messages, "tools": list(tools or [])}

    def export_jsonl(self, session_ids: list[str], path: Path | str, tools: list[ToolSchema] | None = None) -> int:
        with open(path, "w", encoding="utf-8") as out:
            for session_id in session_ids:
                out.write(json.dumps(self.export_example(session_id, tools), ensure_ascii=False) + "\n")
        return len(session_ids)

    def truncate(self, session_id: str, keep: int) -> int:
        """Keep the first `keep` messages (regenerate, edit and resend); return how many were removed.
        Feedback on the removed messages goes with them."""
        self._require(session_id)
        with self._lock:
            self._db.execute("BEGIN")
            try:
                removed = self._db.execute(
                    "DELETE FROM messages WHERE session_id = ? AND id NOT IN "
                    "(SELECT id FROM messages WHERE session_id = ? ORDER BY id LIMIT ?)",
                    (session_id, session_id, max(keep, 0))).rowcount
                self._db.execute("DELETE FROM feedback WHERE session_id = ? AND position >= ?", (session_id, keep))
                self._db.execute("UPDATE sessions SET updated = ? WHERE id = ?", (time.time(), session_id))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return removed

    def set_feedback(self, session_id: str, position: int, rating: Rating | None) -> None:
        """Rate the assistant message at `position` (0-based, as in `messages()`); None clears it."""
        messages = self.messages(session_id)
        if not 0 <= position < len(messages) or messages[position]["role"] != "assistant":
            raise ValueError(f"message {position} of {session_id!r} is not an assistant message")
        with self._lock:
            if rating is None:
                self._db.execute("DELETE FROM feedback WHERE session_id = ? AND position = ?", (session_id, position))
                return
            self._db.execute("INSERT OR REPLACE INTO feedback (session_id, position, rating, created) "
                             "VALUES (?, ?, ?, ?)", (session_id, position, rating, time.time()))

    def feedback(self, session_id: str) -> dict[int, Rating]:
        """The ratings of one conversation: {position: "like" | "dislike"}."""
        with self._lock:
            rows = self._db.execute("SELECT position, rating FROM feedback WHERE session_id = ? ORDER BY position",
                                    (session_id,)).fetchall()
        return {row[0]: row[1] for row in rows}

    def liked(self) -> list[tuple[str, int]]:
        """(session id, position of its last liked answer) for every conversation with a liked
        answer, most recently updated first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT f.session_id, MAX(f.position) FROM feedback f JOIN sessions s ON s.id = f.session_id "
                "WHERE f.rating = 'like' GROUP BY f.session_id ORDER BY MAX(s.updated) DESC").fetchall()
        return [(row[0], row[1]) for row in rows]

    def export_liked_jsonl(self, path: Path | str, tools: list[ToolSchema] | None = None,
                           system: str | None = None) -> int:
        """One training example per conversation with a liked answer, cut after its last liked
        answer (what follows was not approved). Returns the number of examples written."""
        with open(path, "w", encoding="utf-8") as out:
            liked = self.liked()
            for session_id, position in liked:
                messages = [_for_training(m) for m in self.messages(session_id)[: position + 1]]
                if system:
                    messages.insert(0, {"role": "system", "content": system})
                example = {"messages": messages, "tools": list(tools or [])}
                out.write(json.dumps(example, ensure_ascii=False) + "\n")
        return len(liked)

    def _require(self, session_id: str) -> None:
        if not self.exists(session_id):
            raise SessionNotFoundError(session_id)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _for_training(message: Message) -> Message:
    """Drop what the training format has no place for (reasoning notes, feedback names)."""
    cleaned = {key: value for key, value in message.items() if key != "reasoning_content"}
    if cleaned.get("name") == "feedback":
        cleaned.pop("name")
    return cleaned
