"""Code-run benchmark: how long a run with tests takes, and the child's peak memory.

    .venv/bin/python scripts/bench_code_run.py [--runs 10] [SCENARIO.yaml ...]

For each coding scenario (by default the attention task and the batch inference task,
both numpy), runs the task's reference solution with the hidden tests (and the bench,
where the task has one) `--runs` times through the sandbox, exactly as the code-run
route does, and prints the wall time of the whole run (p50, p95), the run's own
`seconds`, and the peak resident memory of the sandboxed process. Also prints which
sandbox layers held on this machine.

A benchmark, not a test: run it on a quiet machine and read the figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib import percentile  # noqa: E402

from interviewer.loader import load_scenario  # noqa: E402
from server.coding.harness import run_code  # noqa: E402

DEFAULT = [
    ROOT / "scenarios/coding/coding-attention.yaml",
    ROOT / "scenarios/ml_ops/mlops-batch-inference.yaml",
]
MIB = 1024 * 1024


def bench(path: Path, runs: int) -> None:
    task = load_scenario(path).code
    if task is None:
        print(f"{path.name}: not a coding scenario")
        return
    walls: list[float] = []
    inner: list[float] = []
    peaks: list[int] = []
    layers: dict[str, str] = {}
    for _ in range(runs):
        start = time.perf_counter()
        result = run_code(task, task.reference, tests=True)
        walls.append(time.perf_counter() - start)
        inner.append(result.seconds)
        peaks.append(result.peak_rss_bytes)
        layers = dict(result.layers)
        if result.exit_code != 0 or result.timed_out:
            print(f"{path.name}: the reference did not pass:\n{result.stderr}")
            return
    print(
        f"{path.name}: run with tests p50 {percentile(walls, 50):.2f} s, "
        f"p95 {percentile(walls, 95):.2f} s (sandboxed process p50 "
        f"{percentile(inner, 50):.2f} s); peak RSS of the child {max(peaks) / MIB:.0f} MiB; "
        + ("with bench" if task.bench else "no bench")
    )
    print("  layers: " + "; ".join(f"{k}: {v}" for k, v in layers.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    for path in args.scenarios:
        bench(path, args.runs)


if __name__ == "__main__":
    main()
