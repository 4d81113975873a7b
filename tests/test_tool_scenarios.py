"""Tool-use scenarios: the test, validation and legacy splits, the checker, the builder and the
`lingxi_tools` benchmarks.

The benchmark runs on a scripted model (tests/fakes at the model boundary): gold behaviour scores
100%, a model that never calls fails exactly the tool items, and each kind of mistake is caught.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eval import get_benchmark, run_benchmark
from model.scripted import ScriptedEngine
from model.tool_format import DEFAULT_TOOL_FORMAT
from model.types import ToolCall
from tools.scenarios import KINDS, MEDIA_KINDS, NO_CALL_KINDS, TOOL_NAMES, Observer, build_scenarios, score, tool_schemas
from tools.scenarios import phrasings as P
from tools.scenarios import test_phrasings as X
from tools.scenarios import train_phrasings as T
from tools.scenarios import val_phrasings as V
from tools.scenarios.compose import composed
from tools.scenarios.generate import bank, in_split
from training.converters.tool_use import convert_gsm8k, convert_scenarios

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def observer() -> Observer:
    return Observer()


@pytest.fixture(scope="module")
def test_split(observer):
    return build_scenarios("test", 60, observer=observer)


@pytest.fixture(scope="module")
def legacy_split(observer):
    return build_scenarios("legacy", 16, observer=observer)


@pytest.fixture(scope="module")
def train_split(observer):
    return build_scenarios("train", 40, observer=observer)


@pytest.fixture(scope="module")
def val_split(observer):
    return build_scenarios("val", 40, observer=observer)


def call_text(calls: list[dict]) -> str:
    return "\n".join(DEFAULT_TOOL_FORMAT.render_call(ToolCall(c["name"], c["arguments"])) for c in calls)


# ---- the split -----------------------------------------------------------------------------
def test_no_legacy_request_or_entity_appears_in_training(legacy_split, train_split):
    train_requests = {s.request for s in train_split}
    assert not train_requests & {s.request for s in legacy_split}
    held_out = {fact.topic for lang in P.WEB_FACTS for fact in in_split(P.WEB_FACTS[lang], "legacy")}
    held_out |= {note.project for lang in P.NOTES for note in in_split(P.NOTES[lang], "legacy")}
    held_out |= {page.url for lang in P.PAGES for page in in_split(P.PAGES[lang], "legacy")}
    assert held_out
    notes = [s for s in train_split if s.kind == "knowledge_base"]
    assert notes and all("[2]" in s.canned for s in notes)  # each search also returns a distractor note
    for scenario in train_split:
        text = json.dumps(scenario.messages(), ensure_ascii=False)  # request, observations, answer
        for entity in held_out:
            assert entity not in text, (entity, scenario.id)
    # and the conversations the builder writes come from the training split only
    built = convert_scenarios(10)
    assert all(c.id.startswith("train-") for c in built.conversations)


def test_training_only_phrasings_share_no_wording_with_the_legacy_split(legacy_split, train_split):
    def wordings(entries: list) -> set[str]:  # a request template, or the request of a (request, answer) pair
        return {entry[0] if isinstance(entry, tuple) else entry for entry in entries}

    for bank in ("CHAT", "UNSERVED", "WEB_REQUESTS", "NOTE_REQUESTS", "PAGE_REQUESTS"):
        for lang in ("en", "zh"):
            extra = getattr(T, bank)[lang] + composed(bank, lang)
            assert extra and not wordings(extra) & wordings(getattr(P, bank)[lang]), (bank, lang)
    # the extras (train_phrasings.py, compose.py) reach training, and the legacy split is made
    # from phrasings.py alone
    train_requests = {s.request for s in train_split if s.kind in ("no_tool", "irrelevant")}
    for name in ("CHAT", "UNSERVED"):
        extras = {request for lang in ("en", "zh") for request, _ in getattr(T, name)[lang] + composed(name, lang)}
        assert train_requests & extras, name
    legacy_requests = {s.request for s in legacy_split if s.kind in ("no_tool", "irrelevant")}
    assert legacy_requests <= {entry[0] for bank in (P.CHAT, P.UNSERVED) for lang in bank for entry in bank[lang]}


REQUEST_BANKS = ("CALCULATOR", "PARALLEL", "PYTHON", "WEB_REQUESTS", "NOTE_REQUESTS", "PAGE_REQUESTS", "CHAT", "UNSERVED")


def request_templates(module) -> set[str]:
    """Every request wording of a phrasing module, slots left in braces."""
    templates = set()
    for name in REQUEST_BANKS:
        for entries in getattr(module, name, {}).values():
            templates |= {e if isinstance(e, str) else getattr(e, "request", None) or e[0] for e in entries}
    return templates


def any_of(templates: set[str]) -> re.Pattern:
    """Matches, whole, any request made from one of `templates` (a slot: any text)."""
    alternatives = ("(?:" + ".+".join(map(re.escape, re.split(r"\{[^{}]*\}", t))) + ")" for t in templates)
    return re.compile("|".join(alternatives), re.DOTALL)


def entities(module) -> set[str]:
    """The module's web topics, note projects, page URLs and Python words, lower case."""
    found = {fact.topic for facts in module.WEB_FACTS.values() for fact in facts}
    found |= {note.project for notes in module.NOTES.values() for note in notes}
    found |= {page.url for pages in module.PAGES.values() for page in pages}
    return {entity.lower() for entity in found | set(module.PYTHON_WORDS)}


