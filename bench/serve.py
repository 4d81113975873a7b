"""Serving overhead on the bundled model: the HTTP API (streaming) against raw llama-cpp-python.

Same prompt, greedy decoding, same token count, one llama.cpp thread on both sides. Prints time
to first token and decode tokens/s for each, aggregate tokens/s with 8 concurrent clients against
1 client, and last `api/raw decode ratio: X` (goal: >= 0.95).

    .venv/bin/python bench/serve.py [--tokens 200] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.chat_template import ChatTemplate  # noqa: E402
from model.spec import bundled_gguf_path  # noqa: E402

PROMPT = [{"role": "user", "content": "Write a long, detailed story about a dragon who learns to cook."}]


def decode_rate(stamps: list[float]) -> float:
    """Tokens per second after the first token: (n - 1) / (last - first)."""
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0


def raw_run(llm, prompt: str, tokens: int) -> tuple[float, float, int]:
    from llama_cpp import StoppingCriteriaList

    counted: list[float] = []

    def on_token(input_ids, logits) -> bool:
        counted.append(time.perf_counter())
        return False

    start = time.perf_counter()
    first = None
    for chunk in llm.create_completion(prompt, max_tokens=tokens, temperature=0, stream=True,
                                       stop=["<|im_end|>"], stopping_criteria=StoppingCriteriaList([on_token])):
        if first is None and chunk["choices"][0]["text"]:
            first = time.perf_counter()
    return (first - start) * 1000, decode_rate(counted), len(counted)


def api_run(url: str, tokens: int) -> tuple[float, float, int]:
    body = {"model": "bundled", "messages": PROMPT, "max_tokens": tokens, "temperature": 0,
            "stream": True, "stream_options": {"include_usage": True}}
    stamps: list[float] = []
    usage = 0
    start = time.perf_counter()
    with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=300) as response:
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[6:])
            if event.get("usage"):
                usage = event["usage"]["completion_tokens"]
            if event["choices"] and event["choices"][0]["delta"].get("content"):
                stamps.append(time.perf_counter())
    # one SSE event per detokenized piece; scale the piece rate to tokens with the exact count
    ttft = (stamps[0] - start) * 1000
    rate = (usage - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    return ttft, rate, usage


def aggregate(url: str, clients: int, requests_each: int, tokens: int) -> float:
    body = {"model": "bundled", "messages": PROMPT, "max_tokens": tokens, "temperature": 0}

    def one_client(_: int) -> int:
        total = 0
        for _ in range(requests_each):
            reply = httpx.post(url + "/v1/chat/completions", json=body, timeout=600).json()
            total += reply["usage"]["completion_tokens"]
        return total

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        produced = sum(pool.map(one_client, range(clients)))
    return produced / (time.perf_counter() - start)


def start_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "agent_app.cli", "serve", "--port", str(port), "--n-threads", "1"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    from llama_cpp import Llama

    llm = Llama(model_path=str(bundled_gguf_path()), n_ctx=4096, n_threads=1, n_threads_batch=1, verbose=False)
    prompt = ChatTemplate.from_source(llm.metadata.get("tokenizer.chat_template")).render(PROMPT)
    raw = [raw_run(llm, prompt, args.tokens) for _ in range(args.repeats)]
    llm.close()

    server = start_server(args.port)
    url = f"http://127.0.0.1:{args.port}"
    try:
        api_run(url, 8)  # warm-up
        api = [api_run(url, args.tokens) for _ in range(args.repeats)]
        one = aggregate(url, 1, 4, 64)
        eight = aggregate(url, 8, 1, 64)
    finally:
        server.terminate()
        server.wait(timeout=30)

    raw_ttft, raw_rate = statistics.median(r[0] for r in raw), statistics.median(r[1] for r in raw)
    api_ttft, api_rate = statistics.median(r[0] for r in api), statistics.median(r[1] for r in api)
    print(f"cpu cores: {os.cpu_count()}, llama.cpp threads: 1, tokens per answer: {raw[0][2]} raw / {api[0][2]} api")
    print(f"raw llama-cpp-python: time to first token {raw_ttft:.1f} ms, decode {raw_rate:.1f} tokens/s")
    print(f"HTTP API (streaming): time to first token {api_ttft:.1f} ms, decode {api_rate:.1f} tokens/s")
    print(f"aggregate, 1 client:  {one:.1f} tokens/s")
    print(f"aggregate, 8 clients: {eight:.1f} tokens/s (8/1 ratio {eight / one:.2f}; requests are queued "
          f"on one model context)")
    print(f"api/raw decode ratio: {api_rate / raw_rate:.3f}")


if __name__ == "__main__":
    main()
