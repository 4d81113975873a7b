"""What one agent turn streams: the UI, the CLI and the API all show these same events."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass
class TextDelta:
    """A piece of what the model is writing in this step."""

    text: str
    step: int
    type: Literal["text"] = "text"


@dataclass
class ToolCallEvent:
    step: int
    call_id: str
    name: str
    arguments: dict[str, Any]
    type: Literal["tool_call"] = "tool_call"


@dataclass
class ToolResultEvent:
    step: int
    call_id: str
    name: str
    content: str
    ok: bool
    elapsed: float
    type: Literal["tool_result"] = "tool_result"


@dataclass
class FinalAnswer:
    text: str
    steps: int
    type: Literal["final_answer"] = "final_answer"


@dataclass
class ErrorEvent:
    """Something went wrong. `recoverable` errors (a parse failure, a reply that looped) were
    shown to the model, which gets another step; the others (step limit, model failure) end the
    turn."""

    message: str
    kind: Literal["parse", "repetition", "step_limit", "model"]
    step: int
    recoverable: bool = False
    type: Literal["error"] = "error"


AgentEvent = TextDelta | ToolCallEvent | ToolResultEvent | FinalAnswer | ErrorEvent


def event_to_dict(event: AgentEvent) -> dict[str, Any]:
    return asdict(event)


@dataclass
class TurnSummary:
    """A whole turn collected from its events (the non-streaming API answer)."""

    answer: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def add(self, event: AgentEvent) -> None:
        if isinstance(event, FinalAnswer):
            self.answer = event.text
        elif isinstance(event, ErrorEvent) and not event.recoverable:
            self.error = event.message
        if not isinstance(event, TextDelta):
            self.steps.append(event_to_dict(event))
