"""API-Bank level-1 and Seal-Tools: loaders, dialogue history, tool sets, name + argument matching."""
import json
from pathlib import Path

import pytest

from eval import BENCHMARK_GROUPS, benchmark_names, get_benchmark
from eval.base import Prediction
from eval.call_match import match_calls, normalize_value, python_type_schema
from model.scripted import ScriptedEngine

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def call(tool, **arguments):
    return {"name": tool, "arguments": arguments}


# ---- the matching rule ------------------------------------------------------------------------
def test_values_normalise_case_space_numbers_and_booleans():
    assert normalize_value("  New   York ") == normalize_value("new york")
    assert normalize_value("63") == normalize_value(63) == normalize_value(63.0)
    assert normalize_value("1,200") == normalize_value(1200)
    assert normalize_value("true") == normalize_value(True) != normalize_value(1)
    assert normalize_value(["b", "A"]) == normalize_value(["a", "B"])
    assert normalize_value("2022-03-05") != normalize_value("2022-03-06")


def test_call_match_rules_and_error_types():
    gold = [call("getWeather", city="Paris")]
    assert match_calls([call("getWeather", city="paris")], gold).correct
    assert match_calls([], gold).error_type == "no_call"
    assert match_calls([call("getForecast", city="Paris")], gold).error_type == "wrong_name"
    assert match_calls([call("getWeather")], gold).error_type == "missing_argument"
    assert match_calls([call("getWeather", city="Paris", unit="c")], gold).error_type == "unexpected_argument"
    assert match_calls([call("getWeather", city="Rome")], gold).error_type == "wrong_value"
    extra = match_calls([call("getWeather", city="Paris"), call("getWeather", city="Rome")], gold)
    assert extra.error_type == "extra_call" and not extra.correct


def test_multi_call_order_placeholders_and_f1():
    gold = [call("createProject", name="Apollo", budget=5000.0),
            call("addTask", project_id="API_call_0", task="Design review", urgent=True)]
    predicted = [call("addTask", project_id="p-1", task="design review", urgent=True),
                 call("createProject", name="Apollo", budget=5000)]
    result = match_calls(predicted, gold)
    assert result.correct and result.api_f1 == 1.0 and result.arg_f1 == 1.0
    half = match_calls([call("createProject", name="Apollo", budget=10)], gold)
    assert not half.correct
    assert half.api_f1 == pytest.approx(2 / 3)  # 1 of 1 predicted name right, 1 of 2 gold names
    assert half.arg_f1 == pytest.approx(2 * (1 / 2) * (1 / 5) / (1 / 2 + 1 / 5))  # 1 of 2 args, 1 of 5 gold


def test_type_names_become_json_schema():
    assert python_type_schema("str") == {"type": "string"}
    assert python_type_schema("list(str)") == {"type": "array", "items": {"type": "string"}}
    assert python_type_schema("float") == {"type": "number"}
    assert python_type_schema("weird") == {"type": "string"}


# ---- API-Bank ----------------------------------------------------------------------------------
def test_api_bank_items_are_the_api_turns_with_the_history_before_them():
    bench = get_benchmark("api_bank", data_dir=FIXTURES)
    items = bench.load()
    assert [i.id for i in items] == ["ModifyPassword-level-1-1#0", "ModifyPassword-level-1-1#1", "QueryStock-level-1-1#0"]
    assert any("AddAlarm-level-1-1.jsonl" in issue.source for issue in bench.load_issues)  # the torn dialogue
    first, second, stock = items
    # The assistant text right before a call is the model's to write, so it is not in the history.
    assert [m["role"] for m in first.data["messages"]] == ["user", "assistant", "user"]
    assert first.data["gold"] == [call("GetUserToken", username="kim", password="k1m")]
    roles = [m["role"] for m in second.data["messages"]]
    assert roles == ["user", "assistant", "user", "assistant", "tool"]
    assistant = second.data["messages"][3]
    assert assistant["content"] == "Let me sign you in first."
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"username": "kim", "password": "k1m"}
    assert json.loads(second.data["messages"][4]["content"]) == {"token": "tok-123"}
    assert [t["function"]["name"] for t in second.data["tools"]] == ["GetUserToken", "ModifyPassword"]
    stock_tool = stock.data["tools"][0]["function"]["parameters"]["properties"]
    assert stock_tool["days"]["type"] == "integer" and stock_tool["tags"]["items"] == {"type": "string"}


def test_api_bank_runs_a_scripted_model_and_scores_two_levels():
    bench = get_benchmark("api_bank", data_dir=FIXTURES)
    items = bench.load()
    engine = ScriptedEngine([
        '<tool_call>{"name": "GetUserToken", "arguments": {"username": "Kim", "password": "k1m"}}</tool_call>',
        '<tool_call>{"name": "ModifyPassword", "arguments": {"token": "tok-123", "old_password": "k1m", "new_password": "secret"}}</tool_call>',
        "Which date?",
    ])
    records = [bench.check(item, bench.predict(engine, item)) for item in items]
    assert [r.correct for r in records] == [True, False, False]
    assert records[1].error_type == "wrong_value" and records[1].scores["arg_f1"] == pytest.approx(2 / 3)
    assert records[2].error_type == "no_call" and records[2].scores["arg_f1"] == 0.0
    # The model saw the earlier call and its result as tool messages, rendered by the tool format.
    assert engine.history[1].messages[-1]["role"] == "tool"
    assert bench.build_request(items[0]).sampling.temperature == 0


