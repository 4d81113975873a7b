"""The Fine-tune page in a real browser: liked conversations → a real 2-step LoRA job on the bundled
model → progress, loss chart and the adapter → its evaluation against the base and the default →
chat with it; a bad upload is refused with its line number; a
job keeps running, and is found again, when the app restarts; only one job at a time."""
from __future__ import annotations

import json
import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.fixtures.ui.harness import browser, new_tab, scripted_app, served, SlowScriptedEngine  # noqa: F401

TRAINING_WAIT_MS = 300_000


def like_a_conversation(store, question: str, answer: str) -> None:
    session = store.create(question[:20])
    store.append(session, {"role": "user", "content": question})
    store.append(session, {"role": "assistant", "content": answer})
    store.set_feedback(session, 1, "like")


@pytest.fixture
def tuner(browser, lingxi_home, tmp_path):
    engine = SlowScriptedEngine()
    app, store = scripted_app(lingxi_home, engine)
    for number in range(4):
        like_a_conversation(store, f"What is {number} plus {number}?", f"{number} plus {number} is {2 * number}.")
    with served(browser, app, engine, store, tmp_path) as web:
        web.ui.page.locator("#page-finetune-button").click()
        yield web
    from training.jobs import TrainingJobs

    TrainingJobs(lingxi_home).stop()  # never leave a trainer behind


def fill(ui, element_id: str, value) -> None:
    ui.page.locator(f"#{element_id} input, #{element_id} textarea").first.fill(str(value))


