"""The chat in a real browser, on the scripted model: streaming, tool steps, stop, regenerate,
edit and resend, retry, clear, and failures that leave the app working."""
import re

from playwright.sync_api import expect

from model.errors import EngineUnavailableError
from tests.fixtures.ui.harness import browser, tool_call, web  # noqa: F401 (fixtures)

COUNTING = "Counting: one two three four five six seven eight nine ten."


def test_the_reply_streams_word_by_word(web):
    web.engine.delay = 0.2
    web.engine.enqueue(COUNTING)
    web.ui.send("Count to ten")
    expect(web.ui.user().first).to_have_text("Count to ten")
    answer = web.ui.last_bot_group()
    expect(answer).to_contain_text("three")
    assert "ten." not in answer.inner_text()  # part of the answer is on screen before the rest
    web.ui.shot("streaming")
    expect(answer).to_contain_text(COUNTING)
    web.wait_for(web.answered)
    assert web.messages()[-1]["content"] == COUNTING


def test_a_tool_step_is_a_collapsible_message_before_the_answer(web):
    web.engine.enqueue(tool_call("calculator", expression="12*7"), "12 × 7 = **84**.")
    web.ui.send("What is 12 times 7?")
    web.ui.wait_for_answer("12 × 7 = 84.")
    title = web.ui.step_titles().first
    expect(title).to_contain_text("Tool · calculator")
    group = web.ui.chat.locator(".thought-group").first
    title.click()
    expect(title).to_have_class(re.compile("expanded"))
    expect(group.locator("code").first).to_be_visible()
    expect(group).to_contain_text('"expression": "12*7"')
    expect(group.locator("code").last).to_have_text("84")
    answer = web.ui.bot().last
    expect(answer).to_have_text("12 × 7 = 84.")  # the answer stands apart from the step
    web.ui.shot("tool-step")
    assert [m["role"] for m in web.messages()] == ["user", "assistant", "tool", "assistant"]


def test_a_failing_tool_shows_as_a_failed_step_and_the_model_goes_on(web):
    web.engine.enqueue(tool_call("calculator", expression="1/0"), "Dividing by zero is undefined.")
    web.ui.send("1/0?")
    web.ui.wait_for_answer("Dividing by zero is undefined.")
    expect(web.ui.step_titles().first).to_contain_text("Tool · calculator (failed)")
    web.ui.shot("tool-failed")


def test_stop_keeps_what_was_written_then_regenerate_then_clear(web):
    words = " ".join(f"w{i}" for i in range(1, 61))
    web.engine.delay = 0.1
    web.engine.enqueue(words)
    web.ui.send("Talk for a while")
    expect(web.ui.last_bot_group()).to_contain_text("w3")
    web.ui.click("stop")
    web.wait_for(web.answered)
    kept = web.messages()[-1]["content"]
    assert kept.startswith("w1 w2 w3") and "w60" not in kept
    expect(web.ui.last_bot_group()).to_contain_text(kept.split()[-1])
    expect(web.ui.last_bot_group()).not_to_contain_text("w60")
    web.ui.shot("stopped")

    web.engine.delay = 0
    web.engine.enqueue("A fresh answer.")
    web.ui.click("regenerate")
    web.ui.wait_for_answer("A fresh answer.")
    expect(web.ui.chat).not_to_contain_text("w1 w2")
    web.wait_for(lambda: [m.get("content") for m in web.messages()] == ["Talk for a while", "A fresh answer."])
    web.ui.shot("regenerated")

    web.ui.click("clear")
    expect(web.ui.user()).to_have_count(0)
    expect(web.ui.bot()).to_have_count(0)
    web.wait_for(lambda: web.messages() == [])


def test_edit_and_resend_then_retry(web):
    web.engine.enqueue("First answer.")
    web.ui.send("first question")
    web.ui.wait_for_answer("First answer.")
    web.ui.user().first.hover()
    web.ui.chat.locator("button[aria-label='Edit']").first.click()
    editor = web.ui.chat.locator("textarea.edit-textarea")
    editor.fill("second question")
    web.engine.enqueue("Second answer.")
    web.ui.chat.locator("button[aria-label='Submit']").click()
    web.ui.wait_for_answer("Second answer.")
    expect(web.ui.user()).to_have_count(1)
    expect(web.ui.user().first).to_have_text("second question")
    web.wait_for(lambda: [m.get("content") for m in web.messages()] == ["second question", "Second answer."])

    web.engine.enqueue("Third answer.")
    web.ui.chat.locator("button[aria-label='Retry']").click()
    web.ui.wait_for_answer("Third answer.")
    expect(web.ui.chat).not_to_contain_text("Second answer.")
    web.wait_for(lambda: [m.get("content") for m in web.messages()] == ["second question", "Third answer."])
    web.ui.shot("edited")


def test_a_model_failure_is_readable_and_the_next_message_works(web):
    web.engine.enqueue(EngineUnavailableError("cannot reach http://127.0.0.1:9/v1: connection refused"))
    web.ui.send("hello")
    expect(web.ui.last_bot_group()).to_contain_text("The model failed: cannot reach http://127.0.0.1:9/v1")
    web.ui.shot("model-failed")
    web.engine.enqueue("Back again.")
    web.ui.send("hello again")
    web.ui.wait_for_answer("Back again.")
    expect(web.ui.chat).not_to_contain_text("The model failed")
    expect(web.ui.user()).to_have_count(2)


def test_text_no_model_can_read_is_refused_with_a_warning_and_kept_in_the_box(web):
    text = "hello\x00 world"
    web.ui.input.fill(text)
    web.ui.input.press("Enter")
    expect(web.ui.page.locator(".toast-body")).to_contain_text("U+0000")
    expect(web.ui.input).to_have_value(text)  # nothing the user wrote is lost
    assert web.messages() == [] and web.engine.history == []
