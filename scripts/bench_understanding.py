"""Time the understanding of one candidate turn, per scenario: the evaluation set's turns
(typical answers) and the longest turn the server accepts (20,000 characters).

    .venv/bin/python scripts/bench_understanding.py

The engine runs on the server's event loop, so this is the time one turn can hold up
every other session on the process.
"""

from __future__ import annotations

import random
import statistics
import time

from interviewer import load_catalog, understand
from interviewer.evaluation import load_cases
from interviewer.loader import DEFAULT_ROOT

LONGEST = 20_000  # the server's default max_say_chars


def main() -> None:
    catalog = load_catalog()
    cases = load_cases(DEFAULT_ROOT / "eval")
    words = " ".join(c.say for _, c in cases).split()
    rng = random.Random(1)
    longest = ""
    while len(longest) < LONGEST:
        longest += rng.choice(words) + " "
    longest = longest[:LONGEST]
    print(f"{'scenario':36} {'turns':>5} {'p50 ms':>7} {'p99 ms':>7} {'20k chars ms':>13}")
    for sid, scenario in catalog.items():
        understand(scenario, "warm up")  # compiles the scenario's matchers once
        texts = [c.say for _, c in cases if c.scenario == sid] or [c.say for _, c in cases[:50]]
        times = []
        for text in texts * 3:
            t0 = time.perf_counter()
            understand(scenario, text)
            times.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        understand(scenario, longest)
        worst = (time.perf_counter() - t0) * 1000
        p99 = statistics.quantiles(times, n=100)[98]
        print(
            f"{sid:36} {len(texts):>5} {statistics.median(times):>7.2f} {p99:>7.2f} {worst:>13.1f}"
        )


if __name__ == "__main__":
    main()
