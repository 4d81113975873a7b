"""Tool-use scenarios from the registry: a request, the gold calls, what each call returns, the answer.

A `Scenario` is what both the training-data builder and Lingxi's own tool-use benchmark read,
so the data a model learns from and the checker it is scored by cannot drift apart:

- calculator and python observations come from the real tools (the real calculator, the real
  sandbox); web search, knowledge-base and page observations are canned, but rendered by the
  same functions those tools use (`format_results`, `format_passage`, `ExternalContent`), and so
  are the media kinds' (`MEDIA_KINDS`: an attached image read by `ocr`, an attached recording
  transcribed by `speech_to_text`, English text spoken by `text_to_speech`): canned lines,
  transcripts and written files, rendered by `format_ocr_lines`, `format_transcript` and
  `format_speech_written`; a call naming a file the conversation does not hold gets the
  workspace's own error;
- the tools offered are the registry's own schemas: the app's five, plus for a media kind the
  media tool the web UI offers with that turn (ocr with an image, speech_to_text with audio);
- the splits are by phrasing and by entity (`bank`): the test split reads only `test_phrasings.py`
  and the validation split ("val", where recipes, checkpoints and thresholds are chosen) only
  `val_phrasings.py`; neither shares wording or entity with any other module. Training reads
  `phrasings.py`, `train_phrasings.py` and the composed banks of `compose.py`, except every fourth
  phrasing, topic, project and page of `phrasings.py` (`is_test`): those make the legacy test split
  (the first 96-item `lingxi_tools`, kept as `lingxi_tools_legacy` so that old figures stay comparable).
  The media kinds are not in `KINDS` (so `lingxi_tools` and every earlier figure stay as they
  were): `lingxi_tools_media` asks them on their own; their training files and texts are composed
  (`compose_media.py`), and there is no legacy share of them.
"""
from __future__ import annotations

import json
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tools.base import ExternalContent, render_observation
from tools.calculator import calculator
from tools.errors import ToolError
from tools.knowledge_base import format_passage
from tools.ocr import IMAGE_SUFFIXES, MAX_IMAGE_BYTES, format_ocr_lines
from tools.python_sandbox import PythonTool, SandboxLimits
from tools.registry import ToolRegistry, error_result, parse_arguments
from tools.scenarios import phrasings as P
from tools.scenarios import train_phrasings as T
from tools.scenarios import test_phrasings as X
from tools.scenarios import val_phrasings as V
from tools.scenarios.compose import composed
from tools.scenarios.compose_media import composed_media
from tools.speech_to_text import AUDIO_SUFFIXES, MAX_AUDIO_BYTES, format_transcript
from tools.text_to_speech import format_speech_written
from tools.web_search import format_results
from tools.workspace import Workspace

Split = Literal["train", "val", "test", "legacy"]
Language = Literal["en", "zh"]
TOOL_NAMES = ("calculator", "python", "web_search", "knowledge_base", "fetch_url")
KINDS = ("calculator", "parallel", "python", "web_search", "knowledge_base", "fetch_url", "no_tool", "irrelevant")
"""no_tool: chat that needs no tool; irrelevant: a request that none of the offered tools can serve."""
NO_CALL_KINDS = ("no_tool", "irrelevant")
MEDIA_KINDS = ("ocr", "speech_to_text", "text_to_speech")
"""Kinds of their own benchmark (`lingxi_tools_media`), kept out of `KINDS` so that `lingxi_tools`
stays the 480 items it has always been; the training builder renders both."""
MEDIA_TOOLS = ("ocr", "speech_to_text", "text_to_speech")
"""Registered, but offered only when a turn needs them (`offered_by_default = False`)."""
OBSERVATION_CHARS = 4000
"""As the app's registry cuts observations (tools.default_registry)."""


def is_test(index: int) -> bool:
    """Every fourth entry of a bank of phrasings.py is held out for the legacy test split."""
    return index % 4 == 3


