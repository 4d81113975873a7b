"""The calibrated call decision (model/call_decision.py, eval/call_decision.py): where the
threshold comes from, what the engine does on each side of it, and choosing it on validation."""
from __future__ import annotations

import json
import math

import pytest

from eval.call_decision import (Scored, at_threshold, card_entry, choose_threshold, own_rates, plot_tradeoff,
                                summarize, validation_scenarios, write_card_entry)
from model.call_decision import card_threshold, resolve_threshold
from model.chat_template import ChatTemplate
from model.engines.base import TemplatedEngine
from model.types import ChatRequest
from tests.fakes import PhasedGenerator

CALC = {"type": "function", "function": {"name": "calculator", "description": "Evaluate arithmetic", "parameters": {
    "type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}
CALL_JSON = '{"name": "calculator", "arguments": {"expression": "17*23"}}'


class ScoringGenerator(PhasedGenerator):
    """A phased generator whose probability of opening a call is fixed."""

    def __init__(self, probability: float, **kwargs):
        super().__init__(**kwargs)
        self.probability = probability
        self.scored: list[tuple[str, str]] = []

    def continuation_logprob(self, prompt: str, continuation: str) -> float:
        self.scored.append((prompt, continuation))
        return math.log(self.probability)


def ask(generator, threshold, text="What is 17 * 23?"):
    engine = TemplatedEngine("fake", generator, ChatTemplate(), call_threshold=threshold)
    return engine.chat(ChatRequest([{"role": "user", "content": text}], tools=[CALC]))


def test_above_the_threshold_the_answer_opens_with_a_constrained_call():
    generator = ScoringGenerator(0.8, free=["The answer is 391."], calls=[CALL_JSON])
    result = ask(generator, 0.5)
    assert [(c.name, c.arguments) for c in result.tool_calls] == [("calculator", {"expression": "17*23"})]
    assert generator.schemas[0] is not None  # the first decoding was the call, under the grammar
    assert generator.prompts[0].endswith("<tool_call>\n")
    assert generator.scored[0][1] == "<tool_call>"


def test_below_the_threshold_the_answer_is_text_written_without_the_tools_in_the_prompt():
    generator = ScoringGenerator(0.2, free=["Hello! Nice weather indeed."])
    result = ask(generator, 0.5, "你好！今天天气不错。")
    assert result.content == "Hello! Nice weather indeed." and not result.tool_calls
    assert "<tools>" in generator.scored[0][0]  # scored with the tools offered ...
    assert "<tools>" not in generator.prompts[0]  # ... answered without them


def test_without_a_threshold_the_model_decides_itself():
    generator = ScoringGenerator(0.99, free=["Hello."])
    result = ask(generator, None)
    assert result.content == "Hello." and generator.scored == [] and "<tools>" in generator.prompts[0]


def test_a_forced_call_is_never_scored():
    generator = ScoringGenerator(0.01, free=[], calls=[CALL_JSON])
    engine = TemplatedEngine("fake", generator, ChatTemplate(), call_threshold=0.5)
    result = engine.chat(ChatRequest([{"role": "user", "content": "2+2"}], tools=[CALC], tool_choice="required"))
    assert result.tool_calls and generator.scored == []


def write_card(folder, entry):
    folder.mkdir(parents=True)
    (folder / "adapter.gguf").write_bytes(b"")
    (folder / "card.json").write_text(json.dumps({"name": "x", "call_decision": entry}))
    return str(folder / "adapter.gguf")


def test_the_threshold_comes_from_the_option_or_the_adapter_card(tmp_path):
    won = write_card(tmp_path / "won", {"threshold": 0.3, "default": True})
    lost = write_card(tmp_path / "lost", {"threshold": 0.6, "default": False})
    assert card_threshold(won) == (0.3, True)
    assert resolve_threshold("auto", None, won) == 0.3
    assert resolve_threshold("auto", None, lost) is None  # not on by default where it did not win
    assert resolve_threshold("calibrated", None, lost) == 0.6
    assert resolve_threshold("calibrated", 0.1, lost) == 0.1
    assert resolve_threshold("model", 0.1, won) is None
    assert resolve_threshold("auto", None, None) is None
    with pytest.raises(ValueError, match="needs a threshold"):
        resolve_threshold("calibrated", None, None)


def item(needs: bool, probability: float, own: bool = False, language: str = "en") -> Scored:
    return Scored("x", "calculator" if needs else "no_tool", language, needs, probability, own)


def test_the_threshold_with_the_best_balanced_accuracy_is_chosen():
    scored = [item(True, p) for p in (0.9, 0.7, 0.4)] + [item(False, p) for p in (0.35, 0.1, 0.05)]
    threshold = choose_threshold(scored)
    assert 0.35 < threshold < 0.4
    rates = at_threshold(scored, threshold)
    assert rates.recall == rates.abstention == 1.0


def test_overlapping_scores_trade_recall_for_abstention():
    scored = [item(True, p, own=True) for p in (0.9, 0.5, 0.2)] + [item(False, p, own=True) for p in (0.6, 0.1)]
    threshold = choose_threshold(scored)
    assert at_threshold(scored, threshold).balanced == pytest.approx(max(
        at_threshold(scored, t).balanced for t in (0.05, 0.15, 0.35, 0.55, 0.75, 0.95)))
    assert own_rates(scored).abstention == 0.0 and own_rates(scored).recall == 1.0


def test_the_card_records_whether_calibration_won_and_the_plot_is_drawn(tmp_path):
    scored = [item(True, 0.8, own=False, language="en"), item(True, 0.6, own=True, language="zh"),
              item(False, 0.1, own=True, language="en"), item(False, 0.2, own=False, language="zh")]
    threshold = choose_threshold(scored)
    summary = summarize(scored, threshold)
    assert set(summary) == {"threshold", "all", "en", "zh"}
    assert summary["all"]["calibrated"]["balanced"] == 1.0 and summary["all"]["model"]["balanced"] == 0.5
    entry = card_entry(summary, "val", "fake")
    assert entry["default"] is True and entry["split"] == "val"
    write_card_entry(tmp_path / "card.json", entry)
    assert json.loads((tmp_path / "card.json").read_text())["call_decision"]["threshold"] == pytest.approx(threshold)
    plot = plot_tradeoff(scored, threshold, tmp_path / "decision.png")
    assert plot.stat().st_size > 5000


def test_calibration_refuses_the_test_split():
    with pytest.raises(ValueError, match="never on the test split"):
        validation_scenarios("test")


@pytest.mark.model
def test_scoring_on_llama_cpp_reuses_the_prompt_and_changes_no_output(bundled_engine):
    request = ChatRequest([{"role": "user", "content": "What is 17 * 23?"}], tools=[CALC])
    greedy = ChatRequest(request.messages, tools=[CALC], tool_choice="none")
    greedy.sampling.temperature, greedy.sampling.max_tokens = 0.0, 24
    before = bundled_engine.chat(greedy).content
    probability = bundled_engine.call_probability(request)
    again = bundled_engine.call_probability(request)  # from the KV cache this time
    # batched and one-token decodes differ in the last bits of the logits: equal within 0.1 nats
    assert 0.0 < probability < 1.0 and math.log(again) == pytest.approx(math.log(probability), abs=0.1)
    generator = bundled_engine.generator
    prompt = bundled_engine.render_prompt(request)
    generator.llm.reset()  # a cold cache gives the same score
    assert generator.continuation_logprob(prompt, "<tool_call>") == pytest.approx(math.log(probability), abs=0.1)
    assert bundled_engine.chat(greedy).content == before
