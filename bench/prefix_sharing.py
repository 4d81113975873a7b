"""Shared prefixes in training (training/prefix_sharing.py): the same examples, one pass, packed
apart and with their common openings shared, on the bundled model (SmolLM2-135M-Instruct), CPU.

1. The whole recipe's data (`--recipe`, default lingxi_tools_v2): built, cleaned and rendered as
   `lingxi train` does, then packed both ways: tokens an epoch evaluates, rows, and the ratio.
2. Training on about `--examples` of it, each way in its own subprocess, in turns (`--rounds`):
   the fit's wall time (loading and saving left out), optimizer steps, tokens evaluated and the
   final loss. The sample is whole rows of the shared epoch's packing, so it shares what an epoch
   shares (the first examples of a shuffled set would rarely meet one with their system prompt).
   The runs differ only in `share_prefixes` (and `pack_length`: apart, rows of max_length as
   before; shared, the recipe's rows).

Prints, last: `epoch time ratio (apart/shared): X` (the median of the rounds' ratios).

    .venv/bin/python bench/prefix_sharing.py [--examples 96] [--rounds 2] [--threads 2]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def recipe_examples(recipe: str):
    """(conversations, their rendered examples, config) of a shipped recipe, as training reads
    them; conversations that do not render are left out of both, so they pair by index."""
    from training.config import load_config
    from training.dataset import read_run_examples
    from training.modeling import load_base
    from training.render import SFTRenderer

    config = load_config(recipe)
    _, tokenizer = load_base(config.model, compute_dtype="float32")
    renderer = SFTRenderer(tokenizer, max_length=config.max_length)
    conversations, examples = [], []
    for conversation in read_run_examples(config):
        example = renderer.render(conversation)
        if example is not None:
            example.id = str(len(examples))
            conversations.append(conversation)
            examples.append(example)
    return conversations, examples, config


def sample_rows(packs, wanted: int, seed: int = 0) -> list[int]:
    """Indices of the examples of whole rows of an epoch's packing, rows in a shuffled order,
    until `wanted` examples: a sample that shares what a whole epoch shares."""
    import random

    order = list(range(len(packs)))
    random.Random(seed).shuffle(order)
    chosen: list[int] = []
    for row in order:
        if len(chosen) >= wanted:
            break
        chosen += [int(i) for i in packs[row].ids]
    return chosen


def child(args) -> dict:
    from training.config import load_config
    from training.trainer import train

    base = load_config(args.recipe)
    config = base.model_copy(update=dict(
        name="bench", data=[args.data], tool_use=0, tool_use_gsm8k=0, tool_use_multistep=0,
        tool_use_public_irrelevance=0, tool_use_public_chat=False, public_sets=None, clean_data=False,
        max_examples=None, epochs=1, max_steps=None, eval_share=0.0, save_steps=10_000,
        output_dir=str(Path(args.out) / "run"), seed=0, threads=args.threads,
        share_prefixes=args.share == "on"))
    if args.share == "off":  # the recipe's rows as they were before sharing: max_length each
        config = config.model_copy(update=dict(pack_length=None))
    result = train(config, resume=False)
    return {"elapsed_s": result.elapsed_s, "steps": result.steps, "tokens": result.tokens,
            "loss": result.final_loss}


def run_child(share: str, data: Path, out: Path, args) -> dict:
    command = [sys.executable, __file__, "--child", "--share", share, "--data", str(data), "--out", str(out),
               "--recipe", args.recipe, "--examples", str(args.examples), "--threads", str(args.threads)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"training ({share}) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default="lingxi_tools_v2")
    parser.add_argument("--examples", type=int, default=96, help="examples in each training run (one pass)")
    parser.add_argument("--rounds", type=int, default=2, help="apart and shared, in turns")
    parser.add_argument("--threads", type=int, default=2, help="torch threads in every run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--share", choices=["on", "off"], help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import logging

        logging.basicConfig(level=logging.WARNING)
        print(json.dumps(child(args)))
        return

    from training.formats import write_openai_jsonl
    from training.packing import pack_examples

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ.setdefault("LINGXI_HOME", str(tmp / "home"))
        conversations, examples, config = recipe_examples(args.recipe)
        apart = pack_examples(examples, config.max_length)
        shared = pack_examples(examples, config.row_length, share_prefixes=True)
        apart_tokens = sum(len(pack) for pack in apart)
        shared_tokens = sum(len(pack) for pack in shared)
        print(f"{args.recipe}: {len(examples)} examples, max_length {config.max_length}; an epoch evaluates "
              f"{apart_tokens:,} tokens in {len(apart)} rows of {config.max_length} apart, {shared_tokens:,} in "
              f"{len(shared)} rows of {config.row_length} shared: {apart_tokens / shared_tokens:.2f}x fewer",
              flush=True)
        chosen = sample_rows(shared, args.examples)
        data = tmp / "sample.jsonl"
        write_openai_jsonl([conversations[i] for i in chosen], data)
        print(f"training: {len(chosen)} examples (whole rows of the shared epoch, shuffled, seed 0), one pass; "
              f"apart: max_length {config.max_length} rows; shared: rows of {config.row_length}, "
              f"{config.batch_size} rows x grad_accum {config.grad_accum} a step; {args.threads} torch threads, "
              f"{os.cpu_count()} CPUs", flush=True)
        ratios = []
        for round_ in range(1, args.rounds + 1):
            runs = {share: run_child(share, data, tmp / f"{share}{round_}", args) for share in ("off", "on")}
            for share, run in runs.items():
                print(f"round {round_}, {'shared' if share == 'on' else 'apart '}: {run['elapsed_s']:.1f} s, "
                      f"{run['steps']} steps, {run['tokens']:,} tokens evaluated, final loss {run['loss']:.3f}",
                      flush=True)
            ratios.append(runs["off"]["elapsed_s"] / runs["on"]["elapsed_s"])
        print(f"epoch time ratio (apart/shared): {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
