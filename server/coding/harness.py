"""One run of a candidate's code for a coding task, and the figures the engine grades.

`run_code` is synchronous (it blocks for the run): call it in a thread from async code.
Static figures come from the text in this process; everything that executes the code
happens in the sandbox, and the grading script's findings come back on the result
channel, never parsed from what the program printed.
"""

from __future__ import annotations

import ast
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interviewer.parts import CodeTask

from .limits import Limits
from .sandbox import RUNNER_DIR, run_python
from .static import static_figures

HERE = Path(__file__).resolve().parent
SOLUTION_FILE = "solution.py"


@dataclass(frozen=True)
class TestCounts:
    passed: int
    failed: int
    errors: int

    def to_wire(self) -> dict[str, int]:
        return {"passed": self.passed, "failed": self.failed, "errors": self.errors}


@dataclass(frozen=True)
class RunResult:
    stdout: str
    stderr: str
    exit_code: int
    timed_out: bool
    seconds: float
    tests: TestCounts | None  # None for a plain run
    # The grading figures (CodeRan.figures): see docs/SANDBOX.md and the coding contract.
    figures: dict[str, float] = field(default_factory=dict)
    # Not on the wire: the child's peak resident memory, and which sandbox layers held.
    peak_rss_bytes: int = 0
    layers: Mapping[str, str] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        """The answer of `POST /api/sessions/{id}/code/run` (PROTOCOL.md, v1.1)."""
        return {
            "stdout": self.stdout,
            "stderr": self.stderr,
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "seconds": self.seconds,
            "tests": self.tests.to_wire() if self.tests is not None else None,
        }


def hidden_test_names(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]


def _records(channel: bytes, nonce: str) -> list[dict[str, Any]]:
    """The grading script's records: JSON lines carrying this run's nonce."""
    found = []
    for line in channel.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("nonce") == nonce:
            found.append(record)
    return found


def _figures_from(records: list[dict[str, Any]], hidden: list[str]) -> dict[str, float]:
    """The grading script's figures; when it never finished (timeout, crash, import
    error), the hidden tests it reported and every other one counted as an error."""
    for record in records:
        if isinstance(record.get("figures"), dict):
            figures = {str(k): float(v) for k, v in record["figures"].items()}
            if figures.get("errors", 0) < 0:  # the hidden tests did not even load
                figures["errors"] = float(max(len(hidden), 1))
            return figures
    outcomes = {r["hidden"]: r.get("outcome") for r in records if "hidden" in r}
    passed = sum(1 for o in outcomes.values() if o == "passed")
    failed = sum(1 for o in outcomes.values() if o == "failed")
    total = max(len(hidden), len(outcomes))
    return {
        "passed": float(passed),
        "failed": float(failed),
        "errors": float(total - passed - failed),
    }


def run_code(task: CodeTask, code: str, *, tests: bool, limits: Limits = Limits()) -> RunResult:  # noqa: B008
    """Run `code` as the candidate's `solution.py`: as a script (`tests=False`), or
    under the hidden tests, the candidate's own tests and the grading checks."""
    figures = static_figures(code, attention="attention" in task.task.lower())
    files = {SOLUTION_FILE: code}
    if not tests:
        result = run_python(files, SOLUTION_FILE, limits)
        return RunResult(
            result.stdout,
            result.stderr,
            result.exit_code,
            result.timed_out,
            result.seconds,
            None,
            figures,
            result.peak_rss_bytes,
            result.layers,
        )
    nonce = secrets.token_hex(16)
    payload = {
        "nonce": nonce,
        "tests": task.tests,
        "planted": task.planted,
        "bench": task.bench,
        "starter": task.starter,
    }
    files[f"{RUNNER_DIR}/child_grade.py"] = (HERE / "child_grade.py").read_text()
    files[f"{RUNNER_DIR}/task.json"] = json.dumps(payload)
    result = run_python(files, f"{RUNNER_DIR}/child_grade.py", limits, runner=True)
    records = _records(result.channel, nonce)
    graded = _figures_from(records, hidden_test_names(task.tests))
    lines = [str(r["line"]) for r in records if "line" in r]
    stderr = result.stderr
    if lines:
        stderr += ("\n" if stderr and not stderr.endswith("\n") else "") + "\n".join(lines) + "\n"
    figures.update(graded)
    counts = TestCounts(
        int(graded.get("passed", 0)), int(graded.get("failed", 0)), int(graded.get("errors", 0))
    )
    return RunResult(
        result.stdout,
        stderr,
        result.exit_code,
        result.timed_out,
        result.seconds,
        counts,
        figures,
        result.peak_rss_bytes,
        result.layers,
    )
