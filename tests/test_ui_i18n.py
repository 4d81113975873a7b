"""The interface language switch in a real browser: Chinese labels, Chinese step titles, and back."""
from playwright.sync_api import expect

from tests.fixtures.ui.harness import browser, tool_call, web  # noqa: F401 (fixtures)


def test_switching_to_chinese_shows_chinese_labels_and_back(web):
    ui = web.ui
    web.engine.enqueue(tool_call("calculator", expression="1+1"), "1 + 1 = 2。")
    ui.send("1+1?")
    ui.wait_for_answer("1 + 1 = 2。")
    ui.page.locator("#language label").filter(has_text="中文").click()
    expect(ui.page.locator("#send")).to_have_text("发送")
    expect(ui.page.locator("#new-chat")).to_have_text("新对话")
    expect(ui.page.locator("#tab-settings-button")).to_have_text("设置")
    expect(ui.page.locator("#sessions")).to_contain_text("会话")
    expect(ui.input).to_have_attribute("placeholder", "随便问，也可以问你的文档…（回车发送）")
    expect(ui.step_titles().first).to_contain_text("工具 · calculator")
    ui.shot("chinese")

    web.engine.enqueue("好的。")  # the chat goes on in the new language
    ui.send("谢谢")
    ui.wait_for_answer("好的。")
    ui.page.locator("#language label").filter(has_text="English").click()
    expect(ui.page.locator("#send")).to_have_text("Send")
    expect(ui.step_titles().first).to_contain_text("Tool · calculator")


def test_the_app_can_start_in_chinese(browser, lingxi_home, tmp_path):
    from model.scripted import ScriptedEngine
    from tests.conftest import live_server
    from tests.fixtures.ui.harness import new_tab, scripted_app

    app, _ = scripted_app(lingxi_home, ScriptedEngine(), language="zh")
    with live_server(app) as url:
        ui = new_tab(browser, url, tmp_path)
        expect(ui.page.locator("#send")).to_have_text("发送")
        expect(ui.page.locator("#language input[value=zh]")).to_be_checked()
        ui.page.context.close()
