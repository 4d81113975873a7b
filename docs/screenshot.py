"""Take docs/screenshot.png: the web UI after a first conversation with one tool step.

    .venv/bin/python docs/screenshot.py

The model is the scripted fake (model/scripted.py, shown as "scripted-demo"), so the picture is
the same on every machine: the real app, tools and store, with a reply written in advance. It
needs Chromium at /usr/bin/chromium (override with CHROMIUM=...).
"""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "screenshot.png"
QUESTION = "Three nights at 148 € a night, plus 12% tax: what do I pay?"
CALL = {"name": "calculator", "arguments": {"expression": "3 * 148 * 1.12"}}
ANSWER = "You pay **497.28 €**: 3 × 148 € = 444 €, plus 12% tax (53.28 €)."


def serve(app) -> tuple[str, object]:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}", server


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["LINGXI_HOME"] = tempfile.mkdtemp(prefix="lingxi-screenshot-")
    from playwright.sync_api import expect, sync_playwright

    from app import create_web_app
    from model.scripted import ScriptedEngine
    from tools import ToolRegistry, calculator

    engine = ScriptedEngine([f"<tool_call>{json.dumps(CALL)}</tool_call>", ANSWER], name="scripted-demo")
    url, server = serve(create_web_app(engine, registry=ToolRegistry([calculator])))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1440, "height": 780})
        page.goto(url)
        page.locator("#input textarea").fill(QUESTION)
        expect(page.locator("#input textarea")).to_have_value(QUESTION)
        page.locator("#input textarea").press("Enter")
        expect(page.locator("#chat")).to_contain_text("You pay 497.28 €", timeout=20_000)
        expect(page.locator("#send")).to_be_enabled()  # the turn is over
        title = page.locator("#chat .thought-group .title").first
        title.click()
        expect(title).to_have_class(re.compile("expanded"))
        expect(page.locator("#chat .thought-group code").last).to_be_visible()
        page.wait_for_function(  # the step opens with a slide: wait until it is fully open
            "() => document.querySelector('#chat .thought-group').getBoundingClientRect().height > 150")
        page.locator("#input textarea").blur()
        page.screenshot(path=str(OUTPUT))
        browser.close()
    server.should_exit = True
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
