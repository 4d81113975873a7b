"""Choosing the model in a real browser: an OpenAI-compatible endpoint (here another Lingxi API
on a scripted model), an endpoint that is down, and the real bundled model."""
import time

import pytest
from playwright.sync_api import expect

from agent_app.server.app import create_app
from agent_app.settings import ServerOptions
from agent_app.store import ConversationStore
from model.scripted import ScriptedEngine
from tests.conftest import live_server
from tests.fixtures.ui.harness import browser, new_tab, scripted_app, web  # noqa: F401 (fixtures)
from tools import ToolRegistry


def pick_endpoint(ui, url: str) -> None:
    ui.page.locator("#model input").click()
    ui.page.get_by_role("option", name="OpenAI-compatible endpoint (e.g. LMDeploy)").click()
    expect(ui.page.locator("#endpoint-url")).to_be_visible()
    ui.page.locator("#endpoint-url input, #endpoint-url textarea").first.fill(url)
    ui.click("load-model")


def test_chat_through_an_openai_compatible_endpoint(web, tmp_path):
    remote = ScriptedEngine(["Hello from the endpoint."], name="remote-scripted")
    api = create_app(remote, ServerOptions(), ToolRegistry(), ConversationStore(tmp_path / "remote.sqlite3"))
    with live_server(api) as remote_url:
        pick_endpoint(web.ui, f"{remote_url}/v1")
        expect(web.ui.page.locator("#model-status")).to_contain_text("Model ready: remote-scripted")
        web.ui.send("Who is there?")
        web.ui.wait_for_answer("Hello from the endpoint.")
        web.ui.shot("endpoint")
    assert remote.history[0].messages[-1] == {"role": "user", "content": "Who is there?"}
    assert web.engine.history == []  # the default model was not asked


def test_an_endpoint_that_is_down_is_reported_and_the_default_model_stays(web):
    pick_endpoint(web.ui, "http://127.0.0.1:9/v1")
    expect(web.ui.page.locator("#model-status")).to_contain_text("Could not load the model: cannot reach")
    web.ui.shot("endpoint-down")
    web.engine.enqueue("The default model answers.")
    web.ui.send("Anyone?")
    web.ui.wait_for_answer("The default model answers.")


@pytest.mark.model
def test_the_bundled_model_replies(browser, bundled_engine, lingxi_home, tmp_path):  # noqa: F811
    app, store = scripted_app(lingxi_home, bundled_engine)
    with live_server(app) as url:
        ui = new_tab(browser, url, tmp_path)
        ui.page.locator("#tools label").filter(has_text="calculator").click()  # no tools: a plain reply
        ui.page.locator("#tools label").filter(has_text="knowledge_base").click()
        ui.send("Say hello in one short sentence.")

        def answered() -> bool:
            sessions = store.sessions()
            messages = store.messages(sessions[0].id) if sessions else []
            return len(messages) == 2 and messages[-1]["role"] == "assistant"

        deadline = time.monotonic() + 120
        while not answered() and time.monotonic() < deadline:
            ui.page.wait_for_timeout(200)
        answer = store.messages(store.sessions()[0].id)[-1]["content"]
        assert answer and answer.strip()
        expect(ui.last_bot_group()).to_contain_text(answer.strip().split()[0])
        ui.shot("bundled")
        ui.page.context.close()
