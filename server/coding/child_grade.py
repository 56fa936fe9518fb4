"""The grading script, run inside the sandbox as `__main__` with the result channel's
descriptor as argv[1] (child_boot.py passes it; it is cleared before any candidate code
runs). It reads the task's hidden parts from _runner/task.json and deletes the file,
imports the candidate's `solution`, runs the hidden tests, the candidate's own tests
(on their code and with the planted solution's functions swapped in) and the bench, and
writes one JSON line per finding to the channel. Stdout stays the candidate's; the
hidden tests' outcomes go to stderr, one short line each, never the tests' source.
Standard library and numpy only; nothing of the project.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import time
import traceback
import tracemalloc
import types
from collections.abc import Callable
from typing import Any

MESSAGE_CHARS = 300
SOLUTION = "solution"


class Channel:
    """JSON lines to the parent, each with the run's nonce (from task.json): a line
    without it, whatever wrote it, is not taken for a finding."""

    fd = -1
    nonce = ""

    @classmethod
    def send(cls, **record: Any) -> None:
        data = (json.dumps({**record, "nonce": cls.nonce}) + "\n").encode()
        while data:
            data = data[os.write(cls.fd, data) :]


def say(text: str) -> None:
    """A line for the candidate: the parent adds it to stderr after the program's own
    output, so no amount of printing pushes it out of the kept part."""
    Channel.send(line=text)


def short(error: BaseException) -> str:
    """`AssertionError: message` plus where in solution.py it went wrong, if it did."""
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    if len(text) > MESSAGE_CHARS:
        text = text[:MESSAGE_CHARS] + "..."
    frames = [
        f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith("solution.py")
    ]
    if frames:
        text += f" (solution.py line {frames[-1].lineno}, in {frames[-1].name})"
    return text


def load(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = f"<{name}>"
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def tests_of(module: types.ModuleType) -> list[tuple[str, Callable[[], Any]]]:
    """The module's own `test_*` functions, in the order they were defined."""
    return [
        (name, value)
        for name, value in vars(module).items()
        if name.startswith("test_")
        and isinstance(value, types.FunctionType)
        and value.__module__ == module.__name__
    ]


def outcome(test: Callable[[], Any]) -> tuple[str, BaseException | None]:
    try:
        test()
    except AssertionError as e:
        return "failed", e
    except BaseException as e:  # SystemExit from the candidate's code too: it is theirs
        return "error", e
    return "passed", None


def run_hidden(source: str) -> tuple[int, int, int]:
    counts = {"passed": 0, "failed": 0, "error": 0}
    try:
        hidden = load("hidden_tests", source)
    except Exception as e:  # most likely their import from solution failed
        say(f"the hidden tests could not start: {short(e)}")
        return 0, 0, -1  # the parent counts every hidden test as an error
    for name, test in tests_of(hidden):
        with contextlib.redirect_stdout(sys.stderr):
            result, error = outcome(test)
        counts[result] += 1
        Channel.send(hidden=name, outcome=result)
        if error is not None:
            verb = "failed" if result == "failed" else "raised"
            say(f"{name} {verb}: {short(error)}")
    return counts["passed"], counts["failed"], counts["error"]


def run_own(solution: types.ModuleType, planted_source: str | None) -> dict[str, float]:
    own = tests_of(solution)
    figures: dict[str, float] = {}
    passing: list[tuple[str, Callable[[], Any]]] = []
    for name, test in own:
        result, error = outcome(test)
        if error is None:
            passing.append((name, test))
        else:
            say(f"your {name} {result}: {short(error)}")
    figures["own_failed"] = float(len(own) - len(passing))
    if planted_source and own:
        figures["catches_bug"] = float(catches_bug(solution, planted_source, passing))
    return figures