def in_split(bank: list, split: Split) -> list:
    """The entries of a phrasings.py bank that `split` draws on: legacy every fourth, train the rest."""
    return [entry for index, entry in enumerate(bank) if is_test(index) == (split == "legacy")]


OWN_BANKS = {"val": V, "test": X}
"""Splits that read a module of their own, in full, and nothing else."""


def bank(split: Split, name: str, language: Language | None = None) -> list:
    """The entries of bank `name` (e.g. "CALCULATOR", "PYTHON_WORDS") that `split` draws on:
    val and test their own modules in full; legacy and train their share of phrasings.py
    (`in_split`), training plus train_phrasings.py and the composed banks (compose.py: thousands
    of requests built from parts, none of them a held-out wording or entity)."""
    def entries(module) -> list:
        banks = getattr(module, name, None)
        if banks is None:
            return []
        return list(banks.get(language, []) if isinstance(banks, dict) else banks)

    if split in OWN_BANKS:
        return entries(OWN_BANKS[split])
    if split == "legacy":
        return in_split(entries(P), split)
    return (in_split(entries(P), split) + entries(T) + (composed(name, language) if language else [])
            + composed_media(name, language))


def distractor_notes(split: Split, language: Language) -> list:
    """The notes a knowledge-base search may also return, from the split's own world: training
    only its own notes (never a legacy project, not even as a distractor); val and test their
    modules'; legacy any note of phrasings.py, as its items have always had."""
    if split == "train":
        return bank(split, "NOTES", language)
    return OWN_BANKS.get(split, P).NOTES[language]


@dataclass
class Scenario:
    """One tool-use exchange with its gold behaviour and what the checker needs."""

    id: str
    kind: str
    language: Language
    split: Split
    request: str
    tools: list[str]
    """Names of the tools offered, in the order the prompt lists them."""
    calls: list[dict[str, Any]] = field(default_factory=list)
    """Gold calls, {"name", "arguments"}, all made in the first assistant turn."""
    observations: list[str] = field(default_factory=list)
    """What each gold call returns, rendered as the model sees it."""
    answer: str = ""
    expect: dict[str, Any] = field(default_factory=dict)
    """What a correct call and answer must contain (see tools/scenarios/checks.py)."""
    canned: str | None = None
    """For web, knowledge-base and page scenarios: the observation any call of that tool gets."""

    def messages(self) -> list[dict[str, Any]]:
        """The exchange as OpenAI chat messages (the gold trajectory)."""
        messages: list[dict[str, Any]] = [{"role": "user", "content": self.request}]
        if self.calls:
            ids = [f"call_{i}" for i in range(len(self.calls))]
            messages.append({"role": "assistant", "content": None, "tool_calls": [
                {"id": call_id, "type": "function",
                 "function": {"name": call["name"], "arguments": json.dumps(call["arguments"], ensure_ascii=False)}}
                for call_id, call in zip(ids, self.calls)]})
            messages += [{"role": "tool", "tool_call_id": call_id, "name": call["name"], "content": observation}
                         for call_id, call, observation in zip(ids, self.calls, self.observations)]
        messages.append({"role": "assistant", "content": self.answer})
        return messages

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Scenario":
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


