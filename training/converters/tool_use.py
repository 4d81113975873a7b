"""The tool-use data builder: Lingxi's own tools, as training conversations.

Two sources, both rendered with the registry's own tool schemas:

- `convert_scenarios`: the training split of tools/scenarios (calculator, parallel calculator
  calls, python, web search, knowledge base, page fetch, chat that needs no tool, requests no
  offered tool serves, and the media kinds: an attached image read with `ocr`, an attached
  recording transcribed with `speech_to_text`, English text spoken with `text_to_speech`, each
  offered with its media tool as the web UI offers it), English and Chinese. The validation and
  test splits, which `lingxi_tools`, `lingxi_tools_media` and their `_val` twins evaluate, are
  never produced here.
- `convert_public_chat`: the glaive demos' conversations without calls (and the identity set),
  re-offered Lingxi's tools: chat the model should answer directly, and requests none of the
  tools serve ("order a pizza"), whose refusal is cut to its first sentence and told in terms of
  Lingxi's own tools. Their prompts are far more varied than the scenario banks, so the model
  learns when not to call rather than memorising a few prompts.
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

from tools.scenarios import KINDS, MEDIA_KINDS, TOOL_NAMES, Observer, Scenario, build_scenarios, tool_schemas
from tools.scenarios.generate import offered_tools
from training.conversation import Conversation, Problem, cjk_share, fill_placeholders
from training.converters import Converted, refuse_eval_data
from training.formats.records import iter_json_records

_ANNOTATION = re.compile(r"<<([^=<>]+)=([^<>]+)>>")
GSM8K_EVAL_LINES = 500
"""`gsm8k_agent --limit N` reads the first lines of train.jsonl; training skips at least these."""
GSM8K_ANSWERS = ("The answer is {value}.", "So the answer is {value}.", "That makes {value} in total: the answer is {value}.")
BUILT_KINDS = KINDS + MEDIA_KINDS
"""The scenario kinds `convert_scenarios` renders (and `tool_use_weights` may weigh)."""


def scenario_conversation(scenario: Scenario) -> Conversation:
    return Conversation(messages=scenario.messages(), tools=tool_schemas(scenario.tools), id=scenario.id,
                        source=f"lingxi_tool_use:{scenario.kind}")


def convert_scenarios(per_kind: int, seed: int = 0, weights: dict[str, float] | None = None,
                      all_tools_share: float = 0.5, observer: Observer | None = None) -> Converted:
    """`per_kind` training conversations of each scenario kind, media kinds included (times its
    weight, if given)."""
    result = Converted("lingxi_tool_use")
    observer = observer or Observer()
    for kind in BUILT_KINDS:
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


_REFUSAL = re.compile(r"\b(sorry|can't|cannot|unable|not able|capabilit\w*|functions?|I don't have)\b|抱歉|无法|不能|功能|函数",
                      re.IGNORECASE)
_ARITHMETIC = re.compile(r"(?=.*\d)(calculat|convert|comput|how (much|many)|计算|换算|多少)", re.IGNORECASE | re.DOTALL)
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?。！？])(\s|$)", re.DOTALL)
IDENTITY = {"name": "Lingxi (灵犀)", "author": "the Lingxi project"}
REFUSAL_SUFFIX = {"en": "None of the tools I have ({tools}) can do that.",
                  "zh": "我现有的工具（{tools}）都做不到这件事。"}


def convert_public_chat(data_dir: str | Path, seed: int = 0, all_tools_share: float = 0.5,
                        max_chars: int = 1200, identity_count: int = 30) -> Converted:
    """Single-turn glaive conversations without calls (and `identity_count` of identity.json's
    self-introductions, which all ask much the same), offered Lingxi's tools."""
    from training.converters import glaive
    from training.formats import read_examples

    folder = Path(data_dir) / "train_toolcall"
    rng = random.Random(f"{seed}-public-chat")
    result = Converted("public_chat")
    pairs: list[tuple[str, str, str]] = []
    for name in ("glaive_toolcall_en_demo.json", "glaive_toolcall_zh_demo.json"):
        if (folder / name).is_file():
            for conversation in glaive.convert(folder / name).conversations:
                if not conversation.calls():
                    pairs += _first_exchange(conversation, "glaive")
    if (folder / "identity.json").is_file():
        identity = read_examples(folder / "identity.json", "alpaca", errors="skip")
        for conversation in rng.sample(identity, min(identity_count, len(identity))):
            pairs += _first_exchange(fill_placeholders(conversation, IDENTITY), "identity")
    seen: set[str] = set()
    for source, request, reply in pairs:
        if request in seen or len(request) + len(reply) > max_chars:
            result.notes["duplicates or longer than max_chars left out"] += 1
            continue
        seen.add(request)
        kind = "irrelevant" if source == "glaive" and _REFUSAL.search(reply) else "no_tool"
        if kind == "no_tool" and _ARITHMETIC.search(request):
            result.notes["arithmetic answered without the calculator left out"] += 1
            continue
        tools = offered_tools(kind, rng, all_tools_share)
        if kind == "irrelevant":
            reply = _refusal(reply, tools)
        result.notes[f"{source} {kind}"] += 1
        result.conversations.append(Conversation(
            messages=[{"role": "user", "content": request}, {"role": "assistant", "content": reply}],
            tools=tool_schemas(tools), id=f"public-chat-{len(result.conversations)}", source=f"public_chat:{kind}"))
    return result


def _first_exchange(conversation: Conversation, source: str) -> list[tuple[str, str, str]]:
    messages = [m for m in conversation.messages if m["role"] in ("user", "assistant")]
    if len(messages) < 2 or messages[0]["role"] != "user" or messages[1]["role"] != "assistant":
        return []
    request, reply = (messages[0]["content"] or "").strip(), (messages[1]["content"] or "").strip()
    return [(source, request, reply)] if request and reply else []


def _refusal(reply: str, tools: list[str]) -> str:
    """The refusal's first sentence, then why in terms of the tools offered here."""
    match = _FIRST_SENTENCE.match(reply)
    first = match.group(1).strip() if match else reply
    language = "zh" if cjk_share(reply) > 0.3 else "en"
    return f"{first}{'' if language == 'zh' else ' '}{REFUSAL_SUFFIX[language].format(tools=', '.join(tools or TOOL_NAMES))}"
