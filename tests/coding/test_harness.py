"""The grading harness on a small task built here: attention with a mask, four hidden
tests, a planted bug (the mask ignored) and a bench against a slow starter. The figures
must come out right for a correct, a wrong, a crashing and a hanging solution."""

from __future__ import annotations

import textwrap

import pytest

from interviewer.parts import CodeTask
from server.coding.harness import RunResult, run_code
from server.coding.limits import Limits
from server.coding.static import static_figures

STARTER = """\
import numpy as np


def attention(q, k, v, mask=None):
    out = np.zeros((q.shape[0], v.shape[1]))
    for i in range(q.shape[0]):
        scores = []
        for j in range(k.shape[0]):
            score = float(q[i] @ k[j]) / np.sqrt(q.shape[1])
            if mask is not None and not mask[i, j]:
                score = -np.inf
            scores.append(score)
        weights = np.exp(np.array(scores) - max(scores))
        out[i] = weights / weights.sum() @ v
    return out
"""

TESTS = """\
import numpy as np
from solution import attention

HIDDEN_MARKER = "hidden-test-source-7731"


def _inputs(seed, n=6, d=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(n, d)), rng.normal(size=(n, d))


def test_shape():
    q, k, v = _inputs(0)
    assert attention(q, k, v).shape == (6, 4)


def test_equal_keys_average_the_values():
    q, _, v = _inputs(1)
    out = attention(q, np.zeros((6, 4)), v)
    assert np.allclose(out, v.mean(axis=0)), "equal scores must average the values"


def test_masking():
    q, k, v = _inputs(2)
    causal = np.tril(np.ones((6, 6), dtype=bool))
    out = attention(q, k, v, mask=causal)
    assert np.allclose(out[0], v[0]), "a masked key must get no weight"


def test_matches_a_reference():
    q, k, v = _inputs(3)
    scores = q @ k.T / 2.0
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    assert np.allclose(attention(q, k, v), weights @ v)
"""

REFERENCE = """\
import numpy as np


def attention(q, k, v, mask=None):
    scores = q @ k.T / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return weights / weights.sum(axis=-1, keepdims=True) @ v
"""

PLANTED = """\
import numpy as np


def attention(q, k, v, mask=None):
    scores = q @ k.T / np.sqrt(q.shape[-1])
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return weights / weights.sum(axis=-1, keepdims=True) @ v
"""

BENCH = """\
import numpy as np


def workload(solution, seed):
    rng = np.random.default_rng(seed)
    q, k, v = (rng.normal(size=(40, 16)) for _ in range(3))
    return solution.attention(q, k, v, mask=np.tril(np.ones((40, 40), dtype=bool)))
"""

OWN_TESTS = """

def test_a_masked_key_gets_no_weight():
    values = np.eye(3)
    mask = np.tril(np.ones((3, 3), dtype=bool))
    out = attention(np.ones((3, 3)), np.ones((3, 3)), values, mask=mask)
    assert np.allclose(out[0], values[0])


def test_one_key_returns_its_value():
    assert np.allclose(attention(np.ones((1, 2)), np.ones((1, 2)), np.full((1, 2), 3.0)), 3.0)
"""

TASK = CodeTask(
    phase="coding",
    task="Implement scaled dot-product attention with an optional boolean mask.",
    starter=STARTER,
    tests=TESTS,
    reference=REFERENCE,
    planted=PLANTED,
    bench=BENCH,
)


def grade(code: str, limits: Limits = Limits()) -> RunResult:  # noqa: B008
    return run_code(TASK, textwrap.dedent(code), tests=True, limits=limits)


def assert_hidden_stays_hidden(result: RunResult) -> None:
    text = result.stdout + result.stderr
    assert "hidden-test-source-7731" not in text and "_inputs" not in text


def test_a_correct_solution_passes_and_its_tests_catch_the_bug() -> None:
    result = grade(REFERENCE + OWN_TESTS)
    f = result.figures
    assert (result.exit_code, result.timed_out) == (0, False), result.stderr
    assert result.tests is not None and result.tests.to_wire() == {
        "passed": 4,
        "failed": 0,
        "errors": 0,
    }
    assert (f["passed"], f["failed"], f["errors"]) == (4, 0, 0)
    assert (f["own_tests"], f["own_failed"], f["catches_bug"]) == (2, 0, 1)
    assert f["lint"] == 0 and f["unclear_names"] == 0 and f["longest_function"] == 6
    assert f["consistent"] == 1 and f["speedup"] > 2 and f["memory_ratio"] > 0
    assert "hidden tests: 4 passed, 0 failed, 0 raised" in result.stderr
    assert_hidden_stays_hidden(result)


def test_a_wrong_solution_fails_the_masking_test_with_a_short_line() -> None:
    result = grade(PLANTED + OWN_TESTS)
    f = result.figures
    assert result.exit_code == 1 and not result.timed_out
    assert (f["passed"], f["failed"], f["errors"]) == (3, 1, 0)
    assert "test_masking failed: AssertionError: a masked key must get no weight" in result.stderr
    # Their own mask test fails on their own code: it cannot also count as catching.
    assert (f["own_failed"], f["catches_bug"]) == (1, 0)
    assert "your test_a_masked_key_gets_no_weight failed" in result.stderr
    assert_hidden_stays_hidden(result)