def mentioned(entities: set[str], text: str) -> list[str]:
    """The entities that occur in `text`: as whole words where they are ASCII ('ember' is not in 'November')."""
    text = text.lower()
    return sorted(e for e in entities
                  if (re.search(rf"(?<![a-z0-9]){re.escape(e)}(?![a-z0-9])", text) if e.isascii() else e in text))


def test_val_split_is_full_balanced_unique_fixed_and_offers_all_five_tools(val_split, observer):
    for kind in KINDS:
        languages = [s.language for s in val_split if s.kind == kind]
        assert (languages.count("en"), languages.count("zh")) == (20, 20), kind
    assert len({s.request for s in val_split}) == len(val_split) == 40 * len(KINDS)
    assert all(s.id.startswith("val-") and s.split == "val" and len(s.tools) == 5 for s in val_split)
    again = build_scenarios("val", 40, observer=observer)
    assert [s.to_dict() for s in again] == [s.to_dict() for s in val_split]


def test_test_split_is_480_items_half_english_half_chinese(test_split):
    for kind in KINDS:
        languages = [s.language for s in test_split if s.kind == kind]
        assert (languages.count("en"), languages.count("zh")) == (30, 30), kind
    assert len({s.request for s in test_split}) == len(test_split) == 480
    assert all(s.id.startswith("test2-") and s.split == "test" and len(s.tools) == 5 for s in test_split)


def test_each_split_reads_its_own_banks():
    assert bank("val", "CHAT", "en") == V.CHAT["en"] and bank("test", "CHAT", "zh") == X.CHAT["zh"]
    assert bank("test", "PYTHON_WORDS") == X.PYTHON_WORDS
    assert bank("legacy", "CHAT", "en") == in_split(P.CHAT["en"], "legacy")
    assert bank("train", "CHAT", "en") == in_split(P.CHAT["en"], "train") + T.CHAT["en"] + composed("CHAT", "en")
    assert len(bank("train", "CHAT", "zh")) > 2000 and len(bank("train", "UNSERVED", "zh")) > 2000
    assert bank("train", "CALCULATOR", "en") == in_split(P.CALCULATOR["en"], "train") + composed("CALCULATOR", "en")
    assert bank("train", "PARALLEL", "en") == in_split(P.PARALLEL["en"], "train")  # nothing composed for it


HELD_OUT = {"val": V, "test": X}


def other_modules(held: str) -> list:
    return [module for module in (P, T, V, X) if module is not HELD_OUT[held]]


@pytest.mark.parametrize("held", HELD_OUT)
def test_held_out_split_shares_no_wording_with_any_other(held, val_split, test_split, train_split, legacy_split):
    splits = {"val": val_split, "test": test_split}
    held_templates = request_templates(HELD_OUT[held])
    other_templates = set().union(*(request_templates(m) for m in other_modules(held)))
    assert len(held_templates) > 200 and not held_templates & other_templates
    from_held, from_others = any_of(held_templates), any_of(other_templates)
    held_requests = [s.request for s in splits[held]]
    other_requests = [s.request for s in train_split + legacy_split + splits["test" if held == "val" else "val"]]
    assert not set(held_requests) & set(other_requests)
    # no request made from a held-out template could have been made from another split's, and back
    assert all(from_held.fullmatch(request) for request in held_requests)
    assert not [request for request in held_requests if from_others.fullmatch(request)]
    assert not [request for request in other_requests if from_held.fullmatch(request)]


