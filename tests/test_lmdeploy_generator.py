"""The LMDeploy generator's tool-call plumbing, with a fake pipeline at the LMDeploy boundary (the
engine itself needs a CUDA GPU: bench/lmdeploy_calls.py checks it there): a forced call goes
through LMDeploy's guided decoding (`response_format`, an xgrammar structural tag that bounds
whitespace), its schema rewritten where xgrammar would read it otherwise, and checked with
xgrammar first where xgrammar is installed."""
from __future__ import annotations

import json
import sys
import threading
import types
from dataclasses import dataclass

import pytest

from model.engines.lmdeploy_backend import BOUNDED_ANY, LMDeployGenerator, for_xgrammar, response_format
from model.errors import GrammarError
from model.types import SamplingParams


class CharTokenizer:
    """One token per character of "abcdef"."""

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": ["abcdef".index(ch) for ch in text]}


def generator(pipe=None) -> LMDeployGenerator:
    made = LMDeployGenerator.__new__(LMDeployGenerator)  # no engine: the pipeline is the fake
    made.pipe, made.tokenizer, made.n_ctx, made.stop = pipe, CharTokenizer(), 4096, []
    made.repeat_penalty, made._checked = 1.0, set()
    return made


@dataclass
class FakeResponse:
    text: str
    generate_token_len: int
    finish_reason: str | None = None


class StreamPipe:
    def __init__(self, pieces: list[str]):
        self.pieces, self.configs = pieces, []

    def stream_infer(self, prompt, gen_config, do_preprocess):
        self.configs.append(gen_config)
        for index, piece in enumerate(self.pieces):
            yield FakeResponse(piece, index + 1, "stop" if index == len(self.pieces) - 1 else None)


@pytest.fixture
def fake_lmdeploy(monkeypatch):
    module = types.ModuleType("lmdeploy")
    module.GenerationConfig = lambda **options: options
    monkeypatch.setitem(sys.modules, "lmdeploy", module)


def test_a_schema_reaches_lmdeploy_as_its_response_format(fake_lmdeploy):
    pipe = StreamPipe(['{"name": "f", ', '"arguments": {}}'])
    made = generator(pipe)
    made.repeat_penalty = 1.1
    schema = {"type": "object", "properties": {"name": {"const": "f"}}}
    chunks = made.generate("p", SamplingParams(max_tokens=20, temperature=0.5), schema, threading.Event())
    text = "".join(chunk.text for chunk in chunks)

    assert text == '{"name": "f", "arguments": {}}'
    config = pipe.configs[0]
    assert config["response_format"] == response_format(schema)
    assert config["response_format"]["format"]["json_schema"] == schema
    assert config["repetition_penalty"] == 1.1 and config["do_sample"] is True
    list(made.generate("p", SamplingParams(max_tokens=20), None, threading.Event()))
    assert pipe.configs[1]["response_format"] is None


def test_prepare_schema_refuses_what_xgrammar_cannot_compile():
    pytest.importorskip("xgrammar")
    made = generator()
    made.prepare_schema({"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}})
    with pytest.raises(GrammarError, match="xgrammar"):
        made.prepare_schema({"type": "object", "properties": {"s": {"type": "banana"}}})


def test_the_call_grammar_bounds_whitespace_and_string_length():
    xgrammar = pytest.importorskip("xgrammar")
    from transformers import PreTrainedTokenizerFast
    from tokenizers import Tokenizer, models, pre_tokenizers

    inner = Tokenizer(models.WordLevel({chr(code): code - 32 for code in range(32, 127)} | {"\n": 95}, unk_token="?"))
    inner.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=inner)
    compiler = xgrammar.GrammarCompiler(xgrammar.TokenizerInfo.from_huggingface(tokenizer, vocab_size=96))
    schema = {"type": "object", "properties": {"name": {"const": "calc"}, "arguments": {
        "type": "object", "properties": {"expression": {"type": "string", "maxLength": 12}},
        "required": ["expression"]}},
        "required": ["name", "arguments"]}
    grammar = compiler.compile_structural_tag(json.dumps(response_format(schema)))

    def accepts(text: str) -> bool:
        return xgrammar.GrammarMatcher(grammar).accept_string(text)

    assert accepts('{"name": "calc", "arguments": {"expression": "17 * 23"}}')
    assert not accepts('{"name":  "calc", "arguments": {"expression": "1"}}')  # a run of whitespace
    assert not accepts('{"name": "calc", "arguments": {"expression": "1 + 2 + 3 + 4 + 5"}}')  # over maxLength


def test_schemas_are_rewritten_for_xgrammar_without_changing_what_they_accept():
    schema = {"type": "object", "properties": {
        "id": {"type": "integer"},
        "contact": {"type": "object", "properties": {"email": {"type": "string", "format": "email", "maxLength": 64}},
                    "required": ["email", "phone"]}},
        "required": ["id", "label"]}
    rewritten = for_xgrammar(schema)

    assert rewritten["properties"]["label"] == BOUNDED_ANY  # required but undeclared: now declared
    contact = rewritten["properties"]["contact"]
    assert contact["properties"]["phone"] == BOUNDED_ANY
    assert contact["properties"]["email"] == {"type": "string", "maxLength": 64}  # the length bound holds
    assert schema["properties"]["contact"]["properties"]["email"]["format"] == "email"  # the original is kept
    assert for_xgrammar({"type": "string", "format": "date"}) == {"type": "string", "format": "date"}
