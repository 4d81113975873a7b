"""A forced call whose sample falls outside its schema (bounds a grammar cannot hold) or is cut at
max_tokens is sampled again, a bounded number of times; greedy decoding, which would draw the same
call, is not."""
from __future__ import annotations

from model.chat_template import ChatTemplate
from model.engines.base import FORCED_CALL_TRIES, TemplatedEngine
from model.types import ChatRequest, SamplingParams
from tests.fakes import PhasedGenerator

ALARM = {"type": "function", "function": {"name": "set_alarm", "description": "Set an alarm.", "parameters": {
    "type": "object", "properties": {"minute": {"type": "number", "minimum": 0, "maximum": 59.5}},
    "required": ["minute"]}}}


def alarm(minute) -> str:
    return '{"name": "set_alarm", "arguments": {"minute": %s}}' % minute


def forced(generator: PhasedGenerator, temperature: float):
    request = ChatRequest([{"role": "user", "content": "Wake me at 7:30"}], tools=[ALARM], tool_choice="required",
                          sampling=SamplingParams(temperature=temperature, seed=7, max_tokens=64))
    return TemplatedEngine("test", generator, ChatTemplate()).chat(request)


def test_a_sampled_call_outside_its_schema_is_sampled_again():
    generator = PhasedGenerator([], [alarm(75), alarm(30)])
    result = forced(generator, 1.0)
    assert [call.arguments for call in result.tool_calls] == [{"minute": 30}]
    assert len(generator.prompts) == 2 and generator.prompts[0] == generator.prompts[1]
    assert result.finish_reason == "tool_calls" and result.usage.completion_tokens == len(alarm(75)) + len(alarm(30))


def test_tries_are_bounded_and_the_last_call_comes_back():
    generator = PhasedGenerator([], [alarm(60 + n) for n in range(FORCED_CALL_TRIES + 1)])
    result = forced(generator, 1.0)
    assert len(generator.prompts) == FORCED_CALL_TRIES
    assert [call.arguments for call in result.tool_calls] == [{"minute": 60 + FORCED_CALL_TRIES - 1}]


def test_greedy_decoding_takes_one_try():
    generator = PhasedGenerator([], [alarm(75), alarm(30)])
    assert [call.arguments for call in forced(generator, 0.0).tool_calls] == [{"minute": 75}]
    assert len(generator.prompts) == 1


def test_a_sampled_call_cut_at_max_tokens_is_sampled_again():
    long_call = alarm("30" + "0" * 80)  # longer than the request's 64 tokens
    generator = PhasedGenerator([], [long_call, alarm(30)])
    result = forced(generator, 1.0)
    assert [call.arguments for call in result.tool_calls] == [{"minute": 30}]
    assert result.finish_reason == "tool_calls" and len(generator.prompts) == 2


def test_a_greedy_call_cut_at_max_tokens_comes_back_as_text_with_finish_length():
    generator = PhasedGenerator([], [alarm("30" + "0" * 80), alarm(30)])
    result = forced(generator, 0.0)
    assert result.tool_calls == [] and result.finish_reason == "length" and len(generator.prompts) == 1
