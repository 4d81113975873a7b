"""Serving speed of the default, run the way `make run` runs it: `python app.py` (web UI and API)
on the bundled model with its default adapter and settings, over HTTP on loopback.

One run prints, each against its baseline measured in the same run:
- decode tokens/s of raw llama-cpp-python on the weights the app serves (the merged default, or
  base + LoRA when the merge is off), on the bare bundled model, and on base + runtime LoRA;
  the HTTP API's streaming decode on the same weights as the first (api/raw ratio); each round
  runs every one of them in turn, the raw ones in this process while the app idles;
- time to first token (TTFT) of a new conversation offered the app's five tools: the first request
  of a server started without warming (cold), and on the warmed server new conversations that
  arrive between the turns of two other conversations (interleaved), and those conversations' own
  next turns; and next turns whose user read the answer for a second first;
- aggregate tokens/s with 1, 4 and 8 concurrent clients.

The last four lines are exactly: `api/raw decode ratio: X`, `default/bare decode ratio: X`,
`8/1 client aggregate ratio: X`, `warm new-conversation TTFT with tools (ms): X`.

    .venv/bin/python bench/serve.py [--tokens 200] [--repeats 3] [--threads N]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent_app.settings import ServedModelOptions  # noqa: E402
from model.chat_template import ChatTemplate  # noqa: E402
from model.loader import REPEAT_PENALTY, EngineConfig, llama_cpp_weights  # noqa: E402
from model.spec import resolve_model  # noqa: E402

STORY = [{"role": "user", "content": "Write a long, detailed story about a dragon who learns to cook."}]
FIRST_MESSAGES = [  # what newcomers type first, en and zh in turn; each opens a new conversation
    "What is 17 * 23?", "你好！今天天气不错，我们聊聊吧。", "Hello! What can you do?",
    "帮我算一下 15% 的 240 是多少", "What do my notes say about the project deadline?", "今天有什么新闻？",
    "Tell me a fun fact about octopuses.", "用 Python 写一个冒泡排序", "Search the web for the weather in Hangzhou.",
    "我的笔记里关于项目截止日期是怎么说的？",
]
FOLLOW_UPS = ["Thanks! And 18 * 24?", "再说一个。", "Can you explain that more simply?", "好的，谢谢！"]


HTTP = httpx.Client(timeout=900, limits=httpx.Limits(max_keepalive_connections=0))
"""One HTTP client for the run, as an API client keeps one: creating an httpx client loads its CA
bundle (~28 ms on this machine), which the TTFT figures before 7 December 2026 included. No
keep-alive: each request opens its own connection, as a new user's would."""


def decode_rate(stamps: list[float]) -> float:
    """Tokens per second after the first token: (n - 1) / (last - first)."""
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0


def load_raw(models: dict[str, tuple[str, str | None]], threads: int) -> dict:
    """llama-cpp-python itself on each (model, LoRA), loaded once, as the app loads them."""
    from llama_cpp import Llama

    return {name: Llama(model_path=model, lora_path=lora, use_mmap=lora is None, n_ctx=4096, n_threads=threads,
                        n_threads_batch=threads, verbose=False) for name, (model, lora) in models.items()}


def raw_rate(llm, tokens: int) -> float:
    """Decode tokens/s of one greedy llama-cpp-python completion of the story prompt, with the
    app's repeat penalty."""
    from llama_cpp import StoppingCriteriaList

    prompt = ChatTemplate.from_source(llm.metadata.get("tokenizer.chat_template")).render(STORY)
    stamps: list[float] = []

    def on_token(input_ids, logits) -> bool:
        stamps.append(time.perf_counter())
        return False

    llm.reset()
    for _ in llm.create_completion(prompt, max_tokens=tokens, temperature=0, repeat_penalty=REPEAT_PENALTY,
                                   stream=True, stop=["<|im_end|>"], stopping_criteria=StoppingCriteriaList([on_token])):
        pass
    return decode_rate(stamps)


def decode_rounds(raw: dict, url: str, tokens: int, repeats: int) -> dict[str, float]:
    """Median decode tokens/s of each raw model and of the app's streaming API, measured in turn
    within each round while the app idles between its requests, so that a drift of the machine's
    speed falls on every one alike."""
    rates: dict[str, list[float]] = {name: [] for name in [*raw, "api"]}
    for _ in range(repeats):
        for name, llm in raw.items():
            rates[name].append(raw_rate(llm, tokens))
        rates["api"].append(stream_chat(url, STORY, None, tokens)[1])
    return {name: statistics.median(values) for name, values in rates.items()}


