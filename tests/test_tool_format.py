"""The one tool-call format: rendering into prompts and parsing model output back."""
import json

import pytest

from model.chat_template import ChatTemplate
from model.tool_format import DEFAULT_TOOL_FORMAT as fmt
from model.call_schema import forced_call_schema
from model.types import ToolCall

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "查询天气 / weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                    "days": {"type": "integer"}},
                   "required": ["city"]}}}


def test_tools_join_the_system_turn_and_keep_chinese_as_text():
    messages = fmt.prepare_messages([{"role": "system", "content": "Be brief."},
                                     {"role": "user", "content": "北京天气"}], [WEATHER])
    assert messages[0]["role"] == "system"
    assert messages[0]["content"].startswith("Be brief.")
    assert "<tools>\n" + json.dumps(WEATHER, ensure_ascii=False) + "\n</tools>" in messages[0]["content"]
    assert "查询天气" in messages[0]["content"] and "\\u" not in messages[0]["content"]


def test_calls_and_results_render_as_hermes_turns():
    call = ToolCall("get_weather", {"city": "上海"}, id="c1")
    rendered = ChatTemplate().render(fmt.prepare_messages([
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [call.to_openai()]},
        {"role": "tool", "tool_call_id": "c1", "content": "晴 25°C"},
        {"role": "tool", "tool_call_id": "c2", "content": "rain"},
    ], []))
    assert ('<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "上海"}}\n'
            '</tool_call><|im_end|>') in rendered
    # consecutive tool results share one user turn
    assert ("<|im_start|>user\n<tool_response>\n晴 25°C\n</tool_response>\n<tool_response>\nrain\n"
            "</tool_response><|im_end|>") in rendered
    assert rendered.endswith("<|im_start|>assistant\n")


def test_render_then_parse_round_trips():
    call = ToolCall("get_weather", {"city": "Paris", "days": 3})
    text = "Let me check.\n" + fmt.render_call(call)
    content, calls = fmt.parse(text, [WEATHER])
    assert content == "Let me check."
    assert [(c.name, c.arguments) for c in calls] == [("get_weather", {"city": "Paris", "days": 3})]


@pytest.mark.parametrize("text", [
    "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \n",   # cut off mid-JSON
    "<tool_call>not json</tool_call>",
    "<tool_call>{\"arguments\": {}}</tool_call>",                               # no name
    "<tool_call>{\"name\": \"x\", \"arguments\": [1, 2]}</tool_call>",          # arguments not an object
])
def test_a_call_that_does_not_parse_is_a_failed_call_never_text(text):
    content, calls = fmt.parse("Sure. " + text, [WEATHER])
    assert calls == [] and content == "Sure."
    assert fmt.failed_calls("Sure. " + text, [WEATHER]) == [text]


@pytest.mark.parametrize("text", [
    "{\"name\": \"unknown_tool\", \"arguments\": {}}",                           # bare JSON, unknown tool
    "", "plain prose",
])
def test_output_that_does_not_parse_stays_text(text):
    content, calls = fmt.parse(text, [WEATHER])
    assert calls == []
    assert content == text.strip()


def test_stray_tags_a_model_echoes_are_dropped_from_its_text_even_when_split():
    text, calls, _ = _stream(["The answer is 42.</tool", "_response> Anything else?<tool_resp", "onse>"])
    assert (text, calls) == ("The answer is 42. Anything else?", [])
    content, _ = fmt.parse("Done.</tool_call>\n<tools></tools>", [WEATHER])
    assert content == "Done."
    content, _ = fmt.parse("```html\n<tools>x</tools>\n```", [WEATHER])
    assert "<tools>x</tools>" in content  # inside code, markup is the user's content


def test_arguments_as_json_string_and_several_calls():
    text = ('<tool_call>{"name": "get_weather", "arguments": "{\\"city\\": \\"Rome\\"}"}</tool_call>'
            '<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>')
    _, calls = fmt.parse(text, [WEATHER])
    assert [c.arguments["city"] for c in calls] == ["Rome", "Oslo"]


def test_bare_json_call_to_a_known_tool_is_accepted():
    _, calls = fmt.parse('{"name": "get_weather", "arguments": {"city": "Oslo"}}', [WEATHER])
    assert calls and calls[0].name == "get_weather"


def _stream(pieces, tools=(WEATHER,), forced=False):
    parser = fmt.stream_parser(list(tools), forced=forced)
    deltas = [parser.feed(piece) for piece in pieces] + [parser.finish()]
    return "".join(d.content for d in deltas), [c for d in deltas for c in d.tool_calls], deltas


