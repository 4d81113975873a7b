"""Auto mode on a backend that builds grammars: free text, and a call the model opens decoded
under the tools' grammar, in phases (model/engines/auto_calls.py), on a scripted generator."""
from __future__ import annotations

import threading

from model.chat_template import ChatTemplate
from model.engines.base import TemplatedEngine
from model.types import ChatRequest, SamplingParams
from model.engines.auto_calls import settled_name
from tests.fakes import CharGenerator, PhasedGenerator, PrefixPhasedGenerator

CALC = {"type": "function", "function": {"name": "calculator", "parameters": {
    "type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}
CALL_JSON = '{"name": "calculator", "arguments": {"expression": "2*21"}}'


def run(generator, max_tokens=None, cancel=None):
    engine = TemplatedEngine("fake", generator, ChatTemplate())
    request = ChatRequest([{"role": "user", "content": "2*21?"}], tools=[CALC],
                          sampling=SamplingParams(max_tokens=max_tokens))
    deltas = list(engine.stream(request, cancel))
    return deltas, deltas[-1]


def text_of(deltas) -> str:
    return "".join(delta.content for delta in deltas)


def test_a_call_the_model_opens_is_decoded_under_the_grammar_and_read_from_its_json():
    broken = 'Let me check. <tool_call>\n{"arguments": {"expression": "}}</tool_call>'  # what it would write freely
    generator = PhasedGenerator(free=[broken, ""], calls=[CALL_JSON])
    deltas, last = run(generator)
    calls = [call for delta in deltas for call in delta.tool_calls]
    assert [(c.name, c.arguments) for c in calls] == [("calculator", {"expression": "2*21"})]
    assert text_of(deltas).strip() == "Let me check." and last.finish_reason == "tool_calls"
    assert generator.stopped_early[0]  # the free phase stopped at the tag
    assert generator.schemas[1]["properties"]["name"] == {"const": "calculator"}
    assert generator.prompts[1].endswith("Let me check. <tool_call>\n")
    assert generator.prompts[2].endswith(CALL_JSON + "\n</tool_call>")
    assert last.raw_text == "Let me check. <tool_call>\n" + CALL_JSON + "\n</tool_call>"


def test_text_without_a_call_streams_in_one_phase():
    generator = PhasedGenerator(free=["Hello, a < b and <tool no call."])
    deltas, last = run(generator)
    assert text_of(deltas) == "Hello, a < b and <tool no call." and last.finish_reason == "stop"
    assert len(generator.prompts) == 1 and len(deltas) > 2  # streamed, not held back


def test_two_calls_then_an_answer():
    generator = PhasedGenerator(free=["<tool_call>", "\n<tool_call>", "\nBoth done."],
                                calls=[CALL_JSON, CALL_JSON.replace("2*21", "3*3")])
    deltas, last = run(generator)
    calls = [call.arguments["expression"] for delta in deltas for call in delta.tool_calls]
    assert calls == ["2*21", "3*3"] and text_of(deltas) == "Both done."
    assert last.finish_reason == "tool_calls"


def test_a_call_cut_by_max_tokens_is_not_sent_half_written():
    generator = PhasedGenerator(free=["<tool_call>"], calls=[CALL_JSON])
    deltas, last = run(generator, max_tokens=20)
    assert [d for d in deltas if d.tool_calls] == [] and last.finish_reason == "length"
    assert "<tool_call>" not in text_of(deltas)
    assert last.usage.completion_tokens <= 20 + len("<tool_call>")


def test_every_phase_shares_max_tokens():
    generator = PhasedGenerator(free=["<tool_call>", "x" * 100], calls=[CALL_JSON])
    deltas, last = run(generator, max_tokens=80)
    assert last.usage.completion_tokens <= 80 and last.finish_reason == "length"


def test_cancel_stops_the_answer():
    cancel = threading.Event()
    cancel.set()
    generator = PhasedGenerator(free=["<tool_call>"], calls=[CALL_JSON])
    deltas, last = run(generator, cancel=cancel)
    assert last.finish_reason == "cancelled" and not [d for d in deltas if d.tool_calls]


def test_a_backend_without_grammars_parses_calls_from_free_text_as_before():
    generator = CharGenerator("<tool_call>\n" + CALL_JSON + "\n</tool_call>", n_ctx=4000)
    deltas, last = run(generator)
    assert [c.name for d in deltas for c in d.tool_calls] == ["calculator"] and len(generator.prompts) == 1


def test_the_same_call_twice_is_a_loop_that_ends_the_answer():
    generator = PhasedGenerator(free=["<tool_call>", "<tool_call>", "never reached"], calls=[CALL_JSON, CALL_JSON])
    deltas, last = run(generator)
    assert len([c for d in deltas for c in d.tool_calls]) == 1 and last.finish_reason == "tool_calls"
    assert len(generator.prompts) == 4  # free, call, free, call: the repeat is dropped, nothing after it


def test_the_next_phase_sees_the_call_as_training_renders_it():
    generator = PhasedGenerator(free=["<tool_call>", ""], calls=[CALL_JSON.replace(", ", ",") + "  "])
    run(generator)
    assert generator.prompts[2].endswith("<tool_call>\n" + CALL_JSON + "\n</tool_call>")


def test_the_first_call_is_announced_by_name_before_its_arguments_are_written():
    generator = PhasedGenerator(free=["<tool_call>", "\n<tool_call>", "\nBoth done."],
                                calls=[CALL_JSON, CALL_JSON.replace("2*21", "3*3")])
    deltas, _ = run(generator)
    openings = [(i, d.call_opening) for i, d in enumerate(deltas) if d.call_opening]
    calls = [(i, call) for i, d in enumerate(deltas) for call in d.tool_calls]
    assert len(openings) == 1  # the second call comes whole: it could still have been a repeat
    (opened_at, opening), (first_at, first), (_, second) = openings[0], calls[0], calls[1]
    assert opening.name == "calculator" and opening.id == first.id and second.id != first.id
    assert opened_at < first_at


def test_a_call_cut_by_max_tokens_after_its_name_was_announced_comes_no_further():
    generator = PhasedGenerator(free=["<tool_call>"], calls=[CALL_JSON])
    deltas, last = run(generator, max_tokens=40)  # the name fits, the arguments do not
    assert [d.call_opening.name for d in deltas if d.call_opening] == ["calculator"]
    assert [d for d in deltas if d.tool_calls] == [] and last.finish_reason == "length"


PYTHON = {"type": "function", "function": {"name": "python", "parameters": {
    "type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}}}
NAME_OPENING, CALC_HEAD = '{"name": "', '{"name": "calculator", "arguments": '


def run_with(generator, tools, max_tokens=None):
    engine = TemplatedEngine("fake", generator, ChatTemplate())
    request = ChatRequest([{"role": "user", "content": "2*21?"}], tools=tools,
                          sampling=SamplingParams(max_tokens=max_tokens))
    deltas = list(engine.stream(request))
    return deltas, deltas[-1]


def test_what_the_grammar_fixes_is_written_into_the_prompt_not_decoded():
    """The name's opening goes in as written, the model writes the name only until one offered
    tool fits ("c": calculator, not python), then the arguments follow the name and key as written."""
    generator = PrefixPhasedGenerator(free=["<tool_call>", ""], calls=[CALL_JSON])
    deltas, last = run_with(generator, [CALC, PYTHON])
    assert generator.prefixes == [NAME_OPENING, CALC_HEAD]
    assert generator.stopped_early[1] and not generator.stopped_early[2]  # the name phase stopped at "c"
    assert [d.call_opening.name for d in deltas if d.call_opening] == ["calculator"]
    calls = [call for delta in deltas for call in delta.tool_calls]
    assert [(c.name, c.arguments) for c in calls] == [("calculator", {"expression": "2*21"})]
    assert last.raw_text == "<tool_call>\n" + CALL_JSON + "\n</tool_call>"
    # usage counts the call's tokens: the head as written, the arguments as decoded
    assert last.usage.completion_tokens == len("<tool_call>") + len(CALL_JSON)


def test_a_name_that_begins_another_is_settled_by_its_closing_quote():
    assert settled_name("search", ["search", "search_web"]) is None
    assert settled_name('search"', ["search", "search_web"]) == "search"
    assert settled_name("search_", ["search", "search_web"]) == "search_web"
    assert settled_name("", ["only"]) == "only" and settled_name("x", ["only"]) is None
    assert settled_name('say \\"hi', ['say "hi"', "say"]) == 'say "hi"'  # compared as JSON writes it


def test_with_one_tool_offered_the_name_is_not_decoded_at_all():
    generator = PrefixPhasedGenerator(free=["<tool_call>", ""], calls=[CALL_JSON])
    deltas, _ = run_with(generator, [CALC])
    assert generator.prefixes == [CALC_HEAD]
    assert [(c.name, c.arguments) for d in deltas for c in d.tool_calls] == [("calculator", {"expression": "2*21"})]


def test_a_grammar_that_refuses_the_written_opening_decodes_the_call_whole():
    generator = PrefixPhasedGenerator(free=["<tool_call>", ""], calls=[CALL_JSON], refuse_prefixes=True)
    deltas, _ = run_with(generator, [CALC, PYTHON])
    assert [(c.name, c.arguments) for d in deltas for c in d.tool_calls] == [("calculator", {"expression": "2*21"})]
    assert generator.schemas[1] is not None and generator.prompts[1].endswith("<tool_call>\n")


def test_a_call_cut_in_its_arguments_after_the_written_head_comes_no_further():
    generator = PrefixPhasedGenerator(free=["<tool_call>"], calls=[CALL_JSON])
    deltas, last = run_with(generator, [CALC, PYTHON], max_tokens=len("<tool_call>") + 3)
    assert [d.call_opening.name for d in deltas if d.call_opening] == ["calculator"]
    assert [d for d in deltas if d.tool_calls] == [] and last.finish_reason == "length"


def test_the_name_is_announced_while_its_generation_is_still_winding_down():
    """A client sees the call's name as soon as it settles, not after the name phase's
    generation has stopped (on llama.cpp: one more decoded token and a saved state later)."""
    generator = PrefixPhasedGenerator(free=["<tool_call>", ""], calls=[CALL_JSON])
    engine = TemplatedEngine("fake", generator, ChatTemplate())
    request = ChatRequest([{"role": "user", "content": "2*21?"}], tools=[CALC, PYTHON])
    for delta in engine.stream(request):
        if delta.call_opening:
            assert delta.call_opening.name == "calculator"
            assert len(generator.stopped_early) == 1  # the free phase's only: the name phase runs on
            break
    else:
        raise AssertionError("no call was announced")
