"""A chat turn without a browser: the ReAct protocol, the step limit, one turn per tab, cutting
the stored conversation back for a rerun."""
import pytest

from agent_app.store import ConversationStore
from model.engines.queued import QueuedEngine
from model.scripted import ScriptedEngine
from tools import ToolRegistry, calculator
from ui.engines import EngineCache
from ui.services import Services
from ui.turns import Busy, ChatTurns, TurnSettings, last_user_message, message_text


def turns_on(engine: ScriptedEngine, tmp_path) -> ChatTurns:
    store = ConversationStore(tmp_path / "c.sqlite3")
    services = Services(EngineCache(QueuedEngine(engine)), ToolRegistry([calculator]), store, None, tmp_path)
    return ChatTurns(services)


def settings(**changes) -> TurnSettings:
    values = dict(language="en", engine_key=None, tools=["calculator"], protocol="native", system="",
                  temperature=0.2, max_steps=6)
    return TurnSettings(**{**values, **changes})


def test_a_react_turn_shows_the_thought_the_tool_and_the_answer(tmp_path):
    engine = ScriptedEngine(['Thought: I need to multiply.\nAction: calculator\nAction Input: {"expression": "6*7"}',
                             "Thought: I know it now.\nFinal Answer: 42"])
    turns = turns_on(engine, tmp_path)
    *_, (view, session) = turns.run(None, "6 times 7?", settings(protocol="react"), "tab")
    titles = [m.metadata.get("title") for m in view.messages]
    assert titles == [None, "Thought", "Tool · calculator", "Thought", None]
    assert view.messages[-1].content == "42"
    assert "Observation: 42" in engine.history[-1].messages[-1]["content"]
    assert turns.services.store.info(session).title == "6 times 7?"


def test_the_step_limit_is_said_in_the_chat(tmp_path):
    call = '<tool_call>{"name": "calculator", "arguments": {"expression": "1+1"}}</tool_call>'
    turns = turns_on(ScriptedEngine(default=call), tmp_path)
    *_, (view, _) = turns.run(None, "loop", settings(max_steps=2, language="zh"), "tab")
    assert view.messages[-1].content == "⚠ 已达 2 步上限，未得出最终回答。"
    assert view.anchors[-1] == ("note", None)


def test_one_turn_at_a_time_per_tab_and_a_rerun_cuts_the_store(tmp_path):
    turns = turns_on(ScriptedEngine(["one", "two"]), tmp_path)
    first = turns.run(None, "first", settings(), "tab")
    _, session = next(first)
    with pytest.raises(Busy):
        next(turns.run(session, "again", settings(), "tab"))
    list(first)
    list(turns.run(session, "first, edited", settings(), "tab", keep=0))  # the tab is free again
    assert [m["content"] for m in turns.services.store.messages(session)] == ["first, edited", "two"]


def test_helpers_for_regenerate_and_edit():
    messages = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"},
                {"role": "user", "content": "Error: bad", "name": "feedback"}]
    assert last_user_message(messages) == (0, "q")
    assert last_user_message([]) is None
    assert message_text([{"type": "text", "text": "new "}, "text"]) == "new text"
    assert message_text(None) == ""


def test_the_last_update_of_a_turn_repeats_every_value_it_showed(tmp_path):
    """A browser that gets its queue answer after the whole turn has run applies the updates in one
    go, each over the last one's objects (Gradio 6.31's client): only the last one counts there.
    So the last update sets every output an earlier one set: the reply, the emptied box, the new
    conversation in the list and its title (ui/chat.py, ChatEvents.stream)."""
    from types import SimpleNamespace

    import gradio as gr

    from ui.chat import EMPTY_INPUT, ChatEvents

    engine = ScriptedEngine(['<tool_call>{"name": "calculator", "arguments": {"expression": "6*7"}}</tool_call>',
                             "It is 42."])
    events = ChatEvents(turns_on(engine, tmp_path).services, outputs=7)
    updates = list(events.send({"text": "6 times 7?", "files": []}, None, "en", None, ["calculator"], "native", "",
                               0.2, 6, SimpleNamespace(session_hash="tab")))
    assert len(updates) > 2
    last, skipped = updates[-1], gr.skip()
    for output in range(7):
        if any(update[output] != skipped for update in updates[:-1]):
            assert last[output] != skipped, f"output {output} is set during the turn and skipped at its end"
    chatbot, _, session, sessions, title, box, send = last
    assert chatbot.value[-1]["content"] == [{"type": "text", "text": "It is 42."}]
    assert box == EMPTY_INPUT and send.interactive is True
    assert title == "6 times 7?" and sessions.value == session


def test_a_turn_that_cannot_start_keeps_the_box(tmp_path):
    from types import SimpleNamespace

    import gradio as gr

    from ui.chat import ChatEvents

    events = ChatEvents(turns_on(ScriptedEngine(["unused"]), tmp_path).services, outputs=7)
    request = SimpleNamespace(session_hash="tab")
    *_, last = events.send({"text": "hello\x00", "files": []}, None, "en", None, [], "native", "", 0.2, 6, request)
    assert all(value == gr.skip() for value in last)  # refused: nothing changes, the text stays
