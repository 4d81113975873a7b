"""Attachments in a real browser, on the scripted model with the real media tools: an image goes
into the conversation's workspace, shows in the chat, and the agent reads it with `ocr`; speech
that `text_to_speech` writes plays in the chat; a plot the python tool draws shows inline."""
from __future__ import annotations

import glob

import pytest
from playwright.sync_api import expect

from tests.fixtures.ui.harness import SlowScriptedEngine, browser, served, tool_call  # noqa: F401 (fixtures)

pytest.importorskip("rapidocr", reason="the media extra")
pytest.importorskip("piper", reason="the media extra")


@pytest.fixture
def media_web(browser, lingxi_home, tmp_path):
    from app import WebOptions, create_web_app
    from agent_app.store import ConversationStore
    from tools import ToolRegistry, calculator
    from tools.ocr import OCRTool
    from tools.python_sandbox import PythonTool
    from tools.text_to_speech import TextToSpeechTool

    engine = SlowScriptedEngine()
    store = ConversationStore.in_home(lingxi_home)
    registry = ToolRegistry([calculator, PythonTool(), OCRTool(), TextToSpeechTool()])
    app = create_web_app(engine, None, registry, store, None, web=WebOptions())
    with served(browser, app, engine, store, tmp_path) as web:
        yield web


def draw_ticket(path):
    from PIL import Image, ImageDraw, ImageFont

    fonts = glob.glob("/usr/share/fonts/**/LiberationSans-Regular.ttf", recursive=True)
    font = ImageFont.truetype(fonts[0], 32) if fonts else ImageFont.load_default(size=32)
    image = Image.new("RGB", (560, 90), "white")
    ImageDraw.Draw(image).text((20, 25), "Seat 14C, boarding 09:40", fill="black", font=font)
    image.save(path)


def test_an_attached_image_shows_in_the_chat_and_the_agent_reads_it(media_web, lingxi_home, tmp_path):
    web, ui = media_web, media_web.ui
    draw_ticket(tmp_path / "ticket.png")
    web.engine.enqueue(tool_call("ocr", image="ticket.png"), "Your seat is 14C; boarding starts at 09:40.")
    ui.page.locator("#input input[type=file]").set_input_files(str(tmp_path / "ticket.png"))
    expect(ui.page.locator("#input").get_by_role("listitem", name="File thumbnail")).to_have_count(1)  # waits in the box
    ui.send("Which seat am I in?")
    ui.wait_for_answer("Your seat is 14C")

    session = web.store.sessions()[0].id
    assert (lingxi_home / "workspaces" / session / "ticket.png").read_bytes() == (tmp_path / "ticket.png").read_bytes()
    stored = web.messages()
    assert stored[0]["content"] == "Which seat am I in?\n\n[attached: ticket.png]"
    assert stored[2]["role"] == "tool" and all(piece in stored[2]["content"] for piece in ("Seat", "14C", "09:40"))
    request = web.engine.history[0]
    assert "ocr" in [tool["function"]["name"] for tool in request.tools]  # offered because of the image
    expect(ui.chat.locator("img")).to_have_count(1)  # the image, inline in the user's message
    ui.shot("attached-image")


def test_speech_the_agent_writes_plays_in_the_chat(media_web):
    web, ui = media_web, media_web.ui
    ui.page.locator("#tools label").filter(has_text="text_to_speech").click()  # offered when ticked
    web.engine.enqueue(tool_call("text_to_speech", text="Boarding starts at nine forty."), "Here it is, read aloud.")
    ui.send("Read my boarding time aloud")
    ui.wait_for_answer("Here it is, read aloud.")
    assert web.messages()[2]["content"].startswith("Wrote speech.wav")
    expect(ui.chat.locator("audio")).to_have_count(1)


def test_a_plot_the_python_tool_draws_shows_in_the_chat(media_web, lingxi_home):
    web, ui = media_web, media_web.ui
    code = ("import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
            "plt.bar(['Mon', 'Tue'], [3, 5])\nplt.savefig('steps.png')")
    web.engine.enqueue(tool_call("python", code=code), "Here is the chart.")
    ui.send("Chart my steps")
    ui.wait_for_answer("Here is the chart.")
    session = web.store.sessions()[0].id
    assert (lingxi_home / "workspaces" / session / "steps.png").is_file()
    expect(ui.chat.locator("img")).to_have_count(1)
    ui.shot("plot")
