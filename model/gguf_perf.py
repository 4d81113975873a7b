"""What a GGUF costs to run: file size, load time, decode tokens/s, peak memory, perplexity.

Each model is measured in a fresh Python process (`measure_gguf` runs this module), so one
model's pages and allocator high-water mark never count towards the next. Peak memory is what
the model adds to the process: the kernel's peak-RSS counter (VmHWM) is reset after the imports
(`echo 5 > /proc/self/clear_refs`) and the RSS at that point is subtracted.

Decode speed: the same prompt, greedy, `tokens` new tokens counted from the first generated
one (so prompt processing is excluded), best of `repeats`; EOS does not stop it.
Perplexity: on held-out text (`model/calibration/heldout.txt`, never used for calibration), in
windows of `ppl_window` tokens, scoring every token but the first of each window.

    python -m model.gguf_perf MODEL.gguf --threads 1 --tokens 128 --repeats 3  # prints JSON
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from model.errors import ModelError

logger = logging.getLogger(__name__)

PROMPT = ("<|im_start|>user\nExplain in a few sentences how a bicycle works, then list three ways "
          "to keep one in good shape.<|im_end|>\n<|im_start|>assistant\n")


@dataclass
class GgufPerf:
    path: str
    size_mb: float
    load_s: float
    decode_tps: float
    peak_mb: float
    """Peak resident memory the model added to a fresh process (MB)."""
    ppl: float | None
    threads: int
    tokens: int


class MeasureError(ModelError):
    """The measuring subprocess failed."""


def measure_gguf(path: str | Path, threads: int = 1, tokens: int = 128, repeats: int = 3,
                 ppl_tokens: int = 1024, timeout: float = 600) -> GgufPerf:
    """Measure `path` in a fresh subprocess (see the module docstring)."""
    command = [sys.executable, "-m", "model.gguf_perf", str(path), "--threads", str(threads),
               "--tokens", str(tokens), "--repeats", str(repeats), "--ppl-tokens", str(ppl_tokens)]
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-10:])
        raise MeasureError(f"measuring {path} failed (exit {done.returncode}):\n{tail}")
    return GgufPerf(**json.loads(done.stdout.strip().splitlines()[-1]))


# ---- inside the measuring process ------------------------------------------------------------
def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _decode_rate(llm, prompt_tokens: list[int], tokens: int) -> float:
    started, produced = 0.0, 0
    for _ in llm.generate(prompt_tokens, temp=0.0, top_k=1, reset=True):
        if produced == 0:
            started = time.perf_counter()  # the first token follows the prompt's evaluation
        produced += 1
        if produced > tokens:
            break
    return tokens / (time.perf_counter() - started)


def perplexity(path: str, text: str, threads: int, max_tokens: int = 1024, window: int = 512) -> float:
    """Perplexity of `text` (first `max_tokens` tokens) under the GGUF at `path`."""
    import numpy as np
    from llama_cpp import Llama

    llm = Llama(model_path=path, n_ctx=window, n_threads=threads, n_threads_batch=threads,
                logits_all=True, verbose=False)
    try:
        ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)[:max_tokens]
        nll, count = 0.0, 0
        for start in range(0, len(ids) - 1, window):
            chunk = ids[start:start + window]
            if len(chunk) < 2:
                break
            llm.reset()
            llm.eval(chunk)
            logits = np.asarray(llm.scores[:len(chunk) - 1], dtype=np.float64)
            top = logits.max(axis=1, keepdims=True)
            logsumexp = (top + np.log(np.exp(logits - top).sum(axis=1, keepdims=True)))[:, 0]
            targets = np.asarray(chunk[1:])
            nll += float((logsumexp - logits[np.arange(len(targets)), targets]).sum())
            count += len(targets)
    finally:
        llm.close()
    return math.exp(nll / count) if count else float("nan")


def _measure_here(path: str, threads: int, tokens: int, repeats: int, ppl_tokens: int) -> GgufPerf:
    from llama_cpp import Llama

    from model.imatrix import HELDOUT_TEXT

    _reset_peak()
    baseline_kb = _status_kb("VmRSS")
    started = time.perf_counter()
    llm = Llama(model_path=path, n_ctx=1024, n_threads=threads, n_threads_batch=threads, verbose=False)
    load_s = time.perf_counter() - started
    prompt_tokens = llm.tokenize(PROMPT.encode("utf-8"), add_bos=False, special=True)
    rate = max(_decode_rate(llm, prompt_tokens, tokens) for _ in range(repeats))
    peak_mb = (_status_kb("VmHWM") - baseline_kb) / 1024
    llm.close()
    ppl = (perplexity(path, HELDOUT_TEXT.read_text(encoding="utf-8"), threads, ppl_tokens)
           if ppl_tokens else None)
    return GgufPerf(path, Path(path).stat().st_size / 1e6, load_s, rate, peak_mb, ppl, threads, tokens)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="measure one GGUF (prints JSON)")
    parser.add_argument("path")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ppl-tokens", type=int, default=1024, help="0: no perplexity")
    args = parser.parse_args(argv)
    result = _measure_here(args.path, args.threads, args.tokens, args.repeats, args.ppl_tokens)
    print(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
