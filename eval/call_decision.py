"""Calibrating the call decision (model/call_decision.py) on the validation split.

For every validation scenario the model is asked, as the app asks it (all five tools offered),
and two things are measured: its probability of opening the answer with a call (the score), and
what it does when left to itself (its own decision: does its reply hold a call). The threshold
on the score is the one with the best balanced accuracy (the mean of call recall on requests
that need a tool and abstention on those that need none), chosen per language (the scores of
English and Chinese requests are not spread alike); ties go to the middle of the tied range. The
calibrated decision becomes the default only where its balanced accuracy beats the model's own
on the same items, overall and in each language, and, where end-to-end runs of the validation
benchmark are given (`lingxi eval --bench lingxi_tools_val`, once with `--tool-decision model` and
once calibrated), where its task accuracy there does too (`end_to_end`): the decision is a means,
answering right is the end.

    lingxi eval decision --adapter default --out runs/decision [--card model/adapters/lingxi-tools-135m]
        [--end-to-end RUNS/lingxi_tools_val__model.json,RUNS/lingxi_tools_val__calibrated.json]
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from model.call_decision import CARD_KEY, Thresholds
from model.engines.base import ChatEngine
from model.tool_format import CALL_OPEN
from model.types import ChatRequest, SamplingParams
from tools.scenarios import NO_CALL_KINDS, Scenario, build_scenarios, tool_schemas

logger = logging.getLogger(__name__)

OWN_DECISION_TOKENS = 48
"""Tokens the model writes freely to show its own decision: it has opened a call by then, or
answers in text (a call it opens is counted whether or not its arguments fit the budget)."""


@dataclass
class Scored:
    id: str
    kind: str
    language: str
    needs_call: bool
    probability: float
    own_call: bool
    """Whether the model, deciding itself (greedy), called a tool."""


@dataclass
class Rates:
    recall: float
    """Share of requests that need a tool where a call is made."""
    abstention: float
    """Share of requests that need no tool where none is made."""
    calls: int
    no_calls: int

    @property
    def balanced(self) -> float:
        return (self.recall + self.abstention) / 2


def validation_scenarios(split: str = "val", per_kind: int = 40, seed: int = 0) -> list[Scenario]:
    if split == "test":
        raise ValueError("the call decision is calibrated on validation, never on the test split")
    return build_scenarios(split, per_kind, seed)  # type: ignore[arg-type]


def score_scenarios(engine: ChatEngine, scenarios: Iterable[Scenario],
                    progress: Callable[[int, int], None] | None = None) -> list[Scored]:
    """Each scenario's call probability and the model's own decision (the engine must decide
    itself: built with tool_decision "model")."""
    items = list(scenarios)
    scored = []
    for index, scenario in enumerate(items, 1):
        request = ChatRequest([{"role": "user", "content": scenario.request}], tools=tool_schemas(scenario.tools),
                              sampling=SamplingParams(max_tokens=OWN_DECISION_TOKENS, temperature=0.0, seed=0))
        probability = engine.call_probability(request)
        if probability is None:
            raise ValueError(f"engine {engine.name!r} cannot score a call's probability")
        own = engine.chat(request)
        opened = bool(own.tool_calls) or CALL_OPEN in (own.raw_text or "")
        scored.append(Scored(scenario.id, scenario.kind, scenario.language, scenario.kind not in NO_CALL_KINDS,
                             probability, opened))
        if progress:
            progress(index, len(items))
    return scored


def rates(decisions: list[tuple[bool, bool]]) -> Rates:
    """(needs a call, made a call) pairs -> recall and abstention."""
    calls = [made for needs, made in decisions if needs]
    no_calls = [not made for needs, made in decisions if not needs]
    return Rates(sum(calls) / len(calls) if calls else 0.0, sum(no_calls) / len(no_calls) if no_calls else 0.0,
                 len(calls), len(no_calls))


def at_threshold(scored: list[Scored], threshold: float) -> Rates:
    return rates([(item.needs_call, item.probability >= threshold) for item in scored])


def at_thresholds(scored: list[Scored], thresholds: Thresholds) -> Rates:
    """Each item judged by the threshold of its language."""
    return rates([(item.needs_call, item.probability >= thresholds[item.language]) for item in scored])


def own_rates(scored: list[Scored]) -> Rates:
    return rates([(item.needs_call, item.own_call) for item in scored])


def candidate_thresholds(scored: list[Scored]) -> list[float]:
    """Midpoints between neighbouring scores, plus one below and one above them all."""
    values = sorted({item.probability for item in scored})
    if not values:
        return []
    middles = [(low + high) / 2 for low, high in zip(values, values[1:])]
    return [values[0] / 2, *middles, (values[-1] + 1) / 2]


def choose_threshold(scored: list[Scored]) -> float:
    """The threshold with the best balanced accuracy; among tied ones, the middle one."""
    candidates = candidate_thresholds(scored)
    if not candidates:
        raise ValueError("no scored items to calibrate on")
    best = max(at_threshold(scored, t).balanced for t in candidates)
    tied = [t for t in candidates if at_threshold(scored, t).balanced >= best - 1e-12]
    return tied[len(tied) // 2]


def choose_thresholds(scored: list[Scored]) -> Thresholds:
    """A threshold per language (`choose_threshold` on that language's items)."""
    return {language: choose_threshold(items) for language, items in sorted(by_language(scored).items())}


def read_scores(path: Path) -> list[Scored]:
    """Scored items written by an earlier run (decision.jsonl), to choose again without the model."""
    with open(path, encoding="utf-8") as handle:
        return [Scored(**json.loads(line)) for line in handle if line.strip()]


def by_language(scored: list[Scored]) -> dict[str, list[Scored]]:
    groups: dict[str, list[Scored]] = {}
    for item in scored:
        groups.setdefault(item.language, []).append(item)
    return groups


def summarize(scored: list[Scored], thresholds: Thresholds) -> dict[str, Any]:
    """The decision's figures at ``thresholds`` against the model's own, overall and by language."""
    def figures(items: list[Scored]) -> dict[str, Any]:
        calibrated, own = at_thresholds(items, thresholds), own_rates(items)
        return {"items": len(items), "calibrated": {**asdict(calibrated), "balanced": calibrated.balanced},
                "model": {**asdict(own), "balanced": own.balanced}}

    result = {"thresholds": dict(thresholds), "all": figures(scored)}
    result.update({language: figures(items) for language, items in sorted(by_language(scored).items())})
    return result


def _groups(summary: dict[str, Any]) -> list[str]:
    return [key for key in summary if key != "thresholds"]


def card_entry(summary: dict[str, Any], split: str, engine_name: str,
               end_to_end: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the adapter's card records: the thresholds, where they were chosen, and whether they
    are on by default (they beat the model's own decision on validation overall and in no
    language did worse; with end-to-end runs, the same holds for task accuracy)."""
    groups = _groups(summary)
    wins = summary["all"]["calibrated"]["balanced"] > summary["all"]["model"]["balanced"] and all(
        summary[group]["calibrated"]["balanced"] >= summary[group]["model"]["balanced"] for group in groups)
    entry = {"thresholds": {language: round(value, 6) for language, value in summary["thresholds"].items()},
             "split": split, "items": summary["all"]["items"], "model": engine_name,
             "validation": {group: summary[group] for group in groups}}
    if end_to_end is not None:
        accuracy = end_to_end["accuracy"]
        wins = wins and accuracy["all"]["calibrated"] > accuracy["all"]["model"] and all(
            figures["calibrated"] >= figures["model"] for figures in accuracy.values())
        entry["end_to_end"] = end_to_end
    return {**entry, "default": wins}


def end_to_end(model_run: Path, calibrated_run: Path) -> dict[str, Any]:
    """Task accuracy of two runs of the same validation benchmark, the model deciding and the
    calibrated decision, by language, with the paired sign test of the items they disagree on."""
    from eval.stats import paired
    from eval.runner import load_run

    runs = {"model": load_run(model_run), "calibrated": load_run(calibrated_run)}
    if runs["model"].bench != runs["calibrated"].bench:
        raise ValueError(f"the two runs are of different benchmarks: {runs['model'].bench}, {runs['calibrated'].bench}")
    if not runs["model"].bench.endswith("_val"):
        raise ValueError(f"{runs['model'].bench} is not a validation benchmark: the default is chosen on validation")

    def accuracy(records) -> float:
        return sum(record.correct for record in records) / len(records) if records else 0.0

    groups: dict[str, dict[str, float]] = {}
    for group in ("all", "en", "zh"):
        groups[group] = {who: accuracy([record for record in run.records
                                        if group == "all" or _record_language(record.id) == group])
                         for who, run in runs.items()}
    return {"bench": runs["model"].bench, "items": len(runs["calibrated"].records), "accuracy": groups,
            "paired": paired(runs["model"], runs["calibrated"])}


def _record_language(item_id: str) -> str:
    return "zh" if "-zh-" in item_id else "en"


def write_card_entry(card_path: Path, entry: dict[str, Any]) -> None:
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.is_file() else {}
    card[CARD_KEY] = entry
    card_path.write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def plot_tradeoff(scored: list[Scored], thresholds: Thresholds, path: Path) -> Path:
    """Call recall against abstention as the threshold moves, by language; the chosen thresholds
    and the model's own decision marked."""
    from matplotlib.figure import Figure  # no pyplot: no global backend state

    figure = Figure(figsize=(6.0, 4.6), dpi=100)
    axes = figure.subplots()
    groups = {"all": scored, **by_language(scored)}
    for name, items in groups.items():
        points = [at_threshold(items, t) for t in candidate_thresholds(scored)]
        line, = axes.plot([p.abstention * 100 for p in points], [p.recall * 100 for p in points],
                          label=name, linewidth=2 if name == "all" else 1.2)
        chosen, own = at_thresholds(items, thresholds), own_rates(items)
        axes.scatter([chosen.abstention * 100], [chosen.recall * 100], marker="o", color=line.get_color(), zorder=3)
        axes.scatter([own.abstention * 100], [own.recall * 100], marker="x", color=line.get_color(), zorder=3)
    axes.set_xlabel("abstention on requests that need no tool (%)")
    axes.set_ylabel("call recall on requests that need a tool (%)")
    axes.set_xlim(-2, 102)
    axes.set_ylim(-2, 102)
    chosen = ", ".join(f"{language} {value:.3f}" for language, value in thresholds.items())
    axes.set_title(f"Call decision on validation (o: thresholds {chosen}; x: the model's own)", fontsize=9)
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    return path


def format_summary(summary: dict[str, Any]) -> str:
    lines = ["thresholds " + ", ".join(f"{language} {value:.4f}" for language, value in summary["thresholds"].items()),
             f"{'':6} {'items':>5}  {'decides':<10} {'recall':>7} {'abstain':>8} {'balanced':>9}"]
    for group in _groups(summary):
        for who in ("model", "calibrated"):
            figures = summary[group][who]
            lines.append(f"{group:6} {summary[group]['items']:>5}  {who:<10} {figures['recall']:>7.1%} "
                         f"{figures['abstention']:>8.1%} {figures['balanced']:>9.1%}")
    return "\n".join(lines)
