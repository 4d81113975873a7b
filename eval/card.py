"""The eval card of a tuned adapter: base vs tuned on the same benchmarks, and the verdict.

`write_adapter_card` puts the base model's runs and the tuned model's runs side by side (the full
report with charts and every failed item goes to `<out>/eval/`), then decides whether the adapter
becomes the default the app serves: only when it beats the base on the gate benchmark (Lingxi's
own held-out tool-use split) by more than `margin` points. The decision and the figures go to
`card.json`, which the model layer reads (`model.spec.default_adapter`); `README.md` is the card a
person reads.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from eval.report import write_report
from eval.runner import RunResult, load_run
from eval.stats import paired

GATE_BENCH = "lingxi_tools"
SUB_SCORES = ("tool_choice", "args_valid", "args_correct", "answer_correct")
SCORE_NAMES = {"tool_choice": "tool chosen correctly", "args_valid": "arguments valid (calls made)",
               "args_correct": "arguments correct", "answer_correct": "final answer correct"}


def _by_bench(paths: list[str | os.PathLike | RunResult]) -> dict[str, RunResult]:
    runs = [path if isinstance(path, RunResult) else load_run(path) for path in paths]
    return {run.bench: run for run in runs}


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def write_adapter_card(base_runs: list, tuned_runs: list, out_dir: str | os.PathLike, name: str,
                       margin: float = 0.0, training: dict[str, Any] | None = None,
                       commands: list[str] | None = None,
                       held_out: dict[str, str] | None = None) -> dict[str, Any]:
    """Write `<out>/card.json`, `<out>/README.md` and `<out>/eval/report.md`; return the card.

    `held_out` maps a public source the adapter never trained on to the benchmark of its function
    sets ({"api_bank": "api_bank"}): those benchmarks become the card's generalization column."""
    out = Path(out_dir)
    base, tuned = _by_bench(base_runs), _by_bench(tuned_runs)
    if GATE_BENCH not in base or GATE_BENCH not in tuned:
        raise ValueError(f"the card needs a {GATE_BENCH} run of both the base and the tuned model")
    report = write_report([*base.values(), *tuned.values()], out / "eval")
    gate_base, gate_tuned = base[GATE_BENCH].accuracy, tuned[GATE_BENCH].accuracy
    beats = gate_tuned > gate_base + margin / 100
    card = {
        "name": name,
        "default": beats,
        "gate": {"bench": GATE_BENCH, "base": gate_base, "tuned": gate_tuned, "margin_points": margin,
                 "items": tuned[GATE_BENCH].n, "paired": paired(base[GATE_BENCH], tuned[GATE_BENCH])},
        "benchmarks": {bench: {"n": tuned[bench].n, "base": base[bench].accuracy if bench in base else None,
                               "tuned": tuned[bench].accuracy} for bench in tuned},
        "scores": {key: {"base": base[GATE_BENCH].mean_scores().get(key), "tuned": tuned[GATE_BENCH].mean_scores().get(key)}
                   for key in SUB_SCORES},
        "per_kind": {kind: {"n": score.n, "base": base[GATE_BENCH].per_category().get(kind).accuracy
                            if kind in base[GATE_BENCH].per_category() else None, "tuned": score.accuracy}
                     for kind, score in tuned[GATE_BENCH].per_category().items()},
        "training": training or {},
        "held_out": _held_out(base, tuned, held_out or {}),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "card.json").write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "README.md").write_text(_markdown(card, report.relative_to(out), commands or []), encoding="utf-8")
    return card


def _held_out(base: dict[str, RunResult], tuned: dict[str, RunResult], sources: dict[str, str]) -> dict[str, Any]:
    """Base and tuned on the benchmarks of public sources left out of training, paired item by item."""
    return {source: {"bench": bench, "n": tuned[bench].n, "base": base[bench].accuracy if bench in base else None,
                     "tuned": tuned[bench].accuracy,
                     "paired": paired(base[bench], tuned[bench]) if bench in base else None}
            for source, bench in sources.items() if bench in tuned}


def _held_out_markdown(card: dict[str, Any]) -> list[str]:
    lines = ["## Generalization: public function sets never trained on", "",
             "These sources were left out of the training data, so their benchmarks measure tool calling on "
             "function sets the adapter has not seen (its own tools' surface does not help there).", "",
             "| source | benchmark | items | base | tuned | tuned-only / base-only right | sign test p |",
             "|---|---|---|---|---|---|---|"]
    for source, entry in card["held_out"].items():
        pair = entry["paired"]
        pairs = f"{pair['tuned_only']} / {pair['base_only']} | {pair['p_value']:.2g}" if pair else "– | –"
        lines.append(f"| {source} | {entry['bench']} | {entry['n']} | {_pct(entry['base'])} | {_pct(entry['tuned'])} "
                     f"| {pairs} |")
    return lines


DECISION_HEADING = "## Call decision"


