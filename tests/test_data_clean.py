"""`lingxi data clean`: normalisation, exact and near duplicates, leakage, length and language
filters, the report, and the command line end to end (held-out requests passed explicitly)."""
import json

import pytest

from agent_app.cli import main
from training.clean import CleanConfig, clean, clean_file, held_out_requests
from training.dedup import detect_language, tidy_text
from training.errors import DataFormatError

LONG = ("Please compute the total cost of a three night hotel stay at 742 dollars per night, including "
        "a nineteen percent tax, and tell me the final amount I have to pay at checkout.")
LONG_ZH = ("请帮我计算一下在酒店住三晚的总费用，每晚七百四十二元，另外还要加上百分之十九的税费和每晚三十元的服务费，"
           "早餐另算，每人每天四十五元，我们两个人，最后告诉我退房时一共需要支付多少钱，谢谢。")
CONFIG = CleanConfig(scenarios=False)


def record(request, answer="Sure, here it is.", id=None, calls=None):
    messages = [{"role": "user", "content": request}]
    if calls:
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": arguments}}
            for i, (name, arguments) in enumerate(calls)]})
        messages += [{"role": "tool", "tool_call_id": f"call_{i}", "content": "42"} for i in range(len(calls))]
    messages.append({"role": "assistant", "content": answer})
    out = {"messages": messages, "source": "test"}
    if id is not None:
        out["id"] = id
    return out


def run(records, config=CONFIG, held_out=()):
    kept, report = clean(records, config, held_out=list(held_out))
    assert report.records_in == report.records_out + sum(report.dropped.values())
    return kept, report


def reasons(report):
    return {drop.index: drop.reason for drop in report.drops}


def test_exact_duplicates_after_normalisation_are_dropped_and_kept_text_is_tidied():
    arguments = '{"expression":  "742*3"}'  # odd spacing: arguments must stay byte for byte
    records = [record("  How much is 742 * 3?\r\n", "2226.", id="a", calls=[("calculator", arguments)]),
               record("how  much is ７４２ * 3?", "2226.", id="b", calls=[("calculator", arguments)]),
               record("How much is 742 * 4?", "2968.", id="c", calls=[("calculator", arguments)])]
    kept, report = run(records)
    assert [r["id"] for r in kept] == ["a", "c"]
    drop = report.drops[0]
    assert (drop.index, drop.reason, drop.detail["duplicate_of"]["id"]) == (1, "exact-duplicate", "a")
    assert kept[0]["messages"][0]["content"] == "How much is 742 * 3?"
    assert kept[0]["messages"][1]["tool_calls"][0]["function"]["arguments"] == arguments
    assert kept[0]["source"] == "test"  # other fields survive


def test_tidy_text_keeps_chinese_punctuation():
    assert tidy_text(" 你好，世界！\u200b\r\n") == "你好，世界！"  # NFKC would make these ASCII


def test_near_duplicate_one_word_changed_is_dropped_a_different_request_kept():
    changed = LONG.replace("final amount", "whole amount")
    different = ("Write a short poem about autumn leaves falling in a quiet park, with four lines that rhyme "
                 "and a gentle, melancholic mood suited to a greeting card.")
    kept, report = run([record(LONG, id="first"), record(changed, id="second"), record(different, id="third")])
    assert [r["id"] for r in kept] == ["first", "third"]
    drop = report.drops[0]
    assert drop.reason == "near-duplicate" and drop.detail["duplicate_of"]["index"] == 0
    assert 0.85 <= drop.detail["jaccard"] < 1
    strict = CleanConfig(scenarios=False, near_dup_threshold=0.99)
    assert len(run([record(LONG), record(changed)], strict)[0]) == 2


def test_chinese_near_duplicates_are_found_with_character_shingles():
    changed = LONG_ZH.replace("两个人", "三个人")
    other = "给我写一首关于秋天落叶的短诗，四行就好，要押韵，语气温柔一点，适合写在贺卡上送给一位多年未见的老朋友，表达思念之情。"
    kept, report = run([record(LONG_ZH, "好的。"), record(changed, "好的。"), record(other, "好的。")])
    assert reasons(report) == {1: "near-duplicate"}
    assert len(kept) == 2 and report.languages_out == {"zh": 2}


def test_leakage_exact_and_near_against_held_out_requests():
    held_out = ["What is the capital of Australia?", LONG]
    records = [record("what is the CAPITAL of  Australia?"),            # equal after normalisation
               record("Ｗｈａｔ is the capital of Australia?", "Canberra."),  # full-width letters (NFKC)
               record(LONG.replace("tell me", "show me")),                # near
               record("What is the capital of Canada, and its population?")]
    kept, report = run(records, held_out=held_out)
    assert reasons(report) == {0: "leakage", 1: "leakage", 2: "leakage"}
    assert report.drops[0].detail["matches"] == held_out[0] and report.drops[0].detail["jaccard"] == 1.0
    assert report.drops[2].detail["matches"] == LONG and report.drops[2].detail["jaccard"] < 1
    assert kept == [records[3]] and report.held_out == 2
    assert len(run(records, CleanConfig(scenarios=False, leakage=False), held_out)[0]) == 4