class Observer:
    """Runs the real calculator and python tools; renders canned results of the others."""

    def __init__(self, python_limits: SandboxLimits | None = None):
        limits = python_limits or SandboxLimits(wall_seconds=10, cpu_seconds=5, memory_mb=512)
        self.registry = ToolRegistry([calculator, PythonTool(limits)], max_observation_chars=OBSERVATION_CHARS)

    def observe(self, scenario: Scenario, name: str, arguments: dict[str, Any] | str | None) -> tuple[bool, str]:
        """(ok, observation) of one call made in `scenario`, as the model will see it."""
        if name in self.registry:
            result = self.registry.call(name, arguments)
            return result.ok, result.content
        if name not in scenario.tools:
            return False, f"Error: unknown tool {name!r}; available tools: {', '.join(scenario.tools)}"
        if name in MEDIA_TOOLS and (refusal := self.media_refusal(scenario, name, arguments)):
            return False, refusal
        if scenario.canned is not None and name in {call["name"] for call in scenario.calls}:
            return True, scenario.canned
        # an offered tool this scenario did not need finds nothing
        return True, render_observation(ExternalContent(source=name, text="(no results)"), OBSERVATION_CHARS)[0]

    def media_refusal(self, scenario: Scenario, name: str, arguments: dict[str, Any] | str | None) -> str | None:
        """The error a media tool gives for arguments its schema refuses, or for a file the
        conversation's workspace does not hold (the workspace's own message: it lists the attached file)."""
        try:
            checked = schema_registry().get(name).validate(parse_arguments(arguments))
            if name in FILE_CHECKS:
                argument, suffixes, max_bytes, kind = FILE_CHECKS[name]
                with tempfile.TemporaryDirectory(prefix="lingxi-scenario-") as folder:
                    workspace = Workspace(folder)
                    if scenario.expect.get("file"):  # the attached file, empty: only its name is read here
                        (workspace.path / scenario.expect["file"]).touch()
                    workspace.resolve(checked[argument], suffixes=suffixes, max_bytes=max_bytes, kind=kind)
        except ToolError as error:
            return error_result(str(error), time.perf_counter(), OBSERVATION_CHARS).content
        return None


FILE_CHECKS: dict[str, tuple[str, tuple[str, ...], int, str]] = {
    "ocr": ("image", IMAGE_SUFFIXES, MAX_IMAGE_BYTES, "an image"),
    "speech_to_text": ("audio", AUDIO_SUFFIXES, MAX_AUDIO_BYTES, "audio"),
}
"""The media tools that read a file: (argument, accepted suffixes, size limit, what the file must be),
as each tool passes them to `Workspace.resolve`."""


_SCHEMAS: ToolRegistry | None = None


def schema_registry() -> ToolRegistry:
    """The default registry, for its schemas and argument validation only (nothing runs through
    it here); its knowledge base points at an empty temporary folder and is never opened."""
    global _SCHEMAS
    if _SCHEMAS is None:
        from tools.defaults import default_registry

        _SCHEMAS = default_registry(Path(tempfile.mkdtemp(prefix="lingxi-schemas-")))
    return _SCHEMAS


def tool_schemas(names: list[str]) -> list[dict[str, Any]]:
    """The OpenAI `tools` JSON of the named registry tools, in that order."""
    return schema_registry().schemas(names)


# ---- one scenario per kind ---------------------------------------------------------------------
def _fill(text: str, values: dict[str, Any]) -> str:
    return text.format(**values)


def _draw(slots: dict[str, tuple[int, int]], rng: random.Random) -> dict[str, int]:
    return {name: rng.randint(low, high) for name, (low, high) in slots.items()}


def calculator_result(observer: Observer, expression: str) -> str:
    """What the real calculator returns for a gold expression (a failing gold is a bug: ValueError)."""
    result = observer.registry.call("calculator", {"expression": expression})
    if not result.ok:
        raise ValueError(f"gold expression {expression!r} failed: {result.content}")
    return result.content


def _numeric(text: str) -> float | None:
    try:
        return float(text.split()[0].replace(",", ""))
    except (ValueError, IndexError):
        return None


def make_calculator(lang: Language, split: Split, rng: random.Random, observer: Observer) -> dict[str, Any]:
    phrasing = rng.choice(bank(split, "CALCULATOR", lang))
    values = _draw(phrasing.slots, rng)
    if "sq" in values and rng.random() < 0.5:
        values["sq"] = rng.randint(2, 70) ** 2
    expression = _fill(phrasing.expression, values)
    value = calculator_result(observer, expression)
    return {"request": _fill(phrasing.request, values), "calls": [{"name": "calculator", "arguments": {"expression": expression}}],
            "answer": _fill(phrasing.answer, {**values, "value": quoted_value(value)}),
            "expect": {"values": [_numeric(value)]}}


