"""The shipped lingxi-tools adapter on the real bundled model (llama.cpp applies its GGUF LoRA).

Held-out requests (the test split of tools/scenarios, which training never saw): the tuned model
calls the calculator with an expression of the right value, in English and in Chinese, and the
base model does not. Skipped where the adapter has not been shipped.
"""
from __future__ import annotations

import pytest

from model.spec import SHIPPED_ADAPTERS, SHIPPED_ADAPTERS_DIR, adapter_card
from model.types import ChatRequest, SamplingParams
from tools.scenarios import Observer, build_scenarios, score, tool_schemas

FOLDER = SHIPPED_ADAPTERS_DIR / SHIPPED_ADAPTERS["lingxi-tools"]
pytestmark = [pytest.mark.model,
              pytest.mark.skipif(not (FOLDER / "adapter.gguf").is_file(), reason="the adapter is not shipped here")]


@pytest.fixture(scope="module")
def tuned():
    from model.loader import EngineConfig, load_engine

    return load_engine("bundled", "lingxi-tools", EngineConfig(n_threads=1, n_ctx=2048))


def _ask(engine, scenario):
    request = ChatRequest([{"role": "user", "content": scenario.request}], tools=tool_schemas(scenario.tools),
                          sampling=SamplingParams(max_tokens=96, temperature=0))
    return engine.chat(request)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_tuned_model_calls_the_calculator_with_the_right_value(tuned, language):
    observer = Observer()
    scenarios = [s for s in build_scenarios("test", 16, kinds=("calculator",), observer=observer)
                 if s.language == language]
    right = 0
    for scenario in scenarios[:4]:
        result = _ask(tuned, scenario)
        calls = [{"name": c.name, "arguments": c.arguments} for c in result.tool_calls]
        right += score(scenario, calls, scenario.answer, observer).args_correct
    assert right >= 2, f"{right} of 4 held-out {language} calculator requests got a right call"


def test_the_card_records_the_verdict():
    card = adapter_card("lingxi-tools")
    assert card["gate"]["bench"] == "lingxi_tools"
    assert card["default"] == (card["gate"]["tuned"] > card["gate"]["base"] + card["gate"]["margin_points"] / 100)
