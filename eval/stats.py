"""The statistics the reports and cards quote: a 95% interval for an accuracy, and the paired
sign test of two runs on the same items.

Small held-out sets tell less than their percentages suggest (16 items per kind put a kind's
accuracy within about ±24 points); every accuracy a report shows for users comes with its
interval, and every "better than" with the paired test behind it.
"""
from __future__ import annotations

from math import comb, sqrt
from typing import Any

Z_95 = 1.959964
"""The two-sided 95% quantile of the standard normal distribution."""


def wilson_interval(correct: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion `correct / n` (0 to 1 each end). Unlike the
    normal approximation it stays inside [0, 1] and is honest at 0% and 100% on few items."""
    if n <= 0:
        return 0.0, 1.0
    p = correct / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if correct == 0 else max(0.0, centre - half)  # exact at the ends, where rounding would show 99.999…
    high = 1.0 if correct == n else min(1.0, centre + half)
    return low, high


def sign_test(wins: int, losses: int) -> float:
    """Exact two-sided sign test (McNemar's exact test) of `wins` against `losses`: the chance of
    a split at least this uneven if neither side were better. Ties do not enter it."""
    discordant = wins + losses
    if not discordant:
        return 1.0
    tail = sum(comb(discordant, k) for k in range(max(wins, losses), discordant + 1)) / 2 ** discordant
    return min(1.0, 2 * tail)


def paired(base, tuned) -> dict[str, Any]:
    """Two runs (eval.runner.RunResult) item by item, on the items both scored: how many only
    the tuned model gets right, how many only the base, and the sign test of that split."""
    base_ok = {record.id: record.correct for record in base.records}
    pairs = [(base_ok[record.id], record.correct) for record in tuned.records if record.id in base_ok]
    tuned_only = sum(1 for b, t in pairs if t and not b)
    base_only = sum(1 for b, t in pairs if b and not t)
    return {"items": len(pairs), "tuned_only": tuned_only, "base_only": base_only,
            "p_value": sign_test(tuned_only, base_only)}


def record_language(record) -> str | None:
    """The language of a record whose benchmark marks one (lingxi_tools: details["language"])."""
    return (record.details or {}).get("language")
