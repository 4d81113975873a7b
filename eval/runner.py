"""Run a benchmark against a ChatEngine: cached, resumable, optionally concurrent.

Every prediction is appended to a JSONL cache as soon as it is made, keyed by benchmark, model
name, item id and the benchmark's config; a run that is interrupted (or re-run with a larger
limit) resumes without asking the model again. Predictions are cached rather than scores, so a
fixed checker re-scores old runs for free. Model errors (typed `ModelError`s) become failed
records; a transient one (anything but a too-long prompt or an invalid request) is not cached,
so a resumed run retries it.

Each run writes one JSON file: model, bench, config, accuracy, per-category accuracy, error
types, load issues and every record.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tools import lingxi_home
from eval.base import Benchmark, Item, LoadIssue, Prediction, Record, engine_error_prediction, error_record
from model.engines.base import ChatEngine
from model.errors import ContextLengthError, InvalidRequestError, ModelError

logger = logging.getLogger(__name__)

RUN_FORMAT = "lingxi-eval-run/1"
DETERMINISTIC_ERRORS = (ContextLengthError, InvalidRequestError)
"""Model errors that would recur on a retry: cached like any prediction."""

ProgressFn = Callable[[int, int, Record], None]
"""progress(done, total, record) after each item (cached ones included), from the calling thread."""


def default_runs_dir() -> Path:
    """Where eval runs go by default: $LINGXI_HOME/eval (LINGXI_HOME defaults to ~/.lingxi)."""
    return lingxi_home() / "eval"


def slug(text: str) -> str:
    """A file-name-safe form of a model or bench name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "model"


@dataclass
class CategoryScore:
    n: int
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0


@dataclass
class RunResult:
    model: str
    bench: str
    config: dict[str, Any]
    records: list[Record]
    load_issues: list[LoadIssue] = field(default_factory=list)
    started_at: str = ""
    finished_at: str = ""
    new_predictions: int = 0
    """Items the model was asked about in this run (the rest came from the cache)."""
    path: Path | None = None

    @property
    def n(self) -> int:
        return len(self.records)

    @property
    def accuracy(self) -> float:
        return sum(r.correct for r in self.records) / self.n if self.n else 0.0

    def per_category(self) -> dict[str, CategoryScore]:
        scores: dict[str, CategoryScore] = {}
        for record in self.records:
            score = scores.setdefault(record.category, CategoryScore(0, 0))
            score.n += 1
            score.correct += int(record.correct)
        return dict(sorted(scores.items()))

    def mean_scores(self) -> dict[str, float]:
        totals: dict[str, list[float]] = {}
        for record in self.records:
            for key, value in record.scores.items():
                totals.setdefault(key, []).append(float(value))
        return {key: sum(values) / len(values) for key, values in sorted(totals.items())}

    def error_types(self) -> dict[str, int]:
        return dict(Counter(r.error_type for r in self.records if r.error_type).most_common())

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": RUN_FORMAT,
            "model": self.model,
            "bench": self.bench,
            "config": self.config,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "n": self.n,
            "correct": sum(r.correct for r in self.records),
            "accuracy": self.accuracy,
            "scores": self.mean_scores(),
            "per_category": {
                name: {"n": s.n, "correct": s.correct, "accuracy": s.accuracy}
                for name, s in self.per_category().items()
            },
            "error_types": self.error_types(),
            "new_predictions": self.new_predictions,
            "load_issues": [asdict(issue) for issue in self.load_issues],
            "records": [r.to_dict() for r in self.records],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: Path | None = None) -> "RunResult":
        return cls(
            model=data["model"],
            bench=data["bench"],
            config=data.get("config", {}),
            records=[Record.from_dict(r) for r in data.get("records", [])],
            load_issues=[LoadIssue(**issue) for issue in data.get("load_issues", [])],
            started_at=data.get("started_at", ""),
            finished_at=data.get("finished_at", ""),
            new_predictions=data.get("new_predictions", 0),
            path=path,
        )

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)
        self.path = path
        return path


def load_run(path: str | os.PathLike) -> RunResult:
    path = Path(path)
    return RunResult.from_dict(json.loads(path.read_text(encoding="utf-8")), path)


