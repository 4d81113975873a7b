"""The calibrated call decision (model/call_decision.py, eval/call_decision.py): where the
threshold comes from, what the engine does on each side of it, and choosing it on validation."""
from __future__ import annotations

import json
import math

import pytest

from eval.call_decision import (Scored, at_threshold, card_entry, choose_threshold, choose_thresholds, own_rates,
                                plot_tradeoff, read_scores, summarize, validation_scenarios, write_card_entry)
from model.call_decision import card_threshold, request_language, resolve_threshold
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


class BarringGenerator(ScoringGenerator):
    """A scoring generator that can bar a text from its reply, as the llama.cpp engines can."""

    bars_text = True

    def __init__(self, probability: float, **kwargs):
        super().__init__(probability, **kwargs)
        self.barred: list[str] = []

    def generate(self, prompt, params, json_schema, cancel, barred: str = ""):
        self.barred.append(barred)
        return (yield from super().generate(prompt, params, json_schema, cancel))


def test_below_the_threshold_a_generator_that_bars_text_answers_after_the_scored_prompt_with_calls_barred():
    """The message is evaluated once: the text answer continues the prompt the decision scored,
    and no call can open in it."""
    generator = BarringGenerator(0.2, free=["Hello! Nice weather indeed."])
    result = ask(generator, 0.5, "你好！今天天气不错。")
    assert result.content == "Hello! Nice weather indeed." and not result.tool_calls
    assert generator.prompts == [generator.scored[0][0]] and "<tools>" in generator.prompts[0]
    assert generator.barred == ["<tool_call>"]


def test_a_call_or_the_without_tools_option_bars_nothing():
    called = BarringGenerator(0.9, free=["", ""], calls=[CALL_JSON])
    assert ask(called, 0.5).tool_calls and called.barred == ["", ""]  # the call phase, then free text after it
    plain = BarringGenerator(0.2, free=["Hello."])
    engine = TemplatedEngine("fake", plain, ChatTemplate(), call_threshold=0.5, text_answers="without_tools")
    assert engine.chat(ChatRequest([{"role": "user", "content": "Hi"}], tools=[CALC])).content == "Hello."
    assert plain.barred == [""] and "<tools>" not in plain.prompts[0]


class FlooredGenerator(ScoringGenerator):
    """A scoring generator that stops below a floor, as the batched llama.cpp engine does: it
    then reports only the opening's first token, whose probability is `first`."""

    stops_scoring_below_floor = True

    def __init__(self, probability: float, first: float, **kwargs):
        super().__init__(probability, **kwargs)
        self.first = first
        self.floors: list[float | None] = []

    def continuation_logprob(self, prompt: str, continuation: str, floor: float | None = None) -> float:
        self.floors.append(floor)
        whole = super().continuation_logprob(prompt, continuation)
        return math.log(self.first) if floor is not None and math.log(self.first) < floor else whole


@pytest.mark.parametrize(("probability", "first", "opens_call"), [(0.1, 0.12, False), (0.7, 0.75, True)])
def test_the_decision_lets_a_generator_stop_scoring_below_the_threshold(probability, first, opens_call):
    """The threshold goes to the generator as a floor (log), so a reply that will be text need not
    have the whole opening scored; the decision is the one the whole opening's probability gives."""
    generator = FlooredGenerator(probability, first, free=["Hello! Nice weather indeed."], calls=[CALL_JSON])
    result = ask(generator, 0.5)
    assert generator.floors == [pytest.approx(math.log(0.5))]
    assert bool(result.tool_calls) is opens_call


class PrefetchingGenerator(ScoringGenerator):
    """A scoring generator that can prefetch, as the batched llama.cpp engine does."""

    def __init__(self, probability: float, **kwargs):
        super().__init__(probability, **kwargs)
        self.prefetched: list[str] = []

    def prefetch(self, prompt: str) -> None:
        self.prefetched.append(prompt)


def test_after_a_text_answer_written_without_the_tools_the_next_turn_is_prefetched():
    """The next turn's decision reads the tool prompt, the messages and this answer: that much is
    handed to the generator to evaluate while the user reads, exactly as the next turn renders it."""
    generator = PrefetchingGenerator(0.2, free=["Hello! Nice weather indeed."])
    engine = TemplatedEngine("fake", generator, ChatTemplate(), call_threshold=0.5)
    first = [{"role": "user", "content": "你好！今天天气不错。"}]
    deltas = engine.stream(ChatRequest(first, tools=[CALC]))
    opening = next(deltas)
    assert generator.prefetched == []  # not before the answer is out
    answer = opening.content
    for delta in deltas:  # a consumer may stop at the last delta: the prefetch is already asked for
        answer += delta.content
        if delta.finish_reason:
            break
    assert answer == "Hello! Nice weather indeed." and len(generator.prefetched) == 1
    following = ChatRequest([*first, {"role": "assistant", "content": answer}, {"role": "user", "content": "再说一个。"}],
                            tools=[CALC])
    assert engine.render_prompt(following).startswith(generator.prefetched[0])
    assert generator.prefetched[0].endswith(answer + "<|im_end|>\n") and "<tools>" in generator.prefetched[0]


