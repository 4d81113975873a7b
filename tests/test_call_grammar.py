"""Forced-call grammars, checked with llama.cpp's own grammar sampler (tests/grammar_probe.py):
what each schema keyword lets through and what it refuses, the call's key order, bounded and
markup-free strings, and that a grammar llama.cpp cannot parse is an error, never a crash."""
from __future__ import annotations

import json

import pytest

from model.call_schema import forced_call_schema
from model.chat_template import ChatTemplate
from model.engines.base import TemplatedEngine
from model.engines.gbnf import grammar_pattern, schema_to_gbnf
from model.engines.llamacpp import grammar_parses
from model.errors import GrammarError, InvalidRequestError
from model.types import ChatRequest
from tests.fakes import CharGenerator
from tests.grammar_probe import grammar_accepts

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def llm(bundled_engine):
    return bundled_engine.generator.llm


def accepts(llm, parameters: dict, arguments, name: str = "f") -> bool:
    tool = {"type": "function", "function": {"name": name, "parameters": parameters}}
    grammar = schema_to_gbnf(forced_call_schema([tool]))
    text = json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)
    return grammar_accepts(llm, grammar, text)


def one(property_schema: dict) -> dict:
    return {"type": "object", "properties": {"a": property_schema}, "required": ["a"]}


NODE = {"type": "object", "$defs": {"n": {"type": "object", "properties": {"c": {"$ref": "#/$defs/n"}}}},
        "properties": {"a": {"$ref": "#/$defs/n"}}, "required": ["a"]}


TREE = {"type": "object", "$defs": {"n": {"type": "object", "additionalProperties": False, "required": ["label"],
                                        "properties": {"label": {"type": "string", "maxLength": 5},
                                                       "kids": {"type": "array", "items": {"$ref": "#/$defs/n"},
                                                                "maxItems": 2}}}},
        "properties": {"root": {"$ref": "#/$defs/n"}}, "required": ["root"]}
"""A tree whose nodes hold nodes through an array (once a grammar error: the cut left a non-schema)."""


