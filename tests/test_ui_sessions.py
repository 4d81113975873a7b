"""Conversations in a real browser: switch and come back, new, rename, delete, and a restart."""
from playwright.sync_api import expect

from model.scripted import ScriptedEngine
from tests.conftest import live_server
from tests.fixtures.ui.harness import browser, new_tab, scripted_app, tool_call, web  # noqa: F401 (fixtures)


def test_switch_conversations_and_come_back(web):
    ui = web.ui
    web.engine.enqueue(tool_call("calculator", expression="2**10"), "2 to the 10th is 1024.")
    ui.send("Powers of two")
    ui.wait_for_answer("1024")
    ui.click("new-chat")
    expect(ui.user()).to_have_count(0)
    web.engine.enqueue("Paris.")
    ui.send("Capital of France?")
    ui.wait_for_answer("Paris.")
    expect(ui.page.locator("#sessions label")).to_have_count(2)

    ui.open_session("Powers of two")
    expect(ui.user()).to_have_text(["Powers of two"])
    expect(ui.step_titles()).to_have_count(1)
    expect(ui.step_titles().first).to_contain_text("calculator")
    expect(ui.last_bot_group()).to_contain_text("2 to the 10th is 1024.")
    ui.shot("restored")

    web.engine.enqueue("It is 2048.")  # the restored conversation goes on where it was
    ui.send("And 2**11?")
    ui.wait_for_answer("It is 2048.")
    ui.open_session("Capital of France?")
    expect(ui.user()).to_have_text(["Capital of France?"])
    expect(ui.chat).not_to_contain_text("1024")


def test_rename_and_delete(web, lingxi_home):
    ui = web.ui
    web.engine.enqueue("Hi!")
    ui.send("hello there")
    ui.wait_for_answer("Hi!")
    workspace = lingxi_home / "workspaces" / web.store.sessions()[0].id
    workspace.mkdir(parents=True)
    (workspace / "photo.png").write_bytes(b"png")  # a file of this conversation
    ui.page.locator("#title-box input").fill("Greetings")
    ui.click("rename")
    expect(ui.page.locator("#sessions label").filter(has_text="Greetings")).to_have_count(1)
    web.wait_for(lambda: [s.title for s in web.store.sessions()] == ["Greetings"])
    ui.click("delete")
    expect(ui.page.locator("#sessions label")).to_have_count(0)
    expect(ui.user()).to_have_count(0)
    web.wait_for(lambda: web.store.sessions() == [])
    web.wait_for(lambda: not workspace.exists())  # its files went with it
    ui.shot("deleted")


def test_conversations_survive_a_restart(browser, lingxi_home, tmp_path):
    engine = ScriptedEngine(["Noted: the code word is falcon."])
    app, store = scripted_app(lingxi_home, engine)
    with live_server(app) as url:
        ui = new_tab(browser, url, tmp_path)
        ui.send("Remember the code word falcon")
        ui.wait_for_answer("Noted")
        ui.page.context.close()
    store.close()

    app, _ = scripted_app(lingxi_home, ScriptedEngine())  # a new process would see the same files
    with live_server(app) as url:
        ui = new_tab(browser, url, tmp_path)
        expect(ui.page.locator("#sessions label")).to_have_text(["Remember the code word falcon"])
        ui.open_session("Remember the code word falcon")
        expect(ui.last_bot_group()).to_contain_text("Noted: the code word is falcon.")
        ui.shot("after-restart")
        ui.page.context.close()
