"""Converters of public sets into conversations: hand-written fixtures in CI, real data when
../shared/data is present."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.converters import api_bank, glaive, refuse_eval_data, seal_tools
from training.converters.public import convert_public_sets
from training.errors import TrainingError

FIXTURES = Path(__file__).parent / "fixtures" / "training"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is absent")


def _arguments(call: dict) -> dict:
    return json.loads(call["function"]["arguments"])


# ---- fixtures -------------------------------------------------------------------------------
def test_glaive_fixture():
    result = glaive.convert(FIXTURES / "sharegpt.json", name="demo")
    assert [c.id for c in result.conversations] == ["demo-0", "demo-1", "demo-2"]
    assert all(c.source == "demo" for c in result.conversations)
    assert result.notes["records left out"] == 1
    assert "an observation without a preceding function_call" in str(result.problems[0])


def test_seal_tools_fixture():
    result = seal_tools.convert(FIXTURES / "seal_tools", distractors=2, seed=1)
    by_id = {c.id: c for c in result.conversations}
    assert sorted(by_id) == ["dev-difficult-1", "dev-difficult-2", "dev-easy-0"]
    easy = by_id["dev-easy-0"]
    assert easy.messages[0] == {"role": "user", "content": "Tell me the water quality of the lake."}
    assert [(c["function"]["name"], _arguments(c)) for c in easy.calls()] == [("getWaterQuality", {"location": "lake"})]
    assert len(easy.tools) == 3 and "getWaterQuality" in easy.tool_names()
    parallel = by_id["dev-difficult-1"]
    assert [_arguments(c) for c in parallel.calls()] == [{"city": "Lyon", "year": 2020}, {"city": "Lyon"}]
    # the second translation needs the first one's output: the example ends at the first call
    dependent = by_id["dev-difficult-2"]
    assert [_arguments(c) for c in dependent.calls()] == [{"text": "hello", "target": "French"}]
    assert result.notes["dependent calls left out"] == 1
    assert result.notes["records left out"] == 1 and "noSuchApi" in str(result.problems[0])
    population = next(t for t in parallel.tools if t["function"]["name"] == "getPopulation")["function"]
    assert population["parameters"]["properties"]["year"]["type"] == "integer"
    assert population["parameters"]["required"] == ["city"]
    assert all(not [p for p in c.validate() if p.severity == "error"] for c in result.conversations)


def test_seal_tools_is_deterministic_and_can_add_irrelevance_examples():
    first = seal_tools.convert(FIXTURES / "seal_tools", distractors=2, seed=3)
    second = seal_tools.convert(FIXTURES / "seal_tools", distractors=2, seed=3)
    assert [c.to_record() for c in first.conversations] == [c.to_record() for c in second.conversations]
    with_negatives = seal_tools.convert(FIXTURES / "seal_tools", distractors=2, irrelevant_share=1.0)
    negatives = [c for c in with_negatives.conversations if c.id.endswith("-irrelevant")]
    assert len(negatives) == 3
    for negative in negatives:
        assert not negative.calls() and negative.messages[-1]["content"] == seal_tools.NO_TOOL_REPLY
        gold = next(c for c in with_negatives.conversations if c.id == negative.id.removesuffix("-irrelevant"))
        assert not {c["function"]["name"] for c in gold.calls()} & set(negative.tool_names())


def test_seal_tools_refuses_test_splits():
    with pytest.raises(TrainingError, match="evaluation data"):
        seal_tools.convert(FIXTURES / "seal_tools", split="test_in_domain")


def test_refuse_bfcl(tmp_path):
    with pytest.raises(TrainingError, match="evaluation data"):
        refuse_eval_data(tmp_path / "bfcl" / "simple_python.json")


def test_api_bank_fixture():
    result = api_bank.convert(FIXTURES / "api_bank", distractors=1)
    by_id = {c.id: c for c in result.conversations}
    assert sorted(by_id) == ["AddAgenda-GetUserToken-level-1-1", "BookHotel-level-1-1"]
    agenda = by_id["AddAgenda-GetUserToken-level-1-1"]
    roles = [(m["role"], bool(m.get("tool_calls"))) for m in agenda.messages]
    assert roles == [("user", False), ("assistant", False), ("user", False), ("assistant", True), ("tool", False),
                     ("assistant", True), ("tool", False), ("assistant", False)]
    announced = agenda.messages[5]
    assert announced["content"] == "Got your token. Now let me add the agenda."
    assert announced["tool_calls"][0]["function"]["name"] == "AddAgenda"
    assert agenda.messages[4]["content"] == '{"token": "t0k"}' and agenda.messages[6]["content"] == "success"
    assert agenda.messages[-1]["content"] == "Done.\nAnything else?"  # joined; the closing user turn dropped
    assert {"GetUserToken", "AddAgenda"} <= set(agenda.tool_names()) and len(agenda.tools) == 3
    assert not agenda.validate()
    hotel = by_id["BookHotel-level-1-1"]
    assert _arguments(hotel.calls()[0]) == {"hotel_name": "Hilton", "room_count": 1}  # typed, not "1"
    problems = {Path(p.location.split(":")[0]).stem: p.message for p in result.problems}
    assert problems == {
        "Empty-level-1-1": "an empty dialogue",
        "TimedSwitch-level-1-1": "TimedSwitch gets argument(s) its schema does not declare: device_id",
        "Wiki-level-1-1": "a call written into the AI text as [Name(...)]",
    }


def test_convert_public_sets_on_an_empty_folder(tmp_path):
    assert convert_public_sets(tmp_path) == []


# ---- the real data --------------------------------------------------------------------------
@needs_shared
def test_real_public_sets():
    results = {r.name: r for r in convert_public_sets(SHARED)}
    counts = {name: len(r.conversations) for name, r in results.items()}
    assert counts == {"glaive_toolcall_en_demo": 300, "glaive_toolcall_zh_demo": 298,
                      "seal_tools_dev": 700, "api_bank_level1": 203}
    with_calls = {name: sum(bool(c.calls()) for c in r.conversations) for name, r in results.items()}
    assert with_calls == {"glaive_toolcall_en_demo": 153, "glaive_toolcall_zh_demo": 157,
                          "seal_tools_dev": 700, "api_bank_level1": 203}
    assert results["seal_tools_dev"].notes["examples cut to their first wave"] == 27
    held_out = {r.name for r in convert_public_sets(SHARED, held_out=["api_bank"])}
    assert held_out == set(results) - {"api_bank_level1"}
    with pytest.raises(ValueError, match="unknown public source"):
        convert_public_sets(SHARED, held_out=["bfcl"])
    for result in results.values():
        for conversation in result.conversations:
            assert not [p for p in conversation.validate() if p.severity == "error"], conversation.id
            assert set(c["function"]["name"] for c in conversation.calls()) <= set(conversation.tool_names())