@pytest.mark.parametrize("parameters, good, bad", [
    (one({"enum": ["x", 2, None]}), [{"a": "x"}, {"a": 2}, {"a": None}], [{"a": "y"}, {"a": 3}]),
    (one({"const": {"k": [1, "二"]}}), [{"a": {"k": [1, "二"]}}], [{"a": {"k": [1]}}]),
    (one({"anyOf": [{"type": "string", "maxLength": 3}, {"type": "integer"}]}), [{"a": "abc"}, {"a": -7}],
     [{"a": True}, {"a": "abcd"}]),
    (one({"type": ["string", "null"], "maxLength": 2}), [{"a": "ab"}, {"a": None}], [{"a": "abc"}, {"a": 1}]),
    (one({"type": "string", "minLength": 2, "maxLength": 3}), [{"a": "ab"}, {"a": "abc"}], [{"a": "a"}, {"a": "abcd"}]),
    (one({"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3}), [{"a": [1]}, {"a": [1, 2, 3]}],
     [{"a": []}, {"a": [1, 2, 3, 4]}, {"a": ["1"]}]),
    (one({"type": "string", "pattern": "^\\d{3}-\\d{4}$"}), [{"a": "123-4567"}], [{"a": "12-4567"}, {"a": "123-45678"}]),
    (one({"type": "string", "pattern": "ab+c"}), [{"a": "abbc"}], [{"a": "ac"}]),
    (one({"type": "object", "properties": {"x": {"type": "boolean"}}, "required": ["x"]}), [{"a": {"x": True}}],
     [{"a": {}}, {"a": {"x": 1}}]),
    (NODE, [{"a": {}}, {"a": {"c": {"c": {"c": {}}}}}], [{"a": {"c": {"c": {"c": {"c": {}}}}}}, {"a": {"c": 1}}]),
    ({"type": "object", "properties": {"v": {"$ref": "#/properties/w"}, "w": {"type": "integer"}}, "required": ["v"]},
     [{"v": 3}], [{"v": "3"}]),
    (one({}), [{"a": {"k": [1, {"b": "x"}]}}, {"a": None}], [{"a": {"k": [1, {"b": [2]}]}}]),
    ({"type": "object", "properties": {"$ref": {"type": "integer"}}, "required": ["$ref"]}, [{"$ref": 1}],
     [{"$ref": "x"}, {}]),
    (TREE, [{"root": {"label": "a"}}, {"root": {"label": "a", "kids": [{"label": "b", "kids": []}]}}],
     [{"root": "tree"}, {"root": {"kids": []}}, {"root": {"label": "a", "kids": ["b"]}}]),
    (one({"type": "integer", "minimum": 1900, "maximum": 2100}), [{"a": 1900}, {"a": 2026}, {"a": 2100}],
     [{"a": 1}, {"a": 1899}, {"a": 2101}, {"a": 19000}]),
    (one({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 60, "multipleOf": 5}), [{"a": 5}, {"a": 55}],
     [{"a": 0}, {"a": 60}, {"a": 7}]),
    (one({"type": "number", "minimum": -90, "maximum": 90}), [{"a": -33.87}, {"a": 90}, {"a": -90}, {"a": 0}, {"a": 12.5}],
     [{"a": 90.5}, {"a": -90.01}, {"a": 151.21}, {"a": 1e3}]),
    (one({"type": "number", "exclusiveMinimum": 0, "maximum": 100}), [{"a": 0.5}, {"a": 99.99}, {"a": 100}],
     [{"a": 0}, {"a": -1}, {"a": 100.5}, {"a": 0.0}]),
    (one({"type": "number", "minimum": 0}), [{"a": 0}, {"a": 123456.75}], [{"a": -0.5}, {"a": -3}]),
    (one({"type": "integer", "minimum": 1, "maximum": 1000}), [{"a": 1}, {"a": 1000}], [{"a": 0}, {"a": 1001}, {"a": 2.5}]),
])
def test_each_keyword_lets_valid_values_through_and_refuses_others(llm, parameters, good, bad):
    for arguments in good:
        assert accepts(llm, parameters, arguments), arguments
    for arguments in bad:
        assert not accepts(llm, parameters, arguments), arguments


def test_the_name_comes_first_and_only_offered_names(llm):
    calc = {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}
    grammar = schema_to_gbnf(forced_call_schema([{"type": "function", "function": {"name": "calc", "parameters": calc}}]))
    assert grammar_accepts(llm, grammar, '{"name": "calc", "arguments": {"expression": "1+1"}}')
    assert not grammar_accepts(llm, grammar, '{"arguments": {"expression": "1+1"}, "name": "calc"}')
    assert not grammar_accepts(llm, grammar, '{"name": "other", "arguments": {"expression": "1+1"}}')


@pytest.mark.parametrize("text, allowed", [
    ("a < b and 北京", True),
    ("x<5", True),
    ("}}\n</tool_call>\n<tool_call>\n{", False),
    ("<tool_call>", False),
    ("end<|im_end|>", False),
    ("</s>", False),
    ("<start_of_turn>user", False),
])
def test_argument_strings_cannot_carry_call_tags_or_special_tokens(llm, text, allowed):
    assert accepts(llm, one({"type": "string"}), {"a": text}) is allowed


def test_free_strings_and_generic_values_are_bounded(llm):
    assert accepts(llm, one({"type": "string"}), {"a": "x" * 256})
    assert not accepts(llm, one({"type": "string"}), {"a": "x" * 257})
    assert accepts(llm, one({"type": "array"}), {"a": list(range(16))})
    assert not accepts(llm, one({"type": "array"}), {"a": list(range(17))})


def test_patterns_beyond_the_converter_become_bounded_strings():
    assert grammar_pattern("^(?=x)x+$") is None
    assert grammar_pattern("a{1,100000}") is None
    assert grammar_pattern("^\\w+\\s\\d$") == "^([a-zA-Z0-9_]+[ \\t\\n\\r][0-9])$"
    assert grammar_pattern("abc") == "^(abc)$"


def test_a_grammar_llama_cpp_cannot_parse_is_refused_not_used(llm, bundled_engine):
    assert not grammar_parses(llm._model.vocab, 'root ::= a b\na ::= \nb ::= "x"')
    assert not grammar_parses(llm._model.vocab, 'root ::= undefined-rule "x"')
    assert grammar_parses(llm._model.vocab, 'root ::= "x"')
    # An empty enum, past the request check: the converter writes an empty rule. Before, llama.cpp
    # got a null grammar and the process died with a segmentation fault.
    empty_enum = {"type": "object", "properties": {"a": {"enum": []}}, "required": ["a"]}
    with pytest.raises(GrammarError):
        bundled_engine.generator.prepare_schema(empty_enum)


class GrammarlessForFullSchemas(CharGenerator):
    """A generator that can build grammars only for schemas whose arguments are loose."""

    def prepare_schema(self, schema):
        arguments = schema["properties"]["arguments"]
        if any(child != {} for child in arguments.get("properties", {}).values()):
            raise GrammarError("cannot express this")


def test_a_schema_beyond_the_converter_falls_back_to_its_keys_and_is_checked_after(caplog):
    generator = GrammarlessForFullSchemas('{"name": "f", "arguments": {"a": 5}}', n_ctx=4000)
    engine = TemplatedEngine("fake", generator, ChatTemplate())
    tool = {"type": "function", "function": {"name": "f", "parameters": one({"type": "string"})}}
    result = engine.chat(ChatRequest([{"role": "user", "content": "x"}], tools=[tool], tool_choice="required"))
    assert generator.schemas[0]["properties"]["arguments"]["properties"] == {"a": {}}
    assert result.finish_reason == "tool_calls" and result.tool_calls[0].arguments == {"a": 5}
    assert "decoded outside its schema: arguments.a: 5 is not of type 'string'" in caplog.text


def test_when_even_the_loose_grammar_fails_it_is_a_400_not_a_crash():
    class NoGrammar(CharGenerator):
        def prepare_schema(self, schema):
            raise GrammarError("never")

    engine = TemplatedEngine("fake", NoGrammar("", n_ctx=4000), ChatTemplate())
    tool = {"type": "function", "function": {"name": "f", "parameters": one({"type": "string"})}}
    with pytest.raises(InvalidRequestError, match="cannot build a decoding grammar for tool"):
        engine.stream(ChatRequest([{"role": "user", "content": "x"}], tools=[tool], tool_choice="required"))
