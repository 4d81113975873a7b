"""`lingxi data clean IN OUT`: normalise, deduplicate, check for eval leakage and filter SFT data.

The steps follow the cleaning of 书生·万卷 (WanJuan), at the scale of one conversation file. A
record that goes is dropped by the first step that rejects it, with a reason and its evidence:

1. normalise. Comparison keys are Unicode NFKC, casefolded, whitespace collapsed, stripped. The
   text that is kept changes only where that is safe: NFC (not NFKC, which would turn Chinese
   full-width punctuation into ASCII), CRLF -> LF, zero-width spaces and BOMs removed, each
   message content stripped. Tool-call arguments stay byte for byte; every other field of a
   record is kept. No user text or no assistant turn left -> `normalised-empty`.
2. exact duplicates: a hash of the normalised conversation (every message, call and tool
   schema) -> `exact-duplicate`, naming the record kept.
3. near duplicates: MinHash LSH (datasketch) over character n-grams (5 by default: they work for
   English and Chinese alike) of the user and assistant turns; a candidate is confirmed on the
   exact Jaccard similarity of the two n-gram sets. System prompts and tool results are left
   out: they are shared context that would make unrelated conversations look alike. The first
   record of each cluster stays -> `near-duplicate`, naming it and the similarity.
4. leakage: a user turn equal (normalised) to a held-out evaluation request, or a near
   duplicate of one -> `leakage`, naming the request. Held-out requests are the validation,
   test and legacy items of Lingxi's tool-use benchmarks (`tools.scenarios.held_out_scenarios`)
   and the requests of `against` files.
5. length: characters of all message text and call arguments (tool schemas not counted)
   -> `too-short` / `too-long`.
6. language, from the user's text (the assistant's where no user writes) by script (`training.dedup.detect_language`: a
   CJK share of letters of at least 0.3 is Chinese, Japanese where kana are 10% of it, Korean
   where Hangul dominates; else 80% Latin letters is taken as English, by script alone, so
   French passes as "en"; else "other"; no letters is "unknown") -> `language`.

`clean(records, config)` is the pure part; `clean_file` reads, cleans and writes (atomically:
a temporary file, then a rename), and is what the command line calls.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from training.conversation import Conversation
from training.dedup import Language, NearIndex, detect_language, normalise_key, tidy_text
from training.errors import DataFormatError, TrainingError
from training.formats.records import iter_json_records

logger = logging.getLogger(__name__)

REASONS = ("normalised-empty", "exact-duplicate", "near-duplicate", "leakage", "too-short", "too-long", "language")
EXCERPT_CHARS = 160
Progress = Callable[[int, int], None]


class CleanError(TrainingError):
    """A clean that cannot run: OUT would overwrite IN, the held-out requests cannot be built."""


class CleanConfig(BaseModel):
    """What `lingxi data clean` removes; every threshold in one place."""

    model_config = ConfigDict(extra="forbid")

    near_dup_threshold: float = Field(0.85, gt=0, le=1, description="Jaccard similarity (of character n-grams) "
                                                                    "from which two conversations are near duplicates")
    leakage_threshold: float = Field(0.85, gt=0, le=1, description="Jaccard similarity from which a user turn "
                                                                   "counts as a held-out eval request")
    num_perm: int = Field(128, ge=16, le=1024, description="MinHash permutations (more: a finer estimate, slower)")
    shingle_size: int = Field(5, ge=1, le=32, description="characters per n-gram (5 suits English and Chinese)")
    min_chars: int = Field(8, ge=0, description="shortest conversation kept, in characters")
    max_chars: int = Field(16_000, ge=1, description="longest conversation kept, in characters")
    languages: list[Language] = Field(["en", "zh"], description="languages kept (en, zh, ja, ko, other, unknown), "
                                                                "detected by script")
    leakage: bool = Field(True, description="drop conversations that contain a held-out evaluation request")
    scenarios: bool = Field(True, description="check leakage against the val/test/legacy items of Lingxi's "
                                              "tool-use benchmarks")
    against: list[str] = Field([], description="more held-out files for the leakage check: JSONL of "
                                               "{messages} (user turns), {request} or {question}")
    seed: int = Field(1, description="MinHash seed")

    @model_validator(mode="after")
    def _check_lengths(self) -> "CleanConfig":
        if self.min_chars > self.max_chars:
            raise ValueError(f"min_chars ({self.min_chars}) is above max_chars ({self.max_chars})")
        return self


# ---- the report ------------------------------------------------------------------------------
@dataclass
class Drop:
    """One record that did not survive, and why."""

    index: int
    location: str
    id: str | None
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)
    excerpt: str = ""


@dataclass
class CleanReport:
    records_in: int = 0
    records_out: int = 0
    dropped: Counter = field(default_factory=Counter)
    languages_in: Counter = field(default_factory=Counter)
    languages_out: Counter = field(default_factory=Counter)
    held_out: int = 0
    """Held-out requests the leakage step compared against."""
    drops: list[Drop] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)

    def examples(self, per_reason: int = 3) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for drop in self.drops:
            chosen = out.setdefault(drop.reason, [])
            if len(chosen) < per_reason:
                chosen.append(asdict(drop))
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the report file: counts, languages, three examples per reason."""
        return {"records_in": self.records_in, "records_out": self.records_out,
                "dropped": {reason: self.dropped[reason] for reason in REASONS if self.dropped[reason]},
                "dropped_total": sum(self.dropped.values()),
                "languages_in": dict(self.languages_in.most_common()),
                "languages_out": dict(self.languages_out.most_common()),
                "held_out_requests": self.held_out, "examples": self.examples(),
                "config": self.config, "paths": self.paths}