def test_liked_conversations_train_an_adapter_with_progress_and_a_loss_chart(tuner, lingxi_home):
    ui = tuner.ui
    expect(ui.page.locator("#ft-liked")).to_contain_text("4 liked conversation(s)")
    expect(ui.page.locator("#ft-liked")).to_contain_text("What is 1 plus 1?")
    fill(ui, "ft-name", "from-likes")
    fill(ui, "ft-max-steps", 2)
    fill(ui, "ft-max-length", 768)  # each liked example carries the tools' schemas: ~460 tokens
    fill(ui, "ft-lora-r", 4)
    status = ui.page.locator("#ft-status")
    ui.page.locator("#ft-estimate").click()  # time and memory from a few real steps, and the data mix
    expect(status).to_contain_text(re.compile("from-likes · (estimate|failed)"), timeout=TRAINING_WAIT_MS)
    expect(status).to_contain_text("peak memory at least", timeout=1000)
    expect(status).to_contain_text("for 2 steps on this machine")
    expect(ui.page.locator("#ft-mix")).to_contain_text("liked.jsonl")
    ui.page.locator("#ft-start").click()
    expect(status).to_contain_text("from-likes · training")
    expect(ui.page.locator("#ft-start")).to_be_disabled()
    expect(status).to_contain_text(re.compile("from-likes · (finished|failed)"), timeout=TRAINING_WAIT_MS)
    expect(status).to_contain_text("from-likes · finished", timeout=1000)
    expect(status).to_contain_text("2 steps, final loss")
    expect(status).to_contain_text("Adapter:")
    expect(ui.page.locator("#ft-loss canvas, #ft-loss svg").first).to_be_visible()
    ui.shot("finetune-finished")

    fill(ui, "ft-limit", 2)  # the new adapter against the base and the default, on the validation split
    ui.page.locator("#ft-evaluate").click()
    expect(status).to_contain_text("from-likes · evaluating")
    expect(status).to_contain_text(re.compile("from-likes · (finished|failed)"), timeout=TRAINING_WAIT_MS)
    expect(status).to_contain_text("evaluated on lingxi_tools_val", timeout=1000)
    table = ui.page.locator("#ft-eval-table")
    for model in ("base", "default", "from-likes"):
        expect(table).to_contain_text(model)
    expect(ui.page.locator("#ft-eval-paired")).to_contain_text("against the base, item by item (2 items)")
    expect(ui.page.locator("#ft-eval-chart canvas, #ft-eval-chart svg").first).to_be_visible()
    ui.shot("finetune-evaluated")

    ui.page.locator("#ft-export").click()  # peft zip + merged GGUF behind the accuracy gate (2 items)
    expect(status).to_contain_text(re.compile("from-likes · (downloads ready|failed)"), timeout=TRAINING_WAIT_MS)
    expect(status).to_contain_text("Merged GGUF", timeout=1000)
    downloads = ui.page.locator("#ft-downloads")
    for name in ("adapter.gguf", "peft.zip", "from-likes-q"):  # the merged GGUF: from-likes-<type>.gguf
        expect(downloads.locator(f"a[href*='/{name}']")).to_have_count(1)

    ui.page.locator("#ft-api-default input").check()  # and the API's default too
    ui.page.locator("#ft-use").click()  # one click: the chat now runs on the new adapter
    expect(ui.page.locator("#model-status")).to_contain_text("Model ready", timeout=120_000)
    expect(ui.page.locator("#page-chat")).to_be_visible()
    ui.send("What is 2 plus 2?")
    tuner.wait_for(tuner.answered, timeout=120)
    stored = tuner.messages()
    assert stored[-1]["role"] == "assistant" and stored[-1]["content"].strip()
    assert not tuner.engine.history  # the scripted default model was never asked
    health = httpx.get(f"{tuner.url}/health", timeout=10).json()
    assert health["model"].endswith("+from-likes")  # the API serves the adapter now
    reply = httpx.post(f"{tuner.url}/v1/chat/completions", timeout=120, json={
        "model": "default", "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]}).json()
    assert reply["model"].endswith("+from-likes") and not tuner.engine.history
    assert json.loads((lingxi_home / "default-adapter.json").read_text())["adapter"].endswith("adapter.gguf")
    run = lingxi_home / "runs" / "from-likes"
    trained_on = [json.loads(line) for line in (run / "data" / "liked.jsonl").read_text().splitlines()]
    assert len(trained_on) == 4 and trained_on[0]["messages"][-1]["role"] == "assistant"
    assert json.loads((run / "result.json").read_text())["steps"] == 2


def test_a_bad_upload_is_refused_with_its_line_number(tuner, tmp_path):
    ui = tuner.ui
    bad = tmp_path / "mine.jsonl"
    good = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    bad.write_text(json.dumps(good) + "\n" + "{not json\n", encoding="utf-8")
    ui.page.locator("#ft-upload input[type=file]").set_input_files(str(bad))
    report = ui.page.locator("#ft-upload-report")
    expect(report).to_contain_text("1 problem(s)")
    expect(report).to_contain_text("line 2")
    ui.page.locator("#ft-start").click()
    expect(ui.page.get_by_text("The uploaded file has problems").first).to_be_visible()
    fill(ui, "ft-name", "../escape")
    ui.page.locator("#ft-start").click()
    expect(ui.page.get_by_text("A run name uses letters").first).to_be_visible()
    expect(ui.page.locator("#ft-status")).to_contain_text("No training job yet.")


def test_a_job_survives_an_app_restart_and_a_second_start_is_refused(tuner, browser, lingxi_home, tmp_path):
    ui = tuner.ui
    fill(ui, "ft-name", "long-run")
    fill(ui, "ft-max-steps", 500)
    fill(ui, "ft-max-length", 128)
    ui.page.locator("#ft-start").click()
    expect(ui.page.locator("#ft-status")).to_contain_text("long-run · training")

    restarted, store = scripted_app(lingxi_home, SlowScriptedEngine())  # a new app process on the same home
    with served(browser, restarted, SlowScriptedEngine(), store, tmp_path / "restart") as again:
        again.ui.page.locator("#page-finetune-button").click()
        status = again.ui.page.locator("#ft-status")
        expect(status).to_contain_text("long-run · training")
        expect(again.ui.page.locator("#ft-start")).to_be_disabled()
        again.ui.page.locator("#ft-stop").click()
        expect(status).to_contain_text("long-run · stopped")
        expect(again.ui.page.locator("#ft-resume")).to_be_enabled()