def test_leakage_checks_every_user_turn():
    conversation = record("Hi there, can you help me with something?", "Of course.")
    conversation["messages"] += [{"role": "user", "content": "What is the capital of Australia?"},
                                 {"role": "assistant", "content": "Canberra."}]
    _, report = run([conversation], held_out=["What is the capital of Australia?"])
    assert reasons(report) == {0: "leakage"}


def test_length_filter():
    config = CleanConfig(scenarios=False, min_chars=20, max_chars=300)
    numbers = "Add these numbers: " + ", ".join(str(n) for n in range(100))
    kept, report = run([record("Hi", "Hello"), record(LONG, "Fine."), record(numbers, "4950.")], config)
    assert reasons(report) == {0: "too-short", 2: "too-long"}
    assert report.drops[1].detail["chars"] > 300 and len(kept) == 1


def test_language_filter_and_detection():
    assert detect_language("Convert 7 degrees Celsius to Fahrenheit.") == "en"
    assert detect_language("4811的20%是多少？ 7 °C 是 44.6 °F。") == "zh"
    assert detect_language("東京の天気はどうですか？") == "ja"
    assert detect_language("오늘 날씨 어때요?") == "ko"
    assert detect_language("Какая сегодня погода в Москве?") == "other"
    assert detect_language("2 + 2 = 4") == "unknown"
    # mixed requests go by their words: a Chinese request naming code is Chinese, and back
    assert detect_language("用 Python 算 'labyrinth' 的 SHA-256，输出前 12 位。") == "zh"
    assert detect_language("Translate 你好 into English, please.") == "en"
    records = [record("What's the weather like in Paris today?", "Sunny."),
               record("今天北京的天气怎么样？", "晴天。"),
               record("Какая сегодня погода в Москве?", "Солнечно."),
               record("東京の天気はどうですか？", "晴れです。")]
    kept, report = run(records)
    assert reasons(report) == {2: "language", 3: "language"}
    assert report.drops[0].detail["language"] == "other"
    assert report.languages_in == {"en": 1, "zh": 1, "other": 1, "ja": 1}
    _, only_zh = run(records, CleanConfig(scenarios=False, languages=["zh"]))
    assert only_zh.records_out == 1 and only_zh.languages_out == {"zh": 1}


def test_empty_after_normalisation_is_dropped():
    records = [record("   \u200b ", "Hello."), record("Hello?", "   ")]
    _, report = run(records)
    assert reasons(report) == {0: "normalised-empty", 1: "normalised-empty"}


def test_report_counts_add_up_and_examples_are_capped():
    records = [record(LONG, id=str(i)) for i in range(6)]  # 5 exact duplicates
    records += [record("Hi", "Yo"), record("今天天气怎么样？", "晴天。"), record("Какая погода?", "Хорошая.")]
    records.append(record("What is the capital of Australia?"))
    _, report = run(records, held_out=["What is the capital of Australia?"])
    data = report.to_dict()
    assert data["records_in"] == 10 and data["records_out"] == 2
    assert data["dropped"] == {"exact-duplicate": 5, "leakage": 1, "too-short": 1, "language": 1}
    assert data["records_in"] == data["records_out"] + data["dropped_total"]
    assert sum(data["languages_in"].values()) == 10 and sum(data["languages_out"].values()) == 2
    assert len(data["examples"]["exact-duplicate"]) == 3
    json.dumps(data)  # the report is plain JSON


def test_a_record_that_is_no_conversation_names_its_location():
    with pytest.raises(DataFormatError, match="f.jsonl:2"):
        clean([record("Hi there"), {"text": "no messages"}], CONFIG, held_out=[], locations=["f.jsonl:1", "f.jsonl:2"])


def test_held_out_requests_from_against_files_and_the_scenarios_lazily(tmp_path, monkeypatch):
    against = tmp_path / "bench.jsonl"
    against.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in [
        {"request": "Book a table for two."}, {"question": "今天天气怎么样？"},
        record("What is the capital of Australia?", "Canberra.")]) + "\n", encoding="utf-8")
    monkeypatch.setattr("training.clean.scenario_requests", lambda: ["A scenario request."])
    requests = held_out_requests(CleanConfig(against=[str(against)]))
    assert requests == ["A scenario request.", "Book a table for two.", "今天天气怎么样？",
                        "What is the capital of Australia?"]
    _, report = clean([record("book a table for two.")], CleanConfig(against=[str(against)]))
    assert reasons(report) == {0: "leakage"} and report.held_out == 4
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"request": "ok"}\n{"answer": "no request"}\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match="bad.jsonl:2"):
        held_out_requests(CleanConfig(scenarios=False, against=[str(bad)]))