# ---- conversation keys ----------------------------------------------------------------------
def tidy_record(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of `record` with each string message content tidied; everything else as it was."""
    messages = [dict(message, content=tidy_text(message["content"]))
                if isinstance(message, dict) and isinstance(message.get("content"), str) else message
                for message in record["messages"]]
    return dict(record, messages=messages)


def _call_key(call: dict[str, Any]) -> str:
    function = call["function"]
    arguments = json.loads(function["arguments"])  # normal form: valid JSON text
    return function["name"] + normalise_key(json.dumps(arguments, ensure_ascii=False, sort_keys=True))


def conversation_key(conversation: Conversation) -> str:
    """A hash of the normalised conversation: messages, calls and tool schemas."""
    parts = [[message["role"], normalise_key(message.get("content") or ""),
              [_call_key(call) for call in message.get("tool_calls") or []]] for message in conversation.messages]
    text = json.dumps([parts, conversation.tools], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def signature_text(conversation: Conversation) -> str:
    """What near-duplicate detection compares: the user and assistant turns, calls included."""
    parts = []
    for message in conversation.messages:
        if message["role"] in ("user", "assistant"):
            parts.append(message.get("content") or "")
            parts += [_call_key(call) for call in message.get("tool_calls") or []]
    return normalise_key("\n".join(part for part in parts if part))


# ---- the steps -------------------------------------------------------------------------------
@dataclass
class _Item:
    """One record on its way through the steps."""

    index: int
    location: str
    record: dict[str, Any]
    """The record as it will be written (contents tidied)."""
    conversation: Conversation
    language: Language

    @property
    def requests(self) -> list[str]:
        return [message["content"] for message in self.conversation.messages
                if message["role"] == "user" and message.get("content")]

    def excerpt(self) -> str:
        text = " | ".join(self.requests) or self.conversation.text()
        return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"

    def ref(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.conversation.id, "location": self.location}


class _Run:
    """The state of one clean: the report it fills and the progress it reports."""

    def __init__(self, total: int, progress: Progress | None):
        self.report = CleanReport(records_in=total)
        self.progress, self.total, self.step = progress, total, 0

    def drop(self, item: _Item, reason: str, **detail: Any) -> None:
        self.report.dropped[reason] += 1
        self.report.drops.append(Drop(item.index, item.location, item.conversation.id, reason, detail,
                                      item.excerpt()))

    def tick(self, done: int) -> None:
        if self.progress is not None and (done % 256 == 0 or done == self.total):
            self.progress(self.step * self.total + done, len(_STEPS) * self.total)

    def next_step(self) -> None:
        self.step += 1
        if self.progress is not None:
            self.progress(self.step * self.total, len(_STEPS) * self.total)


def _is_empty(conversation: Conversation) -> bool:
    messages = conversation.messages
    has_user = any(m["role"] == "user" and normalise_key(m.get("content") or "") for m in messages)
    has_answer = any(m["role"] == "assistant" and (normalise_key(m.get("content") or "") or m.get("tool_calls"))
                     for m in messages)
    return not (has_user and has_answer)


def _step_empty(items: list[_Item], run: _Run, config: CleanConfig) -> list[_Item]:
    kept = []
    for item in items:
        if _is_empty(item.conversation):
            run.drop(item, "normalised-empty")
        else:
            kept.append(item)
    return kept


def _step_exact(items: list[_Item], run: _Run, config: CleanConfig) -> list[_Item]:
    seen: dict[str, _Item] = {}
    kept = []
    for item in items:
        key = conversation_key(item.conversation)
        if key in seen:
            run.drop(item, "exact-duplicate", duplicate_of=seen[key].ref())
        else:
            seen[key] = item
            kept.append(item)
    return kept


def _index(config: CleanConfig, threshold: float) -> NearIndex:
    return NearIndex(threshold, config.num_perm, config.shingle_size, config.seed)


def _step_near(items: list[_Item], run: _Run, config: CleanConfig) -> list[_Item]:
    index = _index(config, config.near_dup_threshold)
    kept = []
    for done, item in enumerate(items, start=1):
        signature = signature_text(item.conversation)
        found = index.match(signature)
        if found is not None:
            first, similarity = found
            run.drop(item, "near-duplicate", duplicate_of=first.ref(), jaccard=round(similarity, 3))
        else:
            index.add(signature, item)
            kept.append(item)
        run.tick(done)
    return kept


def _leak(item: _Item, exact: dict[str, str], index: NearIndex) -> dict[str, Any] | None:
    for request in item.requests:
        key = normalise_key(request)
        if key in exact:
            return {"matches": exact[key], "jaccard": 1.0, "request": request[:EXCERPT_CHARS]}
        found = index.match(key)
        if found is not None:
            return {"matches": found[0], "jaccard": round(found[1], 3), "request": request[:EXCERPT_CHARS]}
    return None


def _step_leakage(items: list[_Item], run: _Run, config: CleanConfig, held_out: Sequence[str]) -> list[_Item]:
    if not config.leakage or not held_out:
        return items
    index = _index(config, config.leakage_threshold)
    exact: dict[str, str] = {}
    for request in held_out:
        key = normalise_key(request)
        if key and key not in exact:
            exact[key] = request
            index.add(key, request)
    kept = []
    for done, item in enumerate(items, start=1):
        found = _leak(item, exact, index)
        if found is not None:
            run.drop(item, "leakage", **found)
        else:
            kept.append(item)
        run.tick(done)
    return kept


def _step_length(items: list[_Item], run: _Run, config: CleanConfig) -> list[_Item]:
    kept = []
    for item in items:
        chars = len(item.conversation.text())
        if chars < config.min_chars:
            run.drop(item, "too-short", chars=chars, min_chars=config.min_chars)
        elif chars > config.max_chars:
            run.drop(item, "too-long", chars=chars, max_chars=config.max_chars)
        else:
            kept.append(item)
    return kept


def _step_language(items: list[_Item], run: _Run, config: CleanConfig) -> list[_Item]:
    kept = []
    for item in items:
        if item.language in config.languages:
            kept.append(item)
        else:
            run.drop(item, "language", language=item.language, allowed=list(config.languages))
    return kept


_STEPS = ("normalise", "exact", "near", "leakage", "length", "language")


def _language_text(conversation: Conversation) -> str:
    """The text a conversation's language is judged on: what its user writes (a Chinese request
    whose answer quotes code or Base64 is Chinese), or the assistant's text when no user writes."""
    for roles in (("user",), ("assistant",)):
        text = "\n".join(m.get("content") or "" for m in conversation.messages if m["role"] in roles)
        if text.strip():
            return text
    return ""