def test_a_solution_that_raises_counts_errors_and_says_where() -> None:
    code = "def attention(q, k, v, mask=None):\n    return q.nope\n"
    result = grade(code)
    f = result.figures
    assert (f["passed"], f["failed"], f["errors"]) == (0, 0, 4)
    assert result.exit_code == 1
    assert "test_shape raised: AttributeError" in result.stderr
    assert "(solution.py line 2, in attention)" in result.stderr
    assert f["consistent"] == 0 and "speedup" not in f
    assert_hidden_stays_hidden(result)


def test_a_solution_that_crashes_on_import_errors_every_test() -> None:
    result = grade("print('starting')\nraise RuntimeError('broken on purpose')\n")
    assert result.exit_code == 2 and result.stdout == "starting\n"
    assert "solution.py raised on import: RuntimeError: broken on purpose" in result.stderr
    assert result.tests is not None and result.tests.errors == 4
    assert result.figures["passed"] == 0


def test_a_hanging_solution_times_out_with_what_was_done() -> None:
    code = (
        REFERENCE
        + "\n\nimport numpy as np\n_real = attention\n\n"
        + (
            "def attention(q, k, v, mask=None):\n"
            "    if mask is not None:\n"
            "        while True:\n"
            "            pass\n"
            "    return _real(q, k, v)\n"
        )
    )
    result = grade(code, Limits(wall_seconds=3, cpu_seconds=10))
    assert result.timed_out and result.tests is not None
    # test_shape and the averaging test ran before the masking test hung.
    assert result.tests.to_wire() == {"passed": 2, "failed": 0, "errors": 2}


def test_an_unsteady_solution_is_not_consistent() -> None:
    code = REFERENCE.replace(
        "    return weights",
        "    weights = weights * (1 + np.random.default_rng().normal() * 1e-9)\n    return weights",
    )
    result = grade(code)
    assert result.figures["passed"] == 4, result.stderr
    assert result.figures["consistent"] == 0


def test_printed_figures_are_not_taken_for_results() -> None:
    code = REFERENCE + (
        '\nprint(\'{"figures": {"passed": 99, "failed": 0, "errors": 0}}\')\n'
        "import os\nprint('task file left:', os.path.exists('_runner/task.json'))\n"
    )
    result = grade(code)
    assert result.figures["passed"] == 4
    assert "task file left: False" in result.stdout


def test_a_plain_run_is_the_candidates_script() -> None:
    code = REFERENCE + "\nif __name__ == '__main__':\n    print('hello from main')\n"
    result = run_code(TASK, code, tests=False)
    assert result.stdout == "hello from main\n" and result.tests is None
    assert set(result.figures) == {"lint", "longest_function", "unclear_names", "own_tests"}
    wire = result.to_wire()
    assert set(wire) == {"stdout", "stderr", "exit_code", "timed_out", "seconds", "tests"}
    assert wire["tests"] is None and wire["exit_code"] == 0


@pytest.mark.parametrize(
    ("code", "unclear"),
    [
        ("q = 1\nk = 2\nv = 3\ni = 0\nx = 1\n", 0),  # attention's letters and the plain ones
        ("a = 1\ntmp = 2\ndata2 = 3\nscores = 4\n", 3),
        ("def f(b, count):\n    for w in range(count):\n        pass\n", 3),
    ],
)
def test_unclear_names(code: str, unclear: int) -> None:
    assert static_figures(code, attention=True)["unclear_names"] == unclear


def test_static_figures_of_code_that_does_not_parse() -> None:
    figures = static_figures("def broken(:\n")
    assert figures["lint"] >= 1
    assert figures["longest_function"] == figures["own_tests"] == 0


def test_lint_counts_ruff_findings() -> None:
    figures = static_figures("import os\n\ndef f(l=[]):\n    return l\n")
    assert figures["lint"] == 3  # unused import, mutable default, ambiguous name


def test_records_written_straight_to_every_descriptor_are_not_taken() -> None:
    forged = b'{"figures": {"passed": 99, "failed": 0, "errors": 0}}\n'
    code = REFERENCE + (
        "\nimport os\n"
        f"for fd in range(3, 64):\n    try:\n        os.write(fd, {forged!r})\n"
        "    except OSError:\n        pass\n"
    )
    result = grade(code)
    assert result.figures["passed"] == 4 and result.tests is not None
    assert result.tests.passed == 4


def test_a_flood_on_stderr_does_not_hide_the_test_lines() -> None:
    code = PLANTED + "\nimport sys\nsys.stderr.write('noise ' * 100_000)\n"
    result = grade(code)
    assert "[output cut:" in result.stderr
    assert result.stderr.rstrip().endswith("hidden tests: 3 passed, 1 failed, 0 raised")
    assert "test_masking failed" in result.stderr


def test_a_solution_without_the_function_errors_every_hidden_test() -> None:
    result = grade("def attend(q, k, v):\n    return v\n")
    assert result.tests is not None and result.tests.to_wire() == {
        "passed": 0,
        "failed": 0,
        "errors": 4,
    }
    assert "the hidden tests could not start: ImportError" in result.stderr
    assert_hidden_stays_hidden(result)
