"""A short, bounded run of bench/load.py: 50 clients for 3 s on the scripted model, over loopback.

Every request ends in a reply or in a 429/503 carrying Retry-After; all three kinds (chat,
streaming chat, agent) are answered while the queue is full.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def table(output: str, title: str) -> dict[str, list[int]]:
    """The rows of one printed table: kind -> requests, replies, refused, with Retry-After, errors."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rows = {}
    for line in lines[start + 2:start + 6]:
        kind, *numbers = line.split()
        rows[kind] = [int(value) for value in numbers[:5]]
    return rows


def test_fifty_clients_get_replies_or_retry_after_and_nothing_fails():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), "--clients", "50", "--duration", "3",
                           "--baseline-duration", "1"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"load: (\d+) requests, (\d+) failed", last)
    assert match and int(match[2]) == 0, done.stdout
    loaded = table(done.stdout, "under load: 50 clients")
    requests, replies, refused, with_retry_after, errors = loaded["all"]
    assert requests >= 50 and errors == 0 and requests == replies + refused
    assert refused > 0 and with_retry_after == refused  # 50 clients overflow a queue of 32
    assert all(loaded[kind][1] > 0 for kind in ("chat", "stream", "agent"))
    baseline = table(done.stdout, "baseline: 1 client")
    assert baseline["all"][2] == 0 and baseline["all"][1] > 0  # one client is never refused
    assert re.search(r"p50 latency ratio \(50 clients / 1 client\): \d+\.\d", done.stdout)
