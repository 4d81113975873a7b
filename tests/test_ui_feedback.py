"""Thumbs on answers in a real browser, kept in the store and shown again later; exporting liked
answers and a whole conversation as training data (OpenAI messages JSONL with tools)."""
import json

from playwright.sync_api import expect

from tests.fixtures.ui.harness import browser, tool_call, web  # noqa: F401 (fixtures)


def download_export(ui, button_id: str) -> list[dict]:
    ui.click(button_id)
    link = ui.page.locator("#export-file a").first
    expect(link).to_be_visible()
    with ui.page.expect_download() as download:
        link.click()
    text = open(download.value.path(), encoding="utf-8").read()
    return [json.loads(line) for line in text.splitlines()]


def test_thumbs_up_then_export_liked_answers_as_jsonl(web):
    ui = web.ui
    web.engine.enqueue(tool_call("calculator", expression="3*14"), "3 × 14 = 42.", "You are welcome.")
    ui.send("What is 3 times 14?")
    ui.wait_for_answer("3 × 14 = 42.")
    ui.send("Thanks!")
    ui.wait_for_answer("You are welcome.")
    session = web.store.sessions()[0].id

    groups = ui.chat.locator(".message-row.bot-row")
    ui.chat.locator("button[aria-label='Like']").first.click()
    web.wait_for(lambda: web.store.feedback(session) == {3: "like"})
    ui.chat.locator("button[aria-label='Dislike']").last.click()
    web.wait_for(lambda: web.store.feedback(session) == {3: "like", 5: "dislike"})
    expect(groups).to_have_count(2)

    ui.tab("tab-data")
    (example,) = download_export(ui, "export-liked")
    expect(ui.page.locator("#export-status")).to_contain_text("Wrote 1 example(s)")
    ui.shot("exported")
    messages = example["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert messages[1]["tool_calls"][0]["function"] == {"name": "calculator", "arguments": '{"expression": "3*14"}'}
    assert messages[-1] == {"role": "assistant", "content": "3 × 14 = 42."}
    assert {tool["function"]["name"] for tool in example["tools"]} == {"calculator", "knowledge_base"}

    (whole,) = download_export(ui, "export-chat")
    assert [m["role"] for m in whole["messages"]] == ["user", "assistant", "tool", "assistant", "user", "assistant"]

    ui.click("new-chat")  # thumbs come back with the conversation
    ui.open_session("What is 3 times 14?")
    expect(ui.chat.locator("button[aria-label='Liked']")).to_have_count(1)
    expect(ui.chat.locator("button[aria-label='Disliked']")).to_have_count(1)


def test_nothing_liked_yet_exports_nothing(web):
    web.ui.tab("tab-data")
    web.ui.click("export-liked")
    expect(web.ui.page.locator("#export-status")).to_contain_text("Nothing to export yet.")
