"""Where the batched engine (model/engines/batched.py) puts a new request after replies have ended,
and what that does to four clients' throughput.

Variants:
- `kept`: a finished reply's state is copied into the prompt cache at once, as the engine did
  before 8 December.
- `deferred`: the engine as it is. A finished reply's state is left in its slot for later, as a
  scored state is, unless the prompt cache holds it already (here the replies are alike, so it
  mostly does). The slot then "needs saving", so `_take_stream` prefers other streams (after
  the streams that keep the running ones consecutive) and restores the prompt there from the
  prompt cache. Before the batch went in stream order and requests took streams that keep the
  running ones consecutive, this halved 4 and 8 clients' throughput in bench/serve.py
  (docs/serving.md).
- `deferred-placed`: deferred, but placed as `kept` places: `_needs_saving` is always false.

`kept` and `deferred-placed` patch the engine's class in their own process; the product code has
no such switch. This bench makes no call decision, so no slot takes over the scratch sequence's
KV stream. Each variant runs in a process of its own, the variants in turns for `--rounds` rounds
(this VM drifts by up to 30% within an hour). A round times four clients making two requests each:
the story prompt, 64 tokens at temperature 0, the served default, `parallel` 4, one thread, two
for batches. With `--history`, four new conversations come first, together: the five tools'
schemas as the system message (about as long as the app's tool prompt) and a short question each,
8 tokens of reply, as bench/serve.py's new-conversation runs come before its clients.

Prints each variant's median tokens/s and milliseconds per decode step; its last line is
`deferred/kept 4-client throughput ratio: X`.

    .venv/bin/python bench/slot_reuse.py [--rounds 3] [--history]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VARIANTS = ("kept", "deferred", "deferred-placed")
PROMPT = ("<|im_start|>user\nWrite a long, detailed story about a dragon who learns to cook.<|im_end|>\n"
          "<|im_start|>assistant\n")
CLIENTS, REQUESTS, TOKENS = 4, 2, 64


def patch(variant: str) -> None:
    """Make the engine class behave as `variant` (in this process only)."""
    from model.engines import batched

    if variant == "kept":
        finish = batched.BatchedLlamaCpp._finish

        def finish_and_copy(self, sequence, reason: str) -> None:
            slot = sequence.slot
            finish(self, sequence, reason)
            self._save(slot)

        batched.BatchedLlamaCpp._finish = finish_and_copy
    if variant == "deferred-placed":
        batched._needs_saving = lambda slot, tokens: False


def tool_conversations(engine) -> list[str]:
    """Four new conversations' prompts: the tools' schemas as the system message, a question each."""
    import tempfile

    from model.chat_template import ChatTemplate
    from tools import default_registry

    with tempfile.TemporaryDirectory() as home:
        system = json.dumps(default_registry(Path(home)).schemas(None), ensure_ascii=False)
    template = ChatTemplate.from_source(engine.llm.metadata.get("tokenizer.chat_template"))
    questions = ["What is 17 * 23?", "你好！今天天气不错。", "Tell me a fun fact.", "帮我算一下 15% 的 240"]
    return [template.render([{"role": "system", "content": system}, {"role": "user", "content": question}])
            for question in questions]


def measure(variant: str, history: bool) -> dict:
    """One round of `variant`: four clients, two requests each, after one warming request (and,
    with `history`, four new conversations with the tools' schemas)."""
    patch(variant)
    from model.engines import batched
    from model.engines.batched import BatchedLlamaCpp
    from model.loader import EngineConfig, llama_cpp_weights
    from model.spec import resolve_model
    from model.types import SamplingParams

    decode_seconds = [0.0]
    decode = batched._BatchContext.decode

    def timed_decode(context) -> None:
        start = time.perf_counter()
        decode(context)
        decode_seconds[0] += time.perf_counter() - start

    batched._BatchContext.decode = timed_decode
    source = resolve_model("bundled", "default")
    weights, lora = llama_cpp_weights(source, EngineConfig(n_threads=1))
    engine = BatchedLlamaCpp(weights, n_ctx=4096, n_threads=1, lora_path=lora, parallel=4, batch_threads=2)
    params = SamplingParams(temperature=0, max_tokens=TOKENS)

    def client(produced: list[int]) -> None:
        for _ in range(REQUESTS):
            chunks = list(engine.generate(PROMPT, params, None, threading.Event()))
            produced.append(chunks[-1].n_tokens)

    try:
        client([])  # the prompt's state is in the prompt cache before the clients start
        if history:
            short = SamplingParams(temperature=0, max_tokens=8)
            earlier = [threading.Thread(target=lambda p=prompt: list(engine.generate(p, short, None, threading.Event())))
                       for prompt in tool_conversations(engine)]
            for thread in earlier:
                thread.start()
            for thread in earlier:
                thread.join()
        produced: list[int] = []
        steps, decode_seconds[0] = engine.steps, 0.0
        start = time.perf_counter()
        threads = [threading.Thread(target=client, args=(produced,)) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
        steps = engine.steps - steps
    finally:
        engine.close()
    return {"tokens_per_s": sum(produced) / wall, "ms_per_step": decode_seconds[0] * 1000 / max(steps, 1),
            "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--history", action="store_true", help="four tool-prompt conversations before the clients")
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)  # one round, in a child process
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(measure(args.variant, args.history)))
        return

    os.environ.setdefault("LINGXI_MODELS", str(Path.home() / ".lingxi" / "models"))
    results: dict[str, list[dict]] = {variant: [] for variant in VARIANTS}
    for round_ in range(1, args.rounds + 1):
        for variant in VARIANTS:
            command = [sys.executable, __file__, "--variant", variant] + (["--history"] if args.history else [])
            child = subprocess.run(command, capture_output=True, text=True, check=True, env=os.environ)
            result = json.loads(child.stdout.strip().splitlines()[-1])
            results[variant].append(result)
            print(f"round {round_} {variant}: {result['tokens_per_s']:.1f} tokens/s, "
                  f"{result['ms_per_step']:.1f} ms a step ({result['steps']} steps)", flush=True)
    medians = {variant: statistics.median(r["tokens_per_s"] for r in rounds) for variant, rounds in results.items()}
    for variant, rounds in results.items():
        step = statistics.median(r["ms_per_step"] for r in rounds)
        print(f"{variant}: {medians[variant]:.1f} tokens/s, {step:.1f} ms a decode step (medians of {args.rounds})")
    print(f"deferred-placed/kept 4-client throughput ratio: {medians['deferred-placed'] / medians['kept']:.2f}")
    print(f"deferred/kept 4-client throughput ratio: {medians['deferred'] / medians['kept']:.2f}")


if __name__ == "__main__":
    main()
