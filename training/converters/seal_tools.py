"""Seal-Tools (seal_tools/dev.jsonl + tool.jsonl): a query and its gold call list -> a
conversation whose assistant turn makes the calls.

Seal-Tools has no tool outputs, so an example ends at the assistant's calls. Calls that take
another call's output as an argument (a value "API_call_N") cannot be made before that output
exists: the assistant turn holds only the first wave, the calls with no such dependency, which
is what the model should do first. The tools shown are the gold tools plus `distractors` others
drawn from tool.jsonl, shuffled, so the model learns to choose.

With `irrelevant_share` > 0, that share of queries also yields an example that shows only
distractor tools and answers without a call (FACTS.md: a tuned model that never saw one learns
"tools listed -> call" and fails irrelevance checks).
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from model.types import ToolSchema
from training.conversation import Conversation, Problem
from training.converters import Converted, refuse_eval_data
from training.converters.schemas import argument_problems, openai_tool, with_distractors
from training.errors import TrainingError
from training.formats.records import iter_json_records

NO_TOOL_REPLY = ("None of the tools I have can help with this request, so I can't do it with a "
                 "tool call. Could you tell me more, or ask for something the available tools cover?")
_REFERENCE = re.compile(r"^API_call_\d+$")


def load_tools(path: str | Path) -> dict[str, ToolSchema]:
    """tool.jsonl -> OpenAI tools by name."""
    tools: dict[str, ToolSchema] = {}
    for record in iter_json_records(path):
        value = record.value
        if record.error is not None or not isinstance(value, dict) or "api_name" not in value:
            raise TrainingError(f"{record.location}: not a Seal-Tools tool schema")
        tools[value["api_name"]] = openai_tool(value["api_name"], value.get("api_description", ""),
                                               value.get("parameters") or {}, value.get("required"))
    return tools


def convert(data_dir: str | Path, split: str = "dev", distractors: int = 2, seed: int = 0,
            irrelevant_share: float = 0.0) -> Converted:
    data_dir = Path(data_dir)
    refuse_eval_data(data_dir)
    if split.startswith("test"):
        raise TrainingError(f"Seal-Tools {split} is evaluation data; train on dev")
    tools = load_tools(data_dir / "tool.jsonl")
    pool = list(tools.values())
    result = Converted(f"seal_tools_{split}")
    for record in iter_json_records(data_dir / f"{split}.jsonl"):
        try:
            item = _parse(record.value, record.error, tools)
        except TrainingError as error:
            result.problems.append(Problem("error", str(error), record.location))
            result.notes["records left out"] += 1
            continue
        query, calls, dropped, example_id = item
        result.notes["dependent calls left out"] += dropped
        result.notes["examples cut to their first wave"] += bool(dropped)
        rng = random.Random(f"{seed}:{example_id}")
        needed = [tools[name] for name in dict.fromkeys(call["name"] for call in calls)]
        for call in calls:
            for text in argument_problems(call["arguments"], tools[call["name"]]):
                result.problems.append(Problem("warning", text, record.location))
        tool_calls = [{"id": f"call_{k}", "type": "function",
                       "function": {"name": call["name"],
                                    "arguments": json.dumps(call["arguments"], ensure_ascii=False)}}
                      for k, call in enumerate(calls)]
        messages = [{"role": "user", "content": query},
                    {"role": "assistant", "content": None, "tool_calls": tool_calls}]
        result.conversations.append(Conversation(
            messages, with_distractors(needed, pool, distractors, rng), id=example_id, source=result.name))
        if irrelevant_share and rng.random() < irrelevant_share:
            gold = {tool["function"]["name"] for tool in needed}
            others = [tool for tool in pool if tool["function"]["name"] not in gold]
            shown = with_distractors([], others, max(distractors, 1), rng)
            result.conversations.append(Conversation(
                [{"role": "user", "content": query}, {"role": "assistant", "content": NO_TOOL_REPLY}],
                shown, id=f"{example_id}-irrelevant", source=result.name))
            result.notes["irrelevance examples added"] += 1
    return result


def _parse(value: Any, error: str | None, tools: dict[str, ToolSchema]):
    """(query, first-wave calls, number of dependent calls left out, id)."""
    if error is not None:
        raise TrainingError(error)
    if not isinstance(value, dict) or not isinstance(value.get("query"), str) \
            or not isinstance(value.get("calling"), list) or not value["calling"]:
        raise TrainingError('expected {"id", "query": <string>, "calling": [<calls>]}')
    calls = []
    for number, call in enumerate(value["calling"]):
        if not isinstance(call, dict) or call.get("api") not in tools:
            raise TrainingError(f"call {number}: unknown api {call.get('api') if isinstance(call, dict) else call!r}")
        arguments = call.get("parameters") or {}
        if not isinstance(arguments, dict):
            raise TrainingError(f"call {number}: parameters must be an object")
        calls.append({"name": call["api"], "arguments": arguments})
    first_wave = [call for call in calls if not _depends(call["arguments"])]
    if not first_wave:
        raise TrainingError("every call depends on another call's output")
    return value["query"], first_wave, len(calls) - len(first_wave), str(value.get("id", ""))


def _depends(arguments: dict[str, Any]) -> bool:
    return any(isinstance(v, str) and _REFERENCE.match(v) for v in _values(arguments))


def _values(value: Any):
    if isinstance(value, dict):
        for item in value.values():
            yield from _values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _values(item)
    else:
        yield value