def decision_markdown(entry: dict[str, Any]) -> list[str]:
    """The card's section on the calibrated call decision (eval/call_decision.py)."""
    thresholds = ", ".join(f"{language} {value:.3f}" for language, value in entry["thresholds"].items())
    lines = [DECISION_HEADING, "",
             f"Whether an answer opens with a tool call, decided from the model's probability of opening one against "
             f"a threshold per language chosen on the {entry['split']} split ({entry['items']} items; never the test "
             f"split): {thresholds}. **On by default: {'yes' if entry['default'] else 'no'}** (`--tool-decision auto`; "
             f"`model` lets the model decide, `calibrated` always uses the thresholds).", "",
             "| requests | decides | call recall | abstention | balanced |", "|---|---|---|---|---|"]
    for group, figures in entry["validation"].items():
        for who in ("model", "calibrated"):
            rates = figures[who]
            lines.append(f"| {group} ({figures['items']}) | {who} | {_pct(rates['recall'])} | "
                         f"{_pct(rates['abstention'])} | {_pct(rates['balanced'])} |")
    if "end_to_end" in entry:
        comparison = entry["end_to_end"]
        pair = comparison["paired"]
        lines += ["", f"Task accuracy end to end on `{comparison['bench']}` ({comparison['items']} items; both settings, "
                      f"the same items): right only when calibrated {pair['tuned_only']}, only when the model decides "
                      f"{pair['base_only']}, sign test p = {pair['p_value']:.3g}.", "",
                  "| requests | model decides | calibrated |", "|---|---|---|"]
        lines += [f"| {group} | {_pct(figures['model'])} | {_pct(figures['calibrated'])} |"
                  for group, figures in comparison["accuracy"].items()]
    return lines + ["", "![call recall against abstention](call_decision.png)"]


def write_decision_section(readme: Path, entry: dict[str, Any]) -> None:
    """Put the call-decision section in an existing card README (replacing an older one)."""
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    start = text.find(DECISION_HEADING)
    if start >= 0:
        end = text.find("\n## ", start + len(DECISION_HEADING))
        text = text[:start].rstrip("\n") + ("\n\n" + text[end + 1:] if end >= 0 else "\n")
    section = "\n".join(decision_markdown(entry)) + "\n"
    anchor = text.find("\n## Training")
    text = (text[:anchor + 1] + section + "\n" + text[anchor + 1:]) if anchor >= 0 else text.rstrip("\n") + "\n\n" + section
    readme.write_text(text, encoding="utf-8")


def _markdown(card: dict[str, Any], report: Path, commands: list[str]) -> str:
    gate = card["gate"]
    delta = 100 * (gate["tuned"] - gate["base"])
    verdict = (f"**Default: yes.** It beats the base on the held-out `{gate['bench']}` split by {delta:+.1f} points "
               f"({_pct(gate['base'])} → {_pct(gate['tuned'])}, {gate['items']} items), so `--adapter default` "
               "(the default of `make run`, `lingxi serve` and `lingxi chat`) serves it with the bundled model."
               if card["default"] else
               f"**Default: no.** On the held-out `{gate['bench']}` split it scores {_pct(gate['tuned'])} against the "
               f"base's {_pct(gate['base'])} ({delta:+.1f} points), which does not beat the base"
               f"{' by ' + str(gate['margin_points']) + ' points' if gate['margin_points'] else ''}; the app keeps "
               "serving the base model. Use it with `--adapter " + card["name"] + "`.")
    pairs = gate.get("paired")
    if pairs:
        verdict += (f" Item by item, the tuned model gets {pairs['tuned_only']} items right that the base misses and "
                    f"the base {pairs['base_only']} that the tuned model misses (exact sign test, two-sided: "
                    f"p = {pairs['p_value']:.2g}; below 0.05 the difference is unlikely to be chance).")
    lines = [f"# Eval card: {card['name']}", "", verdict, "",
             f"## Lingxi's own tool use (`{gate['bench']}`, held-out split, {gate['items']} items)", "",
             "| score | base | tuned |", "|---|---|---|",
             f"| item accuracy (all of the below) | {_pct(gate['base'])} | {_pct(gate['tuned'])} |"]
    lines += [f"| {SCORE_NAMES[key]} | {_pct(v['base'])} | {_pct(v['tuned'])} |" for key, v in card["scores"].items()]
    lines += ["", "By kind of request:", "", "| kind | items | base | tuned |", "|---|---|---|---|"]
    lines += [f"| {kind} | {v['n']} | {_pct(v['base'])} | {_pct(v['tuned'])} |" for kind, v in card["per_kind"].items()]
    lines += ["", "## Every benchmark", "", "| benchmark | items | base | tuned |", "|---|---|---|---|"]
    lines += [f"| {bench} | {v['n']} | {_pct(v['base'])} | {_pct(v['tuned'])} |" for bench, v in card["benchmarks"].items()]
    if card.get("held_out"):
        lines += ["", *_held_out_markdown(card)]
    if card.get("call_decision"):
        lines += ["", *decision_markdown(card["call_decision"])]
    if card["training"]:
        lines += ["", "## Training", ""] + [f"- {key}: {value}" for key, value in card["training"].items()]
    lines += ["", f"The full report, with charts and every failed item with the model's raw output: [{report}]({report}).",
              "", "What the items are: tools/scenarios (generator and checker); how it was trained: `recipe.yaml`."]
    if commands:
        lines += ["", "## Reproduce", "", "```bash", *commands, "```"]
    return "\n".join(lines) + "\n"
