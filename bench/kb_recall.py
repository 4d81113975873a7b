"""Knowledge-base retrieval recall, Chinese / English / cross-lingual, for each retrieval recipe.

Runs `eval.retrieval.measure_recall` (real chromadb, real embedding models, documents ingested as
files) on the two validation splits and the test split of tests/fixtures/kb_retrieval for:
- the baseline: all-MiniLM-L6-v2, dense (the default before multilingual-e5-small);
- BM25 alone (Chinese characters and bigrams, English words);
- multilingual-e5-small as it comes ("e5 raw"), and language-centred ("e5", tools/_language_means.py),
  by its chunks alone, blended with each chunk's best sentence at each ``--shares`` share
  ("e5+sentences"), and fused with BM25 at each ``--weights`` share.
``validation`` holds notes on unrelated subjects; ``validation_near`` four close notes per subject
(two companies' leave rules, two robot vacuums' manuals), where a question hinges on a detail.
The recipe is chosen on both validation splits pooled (best mean recall@3 over the three kinds,
then recall@1, then the simpler recipe); test only reports. Prints recall@1 / @3 with 95% Wilson
intervals per kind, each recipe's ratio of recall@3 to the baseline's, and the timings; ``--plot``
draws recall@3 by kind and recipe, ``--misses`` prints what the chosen recipe got wrong on
validation.

    .venv/bin/python bench/kb_recall.py [--shares 0.4,0.5,0.6,0.7] [--weights 0.2,0.5] [--plot kb_recall.png] [--misses]
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.retrieval import KINDS, RETRIEVAL_SPLITS, RecallResult, load_split, measure_recall  # noqa: E402
from tools.knowledge_base import KnowledgeBase  # noqa: E402

BASELINE = "minilm"


VALIDATION = ("validation", "validation_near")


def recipes(shares: list[float], weights: list[float]) -> dict[str, dict]:
    """Recipe name -> KnowledgeBase keyword arguments."""
    chunks_alone = {"sentence_share": 0.0}
    found = {BASELINE: {"embedding_model": "all-minilm-l6-v2", **chunks_alone},
             "bm25": {"lexical_weight": 1.0, **chunks_alone},
             "e5 raw": {"embedding_model": "multilingual-e5-small-raw", **chunks_alone},
             "e5": {"embedding_model": "multilingual-e5-small", **chunks_alone}}
    for share in shares:
        found[f"e5+sentences {share:g}"] = {"embedding_model": "multilingual-e5-small", "sentence_share": share}
    for weight in weights:
        found[f"e5+bm25 {weight:g}"] = {"embedding_model": "multilingual-e5-small", "lexical_weight": weight,
                                        **chunks_alone}
    return found


def run(split_name: str, recipe: dict, work: Path) -> RecallResult:
    split = load_split(RETRIEVAL_SPLITS / f"{split_name}.json")
    return measure_recall(KnowledgeBase(work / "kb", **recipe), split, work / "docs")


def pooled(results: list[RecallResult]) -> RecallResult:
    """One result holding every question of ``results``."""
    merged = RecallResult(results[0].depth)
    for result in results:
        for kind, ranks in result.ranks.items():
            merged.ranks[kind].extend(ranks)
        merged.misses.extend(result.misses)
        merged.ingest_seconds += result.ingest_seconds
        merged.search_seconds += result.search_seconds
    return merged


def mean_recall(result: RecallResult, k: int) -> float:
    return sum(result.recall(kind, k) for kind in KINDS) / len(KINDS)


def print_table(split: str, results: dict[str, RecallResult]) -> None:
    base = mean_recall(results[BASELINE], 3)
    print(f"\n{split}: recall@1 / recall@3 [95% CI of @3]  (n per kind: "
          + ", ".join(f"{kind} {len(results[BASELINE].ranks[kind])}" for kind in KINDS) + ")")
    print(f"{'recipe':<16}" + "".join(f"{kind:>26}" for kind in KINDS) + f"{'mean@3':>8}{'vs base':>9}{'ingest s':>9}{'ms/q':>7}")
    for name, result in results.items():
        cells = []
        for kind in KINDS:
            low, high = result.interval(kind, 3)
            cells.append(f"{result.recall(kind, 1):.2f} / {result.recall(kind, 3):.2f} [{low:.2f}-{high:.2f}]")
        questions = sum(len(result.ranks[kind]) for kind in KINDS)
        print(f"{name:<16}" + "".join(f"{cell:>26}" for cell in cells)
              + f"{mean_recall(result, 3):>8.3f}{mean_recall(result, 3) / base:>9.2f}"
              + f"{result.ingest_seconds:>9.1f}{1000 * result.search_seconds / questions:>7.0f}")


def choose(results: dict[str, RecallResult]) -> str:
    candidates = [name for name in results if name.startswith("e5")]
    return max(candidates, key=lambda name: (round(mean_recall(results[name], 3), 6),
                                             round(mean_recall(results[name], 1), 6),
                                             -len(name)))  # on a tie, the simpler recipe


def plot(results: dict[str, dict[str, RecallResult]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = 2
    rows = -(-len(results) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(7 * columns, 3.6 * rows), sharey=True, squeeze=False)
    for axis, (split, by_recipe) in zip(axes.flat, results.items()):
        width = 0.8 / len(by_recipe)
        for i, (name, result) in enumerate(by_recipe.items()):
            axis.bar([k + i * width for k in range(len(KINDS))], [result.recall(kind, 3) for kind in KINDS],
                     width, label=name)
        axis.set_xticks([k + 0.4 - width / 2 for k in range(len(KINDS))], ["Chinese", "English", "cross-lingual"])
        axis.axhline(0.95, color="grey", linestyle=":", linewidth=1)
        axis.set_title(f"{split}: recall@3")
        axis.set_ylim(0, 1.05)
    for axis in list(axes.flat)[len(results):]:
        axis.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, fontsize=8, loc="center right")
    figure.tight_layout(rect=(0, 0, 0.86, 1))
    figure.savefig(path, dpi=120)
    print(f"plot: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shares", default="0.4,0.5,0.6,0.7", help="sentence shares to try with e5 (comma-separated)")
    parser.add_argument("--weights", default="0.2,0.5", help="BM25 shares to try with e5 (comma-separated)")
    parser.add_argument("--plot", type=Path, help="write a PNG of recall@3 by kind and recipe")
    parser.add_argument("--misses", action="store_true", help="print the chosen recipe's validation misses")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    shares, weights = ([float(w) for w in arg.split(",") if w.strip()] for arg in (args.shares, args.weights))
    candidates = recipes(shares, weights)
    results: dict[str, dict[str, RecallResult]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for split in (*VALIDATION, "test"):
            if split == "test":
                results["validation, pooled"] = {name: pooled([results[v][name] for v in VALIDATION])
                                                 for name in candidates}
                print_table("validation, pooled", results["validation, pooled"])
                chosen = choose(results["validation, pooled"])
                print(f"chosen on validation: {chosen}")
                if args.misses:
                    for miss in results["validation, pooled"][chosen].misses:
                        print(f"  {miss['kind']:<5} rank {miss['rank']}  {miss['q']}  -> want {miss['doc']}, got {miss['found']}")
            results[split] = {name: run(split, recipe, Path(tmp) / split / name.replace(" ", "_"))
                              for name, recipe in candidates.items()}
            print_table(split, results[split])
    test = results["test"]
    print(f"\ntest, chosen recipe {chosen}: " + ", ".join(
        f"{kind} recall@3 {test[chosen].recall(kind, 3):.2f} ({test[chosen].recall(kind, 3) / max(test[BASELINE].recall(kind, 3), 1e-9):.2f}x baseline)"
        for kind in KINDS))
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