def test_stream_parser_holds_back_only_what_may_become_a_call():
    text, calls, deltas = _stream(["Hi ", "there <to", "ol_call>\n{\"name\": \"get_weather\", ",
                                   "\"arguments\": {\"city\": \"东京\"}}\n</tool", "_call>", " bye"])
    assert text == "Hi there  bye"
    assert [(c.name, c.arguments) for c in calls] == [("get_weather", {"city": "东京"})]
    assert deltas[0].content == "Hi "  # streamed at once, not held to the end


def test_stream_parser_gives_back_a_tag_that_was_not_a_call():
    text, calls, _ = _stream(["a <tool", "box> b"])
    assert (text, calls) == ("a <toolbox> b", [])
    text, calls, _ = _stream(["<tool_call>{broken", "</tool_call> tail"])
    assert calls == [] and text == "tail"


def test_stream_parser_in_forced_mode_starts_inside_the_call():
    _, calls, _ = _stream(['{"name": "get_weather", "arguments": {"city": "Lima"}}'], forced=True)
    assert calls[0].arguments == {"city": "Lima"}


def test_stream_matches_whole_parse_for_any_split():
    text = 'Sure.<tool_call>\n{"name": "get_weather", "arguments": {"city": "Kyiv"}}\n</tool_call>'
    for cut in range(1, len(text)):
        streamed, calls, _ = _stream([text[:cut], text[cut:]])
        assert (streamed, [c.arguments for c in calls]) == ("Sure.", [{"city": "Kyiv"}]), cut


def test_forced_call_schema_pins_the_name_and_bounds_free_strings():
    schema = forced_call_schema([WEATHER])
    assert schema["properties"]["name"] == {"const": "get_weather"}
    assert schema["properties"]["arguments"]["properties"]["city"]["maxLength"] > 0
    assert "maxLength" not in schema["properties"]["arguments"]["properties"]["days"]
    assert WEATHER["function"]["parameters"]["properties"]["city"] == {"type": "string"}  # not mutated
    two = forced_call_schema([WEATHER, {"type": "function", "function": {"name": "other"}}])
    assert [option["properties"]["name"]["const"] for option in two["anyOf"]] == ["get_weather", "other"]


QWEN_STYLE = 'I will use the calculator.\n```json\n{"name": "get_weather", "arguments": {"city": "Lima"}}\n```'


@pytest.mark.parametrize("text, content, calls", [
    (QWEN_STYLE, "I will use the calculator.", [("get_weather", {"city": "Lima"})]),
    ('```\n[{"name": "get_weather", "parameters": {"city": "A"}}, {"name": "get_weather", "args": {"city": "B"}}]\n```',
     "", [("get_weather", {"city": "A"}), ("get_weather", {"city": "B"})]),
    ('```json\n{"type": "function", "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"C\\"}"}}',
     "", [("get_weather", {"city": "C"})]),  # OpenAI's shape, the fence never closed
    ('{"tool": "get_weather", "tool_input": {"city": "D"}}', "", [("get_weather", {"city": "D"})]),
    ('<tool_call>\n{"name": "get_weather", "arguments": {"city": "E"}}', "", [("get_weather", {"city": "E"})]),
    ('```json\n{"name": "delete_everything", "arguments": {}}\n```', None, []),  # not offered: text
    ('```python\nprint({"name": "get_weather"})\n```\nDone.', None, []),  # code stays code
    ('Here: ```json\n{"a": 1}\n``` ok', None, []),
])
def test_calls_in_the_shapes_small_models_write_are_read_only_for_offered_tools(text, content, calls):
    parsed_content, parsed_calls = fmt.parse(text, [WEATHER])
    assert [(c.name, c.arguments) for c in parsed_calls] == calls
    assert parsed_content == (text.strip() if content is None else content)


def test_streamed_fences_read_the_same_for_any_split_and_code_streams_through():
    for text in (QWEN_STYLE, '```python\nx = 1\n```\nDone.'):
        whole = fmt.parse(text, [WEATHER])
        for cut in range(1, len(text)):
            streamed, calls, _ = _stream([text[:cut], text[cut:]])
            assert (streamed.strip(), [(c.name, c.arguments) for c in calls]) == (
                whole[0], [(c.name, c.arguments) for c in whole[1]]), (text, cut)
    parser = fmt.stream_parser([WEATHER])
    assert parser.feed("```python\nimport os\n").content == "```python\nimport os\n"  # not held back
