"""Constrained decoding on the transformers engine (llguidance: model/engines/hf_grammar.py).

Fast tests run a tiny random Llama with a byte-level tokenizer (training/toy.py): a random model
never writes valid JSON by chance, so a call that parses proves the grammar did it. Tests marked
slow load the bundled SmolLM2-135M GGUF with transformers."""
from __future__ import annotations

import json
import math

import pytest
from jsonschema import Draft202012Validator

from model.call_schema import loose_call_schema
from model.errors import GrammarError
from model.loader import EngineConfig, load_engine
from model.types import ChatRequest, SamplingParams

BOOKING = {"type": "function", "function": {
    "name": "book_flight", "description": "Book a flight for one passenger",
    "parameters": {"type": "object", "properties": {
        "cabin": {"type": "string", "enum": ["economy", "business", "first"]},
        "passenger": {"type": "object", "properties": {
            "name": {"type": "string", "maxLength": 16},
            "age": {"type": "integer", "minimum": 0, "maximum": 120}},
            "required": ["name", "age"]},
        "bags": {"type": "integer", "minimum": 0, "maximum": 3},
        "window": {"type": "boolean"}},
        "required": ["cabin", "passenger", "bags"]}}}
LOOKAROUND = {"type": "function", "function": {
    "name": "lookup", "description": "Look up a product code",
    "parameters": {"type": "object", "properties": {
        "code": {"type": "string", "pattern": "^(?=[A-Z])[A-Z0-9]{4}$"}}, "required": ["code"]}}}
USER = [{"role": "user", "content": "Book me a business flight: Ann, 34, two bags."}]


def forced(tool: dict, seed: int | None = None, temperature: float = 1.0, max_tokens: int = 400) -> ChatRequest:
    choice = {"type": "function", "function": {"name": tool["function"]["name"]}}
    sampling = SamplingParams(max_tokens=max_tokens, temperature=temperature, seed=seed)
    return ChatRequest(USER, tools=[tool], tool_choice=choice, sampling=sampling)


def assert_valid_call(result, tool: dict) -> None:
    assert result.finish_reason == "tool_calls", result.raw_text
    [call] = result.tool_calls
    assert call.name == tool["function"]["name"]
    Draft202012Validator(tool["function"]["parameters"]).validate(call.arguments)


def record_schemas(monkeypatch, generator) -> list:
    """The schema of each generation the generator runs from now on (None: free text)."""
    schemas: list = []
    generate = generator.generate

    def recording(prompt, params, json_schema, cancel):
        schemas.append(json_schema)
        return generate(prompt, params, json_schema, cancel)

    monkeypatch.setattr(generator, "generate", recording)
    return schemas


def assert_declared_keys_only(arguments: dict) -> None:
    assert set(arguments) <= {"cabin", "passenger", "bags", "window"}
    assert set(arguments["passenger"]) <= {"name", "age"}


# -- a tiny random model: fast ------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_engine(tmp_path_factory):
    from training.toy import byte_tokenizer, make_tiny_llama

    folder = make_tiny_llama(tmp_path_factory.mktemp("tiny-llama") / "model", byte_tokenizer())
    engine = load_engine(str(folder), None, EngineConfig(engine="transformers", device="cpu", n_ctx=2048,
                                                          tool_decision="model"))
    yield engine
    engine.close()


def test_the_transformers_generator_builds_grammars(tiny_engine):
    assert tiny_engine.generator.supports_json_schema
    assert tiny_engine.constrains_calls()
    assert tiny_engine._name_prefill(forced(BOOKING)) == ""  # the grammar writes the name


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_forced_call_sampled_from_a_random_model_parses_and_validates(tiny_engine, seed, monkeypatch):
    schemas = record_schemas(monkeypatch, tiny_engine.generator)
    result = tiny_engine.chat(forced(BOOKING, seed))
    assert len(schemas) == 1  # valid at the first sample: the engine had nothing to draw again
    assert_valid_call(result, BOOKING)
    assert_declared_keys_only(result.tool_calls[0].arguments)
    assert result.raw_text.endswith("}")  # generation ends as soon as the JSON is whole


