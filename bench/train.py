"""Training throughput and memory on the bundled model (SmolLM2-135M-Instruct), CPU.

1. Same data, same model, same LoRA, same run length (one pass over the same examples, batch 4,
   bf16 autocast): Lingxi's flow (training.trainer: packed rows with per-example attention,
   logits and loss on assistant tokens only) against
   a plain peft + transformers `Trainer` fed the same rendered examples with per-example padding
   (DataCollatorForSeq2Seq, each batch padded to its longest, loss over the full logits as
   transformers computes it). Both count real (non-padding) tokens per second of training after
   the first (warm-up) optimizer step, in the same run, with the same torch threads.
2. Peak memory (max RSS) of a few steps of full, LoRA and QLoRA in Lingxi's flow.

Each run is its own subprocess, so peaks and caches do not mix. Data: by default the shipped
recipe's own mix (`lingxi_tools`: tool-use builder, public chats, GSM8K, public sets; most tokens
are tool schemas in the prompt, ~12% carry loss), or `--data-source glaive` for the glaive
tool-call demos; both from $LINGXI_DATA_DIR or ../shared/data, else the built-in toy sample.
Prints the figures and, last, `train tokens/s ratio (lingxi/plain): X` (goal >= 1.3).

    .venv/bin/python bench/train.py [--examples 40] [--max-length 1280] [--threads 1] [--skip-memory]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BATCH = 4
LORA = dict(lora_r=16, lora_alpha=32, lora_dropout=0.05)
LR = 2e-4


def write_data(folder: Path, source: str) -> tuple[Path, str]:
    """The benchmark's examples as OpenAI JSONL: the shipped recipe's own mix ("recipe": the
    tool-use builder, public chats, GSM8K and public sets, as `make finetune` trains on them) or
    the glaive tool-call demos ("glaive"); the built-in toy sample where ../shared/data is absent."""
    from training.config import ConfigError, default_data_dir, load_config
    from training.formats import write_openai_jsonl

    conversations, described = [], "built-in toy sample"
    if source == "recipe":
        from training.dataset import read_run_examples

        try:
            conversations = read_run_examples(load_config("lingxi_tools"))
            described = "the lingxi_tools recipe's mix (training/recipes/lingxi_tools.yaml)"
        except ConfigError as error:
            print(f"recipe data unavailable ({error}); using the toy sample", flush=True)
    else:
        demos = default_data_dir() / "train_toolcall"
        if demos.is_dir():
            from training.converters import glaive

            for name in ("glaive_toolcall_en_demo.json", "glaive_toolcall_zh_demo.json"):
                if (demos / name).is_file():
                    conversations += glaive.convert(demos / name).conversations
            described = f"glaive demos from {demos}"
    if not conversations:
        from training.toy import toy_conversations

        conversations = toy_conversations(200)
    path = folder / "bench.jsonl"
    write_openai_jsonl(conversations, path)
    return path, f"{described} ({len(conversations)} conversations)"


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


# ---- children -------------------------------------------------------------------------------
def child_lingxi(args) -> dict:
    from training.config import TrainConfig
    from training.trainer import train

    config = TrainConfig(name="bench", model="bundled", method=args.method, data=[args.data], max_examples=args.examples,
                         max_length=args.max_length, packing=True, batch_size=BATCH, lr=LR, epochs=1,
                         max_steps=args.steps, bf16=True, save_steps=10_000, output_dir=str(Path(args.out) / "run"),
                         seed=0, threads=args.threads, **LORA)
    result = train(config, resume=False)
    return {"tokens": result.tokens, "steps": result.steps, "tokens_per_s": result.steady_tokens_per_s,
            "tokens_per_s_with_warmup": result.tokens_per_s,
            "loss": result.final_loss, "peak_rss_gb": peak_rss_gb()}


def child_plain(args) -> dict:
    """peft + transformers Trainer, per-example padding, the same rendered examples and labels."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainerCallback, TrainingArguments

    from training.config import TrainConfig
    from training.dataset import read_run_examples
    from training.modeling import load_base
    from training.render import SFTRenderer

    if args.threads:
        torch.set_num_threads(args.threads)
    model, tokenizer = load_base("bundled")
    model.config.use_cache = False
    config = TrainConfig(data=[args.data], max_examples=args.examples, max_length=args.max_length, seed=0)
    examples = SFTRenderer(tokenizer, max_length=args.max_length).render_all(read_run_examples(config))
    dataset = [{"input_ids": e.input_ids, "labels": e.labels, "attention_mask": [1] * len(e)} for e in examples]
    model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", r=LORA["lora_r"], lora_alpha=LORA["lora_alpha"],
                                             lora_dropout=LORA["lora_dropout"], target_modules="all-linear"))
    training_args = TrainingArguments(output_dir=str(Path(args.out) / "plain"), per_device_train_batch_size=BATCH,
                                      num_train_epochs=1, learning_rate=LR, lr_scheduler_type="linear",
                                      warmup_steps=0.03, max_grad_norm=1.0, bf16=True, use_cpu=True,
                                      save_strategy="no", report_to=[], logging_steps=10, seed=0,
                                      dataloader_num_workers=0, remove_unused_columns=False)
    collator = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100)
    step_ends: list[float] = []
    step_tokens: list[int] = []

    class CountingTrainer(Trainer):
        """The stock Trainer; only notes each step's real (non-padding) tokens."""

        def training_step(self, model, inputs, num_items_in_batch=None):
            step_tokens.append(int(inputs["attention_mask"].sum()))
            return super().training_step(model, inputs, num_items_in_batch)

    class StepClock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            step_ends.append(time.perf_counter())

    trainer = CountingTrainer(model=model, args=training_args, train_dataset=dataset, data_collator=collator,
                              callbacks=[StepClock()])
    start = time.perf_counter()
    output = trainer.train()
    tokens = sum(len(e) for e in examples)
    if sum(step_tokens) != tokens or len(step_ends) != len(step_tokens):
        raise SystemExit(f"plain: counted {sum(step_tokens)} tokens in {len(step_tokens)} steps, expected {tokens}")
    steady = sum(step_tokens[1:]) / (step_ends[-1] - step_ends[0])
    return {"tokens": tokens, "steps": output.global_step, "tokens_per_s": steady,
            "tokens_per_s_with_warmup": tokens / (step_ends[-1] - start),
            "loss": output.training_loss, "peak_rss_gb": peak_rss_gb()}


