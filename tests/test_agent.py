"""The agent loop, driven through every branch by a scripted model."""
from __future__ import annotations

import json
import time

import pytest

from agent_app.agent import Agent, AgentConfig
from agent_app.events import ErrorEvent, FinalAnswer, TextDelta, ToolCallEvent, ToolResultEvent
from agent_app.memory import FeedbackStep, Memory, ModelStep, ToolStep, UserStep
from agent_app.protocols import ReActProtocol
from model.errors import GenerationError
from model.scripted import ScriptedEngine
from model.types import ToolCall
from tools import ToolRegistry, calculator, tool

seen: list[str] = []


@tool
def lookup_city(city: str) -> str:
    """Look up facts about a city.

    Args:
        city: The city's name.
    """
    seen.append(city)
    return f"{city}: population 21 million"


@tool
def explode(reason: str) -> str:
    """Always fails.

    Args:
        reason: Why.
    """
    raise RuntimeError(f"boom: {reason}")


@tool(timeout=0.3)
def sleepy(seconds: float) -> str:
    """Sleeps.

    Args:
        seconds: How long.
    """
    time.sleep(seconds)
    return "woke up"


def call(name: str, **arguments) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)}\n</tool_call>'


def run(engine, message="question", protocol=None, max_steps=6, memory=None):
    registry = ToolRegistry([calculator, lookup_city, explode, sleepy])
    agent = Agent(engine, registry, protocol, AgentConfig(max_steps=max_steps))
    memory = memory if memory is not None else Memory()
    events = list(agent.run(message, memory))
    return events, memory


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def test_valid_call_then_final_answer():
    engine = ScriptedEngine([call("calculator", expression="6*7"), "The answer is 42."])
    events, memory = run(engine, "What is 6 times 7?")
    assert [e.name for e in of(events, ToolCallEvent)] == ["calculator"]
    result = of(events, ToolResultEvent)[0]
    assert result.ok and result.content == "42"
    assert of(events, FinalAnswer) == [FinalAnswer("The answer is 42.", 2)]
    assert "".join(e.text for e in of(events, TextDelta)) == "The answer is 42."
    assert [type(s) for s in memory.steps] == [UserStep, ModelStep, ToolStep, ModelStep]
    # the second request shows the model its call and the tool's result
    second = engine.history[1].messages
    assert second[-2]["tool_calls"][0]["function"]["name"] == "calculator"
    assert second[-1] == {"role": "tool", "tool_call_id": result.call_id, "name": "calculator", "content": "42"}
    assert {t["function"]["name"] for t in engine.history[0].tools} == {"calculator", "lookup_city", "explode",
                                                                          "sleepy"}


def test_malformed_json_becomes_feedback_and_the_model_retries():
    engine = ScriptedEngine(['<tool_call>{"name": "calculator", "arguments": {"expression": </tool_call>',
                             call("calculator", expression="1+1"), "2"])
    events, memory = run(engine)
    errors = of(events, ErrorEvent)
    assert len(errors) == 1 and errors[0].kind == "parse" and errors[0].recoverable
    assert isinstance(memory.steps[2], FeedbackStep)
    assert "could not be parsed" in engine.history[1].messages[-1]["content"]
    assert of(events, FinalAnswer)[0].text == "2"


def test_unknown_tool_is_an_observation():
    engine = ScriptedEngine([call("teleport", to="Mars"), "I cannot do that."])
    events, _ = run(engine)
    result = of(events, ToolResultEvent)[0]
    assert not result.ok and result.content.startswith("Error:") and "teleport" in result.content
    assert "calculator" in result.content  # lists what exists
    assert of(events, FinalAnswer)[0].text == "I cannot do that."


def test_wrong_argument_types_are_an_observation():
    engine = ScriptedEngine([call("lookup_city", city=["not", "a", "string"]), "ok"])
    events, _ = run(engine)
    result = of(events, ToolResultEvent)[0]
    assert not result.ok and "city" in result.content


def test_a_tool_that_raises_is_an_observation():
    events, _ = run(ScriptedEngine([call("explode", reason="test"), "sorry"]))
    result = of(events, ToolResultEvent)[0]
    assert not result.ok and "boom: test" in result.content


def test_a_tool_that_times_out_is_an_observation():
    start = time.monotonic()
    events, _ = run(ScriptedEngine([call("sleepy", seconds=5), "gave up"]))
    result = of(events, ToolResultEvent)[0]
    assert not result.ok and "time" in result.content.lower()
    assert time.monotonic() - start < 3


