"""Agent overhead per step: the loop with a zero-latency fake model and the calculator tool.

Each turn is two steps (a calculator call, then the answer). The baseline does the same work
without the agent — the same deltas consumed, the same registry call — so the difference is
what the loop itself costs. Prints `agent overhead per step (ms): X` (goal: X < 2).

    .venv/bin/python bench/agent.py [--turns 500]
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent_app.agent import Agent, AgentConfig  # noqa: E402
from agent_app.memory import Memory  # noqa: E402
from model.engines.base import ChatEngine  # noqa: E402
from model.types import ChatDelta, ToolCall, Usage  # noqa: E402
from tools import ToolRegistry, calculator  # noqa: E402


class InstantEngine(ChatEngine):
    """Answers at once, alternating a calculator call and a final answer."""

    name, n_ctx = "instant", 4096

    def __init__(self):
        self.turn = 0

    def stream(self, request, cancel: threading.Event | None = None):
        self.turn += 1
        if self.turn % 2:
            return iter([ChatDelta(tool_calls=[ToolCall("calculator", {"expression": "12*(3+4)"})]),
                         ChatDelta(finish_reason="tool_calls", usage=Usage(10, 10))])
        return iter([ChatDelta(content="It is 84."), ChatDelta(finish_reason="stop", usage=Usage(10, 3))])


def agent_seconds(turns: int) -> float:
    agent = Agent(InstantEngine(), ToolRegistry([calculator]), config=AgentConfig(max_steps=4))
    start = time.perf_counter()
    for _ in range(turns):
        for _ in agent.run("What is 12*(3+4)?", Memory()):
            pass
    return time.perf_counter() - start


def baseline_seconds(turns: int) -> float:
    engine, registry = InstantEngine(), ToolRegistry([calculator])
    start = time.perf_counter()
    for _ in range(turns):
        for _ in range(2):
            for delta in engine.stream(None):
                for call in delta.tool_calls:
                    registry.call(call.name, call.arguments)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=500)
    args = parser.parse_args()
    agent_seconds(20), baseline_seconds(20)  # warm-up
    agent = min(agent_seconds(args.turns) for _ in range(3))
    baseline = min(baseline_seconds(args.turns) for _ in range(3))
    steps = 2 * args.turns
    print(f"turns: {args.turns}, steps: {steps} (best of 3 runs)")
    print(f"agent loop: {agent / steps * 1000:.3f} ms per step")
    print(f"baseline (same model deltas and tool calls, no loop): {baseline / steps * 1000:.3f} ms per step")
    print(f"agent/baseline time ratio: {agent / baseline:.2f}")
    print(f"agent overhead per step (ms): {(agent - baseline) / steps * 1000:.3f}")


if __name__ == "__main__":
    main()
