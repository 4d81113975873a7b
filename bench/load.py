"""Load on loopback: many clients mixing chat, streaming chat and agent turns against one server.

Starts its own server on 127.0.0.1 (a subprocess of this script) on a scripted model that writes
each word after a fixed delay (or on the bundled model), runs one client alone for a baseline,
then `--clients` clients together for `--duration` seconds. Every request must end in a reply or
in a 429/503 that carries Retry-After (clients then wait that long); anything else is a failure.
Prints, per kind, requests, replies, refusals (and how many had Retry-After), other errors and
p50/p95 latency of the replies, the ratio of p50 latencies against the baseline, and last
`load: N requests, F failed`.

    .venv/bin/python bench/load.py --clients 50 --duration 30 [--model scripted|bundled]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.scripted import ScriptedEngine  # noqa: E402
from model.types import ChatDelta, ChatRequest  # noqa: E402

HOST = "127.0.0.1"  # loopback only: this script never serves or calls anything else
KINDS = ("chat", "stream", "agent")
ANSWER = ("Lingxi is a small local assistant that answers questions, calls tools when they help "
          "and keeps every conversation on this machine.")
CALL = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n</tool_call>'


class PacedEngine(ScriptedEngine):
    """A scripted model that writes each word `token_delay` seconds apart: the agent's first
    step calls the calculator, every other request gets a fixed answer."""

    def __init__(self, token_delay: float):
        super().__init__(name="scripted", default=ANSWER)
        self.token_delay = token_delay

    def stream(self, request: ChatRequest, cancel: threading.Event | None = None) -> Iterator[ChatDelta]:
        last = request.messages[-1]
        reply = CALL if request.tools and last.get("role") == "user" else ANSWER
        return self._paced(self._stream(request, reply, cancel or threading.Event()))

    def _paced(self, deltas: Iterator[ChatDelta]) -> Iterator[ChatDelta]:
        for delta in deltas:
            time.sleep(self.token_delay)
            yield delta


# --- the server (run as `load.py --serve-port PORT ...` in a subprocess) ---------------------

def serve(port: int, model: str, token_delay: float, max_waiting: int, parallel: int) -> None:
    import uvicorn

    from agent_app.server.app import create_app
    from agent_app.settings import ServerOptions
    from agent_app.store import ConversationStore
    from tools import ToolRegistry, calculator, lingxi_home

    if model == "scripted":
        engine = PacedEngine(token_delay)
    else:
        from model.loader import EngineConfig, load_engine
        engine = load_engine(model, config=EngineConfig(n_ctx=2048, n_threads=1, parallel=parallel))
    store = ConversationStore(lingxi_home() / "load-conversations.sqlite3")
    app = create_app(engine, ServerOptions(max_waiting=max_waiting), registry=ToolRegistry([calculator]), store=store)
    uvicorn.run(app, host=HOST, port=port, log_level="warning")


def start_server(args: argparse.Namespace, home: str) -> tuple[subprocess.Popen, str]:
    port = args.port or _free_port()
    command = [sys.executable, str(Path(__file__).resolve()), "--serve-port", str(port), "--model", args.model,
               "--token-delay", str(args.token_delay), "--max-waiting", str(args.max_waiting),
               "--parallel", str(args.parallel)]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "LINGXI_HOME": home},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the server did not start: {server.stderr.read().decode(errors='replace')[-2000:]}")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- the clients ---------------------------------------------------------------------------

@dataclass
class Outcome:
    kind: str
    status: str  # "reply" | "refused" | "error"
    seconds: float
    retry_after: float | None = None
    detail: str = ""


def request_for(kind: str, max_tokens: int) -> tuple[str, dict]:
    if kind == "agent":
        return "/v1/agent/chat", {"message": "What is 6 times 7? Use the calculator.", "tools": ["calculator"],
                                  "max_steps": 3, "max_tokens": max_tokens}
    return "/v1/chat/completions", {"model": "lingxi", "messages": [{"role": "user", "content": "Who are you?"}],
                                    "max_tokens": max_tokens, "stream": kind == "stream"}


async def one_request(client: httpx.AsyncClient, kind: str, max_tokens: int) -> Outcome:
    path, body = request_for(kind, max_tokens)
    start = time.perf_counter()
    try:
        async with client.stream("POST", path, json=body) as response:
            raw = await response.aread()
    except httpx.HTTPError as error:
        return Outcome(kind, "error", time.perf_counter() - start, detail=type(error).__name__)
    seconds = time.perf_counter() - start
    if response.status_code in (429, 503):
        return Outcome(kind, "refused", seconds, _retry_after(response), f"HTTP {response.status_code}")
    if response.status_code != 200:
        return Outcome(kind, "error", seconds, detail=f"HTTP {response.status_code}")
    problem = _stream_problem(raw) if kind == "stream" else _reply_problem(kind, json.loads(raw))
    return Outcome(kind, "error" if problem else "reply", seconds, detail=problem or "")


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _reply_problem(kind: str, body: dict) -> str | None:
    if kind == "agent":
        return None if body.get("answer") else f"no answer: {body.get('error')}"
    return None if body["choices"][0]["message"].get("content") else "empty reply"


def _stream_problem(raw: bytes) -> str | None:
    events = [line[6:] for line in raw.decode().splitlines() if line.startswith("data: ")]
    if not events or events[-1] != "[DONE]":
        return "stream without [DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    if any("error" in chunk for chunk in chunks):
        return "error event in stream"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))
    return None if text else "empty stream"


async def client_loop(client: httpx.AsyncClient, index: int, deadline: float, max_tokens: int,
                      outcomes: list[Outcome]) -> None:
    turn = index
    while time.monotonic() < deadline:
        outcome = await one_request(client, KINDS[turn % len(KINDS)], max_tokens)
        outcomes.append(outcome)
        turn += 1
        if outcome.status == "refused":  # a well-behaved client waits as long as it was told
            wait = outcome.retry_after if outcome.retry_after is not None else 1.0
            await asyncio.sleep(max(0.0, min(wait, deadline - time.monotonic())))


async def run_clients(url: str, clients: int, duration: float, max_tokens: int, timeout: float) -> list[Outcome]:
    outcomes: list[Outcome] = []
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        deadline = time.monotonic() + duration
        await asyncio.gather(*(client_loop(client, i, deadline, max_tokens, outcomes) for i in range(clients)))
    return outcomes


# --- the report ----------------------------------------------------------------------------

@dataclass
class KindStats:
    requests: int = 0
    replies: int = 0
    refused: int = 0
    refused_with_retry_after: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.requests += 1
        if outcome.status == "reply":
            self.replies += 1
            self.latencies.append(outcome.seconds)
        elif outcome.status == "refused":
            self.refused += 1
            self.refused_with_retry_after += outcome.retry_after is not None
        else:
            self.errors += 1

    @property
    def failed(self) -> int:
        return self.errors + self.refused - self.refused_with_retry_after


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summarize(outcomes: list[Outcome]) -> dict[str, KindStats]:
    stats = {kind: KindStats() for kind in (*KINDS, "all")}
    for outcome in outcomes:
        stats[outcome.kind].add(outcome)
        stats["all"].add(outcome)
    return stats


def print_table(title: str, stats: dict[str, KindStats]) -> None:
    print(title)
    print(f"  {'kind':<7}{'requests':>9}{'replies':>9}{'429/503':>9}{'w/ Retry-After':>16}{'errors':>8}"
          f"{'p50 ms':>9}{'p95 ms':>9}")
    for kind, row in stats.items():
        print(f"  {kind:<7}{row.requests:>9}{row.replies:>9}{row.refused:>9}{row.refused_with_retry_after:>16}"
              f"{row.errors:>8}{percentile(row.latencies, 0.5) * 1000:>9.0f}"
              f"{percentile(row.latencies, 0.95) * 1000:>9.0f}")


def print_errors(outcomes: list[Outcome]) -> None:
    details: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.status == "error":
            key = f"{outcome.kind}: {outcome.detail}"
            details[key] = details.get(key, 0) + 1
    for key, count in sorted(details.items()):
        print(f"  error {key} x{count}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (1..500)")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load (at most 600)")
    parser.add_argument("--baseline-duration", type=float, default=5, help="seconds of the one-client baseline")
    parser.add_argument("--model", default="scripted", help="scripted, or bundled (the real model, slow)")
    parser.add_argument("--token-delay", type=float, default=0.005, help="scripted model: seconds per word")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--max-waiting", type=int, default=32, help="the server's queue bound")
    parser.add_argument("--parallel", type=int, default=1, help="real model: requests decoded together "
                        "(continuous batching; the app serves 4)")
    parser.add_argument("--timeout", type=float, default=120, help="client timeout per request, seconds")
    parser.add_argument("--port", type=int, default=0, help="server port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--serve-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_port:
        serve(args.serve_port, args.model, args.token_delay, args.max_waiting, args.parallel)
        return 0
    if not (1 <= args.clients <= 500 and 0 < args.duration <= 600 and 0 < args.baseline_duration <= 600):
        parser.error("--clients must be 1..500 and durations in (0, 600] seconds")

    with tempfile.TemporaryDirectory(prefix="lingxi-load-") as home:
        server, url = start_server(args, home)
        try:
            print(f"server: {args.model} model"
                  + (f", {args.token_delay * 1000:g} ms per word" if args.model == "scripted" else "")
                  + (f", parallel {args.parallel}" if args.model != "scripted" else "")
                  + f", max_waiting {args.max_waiting}, {url}")
            baseline = asyncio.run(run_clients(url, 1, args.baseline_duration, args.max_tokens, args.timeout))
            loaded = asyncio.run(run_clients(url, args.clients, args.duration, args.max_tokens, args.timeout))
        finally:
            server.terminate()
            server.wait(timeout=30)
    one, many = summarize(baseline), summarize(loaded)
    print_table(f"baseline: 1 client, {args.baseline_duration:g} s", one)
    print_table(f"under load: {args.clients} clients, {args.duration:g} s", many)
    print_errors(baseline + loaded)
    single, loaded_p50 = percentile(one["all"].latencies, 0.5), percentile(many["all"].latencies, 0.5)
    print(f"p50 latency ratio ({args.clients} clients / 1 client): {loaded_p50 / single:.1f}")
    failed = many["all"].failed + one["all"].failed
    print(f"load: {many['all'].requests + one['all'].requests} requests, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