def run_child(kind: str, data: Path, out: Path, **options) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--data", str(data), "--out", str(out)]
    for key, value in options.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def describe(run: dict) -> str:
    return (f"{run['tokens']} tokens, {run['steps']} steps, {run['tokens_per_s']:.1f} tokens/s after the warm-up step "
            f"({run['tokens_per_s_with_warmup']:.1f} with it), peak RSS {run['peak_rss_gb']:.2f} GB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=40, help="examples in the throughput runs (one pass)")
    parser.add_argument("--max-length", type=int, default=1280, help="as the shipped recipe")
    parser.add_argument("--data-source", choices=["recipe", "glaive"], default="recipe",
                        help="the shipped recipe's data mix, or the glaive tool-call demos")
    parser.add_argument("--memory-steps", type=int, default=3)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads in every run (1 is steadier on a CPU shared with other work)")
    parser.add_argument("--child", choices=["lingxi", "plain"], help=argparse.SUPPRESS)
    parser.add_argument("--method", default="lora", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import logging

        logging.basicConfig(level=logging.WARNING)
        result = child_lingxi(args) if args.child == "lingxi" else child_plain(args)
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ.setdefault("LINGXI_HOME", str(tmp / "home"))
        data, described = write_data(tmp, args.data_source)
        print(f"data: {described}; first {args.examples} (shuffled, seed 0), max_length {args.max_length}, "
              f"batch {BATCH}, LoRA r{LORA['lora_r']} all-linear, bf16 autocast, {os.cpu_count()} CPUs, "
              f"torch threads {args.threads or 'default'}", flush=True)
        common = {"threads": args.threads} if args.threads else {}
        lingxi = run_child("lingxi", data, tmp / "a", examples=args.examples, max_length=args.max_length, **common)
        print(f"lingxi (packed, per-example attention, logits at loss positions only): {describe(lingxi)}", flush=True)
        plain = run_child("plain", data, tmp / "b", examples=args.examples, max_length=args.max_length, **common)
        print(f"plain Trainer (per-example padding, full logits): {describe(plain)}", flush=True)
        if not args.skip_memory:
            for method in ("full", "lora", "qlora"):
                started = time.perf_counter()
                run = run_child("lingxi", data, tmp / method, method=method, examples=args.examples,
                                max_length=512, steps=args.memory_steps, **common)
                print(f"memory {method:5s} (max_length 512, batch {BATCH}, {run['steps']} steps): peak RSS "
                      f"{run['peak_rss_gb']:.2f} GB, {run['tokens_per_s']:.0f} tokens/s "
                      f"({time.perf_counter() - started:.0f} s with loading)", flush=True)
        print(f"train tokens/s ratio (lingxi/plain): {lingxi['tokens_per_s'] / plain['tokens_per_s']:.2f}")


if __name__ == "__main__":
    main()
