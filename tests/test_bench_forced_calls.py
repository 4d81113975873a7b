"""bench/forced_calls.py: its adversarial schemas are valid and the engine builds a grammar for each
(without a model), its checker catches what it must, and a few real forced calls pass it."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from bench import forced_calls as bench
from model.call_schema import forced_call_schema
from model.chat_template import ChatTemplate
from model.engines.base import TemplatedEngine, TextChunk
from model.engines.gbnf import schema_to_gbnf
from model.tool_schemas import check_tools
from model.types import ChatRequest, ChatResult, SamplingParams, ToolCall, Usage

TOOLS = bench.adversarial_tools()
BY_NAME = {case.name: case for case in TOOLS}

class GrammarGenerator:
    """A TextGenerator that builds each schema's grammar as llama.cpp's generator does (without
    llama.cpp's own parse, which needs a model's vocabulary) and writes a scripted call."""

    supports_json_schema = True

    def __init__(self, output: str, n_ctx: int = 8192):
        self.output, self.n_ctx = output, n_ctx
        self.grammars: list[str] = []

    def count_tokens(self, text: str) -> int:
        return len(text) // 3 + 1

    def prepare_schema(self, schema) -> str:
        self.grammars.append(schema_to_gbnf(schema))
        return self.grammars[-1]

    def generate(self, prompt, params: SamplingParams, json_schema, cancel: threading.Event):
        if json_schema is not None:
            self.prepare_schema(json_schema)
        yield TextChunk(self.output, 1)
        return "stop"

    def close(self) -> None:
        pass


def result(calls=(), content=None, finish="tool_calls", failed=()) -> ChatResult:
    return ChatResult(content=content, tool_calls=list(calls), finish_reason=finish, usage=Usage(100, 20),
                      raw_text="<tool_call>\n...", failed_calls=list(failed))


# ---- (a) the schemas -----------------------------------------------------------------------------

def test_there_are_enough_schemas_covering_every_feature():
    assert len(TOOLS) >= 20
    assert len(BY_NAME) == len(TOOLS), "tool names must be unique"
    tags = {tag for case in TOOLS for tag in case.tags}
    assert {"nested", "enum", "enum-number", "enum-chinese", "array-objects", "array-bounds", "number-bounds",
            "exclusive-bounds", "boolean", "nullable", "anyOf", "oneOf", "const", "pattern", "format",
            "string-length", "ref", "recursive", "no-additional", "many-optional", "required-only", "no-params",
            "name-punct", "chinese-names", "chinese-desc", "markup-bait"} <= tags
    for case in TOOLS:
        assert set(case.requests) == {"en", "zh"} and all(case.requests.values())
        assert any("\u4e00" <= char <= "\u9fff" for char in case.requests["zh"]), case.name


@pytest.mark.parametrize("case", TOOLS, ids=lambda case: case.name)
def test_each_schema_is_valid_and_the_engine_builds_its_own_grammar(case):
    parameters = case.tool["function"].get("parameters") or bench.EMPTY_PARAMETERS
    Draft202012Validator.check_schema(parameters)
    check_tools([case.tool])  # what the engine asks of every request's tools
    generator = GrammarGenerator(json.dumps({"name": case.name, "arguments": {}}))
    engine = TemplatedEngine("fake", generator, ChatTemplate())
    # The schema the engine decodes under is the tool's own, not the keys-only fallback.
    assert engine.call_schema([case.tool]) == forced_call_schema([case.tool])
    for mode in bench.MODES:
        request = ChatRequest([{"role": "user", "content": case.requests["zh"]}], tools=[case.tool],
                              tool_choice=bench.tool_choice(case.tool, mode))
        answer = engine.chat(request)
        assert [call.name for call in answer.tool_calls] == [case.name]
    assert generator.grammars and all("root ::=" in grammar for grammar in generator.grammars)


def test_the_plan_is_round_robin_over_tool_language_and_tool_choice():
    planned = bench.plan(TOOLS[:3], 14)
    assert len(planned) == 14
    combos = {(case.name, language, mode) for case, language, mode in planned[:12]}
    assert len(combos) == 12
    assert (planned[12][0].name, planned[12][1], planned[12][2]) == (TOOLS[0].name, "en", "required")


# ---- (b) the checker -----------------------------------------------------------------------------

def test_a_good_call_passes_every_check():
    case = BY_NAME["set_alarm"]
    checked = bench.check_call(case.tool, result([ToolCall("set_alarm", {"hour": 6, "minute": 45,
                                                                         "repeat_weekdays": True})]))
    assert checked["ok"] and checked["problems"] == []
    assert all(checked[key] for key in bench.CHECKS)


def test_a_missing_required_argument_is_flagged():
    case = BY_NAME["set_alarm"]
    checked = bench.check_call(case.tool, result([ToolCall("set_alarm", {"hour": 6, "minute": 45})]))
    assert checked["parsed"] and not checked["required_present"] and not checked["ok"]
    assert any("repeat_weekdays" in problem for problem in checked["problems"])


def test_a_schema_violation_is_flagged():
    case = BY_NAME["set_alarm"]
    checked = bench.check_call(case.tool, result([ToolCall("set_alarm", {"hour": 25, "minute": 0, "volume": 1,
                                                                         "repeat_weekdays": False})]))
    assert checked["required_present"] and not checked["schema_valid"] and not checked["ok"]
    assert any(problem.startswith("arguments.hour") for problem in checked["problems"])
    assert any(problem.startswith("arguments.volume") for problem in checked["problems"])


def test_refs_resolve_within_the_schema_recursive_ones_too():
    case = BY_NAME["render_tree"]
    good = {"root": {"label": "Animals", "children": [{"label": "Mammals", "children": [{"label": "Dog"}]}]}}
    bad = {"root": {"label": "Animals", "children": [{"label": "Mammals", "children": [{"label": 3}]}]}}
    assert bench.check_call(case.tool, result([ToolCall("render_tree", good)]))["schema_valid"]
    checked = bench.check_call(case.tool, result([ToolCall("render_tree", bad)]))
    assert not checked["schema_valid"]
    assert any("arguments.root.children[0].children[0].label" in problem for problem in checked["problems"])


@pytest.mark.parametrize("markup", bench.MARKUP)
def test_markup_inside_a_string_is_flagged(markup):
    case = BY_NAME["render_html"]
    checked = bench.check_call(case.tool, result([ToolCall("render_html", {"html": f"<div>{markup}</div>"})]))
    assert checked["schema_valid"] and not checked["markup_free"] and not checked["ok"]
    assert any(markup in problem for problem in checked["problems"])


def test_markup_in_a_nested_string_or_key_is_flagged():
    assert bench.markup_in({"a": [{"b": "x <|im_end|>"}]}) == ["arguments.a[0].b: <|im_end|>"]
    assert bench.markup_in({"<tool_call>": 1}) == ["arguments key: <tool_call>"]


def test_text_a_failed_call_or_the_wrong_name_is_not_a_parsed_call():
    tool = BY_NAME["get_server_time"].tool
    text = bench.check_call(tool, result(content="It is noon.", finish="stop"))
    assert not text["parsed"] and not text["ok"] and text["arguments"] is None
    cut = bench.check_call(tool, result(content='{"name": "get_server_time", "argu', finish="length"))
    assert not cut["parsed"] and "finish_reason length" in cut["problems"]
    failed = bench.check_call(tool, result([ToolCall("get_server_time", {})], failed=["<tool_call>{"]))
    assert not failed["parsed"]
    wrong = bench.check_call(tool, result([ToolCall("refresh_cache", {})]))
    assert wrong["parsed"] and not wrong["name_ok"] and not wrong["ok"]
    two = bench.check_call(tool, result([ToolCall("get_server_time", {}), ToolCall("get_server_time", {})]))
    assert not two["parsed"]


# ---- (c) the real model --------------------------------------------------------------------------

@pytest.mark.model
@pytest.mark.parametrize("case", TOOLS, ids=lambda case: case.name)
def test_llama_cpp_parses_each_schemas_grammar(bundled_engine, case):
    bundled_engine.generator.prepare_schema(forced_call_schema([case.tool]))  # raises GrammarError


@pytest.fixture(scope="module")
def smoke_records(bundled_engine) -> list[dict]:
    """Ten real forced calls at temperature 1.0, over every other schema, both languages and both
    tool_choice forms, fixed seeds."""
    records = []
    for index, case in enumerate(TOOLS[::2][:10]):
        language, mode = bench.LANGUAGES[index % 2], bench.MODES[(index // 2) % 2]
        records.append(bench.run_call(bundled_engine, case, language, mode, seed=1000 + index,
                                      temperature=1.0, max_tokens=256))
    return records


@pytest.mark.model
def test_real_forced_calls_parse_with_the_forced_name_and_required_arguments(smoke_records):
    assert len(smoke_records) == 10
    for record in smoke_records:
        assert record["finish_reason"] == "tool_calls", (record["schema"], record["problems"], record["raw_text"])
        assert record["parsed"] and record["name_ok"], (record["schema"], record["problems"], record["raw_text"])
        assert record["required_present"] and record["markup_free"], (record["schema"], record["problems"])


@pytest.mark.model
def test_real_forced_calls_are_schema_valid(smoke_records):
    invalid = [(r["schema"], r["problems"]) for r in smoke_records if not r["schema_valid"]]
    assert not invalid


@pytest.mark.model
def test_the_script_runs_end_to_end_and_writes_its_records(tmp_path):
    out = tmp_path / "calls.json"
    script = Path(bench.__file__)
    done = subprocess.run([sys.executable, str(script), "--calls", "4", "--schema", "get_server_time",
                           "--schema", "refresh_cache", "--json", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=script.parents[1])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "parsed (one tool call, no text)" in done.stdout and "by feature" in done.stdout
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["settings"]["calls"] == 4 and saved["grammar"] == {"get_server_time": "full", "refresh_cache": "full"}
    assert [(r["schema"], r["language"], r["mode"]) for r in saved["records"]] == [
        ("get_server_time", "en", "required"), ("get_server_time", "en", "named"),
        ("get_server_time", "zh", "required"), ("get_server_time", "zh", "named")]
