"""Sampling defaults for a small model, chosen on the validation split: the repeat penalty.

Runs `lingxi_tools_val` (the validation split of Lingxi's tool-use scenarios: never the test
split, never BFCL) on the default model for each repeat penalty and temperature asked, and prints
per setting: accuracy (all / en / zh), the share of replies cut for looping or out of tokens, and
the ratio of accuracy and loop rate to the baseline (penalty 1, the same temperature) measured in
the same run. Temperature 0.2 is what the agent, the UI and the API's agent endpoint sample with;
0 is what `lingxi eval` uses.

    .venv/bin/python bench/sampling.py [--penalties 1.0,1.1,1.2] [--temperatures 0,0.2] [--per-kind 20]
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.lingxi_tools import LingxiToolsVal  # noqa: E402
from eval.runner import RunResult, run_benchmark  # noqa: E402
from model.engines.base import ChatEngine  # noqa: E402
from model.loader import EngineConfig, load_engine  # noqa: E402
from model.types import ChatDelta, ChatRequest, SamplingParams  # noqa: E402

CUT = ("repetition", "length")


class FinishCounter(ChatEngine):
    """Passes requests to `engine` and counts how its replies end."""

    def __init__(self, engine: ChatEngine):
        self.engine, self.name, self.n_ctx = engine, engine.name, engine.n_ctx
        self.finishes: Counter[str] = Counter()

    def stream(self, request: ChatRequest, cancel: threading.Event | None = None) -> Iterator[ChatDelta]:
        for delta in self.engine.stream(request, cancel):
            if delta.finish_reason:
                self.finishes[delta.finish_reason] += 1
            yield delta


class SampledVal(LingxiToolsVal):
    """The validation benchmark at a given temperature (a fixed seed per item, as eval's is)."""

    def __init__(self, temperature: float, per_kind: int):
        super().__init__(per_kind=per_kind)
        self.temperature = temperature

    def sampling(self) -> SamplingParams:
        return SamplingParams(max_tokens=self.max_tokens, temperature=self.temperature, top_p=1.0, seed=0)


@dataclass
class Outcome:
    penalty: float
    temperature: float
    accuracy: dict[str, float]
    cut: float
    replies: int
    seconds: float


def by_language(run: RunResult) -> dict[str, float]:
    scores = {}
    for language in ("all", "en", "zh"):
        records = [r for r in run.records if language == "all" or f"-{language}-" in r.id]
        scores[language] = sum(r.correct for r in records) / len(records) if records else 0.0
    return scores


def measure(engine: ChatEngine, penalty: float, temperature: float, per_kind: int, out: Path) -> Outcome:
    engine.generator.repeat_penalty = penalty
    counter = FinishCounter(engine)
    started = time.perf_counter()
    run = run_benchmark(counter, SampledVal(temperature, per_kind), out_dir=out,
                        model_name=f"default-rp{penalty}-t{temperature}")
    replies = sum(counter.finishes.values())
    cut = sum(counter.finishes[name] for name in CUT) / replies if replies else 0.0
    return Outcome(penalty, temperature, by_language(run), cut, replies, time.perf_counter() - started)


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--penalties", default="1.0,1.1,1.2")
    parser.add_argument("--temperatures", default="0,0.2")
    parser.add_argument("--per-kind", type=int, default=20, help="validation items per kind (half en, half zh)")
    parser.add_argument("--model", default="bundled")
    parser.add_argument("--adapter", default="default")
    parser.add_argument("--n-threads", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    penalties = [float(p) for p in args.penalties.split(",")]
    temperatures = [float(t) for t in args.temperatures.split(",")]
    engine = load_engine(args.model, args.adapter, EngineConfig(n_threads=args.n_threads))
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="lingxi-sampling-") as out:
        for temperature in temperatures:
            for penalty in penalties:
                outcome = measure(engine, penalty, temperature, args.per_kind, Path(out))
                outcomes.append(outcome)
                print(f"  measured repeat_penalty {penalty} at temperature {temperature}: "
                      f"{outcome.accuracy['all']:.1%} in {outcome.seconds:.0f} s", flush=True)
    print(f"\nlingxi_tools_val, {args.per_kind} items per kind, model {args.model} + adapter {args.adapter}")
    print("temperature  repeat_penalty  accuracy  en      zh      cut (loop/length)  accuracy ratio  cut ratio")
    for outcome in outcomes:
        base = next(o for o in outcomes if o.temperature == outcome.temperature and o.penalty == penalties[0])
        print(f"{outcome.temperature:<11}  {outcome.penalty:<14}  {outcome.accuracy['all']:6.1%}    "
              f"{outcome.accuracy['en']:6.1%}  {outcome.accuracy['zh']:6.1%}  "
              f"{outcome.cut:6.1%} of {outcome.replies:<5}      {ratio(outcome.accuracy['all'], base.accuracy['all']):<14}  "
              f"{ratio(outcome.cut, base.cut)}")
    for temperature in temperatures:
        best = max((o for o in outcomes if o.temperature == temperature), key=lambda o: (o.accuracy["all"], -o.cut))
        print(f"best at temperature {temperature}: repeat_penalty {best.penalty}")
    engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