def stream_chat(url: str, messages: list, tools: list | None, max_tokens: int) -> tuple[float, float, int, str, str]:
    """(TTFT ms, decode tokens/s, completion tokens, text, how the reply opened: text, call or
    empty) of one streamed request. TTFT runs to the first event with text or a tool call (a reply
    that opens with a call: the piece naming its tool, sent once the name is decoded)."""
    body = {"model": "default", "messages": messages, "max_tokens": max_tokens, "temperature": 0,
            "stream": True, "stream_options": {"include_usage": True}}
    if tools:
        body["tools"] = tools
    stamps: list[float] = []
    usage, text, opening = 0, [], "empty"
    start = time.perf_counter()
    with HTTP.stream("POST", url + "/v1/chat/completions", json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[6:])
            if event.get("usage"):
                usage = event["usage"]["completion_tokens"]
            if event.get("choices"):
                delta = event["choices"][0]["delta"]
                if delta.get("content") or delta.get("tool_calls"):
                    if not stamps:
                        opening = "text" if delta.get("content") else "call"
                    stamps.append(time.perf_counter())
                    text.append(delta.get("content") or json.dumps(delta.get("tool_calls")))
    ended = time.perf_counter()
    ttft = ((stamps[0] if stamps else ended) - start) * 1000  # an empty reply: its end is the first thing seen
    rate = (usage - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 and usage > 1 else 0.0
    return ttft, rate, usage, "".join(text), opening


def aggregate(url: str, clients: int, requests_each: int, tokens: int) -> float:
    body = {"model": "default", "messages": STORY, "max_tokens": tokens, "temperature": 0}

    def one_client(_: int) -> int:
        total = 0
        for _ in range(requests_each):
            reply = HTTP.post(url + "/v1/chat/completions", json=body).json()
            total += reply["usage"]["completion_tokens"]
        return total

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        produced = sum(pool.map(one_client, range(clients)))
    return produced / (time.perf_counter() - start)


def start_app(port: int, threads: int, home: str, warm: bool) -> subprocess.Popen:
    """`python app.py` as `make run` starts it, on a private LINGXI_HOME (the merged default is
    shared through LINGXI_MODELS, so it is built at most once)."""
    command = [sys.executable, "app.py", "--port", str(port), "--n-threads", str(threads)]
    if not warm:
        command.append("--no-warm-prompts")
    env = {**os.environ, "LINGXI_HOME": home}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 600  # a first start may build the merged default
    while time.time() < deadline:
        try:
            if HTTP.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the app did not start")


def wait_warm(url: str) -> float:
    start = time.perf_counter()
    while not HTTP.get(url + "/health", timeout=5).json().get("warm"):
        time.sleep(0.1)
    return time.perf_counter() - start


def app_tools() -> list:
    from tools import default_registry

    with tempfile.TemporaryDirectory() as home:
        return default_registry(Path(home)).schemas(None)


def ttft_runs(url: str, tools: list) -> tuple[dict[tuple[str, str], list[float]], list[float]]:
    """New conversations arriving between the turns of two ongoing ones: (TTFT of each new
    conversation by language and opening, TTFT of the ongoing conversations' next turns), in ms."""
    ongoing = [[{"role": "user", "content": "Hi! Who are you?"}], [{"role": "user", "content": "你好，你是谁？"}]]
    fresh: dict[tuple[str, str], list[float]] = {}
    turns = []
    for index, message in enumerate(FIRST_MESSAGES):
        conversation = ongoing[index % 2]
        ttft, _, _, text, _ = stream_chat(url, conversation, tools, 48)
        if len(conversation) > 1:
            turns.append(ttft)
        conversation += [{"role": "assistant", "content": text}, {"role": "user", "content": FOLLOW_UPS[index % 4]}]
        language = "en" if message.isascii() else "zh"
        ttft, _, _, _, opening = stream_chat(url, [{"role": "user", "content": message}], tools, 64)
        fresh.setdefault((language, opening), []).append(ttft)
    return fresh, turns


READING_SECONDS = 1.0
"""How long the user of `read_then_reply` reads an answer before the next message (a person takes
longer): the server prefetches the next turn meanwhile."""
READ_THEN_REPLY = [("Good morning! How are you today?", "Can you say that more simply?"),
                   ("Tell me something interesting about the moon.", "Thanks! Another one?"),
                   ("早上好！最近怎么样？", "好的，谢谢！"), ("给我讲一个关于月亮的有趣知识。", "再说一个。")]
"""Openers no other part of the bench sends (an earlier request's state would be found in the cache)."""


def read_then_reply(url: str, tools: list) -> dict[str, list[float]]:
    """TTFT in ms, by language, of the second turn of conversations whose user reads the first
    answer for READING_SECONDS before replying (one conversation at a time)."""
    turns: dict[str, list[float]] = {}
    for first, follow_up in READ_THEN_REPLY:
        conversation = [{"role": "user", "content": first}]
        text = stream_chat(url, conversation, tools, 48)[3]
        time.sleep(READING_SECONDS)
        conversation += [{"role": "assistant", "content": text}, {"role": "user", "content": follow_up}]
        turns.setdefault("en" if first.isascii() else "zh", []).append(stream_chat(url, conversation, tools, 48)[0])
    return turns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                        help="llama.cpp threads, as the app's default (cores - 1)")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    models = os.environ.setdefault("LINGXI_MODELS", str(Path.home() / ".lingxi" / "models"))
    source = resolve_model("bundled", "default")
    served, lora = llama_cpp_weights(source, EngineConfig(n_threads=args.threads))
    tools = app_tools()
    weights = {"served": (served, lora), "bare": (source.path, None)}
    if source.adapter:
        weights["runtime LoRA"] = (source.path, source.adapter)
    raw = load_raw(weights, args.threads)

    with tempfile.TemporaryDirectory() as home:
        url = f"http://127.0.0.1:{args.port}"
        server = start_app(args.port, args.threads, home, warm=False)
        try:
            cold = stream_chat(url, [{"role": "user", "content": FIRST_MESSAGES[0]}], tools, 64)[0]
        finally:
            server.terminate()
            server.wait(timeout=60)
        server = start_app(args.port, args.threads, home, warm=True)
        try:
            warm_seconds = wait_warm(url)
            rates = decode_rounds(raw, url, args.tokens, args.repeats)
            fresh, turns = ttft_runs(url, tools)
            read_turns = read_then_reply(url, tools)
            clients = {count: aggregate(url, count, each, 64) for count, each in ((1, 4), (4, 1), (8, 1))}
        finally:
            server.terminate()
            server.wait(timeout=60)
    for llm in raw.values():
        llm.close()

    api_rate = rates.pop("api")
    print(f"the app as `make run` runs it: python app.py, model bundled, adapter "
          f"{Path(source.adapter).parent.name if source.adapter else 'none'}, llama.cpp threads {args.threads}, "
          f"requests decoded together (--parallel) {ServedModelOptions.model_fields['parallel'].default}, "
          f"cpu cores {os.cpu_count()}")
    print(f"served weights: {served}" + (f" + LoRA {lora}" if lora else " (merged, no LoRA at run time)")
          + f"; models folder {models}")
    for name, rate in rates.items():
        print(f"raw llama-cpp-python decode, {name}: {rate:.1f} tokens/s")
    print(f"HTTP API streaming decode (served weights): {api_rate:.1f} tokens/s")
    print(f"start-up warming of the agent prompt: {warm_seconds:.1f} s after the app answered /health")
    every = [value for values in fresh.values() for value in values]
    print(f"TTFT, new conversation with the five tools, cold server (first request, no warming): {cold:.0f} ms")
    for (language, opening), values in sorted(fresh.items()):
        print(f"TTFT, new conversation with the five tools, warm server, between two other conversations' turns, "
              f"{language}, reply opens with {opening}: median {statistics.median(values):.0f} ms "
              f"(max {max(values):.0f}, n={len(values)})")
    for language in ("en", "zh"):
        values = [value for (lang, _), group in fresh.items() if lang == language for value in group]
        print(f"TTFT, new conversation with the five tools, warm server, {language}: median "
              f"{statistics.median(values):.0f} ms (n={len(values)})")
    print(f"TTFT, next turn of an interleaved conversation: median {statistics.median(turns):.0f} ms "
          f"(max {max(turns):.0f}, n={len(turns)})")
    print(f"TTFT, next turn after the user read the answer for {READING_SECONDS:g} s: "
          + ", ".join(f"{language} {', '.join(f'{value:.0f}' for value in values)} ms"
                      for language, values in read_turns.items()))
    for count, rate in clients.items():
        print(f"aggregate, {count} client{'s' if count > 1 else ''}: {rate:.1f} tokens/s")
    print(f"api/raw decode ratio: {api_rate / rates['served']:.3f}")
    print(f"default/bare decode ratio: {rates['served'] / rates['bare']:.3f}")
    print(f"8/1 client aggregate ratio: {clients[8] / clients[1]:.2f}")
    print(f"warm new-conversation TTFT with tools (ms): {statistics.median(every):.0f}")


if __name__ == "__main__":
    main()
