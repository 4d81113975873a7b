"""How long a run will take and how much memory it needs on this machine, measured, not guessed.

    estimate = estimate_run(config, steps=3)   # loads the model and data, runs 1 + 3 real steps
    estimate.total_s, estimate.peak_memory_gb

The run's own setup (training.trainer.setup_fit) loads the base and the data exactly as training
would; then a warm-up step, and `steps` timed optimizer steps on the run's heaviest batches (most
tokens), so that the memory they take is the run's worst; then one checkpoint and the final
adapter or model are saved to a scratch folder, as the run saves them. Nothing is kept and the
weights are thrown away. The time is the load plus the measured seconds per token times the run's
tokens (its average step) plus its checkpoint saves; the memory is the process's peak (resident
memory on a CPU, the allocator's peak on a GPU).

`lingxi train RECIPE --estimate 3` prints it and writes `<run>/estimate.json`, which the app's
Fine-tune page shows with the data mix (examples per source, tokens, what cleaning and
max_length dropped).
"""
from __future__ import annotations

import json
import logging
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from training.config import TrainConfig

logger = logging.getLogger(__name__)

ESTIMATE_FILE = "estimate.json"
_STEPS_SURVEYED = 2000
"""Steps whose sizes are looked at to pick the heaviest to time (the first epoch, usually)."""


@dataclass
class Estimate:
    """A run's measured cost, and the data it would train on."""

    total_steps: int
    measured_steps: int
    load_s: float
    """Loading the base and preparing the data."""
    first_step_s: float
    """The warm-up step (allocations, kernel selection): not counted in seconds_per_step."""
    seconds_per_step: float
    checkpoint_s: float
    """Saving one checkpoint (weights, optimizer, schedule), measured once."""
    checkpoints: int
    """Checkpoints the run saves (every save_steps, and at the end)."""
    tokens_per_s: float
    peak_memory_gb: float
    memory_kind: str
    """'RAM' (the process's peak resident memory) or 'GPU' (torch.cuda's peak allocation)."""
    examples: int
    sources: dict[str, int]
    tokens: int
    loss_tokens: int
    dropped: dict[str, int] = field(default_factory=dict)
    """What left the data before training, by reason (cleaning's steps; longer than max_length;
    no assistant token)."""

    @property
    def total_s(self) -> float:
        """Load + warm-up + the remaining steps at the measured pace + the checkpoint saves."""
        return (self.load_s + self.first_step_s + max(0, self.total_steps - 1) * self.seconds_per_step
                + self.checkpoints * self.checkpoint_s)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total_s": round(self.total_s, 1)}

    def summary(self) -> str:
        return (f"about {duration_text(self.total_s)} for {self.total_steps} steps ({self.seconds_per_step:.2f} s a step "
                f"over {self.measured_steps} measured steps, {self.load_s:.0f} s to load); peak memory "
                f"{self.peak_memory_gb:.2f} GB {self.memory_kind}; {self.examples} examples, {self.tokens} tokens")


