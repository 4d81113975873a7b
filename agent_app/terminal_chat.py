"""`lingxi chat`: a terminal chat that streams each answer as the model writes it.

Plain chat keeps the history itself; agent mode (`--agent`) runs each turn through the agent
loop with tools and prints every tool step as it happens.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

from agent_app.agent import Agent
from agent_app.events import ErrorEvent, FinalAnswer, TextDelta, ToolCallEvent, ToolResultEvent
from agent_app.memory import Memory
from model.engines.base import ChatEngine
from model.types import ChatRequest, Message, SamplingParams

HELP = "Type a message and press Enter. /reset starts over, /exit (or Ctrl-D) quits. 输入 /exit 退出。"

Turn = Callable[[str], Iterator[str]]
"""One user message in, the printable pieces of the answer out."""


def plain_chat(engine: ChatEngine, system: str | None, sampling: SamplingParams) -> tuple[Turn, Callable[[], None]]:
    history: list[Message] = []

    def turn(text: str) -> Iterator[str]:
        history.append({"role": "user", "content": text})
        messages = ([{"role": "system", "content": system}] if system else []) + history
        pieces = []
        for delta in engine.stream(ChatRequest(messages=messages, sampling=sampling)):
            pieces.append(delta.content)
            yield delta.content
        history.append({"role": "assistant", "content": "".join(pieces).strip()})

    return turn, history.clear


def agent_chat(agent: Agent) -> tuple[Turn, Callable[[], None]]:
    memory = Memory()

    def turn(text: str) -> Iterator[str]:
        for event in agent.run(text, memory):
            if isinstance(event, TextDelta):
                yield event.text
            elif isinstance(event, ToolCallEvent):
                yield f"\n  ⚙ {event.name}({json.dumps(event.arguments, ensure_ascii=False)})"
            elif isinstance(event, ToolResultEvent):
                mark = "→" if event.ok else "✗"
                yield f"\n  {mark} {event.content[:300]}  ({event.elapsed * 1000:.0f} ms)\n"
            elif isinstance(event, ErrorEvent):
                yield f"\n  ! {event.message}\n"
            elif isinstance(event, FinalAnswer):
                yield f"\n= {event.text}"

    return turn, memory.steps.clear


def run_terminal_chat(turn: Turn, reset: Callable[[], None], title: str,
                      stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    interactive = stdin.isatty()
    if interactive:
        print(f"Lingxi chat with {title}. {HELP}", file=stdout)
    while True:
        if interactive:
            print("\n> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            break
        text = line.strip()
        if text in ("/exit", "/quit"):
            break
        if text == "/reset":
            reset()
            continue
        if text:
            for piece in turn(text):
                print(piece, end="", file=stdout, flush=True)
            print(file=stdout, flush=True)
