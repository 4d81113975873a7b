"""The data that crosses the model boundary: requests in, results and stream deltas out.

Messages and tools are plain OpenAI-shaped dicts, so the model layer needs nothing from tools/ or
agent_app/. Tool calls are parsed into `ToolCall` objects with decoded arguments.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

Message = dict[str, Any]
"""An OpenAI chat message: role, content, and for assistant turns optionally tool_calls."""

ToolSchema = dict[str, Any]
"""An OpenAI tool: {"type": "function", "function": {"name", "description", "parameters"}}."""

FinishReason = Literal["stop", "length", "tool_calls", "cancelled", "repetition"]
"""repetition: the reply started looping and was stopped (model/repetition.py)."""


def new_call_id() -> str:
    return "call_" + uuid.uuid4().hex[:24]


@dataclass(frozen=True)
class ToolCall:
    """One function call the model made, with its arguments decoded from JSON."""

    name: str
    arguments: dict[str, Any]
    id: str = field(default_factory=new_call_id)

    def arguments_json(self) -> str:
        # ensure_ascii=False: Chinese arguments travel as UTF-8 text, not \\uXXXX escapes.
        return json.dumps(self.arguments, ensure_ascii=False)

    def to_openai(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments_json()},
        }

    @classmethod
    def from_openai(cls, data: dict[str, Any]) -> "ToolCall":
        function = data.get("function", data)
        arguments = function.get("arguments") or {}
        if isinstance(arguments, str):
            arguments = json.loads(arguments) if arguments.strip() else {}
        return cls(name=function["name"], arguments=arguments, id=data.get("id") or new_call_id())


@dataclass
class SamplingParams:
    max_tokens: int | None = None
    temperature: float = 0.7
    top_p: float = 1.0
    stop: list[str] = field(default_factory=list)
    seed: int | None = None


@dataclass
class ChatRequest:
    messages: list[Message]
    tools: list[ToolSchema] = field(default_factory=list)
    tool_choice: str | dict[str, Any] = "auto"
    """"none", "auto", "required", or {"type": "function", "function": {"name": ...}}."""
    sampling: SamplingParams = field(default_factory=SamplingParams)

    def forced_tool_names(self) -> list[str] | None:
        """Names the model must call one of, or None when it may answer freely."""
        if not self.tools or self.tool_choice in ("auto", "none"):
            return None
        if self.tool_choice == "required":
            return [tool["function"]["name"] for tool in self.tools]
        return [self.tool_choice["function"]["name"]]

    def active_tools(self) -> list[ToolSchema]:
        return [] if self.tool_choice == "none" else self.tools


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_openai(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass
class ChatDelta:
    """One piece of a streamed answer: text, or tool calls complete as they close.

    The last delta of a stream carries finish_reason and usage.
    """

    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    failed_calls: list[str] = field(default_factory=list)
    """Call markup the model wrote that does not parse, raw: never part of the content."""
    call_opening: "CallOpening | None" = None
    """A call whose name is decoded and whose arguments are still being written: it comes whole,
    with the same id, in a later delta's tool_calls (unless the answer is cut at max_tokens or
    cancelled first). Streamed as OpenAI streams a call: the name first, the arguments after."""
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
    raw_text: str | None = None
    """On the last delta, when the engine knows it: everything the model wrote, calls included."""


@dataclass
class CallOpening:
    """The start of a tool call: its id and its tool's name (see ChatDelta.call_opening)."""

    name: str
    id: str


@dataclass
class ChatResult:
    content: str | None
    tool_calls: list[ToolCall]
    finish_reason: FinishReason
    usage: Usage
    raw_text: str = ""
    """What the model generated before tool calls were parsed out (eval shows it for failures)."""
    failed_calls: list[str] = field(default_factory=list)
    """Call markup that did not parse, raw (see ChatDelta.failed_calls)."""

    def to_message(self) -> Message:
        message: Message = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [call.to_openai() for call in self.tool_calls]
        return message
