"""How close the Fine-tune page's estimate comes to the run it estimates (bundled model, CPU).

For each method (LoRA by default; `--methods lora,full`), the same recipe twice, each in its own
subprocess on an idle machine: `lingxi train RECIPE --estimate 3` (the model and data loaded as
training would, a warm-up step and 3 timed steps, one checkpoint save timed) and then the real
`lingxi train RECIPE`. Compares the estimate's time with the run's wall time (the process from
start to exit, so the interpreter start and the final save count against the estimate) and its
peak memory with the run's peak RSS, and prints both ratios (estimate / actual; 1.0 is exact).

Data: the smoke recipe's public sets ($LINGXI_DATA_DIR or ../shared/data) plus Lingxi's tool-use
builder, so the run is long enough for the steady pace to dominate.

    .venv/bin/python bench/train_estimate.py [--steps 40] [--methods lora,full]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def recipe(folder: Path, method: str, steps: int) -> Path:
    from training.config import TrainConfig, config_to_yaml

    config = TrainConfig(name=f"estimate-{method}", model="bundled", method=method, tool_use=4,
                         public_sets="default", max_examples=64, max_length=512, batch_size=2, max_steps=steps,
                         lr=2e-5 if method == "full" else 2e-4, lora_r=8, lora_alpha=16, save_steps=10,
                         output_dir=str(folder / method))
    path = folder / f"{method}.yaml"
    path.write_text(config_to_yaml(config), encoding="utf-8")
    return path


_MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(json.dumps({"wall": time.perf_counter() - started,
                  "peak_gb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2}))
"""


def measure(args: list[str]) -> dict[str, float]:
    """Wall seconds and peak RSS (GB) of `python -m agent_app.cli ARGS`, in a process of its own
    (RUSAGE_CHILDREN keeps the largest child so far: one child per measurement)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    output = subprocess.run([sys.executable, "-c", _MEASURE, sys.executable, "-m", "agent_app.cli", *args],
                            cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--methods", default="lora")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        os.environ["LINGXI_HOME"] = str(folder / "home")
        for method in args.methods.split(","):
            path = recipe(folder, method, args.steps)
            measure(["train", str(path), "--estimate", "3"])
            estimate = json.loads((folder / method / "estimate.json").read_text(encoding="utf-8"))
            actual = measure(["train", str(path), "--no-resume"])
            rows.append((method, estimate, actual["wall"], actual["peak_gb"]))
    print(f"{'method':<7} {'steps':>5} {'est. s':>7} {'actual s':>8} {'ratio':>6} {'est. GB':>8} {'peak GB':>8} "
          f"{'ratio':>6}")
    for method, estimate, wall, peak in rows:
        print(f"{method:<7} {estimate['total_steps']:>5} {estimate['total_s']:>7.1f} {wall:>8.1f} "
              f"{estimate['total_s'] / wall:>6.2f} {estimate['peak_memory_gb']:>8.2f} {peak:>8.2f} "
              f"{estimate['peak_memory_gb'] / peak:>6.2f}")
    for method, estimate, wall, peak in rows:
        print(f"estimate/actual ({method}): time {estimate['total_s'] / wall:.2f}, "
              f"memory {estimate['peak_memory_gb'] / peak:.2f}")


if __name__ == "__main__":
    main()
