"""MCP servers in a real browser, on the scripted model: a server launched from mcp.json shows in
the MCP panel with its tools and status, the agent calls its tool and the result reaches the chat;
a server added from the panel is connected and offered, a broken one says why, removal forgets it."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.fixtures.ui.harness import SlowScriptedEngine, browser, served, tool_call  # noqa: F401 (fixtures)

TINY = str(Path(__file__).parent / "fixtures" / "mcp_tiny_server.py")


@pytest.fixture
def mcp_web(browser, lingxi_home, tmp_path):
    from app import WebOptions, create_web_app
    from agent_app.store import ConversationStore
    from tools.sources import agent_tools

    lingxi_home.mkdir(parents=True, exist_ok=True)
    (lingxi_home / "mcp.json").write_text(json.dumps({"mcpServers": {
        "tiny": {"command": sys.executable, "args": [TINY]},
        "broken": {"command": sys.executable, "args": [TINY, "--exit-at-start"]},
    }}), encoding="utf-8")
    sources = agent_tools(lingxi_home)  # as `python app.py` does at start-up
    engine = SlowScriptedEngine()
    store = ConversationStore.in_home(lingxi_home)
    app = create_web_app(engine, None, store=store, web=WebOptions(), tool_sources=sources)
    try:
        with served(browser, app, engine, store, tmp_path) as web:
            yield web
    finally:
        sources.close()


def test_an_mcp_servers_tool_is_listed_called_and_its_result_shown(mcp_web):
    web, ui = mcp_web, mcp_web.ui
    ui.page.locator("#mcp").get_by_text("Tools from MCP servers").click()
    panel = ui.page.locator("#mcp-status")
    expect(panel).to_contain_text("tiny · connected")
    expect(panel).to_contain_text("convert_units")
    expect(panel).to_contain_text("broken · failed")
    expect(panel).to_contain_text("no API token configured")  # why, from the server's stderr
    expect(ui.page.locator("#tools label").filter(has_text="tiny · convert_units")).to_have_count(1)

    web.engine.enqueue(tool_call("convert_units", value=42, factor=0.621371), "42 km is about 26.1 miles.")
    ui.send("How many miles is 42 km?")
    ui.wait_for_answer("42 km is about 26.1 miles.")
    stored = web.messages()
    assert stored[2]["role"] == "tool" and "26.0976" in stored[2]["content"]
    expect(ui.last_bot_group()).to_contain_text("convert_units")
    assert "convert_units" in [tool["function"]["name"] for tool in web.engine.history[0].tools]
    ui.shot("mcp-tool")


def test_a_server_added_in_the_panel_is_connected_and_offered_then_removed(mcp_web, lingxi_home):
    web, ui = mcp_web, mcp_web.ui
    ui.page.locator("#mcp").get_by_text("Tools from MCP servers").click()
    ui.page.locator("#mcp-name textarea, #mcp-name input").fill("second")
    ui.page.locator("#mcp-target textarea, #mcp-target input").fill(f"{sys.executable} {TINY}")
    ui.click("mcp-add")
    panel = ui.page.locator("#mcp-status")
    expect(panel).to_contain_text("second · connected")
    expect(panel).to_contain_text("second_convert_units")  # its names clash with the first server's: prefixed
    saved = json.loads((lingxi_home / "mcp.json").read_text(encoding="utf-8"))["mcpServers"]
    assert saved["second"] == {"command": sys.executable, "args": [TINY]} and "tiny" in saved
    ticked = ui.page.locator("#tools label").filter(has_text="second · second_convert_units").locator("input")
    expect(ticked).to_be_checked()

    ui.page.locator("#mcp-target textarea, #mcp-target input").fill("")
    ui.click("mcp-add")  # nothing to launch: a readable refusal, nothing written
    expect(ui.page.get_by_text("give a command to launch").first).to_be_visible()

    ui.page.locator("#mcp-remove-choice input").fill("second")
    ui.page.get_by_role("option", name="second").click()
    ui.click("mcp-remove")
    expect(panel).not_to_contain_text("second")
    assert "second" not in json.loads((lingxi_home / "mcp.json").read_text(encoding="utf-8"))["mcpServers"]
    expect(ui.page.locator("#tools label").filter(has_text="second_convert_units")).to_have_count(0)
