"""The coding and ML operations tasks check themselves, through the runner the page uses
(`server.coding.harness.run_code`): the reference passes every hidden test, quickly; the
starter fails some; a good candidate test catches the planted bug, which fails a hidden
test too; and for ML operations the bench figures say what the task claims (batch
inference: the reference is several times faster and a fraction of the memory; generation
drift: the reference is consistent and the starter is not).

The reference check runs with the quick tests; the rest, a few seconds a task, with the
slow ones."""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import pytest

from interviewer.loader import load_scenario
from interviewer.parts import CodeTask
from server.coding.harness import RunResult, run_code

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    f
    for f in [*ROOT.glob("scenarios/coding/*.yaml"), *ROOT.glob("scenarios/ml_ops/*.yaml")]
    if not f.name.endswith(".plans.yaml")
)
ML_OPS = [f for f in FILES if f.parent.name == "ml_ops"]

# A test a careful candidate would write, one per task, added to their own file: it
# passes on the reference, and fails once the planted solution replaces the reference's
# functions (the runner's `catches_bug`).
GOOD_TESTS = {
    "coding-attention": """
        def test_matches_hand_computation():
            q = np.array([[1.0, 1.0, 1.0, 1.0]])
            k = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
            v = np.array([[1.0], [0.0]])
            output, _ = attention(q, k, v)
            # scores 4 / sqrt(4) = 2 and 0
            assert np.isclose(output[0, 0], np.exp(2.0) / (np.exp(2.0) + 1.0))
        """,
    "coding-memory-leak": """
        def test_memory_is_bounded():
            import gc
            import tracemalloc

            train(steps=2)
            gc.collect()
            tracemalloc.start()
            train(steps=200)
            gc.collect()
            held = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
            assert held < 1_000_000
        """,
    "coding-reward-eval": """
        def test_a_tie_counts_half():
            assert evaluate_reward_model([1.0, 2.0], [1.0, 0.0])["accuracy"] == 0.75
        """,
    "mlops-batch-inference": """
        def test_a_partial_last_chunk():
            labels, confidences = run(seed=0, n_rows=1500)
            assert len(labels) == len(confidences) == 1500
        """,
    "mlops-generation-drift": """
        def test_a_prompt_alone_or_in_a_crowd():
            alone = run_job(["x"], seed=0)["completions"][0]
            assert run_job(["y", "z", "x"], seed=0)["completions"][2] == alone
        """,
}


@functools.cache
def scenario_id(path: Path) -> str:
    return load_scenario(path).id


@functools.cache
def task_of(path: Path) -> CodeTask:
    code = load_scenario(path).code
    assert code is not None, f"{path.name} has no code task"
    return code


def graded_run(task: CodeTask, code: str) -> RunResult:
    result = run_code(task, code, tests=True)
    assert result.tests is not None and not result.timed_out, result.stderr[-2000:]
    return result


def all_pass(result: RunResult) -> bool:
    counts = result.tests
    assert counts is not None
    return counts.passed > 0 and counts.failed == counts.errors == 0


def test_every_task_has_a_good_test() -> None:
    assert len(FILES) == 5
    assert {scenario_id(f) for f in FILES} == set(GOOD_TESTS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_reference_passes_every_hidden_test_quickly(path: Path) -> None:
    task = task_of(path)
    result = graded_run(task, task.reference)
    assert result.tests is not None and result.tests.passed >= 5
    assert all_pass(result), result.stderr[-2000:]
    # the whole run: hidden tests, and for ML operations the bench on starter and reference
    assert result.seconds < 10


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_starter_fails_some_hidden_tests(path: Path) -> None:
    task = task_of(path)
    assert not all_pass(graded_run(task, task.starter))


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_a_good_candidate_test_catches_the_planted_bug(path: Path) -> None:
    task = task_of(path)
    assert task.planted is not None
    good = textwrap.dedent(GOOD_TESTS[scenario_id(path)])
    candidate = graded_run(task, task.reference + "\n\n" + good)
    assert all_pass(candidate)
    assert candidate.figures["own_tests"] == 1 and candidate.figures["own_failed"] == 0
    assert candidate.figures["catches_bug"] == 1
    # The planted bug is a real one: a hidden test fails on it too.
    assert not all_pass(graded_run(task, task.planted))


@pytest.mark.slow
@pytest.mark.parametrize("path", ML_OPS, ids=lambda p: p.stem)
def test_bench_figures(path: Path) -> None:
    task = task_of(path)
    reference = graded_run(task, task.reference).figures
    assert reference["consistent"] == 1
    if scenario_id(path) == "mlops-batch-inference":
        assert reference["speedup"] >= 2
        assert reference["memory_ratio"] <= 0.25
    if scenario_id(path) == "mlops-generation-drift":
        assert graded_run(task, task.starter).figures["consistent"] == 0
