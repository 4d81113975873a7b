"""BFCL-style irrelevance conversations (training/converters/irrelevance.py): public schemas offered
with requests none of them serves. Small fake data folders in CI; the real ../shared/data when present."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.config import ConfigError, TrainConfig
from training.conversation import cjk_share
from training.converters import irrelevance
from training.converters.irrelevance import Request, content_words, convert_irrelevance, guard_words
from training.errors import TrainingError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is absent")

SEAL_TOOLS = [  # (name, description): varied subjects, so that every request leaves enough unrelated ones
    ("getWaterQuality", "Retrieve the water quality of a lake or river"),
    ("getVolcanoActivity", "Retrieve the activity level of a volcano"),
    ("getCropYield", "Estimate the yield of a crop in a region"),
    ("analyzeSoilSample", "Analyze a soil sample for minerals"),
    ("getGalaxyDistance", "Distance to a galaxy in light years"),
    ("computeBridgeLoad", "Compute the load a bridge can carry"),
    ("getGeneSequence", "Retrieve the sequence of a gene"),
    ("listMuseumExhibits", "List the exhibits of a museum"),
    ("getTideTable", "Tide times for a harbour"),
    ("estimateRoofArea", "Estimate the area of a roof"),
    ("getBirdMigration", "Migration route of a bird species"),
    ("checkVaccineStock", "Stock of a vaccine at a clinic"),
    ("getParisForecast", "Weather forecast for Paris"),
]
GLAIVE_TOOLS = [
    ("get_weather", "Get the current weather for a city"),  # must never be offered with a weather request
    ("get_water_quality", "Water quality by lake"),  # a namesake of Seal-Tools' getWaterQuality
    ("convert_units", "Convert a value between units"),
    ("generate_barcode", "生成条形码"),
]
API_BANK_TOOLS = [("QueryStockPrice", "Query the stock price of a company"), ("AddAlarmClock", "Add an alarm clock"),
                  ("ModifyRegistration", "Modify a registration"), ("QueryHealthData", "Query health data")]
DEV = [
    ("dev-easy-0", "Tell me the water quality of the lake.", ["getWaterQuality"]),
    ("dev-easy-1", "What's the weather like in Paris today?", ["getParisForecast"]),
    ("dev-easy-2", "How active is Mount Etna right now?", ["getVolcanoActivity"]),
    ("dev-difficult-3", "Get the gene sequence of BRCA1, then list the museum exhibits.",
     ["getGeneSequence", "listMuseumExhibits"]),
]


def make_data(root: Path, sources=("seal_tools", "api_bank", "glaive")) -> Path:
    if "seal_tools" in sources:
        (root / "seal_tools").mkdir(parents=True)
        (root / "seal_tools" / "tool.jsonl").write_text("".join(
            json.dumps({"api_name": name, "api_description": text,
                        "parameters": {"name": {"type": "str", "description": "what"}}, "required": ["name"]}) + "\n"
            for name, text in SEAL_TOOLS))
        (root / "seal_tools" / "dev.jsonl").write_text("".join(
            json.dumps({"id": key, "query": query,
                        "calling": [{"api": api, "parameters": {"name": "x"}} for api in gold]}) + "\n"
            for key, query, gold in DEV))
        # a test split that must never be read: unreadable on purpose
        (root / "seal_tools" / "test_in_domain.jsonl").write_text("not json\n")
    if "api_bank" in sources:
        (root / "api_bank").mkdir(parents=True)
        (root / "api_bank" / "apis.json").write_text(json.dumps({"apis": [
            {"name": name, "description": text, "input_parameters": {"x": {"type": "str", "description": "x"}}}
            for name, text in API_BANK_TOOLS]}))
    if "glaive" in sources:
        (root / "train_toolcall").mkdir(parents=True)
        records = [{"conversations": [{"from": "human", "value": "hello"}, {"from": "gpt", "value": "Hi!"}],
                    "tools": json.dumps([{"name": name, "description": text,
                                          "parameters": {"type": "object", "properties": {}}}])}
                   for name, text in GLAIVE_TOOLS]
        (root / "train_toolcall" / "glaive_toolcall_en_demo.json").write_text(json.dumps(records, ensure_ascii=False))
    return root


def names_of(source: list[tuple[str, str]]) -> set[str]:
    return {name for name, _ in source}


def records(result) -> list[dict]:
    return [conversation.to_record() for conversation in result.conversations]


# ---- the relevance guard ------------------------------------------------------------------------
def test_content_words_and_guard():
    assert content_words("getWeatherForecast") == {"weathe", "foreca"}
    assert "weathe" in content_words("get_weather Get the current weather")
    assert content_words("What's the weather like?") & content_words("get_weather")
    assert "天气" in content_words("今天天气怎么样？") and "一个" not in content_words("设一个闹钟")
    # a Chinese request guards against an English schema of the same subject (a cross-lingual concept)
    assert guard_words("今天天气怎么样？") & content_words("get_weather Get the current weather")
    assert guard_words("Turn off the lights.") & {"灯"}
    assert not guard_words("Tell me a short joke.") & content_words("getCropYield Estimate the yield of a crop")


# ---- the conversations ----------------------------------------------------------------------------
def test_conversations_offer_2_to_5_unrelated_schemas_and_never_call(tmp_path):
    result = convert_irrelevance(make_data(tmp_path), 120, seed=3, held_out=())
    assert len(result.conversations) == 120
    for conversation in result.conversations:
        assert not conversation.calls()
        assert not [p for p in conversation.validate() if p.severity == "error"], conversation.id
        assert [m["role"] for m in conversation.messages] == ["user", "assistant"]
        assert (conversation.messages[1]["content"] or "").strip()
        names = conversation.tool_names()
        assert 2 <= len(names) <= 5 and len(set(names)) == len(names)
        request = conversation.messages[0]["content"]
        for tool in conversation.tools:  # the guard held for every schema offered
            function = tool["function"]
            assert not content_words(f"{function['name']} {function['description']}") & content_words(request)
    kinds = {conversation.source.split(":")[1] for conversation in result.conversations}
    assert kinds == {"chat", "unserved", "seal_tools"}
    unserved = next(c for c in result.conversations if c.source.endswith("unserved"))
    for name in unserved.tool_names():  # the refusal names the tools actually offered
        assert name in unserved.messages[1]["content"]


def test_no_offered_tool_is_a_gold_tool_or_a_namesake(tmp_path):
    result = convert_irrelevance(make_data(tmp_path), 400, seed=0, held_out=())
    gold = {query: set(apis) for _, query, apis in DEV}
    seal = [c for c in result.conversations if c.source.endswith("seal_tools")]
    assert {c.messages[0]["content"] for c in seal} == set(gold)
    for conversation in seal:
        offered = set(conversation.tool_names())
        assert not offered & gold[conversation.messages[0]["content"]]
        assert conversation.tool_names()
    water = [c for c in seal if c.messages[0]["content"].startswith("Tell me the water quality")]
    assert water and all("get_water_quality" not in c.tool_names() for c in water)
    assert result.notes["gold tools (or namesakes) not offered"] > 0


def test_relevance_guard_drops_an_overlapping_schema(tmp_path, monkeypatch):
    weather = {("en", "chat"): [Request("chat", "en", "What's the weather like?", "I can't see outside.")],
               ("zh", "chat"): [Request("chat", "zh", "今天天气怎么样？", "我看不到外面。")]}
    monkeypatch.setattr(irrelevance, "bank_requests", lambda result: dict(weather))
    result = convert_irrelevance(make_data(tmp_path), 200, seed=1, held_out=())
    assert result.notes["schemas skipped by the relevance guard"] > 0
    chats = [c for c in result.conversations if c.source.endswith(":chat")]
    assert len(chats) > 50 and {c.messages[0]["content"] for c in chats} == {"What's the weather like?", "今天天气怎么样？"}
    offered = {name for conversation in chats for name in conversation.tool_names()}
    assert "get_weather" not in offered and "getParisForecast" not in offered
    assert "getVolcanoActivity" in offered  # unrelated schemas are still offered
    seal = {name for c in result.conversations if not c.source.endswith(":chat") for name in c.tool_names()}
    assert "get_weather" in seal  # offered where the request is not about the weather


def test_languages_are_balanced(tmp_path):
    result = convert_irrelevance(make_data(tmp_path), 101, seed=0, held_out=())
    assert result.notes["language en"] == 51 and result.notes["language zh"] == 50
    chinese = [c for c in result.conversations if cjk_share(c.messages[0]["content"]) > 0.3]
    assert len(chinese) == 50
    for conversation in chinese:  # answered in the request's language
        assert cjk_share(conversation.messages[1]["content"]) > 0.2  # less the tool names


def test_deterministic_for_a_seed(tmp_path):
    data = make_data(tmp_path)
    first = records(convert_irrelevance(data, 60, seed=5, held_out=()))
    assert first == records(convert_irrelevance(data, 60, seed=5, held_out=()))
    assert first != records(convert_irrelevance(data, 60, seed=6, held_out=()))


def test_held_out_sources_give_no_schemas(tmp_path):
    data = make_data(tmp_path)
    result = convert_irrelevance(data, 150, seed=0, held_out=["api_bank"])
    offered = {name for conversation in result.conversations for name in conversation.tool_names()}
    assert not offered & names_of(API_BANK_TOOLS)
    assert offered & names_of(SEAL_TOOLS) and offered & names_of(GLAIVE_TOOLS)
    assert result.notes["source api_bank held out"] == 1
    # Seal-Tools held out: neither its schemas nor its queries
    result = convert_irrelevance(data, 150, seed=0, held_out=["api_bank", "seal_tools"])
    offered = {name for conversation in result.conversations for name in conversation.tool_names()}
    assert offered <= names_of(GLAIVE_TOOLS)
    assert not any(c.source.endswith("seal_tools") for c in result.conversations)
    assert result.notes["language en"] == result.notes["language zh"] == 75
    # `sources` narrows the same way
    result = convert_irrelevance(data, 40, seed=0, sources=("api_bank",))
    assert {n for c in result.conversations for n in c.tool_names()} <= names_of(API_BANK_TOOLS)


def test_bad_or_missing_folders_fail_clearly(tmp_path):
    with pytest.raises(TrainingError, match="public data folder not found"):
        convert_irrelevance(tmp_path / "nowhere", 10)
    with pytest.raises(TrainingError, match="no public tool schemas"):
        convert_irrelevance(tmp_path, 10)
    data = make_data(tmp_path / "only-api-bank", sources=("api_bank",))
    with pytest.raises(TrainingError, match="no public tool schemas"):
        convert_irrelevance(data, 10, held_out=["api_bank"])
    broken = make_data(tmp_path / "broken", sources=("seal_tools",))
    (broken / "seal_tools" / "tool.jsonl").write_text('{"not": "a schema"}\n')
    with pytest.raises(TrainingError, match="tool.jsonl:1: not a Seal-Tools tool schema"):
        convert_irrelevance(broken, 10)
    (broken / "api_bank").mkdir()
    (broken / "api_bank" / "apis.json").write_text('{"apis": [{"no name": 1}]}')
    with pytest.raises(TrainingError, match="apis.json: not API-Bank"):
        convert_irrelevance(broken, 10, sources=("api_bank",))
    with pytest.raises(ValueError, match="unknown public source"):
        convert_irrelevance(tmp_path, 10, sources=("bfcl",))
    (tmp_path / "bfcl").mkdir()
    with pytest.raises(TrainingError, match="evaluation data"):
        convert_irrelevance(tmp_path / "bfcl", 10)


def test_config_field_checks_inputs_and_assembles(tmp_path, monkeypatch):
    from training.dataset import tool_use_examples

    monkeypatch.setenv("LINGXI_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="tool_use_public_irrelevance needs .*nowhere"):
        TrainConfig(tool_use_public_irrelevance=10).check_inputs()
    only_held_out = make_data(tmp_path / "held", sources=("api_bank",))
    with pytest.raises(ConfigError, match="tool_use_public_irrelevance needs .*public_held_out"):
        TrainConfig(tool_use_public_irrelevance=10, public_sets=str(only_held_out)).check_inputs()
    with pytest.raises(ValueError, match="use task 'sft'"):
        TrainConfig(task="pretrain", tool_use_public_irrelevance=10)
    data = make_data(tmp_path / "data")
    config = TrainConfig(tool_use_public_irrelevance=30, public_sets=str(data))
    config.check_inputs()
    conversations = tool_use_examples(config)
    assert len(conversations) == 30 and all(c.source.startswith("public_irrelevance:") for c in conversations)
    offered = {name for conversation in conversations for name in conversation.tool_names()}
    assert not offered & names_of(API_BANK_TOOLS)  # api_bank is held out by default


# ---- the real data ------------------------------------------------------------------------------
@needs_shared
def test_real_public_schemas():
    result = convert_irrelevance(SHARED, 600, seed=0, held_out=["api_bank"])
    assert len(result.conversations) == 600
    assert result.notes["language en"] == result.notes["language zh"] == 300
    assert result.notes["kind seal_tools"] == 150
    assert result.notes["pool schemas from seal_tools"] == 4076 and result.notes["pool schemas from glaive"] > 200
    assert "pool schemas from api_bank" not in result.notes
    assert result.notes["schemas skipped by the relevance guard"] > 0
    gold = {}
    for line in (SHARED / "seal_tools" / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        gold[item["query"].strip()] = {call["api"] for call in item["calling"]}
    for conversation in result.conversations:
        assert not [p for p in conversation.validate() if p.severity == "error"], conversation.id
        assert not conversation.calls() and 2 <= len(conversation.tools) <= 5
        if conversation.source.endswith("seal_tools"):
            assert not set(conversation.tool_names()) & gold[conversation.messages[0]["content"]]
    assert result.summary().startswith("public_irrelevance: 600 conversations, 0 with calls")