def make_parallel(lang: Language, split: Split, rng: random.Random, observer: Observer) -> dict[str, Any]:
    request, expressions, answer = rng.choice(bank(split, "PARALLEL", lang))
    values = _draw(P.PARALLEL_SLOTS, rng)
    filled = [_fill(expression, values) for expression in expressions]
    results = [calculator_result(observer, expression) for expression in filled]
    shown = {f"v{i}": quoted_value(result) for i, result in enumerate(results)}
    return {"request": _fill(request, values),
            "calls": [{"name": "calculator", "arguments": {"expression": e}} for e in filled],
            "answer": _fill(answer, {**values, **shown}), "expect": {"values": [_numeric(r) for r in results]}}


def make_python(lang: Language, split: Split, rng: random.Random, observer: Observer) -> dict[str, Any]:
    phrasing = rng.choice(bank(split, "PYTHON", lang))
    words = bank(split, "PYTHON_WORDS")
    values = {"word": rng.choice(words), "n": rng.randint(5, 15), "prime": rng.choice([rng.randint(50, 999), 97, 101, 541, 997]),
              "nums": ", ".join(str(rng.randint(-50, 200)) for _ in range(rng.randint(4, 7))),
              "year": rng.randint(1990, 2030), "month": rng.randint(1, 12), "day": rng.randint(1, 28)}
    code = _fill(phrasing.code, values)
    run = observer.registry.call("python", {"code": code})
    if not run.ok:
        raise ValueError(f"gold code failed: {run.content}")
    output = _stdout(run.content)
    return {"request": _fill(phrasing.request, values), "calls": [{"name": "python", "arguments": {"code": code}}],
            "answer": _fill(phrasing.answer, {**values, "value": output}), "expect": {"output": output}}


def _stdout(report: str) -> str:
    """The printed text of a python tool report ('stdout:\\n...')."""
    text = report.split("stdout:\n", 1)[1] if "stdout:\n" in report else report
    return text.split("\nstderr:", 1)[0].split("\nresult:", 1)[0].strip()


def make_web(lang: Language, split: Split, rng: random.Random, observer: Observer) -> dict[str, Any]:
    fact = rng.choice(bank(split, "WEB_FACTS", lang))
    request = _fill(rng.choice(bank(split, "WEB_REQUESTS", lang)),
                    {"topic": fact.topic})
    query = fact.topic
    results = [{"title": title, "href": url, "body": body} for title, url, body in fact.results]
    canned = render_observation(ExternalContent(source=f"web search for {query!r}", text=format_results(results)),
                                OBSERVATION_CHARS)[0]
    source = fact.results[0][1].split("/")[2]
    answer = _fill(P.WEB_ANSWER_PREFIX[lang], {"source": source}) + fact.answer
    return {"request": request, "calls": [{"name": "web_search", "arguments": {"query": query}}], "canned": canned,
            "answer": answer, "expect": {"query_keywords": list(fact.keywords), "answer_keys": list(fact.answer_keys)}}


def make_knowledge(lang: Language, split: Split, rng: random.Random, observer: Observer) -> dict[str, Any]:
    note = rng.choice(bank(split, "NOTES", lang))
    request = _fill(rng.choice(bank(split, "NOTE_REQUESTS", lang)),
                    {"project": note.project, "attribute": note.attribute})
    query = f"{note.project} {note.attribute}"
    passages = [format_passage(1, note.document, "chunk 0", 0.71, note.passage)]
    notes = distractor_notes(split, lang)
    other = rng.choice([n for n in notes if n.project != note.project])
    passages.append(format_passage(2, other.document, "chunk 0", 0.32, other.passage))
    canned = render_observation(ExternalContent(source=f"knowledge base search for {query!r}", text="\n\n".join(passages)),
                                OBSERVATION_CHARS)[0]
    answer = _fill(P.NOTE_ANSWERS[lang], {"document": note.document, "attribute": note.attribute,
                                          "project": note.project, "value": note.value})
    return {"request": request, "calls": [{"name": "knowledge_base", "arguments": {"query": query}}], "canned": canned,
            "answer": answer, "expect": {"query_keywords": [note.project], "answer_keys": [note.value]}}


