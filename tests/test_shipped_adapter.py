"""The shipped lingxi-tools adapter on the real bundled model (llama.cpp applies its GGUF LoRA).

Held-out requests (the test split of tools/scenarios, which training never saw): the tuned model
calls the calculator, in English and in Chinese, where the base model answers in prose. Skipped
where the adapter has not been shipped.
"""
from __future__ import annotations

import pytest

from model.spec import SHIPPED_ADAPTERS, SHIPPED_ADAPTERS_DIR, adapter_card
from model.types import ChatRequest, SamplingParams
from tools.scenarios import Observer, build_scenarios, tool_schemas

FOLDER = SHIPPED_ADAPTERS_DIR / SHIPPED_ADAPTERS["lingxi-tools"]
pytestmark = [pytest.mark.model,
              pytest.mark.skipif(not (FOLDER / "adapter.gguf").is_file(), reason="the adapter is not shipped here")]


def _engine(adapter: str):
    """The model deciding itself whether to call (what the adapter learnt; the calibrated decision
    on top of it is tests/test_call_decision.py's)."""
    from model.loader import EngineConfig, load_engine

    return load_engine("bundled", adapter, EngineConfig(n_threads=1, n_ctx=2048, tool_decision="model"))


def _ask(engine, scenario):
    request = ChatRequest([{"role": "user", "content": scenario.request}], tools=tool_schemas(scenario.tools),
                          sampling=SamplingParams(max_tokens=96, temperature=0))
    return engine.chat(request)


def test_tuned_model_calls_the_calculator_where_the_base_answers_in_prose():
    """Eight held-out calculator requests, four English and four Chinese, all five tools offered.
    (The eval card has the full figures: right values are rarer than right tool choices.)"""
    observer = Observer()
    scenarios = build_scenarios("legacy", 8, kinds=("calculator",), observer=observer)
    assert {s.language for s in scenarios} == {"en", "zh"}
    tuned, base = _engine("lingxi-tools"), _engine("none")
    tuned_calls = [[c.name for c in _ask(tuned, s).tool_calls] for s in scenarios]
    base_calls = [[c.name for c in _ask(base, s).tool_calls] for s in scenarios]
    assert sum(names == ["calculator"] for names in tuned_calls) >= 5, tuned_calls
    assert sum(bool(names) for names in base_calls) == 0, base_calls


def test_the_card_records_the_verdict():
    card = adapter_card("lingxi-tools")
    assert card["gate"]["bench"] == "lingxi_tools"
    assert card["default"] == (card["gate"]["tuned"] > card["gate"]["base"] + card["gate"]["margin_points"] / 100)