def _prepare(records: Sequence[dict[str, Any]], locations: Sequence[str] | None) -> list[_Item]:
    """Each record tidied and read as a Conversation; a record that cannot be read is an error."""
    items = []
    for index, record in enumerate(records):
        location = locations[index] if locations is not None else f"record {index}"
        try:
            if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
                raise DataFormatError('expected a JSON object with "messages" (a list of chat messages)')
            tidy = tidy_record(record)
            conversation = Conversation.from_record(tidy)
        except DataFormatError as error:
            raise DataFormatError(error.detail, location) from None
        items.append(_Item(index, location, tidy, conversation, detect_language(_language_text(conversation))))
    return items


def clean(records: Sequence[dict[str, Any]], config: CleanConfig | None = None, held_out: Sequence[str] | None = None,
          locations: Sequence[str] | None = None, progress: Progress | None = None) -> tuple[list[dict], CleanReport]:
    """The kept records (in input order, contents tidied) and the report.

    `held_out`: the evaluation requests for the leakage step; None builds them from the config
    (`held_out_requests`). `locations` name the records in errors and the report ("f.jsonl:3").
    Raises DataFormatError (with the location) for a record that is not a conversation.
    """
    config = config or CleanConfig()
    if held_out is None:
        held_out = held_out_requests(config) if config.leakage else []
    items = _prepare(records, locations)
    run = _Run(len(items), progress)
    run.report.held_out = len(held_out) if config.leakage else 0
    run.report.config = config.model_dump()
    run.report.languages_in.update(item.language for item in items)
    for step in (_step_empty, _step_exact, _step_near):
        items = step(items, run, config)
        run.next_step()
    items = _step_leakage(items, run, config, held_out)
    run.next_step()
    for step in (_step_length, _step_language):
        items = step(items, run, config)
        run.next_step()
    run.report.records_out = len(items)
    run.report.languages_out.update(item.language for item in items)
    run.report.drops.sort(key=lambda drop: drop.index)
    logger.info("clean: %d in, %d out, dropped %s", run.report.records_in, len(items), dict(run.report.dropped))
    return [item.record for item in items], run.report


