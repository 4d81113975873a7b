"""API-Bank level-1: multi-turn dialogues in which the assistant must make the next API call.

Files: `<data>/api_bank/apis.json` ({"apis": [{name, description, input_parameters}]}) and
`<data>/api_bank/lv1-lv2-samples/level-1-given-desc/*.jsonl`, one dialogue a file, one turn a
line: {"role": "User"|"AI", "text"} or {"role": "API", "api_name", "param_dict", "result"}.

Each API turn is one item, as in API-Bank's own level-1 evaluation: the dialogue up to that
turn is the history (earlier calls appear as assistant tool calls with their results as tool
messages), the tools are the APIs the dialogue uses ("given description"), and the gold answer
is the call. An assistant text right before a call belongs to the same assistant turn, so for
the item's own call it is left for the model to write. Checked by `eval.call_match`.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from eval.base import Benchmark, Item
from eval.call_match import GoldCallsBenchmark, tool_schema
from model.types import ChatRequest, Message

DIALOGUE_DIR = ("api_bank", "lv1-lv2-samples", "level-1-given-desc")


class APIBank(GoldCallsBenchmark, Benchmark):
    name = "api_bank"
    default_max_tokens = 256

    def __init__(self, data_dir=None, max_tokens: int | None = None, all_tools: bool = False):
        super().__init__(data_dir, max_tokens)
        self.all_tools = all_tools
        """Offer all APIs of apis.json instead of those the dialogue uses."""

    def config(self) -> dict[str, Any]:
        return {**super().config(), "all_tools": self.all_tools}

    def load(self) -> list[Item]:
        apis = self._load_apis()
        folder = self.data_path(*DIALOGUE_DIR)
        items: list[Item] = []
        for path in sorted(folder.glob("*.jsonl")):
            turns = self._read_dialogue(path)
            if turns is not None:
                items.extend(self._items(path, turns, apis))
        return items

    def _load_apis(self) -> dict[str, dict]:
        path = self.data_path("api_bank", "apis.json")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            self.issue(path, f"invalid JSON ({error.msg}); tools get names only")
            return {}
        apis = {}
        for api in data.get("apis", []) if isinstance(data, dict) else []:
            if isinstance(api, dict) and isinstance(api.get("name"), str):
                apis[api["name"]] = api
        return apis

    def _read_dialogue(self, path: Path) -> list[dict] | None:
        issues_before = len(self.load_issues)
        rows = self.read_jsonl(path)
        if len(self.load_issues) > issues_before:
            self.issue(path, "dialogue skipped: a turn could not be read")
            return None
        turns = []
        for number, row in rows:
            role = row.get("role")
            valid = (
                role in ("User", "AI") and isinstance(row.get("text"), str)
            ) or (
                role == "API" and isinstance(row.get("api_name"), str) and isinstance(row.get("param_dict"), dict)
            )
            if not valid:
                self.issue(path, f"dialogue skipped: unusable turn {row!r:.80}", number)
                return None
            turns.append(row)
        return turns

    def _items(self, path: Path, turns: list[dict], apis: dict[str, dict]) -> list[Item]:
        names = list(dict.fromkeys(t["api_name"] for t in turns if t["role"] == "API"))
        offered = sorted(apis) if self.all_tools else names
        tools = [self._tool(name, apis, turns) for name in offered if name != "ToolSearcher" or name in names]
        items, history = [], []
        for turn in turns:
            if turn["role"] == "User":
                history.append({"role": "user", "content": turn["text"]})
            elif turn["role"] == "AI":
                history.append({"role": "assistant", "content": turn["text"]})
            else:
                index = len(items)
                gold = {"name": turn["api_name"], "arguments": turn["param_dict"]}
                context = history[:-1] if _is_plain_assistant(history[-1:]) else history
                items.append(Item(
                    id=f"{path.stem}#{index}",
                    category="level-1",
                    data={"messages": copy.deepcopy(context), "tools": tools, "gold": [gold]},
                ))
                _append_call(history, turn, f"call_{index}")
        return items

    def _tool(self, name: str, apis: dict[str, dict], turns: list[dict]) -> dict:
        api = apis.get(name)
        if api is None:
            keys = {k for t in turns if t.get("api_name") == name for k in t["param_dict"]}
            return tool_schema(name, "", {k: {"type": "str"} for k in sorted(keys)}, [])
        parameters = api.get("input_parameters") if isinstance(api.get("input_parameters"), dict) else {}
        return tool_schema(name, str(api.get("description", "")), parameters, list(parameters))

    def build_request(self, item: Item) -> ChatRequest:
        return self.request_for(item, copy.deepcopy(item.data["messages"]))


def _is_plain_assistant(messages: list[Message]) -> bool:
    return bool(messages) and messages[-1]["role"] == "assistant" and not messages[-1].get("tool_calls")


def _append_call(history: list[Message], turn: dict, call_id: str) -> None:
    """Add a gold call and its result to the history, joining a preceding assistant text."""
    call = {
        "id": call_id,
        "type": "function",
        "function": {"name": turn["api_name"], "arguments": json.dumps(turn["param_dict"], ensure_ascii=False)},
    }
    if _is_plain_assistant(history):
        history[-1]["tool_calls"] = [call]
    else:
        history.append({"role": "assistant", "content": None, "tool_calls": [call]})
    result = turn.get("result") if isinstance(turn.get("result"), dict) else {}
    output = {"error": result["exception"]} if result.get("exception") else result.get("output")
    history.append({
        "role": "tool",
        "tool_call_id": call_id,
        "name": turn["api_name"],
        "content": json.dumps(output, ensure_ascii=False),
    })
