"""`lingxi_tools`: Lingxi's own tool-use benchmark, on the test split of tools/scenarios (480
items: 60 per kind, half English, half Chinese); `lingxi_tools_val`: the same on the validation
split, where recipes, checkpoints and thresholds are chosen (test only reports);
`lingxi_tools_legacy`: the first, 96-item test split, kept so that earlier figures stay comparable.
`lingxi_tools_media` (test, 180 items: 60 per kind) and `lingxi_tools_media_val` (validation, 40
per kind): the media kinds (an attached image to read with `ocr`, an attached recording to
transcribe with `speech_to_text`, English text to speak with `text_to_speech`), asked apart so that
`lingxi_tools` stays the 480 items its earlier figures were measured on.

Training never sees these items: the splits are by phrasing and by entity (tools/scenarios). Each
item runs two turns, as the agent does: the model gets the request with all five tools offered
(as the app offers them; a media item also offers the media tool the web UI adds to that turn) and
makes its calls; the calculator and Python then run for real, web search, the knowledge base, page
fetches and the media tools answer with the scenario's canned results (rendered by the tools' own
formatting functions; a media call naming a file the conversation does not hold gets the
workspace's error), and the model gives its final answer. The checker (tools/scenarios/checks.py, beside the generator)
scores tool choice, argument validity, argument correctness and the final answer; an item is
correct when all of them hold (no call at all for chat and for requests no tool serves).
"""
from __future__ import annotations

import hashlib
import json
import time
from itertools import zip_longest
from typing import Any, ClassVar

from eval.base import Benchmark, Item, Prediction, Record, raw_output
from model.engines.base import ChatEngine
from model.types import ChatRequest
from tools.scenarios import KINDS, MEDIA_KINDS, NO_CALL_KINDS, Observer, Scenario, build_scenarios, score, tool_schemas
from tools.scenarios.generate import Split

PER_KIND = 60
"""The test split has banks of its own (tools/scenarios/test_phrasings.py), large enough for 60
distinct items per kind: 480 in all, 240 English and 240 Chinese."""
VAL_PER_KIND = 40
"""The validation split has banks of its own, large enough for 40 distinct items per kind."""
LEGACY_PER_KIND = 16
"""The legacy split: kinds whose held-out bank is smaller give fewer (96 items in all)."""