def test_progress_reaches_the_end():
    seen = []
    clean([record(LONG), record("今天天气怎么样？", "晴天。")], CONFIG, held_out=["x y z"],
          progress=lambda done, total: seen.append((done, total)))
    assert seen[-1][0] == seen[-1][1] > 0


def _write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def test_cli_cleans_a_file_end_to_end(tmp_path, capsys):
    source, out, held = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "held.jsonl"
    _write_jsonl(source, [record(LONG, id="a"), record(LONG, id="dup"), record(LONG_ZH, "好的。", id="zh"),
                          record("What is the capital of Australia?", id="leak"),
                          record("Какая сегодня погода?", "Хорошая.", id="ru")])
    _write_jsonl(held, [{"question": "What is the capital of Australia?"}])
    code = main(["data", "clean", str(source), str(out), "--no-scenarios", "--against", str(held),
                 "--dropped", str(tmp_path / "dropped.jsonl")])
    assert code == 0
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["a", "zh"]
    report = json.loads((tmp_path / "out.report.json").read_text(encoding="utf-8"))
    assert report["dropped"] == {"exact-duplicate": 1, "leakage": 1, "language": 1}
    assert report["examples"]["leakage"][0]["detail"]["matches"] == "What is the capital of Australia?"
    dropped = [json.loads(line) for line in (tmp_path / "dropped.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(d["record"]["id"], d["reason"]) for d in dropped] == [("dup", "exact-duplicate"), ("leak", "leakage"),
                                                                  ("ru", "language")]
    printed = capsys.readouterr().out
    assert "exact-duplicate" in printed and "kept 2 of 5" in printed


def test_cli_bad_json_line_is_an_error_naming_the_line_and_writes_nothing(tmp_path, capsys):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps(record("Hello there")) + "\n" + '{"messages": [\n', encoding="utf-8")
    assert main(["data", "clean", str(source), str(out), "--no-scenarios"]) == 1
    assert "in.jsonl:2" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.jsonl"]  # no OUT, no report, no temp file


def test_cli_refuses_to_overwrite_its_input_and_reports_a_missing_file(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    _write_jsonl(source, [record(LONG), record(LONG)])
    before = source.read_text(encoding="utf-8")
    assert main(["data", "clean", str(source), str(source), "--no-scenarios"]) == 1
    assert "overwrite" in capsys.readouterr().err and source.read_text(encoding="utf-8") == before
    assert main(["data", "clean", str(tmp_path / "missing.jsonl"), str(tmp_path / "out.jsonl")]) == 1
    assert "missing.jsonl" in capsys.readouterr().err
    with pytest.raises(Exception, match="overwrite"):
        clean_file(source, tmp_path / "out.jsonl", CleanConfig(scenarios=False), report_path=source)


def test_a_line_separator_inside_a_string_does_not_split_the_record(tmp_path):
    source = tmp_path / "in.jsonl"  # json.dumps(ensure_ascii=False) leaves U+2028 raw; GSM8K has some
    _write_jsonl(source, [record("First line.\u2028 Second line of the same request.", id="a"), record(LONG, id="b")])
    report = clean_file(source, tmp_path / "out.jsonl", CleanConfig(scenarios=False))
    assert report.records_in == report.records_out == 2


def test_training_can_clean_its_assembled_data(tmp_path, monkeypatch):
    import training.clean
    from training.config import TrainConfig
    from training.dataset import read_run_examples

    monkeypatch.setattr(training.clean, "scenario_requests", lambda: ["What is the capital of Peru?"])
    chat = [{"role": "user", "content": "Tell me a short joke about penguins, please."},
            {"role": "assistant", "content": "Why don't penguins fly? They can't afford the tickets."}]
    leaked = [{"role": "user", "content": "What is the capital of Peru?"}, {"role": "assistant", "content": "Lima."}]
    other = [{"role": "user", "content": "Write one line about autumn leaves falling slowly."},
             {"role": "assistant", "content": "Red and gold, the leaves drift down like slow confetti."}]
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"messages": m}) + "\n" for m in (chat, chat, leaked, other)), encoding="utf-8")
    plain = read_run_examples(TrainConfig(data=[str(data)], name="plain"))
    assert len(plain) == 4
    config = TrainConfig(data=[str(data)], name="cleaned", clean_data=True)
    kept = read_run_examples(config)
    assert sorted(c.messages[0]["content"] for c in kept) == [chat[0]["content"], other[0]["content"]]
    report = json.loads((config.out_dir / "clean.report.json").read_text(encoding="utf-8"))
    assert report["dropped"] == {"exact-duplicate": 1, "leakage": 1} and report["records_out"] == 2