def make_fetch(lang: Language, split: Split, rng: random.Random, observer: Observer) -> dict[str, Any]:
    page = rng.choice(bank(split, "PAGES", lang))
    request = _fill(rng.choice(bank(split, "PAGE_REQUESTS", lang)),
                    {"url": page.url})
    canned = render_observation(ExternalContent(source=page.url, text=f"Title: {page.title}\n\n{page.text}"),
                                OBSERVATION_CHARS)[0]
    return {"request": request, "calls": [{"name": "fetch_url", "arguments": {"url": page.url}}], "canned": canned,
            "answer": page.answer, "expect": {"url": page.url, "answer_keys": list(page.answer_keys)}}


ATTACHED = "[attached: {name}]"
"""How the web UI names an attached file in the user's message (ui/attachments.py `with_attachments`)."""


def with_attachment(text: str, name: str) -> str:
    """The user's message as the UI stores it when a file is attached: the text, a blank line, the reference."""
    return f"{text.strip()}\n\n{ATTACHED.format(name=name)}"


def make_ocr(lang: Language, split: Split, rng: random.Random, observer: Observer) -> dict[str, Any]:
    picture = rng.choice(bank(split, "PICTURES", lang))
    request = with_attachment(_fill(rng.choice(bank(split, "OCR_REQUESTS", lang)), {"thing": picture.thing}), picture.file)
    found = [(line, round(rng.uniform(0.86, 0.99), 2), _box(index, line, rng)) for index, line in enumerate(picture.lines)]
    canned = render_observation(format_ocr_lines(picture.file, found), OBSERVATION_CHARS)[0]
    answer = _fill(P.OCR_ANSWERS[lang], {"thing": picture.thing, "text": "\n".join(picture.lines)})
    return {"request": request, "calls": [{"name": "ocr", "arguments": {"image": picture.file}}], "canned": canned,
            "answer": answer, "expect": {"file": picture.file, "answer_keys": list(picture.keys)}}


def _box(index: int, line: str, rng: random.Random) -> list[list[float]]:
    """Where OCR found a line: corners clockwise from the top left, in pixels, lines stacked down the image."""
    left, top = rng.randint(16, 60), 24 + 46 * index + rng.randint(0, 6)
    width = sum(26 if "\u4e00" <= ch <= "\u9fff" else 13 for ch in line)
    right, bottom = left + width, top + rng.randint(26, 32)
    return [[left, top], [right, top], [right, bottom], [left, bottom]]


def make_transcribe(lang: Language, split: Split, rng: random.Random, observer: Observer) -> dict[str, Any]:
    recording = rng.choice(bank(split, "RECORDINGS", lang))
    request = with_attachment(_fill(rng.choice(bank(split, "TRANSCRIBE_REQUESTS", lang)), {"thing": recording.thing}),
                              recording.file)
    seconds = _speaking_seconds(recording.transcript) * rng.uniform(0.9, 1.2)
    canned = render_observation(format_transcript(recording.file, recording.transcript, seconds, recording.language,
                                                  rng.uniform(0.86, 0.99)), OBSERVATION_CHARS)[0]
    answer = _fill(P.TRANSCRIPT_ANSWERS[lang], {"thing": recording.thing, "text": recording.transcript})
    return {"request": request, "calls": [{"name": "speech_to_text", "arguments": {"audio": recording.file}}],
            "canned": canned, "answer": answer,
            "expect": {"file": recording.file, "language": recording.language, "answer_keys": list(recording.keys)}}


