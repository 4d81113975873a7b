"""`lingxi chat` on a scripted model: plain chat keeps history; agent mode prints tool steps."""
import io

from agent_app.agent import Agent
from agent_app.terminal_chat import agent_chat, plain_chat, run_terminal_chat
from model.scripted import ScriptedEngine
from model.types import SamplingParams
from tools import ToolRegistry, calculator


def test_plain_chat_streams_and_keeps_history_until_reset():
    engine = ScriptedEngine(["Hello there.", "Again.", "Fresh."])
    turn, reset = plain_chat(engine, "Be brief.", SamplingParams())
    out = io.StringIO()
    run_terminal_chat(turn, reset, "scripted", io.StringIO("hi\nmore\n/reset\nnew\n/exit\nignored\n"), out)
    assert out.getvalue().splitlines() == ["Hello there.", "Again.", "Fresh."]
    assert [m["content"] for m in engine.history[1].messages] == ["Be brief.", "hi", "Hello there.", "more"]
    assert [m["content"] for m in engine.history[2].messages] == ["Be brief.", "new"]
    assert len(engine.history) == 3  # nothing after /exit


def test_agent_mode_prints_each_tool_step():
    engine = ScriptedEngine(['<tool_call>{"name": "calculator", "arguments": {"expression": "6*7"}}</tool_call>',
                             "It is 42."])
    turn, reset = agent_chat(Agent(engine, ToolRegistry([calculator])))
    out = io.StringIO()
    run_terminal_chat(turn, reset, "scripted", io.StringIO("6 times 7?\n"), out)
    text = out.getvalue()
    assert '⚙ calculator({"expression": "6*7"})' in text and "→ 42" in text and "= It is 42." in text