class LingxiTools(Benchmark):
    name: ClassVar[str] = "lingxi_tools"
    split: ClassVar[Split] = "test"
    kinds: ClassVar[tuple[str, ...]] = KINDS
    default_max_tokens: ClassVar[int] = 256

    def __init__(self, data_dir=None, max_tokens: int | None = None, per_kind: int = PER_KIND, seed: int = 0):
        super().__init__(data_dir, max_tokens)
        self.per_kind, self.seed = per_kind, seed
        self.observer = Observer()
        self._scenarios: dict[str, Scenario] = {}

    def config(self) -> dict[str, Any]:
        return {**super().config(), "per_kind": self.per_kind, "seed": self.seed, "items": self._digest()}

    def load(self) -> list[Item]:
        """The split's scenarios, interleaved by kind so that any `--limit` is a balanced sample."""
        scenarios = build_scenarios(self.split, self.per_kind, self.seed, kinds=self.kinds, observer=self.observer)
        by_kind = [[s for s in scenarios if s.kind == kind] for kind in self.kinds]
        ordered = [s for group in zip_longest(*by_kind) for s in group if s is not None]
        self._scenarios = {s.id: s for s in ordered}
        return [Item(id=s.id, category=s.kind, data=s.to_dict()) for s in ordered]

    def _digest(self) -> str:
        """Changes when the generated items change, so cached predictions of old items are not reused."""
        if not self._scenarios:
            self.load()
        text = json.dumps([s.to_dict() for s in self._scenarios.values()], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def scenario(self, item: Item) -> Scenario:
        return self._scenarios.get(item.id) or Scenario.from_dict(item.data)

    def build_request(self, item: Item) -> ChatRequest:
        scenario = self.scenario(item)
        return ChatRequest([{"role": "user", "content": scenario.request}], tools=tool_schemas(scenario.tools),
                           sampling=self.sampling())

    def predict(self, engine: ChatEngine, item: Item) -> Prediction:
        """Turn 1: the calls. Turn 2 (when there were calls): the answer after the observations."""
        scenario = self.scenario(item)
        started = time.perf_counter()
        first_request = self.build_request(item)
        first = engine.chat(first_request)
        prediction = Prediction.from_result(first)
        answer, details = first.content or "", {"turns": 1}
        if first.tool_calls:
            messages = list(first_request.messages)
            call_messages, observations = [], []
            for index, call in enumerate(first.tool_calls):
                call_id = f"call_{index}"
                ok, text = self.observer.observe(scenario, call.name, call.arguments)
                call_messages.append({"id": call_id, "type": "function", "function": {
                    "name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)}})
                observations.append({"role": "tool", "tool_call_id": call_id, "name": call.name, "content": text})
            messages.append({"role": "assistant", "content": first.content or None, "tool_calls": call_messages})
            messages += observations
            second = engine.chat(ChatRequest(messages, tools=first_request.tools, sampling=self.sampling()))
            answer = second.content or ""
            details = {"turns": 2, "second_turn_output": raw_output(second),
                       "second_turn_calls": [c.name for c in second.tool_calls],
                       "observations": [o["content"][:500] for o in observations]}
            prediction.completion_tokens += second.usage.completion_tokens
            prediction.prompt_tokens += second.usage.prompt_tokens
        prediction.details = {**details, "answer": answer}
        prediction.seconds = time.perf_counter() - started
        return prediction

    def check(self, item: Item, prediction: Prediction) -> Record:
        scenario = self.scenario(item)
        answer = prediction.details.get("answer", prediction.text)
        result = score(scenario, prediction.calls, answer, self.observer)
        scores = {"tool_choice": float(result.tool_choice), "args_correct": float(result.args_correct),
                  "answer_correct": float(result.answer_correct)}
        if result.args_valid is not None:
            scores["args_valid"] = float(result.args_valid)
        raw = prediction.text
        if prediction.details.get("turns") == 2:
            raw = f"{raw}\n--- after the tool results ---\n{prediction.details.get('second_turn_output', '')}"
        details = {"language": scenario.language, "request": scenario.request, "gold_calls": scenario.calls,
                   "gold_answer": scenario.answer, "answer": answer, "needs_call": scenario.kind not in NO_CALL_KINDS}
        record = self.record(item, prediction, correct=result.correct, scores=scores, details=details,
                             error_type=result.reason or None, error=_explain(result.reason, scenario))
        record.raw_output = raw
        return record


class LingxiToolsVal(LingxiTools):
    """`lingxi_tools` on the validation split (tools/scenarios/val_phrasings.py)."""

    name: ClassVar[str] = "lingxi_tools_val"
    split: ClassVar[Split] = "val"

    def __init__(self, data_dir=None, max_tokens: int | None = None, per_kind: int = VAL_PER_KIND, seed: int = 0):
        super().__init__(data_dir, max_tokens, per_kind, seed)


class LingxiToolsLegacy(LingxiTools):
    """The first `lingxi_tools` test split (every fourth entry of tools/scenarios/phrasings.py)."""

    name: ClassVar[str] = "lingxi_tools_legacy"
    split: ClassVar[Split] = "legacy"

    def __init__(self, data_dir=None, max_tokens: int | None = None, per_kind: int = LEGACY_PER_KIND, seed: int = 0):
        super().__init__(data_dir, max_tokens, per_kind, seed)


class LingxiToolsMedia(LingxiTools):
    """The media kinds on the test split: read an attached image, transcribe an attached recording,
    speak English text (tools/scenarios/test_phrasings.py; 60 per kind, 180 items)."""

    name: ClassVar[str] = "lingxi_tools_media"
    split: ClassVar[Split] = "test"
    kinds: ClassVar[tuple[str, ...]] = MEDIA_KINDS


class LingxiToolsMediaVal(LingxiTools):
    """`lingxi_tools_media` on the validation split (tools/scenarios/val_phrasings.py; 40 per kind)."""

    name: ClassVar[str] = "lingxi_tools_media_val"
    split: ClassVar[Split] = "val"
    kinds: ClassVar[tuple[str, ...]] = MEDIA_KINDS

    def __init__(self, data_dir=None, max_tokens: int | None = None, per_kind: int = VAL_PER_KIND, seed: int = 0):
        super().__init__(data_dir, max_tokens, per_kind, seed)


def _explain(reason: str, scenario: Scenario) -> str:
    gold = ", ".join(call["name"] for call in scenario.calls) or "no call"
    return {
        "": "",
        "no_call": f"answered without calling a tool (expected: {gold})",
        "unneeded_call": "called a tool where none was needed",
        "empty_answer": "gave no answer",
        "wrong_tool": f"called the wrong tool (expected: {gold})",
        "invalid_arguments": "arguments do not pass the tool's schema",
        "wrong_arguments": "the call's arguments do not give the expected result",
        "wrong_answer": "the final answer does not state the expected result",
    }.get(reason, reason)
