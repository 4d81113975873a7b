"""One training flow: setup -> data -> fit -> save. LoRA, QLoRA and full fine-tuning, SFT and
incremental pre-training are options of it (training/config.py), not copies.

- setup: the base through the model layer (training.modeling); LoRA via peft; QLoRA is peft on
  a bitsandbytes NF4 base; full trains every weight. `use_cache` is switched off: with a KV
  cache, transformers ignores the position_ids resets of packed rows and examples attend to
  each other (training/packing.py).
- data: read -> render (assistant-only loss) -> pack (training.dataset).
- fit: a plain loop on `accelerate.Accelerator`: AdamW, linear warm-up and decay, gradient
  clipping, bf16 autocast, token-weighted gradient accumulation (each optimizer step is the mean
  over its loss tokens, whatever the batch mix). The same loop runs on one CPU, one GPU or,
  under `accelerate launch` with a config from training/accelerate/, DDP, DeepSpeed ZeRO or FSDP.
- save: a checkpoint every `save_steps` (training.checkpoint) and a resume from the latest one;
  at the end the adapter (`<run>/adapter`) or model (`<run>/model`), the metrics JSONL, the loss
  plot and result.json.

Run from the shell: `python -m training.trainer RECIPE.yaml` (what `accelerate launch -m
training.trainer RECIPE.yaml` starts on every process); `lingxi train` is the CLI.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from training.checkpoint import (TrainState, install_trainable_only_hooks, latest_checkpoint, list_checkpoints,
                                 load_checkpoint, read_state, save_checkpoint)
from training.config import ConfigError, TrainConfig, config_to_yaml
from training.dataset import BatchStream, RunData, loss_tokens, pad_id, prepare_data
from training.errors import TrainingError
from training.loss import causal_lm_loss, supports_selective_logits
from training.modeling import load_base
from training.progress import MetricsLog, ProgressCallback, Throughput, TrainProgress, plot_loss

logger = logging.getLogger(__name__)

RUN_INFO = "lingxi.json"
"""Written beside an adapter or model: base model spec, method, task (read by export)."""
_DIGEST_FIELDS = ("model", "method", "task", "data", "data_format", "public_sets", "max_examples", "eval_share",
                  "max_length", "packing", "batch_size", "grad_accum", "seed", "lora_r", "lora_target_modules")
_LAYOUT_FIELDS = ("pack_length", "share_prefixes")


@dataclass
class TrainResult:
    output_dir: Path
    steps: int
    total_steps: int
    final_loss: float | None
    eval_loss: float | None
    tokens_per_s: float
    """Real tokens per second of this process's training (since start or resume)."""
    tokens: int
    elapsed_s: float
    adapter_path: Path | None
    """The peft adapter folder (lora, qlora)."""
    model_path: Path | None
    """The full model folder (full)."""
    checkpoints: list[Path] = field(default_factory=list)
    plot_path: Path | None = None
    metrics_path: Path | None = None
    resumed_from: int | None = None
    data_summary: str = ""
    steady_tokens_per_s: float | None = None
    """Real tokens per second after this process's first (warm-up) step; None after one step."""

    def to_dict(self) -> dict[str, Any]:
        return {key: ([str(v) for v in value] if isinstance(value, list) else
                      str(value) if isinstance(value, Path) else value)
                for key, value in asdict(self).items()}


# ---- setup ----------------------------------------------------------------------------------
def setup_model(config: TrainConfig):
    """(model, tokenizer) ready to train: frozen base + LoRA, or every weight trainable."""
    model, tokenizer = load_base(config.model, four_bit=config.method == "qlora",
                                 compute_dtype="bfloat16" if config.use_bf16 else "float32")
    model.config.use_cache = False
    if config.method == "qlora":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=config.gradient_checkpointing,
                                                gradient_checkpointing_kwargs={"use_reentrant": False})
    elif config.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if config.uses_lora:
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(task_type="CAUSAL_LM", r=config.lora_r, lora_alpha=config.lora_alpha,
                          lora_dropout=config.lora_dropout, target_modules=config.lora_target_modules)
        model = get_peft_model(model, lora)
    if config.packing and config.packing_attention == "segments":
        from training.attention import use_segmented_attention

        if not use_segmented_attention(model):
            if config.share_prefixes:
                raise ConfigError(f"share_prefixes: {model.config._attn_implementation} attention cannot take "
                                  "rows of shared prefixes; set packing_attention: block_mask or "
                                  "share_prefixes: false")
            logger.info("packing: %s attention takes the packed layout from position_ids",
                        model.config._attn_implementation)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    logger.info("%s: %s trainable of %s parameters", config.method, f"{trainable:,}", f"{total:,}")
    return model, tokenizer