def catches_bug(
    solution: types.ModuleType, planted_source: str, passing: list[tuple[str, Callable[[], Any]]]
) -> bool:
    """Whether an own test that passes on the candidate's code fails once the planted
    solution's functions and classes replace theirs."""
    planted = load("planted", planted_source)
    swapped = {
        name: value
        for name, value in vars(planted).items()
        if not name.startswith(("_", "test_")) and isinstance(value, (types.FunctionType, type))
    }
    saved = {name: vars(solution)[name] for name in swapped if name in vars(solution)}
    try:
        vars(solution).update(swapped)
        with contextlib.redirect_stdout(sys.stderr), contextlib.redirect_stderr(sys.stderr):
            return any(outcome(test)[0] != "passed" for _, test in passing)
    finally:
        for name in swapped:
            vars(solution).pop(name, None)
        vars(solution).update(saved)


def canonical(value: Any) -> Any:
    """A form of a workload's output that compares equal only when the output is the
    same, arrays included (repr of a large array elides its middle)."""
    if type(value).__module__ == "numpy" and hasattr(value, "tobytes"):
        return (
            "array",
            str(getattr(value, "dtype", "")),
            getattr(value, "shape", ()),
            value.tobytes(),
        )
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(canonical(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((repr(k), canonical(v)) for k, v in value.items())))
    return repr(value)


def workload_run(
    bench: types.ModuleType, module: types.ModuleType, traced: bool
) -> tuple[float, int, Any]:
    """(seconds, peak traced bytes or 0, output) of one workload run with seed 0."""
    if traced:
        tracemalloc.start()
        tracemalloc.reset_peak()
    start = time.perf_counter()
    try:
        output = bench.workload(module, 0)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
    finally:
        if traced:
            tracemalloc.stop()
    return seconds, peak, canonical(output)


def run_bench(
    bench_source: str, starter_source: str, solution: types.ModuleType
) -> dict[str, float]:
    """Speed-up (best of two timed runs each, interleaved, so a warm-up or a noisy
    moment does not decide it), peak traced memory (one traced run each) and whether the
    candidate's three runs with the same seed gave the same output."""
    bench = load("bench", bench_source)
    starter = load("starter", starter_source)
    base_times: list[float] = []
    times: list[float] = []
    outputs: list[Any] = []
    running = "the starter"
    with contextlib.redirect_stdout(sys.stderr):
        try:
            for _ in range(2):
                running = "the starter"
                base_times.append(workload_run(bench, starter, traced=False)[0])
                running = "your code"
                seconds, _, output = workload_run(bench, solution, traced=False)
                times.append(seconds)
                outputs.append(output)
            running = "the starter"
            _, base_peak, _ = workload_run(bench, starter, traced=True)
            running = "your code"
            _, peak, output = workload_run(bench, solution, traced=True)
            outputs.append(output)
        except Exception as e:
            say(f"bench: the workload raised on {running}: {short(e)}")
            return {"consistent": 0.0}
    return {
        "speedup": round(min(base_times) / max(min(times), 1e-6), 3),
        "memory_ratio": round(peak / max(base_peak, 1), 3),
        "consistent": 1.0 if all(o == outputs[0] for o in outputs) else 0.0,
    }


def main() -> int:
    Channel.fd = int(sys.argv[1])
    os.set_inheritable(Channel.fd, False)
    del sys.argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "task.json"), encoding="utf-8") as f:
        task = json.load(f)
    os.remove(os.path.join(here, "task.json"))
    Channel.nonce = task.pop("nonce")
    try:
        solution = importlib.import_module(SOLUTION)
    except BaseException as e:
        say(f"solution.py raised on import: {short(e)}")
        return 2
    passed, failed, errors = run_hidden(task["tests"])
    figures: dict[str, float] = {"passed": passed, "failed": failed, "errors": errors}
    figures.update(run_own(solution, task.get("planted")))
    if task.get("bench"):
        try:
            figures.update(run_bench(task["bench"], task["starter"], solution))
        except Exception as e:
            say(f"bench: could not run: {short(e)}")
    Channel.send(figures=figures)
    say(f"hidden tests: {passed} passed, {failed} failed, {errors} raised")
    return 0 if failed == errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