def test_api_bank_all_tools_option():
    bench = get_benchmark("api_bank", data_dir=FIXTURES, all_tools=True)
    names = [t["function"]["name"] for t in bench.load()[0].data["tools"]]
    assert names == ["AddAlarm", "GetUserToken", "ModifyPassword", "QueryStock"]
    assert bench.config()["all_tools"] is True


# ---- Seal-Tools --------------------------------------------------------------------------------
def test_seal_tools_loader_offers_gold_plus_distractors_deterministically():
    bench = get_benchmark("seal_tools", data_dir=FIXTURES, n_distractors=2)
    items = bench.load()
    assert [i.id for i in items] == ["test_in_domain-easy-0", "test_in_domain-difficult-0"]
    assert [i.category for i in items] == ["single", "multiple"]
    reasons = " / ".join(issue.reason for issue in bench.load_issues)
    assert "tool without api_name" in reasons and "noSuchTool" in reasons
    assert "invalid JSON" in reasons and "item without id" in reasons
    weather = [t["function"]["name"] for t in items[0].data["tools"]]
    assert "getWeather" in weather and len(weather) == 3
    assert set(weather) - {"getWeather"} <= {"getForecast", "getAirQuality"}  # same field first
    again = [t["function"]["name"] for t in get_benchmark("seal_tools", data_dir=FIXTURES, n_distractors=2).load()[0].data["tools"]]
    assert again == weather
    schema = next(t for t in items[1].data["tools"] if t["function"]["name"] == "addTask")["function"]["parameters"]
    assert schema["required"] == ["project_id", "task"] and schema["properties"]["urgent"]["type"] == "boolean"


def test_seal_tools_scores_a_scripted_model():
    bench = get_benchmark("seal_tools", data_dir=FIXTURES)
    items = bench.load()
    engine = ScriptedEngine([
        '<tool_call>{"name": "getWeather", "arguments": {"city": "hangzhou"}}</tool_call>',
        '<tool_call>{"name": "createProject", "arguments": {"name": "Apollo", "budget": "5000"}}</tool_call>\n'
        '<tool_call>{"name": "addTask", "arguments": {"project_id": "<id from the first call>", "task": "Design review", "urgent": true}}</tool_call>',
    ])
    records = [bench.check(item, bench.predict(engine, item)) for item in items]
    assert [r.correct for r in records] == [True, True]
    assert engine.history[0].messages == [{"role": "user", "content": "What's the weather in Hangzhou?"}]
    assert bench.check(items[1], Prediction(calls=records[1].calls[:1])).scores["api_f1"] == pytest.approx(2 / 3)


@pytest.mark.skipif(not (REAL_DATA / "api_bank").exists(), reason="../shared/data not present")
def test_real_tool_data_loads_and_gold_scores_100():
    for name, expected in (("api_bank", 389), ("seal_tools", 700)):
        bench = get_benchmark(name, data_dir=REAL_DATA)
        items = bench.load()
        assert len(items) == expected and not bench.load_issues
        assert all(bench.check(i, Prediction(calls=i.data["gold"])).correct for i in items)


def test_argument_f1_is_not_scored_when_the_gold_takes_no_arguments():
    gold = [call("getToday")]
    assert match_calls([], gold).scores() == {"call_acc": 0.0, "api_f1": 0.0}
    assert match_calls([call("getToday")], gold).scores() == {"call_acc": 1.0, "api_f1": 1.0}
    assert match_calls([call("getToday", day="mon")], gold).error_type == "unexpected_argument"


# ---- Lingxi's own scenarios: validation and test -------------------------------------------------
def test_lingxi_tools_val_asks_the_validation_split_and_lingxi_tools_the_test_split():
    """And `lingxi_tools_legacy` the first test split, whose ids earlier runs carry."""
    val = get_benchmark("lingxi_tools_val")
    items = val.load()
    assert len(items) == 40 * 8 and all(item.id.startswith("val-") for item in items)
    assert val.config()["per_kind"] == 40 and len({item.category for item in items[:8]}) == 8  # interleaved by kind
    test = get_benchmark("lingxi_tools")
    test_items = test.load()
    assert len(test_items) == 480 and all(item.id.startswith("test2-") for item in test_items)
    assert test.config()["per_kind"] == 60
    legacy = get_benchmark("lingxi_tools_legacy")
    legacy_items = legacy.load()
    assert len(legacy_items) == 96 and all(item.id.startswith("test-") for item in legacy_items)
    requests = [{item.data["request"] for item in group} for group in (items, test_items, legacy_items)]
    assert not requests[0] & requests[1] and not requests[0] & requests[2] and not requests[1] & requests[2]
    # asked for by name only: no report group runs the validation split
    assert benchmark_names("lingxi_tools_val") == ["lingxi_tools_val"]
    assert all("lingxi_tools_val" not in names and "lingxi_tools_legacy" not in names
               for names in BENCHMARK_GROUPS.values())
