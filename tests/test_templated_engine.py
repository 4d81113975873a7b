"""TemplatedEngine: chat template + tool format around a text generator (here a scripted one)."""
import pytest

from model.chat_template import ChatTemplate
from model.engines.base import TemplatedEngine
from model.errors import ContextLengthError, InvalidRequestError
from model.types import ChatRequest, SamplingParams
from tests.fakes import CharGenerator

CALC = {"type": "function", "function": {"name": "calculator", "parameters": {
    "type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}


def engine(output: str, n_ctx: int = 2000) -> tuple[TemplatedEngine, CharGenerator]:
    generator = CharGenerator(output, n_ctx)
    return TemplatedEngine("fake", generator, ChatTemplate()), generator


def test_plain_answer_with_usage():
    eng, gen = engine("Hello!")
    result = eng.chat(ChatRequest([{"role": "user", "content": "hi"}]))
    assert (result.content, result.finish_reason) == ("Hello!", "stop")
    assert result.usage.completion_tokens == 6
    assert result.usage.prompt_tokens == len(gen.prompts[0])
    assert gen.prompts[0].endswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")


def test_tool_call_is_parsed_and_finishes_with_tool_calls():
    eng, gen = engine('<tool_call>\n{"name": "calculator", "arguments": {"expression": "2*21"}}\n</tool_call>')
    result = eng.chat(ChatRequest([{"role": "user", "content": "2*21?"}], tools=[CALC]))
    assert result.finish_reason == "tool_calls"
    assert result.content is None
    assert result.tool_calls[0].arguments == {"expression": "2*21"}
    assert "<tools>" in gen.prompts[0] and gen.schemas == [None]


def test_forced_call_prefills_the_tag_and_constrains_with_a_schema():
    eng, gen = engine('{"name": "calculator", "arguments": {"expression": "1+1"}}')
    request = ChatRequest([{"role": "user", "content": "x"}], tools=[CALC],
                          tool_choice={"type": "function", "function": {"name": "calculator"}})
    result = eng.chat(request)
    assert gen.prompts[0].endswith("<|im_start|>assistant\n<tool_call>\n")
    assert gen.schemas[0]["properties"]["name"] == {"const": "calculator"}
    assert result.tool_calls[0].arguments == {"expression": "1+1"}


def test_tool_choice_none_hides_the_tools():
    eng, gen = engine('<tool_call>{"name": "calculator", "arguments": {}}</tool_call>')
    result = eng.chat(ChatRequest([{"role": "user", "content": "x"}], tools=[CALC], tool_choice="none"))
    assert "<tools>" not in gen.prompts[0]
    assert result.tool_calls == [] and "<tool_call>" in result.content


def test_unknown_forced_tool_is_an_invalid_request():
    eng, _ = engine("")
    with pytest.raises(InvalidRequestError):
        eng.stream(ChatRequest([{"role": "user", "content": "x"}], tools=[CALC],
                               tool_choice={"type": "function", "function": {"name": "nope"}}))


def test_prompt_longer_than_the_context_is_refused_before_generating():
    eng, gen = engine("x", n_ctx=100)
    with pytest.raises(ContextLengthError) as caught:
        eng.stream(ChatRequest([{"role": "user", "content": "y" * 200}]))
    assert caught.value.n_ctx == 100 and caught.value.prompt_tokens > 200
    assert "100" in str(caught.value) and gen.prompts == []


def test_max_tokens_cuts_with_finish_reason_length():
    eng, _ = engine("abcdefghij")
    result = eng.chat(ChatRequest([{"role": "user", "content": "x"}], sampling=SamplingParams(max_tokens=4)))
    assert (result.content, result.finish_reason) == ("abcd", "length")


def test_generation_is_bounded_by_the_room_left_in_the_context():
    eng, gen = engine("z" * 500, n_ctx=80)
    result = eng.chat(ChatRequest([{"role": "user", "content": "hi"}]))
    assert len(gen.prompts[0]) + result.usage.completion_tokens == 80


def test_raw_text_keeps_the_calls_that_were_parsed_out():
    output = 'Let me see.<tool_call>\n{"name": "calculator", "arguments": {"expression": "1"}}\n</tool_call>'
    eng, _ = engine(output)
    result = eng.chat(ChatRequest([{"role": "user", "content": "x"}], tools=[CALC]))
    assert result.content == "Let me see." and result.raw_text == output
    forced, _ = engine('{"name": "calculator", "arguments": {"expression": "1"}}')
    request = ChatRequest([{"role": "user", "content": "x"}], tools=[CALC], tool_choice="required")
    assert forced.chat(request).raw_text.startswith("<tool_call>\n{")


def test_without_grammar_a_call_forced_to_one_tool_gets_its_name_prefilled():
    generator = CharGenerator('{"expression": "3*3"}}', n_ctx=2000, supports_json_schema=False)
    eng = TemplatedEngine("fake", generator, ChatTemplate())
    request = ChatRequest([{"role": "user", "content": "x"}], tools=[CALC],
                          tool_choice={"type": "function", "function": {"name": "calculator"}})
    result = eng.chat(request)
    assert generator.prompts[0].endswith('<tool_call>\n{"name": "calculator", "arguments": ')
    assert [(c.name, c.arguments) for c in result.tool_calls] == [("calculator", {"expression": "3*3"})]
    assert result.raw_text == '<tool_call>\n{"name": "calculator", "arguments": {"expression": "3*3"}}'
