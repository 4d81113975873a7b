"""Agent tasks: math word problems solved through the real agent loop with the calculator.

GSM8K and SVAMP items go to `agent_app.agent.Agent` (native tool calls or ReAct); the final
answer is checked by exact numeric match. Each record also counts the agent's steps, tool calls,
tool errors and parse failures, so a report shows *how* a model fails, not only that it does.
"""
from __future__ import annotations

import time
from typing import ClassVar, Literal

from agent_app.agent import Agent, AgentConfig
from agent_app.events import ErrorEvent, FinalAnswer, ToolCallEvent, ToolResultEvent
from agent_app.protocols import make_protocol
from eval.agent_math import check_math_answer, load_gsm8k, load_svamp
from eval.base import Benchmark, Item, Prediction, Record
from model.engines.base import ChatEngine
from model.types import ChatRequest, SamplingParams
from tools import ToolRegistry, calculator

SYSTEM = ("Solve the math word problem. Use the calculator tool for every computation, "
          "then give the final answer as a number.")


class AgentMathBenchmark(Benchmark):
    default_max_tokens: ClassVar[int] = 256

    def __init__(self, data_dir=None, max_tokens: int | None = None, protocol: Literal["native", "react"] = "native",
                 max_steps: int = 5):
        super().__init__(data_dir, max_tokens)
        self.protocol = protocol
        self.max_steps = max_steps

    def config(self) -> dict:
        return {**super().config(), "protocol": self.protocol, "max_steps": self.max_steps}

    def build_request(self, item: Item) -> ChatRequest:  # the agent builds its own requests
        return ChatRequest([{"role": "user", "content": item.data["question"]}], sampling=self.sampling())

    def predict(self, engine: ChatEngine, item: Item) -> Prediction:
        agent = Agent(engine, ToolRegistry([calculator]), make_protocol(self.protocol), AgentConfig(
            max_steps=self.max_steps, system_prompt=SYSTEM,
            sampling=SamplingParams(max_tokens=self.max_tokens, temperature=0)))
        started = time.perf_counter()
        answer, calls, counts = "", [], {"steps": 0, "tool_errors": 0, "parse_failures": 0, "step_limit": 0}
        for event in agent.run(item.data["question"]):
            if isinstance(event, ToolCallEvent):
                calls.append({"name": event.name, "arguments": event.arguments})
            elif isinstance(event, ToolResultEvent) and not event.ok:
                counts["tool_errors"] += 1
            elif isinstance(event, ErrorEvent):
                counts["parse_failures" if event.kind == "parse" else "step_limit"] += 1
            elif isinstance(event, FinalAnswer):
                answer = event.text
            counts["steps"] = max(counts["steps"], getattr(event, "step", 0))
        return Prediction(text=answer, calls=calls, finish_reason="step_limit" if counts["step_limit"] else "stop",
                          seconds=time.perf_counter() - started, details=counts)

    def check(self, item: Item, prediction: Prediction) -> Record:
        correct = check_math_answer(prediction.text, item.data["answer"])
        details = {**prediction.details, "gold": item.data["answer"]}
        scores = {"accuracy": float(correct), "used_calculator": float(bool(prediction.calls))}
        return self.record(item, prediction, correct=correct, scores=scores, details=details)


class SVAMPAgent(AgentMathBenchmark):
    name: ClassVar[str] = "svamp_agent"

    def load(self) -> list[Item]:
        return load_svamp(self.data_root, self.load_issues)


class GSM8KAgent(AgentMathBenchmark):
    name: ClassVar[str] = "gsm8k_agent"

    def load(self) -> list[Item]:
        return load_gsm8k(self.data_root, "train", self.load_issues)
