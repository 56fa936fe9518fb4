"""Code runs in the words of the transcript: what a coding round's run amounts to.

A run of the candidate's code arrives as data (`CodeRan`: the shell ran it in its sandbox
and graded it). Here it becomes a line of the transcript ("Ran the tests: 5 of 6 passed,
1 failed. Your own tests: 3, and they catch the planted bug. Ruff: no findings.") and the
code labels read from it, each with the span of the words that carry it. The rubric then
treats a run like an answer: its evidence quotes the run and the replay links to the
moment it happened, with the code as it was then.
"""

from __future__ import annotations

from .events import CodeRan
from .spans import Match

# The measures a run may carry (see docs/SCENARIOS.md, "Coding rounds"): the conditions
# `last_run('...')` and `best_run('...')` accept these names and no others.
FIGURES: frozenset[str] = frozenset(
    {
        "lint",  # ruff findings on the candidate's code
        "longest_function",  # lines of the longest function
        "unclear_names",  # names that say nothing (`tmp`, `foo`, stray single letters)
        "own_tests",  # the candidate's own `test_*` functions
        "passed",  # hidden tests that passed
        "failed",  # hidden tests whose assert failed
        "errors",  # hidden tests that raised something else
        "own_failed",  # the candidate's own tests failing on their own code
        "catches_bug",  # 1 when their tests fail on the planted wrong solution
        "speedup",  # ML operations: starter time / candidate time on the workload
        "memory_ratio",  # candidate peak memory / starter peak memory
        "consistent",  # 1 when two runs with one seed give the same output
    }
)

CODE_LABELS: frozenset[str] = frozenset(
    {
        "code.ran",
        "code.tests_run",
        "code.all_pass",
        "code.some_fail",
        "code.crashed",
        "code.own_tests",
        "code.catches_bug",
        "code.clean",
        "code.faster",
        "code.lean",
        "code.consistent",
    }
)

FASTER = 2.0  # a speed-up worth the name
LEAN = 0.5  # peak memory at most half the starter's


class _Text:
    """A summary built sentence by sentence, with the span of each labelled part."""

    def __init__(self) -> None:
        self.text = ""
        self.matches: list[Match] = []

    def add(self, part: str, *labels: str) -> None:
        start = len(self.text) + (1 if self.text else 0)
        self.text = f"{self.text} {part}" if self.text else part
        end = len(self.text)
        self.matches += [Match(label, start, end) for label in labels]


def _n(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _plural(count: float, word: str) -> str:
    return f"{_n(count)} {word}" + ("" if count == 1 else "s")


def describe(run: CodeRan) -> tuple[str, list[Match]]:
    """The run as a transcript line, and the code labels read from it."""
    f = run.figures
    out = _Text()
    passed, failed, errors = (f.get(k, 0.0) for k in ("passed", "failed", "errors"))
    ran_tests = passed + failed + errors
    # A run with the hidden tests is one whatever became of it: `last_run()` reads these.
    tested = ("code.tests_run",) if run.tests else ()
    if run.timed_out:
        what = "the tests" if run.tests else "the code"
        out.add(
            f"Ran {what}: it ran out of time and was stopped.", "code.ran", *tested, "code.crashed"
        )
    elif run.tests and ran_tests:
        part = f"Ran the tests: {_n(passed)} of {_n(ran_tests)} passed"
        if failed:
            part += f", {_n(failed)} failed"
        if errors:
            part += f", {_n(errors)} raised an error"
        verdict = "code.some_fail" if failed or errors else "code.all_pass"
        out.add(part + ".", "code.ran", "code.tests_run", verdict)
    elif run.tests:
        out.add(
            "Ran the tests: none could run (the code did not load).",
            "code.ran",
            *tested,
            "code.crashed",
        )
    elif run.exit_code != 0:
        out.add(
            f"Ran the code: it stopped with exit code {run.exit_code}.", "code.ran", "code.crashed"
        )
    else:
        out.add("Ran the code.", "code.ran")
    own = f.get("own_tests", 0.0)
    if own:
        part = f"Your own tests: {_n(own)}"
        if run.tests and "own_failed" in f:
            fails = f["own_failed"]
            part += f" ({_n(fails)} failing)" if fails else " (all pass)"
        if run.tests and "catches_bug" in f:
            if f["catches_bug"]:
                out.add(
                    part + ", and they catch the planted bug.", "code.own_tests", "code.catches_bug"
                )
                part = ""
            else:
                part += ", but they miss the planted bug"
        if part:
            out.add(part + ".", "code.own_tests")
    if "lint" in f:
        if f["lint"] == 0:
            out.add("Ruff: no findings.", "code.clean")
        else:
            out.add(f"Ruff: {_plural(f['lint'], 'finding')}.")
    if "speedup" in f:
        out.add(
            f"Speed-up over the starter: {f['speedup']:.1f}x.",
            *(["code.faster"] if f["speedup"] >= FASTER else []),
        )
    if "memory_ratio" in f:
        share = f"{f['memory_ratio'] * 100:.0f}%"
        out.add(
            f"Peak memory: {share} of the starter's.",
            *(["code.lean"] if f["memory_ratio"] <= LEAN else []),
        )
    if "consistent" in f:
        if f["consistent"]:
            out.add("Same output on a second run with the same seed.", "code.consistent")
        else:
            out.add("A second run with the same seed gave a different output.")
    return out.text, out.matches