def estimate_run(config: TrainConfig, steps: int = 3) -> Estimate:
    """Set the run up and time a warm-up step plus ``steps`` optimizer steps (fewer if the run is
    shorter). Writes nothing but the cleaning report the data step writes when cleaning is on."""
    import torch

    from training.trainer import FitLoop, setup_fit

    config.check_inputs()
    started = time.perf_counter()
    fit = setup_fit(config)
    load_s = time.perf_counter() - started
    loop = FitLoop(config, fit.accelerator, fit.model, fit.optimizer, fit.scheduler, fit.stream, fit.data,
                   config.out_dir, None, fit.total)
    fit.model.train()
    sizes = _step_tokens(fit.stream, config.grad_accum, min(fit.total, _STEPS_SURVEYED))
    heaviest = sorted(range(1, len(sizes)), key=lambda step: -sizes[step])[: min(steps, fit.total - 1)]
    durations = []
    for number, step in enumerate([0, *heaviest]):  # a warm-up step, then the heaviest ones
        step_started = time.perf_counter()
        loop.step(step * config.grad_accum)
        durations.append(time.perf_counter() - step_started)
        logger.info("estimate: step %d of %d (%d tokens) took %.2f s", number + 1, 1 + len(heaviest), sizes[step],
                    durations[-1])
    timed_tokens = sum(sizes[step] for step in heaviest)
    per_token = sum(durations[1:]) / timed_tokens if timed_tokens else durations[0] / max(1, sizes[0])
    per_step = per_token * sum(sizes) / len(sizes)  # the run's average step at the measured pace per token
    save_s = _time_a_checkpoint(fit.accelerator, config.out_dir)
    _save_the_result(fit, config)  # the last save gathers the whole state dict: part of the peak
    saves = fit.total // config.save_steps + (0 if fit.total % config.save_steps == 0 else 1)
    on_gpu = fit.accelerator.device.type == "cuda"
    peak = torch.cuda.max_memory_allocated() / 1024 ** 3 if on_gpu else _peak_rss_gb()
    stats = fit.data.stats
    return Estimate(total_steps=fit.total, measured_steps=len(heaviest), load_s=load_s, first_step_s=durations[0],
                    seconds_per_step=per_step, checkpoint_s=save_s, checkpoints=saves,
                    tokens_per_s=1 / per_token if per_token else 0.0,
                    peak_memory_gb=peak, memory_kind="GPU" if on_gpu else "RAM", examples=fit.data.examples,
                    sources=fit.data.sources, tokens=stats.tokens, loss_tokens=stats.loss_tokens,
                    dropped=_dropped(config, stats))


def _step_tokens(stream: Any, grad_accum: int, steps: int) -> list[int]:
    """Real tokens of each of the run's first ``steps`` optimizer steps."""
    return [sum(stream.batch(step * grad_accum + k)[1] for k in range(grad_accum)) for step in range(steps)]


def _save_the_result(fit: Any, config: TrainConfig) -> None:
    """Save the trained adapter or model as the run's end does, into a scratch folder then removed."""
    from training.trainer import save_trained

    scratch = Path(tempfile.mkdtemp(prefix=".estimate-", dir=config.out_dir))
    try:
        save_trained(fit.accelerator.unwrap_model(fit.model), fit.tokenizer, scratch / "adapter", config,
                     state_dict=fit.accelerator.get_state_dict(fit.model))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _time_a_checkpoint(accelerator: Any, out_dir: Path) -> float:
    """Save one checkpoint as the run would, into a scratch folder that is then removed."""
    from training.checkpoint import TrainState, save_checkpoint

    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".estimate-", dir=out_dir))
    try:
        started = time.perf_counter()
        save_checkpoint(accelerator, scratch, TrainState(), keep=1)
        return time.perf_counter() - started
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_estimate(estimate: Estimate, folder: Path) -> Path:
    path = Path(folder) / ESTIMATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(estimate.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def read_estimate(folder: Path) -> dict[str, Any] | None:
    """A run folder's estimate.json, or None."""
    path = Path(folder) / ESTIMATE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, json.JSONDecodeError):
        return None


def _dropped(config: TrainConfig, stats) -> dict[str, int]:
    dropped: dict[str, int] = {}
    report = config.out_dir / "clean.report.json"
    if config.clean_data and report.is_file():
        dropped.update(json.loads(report.read_text(encoding="utf-8")).get("dropped", {}))
    if stats.dropped_too_long:
        dropped["longer than max_length"] = stats.dropped_too_long
    if stats.dropped_no_loss:
        dropped["no assistant turn"] = stats.dropped_no_loss
    return dropped


def _peak_rss_gb() -> float:
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1024 ** 3


def duration_text(seconds: float) -> str:
    """90 s, 12 min, 2.5 h."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
