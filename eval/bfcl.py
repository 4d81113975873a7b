"""Berkeley Function Calling Leaderboard v4, AST categories: simple_python, multiple, parallel,
parallel_multiple (checked against possible_answer/) and irrelevance (pass = no call).

Files: `<data>/bfcl/BFCL_v4_<category>.json` (one JSON object a line: id, question = list of
turns of chat messages, function = list of BFCL schemas) and
`<data>/bfcl/possible_answer/BFCL_v4_<category>.json` (id, ground_truth).

BFCL schemas use Python type names ("dict", "float", "tuple", "any"); the request gets them as
JSON Schema, converted the way BFCL converts them for OpenAI-style function calling, and names
with characters OpenAI forbids ("math.factorial") are legalised ("math_factorial") in the request
and mapped back before checking.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, ClassVar

from eval.base import Benchmark, Item, Prediction, Record
from eval.bfcl_checker import check_calls
from model.types import ChatRequest

TYPE_TO_JSON_SCHEMA = {
    "integer": "integer",
    "int": "integer",
    "float": "number",
    "number": "number",
    "double": "number",
    "string": "string",
    "str": "string",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "tuple": "array",
    "dict": "object",
    "object": "object",
    "any": "string",
}
"""BFCL's own mapping (constants/type_mappings.py): unknown types become "string" too."""

PYTHON_NOTE = " Note that the provided function is in Python 3 syntax."
FLOAT_NOTE = " This is a float type value."
_ILLEGAL_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_-]")


