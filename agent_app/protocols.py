"""How the agent talks to the model. Two protocols over the same loop:

- `NativeProtocol`: the model layer's tool calling (OpenAI `tools` in, `tool_calls` out), rendered
  and parsed by model/tool_format.py — for models tuned on that format.
- `ReActProtocol`: Thought / Action / Action Input / Observation / Final Answer as plain text,
  with English and Chinese prompts — for models without native tool calling.

Either turns memory into a `ChatRequest` and the model's reply into a `Decision`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from agent_app.memory import FeedbackStep, Memory, ToolStep, UserStep
from model.tool_format import CALL_CLOSE, CALL_OPEN, defuse_markup
from model.types import ChatRequest, ChatResult, Message, SamplingParams, ToolCall, ToolSchema


_ECHO_CHARS = 400
"""How much of an unparsable call the model is shown again."""


@dataclass
class Decision:
    """What the model decided in one step: call tools, answer, or (error) neither, legibly."""

    content: str = ""
    calls: list[ToolCall] = field(default_factory=list)
    thought: str = ""
    error: str | None = None

    @property
    def is_answer(self) -> bool:
        return not self.calls and self.error is None


class NativeProtocol:
    name = "native"
    stop: list[str] = []

    def build_request(self, system: str | None, memory: Memory, tools: list[ToolSchema],
                      sampling: SamplingParams) -> ChatRequest:
        messages = ([{"role": "system", "content": system}] if system else []) + memory.to_messages()
        return ChatRequest(messages=_without_extras(messages), tools=tools, sampling=sampling)

    def parse(self, result: ChatResult) -> Decision:
        content = result.content or ""
        if result.tool_calls:
            return Decision(content=content, calls=list(result.tool_calls))
        if result.failed_calls or CALL_OPEN in content:
            written = "\n".join(result.failed_calls)[:_ECHO_CHARS]
            echo = f" You wrote:\n{defuse_markup(written)}\n" if written else " "
            return Decision(content=content, error=(
                f"Error: your tool call could not be parsed.{echo}Write each call as "
                f'{CALL_OPEN}{{"name": "<tool name>", "arguments": {{<JSON object>}}}}{CALL_CLOSE}.'))
        return Decision(content=content)


_ACTION = re.compile(r"Action\s*[:：]\s*(?P<name>[^\n]+?)\s*\n\s*Action\s*Input\s*[:：]\s*(?P<input>.*)",
                     re.DOTALL | re.IGNORECASE)
_FINAL = re.compile(r"Final\s*Answer\s*[:：]\s*(?P<answer>.*)", re.DOTALL | re.IGNORECASE)
_THOUGHT = re.compile(r"Thought\s*[:：]\s*(?P<thought>.*?)(?=\n\s*(?:Action|Final\s*Answer)\s*[:：]|\Z)",
                      re.DOTALL | re.IGNORECASE)


class ReActProtocol:
    name = "react"
    stop = ["Observation:", "\nObservation"]

    def __init__(self, language: Literal["en", "zh"] = "en"):
        self.language = language
        self.template = resources.files("agent_app.prompts").joinpath(f"react_{language}.txt").read_text("utf-8")

    def system_prompt(self, tools: list[ToolSchema]) -> str:
        listing = "\n".join(_describe(tool) for tool in tools)
        names = ", ".join(tool["function"]["name"] for tool in tools)
        return self.template.format(tools=listing, tool_names=names)

    def build_request(self, system: str | None, memory: Memory, tools: list[ToolSchema],
                      sampling: SamplingParams) -> ChatRequest:
        prompt = self.system_prompt(tools)
        messages: list[Message] = [{"role": "system", "content": f"{system}\n\n{prompt}" if system else prompt}]
        for step in memory.steps:
            messages.append(self._render(step))
        stops = list(dict.fromkeys([*sampling.stop, *self.stop]))
        return ChatRequest(messages=_merge_consecutive(messages), sampling=SamplingParams(
            max_tokens=sampling.max_tokens, temperature=sampling.temperature, top_p=sampling.top_p,
            stop=stops, seed=sampling.seed))

    def _render(self, step) -> Message:
        if isinstance(step, UserStep):
            return {"role": "user", "content": step.content}
        if isinstance(step, (ToolStep, FeedbackStep)):
            # a tool result is data: defused like every result the native format renders
            return {"role": "user", "content": f"Observation: {defuse_markup(step.content)}"}
        lines = [f"Thought: {step.thought}"] if step.thought else []
        if step.tool_calls:
            call = step.tool_calls[0]
            lines += [f"Action: {call.name}", f"Action Input: {call.arguments_json()}"]
        else:
            lines.append(f"Final Answer: {step.content}")
        return {"role": "assistant", "content": "\n".join(lines)}

    def parse(self, result: ChatResult) -> Decision:
        text = (result.content or "").strip()
        thought_match = _THOUGHT.search(text)
        thought = thought_match.group("thought").strip() if thought_match else ""
        action = _ACTION.search(text)
        final = _FINAL.search(text)
        if action and (not final or action.start() < final.start()):
            return self._action(action, thought)
        if final:
            return Decision(content=final.group("answer").strip(), thought=thought)
        # Neither keyword: small models often just answer. Take the text as the answer.
        answer = text[thought_match.end():].strip() if thought_match and thought_match.end() < len(text) else text
        return Decision(content=answer or thought, thought=thought if answer else "")

    def _action(self, match: re.Match, thought: str) -> Decision:
        name = match.group("name").strip().strip("`'\"[]")
        raw = match.group("input").strip()
        start = raw.find("{")
        try:
            arguments, _ = json.JSONDecoder().raw_decode(raw[start:]) if start >= 0 else (None, 0)
        except json.JSONDecodeError as error:
            arguments = None
            reason = f"it is not valid JSON ({error.msg})"
        else:
            reason = "it is not a JSON object"
        if not isinstance(arguments, dict):
            return Decision(thought=thought, error=(
                f"Error: the Action Input for {name!r} could not be used: {reason}. "
                'Give the arguments as one JSON object, e.g. Action Input: {"expression": "1 + 2"}'))
        return Decision(thought=thought, calls=[ToolCall(name=name, arguments=arguments)])


def make_protocol(name: Literal["native", "react"] = "native", language: Literal["en", "zh"] = "en"):
    return NativeProtocol() if name == "native" else ReActProtocol(language)


def _describe(tool: ToolSchema) -> str:
    function = tool["function"]
    parameters = json.dumps(function.get("parameters", {}), ensure_ascii=False)
    return f"- {function['name']}: {function.get('description', '').strip()} Parameters: {parameters}"


def _merge_consecutive(messages: list[Message]) -> list[Message]:
    """Chat templates expect alternating turns: join neighbours with the same role."""
    merged: list[Message] = []
    for message in messages:
        if merged and merged[-1]["role"] == message["role"]:
            merged[-1] = {**merged[-1], "content": merged[-1]["content"] + "\n" + message["content"]}
        else:
            merged.append(dict(message))
    return merged


def _without_extras(messages: list[Message]) -> list[Message]:
    """Drop keys the model layer does not read (reasoning kept for storage, feedback names)."""
    return [{key: value for key, value in message.items() if key not in ("reasoning_content",)}
            for message in messages]
