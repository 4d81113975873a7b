"""The agent's memory: a list of step dataclasses, each rendering itself as chat messages.

Steps are data: they persist in the conversation store as OpenAI messages, load back, and export
as training examples. `Memory.from_messages` is the inverse of `Memory.to_messages`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from model.types import Message, ToolCall


@dataclass
class UserStep:
    content: str

    def to_messages(self) -> list[Message]:
        return [{"role": "user", "content": self.content}]


@dataclass
class ModelStep:
    """What the model wrote in one step: text, and the calls parsed from it."""

    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    thought: str = ""
    """The reasoning a ReAct model wrote before acting; empty for native tool calls."""

    def to_messages(self) -> list[Message]:
        message: Message = {"role": "assistant", "content": self.content or None}
        if self.thought:
            message["reasoning_content"] = self.thought
        if self.tool_calls:
            message["tool_calls"] = [call.to_openai() for call in self.tool_calls]
        return [message]


@dataclass
class ToolStep:
    """One tool's result, as the model will read it."""

    call_id: str
    name: str
    content: str
    ok: bool = True
    elapsed: float = 0.0

    def to_messages(self) -> list[Message]:
        return [{"role": "tool", "tool_call_id": self.call_id, "name": self.name, "content": self.content}]


@dataclass
class FeedbackStep:
    """An error the model must react to that is not a tool's result (its output did not parse)."""

    content: str

    def to_messages(self) -> list[Message]:
        return [{"role": "user", "content": self.content, "name": "feedback"}]


Step = UserStep | ModelStep | ToolStep | FeedbackStep


@dataclass
class Memory:
    steps: list[Step] = field(default_factory=list)

    def append(self, step: Step) -> Step:
        self.steps.append(step)
        return step

    def to_messages(self) -> list[Message]:
        return [message for step in self.steps for message in step.to_messages()]

    @classmethod
    def from_messages(cls, messages: list[Message]) -> "Memory":
        memory = cls()
        for message in messages:
            memory.append(step_from_message(message))
        return memory


def step_from_message(message: Message) -> Step:
    role = message["role"]
    if role == "user":
        if message.get("name") == "feedback":
            return FeedbackStep(message["content"])
        return UserStep(message.get("content") or "")
    if role == "assistant":
        calls = [ToolCall.from_openai(call) for call in message.get("tool_calls") or []]
        return ModelStep(message.get("content") or "", calls, message.get("reasoning_content") or "")
    if role == "tool":
        return ToolStep(message.get("tool_call_id", ""), message.get("name", ""), _text(message.get("content")))
    raise ValueError(f"a conversation holds no {role!r} messages")


def _text(content: Any) -> str:
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