def test_nothing_is_prefetched_after_a_call_or_when_the_answer_had_the_tools_in_its_prompt():
    called = PrefetchingGenerator(0.9, free=["", ""], calls=[CALL_JSON])
    ask(called, 0.5)
    undecided = PrefetchingGenerator(0.2, free=["Hello."])
    ask(undecided, None)  # the model decided as it wrote, after the tool prompt: its slot holds the answer
    assert called.prefetched == [] and undecided.prefetched == []


def test_without_a_threshold_the_model_decides_itself():
    generator = ScoringGenerator(0.99, free=["Hello."])
    result = ask(generator, None)
    assert result.content == "Hello." and generator.scored == [] and "<tools>" in generator.prompts[0]


def test_each_language_is_judged_by_its_own_threshold():
    thresholds = {"en": 0.5, "zh": 0.3}
    english = ask(ScoringGenerator(0.4, free=["Hello."], calls=[CALL_JSON]), thresholds, "What is 17 * 23?")
    chinese = ask(ScoringGenerator(0.4, free=["你好。"], calls=[CALL_JSON]), thresholds, "17 乘以 23 等于多少？")
    assert not english.tool_calls and english.content == "Hello."
    assert [c.name for c in chinese.tool_calls] == ["calculator"]


def test_the_language_is_the_last_user_messages():
    assert request_language([{"role": "user", "content": "帮我算一下"}]) == "zh"
    assert request_language([{"role": "user", "content": "你好"}, {"role": "assistant", "content": "Hi"},
                             {"role": "user", "content": "Thanks!"}]) == "en"
    assert request_language([{"role": "user", "content": [{"type": "text", "text": "今天几号"}]}]) == "zh"
    assert request_language([{"role": "system", "content": "中文"}]) == "en"


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
    won = write_card(tmp_path / "won", {"thresholds": {"en": 0.3, "zh": 0.2}, "default": True})
    lost = write_card(tmp_path / "lost", {"threshold": 0.6, "default": False})  # one for all (older cards)
    assert card_threshold(won) == ({"en": 0.3, "zh": 0.2}, True)
    assert resolve_threshold("auto", None, won) == {"en": 0.3, "zh": 0.2}
    assert resolve_threshold("auto", None, lost) is None  # not on by default where it did not win
    assert resolve_threshold("calibrated", None, lost) == {"en": 0.6, "zh": 0.6}
    assert resolve_threshold("calibrated", 0.1, lost) == {"en": 0.1, "zh": 0.1}
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


def test_thresholds_are_chosen_per_language_where_one_would_fail_a_language():
    english = [item(True, p, language="en") for p in (0.9, 0.8)] + [item(False, p, language="en") for p in (0.5, 0.4)]
    chinese = [item(True, p, language="zh") for p in (0.45, 0.35)] + [item(False, p, language="zh") for p in (0.1,)]
    thresholds = choose_thresholds(english + chinese)
    assert 0.5 < thresholds["en"] < 0.8 and 0.1 < thresholds["zh"] < 0.35
    assert at_threshold(english + chinese, choose_threshold(english + chinese)).balanced < 1.0  # one threshold cannot
    summary = summarize(english + chinese, thresholds)
    assert all(summary[group]["calibrated"]["balanced"] == 1.0 for group in ("all", "en", "zh"))


def test_the_card_records_whether_calibration_won_and_the_plot_is_drawn(tmp_path):
    scored = [item(True, 0.8, own=False, language="en"), item(True, 0.6, own=True, language="zh"),
              item(False, 0.1, own=True, language="en"), item(False, 0.2, own=False, language="zh")]
    thresholds = choose_thresholds(scored)
    summary = summarize(scored, thresholds)
    assert set(summary) == {"thresholds", "all", "en", "zh"}
    assert summary["all"]["calibrated"]["balanced"] == 1.0 and summary["all"]["model"]["balanced"] == 0.5
    entry = card_entry(summary, "val", "fake")
    assert entry["default"] is True and entry["split"] == "val"
    write_card_entry(tmp_path / "card.json", entry)
    recorded = json.loads((tmp_path / "card.json").read_text())["call_decision"]["thresholds"]
    assert recorded == pytest.approx(thresholds)
    plot = plot_tradeoff(scored, thresholds, tmp_path / "decision.png")
    assert plot.stat().st_size > 5000