def make_speak(lang: Language, split: Split, rng: random.Random, observer: Observer) -> dict[str, Any]:
    text = rng.choice(bank(split, "SPEECH_TEXTS"))
    request = _fill(rng.choice(bank(split, "SPEAK_REQUESTS", lang)), {"text": text})
    # the workspace may hold earlier speech: the tool never overwrites, so the name is read, not assumed
    written = rng.choice(["speech.wav", "speech.wav", "speech.wav", "speech-2.wav", "speech-3.wav"])
    canned = render_observation(format_speech_written(written, _speaking_seconds(text) * rng.uniform(0.9, 1.1)),
                                OBSERVATION_CHARS)[0]
    return {"request": request, "calls": [{"name": "text_to_speech", "arguments": {"text": text}}], "canned": canned,
            "answer": _fill(P.SPEECH_ANSWERS[lang], {"file": written}), "expect": {"text": text, "answer_keys": [written]}}


def _speaking_seconds(text: str) -> float:
    """About how long `text` takes to say: 2.6 English words or 4.5 Chinese characters a second."""
    chinese = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    return max(1.0, chinese / 4.5 if chinese else len(text.split()) / 2.6)


def make_chat(lang: Language, split: Split, rng: random.Random, observer: Observer) -> dict[str, Any]:
    request, answer = rng.choice(bank(split, "CHAT", lang))
    return {"request": request, "answer": answer}


def make_unserved(lang: Language, split: Split, rng: random.Random, observer: Observer,
                  tools: list[str] | None = None) -> dict[str, Any]:
    request, action = rng.choice(bank(split, "UNSERVED", lang))
    names = ", ".join(tools or TOOL_NAMES)
    return {"request": request, "answer": _fill(P.UNSERVED_ANSWERS[lang], {"action": action, "tools": names})}


MAKERS: dict[str, Callable[..., dict[str, Any]]] = {
    "calculator": make_calculator, "parallel": make_parallel, "python": make_python, "web_search": make_web,
    "knowledge_base": make_knowledge, "fetch_url": make_fetch, "no_tool": make_chat, "irrelevant": make_unserved,
    "ocr": make_ocr, "speech_to_text": make_transcribe, "text_to_speech": make_speak,
}
NEEDED = {"calculator": ["calculator"], "parallel": ["calculator"], "python": ["python"], "web_search": ["web_search"],
          "knowledge_base": ["knowledge_base"], "fetch_url": ["fetch_url"], "no_tool": [], "irrelevant": [],
          "ocr": ["ocr"], "speech_to_text": ["speech_to_text"], "text_to_speech": ["text_to_speech"]}


def quoted_value(value: str) -> str:
    """The calculator's value as an answer quotes it: '0.333… (= 1/3)' -> '0.333…'."""
    return value.split(" (")[0]


def offered_tools(kind: str, rng: random.Random, all_tools_share: float) -> list[str]:
    """All five tools (as the app offers them), after them the media tool a media kind needs (as
    the UI adds it to the turn), or the needed ones plus a few of the five, shuffled."""
    needed = NEEDED[kind]
    if rng.random() < all_tools_share:
        return list(TOOL_NAMES) + [name for name in needed if name in MEDIA_TOOLS]
    others = [name for name in TOOL_NAMES if name not in needed]
    count = rng.randint(1 if not needed else 0, 2)
    chosen = needed + rng.sample(others, count)
    rng.shuffle(chosen)
    return chosen


ITEM_PREFIX: dict[Split, str] = {"legacy": "test", "test": "test2"}
"""Item ids (and random streams) by split: the legacy items keep the ids and draws they had as the
first test split, so its earlier runs still pair item by item; the new test split's ids differ."""


UNNEEDED_MEDIA_SHARE = 0.125
"""Share of the training conversations of the other kinds that are also offered a media tool they
do not need (as a turn with an attachment, or with text_to_speech ticked, offers one), so that a
model learns that a media tool offered is not a media tool to call."""


