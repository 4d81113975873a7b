"""The glaive function-calling demos of LLaMA-Factory (train_toolcall/glaive_toolcall_{en,zh}_demo
.json): ShareGPT with function_call / observation turns and a tools column. They read as they
are; this adds ids, a source name, and a check of each call against its tool's schema."""
from __future__ import annotations

import json
from pathlib import Path

from training.conversation import Problem
from training.converters import Converted, refuse_eval_data
from training.converters.schemas import argument_problems
from training.formats import iter_examples
from training.formats.sharegpt import NAME as SHAREGPT


def convert(path: str | Path, name: str | None = None) -> Converted:
    refuse_eval_data(path)
    path = Path(path)
    result = Converted(name or path.stem)
    for index, item in enumerate(iter_examples(path, SHAREGPT)):
        result.problems += item.problems
        if not item.ok:
            result.notes["records left out"] += 1
            continue
        conversation = item.example
        conversation.id = conversation.id or f"{result.name}-{index}"
        conversation.source = result.name
        tools = {tool["function"]["name"]: tool for tool in conversation.tools}
        for call in conversation.calls():
            tool = tools.get(call["function"]["name"])
            if tool is None:
                continue  # validation already warned
            for text in argument_problems(json.loads(call["function"]["arguments"]), tool):
                result.problems.append(Problem("warning", text, item.location))
                result.notes["calls not matching their schema"] += 1
        result.conversations.append(conversation)
    return result
