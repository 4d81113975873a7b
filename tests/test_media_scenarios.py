"""The media kinds of the tool-use scenarios (ocr, speech_to_text, text_to_speech): the splits, the
observations (rendered by the tools' own code), the checker, `lingxi_tools_media` on a scripted
model, and the training builder. `lingxi_tools`, the 480-item test split, must not move.
"""
from __future__ import annotations

import json
import re
import wave
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from eval import BENCHMARK_GROUPS, get_benchmark, run_benchmark
from model.scripted import ScriptedEngine
from model.tool_format import DEFAULT_TOOL_FORMAT
from model.types import ToolCall
from tools import ToolRegistry
from tools.base import render_observation
from tools.ocr import OCRTool, format_ocr_lines
from tools.scenarios import KINDS, MEDIA_KINDS, TOOL_NAMES, Observer, build_scenarios, held_out_scenarios, score
from tools.scenarios import compose_media as M
from tools.scenarios import phrasings as P
from tools.scenarios import test_phrasings as X
from tools.scenarios import train_phrasings as T
from tools.scenarios import val_phrasings as V
from tools.scenarios.compose import NearCopies, held_out_entities
from tools.scenarios.generate import OBSERVATION_CHARS, bank
from tools.speech_to_text import SpeechToTextTool, format_transcript
from tools.text_to_speech import TextToSpeechTool, format_speech_written
from tools.workspace import Workspace, use_workspace
from training.converters.tool_use import convert_scenarios
from ui.attachments import split_attachments, with_attachments

MEDIA_TOOL = {"ocr": "ocr", "speech_to_text": "speech_to_text", "text_to_speech": "text_to_speech"}
SIZES = {"train": 30, "val": 40, "test": 60}
MODULES = {"train": T, "val": V, "test": X}
MEDIA_REQUESTS = ("OCR_REQUESTS", "TRANSCRIBE_REQUESTS", "SPEAK_REQUESTS")
OTHER_REQUESTS = ("CALCULATOR", "PARALLEL", "PYTHON", "WEB_REQUESTS", "NOTE_REQUESTS", "PAGE_REQUESTS", "CHAT", "UNSERVED")


@pytest.fixture(scope="module")
def observer() -> Observer:
    return Observer()


@pytest.fixture(scope="module")
def splits(observer) -> dict[str, list]:
    return {split: build_scenarios(split, per_kind, kinds=MEDIA_KINDS, observer=observer)
            for split, per_kind in SIZES.items()}


def call_text(calls: list[dict]) -> str:
    return "\n".join(DEFAULT_TOOL_FORMAT.render_call(ToolCall(c["name"], c["arguments"])) for c in calls)