def test_step_limit_ends_the_turn():
    engine = ScriptedEngine([call("calculator", expression="1")] * 3)
    events, _ = run(engine, max_steps=3)
    assert len(of(events, ToolCallEvent)) == 3
    assert of(events, ErrorEvent)[-1].kind == "step_limit" and not of(events, FinalAnswer)


def test_plain_answer_takes_one_step():
    events, memory = run(ScriptedEngine(["Hello! How can I help?"]), "hi")
    assert of(events, FinalAnswer) == [FinalAnswer("Hello! How can I help?", 1)]
    assert len(memory.steps) == 2


def test_chinese_arguments_arrive_as_utf8_text():
    seen.clear()
    engine = ScriptedEngine([call("lookup_city", city="北京"), "北京有两千多万人口。"])
    events, memory = run(engine, "北京有多少人？")
    assert seen == ["北京"]
    assert of(events, ToolCallEvent)[0].arguments == {"city": "北京"}
    arguments = engine.history[1].messages[-2]["tool_calls"][0]["function"]["arguments"]
    assert "北京" in arguments and "\\u" not in arguments
    assert of(events, FinalAnswer)[0].text == "北京有两千多万人口。"


def test_model_failure_is_reported_then_raised():
    engine = ScriptedEngine([GenerationError("engine crashed")])
    agent = Agent(engine, ToolRegistry([calculator]))
    events = []
    with pytest.raises(GenerationError):
        for event in agent.run("x"):
            events.append(event)
    assert events[-1].kind == "model" and "engine crashed" in events[-1].message


def test_memory_continues_across_turns():
    engine = ScriptedEngine(["First answer.", "Second answer."])
    memory = Memory()
    run(engine, "one", memory=memory)
    run(engine, "two", memory=memory)
    assert [m["content"] for m in engine.history[1].messages] == ["one", "First answer.", "two"]


def test_memory_round_trips_through_messages():
    memory = Memory([UserStep("hi"), ModelStep("", [ToolCall("calculator", {"expression": "1"}, id="c1")], "think"),
                     ToolStep("c1", "calculator", "1"), FeedbackStep("Error: x"), ModelStep("done")])
    again = Memory.from_messages(json.loads(json.dumps(memory.to_messages())))
    assert again == memory


@pytest.mark.parametrize("language, marker", [("en", "You have access to the following tools"),
                                              ("zh", "你可以使用以下工具")])
def test_react_protocol_in_english_and_chinese(language, marker):
    engine = ScriptedEngine([
        "Thought: I should compute it.\nAction: calculator\nAction Input: {\"expression\": \"2**10\"}",
        "Thought: I now know the final answer\nFinal Answer: 1024",
    ])
    events, memory = run(engine, "2 的 10 次方是多少？", protocol=ReActProtocol(language))
    first = engine.history[0]
    assert first.tools == []  # tools are described in the prompt, not passed natively
    assert marker in first.messages[0]["content"] and "calculator" in first.messages[0]["content"]
    assert "Observation:" in first.sampling.stop
    assert of(events, ToolResultEvent)[0].content == "1024"
    assert memory.steps[1].thought == "I should compute it."
    second = engine.history[1].messages
    assert second[-2]["content"].startswith("Thought: I should compute it.\nAction: calculator")
    assert second[-1] == {"role": "user", "content": "Observation: 1024"}
    assert of(events, FinalAnswer)[0].text == "1024"


def test_react_bad_action_input_and_direct_answers():
    engine = ScriptedEngine(["Thought: go\nAction: calculator\nAction Input: 2+2",
                             "Thought: retry\nAction: calculator\nAction Input: {\"expression\": \"2+2\"}",
                             "It is 4."])
    events, _ = run(engine, protocol=ReActProtocol())
    assert of(events, ErrorEvent)[0].kind == "parse"
    assert "JSON object" in engine.history[1].messages[-1]["content"]
    assert of(events, FinalAnswer)[0].text == "It is 4."  # no keywords: taken as the answer


def test_a_registered_tool_that_is_not_offered_does_not_run():
    seen.clear()
    engine = ScriptedEngine(['<tool_call>\n{"name": "lookup_city", "arguments": {"city": "Paris"}}\n</tool_call>',
                             "I cannot look that up."])
    agent = Agent(engine, ToolRegistry([calculator, lookup_city]), config=AgentConfig(tool_names=["calculator"]))
    events = list(agent.run("Facts about Paris?"))
    result = next(e for e in events if isinstance(e, ToolResultEvent))
    assert not result.ok and "'lookup_city' is not available in this conversation; available: calculator" in result.content
    assert seen == []  # never ran
    offered = [t["function"]["name"] for t in engine.history[0].tools]
    assert offered == ["calculator"]
