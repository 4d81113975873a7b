"""GPU check: tool calls through LMDeploy's guided decoding, on the serving path Lingxi uses.

What it checks, on one Hugging Face folder served with `--engine lmdeploy`:

1. forced calls at temperature 1.0 on the adversarial schemas of bench/forced_calls.py (through
   the same `run_call` and checks): each parses, with the forced name and its required arguments;
2. auto mode: with the call decision forced open (threshold 0) where the engine decodes opened
   calls under the tools' schema, every answer's call parses and names an offered tool; with the
   model deciding: failed calls and markup in the content are counted;
3. greedy tokens/s without and with a schema (the baseline is the unconstrained run).

`--random-from DIR` builds a model with DIR's config and tokenizer and random weights (a random
model is the most adversarial writer there is: whatever it writes, the grammar must hold). The
device sessions here carry no model weights (the working tree that travels is limited to 64 MiB).

    python bench/lmdeploy_calls.py --model HF_FOLDER [--calls 104]
    python bench/lmdeploy_calls.py --random-from CONFIG_AND_TOKENIZER_FOLDER
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

MARKUP = ("<tool_call>", "</tool_call>", "<|im_start|>", "<|im_end|>", "<tool_response>")


def random_model(source: Path, out: Path) -> Path:
    """A model with ``source``'s config and tokenizer and random weights (seed 0), saved to ``out``."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    config = AutoConfig.from_pretrained(source)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(source).save_pretrained(out)
    return out


def forced_calls(engine, calls: int, max_tokens: int) -> None:
    from forced_calls import adversarial_tools, plan, print_overall, run_call

    started = time.perf_counter()
    records = [run_call(engine, case, language, mode, seed, 1.0, max_tokens)
               for seed, (case, language, mode) in enumerate(plan(adversarial_tools(), calls))]
    print(f"\n## forced calls ({calls}, temperature 1.0, {time.perf_counter() - started:.0f} s)")
    print_overall(records)
    for record in [r for r in records if not r["required_present"]][:5]:
        print("  miss:", record["schema"], record["language"], record["mode"], record["problems"][:2],
              repr(record["raw_text"][:200]))


def auto_mode(engine, max_tokens: int) -> None:
    from forced_calls import adversarial_tools

    from model.types import ChatRequest, SamplingParams

    compact = ("set_thermostat", "set_alarm", "api.v2.check-status", "get_server_time", "weather.get-forecast_v2",
               "set_coordinates")  # short arguments: a random model's calls fit in max_tokens
    cases = [case for case in adversarial_tools() if case.name in compact]
    tools = [case.tool for case in cases]
    offered = {tool["function"]["name"] for tool in tools}
    modes = [(0.0, "call forced open (threshold 0)")] if engine.constrains_calls() else []
    for threshold, label in modes + [(None, "model decides")]:
        engine.call_threshold = threshold
        calls = parsed = failed = markup = 0
        for seed, case in enumerate(cases * 2):
            language = "en" if seed < len(cases) else "zh"
            request = ChatRequest([{"role": "user", "content": case.requests[language]}], tools=tools,
                                  sampling=SamplingParams(max_tokens=max_tokens, temperature=1.0, seed=seed))
            result = engine.chat(request)
            calls += bool(result.tool_calls)
            parsed += all(call.name in offered for call in result.tool_calls) and bool(result.tool_calls)
            failed += bool(result.failed_calls)
            markup += any(tag in (result.content or "") for tag in MARKUP)
        if result.tool_calls:
            print("  e.g.", result.tool_calls[0].name, json.dumps(result.tool_calls[0].arguments, ensure_ascii=False)[:160])
        print("  last raw:", repr(result.raw_text[:240]), result.finish_reason, result.usage.completion_tokens)
        print(f"\n## auto mode, {label}: {len(cases) * 2} answers, {calls} with a call, {parsed} whose calls all "
              f"name an offered tool, {failed} with a failed call, {markup} with markup in the content")
    engine.call_threshold = None


def speed(engine) -> None:
    from forced_calls import adversarial_tools

    from model.types import ChatRequest, SamplingParams

    tool = adversarial_tools()[0].tool
    free = ChatRequest([{"role": "user", "content": "Tell me a long story about a dragon."}],
                       sampling=SamplingParams(max_tokens=200, temperature=0))
    forced = ChatRequest([{"role": "user", "content": "Use the tool."}], tools=[tool], tool_choice="required",
                         sampling=SamplingParams(max_tokens=200, temperature=0))
    rates = {}
    for label, request in (("free", free), ("forced call", forced)):
        engine.chat(request)  # warm-up (and the grammar's compile)
        start = time.perf_counter()
        result = engine.chat(request)
        rates[label] = result.usage.completion_tokens / (time.perf_counter() - start)
    print(f"\n## greedy tokens/s: free {rates['free']:.0f}, forced call {rates['forced call']:.0f} "
          f"(ratio {rates['forced call'] / rates['free']:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a Hugging Face folder")
    source.add_argument("--random-from", type=Path, help="a folder with config.json and the tokenizer")
    parser.add_argument("--calls", type=int, default=104, help="forced calls (104: each schema x language x mode)")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--checks", default="speed,auto,forced", help="which checks, comma-separated")
    args = parser.parse_args()

    import torch

    import lmdeploy
    from model.loader import EngineConfig, load_engine

    print("torch", torch.__version__, "lmdeploy", lmdeploy.__version__, torch.cuda.get_device_name(0))
    folder = args.model or str(random_model(args.random_from, Path("/tmp/lingxi-random-model")))
    start = time.perf_counter()
    engine = load_engine(folder, "none", EngineConfig(engine="lmdeploy", n_ctx=4096))
    print(f"LMDeploy engine up in {time.perf_counter() - start:.0f} s; constrained calls: {engine.constrains_calls()}")
    try:
        checks = args.checks.split(",")
        if "speed" in checks:
            speed(engine)
        if "auto" in checks:
            auto_mode(engine, max_tokens=args.max_tokens)
        if "forced" in checks:
            forced_calls(engine, args.calls, args.max_tokens)
    finally:
        engine.close()


if __name__ == "__main__":
    main()
