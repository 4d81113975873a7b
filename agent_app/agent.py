"""The agent: one loop that reads top to bottom.

    memory -> request -> model (streamed) -> parse -> run each tool -> append the steps -> repeat,
    until the model answers or the step limit is reached.

The loop yields typed events (agent_app/events.py). The model's mistakes — output that does not
parse, an unknown tool, invalid arguments, a reply that loops — and tool failures become
observations the model can react to ("Error: ..."). Only a failing model (ModelError) ends the
turn: it is reported as an ErrorEvent and raised again for the caller.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from agent_app.events import AgentEvent, ErrorEvent, FinalAnswer, TextDelta, ToolCallEvent, ToolResultEvent
from agent_app.memory import FeedbackStep, Memory, ModelStep, Step, ToolStep, UserStep
from agent_app.protocols import Decision, NativeProtocol, ReActProtocol
from model.engines.base import ChatEngine
from model.errors import ModelError
from model.repetition import trim_loop
from model.types import ChatRequest, ChatResult, SamplingParams
from tools import ToolRegistry, ToolResult, Workspace, use_workspace

logger = logging.getLogger(__name__)

REPETITION_FEEDBACK = ("Error: your reply kept repeating the same words and was stopped. "
                       "Give your answer once, briefly, or call a tool if one is needed.")


@dataclass
class AgentConfig:
    max_steps: int = 6
    system_prompt: str | None = None
    sampling: SamplingParams = field(default_factory=lambda: SamplingParams(max_tokens=512, temperature=0.2))
    tool_names: list[str] | None = None
    """Which registered tools the model may use (None: all of them)."""


class Agent:
    def __init__(self, engine: ChatEngine, registry: ToolRegistry,
                 protocol: NativeProtocol | ReActProtocol | None = None, config: AgentConfig | None = None,
                 workspace: Workspace | None = None):
        self.engine = engine
        self.registry = registry
        self.workspace = workspace
        """The conversation's files (tools/workspace.py): tools see it during their calls."""
        self.protocol = protocol or NativeProtocol()
        self.config = config or AgentConfig()

    def warm(self) -> bool:
        """Evaluate the start every first step shares (system prompt, tools, the user turn's
        opening) ahead of time, so that a new conversation starts at once. False: the engine
        keeps no prompt states."""
        memory = Memory()
        memory.append(UserStep(""))
        tools = self.registry.schemas(self.config.tool_names)
        return self.engine.warm(self.protocol.build_request(self.config.system_prompt, memory, tools,
                                                            self.config.sampling))

    def run(self, user_message: str, memory: Memory | None = None,
            on_step: Callable[[Step], None] | None = None,
            cancel: threading.Event | None = None) -> Iterator[AgentEvent]:
        """Run one user turn. `on_step` sees every step as it joins memory (the store saves it)."""
        memory = memory if memory is not None else Memory()
        remember = _remembering(memory, on_step)
        remember(UserStep(user_message))
        tools = self.registry.schemas(self.config.tool_names)
        looped = False
        for step in range(1, self.config.max_steps + 1):
            request = self.protocol.build_request(self.config.system_prompt, memory, tools, self.config.sampling)
            try:
                result = yield from self._generate(request, step, cancel)
            except ModelError as error:
                yield ErrorEvent(f"the model failed: {error}", "model", step)
                raise
            if result.finish_reason == "repetition" and not result.tool_calls and not looped:
                looped = True  # once a turn: a second loop ends the turn with what came before it
                remember(ModelStep(result.content))
                remember(FeedbackStep(REPETITION_FEEDBACK))
                yield ErrorEvent(REPETITION_FEEDBACK, "repetition", step, recoverable=True)
                continue
            decision = self.protocol.parse(result)
            remember(ModelStep(decision.content, decision.calls, decision.thought))
            if decision.error:
                remember(FeedbackStep(decision.error))
                yield ErrorEvent(decision.error, "parse", step, recoverable=True)
                continue
            if decision.is_answer:
                yield FinalAnswer(decision.content, step)
                return
            yield from self._run_tools(decision, step, remember, {t["function"]["name"] for t in tools})
            if cancel is not None and cancel.is_set():
                return
        yield ErrorEvent(f"stopped after {self.config.max_steps} steps without a final answer",
                         "step_limit", self.config.max_steps)

    def _generate(self, request: ChatRequest, step: int, cancel: threading.Event | None):
        """Stream the model's reply as TextDelta events; return the collected result."""
        content: list[str] = []
        calls, failed = [], []
        finish, usage = "stop", None
        for delta in self.engine.stream(request, cancel):
            if delta.content:
                content.append(delta.content)
                yield TextDelta(delta.content, step)
            calls.extend(delta.tool_calls)
            failed.extend(delta.failed_calls)
            if delta.finish_reason:
                finish, usage = delta.finish_reason, delta.usage
        text = "".join(content)
        text = (trim_loop(text) if finish == "repetition" else text).strip()
        return ChatResult(content=text, tool_calls=calls, finish_reason=finish, usage=usage, raw_text=text,
                          failed_calls=failed)

    def _run_tools(self, decision: Decision, step: int, remember, offered: set[str]) -> Iterator[AgentEvent]:
        for call in decision.calls:
            yield ToolCallEvent(step, call.id, call.name, call.arguments)
            if call.name in self.registry and call.name not in offered:  # registered, but not for this turn
                result = ToolResult(False, f"Error: the tool {call.name!r} is not available in this conversation; "
                                           f"available: {', '.join(sorted(offered)) or 'none'}", 0.0)
            else:
                with use_workspace(self.workspace) if self.workspace else contextlib.nullcontext():
                    result = self.registry.call(call.name, call.arguments)
            remember(ToolStep(call.id, call.name, result.content, result.ok, result.elapsed))
            yield ToolResultEvent(step, call.id, call.name, result.content, result.ok, result.elapsed)


def _remembering(memory: Memory, on_step: Callable[[Step], None] | None) -> Callable[[Step], None]:
    def remember(step: Step) -> None:
        memory.append(step)
        if on_step is not None:
            on_step(step)

    return remember
