"""`lingxi chat`: a terminal chat that streams each answer as the model writes it."""
from __future__ import annotations

import sys
from typing import TextIO

from model.engines.base import ChatEngine
from model.types import ChatRequest, Message, SamplingParams

HELP = "Type a message and press Enter. /reset starts over, /exit (or Ctrl-D) quits. 输入 /exit 退出。"


def run_terminal_chat(engine: ChatEngine, system: str | None = None, temperature: float = 0.7,
                      max_tokens: int = 512, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    interactive = stdin.isatty()
    history: list[Message] = [{"role": "system", "content": system}] if system else []
    if interactive:
        print(f"Lingxi chat with {engine.name}. {HELP}", file=stdout)
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
            history = history[:1] if system else []
            continue
        if not text:
            continue
        history.append({"role": "user", "content": text})
        answer = _stream_answer(engine, history, SamplingParams(max_tokens=max_tokens, temperature=temperature),
                                stdout)
        history.append({"role": "assistant", "content": answer})


def _stream_answer(engine: ChatEngine, history: list[Message], sampling: SamplingParams, stdout: TextIO) -> str:
    pieces: list[str] = []
    for delta in engine.stream(ChatRequest(messages=list(history), sampling=sampling)):
        if delta.content:
            pieces.append(delta.content)
            print(delta.content, end="", file=stdout, flush=True)
    print(file=stdout, flush=True)
    return "".join(pieces)
