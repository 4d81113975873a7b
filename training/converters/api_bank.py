"""API-Bank level-1 (api_bank/lv1-lv2-samples/level-1-given-desc/*.jsonl + apis.json): one
dialogue per file, rows `{"role": "User"|"AI", "text"}` and `{"role": "API", "api_name",
"param_dict", "result": {"input", "output", "exception"}}` -> one conversation.

- An API row becomes an assistant tool call and its tool result. When it follows an AI row with
  no user turn between, the call joins that AI turn ("Now let me add the agenda." + the call);
  consecutive API rows are sequential calls, each in its own assistant turn (the second uses the
  first's output, as GetUserToken's token).
- Arguments are taken from `result.input` (typed: 1, true, ["a"]) where it matches
  `param_dict` (the same values as strings).
- Consecutive AI rows are joined; turns after the last AI or API row (a closing "thank you")
  are dropped, since they carry no loss.
- Left out, with a problem: empty dialogues, calls written into the AI text as
  "[Name(arg=...)]" (training on them would teach calls as prose), and calls passing an
  argument the API's schema does not declare.
The tools shown are the dialogue's APIs plus `distractors` others from apis.json.
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from model.types import Message, ToolSchema
from training.conversation import Conversation, Problem
from training.converters import Converted, refuse_eval_data
from training.converters.schemas import openai_tool, unknown_arguments, with_distractors
from training.errors import DataFormatError
from training.formats.records import iter_json_records, read_text

LEVEL_1 = "lv1-lv2-samples/level-1-given-desc"


def load_tools(path: str | Path) -> dict[str, ToolSchema]:
    data = json.loads(read_text(path))
    return {api["name"]: openai_tool(api["name"], api.get("description", ""), api.get("input_parameters") or {})
            for api in data["apis"]}


def convert(data_dir: str | Path, distractors: int = 2, seed: int = 0) -> Converted:
    data_dir = Path(data_dir)
    refuse_eval_data(data_dir)
    tools = load_tools(data_dir / "apis.json")
    pool = list(tools.values())
    result = Converted("api_bank_level1")
    for path in sorted((data_dir / LEVEL_1).glob("*.jsonl")):
        try:
            messages, used = _dialogue(path, tools, result)
        except DataFormatError as error:
            result.problems.append(Problem("error", error.detail, error.location or str(path)))
            result.notes["dialogues left out"] += 1
            continue
        named = [name for name in path.stem.split("-") if name in tools]
        needed = [tools[name] for name in dict.fromkeys([*used, *named])]
        rng = random.Random(f"{seed}:{path.stem}")
        result.conversations.append(Conversation(
            messages, with_distractors(needed, pool, distractors, rng), id=path.stem, source=result.name))
    return result


def _dialogue(path: Path, tools: dict[str, ToolSchema], result: Converted) -> tuple[list[Message], list[str]]:
    messages: list[Message] = []
    used: list[str] = []
    inline = re.compile(r"\[(%s)\(" % "|".join(map(re.escape, tools)))
    for record in iter_json_records(path):
        row = record.value
        if record.error is not None or not isinstance(row, dict):
            raise DataFormatError(record.error or "not an object", record.location)
        role = row.get("role")
        if role == "User":
            messages.append({"role": "user", "content": str(row.get("text", ""))})
        elif role == "AI":
            text = str(row.get("text", ""))
            if inline.search(text):
                raise DataFormatError("a call written into the AI text as [Name(...)]", record.location)
            if messages and messages[-1]["role"] == "assistant" and not messages[-1].get("tool_calls"):
                messages[-1]["content"] += "\n" + text
                result.notes["consecutive AI rows joined"] += 1
            else:
                messages.append({"role": "assistant", "content": text})
        elif role == "API":
            _add_call(messages, row, tools, record.location, len(used))
            used.append(row["api_name"])
        else:
            raise DataFormatError(f"unknown role {role!r}", record.location)
    while messages and messages[-1]["role"] != "assistant":
        messages.pop()
        result.notes["trailing turns dropped"] += 1
    if not messages:
        raise DataFormatError("an empty dialogue", str(path))
    return messages, used


def _add_call(messages: list[Message], row: dict[str, Any], tools: dict[str, ToolSchema],
              location: str, number: int) -> None:
    name = row.get("api_name")
    if name not in tools:
        raise DataFormatError(f"unknown API {name!r}", location)
    arguments = _arguments(row)
    unknown = unknown_arguments(arguments, tools[name])
    if unknown:
        raise DataFormatError(f"{name} gets argument(s) its schema does not declare: {', '.join(unknown)}", location)
    call_id = f"call_{number}"
    call = {"id": call_id, "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)}}
    last = messages[-1] if messages else None
    if last is not None and last["role"] == "assistant" and not last.get("tool_calls"):
        last["tool_calls"] = [call]  # the AI announced the call: text, then the call, in one turn
    else:
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    messages.append({"role": "tool", "tool_call_id": call_id, "content": _result_text(row.get("result"))})


def _arguments(row: dict[str, Any]) -> dict[str, Any]:
    given = row.get("param_dict") or {}
    typed = (row.get("result") or {}).get("input")
    if isinstance(typed, dict) and set(typed) == set(given):
        return typed
    return dict(given)


def _result_text(result: Any) -> str:
    if not isinstance(result, dict):
        return json.dumps(result, ensure_ascii=False)
    if result.get("exception"):
        return f"Error: {result['exception']}"
    output = result.get("output")
    return output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