@pytest.mark.parametrize("held", HELD_OUT)
def test_held_out_split_shares_no_entity_with_any_other(held, val_split, test_split, train_split, legacy_split):
    splits = {"val": val_split, "test": test_split}
    module = HELD_OUT[held]
    held_entities = entities(module)
    other_entities = set().union(*(entities(m) for m in other_modules(held) if m is not T))
    assert len(held_entities) >= 60 and not held_entities & other_entities
    # neither in the other's banks nor anywhere in the other's items: requests, canned results, answers
    held_text = Path(module.__file__).read_text(encoding="utf-8")
    held_text += json.dumps([s.to_dict() for s in splits[held]], ensure_ascii=False)
    other_text = "".join(Path(m.__file__).read_text(encoding="utf-8") for m in other_modules(held))
    others = train_split + legacy_split + splits["test" if held == "val" else "val"]
    other_text += json.dumps([s.to_dict() for s in others], ensure_ascii=False)
    assert not mentioned(held_entities, other_text)
    assert not mentioned(other_entities, held_text)


@pytest.mark.parametrize("split", ["val", "test"])
def test_held_out_gold_calls_run_and_score_correct(split, val_split, test_split, observer):
    for scenario in {"val": val_split, "test": test_split}[split]:
        if scenario.kind in ("calculator", "parallel"):
            assert all(value is not None for value in scenario.expect["values"]), scenario.id
        if scenario.kind == "python":
            assert scenario.observations[0].startswith("stdout:") and scenario.expect["output"], scenario.id
        result = score(scenario, scenario.calls, scenario.answer, observer)
        assert result.correct, (scenario.id, result)


def test_legacy_split_is_fixed_balanced_and_offers_all_five_tools(legacy_split, observer):
    again = build_scenarios("legacy", 16, observer=observer)
    assert [s.to_dict() for s in again] == [s.to_dict() for s in legacy_split]
    assert len(legacy_split) == 96 and {s.kind for s in legacy_split} == set(KINDS)
    assert {s.language for s in legacy_split} == {"en", "zh"}
    # the first test split's ids, so that its earlier runs still pair item by item
    assert all(s.id.startswith("test-") and len(s.tools) == 5 for s in legacy_split)
    assert len({s.request for s in legacy_split}) == len(legacy_split)


def test_observations_come_from_the_real_tools(train_split):
    calc = next(s for s in train_split if s.kind == "calculator")
    assert calc.observations[0].split(" ")[0].replace(".", "").replace("-", "").isdigit()
    python = next(s for s in train_split if s.kind == "python")
    assert python.observations[0].startswith("stdout:")
    web = next(s for s in train_split if s.kind == "web_search")
    assert "BEGIN EXTERNAL CONTENT" in web.observations[0] and "URL:" in web.observations[0]


def test_schemas_are_the_registrys_own():
    from tools import default_registry

    assert tool_schemas(["calculator"]) == default_registry("/tmp/lingxi-unused").schemas(["calculator"])


# ---- the checker ---------------------------------------------------------------------------
def test_gold_calls_and_answers_score_correct(legacy_split, observer):
    for scenario in legacy_split:
        result = score(scenario, scenario.calls, scenario.answer, observer)
        assert result.correct, (scenario.id, result)


def test_equivalent_expression_counts_and_wrong_value_fails(test_split, observer):
    calc = next(s for s in test_split if s.kind == "calculator")
    expression = calc.calls[0]["arguments"]["expression"]
    same = score(calc, [{"name": "calculator", "arguments": {"expression": f"({expression}) * 1"}}], calc.answer, observer)
    assert same.correct
    wrong = score(calc, [{"name": "calculator", "arguments": {"expression": f"({expression}) + 1"}}], calc.answer, observer)
    assert not wrong.correct and wrong.reason == "wrong_arguments"