# ---- held-out requests ---------------------------------------------------------------------------
def held_out_requests(config: CleanConfig) -> list[str]:
    """The requests the leakage step compares against: the scenario benchmarks' held-out items
    (when `config.scenarios`) and those of the `against` files."""
    requests: list[str] = []
    if config.scenarios:
        requests += scenario_requests()
    for path in config.against:
        requests += read_requests(path)
    logger.info("leakage check against %d held-out requests", len(requests))
    return requests


def scenario_requests() -> list[str]:
    """The val, test and legacy requests of Lingxi's tool-use benchmarks (built on first use)."""
    try:
        from tools.scenarios import held_out_scenarios

        return [scenario.request for scenario in held_out_scenarios()]
    except Exception as error:  # a bank being edited, a tool failing: say so, with the way round it
        raise CleanError(f"cannot build the held-out tool-use scenarios ({type(error).__name__}: {error}); "
                         "check against files only with --no-scenarios --against FILE") from error


def read_requests(path: str | Path) -> list[str]:
    """Requests of a held-out file: the user turns of {messages} records, or {request} / {question}."""
    requests: list[str] = []
    for raw in iter_json_records(path):
        if raw.error is not None:
            raise DataFormatError(raw.error, raw.location)
        value = raw.value
        if isinstance(value, dict) and isinstance(value.get("messages"), list):
            requests += [message["content"] for message in value["messages"] if isinstance(message, dict)
                         and message.get("role") == "user" and isinstance(message.get("content"), str)]
        elif isinstance(value, dict) and isinstance(value.get("request", value.get("question")), str):
            requests.append(value.get("request", value.get("question")))
        else:
            raise DataFormatError('expected {"messages": [...]}, {"request": "..."} or {"question": "..."}',
                                  raw.location)
    return requests


# ---- files ---------------------------------------------------------------------------------------
def read_records(path: str | Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The JSON records of a JSONL file and their locations; the first unreadable line is an error."""
    records, locations = [], []
    for raw in iter_json_records(path):
        if raw.error is not None:
            raise DataFormatError(raw.error, raw.location)
        records.append(raw.value)
        locations.append(raw.location)
    return records, locations


def write_atomic(path: str | Path, lines: Iterable[str]) -> None:
    """Write `lines` to a temporary file beside `path`, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp", delete=False)
    try:
        with handle:
            handle.writelines(lines)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def default_report_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.stem + ".report.json")


def clean_file(source: str | Path, out: str | Path, config: CleanConfig | None = None,
               report_path: str | Path | None = None, dropped_path: str | Path | None = None,
               held_out: Sequence[str] | None = None, progress: Progress | None = None) -> CleanReport:
    """Clean `source` into `out`; write the report (and, if asked, the dropped records with their
    reasons). Nothing is written when reading or cleaning fails."""
    config = config or CleanConfig()
    report_path = Path(report_path) if report_path else default_report_path(out)
    _refuse_overwrite(Path(source), [Path(out), report_path, *([Path(dropped_path)] if dropped_path else [])],
                      config)
    records, locations = read_records(source)
    kept, report = clean(records, config, held_out, locations, progress)
    report.paths = {"in": str(source), "out": str(out), "report": str(report_path)}
    write_atomic(out, (json.dumps(record, ensure_ascii=False) + "\n" for record in kept))
    if dropped_path:
        report.paths["dropped"] = str(dropped_path)
        write_atomic(dropped_path, (json.dumps({**asdict(drop), "record": records[drop.index]}, ensure_ascii=False)
                                    + "\n" for drop in report.drops))
    write_atomic(report_path, [json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n"])
    return report


def _refuse_overwrite(source: Path, outputs: list[Path], config: CleanConfig) -> None:
    inputs = [source, *map(Path, config.against)]
    resolved = {path.resolve() for path in inputs}
    for path in outputs:
        if path.resolve() in resolved:
            raise CleanError(f"{path}: an output would overwrite an input; write somewhere else")
    if len({path.resolve() for path in outputs}) != len(outputs):
        raise CleanError("the output, report and dropped files must be different files")
