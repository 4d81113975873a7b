"""What a run reports while it trains: progress for a callback, a metrics JSONL, a loss plot.

Library code only logs; the CLI draws a progress bar from the `TrainProgress` it is called with.
The metrics file survives a resume: records after the checkpoint the run resumes from are
dropped (those steps are trained again), so the file and the plot read as one run.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainProgress:
    step: int
    """Optimizer steps done."""
    total: int
    loss: float
    """Training loss of this step (mean over its loss tokens)."""
    tokens_per_s: float
    """Real (non-padding) tokens trained per second since the run (or its resume) started."""
    eta_s: float
    """Seconds left, from the mean step time so far."""
    epoch: float = 0.0
    lr: float = 0.0
    eval_loss: float | None = None


ProgressCallback = Callable[[TrainProgress], None]


class Throughput:
    """Tokens/s and ETA since start (or resume)."""

    def __init__(self, start_step: int):
        self.start = time.perf_counter()
        self.start_step = start_step
        self.tokens = 0

    def add(self, tokens: int) -> None:
        self.tokens += tokens

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def tokens_per_s(self) -> float:
        return self.tokens / self.elapsed if self.elapsed > 0 else 0.0

    def eta(self, step: int, total: int) -> float:
        done = step - self.start_step
        return self.elapsed / done * (total - step) if done > 0 else float("nan")


class MetricsLog:
    """metrics.jsonl: one JSON object per logged step ({"step", "loss", ...}) or eval."""

    def __init__(self, path: Path, resume_step: int = 0):
        self.path = path
        kept = [record for record in read_metrics(path) if record.get("step", 0) <= resume_step]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(record) + "\n" for record in kept), encoding="utf-8")

    def write(self, **record: Any) -> None:
        with self.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(record) + "\n")


def read_metrics(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut by a kill
            continue
    return records


def plot_loss(metrics_path: Path, out: Path, title: str = "") -> Path | None:
    """Training (and eval) loss against the step, as a PNG (matplotlib Agg)."""
    records = read_metrics(metrics_path)
    train = [(r["step"], r["loss"]) for r in records if "loss" in r]
    evals = [(r["step"], r["eval_loss"]) for r in records if "eval_loss" in r]
    if not train and not evals:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4), dpi=100)
    if train:
        axes.plot(*zip(*train), label="train loss", linewidth=1.2)
    if evals:
        axes.plot(*zip(*evals), "o-", label="eval loss")
    axes.set_xlabel("optimizer step")
    axes.set_ylabel("loss (assistant tokens)" if title.endswith("sft") else "loss")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(out)
    plt.close(figure)
    return out


def progress_dict(progress: TrainProgress) -> dict[str, Any]:
    return {key: value for key, value in asdict(progress).items() if value is not None}