def with_unneeded_media_tool(tools: list[str], kind: str, split: Split, scenario_id: str) -> list[str]:
    """``tools``, in `UNNEEDED_MEDIA_SHARE` of training scenarios of a kind that needs no media tool
    with one appended. Drawn from a stream of its own, keyed by the scenario's id, so that every
    other draw of the split (and so its requests) stays as it was."""
    if split != "train" or kind in MEDIA_KINDS:
        return tools
    rng = random.Random(f"unneeded-media-{scenario_id}")
    return tools + [rng.choice(MEDIA_TOOLS)] if rng.random() < UNNEEDED_MEDIA_SHARE else tools


def make_scenario(kind: str, language: Language, split: Split, rng: random.Random, observer: Observer,
                  index: int, all_tools_share: float = 1.0) -> Scenario:
    scenario_id = f"{ITEM_PREFIX.get(split, split)}-{kind}-{language}-{index}"
    tools = with_unneeded_media_tool(offered_tools(kind, rng, all_tools_share), kind, split, scenario_id)
    if kind == "irrelevant":
        fields = make_unserved(language, split, rng, observer, tools)
    else:
        fields = MAKERS[kind](language, split, rng, observer)
    scenario = Scenario(id=scenario_id, kind=kind, language=language, split=split, tools=tools, **fields)
    scenario.observations = [observer.observe(scenario, call["name"], call["arguments"])[1] for call in scenario.calls]
    return scenario


def build_scenarios(split: Split, per_kind: int, seed: int = 0, kinds: tuple[str, ...] = KINDS,
                    all_tools_share: float | None = None, observer: Observer | None = None,
                    unique: bool | None = None) -> list[Scenario]:
    """`per_kind` scenarios of each kind, alternating English and Chinese, in a fixed order for
    (split, per_kind, seed). The held-out splits (val, test, legacy) always offer all five tools, as
    the app does (and a media kind's tool after them), and keep no two items with the same request;
    training offers all five in half the cases. `kinds`: `KINDS` unless asked, e.g. `MEDIA_KINDS`."""
    observer = observer or Observer()
    evaluated = split != "train"
    share = all_tools_share if all_tools_share is not None else (1.0 if evaluated else 0.5)
    unique = evaluated if unique is None else unique
    scenarios: list[Scenario] = []
    for kind in kinds:
        rng = random.Random(f"{seed}-{ITEM_PREFIX.get(split, split)}-{kind}")
        seen: set[str] = set()
        for index in range(per_kind):
            language: Language = "en" if index % 2 == 0 else "zh"
            for _attempt in range(20):
                scenario = make_scenario(kind, language, split, rng, observer, index, share)
                if not unique or scenario.request not in seen:
                    break
            else:
                continue  # this kind's bank has no more distinct requests in this split
            seen.add(scenario.request)
            scenarios.append(scenario)
    return scenarios


HELD_OUT_SIZES: dict[Split, int] = {"val": 40, "test": 60, "legacy": 16}
"""Items per kind of each held-out split as the benchmarks ask them (eval/lingxi_tools.py)."""
MEDIA_HELD_OUT_SIZES: dict[Split, int] = {"val": 40, "test": 60}
"""Items per media kind of `lingxi_tools_media_val` and `lingxi_tools_media` (there is no legacy share)."""


def held_out_scenarios(observer: Observer | None = None) -> list[Scenario]:
    """Every item the held-out benchmarks ask (validation and test, media included), for leakage
    checks of training data."""
    observer = observer or Observer()
    sized = [(split, per_kind, KINDS) for split, per_kind in HELD_OUT_SIZES.items()]
    sized += [(split, per_kind, MEDIA_KINDS) for split, per_kind in MEDIA_HELD_OUT_SIZES.items()]
    return [s for split, per_kind, kinds in sized for s in build_scenarios(split, per_kind, kinds=kinds, observer=observer)]