def to_json_schema(schema: Any) -> dict[str, Any]:
    """A BFCL parameter schema -> valid JSON Schema, recursively."""
    source = schema if isinstance(schema, dict) else {}
    declared = source.get("type")
    converted: dict[str, Any] = {
        "type": TYPE_TO_JSON_SCHEMA.get(declared, "string") if isinstance(declared, str) else "string"
    }
    for key, value in source.items():
        if key == "type":
            continue
        if key == "properties" and isinstance(value, dict):
            converted[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key == "items":
            converted[key] = to_json_schema(value)
        elif key == "required" and not isinstance(value, list):
            continue  # a per-property "required: true" is not JSON Schema
        elif key == "optional":
            continue  # BFCL's marker; not a JSON Schema keyword
        else:
            converted[key] = copy.deepcopy(value)
    if declared == "float":
        converted["format"] = "float"
        converted["description"] = str(converted.get("description", "")) + FLOAT_NOTE
    return converted


def legal_names(functions: list[dict]) -> dict[str, str]:
    """Original name -> a name OpenAI accepts (^[a-zA-Z0-9_-]{1,64}$), unique within the list."""
    legal: dict[str, str] = {}
    taken: set[str] = set()
    for function in functions:
        original = function["name"]
        base = _ILLEGAL_NAME_CHARS.sub("_", original)[:64] or "function"
        name, counter = base, 2
        while name in taken:
            suffix = f"_{counter}"
            name, counter = base[: 64 - len(suffix)] + suffix, counter + 1
        legal[original] = name
        taken.add(name)
    return legal


def to_openai_tools(functions: list[dict]) -> list[dict[str, Any]]:
    names = legal_names(functions)
    tools = []
    for function in functions:
        parameters = {**to_json_schema(function.get("parameters") or {}), "type": "object"}
        parameters.setdefault("properties", {})
        tools.append({
            "type": "function",
            "function": {
                "name": names[function["name"]],
                "description": str(function.get("description", "")) + PYTHON_NOTE,
                "parameters": parameters,
            },
        })
    return tools


def map_calls_back(calls: list[dict], functions: list[dict]) -> list[dict]:
    """Model calls naming legalised tools -> calls naming the original BFCL functions.

    The request showed the legal names, so those win; a call using an original name the request
    did not show (a model copying "math.factorial" from the question) keeps it."""
    back = {legal: original for original, legal in legal_names(functions).items()}
    return [{**call, "name": back.get(call.get("name"), call.get("name"))} for call in calls]


class BFCLBenchmark(Benchmark):
    """One BFCL category; subclasses fix the category and the registry name."""

    category: ClassVar[str] = "simple_python"
    default_max_tokens = 256

    def load(self) -> list[Item]:
        folder = self.data_path("bfcl")
        questions_path = self.data_path("bfcl", f"BFCL_v4_{self.category}.json")
        gold = self._load_gold(folder) if self.category != "irrelevance" else None
        items = []
        for number, row in self.read_jsonl(questions_path):
            item = self._item(questions_path, number, row, gold)
            if item is not None:
                items.append(item)
        return items

    def _load_gold(self, folder: Path) -> dict[str, Any]:
        path = self.data_path("bfcl", "possible_answer", f"BFCL_v4_{self.category}.json")
        gold = {}
        for number, row in self.read_jsonl(path):
            if not isinstance(row.get("id"), str) or "ground_truth" not in row:
                self.issue(path, "gold line without id or ground_truth", number)
                continue
            gold[row["id"]] = row["ground_truth"]
        return gold

    def _item(self, path: Path, number: int, row: dict, gold: dict | None) -> Item | None:
        item_id, question, functions = row.get("id"), row.get("question"), row.get("function")
        if not isinstance(item_id, str):
            self.issue(path, "item without a string id", number)
            return None
        messages = question[0] if isinstance(question, list) and question else None
        if not isinstance(messages, list) or not all(
            isinstance(m, dict) and "role" in m and "content" in m for m in messages
        ):
            self.issue(path, f"{item_id}: question is not a list of chat turns", number)
            return None
        if not isinstance(functions, list) or not all(
            isinstance(f, dict) and isinstance(f.get("name"), str) for f in functions
        ):
            self.issue(path, f"{item_id}: function is not a list of named schemas", number)
            return None
        if len(question) > 1:
            self.issue(path, f"{item_id}: multi-turn question; only the first turn is used", number)
        data = {"messages": messages, "functions": functions}
        if gold is not None:
            if item_id not in gold:
                self.issue(path, f"{item_id}: no ground truth in possible_answer/", number)
                return None
            data["gold"] = gold[item_id]
        return Item(id=item_id, category=self.category, data=data)

    def build_request(self, item: Item) -> ChatRequest:
        return ChatRequest(
            messages=copy.deepcopy(item.data["messages"]),
            tools=to_openai_tools(item.data["functions"]),
            tool_choice="auto",
            sampling=self.sampling(),
        )

    def check(self, item: Item, prediction: Prediction) -> Record:
        functions = item.data["functions"]
        calls = map_calls_back(prediction.calls, functions)
        outcome = check_calls(self.category, functions, calls, item.data.get("gold"))
        details: dict[str, Any] = {}
        if item.data.get("gold") is not None:
            details["gold"] = item.data["gold"]
        if outcome.notes:
            details["notes"] = outcome.notes
        record = self.record(
            item,
            prediction,
            correct=outcome.valid,
            scores={"ast": 1.0 if outcome.valid else 0.0},
            error_type=outcome.error_type,
            error=outcome.error,
            details=details,
        )
        record.calls = calls
        return record


class BFCLSimple(BFCLBenchmark):
    name = "bfcl_simple"
    category = "simple_python"


class BFCLMultiple(BFCLBenchmark):
    name = "bfcl_multiple"
    category = "multiple"


class BFCLParallel(BFCLBenchmark):
    name = "bfcl_parallel"
    category = "parallel"
    default_max_tokens = 512


class BFCLParallelMultiple(BFCLBenchmark):
    name = "bfcl_parallel_multiple"
    category = "parallel_multiple"
    default_max_tokens = 512


class BFCLIrrelevance(BFCLBenchmark):
    name = "bfcl_irrelevance"
    category = "irrelevance"


BFCL_BENCHMARKS = (BFCLSimple, BFCLMultiple, BFCLParallel, BFCLParallelMultiple, BFCLIrrelevance)