def test_mistakes_get_their_reason(test_split, observer):
    web = next(s for s in test_split if s.kind == "web_search")
    chat = next(s for s in test_split if s.kind == "no_tool")
    python = next(s for s in test_split if s.kind == "python")
    assert score(web, [], "I think so.", observer).reason == "no_call"
    assert score(web, [{"name": "calculator", "arguments": {"expression": "1+1"}}], "2", observer).reason == "wrong_tool"
    assert score(web, [{"name": "web_search", "arguments": {"query": 42}}], web.answer, observer).reason == "invalid_arguments"
    assert score(web, [{"name": "web_search", "arguments": {"query": "something else"}}], web.answer,
                 observer).reason == "wrong_arguments"
    assert score(web, web.calls, "I could not find it.", observer).reason == "wrong_answer"
    assert score(chat, [{"name": "web_search", "arguments": {"query": "x"}}], "hi", observer).reason == "unneeded_call"
    # python is judged by what the code prints, not by its text
    other_code = {"code": "print(" + repr(python.expect["output"]) + ")"}
    assert score(python, [{"name": "python", "arguments": other_code}], python.answer, observer).args_correct
    assert not score(python, [{"name": "python", "arguments": {"code": "print('nope')"}}], python.answer,
                     observer).args_correct


def test_parallel_calls_match_one_to_one(test_split, observer):
    parallel = next(s for s in test_split if s.kind == "parallel")
    assert score(parallel, list(reversed(parallel.calls)), parallel.answer, observer).correct
    assert not score(parallel, parallel.calls[:1], parallel.answer, observer).correct
    assert not score(parallel, parallel.calls + parallel.calls[:1], parallel.answer, observer).correct


# ---- the benchmark on a scripted model -----------------------------------------------------
def _gold_engine(bench) -> ScriptedEngine:
    engine = ScriptedEngine()
    for item in bench.load():
        scenario = bench.scenario(item)
        if scenario.calls:
            engine.enqueue(call_text(scenario.calls))
        engine.enqueue(scenario.answer)
    return engine


def test_lingxi_tools_gold_model_scores_100(tmp_path):
    bench = get_benchmark("lingxi_tools")
    run = run_benchmark(_gold_engine(bench), bench, out_dir=tmp_path)
    assert run.n == len(bench.load()) == 480
    assert run.accuracy == 1.0
    assert run.mean_scores()["args_valid"] == 1.0
    saved = json.loads(Path(run.path).read_text(encoding="utf-8"))
    assert saved["per_category"].keys() == set(KINDS)


def test_lingxi_tools_never_calling_fails_exactly_the_tool_items(tmp_path):
    bench = get_benchmark("lingxi_tools")
    engine = ScriptedEngine(default="I am not sure.")
    run = run_benchmark(engine, bench, out_dir=tmp_path)
    for record in run.records:
        assert record.correct == (record.category in NO_CALL_KINDS), record.id
        if not record.correct:
            assert record.error_type == "no_call"
    # the model saw the registry's five tools in every request
    assert all(len(request.tools) == 5 for request in engine.history)


def test_lingxi_tools_right_call_wrong_answer_and_second_turn(tmp_path):
    bench = get_benchmark("lingxi_tools")
    item = next(i for i in bench.load() if i.category == "knowledge_base")
    scenario = bench.scenario(item)
    engine = ScriptedEngine([call_text(scenario.calls), "I don't know."])
    prediction = bench.predict(engine, item)
    record = bench.check(item, prediction)
    assert record.scores["tool_choice"] == 1.0 and record.scores["args_correct"] == 1.0
    assert not record.correct and record.error_type == "wrong_answer"
    # turn 2 carried the canned knowledge-base passages as a tool result
    second = engine.history[1].messages
    assert second[-1]["role"] == "tool" and scenario.expect["answer_keys"][0] in second[-1]["content"]
    assert "after the tool results" in record.raw_output
    # a wrong tool does not get the right tool's canned results
    ok, text = bench.observer.observe(scenario, "web_search", {"query": scenario.request})
    assert ok and "(no results)" in text and scenario.expect["answer_keys"][0] not in text
    assert not bench.observer.observe(scenario, "send_email", {})[0]


def test_limit_gives_a_balanced_sample():
    items = get_benchmark("lingxi_tools").load()[: len(KINDS)]
    assert {item.category for item in items} == set(KINDS)


# ---- the builder -----------------------------------------------------------------------------
def test_builder_conversations_are_valid_and_bilingual():
    built = convert_scenarios(8, weights={"irrelevant": 2})
    assert sum(c.source.endswith("irrelevant") for c in built.conversations) == 16
    for conversation in built.conversations:
        errors = [p for p in conversation.validate() if p.severity == "error"]
        assert not errors, (conversation.id, errors)
        assert conversation.messages[-1]["role"] == "assistant" and conversation.messages[-1]["content"]
    assert any("\u4e00" <= ch <= "\u9fff" for c in built.conversations for ch in c.messages[0]["content"])


