"""Sign-in for the mounted web UI (Gradio's login), and what it does not cover: the API, which
has its own --api-key."""
import httpx
from playwright.sync_api import expect

from model.scripted import ScriptedEngine
from tests.conftest import live_server
from tests.fixtures.ui.harness import VIEWPORT, WebUI, browser, scripted_app  # noqa: F401 (fixtures)


def log_in(page, username: str, password: str) -> None:
    page.locator("input[data-testid=textbox]").fill(username)
    page.locator("input[data-testid=password]").fill(password)
    page.get_by_role("button", name="Login").click()


def test_the_web_ui_asks_for_the_password(browser, lingxi_home, tmp_path):
    engine = ScriptedEngine(["Signed in and answering."])
    app, _ = scripted_app(lingxi_home, engine, username="ada", password="lovelace")
    with live_server(app) as url:
        assert httpx.get(f"{url}/gradio_api/info").status_code == 401  # the UI's routes are closed
        assert httpx.get(f"{url}/health").status_code == 200  # the API keeps its own guard (--api-key)
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.goto(url)
        log_in(page, "ada", "wrong")
        expect(page.get_by_text("Incorrect Credentials")).to_be_visible()
        log_in(page, "ada", "lovelace")
        ui = WebUI(page, url, tmp_path)
        expect(ui.input).to_be_visible()
        ui.send("Hello?")
        ui.wait_for_answer("Signed in and answering.")
        ui.shot("signed-in")
        page.context.close()
