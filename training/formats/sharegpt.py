"""ShareGPT as LLaMA-Factory writes it: a JSON array (or JSONL) of records with a
`conversations` list of `{"from", "value"}` turns, `from` in human / gpt / function_call /
observation / system, a `tools` column holding the tool schemas as a JSON string, and an
optional `system` column.

Mapping to the internal form (LLaMA-Factory's own OpenAI converter does the same):
- `function_call` -> an assistant turn with tool_calls; its value is one `{"name", "arguments"}`
  object, or a list of them for parallel calls;
- `observation` -> tool results; the results of parallel calls share one observation, joined by
  `RESULT_SEPARATOR` (what LLaMA-Factory writes), and are split back when the count matches.

ShareGPT has no call ids (they become call_0, call_1, ...) and no turn that holds text and calls
together: `to_sharegpt` keeps the calls of such a turn and drops its text, with a warning. Apart
from those two, ShareGPT -> internal -> ShareGPT gives back the same record.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from model.types import Message
from training.conversation import Conversation, normalize_call, normalize_tools
from training.errors import DataFormatError

logger = logging.getLogger(__name__)

NAME = "sharegpt"
RESULT_SEPARATOR = "\n</tool_response>\n<tool_response>\n"
ROLE_OF = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
           "system": "system", "function_call": "function_call", "observation": "observation",
           "tool": "observation"}


def detect(record: Any) -> bool:
    return isinstance(record, dict) and isinstance(record.get("conversations"), list)


def parse(record: Any, source: str | None = None) -> Conversation:
    if not detect(record):
        raise DataFormatError('expected an object with a "conversations" list')
    messages: list[Message] = []
    if record.get("system"):
        messages.append({"role": "system", "content": str(record["system"])})
    pending: list[str] = []
    calls_made = 0
    for number, turn in enumerate(record["conversations"]):
        where = f"turn {number}"
        if not isinstance(turn, dict) or not isinstance(turn.get("value"), str):
            raise DataFormatError(f'{where}: expected {{"from": ..., "value": <string>}}')
        role = ROLE_OF.get(turn.get("from"))
        if role is None:
            raise DataFormatError(f"{where}: unknown speaker {turn.get('from')!r} "
                                  f"(expected one of {', '.join(sorted(ROLE_OF))})")
        value = turn["value"]
        if role == "function_call":
            calls = _parse_calls(value, where, first_id=calls_made)
            calls_made += len(calls)
            pending = [call["id"] for call in calls]
            messages.append({"role": "assistant", "content": None, "tool_calls": calls})
        elif role == "observation":
            if not pending:
                raise DataFormatError(f"{where}: an observation without a preceding function_call")
            messages += _tool_results(value, pending)
            pending = []
        else:
            messages.append({"role": role, "content": value})
            pending = []
    return Conversation(messages, normalize_tools(record.get("tools")),
                        id=None if record.get("id") is None else str(record["id"]), source=source)


def _parse_calls(value: str, where: str, first_id: int) -> list[dict[str, Any]]:
    try:
        data = json.loads(value)
    except json.JSONDecodeError as error:
        raise DataFormatError(f"{where}: function_call value is not valid JSON ({error.msg})") from None
    items = data if isinstance(data, list) else [data]
    if not items:
        raise DataFormatError(f"{where}: function_call holds no call")
    return [normalize_call(item, f"call_{first_id + k}", where) for k, item in enumerate(items)]


def _tool_results(value: str, call_ids: list[str]) -> list[Message]:
    parts = value.split(RESULT_SEPARATOR) if len(call_ids) > 1 else [value]
    if len(parts) != len(call_ids):
        parts = [value]  # one result for all the calls: keep it whole
    return [{"role": "tool", "content": part, "tool_call_id": call_id} for part, call_id in zip(parts, call_ids)]


def to_sharegpt(conversation: Conversation) -> dict[str, Any]:
    """Internal -> a LLaMA-Factory ShareGPT record (a leading system message -> the system column)."""
    messages = list(conversation.messages)
    record: dict[str, Any] = {"conversations": []}
    if messages and messages[0]["role"] == "system":
        record["system"] = messages[0]["content"]
        messages = messages[1:]
    turns = record["conversations"]
    for message in messages:
        role = message["role"]
        if role == "tool":
            if turns and turns[-1]["from"] == "observation":
                turns[-1]["value"] += RESULT_SEPARATOR + (message.get("content") or "")
            else:
                turns.append({"from": "observation", "value": message.get("content") or ""})
            continue
        if role == "assistant" and message.get("tool_calls"):
            if message.get("content"):
                logger.warning("%s: ShareGPT cannot hold text and calls in one turn; the text is dropped",
                               conversation.id or "a conversation")
            turns.append({"from": "function_call", "value": _calls_value(message["tool_calls"])})
            continue
        speaker = {"user": "human", "assistant": "gpt", "system": "system"}[role]
        turns.append({"from": speaker, "value": message.get("content") or ""})
    record["tools"] = json.dumps([tool["function"] for tool in conversation.tools], ensure_ascii=False)
    if conversation.id is not None:
        record["id"] = conversation.id
    return record


def _calls_value(calls: list[dict[str, Any]]) -> str:
    items = [{"name": call["function"]["name"], "arguments": json.loads(call["function"]["arguments"])}
             for call in calls]
    return json.dumps(items[0] if len(items) == 1 else items, ensure_ascii=False)