def test_gsm8k_trajectories_call_the_calculator_per_annotation(tmp_path):
    rows = [
        {"question": "Tom has 3 bags of 4 apples and eats 2. How many are left?",
         "answer": "He has 3*4=<<3*4=12>>12 apples.\n12-2=<<12-2=10>>10 are left.\n#### 10"},
        {"question": "Bad annotation", "answer": "2+2=<<2+2=5>>5\n#### 5"},
        {"question": "No annotation", "answer": "It is 7.\n#### 7"},
    ]
    (tmp_path / "gsm8k").mkdir()
    (tmp_path / "gsm8k" / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    built = convert_gsm8k(tmp_path, count=10, skip_first=0)
    assert len(built.conversations) == 1
    messages = built.conversations[0].messages
    calls = [m["tool_calls"][0]["function"]["arguments"] for m in messages if m.get("tool_calls")]
    assert calls == ['{"expression": "3*4"}', '{"expression": "12-2"}']
    assert [m["content"] for m in messages if m["role"] == "tool"] == ["12", "10"]
    assert "10" in messages[-1]["content"]
    assert built.notes["items whose annotation the calculator disagrees with"] == 1
    # the first lines are skipped: gsm8k_agent evaluates them
    assert not convert_gsm8k(tmp_path, count=10, skip_first=1).conversations


def test_data_build_command_writes_checkable_jsonl(tmp_path):
    from agent_app.cli import main
    from training.check import check_file

    out = tmp_path / "tool_use.jsonl"
    assert main(["data", "build", str(out), "--count", "3"]) == 0
    report = check_file(str(out), "auto")
    assert report.ok
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3 * (len(KINDS) + len(MEDIA_KINDS))


def test_public_chat_offers_lingxis_tools_and_recasts_refusals(tmp_path):
    from training.converters.tool_use import convert_public_chat

    folder = tmp_path / "train_toolcall"
    folder.mkdir()
    bmi = json.dumps([{"name": "calculate_bmi", "parameters": {"type": "object", "properties": {}}}])
    records = [
        {"conversations": [{"from": "human", "value": "Write a definition of 'photoshop'."},
                           {"from": "gpt", "value": "Photoshop is an image editor made by Adobe."}], "tools": bmi},
        {"conversations": [{"from": "human", "value": "Can you please order a pizza for me?"},
                           {"from": "gpt", "value": "I'm sorry, but I can't assist with that. My capabilities "
                                                    "are limited to calculating BMI."}], "tools": bmi},
        {"conversations": [{"from": "human", "value": "Convert 210 Fahrenheit to Celsius."},
                           {"from": "gpt", "value": "It is 98.89 °C."}], "tools": bmi},
        {"conversations": [{"from": "human", "value": "What is my BMI? 70 kg, 1.75 m"},
                           {"from": "function_call", "value": '{"name": "calculate_bmi", "arguments": {}}'},
                           {"from": "observation", "value": "22.9"},
                           {"from": "gpt", "value": "22.9"}], "tools": bmi},
    ]
    (folder / "glaive_toolcall_en_demo.json").write_text(json.dumps(records), encoding="utf-8")
    (folder / "identity.json").write_text(json.dumps([{"instruction": "Who are you?", "input": "",
                                                       "output": "I am {{name}}, made by {{author}}."}]), encoding="utf-8")
    built = convert_public_chat(tmp_path, all_tools_share=1.0)
    by_request = {c.messages[0]["content"]: c for c in built.conversations}
    # the call example and the arithmetic the calculator should answer are left out
    assert set(by_request) == {"Write a definition of 'photoshop'.", "Can you please order a pizza for me?", "Who are you?"}
    for conversation in built.conversations:
        assert conversation.tool_names() == list(TOOL_NAMES)
        assert not conversation.calls()
    refusal = by_request["Can you please order a pizza for me?"].messages[1]["content"]
    assert refusal.startswith("I'm sorry, but I can't assist with that.") and "BMI" not in refusal
    assert "calculator" in refusal
    assert "Lingxi" in by_request["Who are you?"].messages[1]["content"]