def make_accelerator(config: TrainConfig):
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    # One process may train several times (tests, a notebook): accelerate keeps its settings in a
    # process-wide singleton that refuses another mixed precision; the process group (PartialState)
    # is kept.
    AcceleratorState._reset_state(reset_partial_state=False)
    return Accelerator(mixed_precision="bf16" if config.use_bf16 else "no", cpu=config.device == "cpu",
                       gradient_accumulation_steps=config.grad_accum)


def make_optimizer(model: Any, config: TrainConfig, total_steps: int):
    import torch
    from transformers import get_linear_schedule_with_warmup

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    warmup = round(total_steps * config.warmup_ratio)
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup, total_steps)


def config_digest(config: TrainConfig) -> str:
    """What must not change between a run and its resume (the data order and the weights' shape)."""
    fields = config.model_dump(mode="json", include=set(_DIGEST_FIELDS))
    # The row layout fixes the data order too; named only when set, so older runs keep their digest.
    fields.update({name: value for name, value in config.model_dump(mode="json", include=set(_LAYOUT_FIELDS)).items()
                   if value})
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


# ---- the flow -------------------------------------------------------------------------------
@dataclass
class Fit:
    """Everything a run's loop needs, set up: the model ready to train, its data as a batch stream,
    the optimizer and schedule for `total` steps."""

    accelerator: Any
    model: Any
    tokenizer: Any
    data: RunData
    stream: BatchStream
    total: int
    optimizer: Any
    scheduler: Any


def setup_fit(config: TrainConfig) -> Fit:
    """The setup and data steps of the flow (what `train` and `training.estimate` share)."""
    import torch
    from accelerate.utils import set_seed

    if config.threads:
        torch.set_num_threads(config.threads)
    set_seed(config.seed)
    accelerator = make_accelerator(config)
    model, tokenizer = setup_model(config)
    data = prepare_data(config, tokenizer)
    stream = BatchStream(data.train, config, pad_id(tokenizer), accelerator.process_index, accelerator.num_processes)
    total = config.max_steps or max(1, math.ceil(config.epochs * stream.batches_per_epoch / config.grad_accum))
    optimizer, scheduler = make_optimizer(model, config, total)
    model, optimizer = accelerator.prepare(model, optimizer)
    accelerator.register_for_checkpointing(scheduler)
    install_trainable_only_hooks(accelerator)
    return Fit(accelerator, model, tokenizer, data, stream, total, optimizer, scheduler)


def train(config: TrainConfig, progress: ProgressCallback | None = None, resume: bool = True) -> TrainResult:
    """Train as `config` says; with `resume`, continue from the run folder's latest checkpoint.
    `progress` is called every `log_steps` steps (on the main process)."""
    config.check_inputs()
    out = config.out_dir
    checkpoint = _prepare_output(config, out, resume)
    fit = setup_fit(config)
    state = TrainState(config_digest=config_digest(config))
    if checkpoint is not None:
        state = load_checkpoint(fit.accelerator, checkpoint)
    resumed_from = state.step if checkpoint is not None else None
    logger.info("training %s for %d steps (%d micro-batches an epoch, %s, %s) in %s", config.run_name, fit.total,
                fit.stream.batches_per_epoch, "packed" if config.packing else "padded",
                "bf16 autocast" if config.use_bf16 else "fp32", out)
    loop = FitLoop(config, fit.accelerator, fit.model, fit.optimizer, fit.scheduler, fit.stream, fit.data, out,
                 progress, fit.total)
    state = loop.run(state)
    return _finish(config, fit.accelerator, fit.model, fit.tokenizer, fit.data, loop, state, fit.total, resumed_from)


