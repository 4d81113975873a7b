"""Runaway output: a reply that loops is stopped early with its own finish reason, and the agent
shows the model what happened (model/repetition.py)."""
from __future__ import annotations

from agent_app.agent import REPETITION_FEEDBACK, Agent
from agent_app.events import ErrorEvent, FinalAnswer
from agent_app.memory import FeedbackStep
from model.chat_template import ChatTemplate
from model.engines.base import TemplatedEngine
from model.repetition import find_loop, trim_loop
from model.types import ChatRequest, SamplingParams
from tests.fakes import CharGenerator, PhasedGenerator
from tools import ToolRegistry, calculator

LOOP = "I can help you with your web search, "


def test_a_sentence_written_three_times_is_a_loop_and_its_first_copy_stays():
    text = "Sure! " + LOOP * 3
    start = find_loop(text)
    assert start is not None and text[:start] == "Sure! " + LOOP
    assert trim_loop(text) == "Sure! " + LOOP.rstrip()


def test_a_loop_is_found_mid_copy_and_in_chinese():
    assert find_loop("好的。" + "我可以帮你搜索网页，" * 7 + "我可以") is not None
    assert find_loop(LOOP * 3 + LOOP[:9]) is not None


def test_one_character_written_on_and_on_is_a_loop():
    text = "春天的短诗：" + "食" * 40
    assert text[:find_loop(text)] == "春天的短诗：食" and trim_loop(text) == "春天的短诗：食"
    assert find_loop("哈" * 80) is not None and find_loop("a" * 31) is None and find_loop("a" * 32) == 1


def test_text_that_only_looks_repetitive_is_not_a_loop():
    numbered = "".join(f"{n}. Add {n} cups of water.\n" for n in range(1, 12))
    table = "| a | b |\n" + "|---" * 40 + "|\n"
    assert find_loop(numbered) is None
    assert find_loop("Title\n" + "-" * 200) is None and find_loop(table) is None
    assert find_loop("哈" * 12) is None and find_loop("Well......" + "." * 100) is None
    assert find_loop("Zzz" + "z" * 20) is None
    assert find_loop(LOOP * 2) is None  # twice is not yet a loop
    assert find_loop("abc abc abc ") is None  # short units need a longer run
    assert trim_loop("No loop here.") == "No loop here."


def test_the_engine_stops_a_looping_reply_early_with_finish_repetition():
    generator = CharGenerator(LOOP * 30, n_ctx=4000)
    engine = TemplatedEngine("fake", generator, ChatTemplate())
    request = ChatRequest([{"role": "user", "content": "Hello"}], sampling=SamplingParams(max_tokens=2000))
    deltas = list(engine.stream(request))
    streamed = "".join(delta.content for delta in deltas)
    assert deltas[-1].finish_reason == "repetition"
    assert len(streamed) < 5 * len(LOOP)  # stopped once the loop was certain, not at max_tokens
    assert deltas[-1].usage.completion_tokens < 5 * len(LOOP)
    result = engine.chat(request)
    assert result.finish_reason == "repetition" and result.content == LOOP.rstrip()


def test_auto_mode_stops_a_looping_free_phase():
    tool = {"type": "function", "function": {"name": "calculator", "parameters": {
        "type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}
    generator = PhasedGenerator(free=[LOOP * 30])
    engine = TemplatedEngine("fake", generator, ChatTemplate())
    result = engine.chat(ChatRequest([{"role": "user", "content": "Hi"}], tools=[tool]))
    assert result.finish_reason == "repetition" and result.content == LOOP.rstrip()
    assert generator.stopped_early == [True]


def test_the_agent_shows_a_loop_to_the_model_once_and_takes_its_next_answer():
    generator = PhasedGenerator(free=["Hello! " + LOOP * 30, "Hello! I can search the web for you."])
    agent = Agent(TemplatedEngine("fake", generator, ChatTemplate()), ToolRegistry([calculator]))
    events = list(agent.run("Hello! What can you do?"))
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert [(e.kind, e.recoverable) for e in errors] == [("repetition", True)]
    assert isinstance(events[-1], FinalAnswer) and events[-1].text == "Hello! I can search the web for you."
    assert REPETITION_FEEDBACK in generator.prompts[-1]
    assert generator.prompts[-1].count(LOOP.strip(", ")) == 1  # it sees its reply without the repeats


def test_a_second_loop_in_the_same_turn_ends_it_with_the_text_before_the_loop():
    generator = PhasedGenerator(free=["Hi. " + LOOP * 30, "Hi again. " + LOOP * 30])
    agent = Agent(TemplatedEngine("fake", generator, ChatTemplate()), ToolRegistry([calculator]))
    steps = []
    events = list(agent.run("Hello", on_step=steps.append))
    assert isinstance(events[-1], FinalAnswer) and events[-1].text == "Hi again. " + LOOP.rstrip()
    assert sum(isinstance(step, FeedbackStep) for step in steps) == 1