# ---- the splits ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("split", SIZES)
def test_each_kind_generates_in_both_languages(split, splits):
    items = splits[split]
    per_kind = SIZES[split]
    for kind in MEDIA_KINDS:
        languages = [s.language for s in items if s.kind == kind]
        assert (languages.count("en"), languages.count("zh")) == (per_kind // 2, per_kind // 2), kind
    for scenario in items:
        assert re.search(r"[\u4e00-\u9fff]", scenario.request) if scenario.language == "zh" else scenario.request.isascii()
        assert [call["name"] for call in scenario.calls] == [MEDIA_TOOL[scenario.kind]]
        assert MEDIA_TOOL[scenario.kind] in scenario.tools and len(scenario.observations) == 1
        if scenario.kind != "text_to_speech":  # the file is attached as the web UI attaches it
            text, names = split_attachments(scenario.request)
            assert names == [scenario.expect["file"]] and with_attachments(text, names) == scenario.request
    if split != "train":  # held out: unique, and offered exactly what the app offers that turn
        assert len({s.request for s in items}) == len(items) == per_kind * len(MEDIA_KINDS)
        assert all(s.tools == [*TOOL_NAMES, MEDIA_TOOL[s.kind]] for s in items)
        assert all(s.id.startswith("test2-" if split == "test" else "val-") for s in items)
        again = build_scenarios(split, per_kind, kinds=MEDIA_KINDS)
        assert [s.to_dict() for s in again] == [s.to_dict() for s in items]
    else:  # training varies what it offers, as for the other kinds, but always the needed tool
        assert len({tuple(s.tools) for s in items}) > 5


def _entities(items: list) -> dict[str, set[str]]:
    """What a split's media items hold: requests, attached file names, texts read, heard or spoken."""
    found: dict[str, set[str]] = {"requests": set(), "files": set(), "texts": set()}
    for scenario in items:
        found["requests"].add(scenario.request)
        if "file" in scenario.expect:
            found["files"].add(scenario.expect["file"])
        if scenario.kind == "text_to_speech":
            found["texts"].add(scenario.expect["text"])
        else:
            found["texts"] |= {line for line in scenario.answer.split("\n")[1:] if line}
    return found


def _bank_entities(split: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"files": set(), "texts": set(bank(split, "SPEECH_TEXTS"))}
    for language in ("en", "zh"):
        for picture in bank(split, "PICTURES", language):
            found["files"].add(picture.file)
            found["texts"] |= set(picture.lines)
        for recording in bank(split, "RECORDINGS", language):
            found["files"].add(recording.file)
            found["texts"].add(recording.transcript)
    return found


def test_splits_share_no_request_file_or_text(observer, splits):
    items = {**splits, "train": build_scenarios("train", 400, kinds=MEDIA_KINDS, observer=observer)}
    generated = {split: _entities(scenarios) for split, scenarios in items.items()}
    banks = {split: _bank_entities(split) for split in SIZES}
    assert len(banks["train"]["files"]) > 1000 and len(banks["train"]["texts"]) > 1000
    for held in ("val", "test"):
        for other in [split for split in SIZES if split != held]:
            for what in ("requests", "files", "texts"):
                assert not generated[held][what] & generated[other][what], (held, other, what)
            for what in ("files", "texts"):
                assert not banks[held][what] & banks[other][what], (held, other, what)
    # no held-out media file name appears anywhere in another split's module
    for held in ("val", "test"):
        others = "".join(Path(m.__file__).read_text(encoding="utf-8") for m in (P, T, V, X, M) if m is not MODULES[held])
        assert not [name for name in banks[held]["files"] if name in others], held


def _templates(module, names: tuple[str, ...]) -> set[str]:
    found = set()
    for name in names:
        for entries in (getattr(module, name, None) or {}).values():
            found |= {e if isinstance(e, str) else getattr(e, "request", None) or e[0] for e in entries}
    return found


def _pattern(templates: set[str]) -> re.Pattern:
    """Matches, whole, any request text made from one of `templates` (a slot: any text)."""
    return re.compile("|".join("(?:" + ".+".join(map(re.escape, re.split(r"\{[^{}]*\}", t))) + ")" for t in templates),
                      re.DOTALL)


@pytest.mark.parametrize("held", ["val", "test"])
def test_held_out_media_wording_is_its_own(held, splits):
    mine = _templates(MODULES[held], MEDIA_REQUESTS)
    others = set().union(*(_templates(m, MEDIA_REQUESTS + OTHER_REQUESTS) for m in (P, T, V, X) if m is not MODULES[held]))
    assert len(mine) >= 36 and not mine & others
    near = NearCopies(mine)
    assert not [t for t in others if near.of(t)]
    from_mine, from_others = _pattern(mine), _pattern(others)
    texts = {split: [split_attachments(s.request)[0] for s in scenarios] for split, scenarios in splits.items()}
    assert all(from_mine.fullmatch(text) for text in texts[held])
    assert not [text for text in texts[held] if from_others.fullmatch(text)]
    assert not [text for split in SIZES if split != held for text in texts[split] if from_mine.fullmatch(text)]


def test_composed_media_is_deterministic_and_names_no_held_out_entity():
    source = Path(M.__file__).read_text(encoding="utf-8")
    entities = held_out_entities()
    text = "\n".join([source, *M.composed_media("SPEECH_TEXTS")] + [
        "\n".join([entry.file, *(entry.lines if hasattr(entry, "lines") else [entry.transcript])])
        for name in ("PICTURES", "RECORDINGS") for language in ("en", "zh") for entry in M.composed_media(name, language)])
    lowered = text.lower()
    assert not [e for e in entities
                if (re.search(rf"(?<![a-z0-9]){re.escape(e)}(?![a-z0-9])", lowered) if e.isascii() else e in lowered)]
    before = M.composed_media("PICTURES", "zh")
    M._bank.cache_clear()
    assert M.composed_media("PICTURES", "zh") == before and M.composed_media("CHAT", "en") == []
    assert all(re.fullmatch(r"[\w.-]+", entry.file) for entry in before)  # as Workspace.new_file names files


# ---- observations: the tools' own rendering ---------------------------------------------------------------
_OCR_LINE = re.compile(r"^\d+\. (.*)  \(confidence ([\d.]+); box x (\d+)-(\d+), y (\d+)-(\d+)\)$", re.MULTILINE)


def _one(splits: dict, kind: str, language: str = "en"):
    return next(s for s in splits["test"] if s.kind == kind and s.language == language)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_ocr_observation_is_what_the_ocr_tool_returns(language, splits, tmp_path, monkeypatch):
    scenario = _one(splits, "ocr", language)
    found = [(text, float(score), [[int(x0), int(y0)], [int(x1), int(y0)], [int(x1), int(y1)], [int(x0), int(y1)]])
             for text, score, x0, x1, y0, y1 in _OCR_LINE.findall(scenario.observations[0])]
    assert [text for text, _, _ in found] == scenario.answer.split("\n")[1:]
    rendered = render_observation(format_ocr_lines(scenario.expect["file"], found), OBSERVATION_CHARS)[0]
    assert rendered == scenario.observations[0]
    # and the real tool, its engine replaced by one that finds those lines, returns the same text
    engine = lambda pixels: SimpleNamespace(txts=[f[0] for f in found], scores=[f[1] for f in found],  # noqa: E731
                                            boxes=np.array([f[2] for f in found], dtype=float))
    monkeypatch.setattr("tools.ocr.load_ocr", lambda: engine)
    workspace = Workspace(tmp_path / "conversation")
    workspace.path.mkdir()
    Image.new("RGB", (64, 32), "white").save(workspace.path / scenario.expect["file"], format="PNG")
    with use_workspace(workspace):
        result = ToolRegistry([OCRTool()], max_observation_chars=OBSERVATION_CHARS).call("ocr", scenario.calls[0]["arguments"])
    assert result.ok and result.content == scenario.observations[0]


def test_transcript_observation_is_what_the_speech_tool_returns(splits, tmp_path, monkeypatch):
    scenario = _one(splits, "speech_to_text", "zh")
    seconds, language, probability = re.search(r"\(([\d.]+) s, language (\w+), probability ([\d.]+)\)",
                                               scenario.observations[0]).groups()
    transcript = scenario.answer.split("\n", 1)[1]
    rendered = format_transcript(scenario.expect["file"], transcript, float(seconds), language, float(probability))
    assert render_observation(rendered, OBSERVATION_CHARS)[0] == scenario.observations[0]
    model = SimpleNamespace(detect_language=lambda samples: (language, float(probability), None),
                            transcribe=lambda samples, **options: ([SimpleNamespace(text=transcript)], None))
    monkeypatch.setattr("tools.speech_to_text.load_whisper", lambda: model)
    monkeypatch.setattr("tools.speech_to_text._decode", lambda path: np.zeros(round(float(seconds) * 16000)))
    workspace = Workspace(tmp_path / "conversation")
    workspace.path.mkdir()
    (workspace.path / scenario.expect["file"]).write_bytes(b"audio")
    with use_workspace(workspace):
        result = ToolRegistry([SpeechToTextTool()], max_observation_chars=OBSERVATION_CHARS).call(
            "speech_to_text", scenario.calls[0]["arguments"])
    assert result.ok and result.content == scenario.observations[0]


def test_speech_observation_is_what_the_speech_tool_returns(splits, tmp_path, monkeypatch):
    scenario = next(s for s in splits["test"] if s.kind == "text_to_speech" and s.expect["answer_keys"] != ["speech.wav"])
    name, seconds = re.match(r"Wrote (speech(?:-(\d+))?\.wav) \(([\d.]+) s", scenario.observations[0]).group(1, 3)
    assert format_speech_written(name, float(seconds)) == scenario.observations[0]

    class Voice:
        def synthesize_wav(self, text: str, out: wave.Wave_write) -> None:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(22050)
            out.writeframes(b"\0\0" * round(float(seconds) * 22050))

    monkeypatch.setattr("tools.text_to_speech.load_voice", lambda: Voice())
    workspace = Workspace(tmp_path / "conversation")
    workspace.path.mkdir()
    earlier = int(name.removeprefix("speech-").removesuffix(".wav")) if "-" in name else 1
    for number in range(1, earlier):  # speech written earlier in the conversation
        (workspace.path / ("speech.wav" if number == 1 else f"speech-{number}.wav")).write_bytes(b"")
    with use_workspace(workspace):
        result = ToolRegistry([TextToSpeechTool()], max_observation_chars=OBSERVATION_CHARS).call(
            "text_to_speech", scenario.calls[0]["arguments"])
    assert result.ok and result.content == scenario.observations[0]


# ---- the checker -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("split", ["val", "test"])
def test_gold_calls_and_answers_score_correct(split, splits, observer):
    for scenario in splits[split]:
        result = score(scenario, scenario.calls, scenario.answer, observer)
        assert result.correct, (scenario.id, result)


def test_mistakes_score_wrong_with_their_reason(splits, observer):
    picture, recording, speech = (_one(splits, kind) for kind in MEDIA_KINDS)
    wrong_tool = [{"name": "web_search", "arguments": {"query": "receipt text"}}]
    assert score(picture, wrong_tool, picture.answer, observer).reason == "wrong_tool"
    assert score(recording, [{"name": "ocr", "arguments": {"image": recording.expect["file"]}}], recording.answer,
                 observer).reason == "wrong_tool"  # ocr is not even offered with a recording
    for scenario, argument in ((picture, "image"), (recording, "audio")):
        wrong_file = [{"name": scenario.calls[0]["name"], "arguments": {argument: "photo.jpg"}}]
        assert score(scenario, wrong_file, scenario.answer, observer).reason == "wrong_arguments"
        ok, text = observer.observe(scenario, wrong_file[0]["name"], wrong_file[0]["arguments"])
        assert not ok and text.startswith("Error: no file named 'photo.jpg'") and scenario.expect["file"] in text
        dotted = [{"name": scenario.calls[0]["name"], "arguments": {argument: "./" + scenario.expect["file"]}}]
        assert score(scenario, dotted, scenario.answer, observer).correct
        assert score(scenario, scenario.calls, scenario.expect["answer_keys"][0][:1] + " (unreadable)",
                     observer).reason == "wrong_answer"
    other = "zh" if recording.expect["language"] == "en" else "en"
    told = {"audio": recording.expect["file"], "language": other}
    assert score(recording, [{"name": "speech_to_text", "arguments": told}], recording.answer, observer).reason == "wrong_arguments"
    auto = {"audio": recording.expect["file"], "language": "auto"}
    assert score(recording, [{"name": "speech_to_text", "arguments": auto}], recording.answer, observer).correct
    quoted = {"text": f"“{speech.expect['text'].upper()}”"}
    assert score(speech, [{"name": "text_to_speech", "arguments": quoted}], speech.answer, observer).correct
    other_text = {"text": "Something else entirely."}
    assert score(speech, [{"name": "text_to_speech", "arguments": other_text}], speech.answer, observer).reason == "wrong_arguments"
    assert score(speech, speech.calls, "Done, I read it aloud.", observer).reason == "wrong_answer"  # which file?
    assert score(speech, [{"name": "text_to_speech", "arguments": {}}], speech.answer, observer).reason == "invalid_arguments"


# ---- the benchmarks on a scripted model -------------------------------------------------------------------
def _gold_engine(bench) -> ScriptedEngine:
    engine = ScriptedEngine()
    for item in bench.load():
        scenario = bench.scenario(item)
        engine.enqueue(call_text(scenario.calls), scenario.answer)
    return engine


def test_lingxi_tools_media_runs_end_to_end_and_gold_scores_100(tmp_path):
    bench = get_benchmark("lingxi_tools_media")
    engine = _gold_engine(bench)
    run = run_benchmark(engine, bench, out_dir=tmp_path)
    assert run.n == len(bench.load()) == 180 and run.accuracy == 1.0
    saved = json.loads(Path(run.path).read_text(encoding="utf-8"))
    assert saved["per_category"].keys() == set(MEDIA_KINDS)
    first, second = engine.history[0], engine.history[1]  # an ocr item: offered the five and ocr, in the app's order
    assert [tool["function"]["name"] for tool in first.tools] == [*TOOL_NAMES, "ocr"]
    assert second.messages[-1]["role"] == "tool" and "text read from" in second.messages[-1]["content"]
    assert {item.id for item in bench.load()}.isdisjoint(item.id for item in get_benchmark("lingxi_tools_media_val").load())


def test_lingxi_tools_media_a_wrong_file_gets_the_workspace_error_and_fails(tmp_path):
    bench = get_benchmark("lingxi_tools_media")
    item = next(i for i in bench.load() if i.category == "speech_to_text")
    scenario = bench.scenario(item)
    engine = ScriptedEngine([call_text([{"name": "speech_to_text", "arguments": {"audio": "memo.m4a"}}]),
                             "I could not find the recording."])
    record = bench.check(item, bench.predict(engine, item))
    assert not record.correct and record.error_type == "wrong_arguments"
    assert engine.history[1].messages[-1]["content"].startswith("Error: no file named 'memo.m4a'")
    assert scenario.expect["file"] in engine.history[1].messages[-1]["content"]


def test_media_val_benchmark_and_registry():
    val = get_benchmark("lingxi_tools_media_val")
    items = val.load()
    assert len(items) == 120 and all(item.id.startswith("val-") for item in items)
    assert [item.category for item in items[:3]] == list(MEDIA_KINDS)  # interleaved by kind
    assert all(name not in names for names in BENCHMARK_GROUPS.values()
               for name in ("lingxi_tools_media", "lingxi_tools_media_val"))


def test_lingxi_tools_test_split_is_unchanged():
    bench = get_benchmark("lingxi_tools")
    items = bench.load()
    assert len(items) == 480 and {item.category for item in items} == set(KINDS)
    assert (items[0].id, items[-1].id) == ("test2-calculator-en-0", "test2-irrelevant-zh-59")
    assert bench.config()["items"] == "ce4ae13e0159"  # the digest of every item, as before the media kinds


def test_held_out_scenarios_include_the_media_items(splits):
    requests = {scenario.request for scenario in held_out_scenarios()}
    assert {s.request for s in splits["val"] + splits["test"]} <= requests
    assert not {s.request for s in splits["train"]} & requests


# ---- the training builder ----------------------------------------------------------------------------------
def test_built_training_set_has_media_examples_offering_the_media_tool():
    from training.config import TrainConfig
    from training.dataset import tool_use_examples

    config = TrainConfig(tool_use=4, tool_use_weights={kind: 0.0 for kind in KINDS} | {"ocr": 2.0})
    built = tool_use_examples(config)
    assert sorted({c.source for c in built}) == ["lingxi_tool_use:ocr", "lingxi_tool_use:speech_to_text",
                                                 "lingxi_tool_use:text_to_speech"]
    assert sum(c.source.endswith(":ocr") for c in built) == 8
    for conversation in convert_scenarios(6).conversations:
        assert not [p for p in conversation.validate() if p.severity == "error"]
        kind = conversation.source.split(":")[1]
        if kind not in MEDIA_KINDS:  # a media tool may be offered (test below), never called
            assert not {call["function"]["name"] for call in conversation.calls()} & set(MEDIA_KINDS)
            continue
        system = DEFAULT_TOOL_FORMAT.prepare_messages(conversation.messages, conversation.tools)[0]
        assert system["role"] == "system" and f'"name": "{MEDIA_TOOL[kind]}"' in system["content"]
        assert conversation.calls()[0]["function"]["name"] == MEDIA_TOOL[kind]


def test_other_training_kinds_are_sometimes_offered_a_media_tool_they_do_not_need(observer):
    from tools.scenarios.generate import UNNEEDED_MEDIA_SHARE

    train = build_scenarios("train", 100, observer=observer)
    offered = [s for s in train if set(s.tools) & set(MEDIA_KINDS)]
    assert abs(len(offered) / len(train) - UNNEEDED_MEDIA_SHARE) < 0.04
    assert {s.kind for s in offered} == set(KINDS)  # every kind, chat and unserved too
    assert not [s for s in offered if {call["name"] for call in s.calls} & set(MEDIA_KINDS)]
    unserved = next(s for s in offered if s.kind == "irrelevant")
    media_tool = next(tool for tool in unserved.tools if tool in MEDIA_KINDS)
    assert media_tool in unserved.answer  # the refusal names every tool offered
    for split, per_kind in (("val", 40), ("test", 60), ("legacy", 16)):
        assert not [s for s in build_scenarios(split, per_kind, observer=observer) if set(s.tools) & set(MEDIA_KINDS)]
