"""Training data formats: readers with line-numbered errors, round-trips, writers, `check_file`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.check import check_file, format_report
from training.conversation import Conversation, TextExample, cjk_share, fill_placeholders
from training.errors import DataFormatError
from training.formats import (detect_format, iter_examples, read_examples, write_openai_jsonl,
                              write_sharegpt_json)
from training.formats.sharegpt import parse as from_sharegpt
from training.formats.sharegpt import to_sharegpt

FIXTURES = Path(__file__).parent / "fixtures" / "training"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _normal_sharegpt(record: dict) -> dict:
    """Compare ShareGPT records by meaning: JSON text (tools, calls) parsed."""
    turns = [{"from": t["from"], "value": json.loads(t["value"]) if t["from"] == "function_call" else t["value"]}
             for t in record["conversations"]]
    out = {"conversations": turns, "tools": json.loads(record.get("tools") or "[]")}
    if record.get("system"):
        out["system"] = record["system"]
    return out


# ---- detection and reading ------------------------------------------------------------------
@pytest.mark.parametrize("name, expected", [
    ("openai_good.jsonl", "openai"), ("sharegpt.json", "sharegpt"), ("sharegpt.jsonl", "sharegpt"),
    ("alpaca.json", "alpaca"), ("text.txt", "text"), ("text.jsonl", "text"),
])
def test_detect_format(name, expected):
    assert detect_format(FIXTURES / name) == expected


def test_detect_format_names_the_keys_it_saw(tmp_path):
    path = tmp_path / "odd.jsonl"
    path.write_text('{"question": "q", "answer": "a"}\n')
    with pytest.raises(DataFormatError, match=r"odd.jsonl:1.*'answer', 'question'"):
        detect_format(path)


def test_openai_reader_normal_form():
    conversations = read_examples(FIXTURES / "openai_good.jsonl")
    assert [c.id for c in conversations] == ["plain", "call", "parallel-zh", "no-call"]
    parallel = conversations[2]
    assert [t["function"]["name"] for t in parallel.tools] == ["get_weather", "get_time"]
    calls = parallel.messages[1]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["get_time", "get_weather"]
    assert [m["tool_call_id"] for m in parallel.messages if m["role"] == "tool"] == ["a", "b"]
    assert all(not c.validate() for c in conversations)


def test_openai_reader_fills_missing_ids_and_accepts_dict_arguments():
    conversation = Conversation.from_record({"messages": [
        {"role": "user", "content": [{"type": "text", "text": "hi "}, {"type": "text", "text": "there"}]},
        {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": {"x": "中"}}}]},
        {"role": "tool", "content": "1"},
        {"role": "assistant", "content": "done"}], "tools": [{"name": "f", "parameters": {}}]})
    assert conversation.messages[0]["content"] == "hi there"
    call = conversation.messages[1]["tool_calls"][0]
    assert call == {"id": "call_0", "type": "function", "function": {"name": "f", "arguments": '{"x": "中"}'}}
    assert conversation.messages[2]["tool_call_id"] == "call_0"
    assert conversation.tools == [{"type": "function", "function": {"name": "f", "parameters": {}}}]


def test_bad_records_are_reported_with_line_numbers():
    items = list(iter_examples(FIXTURES / "openai_bad.jsonl"))
    problems = {str(p) for item in items for p in item.problems}
    name = "openai_bad.jsonl"
    expected = [
        f"{name}:2: error: invalid JSON",
        f"{name}:3: error: message 1: a tool result without a preceding tool call",
        f"{name}:5: error: empty conversation",
        f"{name}:6: warning: message 1: calls 'get_forecast', which is not in tools",
        f"{name}:7: error: message 0: unknown role 'robot'",
    ]
    for text in expected:
        assert any(text in problem for problem in problems), (text, problems)
    assert [item.ok for item in items] == [True, False, False, False, True, False]


def test_read_examples_raise_or_skip():
    with pytest.raises(DataFormatError) as error:
        read_examples(FIXTURES / "openai_bad.jsonl")
    assert error.value.location.endswith("openai_bad.jsonl:2")
    kept = read_examples(FIXTURES / "openai_bad.jsonl", errors="skip")
    assert len(kept) == 2  # the good line and the call of an unlisted tool (a warning only)


def test_json_array_items_carry_their_line():
    items = list(iter_examples(FIXTURES / "sharegpt.json"))
    assert [item.location.rsplit("/", 1)[-1] for item in items][:2] == ["sharegpt.json:2 (item 0)",
                                                                        "sharegpt.json:24 (item 1)"]
    broken = items[3]
    assert not broken.ok
    assert "turn 2: an observation without a preceding function_call" in str(broken.problems[0])


def test_truncated_json_array_reports_where(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text('[\n {"instruction": "a", "output": "b"},\n {"instruction": "c", "out')
    items = list(iter_examples(path))
    assert items[0].ok and not items[1].ok
    assert items[1].location.endswith("cut.json:3 (item 1)")


def test_not_utf8_is_an_error_with_a_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n')
    with pytest.raises(DataFormatError, match=r"latin1.jsonl:2: not UTF-8"):
        list(iter_examples(path))


def test_alpaca_reader():
    plain, identity = read_examples(FIXTURES / "alpaca.json")
    assert plain.messages == [{"role": "user", "content": "Translate to French\nGood morning"},
                              {"role": "assistant", "content": "Bonjour"}]
    assert [m["role"] for m in identity.messages] == ["system", "user", "assistant", "user", "assistant"]
    filled = fill_placeholders(identity, {"name": "灵犀", "author": "Lingxi"})
    assert filled.messages[-1]["content"] == "我是 灵犀，由 Lingxi 开发的助手。"


def test_text_readers():
    documents = read_examples(FIXTURES / "text.txt")
    assert [d.text for d in documents] == ["First document, line one.\nStill the first document.",
                                           "Second document.", "第三个文档。"]
    assert all(isinstance(d, TextExample) for d in documents)
    locations = [item.location.rsplit(":", 1)[-1] for item in iter_examples(FIXTURES / "text.txt")]
    assert locations == ["1", "5", "7"]
    assert [d.text for d in read_examples(FIXTURES / "text.jsonl")] == ["A pre-training document.", "另一个文档。"]


# ---- round trips and writers ----------------------------------------------------------------
def test_sharegpt_to_internal_to_sharegpt_is_lossless():
    records = json.loads((FIXTURES / "sharegpt.json").read_text(encoding="utf-8"))[:3]
    for record in records:
        again = to_sharegpt(from_sharegpt(record))
        assert _normal_sharegpt(again) == _normal_sharegpt(record)


def test_sharegpt_parallel_results_split_per_call():
    conversation = from_sharegpt(json.loads((FIXTURES / "sharegpt.json").read_text(encoding="utf-8"))[1])
    tool_messages = [m for m in conversation.messages if m["role"] == "tool"]
    assert [(m["tool_call_id"], m["content"]) for m in tool_messages] == [("call_0", "14:05"), ("call_1", "晴，25°C")]


def test_internal_to_openai_to_internal_is_lossless(tmp_path):
    conversations = read_examples(FIXTURES / "openai_good.jsonl")
    path = tmp_path / "out" / "data.jsonl"
    assert write_openai_jsonl(conversations, path) == 4
    text = path.read_text(encoding="utf-8")
    assert "北京" in text and "\\u" not in text  # UTF-8, not escapes
    again = read_examples(path)
    assert [c.to_record() | {"source": None} for c in again] == [c.to_record() | {"source": None} for c in conversations]


def test_openai_to_sharegpt_to_openai_keeps_meaning(tmp_path):
    conversations = [c for c in read_examples(FIXTURES / "openai_good.jsonl")]
    path = tmp_path / "data.json"
    write_sharegpt_json(conversations, path)
    again = read_examples(path, format="sharegpt")
    for before, after in zip(conversations, again):
        assert before.tools == after.tools
        strip = lambda c: [{k: v for k, v in m.items() if k not in ("id", "tool_call_id")} | (
            {"tool_calls": [x["function"] for x in m["tool_calls"]]} if m.get("tool_calls") else {})
            for m in c.messages]
        assert strip(before) == strip(after)


def test_sharegpt_drops_text_beside_calls_with_a_warning(caplog):
    conversation = Conversation([{"role": "user", "content": "q"},
                                 {"role": "assistant", "content": "Let me check.", "tool_calls": [
                                     {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}])
    record = to_sharegpt(conversation)
    assert [t["from"] for t in record["conversations"]] == ["human", "function_call"]
    assert "text is dropped" in caplog.text


@pytest.mark.skipif(not (SHARED / "train_toolcall").is_dir(), reason="../shared/data is absent")
@pytest.mark.parametrize("name", ["glaive_toolcall_en_demo.json", "glaive_toolcall_zh_demo.json"])
def test_real_glaive_round_trips(name):
    records = json.loads((SHARED / "train_toolcall" / name).read_text(encoding="utf-8"))
    bad = 0
    for record in records:
        try:
            conversation = from_sharegpt(record)
        except DataFormatError:
            bad += 1
            continue
        assert _normal_sharegpt(to_sharegpt(conversation)) == _normal_sharegpt(record)
    assert bad == (0 if "_en_" in name else 2)


# ---- check_file -----------------------------------------------------------------------------
def test_check_file_counts():
    report = check_file(FIXTURES / "openai_good.jsonl")
    assert (report.format, report.examples, report.records) == ("openai", 4, 4)
    assert (report.tool_calls, report.with_calls, report.without_calls) == (3, 2, 2)
    assert report.turns == 13 and report.assistant_turns == 6 and report.tool_results == 3
    assert set(report.tools) == {"get_weather", "get_time"} and report.with_tools == 3
    assert report.cjk_examples == 1 and report.ok
    text = format_report(report)
    assert "4 usable of 4 records" in text and "0 errors" in text


def test_check_file_lists_problems():
    report = check_file(FIXTURES / "openai_bad.jsonl")
    assert report.examples == 2 and report.records == 6 and not report.ok
    text = format_report(report)
    assert "4 errors, 1 warnings" in text
    assert "openai_bad.jsonl:2: error: invalid JSON" in text


def test_check_text_file():
    report = check_file(FIXTURES / "text.txt")
    assert (report.format, report.examples, report.cjk_examples) == ("text", 3, 1)
    assert "tool calls" not in format_report(report)


def test_cjk_share():
    assert cjk_share("hello") == 0 and cjk_share("你好") == 1 and cjk_share("") == 0
    assert 0.4 < cjk_share("ab你好") < 0.6