def test_greedy_decoding_under_the_grammar_is_repeatable(tiny_engine):
    first = tiny_engine.chat(forced(BOOKING, temperature=0))
    again = tiny_engine.chat(forced(BOOKING, temperature=0))
    assert_valid_call(first, BOOKING)
    assert first.tool_calls[0].arguments == again.tool_calls[0].arguments


def test_a_call_opened_in_auto_mode_is_decoded_under_the_tools_grammar(tiny_engine, monkeypatch):
    schemas = record_schemas(monkeypatch, tiny_engine.generator)
    monkeypatch.setattr(tiny_engine, "call_threshold", 0.0)  # the calibrated decision: always open a call
    request = ChatRequest(USER, tools=[BOOKING], sampling=SamplingParams(max_tokens=300, temperature=1.0, seed=5))
    result = tiny_engine.chat(request)
    call = result.tool_calls[0]
    assert call.name == "book_flight"
    Draft202012Validator(BOOKING["function"]["parameters"]).validate(call.arguments)
    assert schemas[0]["properties"]["name"] == {"const": "book_flight"}  # the call phase had the grammar
    assert all(schema is None for schema in schemas[1:])  # and the text after it was free


def test_a_schema_llguidance_refuses_is_a_grammar_error(tiny_engine):
    with pytest.raises(GrammarError, match="llguidance"):
        tiny_engine.generator.prepare_schema(LOOKAROUND["function"]["parameters"])
    with pytest.raises(GrammarError):
        tiny_engine.generator.prepare_schema({"type": "integer", "minimum": "zero"})


def test_keywords_llguidance_lacks_are_ignored_not_refused(tiny_engine):
    tiny_engine.generator.prepare_schema({"type": "array", "items": {"type": "integer"}, "uniqueItems": True})


def test_a_refused_schema_falls_back_to_the_tools_keys(tiny_engine, caplog):
    assert tiny_engine.call_schema([LOOKAROUND]) == loose_call_schema([LOOKAROUND])
    assert "decoding their keys only" in caplog.text


def test_grammars_are_cached_and_bounded(tiny_engine):
    from model.engines.hf_grammar import MAX_GRAMMARS, SchemaGrammars

    grammars = SchemaGrammars(tiny_engine.generator.tokenizer)
    schemas = [{"type": "integer", "maximum": limit} for limit in range(MAX_GRAMMARS + 1)]
    first = grammars.compile(schemas[0])
    assert grammars.compile(dict(schemas[0])) is first
    for schema in schemas[1:]:
        grammars.compile(schema)
    assert grammars.compile(schemas[-1]) is grammars.compile(schemas[-1])
    assert grammars.compile(schemas[0]) is not first  # the oldest went first


def test_declared_properties_only_leaves_all_of_and_open_objects_alone():
    from model.engines.hf_grammar import declared_properties_only

    closed = declared_properties_only({"type": "object", "properties": {"a": {"type": "object", "properties": {}}}})
    assert closed["additionalProperties"] is False
    assert closed["properties"]["a"]["additionalProperties"] is False
    for schema in ({"type": "object", "properties": {"a": {}}, "additionalProperties": True},
                   {"type": "object", "properties": {"a": {}}, "patternProperties": {"^x": {}}},
                   {"allOf": [{"properties": {"a": {}}}, {"properties": {"b": {}}}]},
                   {"type": "object", "properties": {"a": {}}, "required": ["a", "b"]},
                   {"type": "object"}):
        assert declared_properties_only(schema) == schema


@pytest.mark.parametrize("text, allowed", [
    ("a < b and 北京", True), ("x<5", True), ('say "hi"\nbye', True), ("}}\n</tool_call>\n<tool_call>\n{", False),
    ("<tool_call>", False), ("end<|im_end|>", False), ("</s>", False), ("<start_of_turn>user", False),
])
def test_argument_strings_cannot_carry_call_tags_or_special_tokens(tiny_engine, text, allowed):
    schema = {"type": "object", "properties": {"a": {"type": "string", "maxLength": 64}}, "required": ["a"]}
    matcher = tiny_engine.generator.prepare_schema(schema)._matcher.deep_copy()
    tokenizer = tiny_engine.generator.tokenizer
    ids = tokenizer(json.dumps({"a": text}, ensure_ascii=False), add_special_tokens=False)["input_ids"]
    assert (all(matcher.consume_token(token) for token in ids) and matcher.is_accepting()) is allowed


