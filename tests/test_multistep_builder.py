"""The multi-step builder (training/converters/multistep.py): two tools chained across turns, the
second call computing on a number read from the first observation; no held-out wording or entity."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.test_compose import any_of, entities, mentioned, request_templates
from tools.scenarios import TOOL_NAMES, Observer
from tools.scenarios import phrasings as P
from tools.scenarios import test_phrasings as X
from tools.scenarios import val_phrasings as V
from tools.scenarios.compose import NearCopies
from tools.scenarios.generate import quoted_value
from training.config import ConfigError, TrainConfig
from training.conversation import cjk_share
from training.converters import multistep as M
from training.converters.multistep import convert_multistep

COUNT = 120
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d[\d,]*(?:\.\d+)?")


@pytest.fixture(scope="module")
def observer() -> Observer:
    return Observer()


@pytest.fixture(scope="module")
def built(observer):
    return convert_multistep(COUNT, seed=0, observer=observer)


@pytest.fixture(scope="module")
def held_templates() -> set[str]:
    return request_templates(P, legacy_only=True) | request_templates(V) | request_templates(X)


@pytest.fixture(scope="module")
def held_entities() -> set[str]:
    return entities(P, legacy_only=True) | entities(V) | entities(X)


def numbers(text: str) -> set[float]:
    return {float(match.replace(",", "")) for match in _NUMBER.findall(text)}


def top_hit(observation: str) -> str:
    """The first passage, search result or page of a canned observation (not the distractor)."""
    body = observation.split(">>>\n", 1)[1].rsplit("\n<<<END", 1)[0]
    return re.split(r"\n\n(?:\[2\]|2\.) ", body)[0]


def calls(conversation) -> list[tuple[str, dict]]:
    return [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in conversation.calls()]


# ---- shape -----------------------------------------------------------------------------------
def test_conversations_validate_and_have_the_two_step_shape(built):
    assert len(built.conversations) == COUNT
    for conversation in built.conversations:
        assert conversation.validate() == [], (conversation.id, conversation.validate())
        roles = [m["role"] for m in conversation.messages]
        assert roles == ["user", "assistant", "tool", "assistant", "tool", "assistant"], conversation.id
        (first, _), (second, _) = calls(conversation)
        assert first in M.CHAINS and second == "calculator"
        assert conversation.messages[-1]["content"] and not conversation.messages[-1].get("tool_calls")
        # one call per turn, each answered by its own tool message
        for turn, result in ((1, 2), (3, 4)):
            (call,) = conversation.messages[turn]["tool_calls"]
            assert conversation.messages[result]["tool_call_id"] == call["id"]
            assert conversation.messages[result]["name"] == call["function"]["name"]


def test_tools_offered_are_all_five_or_the_two_needed_plus_one(built):
    all_five = 0
    for conversation in built.conversations:
        names = conversation.tool_names()
        needed = {calls(conversation)[0][0], "calculator"}
        assert needed <= set(names) and set(names) <= set(TOOL_NAMES) and len(set(names)) == len(names)
        if names == list(TOOL_NAMES):
            all_five += 1
        else:
            assert len(names) == 3, names
        assert all(tool["function"]["parameters"] for tool in conversation.tools)  # the registry's schemas
    assert 0.3 * COUNT < all_five < 0.7 * COUNT
    assert all(len(c.tool_names()) == 5 for c in convert_multistep(6, all_tools_share=1.0).conversations)
    assert all(len(c.tool_names()) == 3 for c in convert_multistep(6, all_tools_share=0.0).conversations)


def test_chains_and_languages_are_balanced(built):
    languages = Counter("zh" if cjk_share(c.messages[0]["content"]) > 0.3 else "en" for c in built.conversations)
    assert languages == {"en": COUNT // 2, "zh": COUNT // 2}
    for conversation in built.conversations:  # the id's language is the request's
        language = "zh" if cjk_share(conversation.messages[0]["content"]) > 0.3 else "en"
        assert f"-{language}-" in conversation.id
        assert (cjk_share(conversation.messages[-1]["content"]) > 0.3) == (language == "zh")
    chains = Counter((calls(c)[0][0], c.id.split("-")[2]) for c in built.conversations)
    assert set(chains.values()) == {COUNT // 6} and len(chains) == 6


# ---- the chain -------------------------------------------------------------------------------
def test_the_second_call_uses_the_number_from_the_first_observation(built):
    for conversation in built.conversations:
        request = conversation.messages[0]["content"]
        observation = conversation.messages[2]["content"]
        expression = calls(conversation)[1][1]["expression"]
        found = numbers(top_hit(observation))
        used = numbers(expression) & found
        assert used, (conversation.id, expression, top_hit(observation))
        # the figure came from the observation: the request does not hold it
        assert not used & numbers(request), (conversation.id, request, expression)


def test_first_calls_ask_for_what_the_request_names(built):
    for conversation in built.conversations:
        request = conversation.messages[0]["content"]
        name, arguments = calls(conversation)[0]
        if name == "fetch_url":
            assert arguments["url"] in request and arguments["url"] in conversation.messages[2]["content"]
        elif name == "web_search":
            assert arguments["query"] in request
        else:  # "<project> <attribute>"
            assert all(part in request for part in arguments["query"].split(" ", 1))


def test_calculator_observations_are_the_real_calculators_and_answers_quote_them(built, observer):
    for conversation in built.conversations:
        _, arguments = calls(conversation)[1]
        real = observer.registry.call("calculator", arguments)
        assert real.ok and conversation.messages[4]["content"] == real.content
        assert quoted_value(real.content) in conversation.messages[-1]["content"], conversation.id


def test_every_figure_and_computation_works():
    """Every figure of the tables is in its own text, and every computation on it runs."""
    observer = Observer()
    for chain, tables in M.FIGURES.items():
        for language, figures in tables.items():
            for figure in figures:
                assert figure.number in figure.text, figure
                assert figure.kind in M.OPS, figure
                for op in M.OPS[figure.kind][language]:
                    values = {name: low for name, (low, _) in op.slots.items()}
                    result = observer.registry.call("calculator", {"expression": op.expression.format(**values, x=figure.operand)})
                    assert result.ok, (figure.name, op.expression, result.content)


def test_deterministic_for_count_and_seed(built):
    again = convert_multistep(COUNT, seed=0)
    assert [c.to_record() for c in again.conversations] == [c.to_record() for c in built.conversations]
    other = convert_multistep(COUNT, seed=1)
    assert [c.to_record() for c in other.conversations] != [c.to_record() for c in built.conversations]
    # combinations are not repeated while unused ones remain
    requests = [c.messages[0]["content"] for c in built.conversations]
    assert len(set(requests)) == len(requests)


# ---- held-out wording and entities ------------------------------------------------------------
def test_no_request_is_or_could_be_made_from_a_held_out_template(built, held_templates):
    assert len(held_templates) > 400
    from_held = any_of(held_templates)
    for conversation in built.conversations:
        request = conversation.messages[0]["content"]
        assert request not in held_templates and not from_held.fullmatch(request), request
    mine = M.request_templates()
    assert len(mine) > 500
    for template in mine:
        filled = template.format(p=15, n=4, k=8, v=60, y=2028, t=5)
        assert not from_held.fullmatch(filled), filled
    # and back: no held-out request could have been made from one of these wordings
    pattern = any_of(mine)
    bad = [held for held in held_templates if pattern.fullmatch(held)]
    assert not bad, bad[:5]


def test_no_request_is_a_near_copy_of_a_held_out_one(built, held_templates):
    near = NearCopies(held_templates)
    copies = [(c.messages[0]["content"], near.of(c.messages[0]["content"])) for c in built.conversations]
    assert not [pair for pair in copies if pair[1]], copies[:5]


def test_no_held_out_entity_appears_in_the_module_or_the_conversations(built, held_entities):
    assert len(held_entities) >= 60
    assert not mentioned(held_entities, Path(M.__file__).read_text(encoding="utf-8"))
    for conversation in built.conversations:
        text = conversation.text()  # every message and every call's arguments
        assert not mentioned(held_entities, text), (conversation.id, mentioned(held_entities, text))


def test_figures_are_the_modules_own():
    """No note project, web topic or page URL of another phrasing module (held-out or not)."""
    from tools.scenarios import train_phrasings as T

    others = entities(P) | entities(V) | entities(X) | {e.lower() for e in getattr(T, "PYTHON_WORDS", [])}
    mine = {figure.name.lower() for tables in M.FIGURES.values() for figures in tables.values() for figure in figures}
    assert not mine & others


# ---- wiring ------------------------------------------------------------------------------------
def test_data_build_writes_multistep_conversations(tmp_path):
    from agent_app.cli import main
    from training.check import check_file

    out = tmp_path / "multistep.jsonl"
    assert main(["data", "build", str(out), "--count", "0", "--multistep", "4"]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 4 and all(r["source"].startswith("lingxi_multistep:") for r in records)
    assert [len(r["messages"]) for r in records] == [6] * 4
    assert check_file(str(out), "auto").ok


def test_config_field_counts_as_training_data():
    from training.dataset import tool_use_examples

    config = TrainConfig(tool_use_multistep=6)
    config.check_inputs()  # training data enough on its own
    examples = tool_use_examples(config)
    assert len(examples) == 6 and all(e.source.startswith("lingxi_multistep:") for e in examples)
    with pytest.raises(ValueError, match="public_sets and tool_use are conversations"):
        TrainConfig(task="pretrain", tool_use_multistep=6)
    with pytest.raises(ConfigError, match="no training data"):
        TrainConfig().check_inputs()
