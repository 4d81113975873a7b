"""A newcomer's first messages, in a real browser, on the real default model.

The app runs as `make run` serves it (the bundled model with its shipped adapter, every tool on,
default settings); each message starts a new chat, as someone trying the app would. Whatever the
model writes, no reply may show our markup (`<tool_call>`, `<tool_response>`, chat special tokens)
and none may loop: a reply that repeats itself is cut early by the engine, so no answer on screen
or in the store holds a loop.

Bounded: LINGXI_UI_DRIVE_MESSAGES messages (default 6, about a minute; half English, half Chinese, in turn);
50 is the full drive:

    LINGXI_UI_DRIVE_MESSAGES=50 .venv/bin/python -m pytest -q -s tests/test_ui_drive.py
"""
from __future__ import annotations

import os
import time
from itertools import chain, zip_longest

import pytest
from playwright.sync_api import expect

from agent_app.settings import ModelOptions
from agent_app.store import ConversationStore
from model.loader import EngineConfig, load_engine
from model.repetition import find_loop
from tests.conftest import live_server
from tests.fixtures.ui.harness import browser, new_tab  # noqa: F401 (fixtures)

pytestmark = pytest.mark.model

FIRST_MESSAGES = {
    "en": ["Hello! What can you do?", "What is 17 * 23?", "What is 15% of 240?",
           "What do my notes say about the project deadline?", "Hi", "Who are you?",
           "Can you write a short poem about autumn?", "What's the weather like in Beijing today?",
           "Calculate 1234 + 5678", "Tell me a joke.", "How do I reverse a list in Python?",
           "Search the web for the latest news about AI.", "What is the square root of 144?",
           "Thanks!", "Can you help me plan a trip to Shanghai?", "Run some Python code that prints hello world.",
           "What is the capital of France?", "Translate 'good morning' into Chinese.",
           "Summarize the file I uploaded.", "If I buy 3 books at $12.50 each, how much do I pay?",
           "What time is it?", "Explain what a large language model is in one sentence.",
           "Open https://example.com and tell me what it says.", "Give me three tips for learning English.",
           "Goodbye!"],
    "zh": ["你好！今天天气不错，我们聊聊吧。", "你能做什么？", "帮我算一下 345×12", "17 乘以 23 等于多少？",
           "你是谁？", "给我讲个笑话吧。", "我的笔记里关于项目截止日期写了什么？", "北京今天的新闻有哪些？",
           "写一首关于春天的短诗。", "240 的 15% 是多少？", "用 Python 打印 1 到 10 的平方。", "谢谢你！",
           "推荐几本适合入门的编程书。", "上海到北京有多远？", "一斤苹果 8 块钱，买 3 斤半要多少钱？",
           "帮我查一下最新的人工智能新闻。", "什么是机器学习？用一句话解释。", "我上传的文件里说了什么？",
           "晚上好！", "请把“谢谢”翻译成英文。", "100 除以 7 等于多少？", "怎么学好中文？给点建议。",
           "打开 https://example.com 看看上面写了什么。", "今天星期几？", "再见！"],
}
MARKUP = ("<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "<tools>", "<|im_start|>",
          "<|im_end|>", "<|endoftext|>")
COUNT = int(os.environ.get("LINGXI_UI_DRIVE_MESSAGES", "6"))
TURN_TIMEOUT_MS = 240_000


def messages(count: int) -> list[str]:
    """English and Chinese in turn, in the order a newcomer might type them."""
    both = [m for m in chain.from_iterable(zip_longest(FIRST_MESSAGES["en"], FIRST_MESSAGES["zh"])) if m]
    return both[:count]


def test_messages_take_turns_between_the_languages():
    assert len(messages(50)) == 50 and len(set(messages(50))) == 50
    assert messages(4) == [FIRST_MESSAGES["en"][0], FIRST_MESSAGES["zh"][0], FIRST_MESSAGES["en"][1],
                           FIRST_MESSAGES["zh"][1]]


@pytest.fixture(scope="module")
def default_app(tmp_path_factory):
    """The app as `make run` serves it, in a home of its own."""
    from app import create_web_app

    home = tmp_path_factory.mktemp("lingxi-drive-home")
    previous = os.environ.get("LINGXI_HOME")
    os.environ["LINGXI_HOME"] = str(home)
    options = ModelOptions(n_threads=1)
    config = EngineConfig(**options.model_dump(include=set(EngineConfig.model_fields)))
    engine = load_engine(options.model, options.adapter, config)
    try:
        with live_server(create_web_app(engine, engine_config=config)) as url:
            yield url, ConversationStore.in_home(home)
    finally:
        engine.close()
        if previous is None:
            os.environ.pop("LINGXI_HOME", None)
        else:
            os.environ["LINGXI_HOME"] = previous


def test_a_newcomers_first_messages_get_no_markup_and_no_loop(browser, default_app, tmp_path):
    url, store = default_app
    ui = new_tab(browser, url, tmp_path)
    report, started = [], time.monotonic()
    try:
        for text in messages(COUNT):
            ui.click("new-chat")
            turn_started = time.monotonic()
            ui.send(text)
            expect(ui.page.locator("#send")).to_be_enabled(timeout=TURN_TIMEOUT_MS)
            shown = ui.last_bot_group().inner_text()
            report.append((text, shown, time.monotonic() - turn_started))
    finally:
        ui.page.context.close()
    stored = [store.messages(session.id) for session in store.sessions()]
    answers = [m.get("content") or "" for conversation in stored for m in conversation if m["role"] == "assistant"]
    print(f"\nUI drive: {len(report)} messages in {time.monotonic() - started:.0f} s; "
          f"{sum(1 for c in stored for m in c if m['role'] == 'tool')} tool results")
    for text, shown, seconds in report:
        print(f"  {seconds:5.1f} s  {text[:40]!r} -> {shown[:100]!r}")
    assert len(stored) == len(report) == COUNT, "each message is a conversation of its own, answered"
    for text, shown, _ in report:
        assert shown.strip(), f"no reply to {text!r}"
        assert not [tag for tag in MARKUP if tag in shown], (text, shown)
        assert find_loop(shown) is None, (text, shown)
    for answer in answers:
        assert not [tag for tag in MARKUP if tag in answer], answer
        assert find_loop(answer) is None, answer
