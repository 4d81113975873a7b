"""The one internal form of a training example.

A `Conversation` is OpenAI chat messages (system / user / assistant with optional `tool_calls` /
`tool` results) plus the OpenAI `tools` JSON the model is shown, with a little metadata. Every
reader and converter produces it; rendering for SFT consumes it; the OpenAI JSONL writer stores
it. Raw text for incremental pre-training is a separate small type, `TextExample`.

Normal form (what `Conversation.from_record` returns, so that round-trips compare equal):
- content is a string (an assistant turn that only calls tools has content None);
- each tool call is `{"id", "type": "function", "function": {"name", "arguments": <JSON text>}}`;
  missing ids become `call_0`, `call_1`, ... in order of appearance;
- each tool result carries the `tool_call_id` of the call it answers (filled in order when
  missing);
- each tool is `{"type": "function", "function": {"name", "description"?, "parameters"?}}`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from model.tool_format import content_text
from model.types import Message, ToolSchema
from training.errors import DataFormatError

ROLES = ("system", "user", "assistant", "tool")
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """Something wrong with one example. Errors make the example unusable; warnings do not."""

    severity: Severity
    message: str
    location: str | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity}: {self.message}"


@dataclass
class Conversation:
    messages: list[Message]
    tools: list[ToolSchema] = field(default_factory=list)
    id: str | None = None
    source: str | None = None
    """Where the example came from: a dataset name or a file path."""

    # ---- the OpenAI JSONL record -----------------------------------------------------------
    def to_record(self) -> dict[str, Any]:
        """`{"messages": [...], "tools": [...], "id": ..., "source": ...}` (empty parts left out)."""
        record: dict[str, Any] = {"messages": [dict(message) for message in self.messages]}
        if self.tools:
            record["tools"] = self.tools
        if self.id is not None:
            record["id"] = self.id
        if self.source is not None:
            record["source"] = self.source
        return record

    @classmethod
    def from_record(cls, record: Any, source: str | None = None) -> "Conversation":
        """An OpenAI-style record -> normal form. Raises DataFormatError on a shape it cannot read."""
        if not isinstance(record, dict):
            raise DataFormatError(f"expected a JSON object, got {type(record).__name__}")
        messages = record.get("messages")
        if not isinstance(messages, list):
            raise DataFormatError('expected "messages": a list of chat messages')
        return cls(
            messages=normalize_messages(messages),
            tools=normalize_tools(record.get("tools")),
            id=_optional_str(record.get("id")),
            source=_optional_str(record.get("source")) or source,
        )

    # ---- views ------------------------------------------------------------------------------
    def tool_names(self) -> list[str]:
        return [tool["function"]["name"] for tool in self.tools]

    def calls(self) -> list[dict[str, Any]]:
        """Every tool call of every assistant turn, as OpenAI tool-call dicts."""
        return [call for message in self.messages for call in message.get("tool_calls") or []]

    def text(self) -> str:
        """All message text, for rough statistics (language share, length)."""
        parts = [message.get("content") or "" for message in self.messages]
        parts += [call["function"]["arguments"] for call in self.calls()]
        return "\n".join(parts)

    def validate(self) -> list[Problem]:
        return validate(self)


@dataclass
class TextExample:
    """Plain text for incremental pre-training: loss on every token."""

    text: str
    id: str | None = None
    source: str | None = None

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"text": self.text}
        if self.id is not None:
            record["id"] = self.id
        if self.source is not None:
            record["source"] = self.source
        return record


Example = Conversation | TextExample


# ---- normal form ----------------------------------------------------------------------------
def normalize_messages(messages: list[Any]) -> list[Message]:
    out: list[Message] = []
    call_count = 0
    pending: list[str] = []  # ids of calls not yet answered, in order
    for position, raw in enumerate(messages):
        where = f"message {position}"
        if not isinstance(raw, dict):
            raise DataFormatError(f"{where}: expected an object, got {type(raw).__name__}")
        role = raw.get("role")
        if role == "function":  # the legacy OpenAI name of a tool result
            role = "tool"
        if role not in ROLES:
            raise DataFormatError(f"{where}: unknown role {role!r} (expected one of {', '.join(ROLES)})")
        message: Message = {"role": role, "content": content_text(raw.get("content"))}
        if role == "assistant":
            calls = _raw_calls(raw)
            if calls:
                message["content"] = message["content"] or None
                message["tool_calls"] = []
                for call in calls:
                    normal = normalize_call(call, default_id=f"call_{call_count}", where=where)
                    call_count += 1
                    message["tool_calls"].append(normal)
                    pending.append(normal["id"])
        elif role == "tool":
            call_id = raw.get("tool_call_id")
            if call_id is None and pending:
                call_id = pending[0]
            if call_id is not None:
                message["tool_call_id"] = str(call_id)
                if call_id in pending:
                    pending.remove(call_id)
            if isinstance(raw.get("name"), str):
                message["name"] = raw["name"]
        out.append(message)
    return out


def _raw_calls(raw: Message) -> list[Any]:
    calls = raw.get("tool_calls")
    if calls is None and isinstance(raw.get("function_call"), dict):  # legacy OpenAI field
        calls = [{"type": "function", "function": raw["function_call"]}]
    if calls is None:
        return []
    if not isinstance(calls, list):
        raise DataFormatError("tool_calls must be a list")
    return calls


def normalize_call(call: Any, default_id: str, where: str = "tool call") -> dict[str, Any]:
    """An OpenAI tool call (or a bare {"name", "arguments"}) -> normal form."""
    if not isinstance(call, dict):
        raise DataFormatError(f"{where}: a tool call must be an object")
    function = call.get("function", call)
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(name, str) or not name:
        raise DataFormatError(f"{where}: a tool call without a function name")
    arguments = function.get("arguments", function.get("parameters", {}))
    if arguments is None:
        arguments = {}
    if isinstance(arguments, str):
        try:
            decoded = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as error:
            raise DataFormatError(f"{where}: arguments of {name!r} are not valid JSON ({error.msg})") from None
        if not isinstance(decoded, dict):
            raise DataFormatError(f"{where}: arguments of {name!r} must be a JSON object")
        text = arguments if arguments.strip() else "{}"
    elif isinstance(arguments, dict):
        text = json.dumps(arguments, ensure_ascii=False)
    else:
        raise DataFormatError(f"{where}: arguments of {name!r} must be a JSON object")
    return {"id": str(call.get("id") or default_id), "type": "function",
            "function": {"name": name, "arguments": text}}


def normalize_tools(tools: Any) -> list[ToolSchema]:
    """OpenAI tools, bare function schemas, or either as a JSON string -> OpenAI tools."""
    if tools is None or tools == "":
        return []
    if isinstance(tools, str):
        try:
            tools = json.loads(tools)
        except json.JSONDecodeError as error:
            raise DataFormatError(f"tools is not valid JSON ({error.msg})") from None
    if isinstance(tools, dict):
        tools = [tools]
    if not isinstance(tools, list):
        raise DataFormatError("tools must be a list of tool schemas")
    out: list[ToolSchema] = []
    for index, tool in enumerate(tools):
        function = tool.get("function", tool) if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise DataFormatError(f"tool {index}: expected a function schema with a name")
        out.append({"type": "function", "function": function})
    return out


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


# ---- validation -----------------------------------------------------------------------------
def validate(conversation: Conversation) -> list[Problem]:
    """Problems of one conversation (no location: the reader adds it)."""
    messages = conversation.messages
    if not messages:
        return [Problem("error", "empty conversation")]
    problems: list[Problem] = []
    add = lambda severity, text: problems.append(Problem(severity, text))  # noqa: E731
    names = conversation.tool_names()
    if len(set(names)) != len(names):
        add("warning", "duplicate tool names in tools")
    if not any(message["role"] == "assistant" for message in messages):
        add("error", "no assistant turn: nothing to train on")
    pending: list[str] = []
    for position, message in enumerate(messages):
        role = message["role"]
        if role == "system" and position > 0:
            add("warning", f"message {position}: a system message after the first turn")
        if role in ("user", "system") and not (message.get("content") or "").strip():
            add("warning", f"message {position}: empty {role} message")
        if role == "assistant":
            _check_assistant(message, position, names, pending, add)
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if not pending:
                add("error", f"message {position}: a tool result without a preceding tool call")
            elif call_id not in pending:
                add("error", f"message {position}: a tool result for unknown call id {call_id!r}")
            else:
                pending.remove(call_id)
        elif pending:
            add("warning", f"message {position}: {len(pending)} tool call(s) got no result before this {role} turn")
            pending.clear()
    if messages[-1]["role"] in ("user", "system"):
        add("warning", f"the conversation ends with a {messages[-1]['role']} turn, which carries no loss")
    return problems


def _check_assistant(message: Message, position: int, names: list[str], pending: list[str], add) -> None:
    calls = message.get("tool_calls") or []
    if not calls and not (message.get("content") or "").strip():
        add("error", f"message {position}: empty assistant turn")
    if pending and calls:
        add("warning", f"message {position}: new calls while {len(pending)} earlier call(s) have no result")
        pending.clear()
    for call in calls:
        name = call["function"]["name"]
        if not names:
            add("warning", f"message {position}: calls {name!r} but the conversation lists no tools")
        elif name not in names:
            add("warning", f"message {position}: calls {name!r}, which is not in tools")
        pending.append(call["id"])


# ---- small helpers --------------------------------------------------------------------------
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def cjk_share(text: str) -> float:
    """Share of CJK characters among letters and digits (0 for text without any)."""
    letters = sum(1 for char in text if char.isalnum())
    return len(_CJK.findall(text)) / letters if letters else 0.0


def fill_placeholders(conversation: Conversation, values: dict[str, str]) -> Conversation:
    """Replace `{{key}}` in message text (identity sets ship `{{name}}` and `{{author}}`)."""
    def fill(text: str | None) -> str | None:
        if text is None:
            return None
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        return text

    messages = [dict(message, content=fill(message.get("content"))) for message in conversation.messages]
    return Conversation(messages, conversation.tools, conversation.id, conversation.source)