def _prepare_output(config: TrainConfig, out: Path, resume: bool) -> Path | None:
    """The checkpoint to resume from (None: a fresh start); writes config.yaml."""
    checkpoint = latest_checkpoint(out) if resume else None
    if checkpoint is not None:
        saved = read_state(checkpoint)
        if saved.config_digest and saved.config_digest != config_digest(config):
            raise TrainingError(f"{out} holds a run with a different model, data or batching; resume it with its "
                                "own config, or start over (resume=False / --no-resume) or use another name")
    elif not resume and list_checkpoints(out):
        logger.warning("starting over: removing the checkpoints of %s", out)
        shutil.rmtree(out / "checkpoints", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(config_to_yaml(config), encoding="utf-8")
    return checkpoint


class FitLoop:
    """The fit step of the flow, with what it logs and checkpoints."""

    def __init__(self, config, accelerator, model, optimizer, scheduler, stream: BatchStream, data: RunData,
                 out: Path, progress: ProgressCallback | None, total: int):
        self.config, self.accelerator, self.model = config, accelerator, model
        self.optimizer, self.scheduler, self.stream, self.data = optimizer, scheduler, stream, data
        self.out, self.progress, self.total = out, progress, total
        self.eval_loss: float | None = None
        self.throughput: Throughput | None = None
        self.tokens_per_s = 0.0
        self.steady_tokens_per_s: float | None = None
        self.selective = supports_selective_logits(model)
        if not self.selective:
            logger.info("this model or transformers cannot select logits by mask: computing every position's logits")

    def run(self, state: TrainState) -> TrainState:
        config, accelerator = self.config, self.accelerator
        metrics = MetricsLog(self.out / "metrics.jsonl", state.step) if accelerator.is_main_process else None
        self.throughput = throughput = Throughput(state.step)
        elapsed_before = state.elapsed_s
        first_step, warm = state.step + 1, (0.0, 0)
        self.model.train()
        for step in range(first_step, self.total + 1):
            loss, grad_norm, tokens = self.step(state.micro_batches)
            state.step, state.micro_batches = step, state.micro_batches + config.grad_accum
            state.tokens += tokens
            state.loss = loss
            state.elapsed_s = elapsed_before + throughput.elapsed
            throughput.add(tokens)
            if step == first_step:
                warm = (throughput.elapsed, throughput.tokens)
            if config.eval_steps and step % config.eval_steps == 0 and step < self.total:
                self.evaluate(metrics, step)
            if step % config.log_steps == 0 or step == self.total:
                self.report(metrics, state, grad_norm)
            if step == self.total:
                self.tokens_per_s = throughput.tokens_per_s()  # the fit alone, before saving
                if step > first_step:
                    self.steady_tokens_per_s = (throughput.tokens - warm[1]) / (throughput.elapsed - warm[0])
            if step % config.save_steps == 0 or step == self.total:
                save_checkpoint(accelerator, self.out, state, config.keep_checkpoints)
        if self.data.eval:
            self.evaluate(metrics, state.step)
        return state

    def step(self, micro_start: int) -> tuple[float, float | None, int]:
        """One optimizer step over grad_accum micro-batches: (loss, grad norm, real tokens)."""
        accelerator, config = self.accelerator, self.config
        batches = [self.stream.batch(micro_start + k) for k in range(config.grad_accum)]
        step_loss_tokens = max(1, sum(loss_tokens(batch) for batch, _ in batches))
        total_loss, grad_norm = 0.0, None
        for batch, _ in batches:
            batch = {key: value.to(accelerator.device) if hasattr(value, "to") else value
                     for key, value in batch.items()}
            with accelerator.accumulate(self.model):
                loss = causal_lm_loss(self.model, batch, self.selective)
                weight = loss_tokens(batch) / step_loss_tokens
                # accelerate divides by grad_accum; the weights make the step a mean over its tokens
                accelerator.backward(loss * weight * config.grad_accum)
                total_loss += float(loss.detach()) * weight
                if accelerator.sync_gradients:  # (DeepSpeed clips inside its engine and returns None)
                    norm = accelerator.clip_grad_norm_(self.model.parameters(), config.max_grad_norm)
                    grad_norm = None if norm is None else float(norm)
                self.optimizer.step()
                if accelerator.sync_gradients:
                    self.scheduler.step()
                self.optimizer.zero_grad()
        return total_loss, grad_norm, sum(tokens for _, tokens in batches)

    def evaluate(self, metrics: MetricsLog | None, step: int) -> float:
        import torch

        self.model.eval()
        weighted, count = 0.0, 0
        stream = BatchStream(self.data.eval, self.config, self.stream.pad_token_id, shuffle=False)
        with torch.no_grad():
            for batch, _ in stream.epoch_batches():
                batch = {key: value.to(self.accelerator.device) if hasattr(value, "to") else value
                         for key, value in batch.items()}
                n = loss_tokens(batch)
                if n:
                    weighted += float(causal_lm_loss(self.model, batch, self.selective)) * n
                    count += n
        self.model.train()
        self.eval_loss = weighted / count if count else float("nan")
        logger.info("step %d: eval loss %.4f", step, self.eval_loss)
        if metrics is not None:
            metrics.write(step=step, eval_loss=self.eval_loss)
        return self.eval_loss

    def report(self, metrics: MetricsLog | None, state: TrainState, grad_norm: float | None) -> None:
        throughput = self.throughput
        info = TrainProgress(step=state.step, total=self.total, loss=state.loss or float("nan"),
                             tokens_per_s=throughput.tokens_per_s(), eta_s=throughput.eta(state.step, self.total),
                             epoch=self.stream.epoch_of(state.micro_batches), lr=self.scheduler.get_last_lr()[0],
                             eval_loss=self.eval_loss)
        logger.debug("step %d/%d loss %.4f %.0f tok/s", info.step, info.total, info.loss, info.tokens_per_s)
        if metrics is not None:
            eta = round(info.eta_s, 1) if math.isfinite(info.eta_s) else None
            metrics.write(step=info.step, total=info.total, loss=info.loss, lr=info.lr, grad_norm=grad_norm,
                          epoch=round(info.epoch, 4), tokens=state.tokens, tokens_per_s=round(info.tokens_per_s, 1),
                          elapsed_s=round(state.elapsed_s, 2), eta_s=eta)
        if self.progress is not None and self.accelerator.is_main_process:
            self.progress(info)


def _finish(config: TrainConfig, accelerator, model, tokenizer, data: RunData, loop: FitLoop, state: TrainState,
            total: int, resumed_from: int | None) -> TrainResult:
    out = config.out_dir
    target = out / ("adapter" if config.uses_lora else "model")
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        save_trained(accelerator.unwrap_model(model), tokenizer, target, config,
                     state_dict=accelerator.get_state_dict(model))
    plot = plot_loss(out / "metrics.jsonl", out / "loss.png", f"{config.run_name}: {config.task}") \
        if accelerator.is_main_process else None
    result = TrainResult(out, state.step, total, state.loss, loop.eval_loss,
                         loop.tokens_per_s, state.tokens, state.elapsed_s,
                         target if config.uses_lora else None, None if config.uses_lora else target,
                         list_checkpoints(out), plot, out / "metrics.jsonl", resumed_from, data.stats.summary(),
                         loop.steady_tokens_per_s)
    if accelerator.is_main_process:
        (out / "result.json").write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
    logger.info("done: %d steps, loss %s, %.0f tokens/s; %s", state.step, state.loss, result.tokens_per_s, target)
    return result


def save_trained(model: Any, tokenizer: Any, target: Path, config: TrainConfig, state_dict: Any = None) -> Path:
    """The adapter (peft) or the whole model, with the tokenizer and its chat template, and a
    lingxi.json naming the base model for export."""
    from training.modeling import make_saveable

    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    if config.uses_lora:
        model.save_pretrained(partial, state_dict=state_dict)
    else:
        make_saveable(model)
        model.config.use_cache = True
        model.save_pretrained(partial, state_dict=state_dict, safe_serialization=True)
    tokenizer.save_pretrained(partial)
    info = {"base_model": config.model, "method": config.method, "task": config.task,
            "max_length": config.max_length, "run": config.run_name}
    (partial / RUN_INFO).write_text(json.dumps(info, indent=2), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


def main(argv: list[str] | None = None) -> int:
    """`python -m training.trainer CONFIG [--no-resume]` (and under `accelerate launch -m`)."""
    from training.config import load_config

    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m training.trainer CONFIG.yaml|RECIPE [--no-resume]")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        result = train(load_config(args[0]), resume="--no-resume" not in args)
    except TrainingError as error:
        print(f"training: {error}", file=sys.stderr)
        return 1
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps(result.to_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