def test_calibration_that_loses_in_a_language_is_not_the_default():
    scored = [item(True, p, own=False, language="en") for p in (0.8, 0.9)] + [
        item(False, p, own=True, language="en") for p in (0.1, 0.2)] + [
        item(True, 0.6, own=True, language="zh"), item(False, 0.7, own=False, language="zh")]
    summary = summarize(scored, {"en": 0.5, "zh": 0.65})  # zh: worse than the model's own
    assert summary["all"]["calibrated"]["balanced"] > summary["all"]["model"]["balanced"]
    assert summary["zh"]["calibrated"]["balanced"] < summary["zh"]["model"]["balanced"]
    assert card_entry(summary, "val", "fake")["default"] is False


def test_scores_are_read_back_to_choose_again(tmp_path):
    scored = [item(True, 0.8, own=True), item(False, 0.2, language="zh")]
    path = tmp_path / "decision.jsonl"
    path.write_text("".join(json.dumps(s.__dict__) + "\n" for s in scored))
    assert read_scores(path) == scored


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


def test_the_card_readme_gets_one_decision_section(tmp_path):
    from eval.card import write_decision_section

    readme = tmp_path / "README.md"
    readme.write_text("# Eval card: x\n\nintro\n\n## Training\n\n- steps: 3\n")
    scored = [item(True, 0.8, language="en"), item(False, 0.1, own=True, language="zh")]
    entry = card_entry(summarize(scored, choose_thresholds(scored)), "val", "fake")
    write_decision_section(readme, entry)
    write_decision_section(readme, entry)  # again: replaced, not repeated
    text = readme.read_text()
    assert text.count("## Call decision") == 1 and text.index("## Call decision") < text.index("## Training")
    assert "**On by default: yes**" in text and "| all (2) | calibrated |" in text and "- steps: 3" in text


def _run(tmp_path, name: str, bench: str, correct: dict[str, bool]):
    from eval.base import Record
    from eval.runner import RunResult

    records = [Record(id=item_id, category="calculator", correct=ok) for item_id, ok in correct.items()]
    return RunResult(model=name, bench=bench, config={}, records=records).save(tmp_path / f"{name}.json")


def test_the_default_also_needs_to_win_end_to_end_on_validation(tmp_path):
    from eval.call_decision import end_to_end

    scored = [item(True, 0.8, own=False, language="en"), item(True, 0.6, own=True, language="zh"),
              item(False, 0.1, own=True, language="en"), item(False, 0.2, own=False, language="zh")]
    summary = summarize(scored, choose_thresholds(scored))
    ids = ["val-calculator-en-0", "val-calculator-en-1", "val-calculator-zh-0", "val-calculator-zh-1"]
    model = _run(tmp_path, "model", "lingxi_tools_val", dict(zip(ids, [False, False, True, False])))
    better = _run(tmp_path, "better", "lingxi_tools_val", dict(zip(ids, [True, False, True, True])))
    worse_in_zh = _run(tmp_path, "worse", "lingxi_tools_val", dict(zip(ids, [True, True, False, False])))

    won = end_to_end(model, better)
    assert won["accuracy"]["en"] == {"model": 0.0, "calibrated": 0.5}
    assert won["accuracy"]["zh"] == {"model": 0.5, "calibrated": 1.0}
    assert won["paired"]["tuned_only"] == 2 and won["paired"]["base_only"] == 0
    assert card_entry(summary, "val", "fake", won)["default"] is True
    lost = end_to_end(model, worse_in_zh)  # better overall, worse in Chinese
    assert lost["accuracy"]["all"]["calibrated"] > lost["accuracy"]["all"]["model"]
    assert card_entry(summary, "val", "fake", lost)["default"] is False


def test_end_to_end_runs_must_be_validation_runs_of_one_benchmark(tmp_path):
    from eval.call_decision import end_to_end

    ids = {"val-calculator-en-0": True}
    with pytest.raises(ValueError, match="not a validation benchmark"):
        end_to_end(_run(tmp_path, "a", "lingxi_tools", ids), _run(tmp_path, "b", "lingxi_tools", ids))
    with pytest.raises(ValueError, match="different benchmarks"):
        end_to_end(_run(tmp_path, "c", "lingxi_tools_val", ids), _run(tmp_path, "d", "bfcl_val", ids))
