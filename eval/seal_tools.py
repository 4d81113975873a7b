"""Seal-Tools: one query, one or several calls, chosen from a large tool set.

Files: `<data>/seal_tools/<split>.jsonl` ({"id", "query", "calling": [{"api", "parameters"}]};
default split `test_in_domain`, since `dev` is used for training) and
`<data>/seal_tools/tool.jsonl` (4,076 tools: api_name, api_description, field, parameters,
required).

The request offers the gold tools plus `n_distractors` others, drawn first from the same field
(the harder case: similar tools) and shuffled, both deterministically from the item id. Gold
arguments that hold an earlier call's output ("API_call_0") accept any value; see
`eval.call_match` for the matching rule. Category: "single" (one call) or "multiple".
"""
from __future__ import annotations

import hashlib
import random
from typing import Any

from eval.base import Benchmark, Item
from eval.call_match import GoldCallsBenchmark, tool_schema
from model.types import ChatRequest


class SealTools(GoldCallsBenchmark, Benchmark):
    name = "seal_tools"
    default_max_tokens = 512

    def __init__(self, data_dir=None, max_tokens: int | None = None, split: str = "test_in_domain",
                 n_distractors: int = 5):
        super().__init__(data_dir, max_tokens)
        self.split = split
        self.n_distractors = n_distractors

    def config(self) -> dict[str, Any]:
        return {**super().config(), "split": self.split, "n_distractors": self.n_distractors}

    def load(self) -> list[Item]:
        tools = self._load_tools()
        by_field: dict[str, list[str]] = {}
        for name, tool in tools.items():
            by_field.setdefault(_top_field(tool), []).append(name)
        path = self.data_path("seal_tools", f"{self.split}.jsonl")
        items = []
        for number, row in self.read_jsonl(path):
            gold = _gold_calls(row.get("calling"))
            if not isinstance(row.get("id"), str) or not isinstance(row.get("query"), str) or gold is None:
                self.issue(path, "item without id, query or a list of {api, parameters} calls", number)
                continue
            unknown = sorted({call["name"] for call in gold} - set(tools))
            if unknown:
                self.issue(path, f"{row['id']}: gold calls tools missing from tool.jsonl: {unknown}", number)
                continue
            items.append(Item(
                id=row["id"],
                category="single" if len(gold) == 1 else "multiple",
                data={
                    "query": row["query"],
                    "gold": gold,
                    "tools": [seal_tool_schema(tools[n]) for n in self._offered(row["id"], gold, tools, by_field)],
                },
            ))
        return items

    def _load_tools(self) -> dict[str, dict]:
        path = self.data_path("seal_tools", "tool.jsonl")
        tools = {}
        for number, row in self.read_jsonl(path):
            if not isinstance(row.get("api_name"), str) or not isinstance(row.get("parameters"), dict):
                self.issue(path, "tool without api_name or parameters", number)
                continue
            tools[row["api_name"]] = row
        return tools

    def _offered(self, item_id: str, gold: list[dict], tools: dict[str, dict],
                 by_field: dict[str, list[str]]) -> list[str]:
        """Names of the tools offered for one item: gold + distractors, in a shuffled order."""
        rng = random.Random(int(hashlib.sha256(item_id.encode()).hexdigest()[:16], 16))
        chosen = list(dict.fromkeys(call["name"] for call in gold))
        fields = sorted({_top_field(tools[name]) for name in chosen})
        near = [name for f in fields for name in by_field.get(f, []) if name not in chosen]
        wanted = self.n_distractors
        picked = rng.sample(near, min(wanted, len(near)))
        if len(picked) < wanted:
            taken = set(chosen) | set(picked)
            pool = [name for name in tools if name not in taken]
            picked += rng.sample(pool, min(wanted - len(picked), len(pool)))
        offered = chosen + picked
        rng.shuffle(offered)
        return offered

    def build_request(self, item: Item) -> ChatRequest:
        return self.request_for(item, [{"role": "user", "content": item.data["query"]}])


def _top_field(tool: dict) -> str:
    return str(tool.get("field", "")).split("/")[0]


def _gold_calls(calling: Any) -> list[dict] | None:
    if not isinstance(calling, list) or not calling:
        return None
    calls = []
    for call in calling:
        if not isinstance(call, dict) or not isinstance(call.get("api"), str) or not isinstance(call.get("parameters"), dict):
            return None
        calls.append({"name": call["api"], "arguments": call["parameters"]})
    return calls


def seal_tool_schema(tool: dict) -> dict:
    parameters = tool.get("parameters") if isinstance(tool.get("parameters"), dict) else {}
    required = [r for r in tool.get("required") or [] if r in parameters]
    return tool_schema(tool["api_name"], str(tool.get("api_description", "")), parameters, required)
