"""Tool-use scenarios generated from the tool registry, and their checker.

    from tools.scenarios import build_scenarios, score, Observer
    train = build_scenarios("train", per_kind=100)      # what the training-data builder renders
    val = build_scenarios("val", per_kind=40)           # where thresholds and recipes are chosen
    test = build_scenarios("test", per_kind=60)         # what eval's `lingxi_tools` asks (480 items)
    legacy = build_scenarios("legacy", per_kind=16)     # the first test split, `lingxi_tools_legacy`
    media = build_scenarios("test", 60, kinds=MEDIA_KINDS)  # what `lingxi_tools_media` asks (180 items)
    score(test[0], calls=[...], answer="...", observer=Observer())

Kinds: calculator, parallel (two calculator calls at once), python, web_search, knowledge_base,
fetch_url, no_tool (chat that needs no tool) and irrelevant (a request no offered tool serves), in
English and Chinese; and, apart from them (`MEDIA_KINDS`), ocr (an attached image read),
speech_to_text (an attached recording transcribed) and text_to_speech (English text spoken). The splits are by phrasing and by entity: test reads only `test_phrasings.py`
and val only `val_phrasings.py`; train reads `phrasings.py` and `train_phrasings.py` except every
fourth entry of `phrasings.py` (`generate.is_test`), which makes the legacy test split.
"""
from tools.scenarios.checks import Score, answer_correct, score
from tools.scenarios.generate import (KINDS, MEDIA_KINDS, NO_CALL_KINDS, TOOL_NAMES, Observer, Scenario, build_scenarios,
                                     held_out_scenarios, is_test, tool_schemas)

__all__ = ["KINDS", "MEDIA_KINDS", "NO_CALL_KINDS", "TOOL_NAMES", "Observer", "Scenario", "Score", "answer_correct",
           "build_scenarios", "held_out_scenarios", "is_test", "score", "tool_schemas"]
