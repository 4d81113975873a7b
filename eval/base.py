"""What every benchmark shares: items, predictions, records, the Benchmark base class, data lookup.

A benchmark is a small class (STYLE.md #12): `load()` items from the data directory,
`build_request()` for one item, `check()` a prediction against the item's gold answer. The runner
calls `predict()` (by default one `engine.chat`) and caches the `Prediction`, so checks can be
re-run without calling the model again.

Data is never downloaded: it is read from a data directory laid out like `../shared/data`
(`bfcl/`, `mmlu/`, ...): the `data_dir` argument, else `$LINGXI_DATA_DIR`, else `../shared/data`
next to the repository.
"""
from __future__ import annotations

import json
import logging
import os
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from model.engines.base import ChatEngine
from model.tool_format import CALL_OPEN, DEFAULT_TOOL_FORMAT
from model.types import ChatRequest, ChatResult, SamplingParams

logger = logging.getLogger(__name__)

DATA_DIR_ENV = "LINGXI_DATA_DIR"
REPO_ROOT = Path(__file__).resolve().parents[1]


class EvalError(Exception):
    """Base of the errors eval raises on purpose."""


class DataNotFoundError(EvalError):
    """A benchmark's data folder or file is missing; the message names the path looked at."""


class UnknownBenchmarkError(EvalError):
    """A benchmark name that is not in the registry."""


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The data root: the argument, else $LINGXI_DATA_DIR, else ../shared/data beside the repo."""
    if data_dir is not None:
        return Path(data_dir)
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    return REPO_ROOT.parent / "shared" / "data"


@dataclass
class Item:
    """One benchmark question: an id unique within the benchmark, a category for breakdowns,
    and the benchmark's own data (prompt material and gold answer)."""

    id: str
    category: str
    data: dict[str, Any]


@dataclass
class LoadIssue:
    """A line or file the loader could not use: reported in the run result, never raised."""

    source: str
    reason: str
    line: int | None = None