class PredictionCache:
    """Append-only JSONL of predictions; a torn last line (a killed run) is ignored."""

    def __init__(self, path: Path, bench: str, model: str, config: dict[str, Any]):
        self.path = path
        self.bench = bench
        self.model = model
        self.config_hash = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
        self._lock = threading.Lock()
        self._entries = self._read()

    def _read(self) -> dict[str, Prediction]:
        entries: dict[str, Prediction] = {}
        if not self.path.exists():
            return entries
        with open(self.path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    row = json.loads(line)
                    if (row["bench"], row["model"], row["config"]) == (self.bench, self.model, self.config_hash):
                        entries[row["id"]] = Prediction.from_dict(row["prediction"])
                except (json.JSONDecodeError, KeyError, TypeError):
                    logger.warning("prediction cache %s: ignoring unreadable line %d", self.path, number)
        return entries

    def get(self, item_id: str) -> Prediction | None:
        return self._entries.get(item_id)

    def put(self, item_id: str, prediction: Prediction) -> None:
        row = {"bench": self.bench, "model": self.model, "config": self.config_hash,
               "id": item_id, "prediction": prediction.to_dict()}
        line = json.dumps(row, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
            self._entries[item_id] = prediction


def run_benchmark(
    engine: ChatEngine,
    bench: Benchmark,
    limit: int | None = None,
    concurrency: int = 1,
    out_dir: str | os.PathLike | None = None,
    progress: ProgressFn | None = None,
    model_name: str | None = None,
) -> RunResult:
    """Evaluate `engine` on the first `limit` items of `bench`; write and return the run.

    Files: `<out_dir>/<bench>__<model>.json` (the run) and `<out_dir>/cache/<model>/<bench>.jsonl`
    (predictions). `model_name` (default `engine.name`) keys the cache: give base, tuned and
    quantized models different names."""
    out = Path(out_dir) if out_dir is not None else default_runs_dir()
    model = model_name or engine.name
    started = _now()
    items = bench.load()
    items = items[:limit] if limit is not None else items
    config = {**bench.config(), "limit": limit}
    cache = PredictionCache(out / "cache" / slug(model) / f"{slug(bench.name)}.jsonl", bench.name, model, bench.config())
    logger.info("eval %s on %s: %d items, %d cached", bench.name, model, len(items),
                sum(cache.get(i.id) is not None for i in items))

    records: dict[str, Record] = {}
    counter = _Progress(len(items), progress)
    pending: list[Item] = []
    for item in items:
        cached = cache.get(item.id)
        if cached is None:
            pending.append(item)
            continue
        record = _score(bench, item, cached)
        record.cached = True
        records[item.id] = record
        counter.step(record)

    for item, prediction in _predict_all(engine, bench, pending, concurrency):
        if prediction.error_type is None or prediction.error_type in {e.__name__ for e in DETERMINISTIC_ERRORS}:
            cache.put(item.id, prediction)
        record = _score(bench, item, prediction)
        records[item.id] = record
        counter.step(record)

    result = RunResult(
        model=model,
        bench=bench.name,
        config=config,
        records=[records[item.id] for item in items],
        load_issues=list(bench.load_issues),
        started_at=started,
        finished_at=_now(),
        new_predictions=len(pending),
    )
    result.save(out / f"{slug(bench.name)}__{slug(model)}.json")
    logger.info("eval %s on %s: accuracy %.3f over %d items -> %s",
                bench.name, model, result.accuracy, result.n, result.path)
    return result


def _score(bench: Benchmark, item: Item, prediction: Prediction) -> Record:
    if prediction.error_type is not None:
        return error_record(bench, item, prediction)
    return bench.check(item, prediction)


def _predict_one(engine: ChatEngine, bench: Benchmark, item: Item) -> Prediction:
    started = time.perf_counter()
    try:
        return bench.predict(engine, item)
    except ModelError as error:
        logger.warning("%s %s: %s: %s", bench.name, item.id, type(error).__name__, error)
        return engine_error_prediction(error, time.perf_counter() - started)


def _predict_all(engine: ChatEngine, bench: Benchmark, items: list[Item],
                 concurrency: int) -> Iterator[tuple[Item, Prediction]]:
    """Yield (item, prediction) as predictions complete, in the calling thread."""
    if concurrency <= 1:
        for item in items:
            yield item, _predict_one(engine, bench, item)
        return
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eval") as pool:
        queue = iter(items)
        running: dict[Future, Item] = {}

        def refill() -> None:
            # At most 2x concurrency in flight: an interrupted run loses little work.
            while len(running) < 2 * concurrency:
                item = next(queue, None)
                if item is None:
                    return
                running[pool.submit(_predict_one, engine, bench, item)] = item

        refill()
        try:
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    item = running.pop(future)
                    yield item, future.result()
                refill()
        finally:
            for future in running:
                future.cancel()


class _Progress:
    def __init__(self, total: int, callback: ProgressFn | None):
        self.total = total
        self.done = 0
        self.callback = callback

    def step(self, record: Record) -> None:
        self.done += 1
        if self.callback is not None:
            self.callback(self.done, self.total, record)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
