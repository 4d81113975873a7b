"""Checkpoints a killed run resumes from: weights, optimizer, scheduler, RNG and data position.

Layout: `<run>/checkpoints/step-000050/`, written by `accelerate.Accelerator.save_state` (the
optimizer, the scheduler registered for checkpointing, the python / numpy / torch RNG states of
every process; DeepSpeed and FSDP save their own sharded states) plus `trainer_state.json`
(step, micro-batches consumed, tokens, elapsed time, the config digest).

Outside DeepSpeed / FSDP only the trainable parameters are written (a LoRA checkpoint is a few
MB, not the frozen base), through accelerate's save / load pre-hooks.

A checkpoint is written to a hidden `.partial-*` folder and renamed when complete, so a kill in
the middle of a save leaves the previous checkpoint as the latest one.
"""
from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

STATE_FILE = "trainer_state.json"
WEIGHTS_FILE = "model.safetensors"  # the name accelerate gives the first model's weights


@dataclass
class TrainState:
    step: int = 0
    """Optimizer steps done."""
    micro_batches: int = 0
    """Micro-batches consumed from the (epoch after epoch) batch stream: the data position."""
    tokens: int = 0
    elapsed_s: float = 0.0
    loss: float | None = None
    config_digest: str = ""


def checkpoints_dir(out_dir: Path) -> Path:
    return out_dir / "checkpoints"


def list_checkpoints(out_dir: Path) -> list[Path]:
    """Complete checkpoints, oldest first."""
    folder = checkpoints_dir(out_dir)
    if not folder.is_dir():
        return []
    found = [path for path in folder.glob("step-*") if (path / STATE_FILE).is_file()]
    return sorted(found, key=lambda path: int(path.name.split("-")[1]))


def latest_checkpoint(out_dir: Path) -> Path | None:
    found = list_checkpoints(out_dir)
    return found[-1] if found else None


def read_state(checkpoint: Path) -> TrainState:
    return TrainState(**json.loads((checkpoint / STATE_FILE).read_text(encoding="utf-8")))


def install_trainable_only_hooks(accelerator: Any) -> None:
    """Save and load only parameters with requires_grad (not under DeepSpeed / FSDP, which
    save their own shards)."""
    from accelerate.utils import DistributedType

    if accelerator.distributed_type in (DistributedType.DEEPSPEED, DistributedType.FSDP):
        return

    def save_hook(models: list, weights: list, output_dir: str) -> None:
        for index, model in enumerate(models[: len(weights)]):
            weights[index] = trainable_state(accelerator.unwrap_model(model))

    def load_hook(models: list, input_dir: str) -> None:
        from safetensors.torch import load_file

        for index, model in enumerate(list(models)):
            name = WEIGHTS_FILE if index == 0 else f"model_{index}.safetensors"
            state = load_file(str(Path(input_dir) / name))
            result = accelerator.unwrap_model(model).load_state_dict(state, strict=False)
            if result.unexpected_keys:
                raise KeyError(f"checkpoint {input_dir} holds weights this model lacks: "
                               f"{result.unexpected_keys[:3]}")
            models.remove(model)

    accelerator.register_save_state_pre_hook(save_hook)
    accelerator.register_load_state_pre_hook(load_hook)


def trainable_state(model: Any) -> dict[str, Any]:
    """Trainable parameters by name (tied weights once), contiguous, on the CPU."""
    return {name: param.detach().to("cpu").contiguous()
            for name, param in model.named_parameters() if param.requires_grad}


def save_checkpoint(accelerator: Any, out_dir: Path, state: TrainState, keep: int) -> Path:
    folder = checkpoints_dir(out_dir)
    final = folder / f"step-{state.step:06d}"
    partial = folder / f".partial-step-{state.step:06d}"
    if accelerator.is_main_process:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(partial))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        (partial / STATE_FILE).write_text(json.dumps(asdict(state), indent=2), encoding="utf-8")
        shutil.rmtree(final, ignore_errors=True)
        partial.rename(final)
        for old in list_checkpoints(out_dir)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
        logger.info("checkpoint %s", final)
    accelerator.wait_for_everyone()
    return final


def load_checkpoint(accelerator: Any, checkpoint: Path) -> TrainState:
    """Restore weights, optimizer, scheduler and RNG from `checkpoint`; return its state."""
    state = read_state(checkpoint)
    accelerator.load_state(str(checkpoint))
    logger.info("resumed from %s (step %d)", checkpoint, state.step)
    return state