@dataclass
class Prediction:
    """What the model produced for one item: the cached unit of work."""

    text: str = ""
    """The raw generated text (tool calls included as the model wrote them)."""
    calls: list[dict[str, Any]] = field(default_factory=list)
    """Parsed tool calls as {"name", "arguments"}."""
    finish_reason: str = ""
    logprobs: dict[str, float] | None = None
    """Candidate -> log-probability, for benchmarks scored on the next token."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    error_type: str | None = None
    """Set when the engine raised a model error (the class name), e.g. "ContextLengthError"."""
    error: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    """Benchmark-specific facts about how the answer came about (e.g. an agent's step counts)."""

    @classmethod
    def from_result(cls, result: ChatResult, seconds: float = 0.0) -> "Prediction":
        return cls(
            text=raw_output(result),
            calls=[{"name": call.name, "arguments": call.arguments} for call in result.tool_calls],
            finish_reason=result.finish_reason,
            prompt_tokens=result.usage.prompt_tokens,
            completion_tokens=result.usage.completion_tokens,
            seconds=seconds,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Prediction":
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


@dataclass
class Record:
    """The scored outcome of one item, as stored in a run's JSON file."""

    id: str
    category: str
    correct: bool
    scores: dict[str, float] = field(default_factory=dict)
    error_type: str | None = None
    """Why it failed, as a short stable tag (e.g. "value_error:string", "no_call")."""
    error: str = ""
    """A human-readable explanation of the failure."""
    raw_output: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    """Benchmark-specific extras: gold answer, predicted letter, notes about odd gold data."""
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Record":
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


class Benchmark(ABC):
    """Load items, build the request for one, check a prediction. One subclass per benchmark."""

    name: ClassVar[str] = "benchmark"
    default_max_tokens: ClassVar[int] = 256

    def __init__(self, data_dir: str | os.PathLike | None = None, max_tokens: int | None = None):
        self.data_root = resolve_data_dir(data_dir)
        self.max_tokens = max_tokens or self.default_max_tokens
        self.load_issues: list[LoadIssue] = []

    # ---- what a benchmark defines --------------------------------------------------------
    @abstractmethod
    def load(self) -> list[Item]:
        """All items, in a stable order. Unusable lines go to `self.load_issues`."""

    @abstractmethod
    def build_request(self, item: Item) -> ChatRequest:
        """The chat request for one item (greedy decoding, this benchmark's max_tokens)."""

    @abstractmethod
    def check(self, item: Item, prediction: Prediction) -> Record:
        """Score one prediction. Never raises on odd data: it reports an error type instead."""

    def config(self) -> dict[str, Any]:
        """Options that change predictions; part of the cache key and of the run file."""
        return {"max_tokens": self.max_tokens}

    # ---- shared behaviour ------------------------------------------------------------------
    def predict(self, engine: ChatEngine, item: Item) -> Prediction:
        """Ask the model once. Model errors propagate; the runner records them."""
        started = time.perf_counter()
        result = engine.chat(self.build_request(item))
        return Prediction.from_result(result, time.perf_counter() - started)

    def sampling(self) -> SamplingParams:
        return SamplingParams(max_tokens=self.max_tokens, temperature=0.0, top_p=1.0, seed=0)

    def data_path(self, *parts: str) -> Path:
        path = self.data_root.joinpath(*parts)
        if not path.exists():
            raise DataNotFoundError(
                f"{self.name}: data not found at {path} (set {DATA_DIR_ENV} or pass data_dir)"
            )
        return path

    def issue(self, source: Path | str, reason: str, line: int | None = None) -> None:
        issue = LoadIssue(source=str(source), reason=reason, line=line)
        self.load_issues.append(issue)
        where = f"{source}:{line}" if line is not None else str(source)
        logger.warning("%s: skipped %s: %s", self.name, where, reason)

    def record(self, item: Item, prediction: Prediction, **fields: Any) -> Record:
        """A record pre-filled with the item and the model's output."""
        return Record(
            id=item.id,
            category=item.category,
            raw_output=prediction.text,
            calls=prediction.calls,
            **fields,
        )

    # ---- helpers for loaders -----------------------------------------------------------------
    def read_jsonl(self, path: Path) -> list[tuple[int, dict[str, Any]]]:
        """(line number, object) for each parsable JSON-object line; the rest become issues."""
        issues: list[LoadIssue] = []
        rows = read_jsonl(path, issues)
        for issue in issues:
            self.issue(issue.source, issue.reason, issue.line)
        return rows


def read_jsonl(path: Path, issues: list[LoadIssue]) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each JSON-object line of a file; unusable lines go to `issues`."""
    rows: list[tuple[int, dict[str, Any]]] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                issues.append(LoadIssue(str(path), f"invalid JSON ({error.msg})", number))
                continue
            if not isinstance(value, dict):
                issues.append(LoadIssue(str(path), "line is not a JSON object", number))
                continue
            rows.append((number, value))
    return rows


def raw_output(result: ChatResult) -> str:
    """The model's text with its calls, as it wrote them where the engine kept that text.

    An engine whose `raw_text` lacks the parsed-out calls gets them re-rendered in the one
    tool-call format, so a failure report still shows what was called."""
    text = result.raw_text or result.content or ""
    if result.tool_calls and CALL_OPEN not in text:
        rendered = "\n".join(DEFAULT_TOOL_FORMAT.render_call(call) for call in result.tool_calls)
        text = f"{text}\n{rendered}" if text else rendered
    return text


def engine_error_prediction(error: Exception, seconds: float = 0.0) -> Prediction:
    return Prediction(error_type=type(error).__name__, error=str(error), seconds=seconds)


def error_record(bench: Benchmark, item: Item, prediction: Prediction) -> Record:
    """The record of an item whose model call failed."""
    return bench.record(
        item,
        prediction,
        correct=False,
        error_type=f"engine_error:{prediction.error_type}",
        error=prediction.error,
    )
