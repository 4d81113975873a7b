"""The tool-use data builder: Lingxi's own tools, as training conversations.

Two sources, both rendered with the registry's own tool schemas:

- `convert_scenarios`: the training split of tools/scenarios (calculator, parallel calculator
  calls, python, web search, knowledge base, page fetch, chat that needs no tool, and requests no
  offered tool serves), English and Chinese. The test split, which `lingxi_tools` evaluates, is
  never produced here.
- `convert_gsm8k`: GSM8K train questions as multi-step calculator trajectories. Each
  `<<expression=value>>` annotation of the solution becomes one real calculator call, one per
  assistant turn; an item is dropped when the calculator disagrees with the annotation. The first
  `skip_first` lines are left out: `gsm8k_agent` evaluates them.
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

from tools.scenarios import KINDS, Observer, Scenario, build_scenarios, tool_schemas
from tools.scenarios.generate import offered_tools
from training.conversation import Conversation, Problem
from training.converters import Converted, refuse_eval_data
from training.formats.records import iter_json_records

_ANNOTATION = re.compile(r"<<([^=<>]+)=([^<>]+)>>")
GSM8K_EVAL_LINES = 500
"""`gsm8k_agent --limit N` reads the first lines of train.jsonl; training skips at least these."""
GSM8K_ANSWERS = ("The answer is {value}.", "So the answer is {value}.", "That makes {value} in total: the answer is {value}.")


def scenario_conversation(scenario: Scenario) -> Conversation:
    return Conversation(messages=scenario.messages(), tools=tool_schemas(scenario.tools), id=scenario.id,
                        source=f"lingxi_tool_use:{scenario.kind}")


def convert_scenarios(per_kind: int, seed: int = 0, weights: dict[str, float] | None = None,
                      all_tools_share: float = 0.5, observer: Observer | None = None) -> Converted:
    """`per_kind` training conversations of each scenario kind (times its weight, if given)."""
    result = Converted("lingxi_tool_use")
    observer = observer or Observer()
    for kind in KINDS:
        count = round(per_kind * (weights or {}).get(kind, 1.0))
        if count <= 0:
            continue
        for scenario in build_scenarios("train", count, seed, kinds=(kind,), all_tools_share=all_tools_share,
                                        observer=observer):
            result.conversations.append(scenario_conversation(scenario))
            result.notes[f"kind {kind}"] += 1
    return result


def convert_gsm8k(data_dir: str | Path, count: int, seed: int = 0, skip_first: int = GSM8K_EVAL_LINES,
                  all_tools_share: float = 0.5, observer: Observer | None = None) -> Converted:
    """Up to `count` GSM8K train items (after the first `skip_first` lines) as calculator trajectories."""
    path = Path(data_dir) / "gsm8k" / "train.jsonl"
    refuse_eval_data(path)
    observer = observer or Observer()
    rng = random.Random(f"{seed}-gsm8k")
    result = Converted("gsm8k_calculator")
    for record in iter_json_records(path):
        if len(result.conversations) >= count:
            break
        line = int(record.location.rsplit(":", 1)[1])
        if line <= skip_first:
            continue
        if record.error is not None or not isinstance(record.value, dict):
            result.problems.append(Problem("error", record.error or "not an object", record.location))
            continue
        conversation, why = _trajectory(record.value, observer, rng, all_tools_share)
        if conversation is None:
            result.notes[why] += 1
            continue
        conversation.id = f"gsm8k-train-{line}"
        result.conversations.append(conversation)
    return result


def _trajectory(row: dict, observer: Observer, rng: random.Random,
                all_tools_share: float) -> tuple[Conversation | None, str]:
    question, solution = row.get("question"), row.get("answer")
    if not isinstance(question, str) or not isinstance(solution, str) or "####" not in solution:
        return None, "items without a '####' answer"
    steps = _ANNOTATION.findall(solution)
    if not steps or len(steps) > 6:
        return None, "items with no or more than 6 calculations"
    messages: list[dict] = [{"role": "user", "content": question.strip()}]
    for index, (expression, annotated) in enumerate(steps):
        expression = expression.replace("x", "*").strip()
        result = observer.registry.call("calculator", {"expression": expression})
        if not result.ok or not _agrees(result.content, annotated):
            return None, "items whose annotation the calculator disagrees with"
        call_id = f"call_{index}"
        messages.append({"role": "assistant", "content": None, "tool_calls": [{
            "id": call_id, "type": "function",
            "function": {"name": "calculator", "arguments": json.dumps({"expression": expression})}}]})
        messages.append({"role": "tool", "tool_call_id": call_id, "name": "calculator", "content": result.content})
    final = solution.split("####")[-1].strip().replace(",", "")
    messages.append({"role": "assistant", "content": rng.choice(GSM8K_ANSWERS).format(value=final)})
    tools = offered_tools("calculator", rng, all_tools_share)
    return Conversation(messages=messages, tools=tool_schemas(tools), source="gsm8k_calculator"), ""


def _agrees(observation: str, annotated: str) -> bool:
    try:
        value = float(observation.split(" (")[0].replace(",", ""))
        gold = float(annotated.strip().rstrip(".").replace(",", "").replace("$", "").replace("%", ""))
    except ValueError:
        return False
    return abs(value - gold) <= max(1e-6, 1e-4 * abs(gold))