def direct_logprob(generator, prompt: str, continuation: str) -> float:
    """The same score the slow way: the full logits of prompt + continuation, one token at a time."""
    import torch

    prompt_ids, extra = generator._ids(prompt), generator._ids(continuation)
    with torch.no_grad():
        logits = generator.model(input_ids=torch.tensor([prompt_ids + extra])).logits[0].double()
    total = 0.0
    for index, token in enumerate(extra):
        total += float(torch.log_softmax(logits[len(prompt_ids) - 1 + index], dim=-1)[token])
    return total


def test_continuation_logprob_is_the_sum_of_the_tokens_log_softmax(tiny_engine):
    generator = tiny_engine.generator
    prompt = tiny_engine.render_prompt(ChatRequest(USER, tools=[BOOKING]))
    score = generator.continuation_logprob(prompt, "<tool_call>")
    assert score == pytest.approx(direct_logprob(generator, prompt, "<tool_call>"), abs=1e-4)
    assert generator.continuation_logprob(prompt, "") == 0.0
    first = generator.next_token_logprobs(prompt, ["<"])["<"]
    assert first == pytest.approx(direct_logprob(generator, prompt, "<"), abs=1e-4)
    assert 0 < tiny_engine.call_probability(ChatRequest(USER, tools=[BOOKING])) == pytest.approx(math.exp(score))


# -- the bundled model (SmolLM2-135M) through transformers: slow ------------------------------

@pytest.fixture(scope="module")
def bundled_hf():
    engine = load_engine("bundled", None, EngineConfig(engine="transformers", n_ctx=2048, tool_decision="model"))
    yield engine
    engine.close()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bundled_forced_call_at_temperature_one_parses_and_validates(bundled_hf, seed, monkeypatch):
    schemas = record_schemas(monkeypatch, bundled_hf.generator)
    result = bundled_hf.chat(forced(BOOKING, seed, max_tokens=160))
    assert len(schemas) == 1  # valid at the first sample
    assert_valid_call(result, BOOKING)
    assert_declared_keys_only(result.tool_calls[0].arguments)


@pytest.mark.slow
def test_bundled_call_opened_in_auto_mode_parses(bundled_hf, monkeypatch):
    monkeypatch.setattr(bundled_hf, "call_threshold", 0.0)
    request = ChatRequest(USER, tools=[BOOKING], sampling=SamplingParams(max_tokens=120, temperature=0))
    result = bundled_hf.chat(request)
    assert result.tool_calls, result.raw_text
    Draft202012Validator(BOOKING["function"]["parameters"]).validate(result.tool_calls[0].arguments)
    assert result.raw_text.startswith("<tool_call>\n{")


@pytest.mark.slow
def test_bundled_forced_call_with_a_refused_pattern_still_comes_back_as_a_call(bundled_hf):
    request = ChatRequest([{"role": "user", "content": "Look up product code AB12."}], tools=[LOOKAROUND],
                          tool_choice="required", sampling=SamplingParams(max_tokens=80, temperature=0))
    result = bundled_hf.chat(request)
    assert result.finish_reason == "tool_calls", result.raw_text
    assert result.tool_calls[0].name == "lookup" and set(result.tool_calls[0].arguments) == {"code"}


@pytest.mark.slow
def test_bundled_continuation_logprob_matches_the_direct_computation(bundled_hf):
    generator = bundled_hf.generator
    prompt = bundled_hf.render_prompt(ChatRequest(USER, tools=[BOOKING]))
    for continuation in ("<tool_call>", "Sure, I can book that."):
        expected = direct_logprob(generator, prompt, continuation)
        # a sum over the continuation's tokens: float32 rounding differs a little from one CPU's kernels to another's
        assert generator.continuation_logprob(prompt, continuation) == pytest.approx(expected, abs=1e-3)
    logprobs = generator.next_token_logprobs(prompt, ["<", "Sure"])
    for candidate, logprob in logprobs.items():  # a candidate's first token only
        first = generator.tokenizer.decode(generator._ids(candidate)[:1])
        assert isinstance(logprob, float)
        assert logprob == pytest.approx(direct_logprob(generator, prompt, first), abs=1e-4)
