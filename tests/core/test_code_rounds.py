"""Coding rounds in the engine: a task that holds while the candidate codes, runs as turns
of the transcript, the task's cues, and a rubric graded from runs and narration."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer import Scenario, Score, load_scenario, start, step
from interviewer.code import describe
from interviewer.engine import Step
from interviewer.errors import ScenarioError
from interviewer.events import CandidateSaid, CodeEdited, CodeRan, Event, Tick

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return load_scenario(FIXTURES / "coding-mini.yaml")


def _run(at: float, tests: bool = True, **figures: float) -> CodeRan:
    return CodeRan(at=at, tests=tests, exit_code=0, timed_out=False, figures=figures)


def _at_task(sc: Scenario) -> Step:
    first = start(sc, seed=1)
    return step(sc, first.state, CandidateSaid(at=30, text="Yes, ready."))


def _lines(result: Step) -> list[str]:
    return [a.line_id for a in result.actions if hasattr(a, "line_id")]


def _feed(sc: Scenario, result: Step, *events: Event) -> Step:
    for event in events:
        result = step(sc, result.state, event)
    return result


def test_narration_while_coding_gets_no_reply_and_does_not_move_on(sc: Scenario) -> None:
    at_task = _at_task(sc)
    assert at_task.state.node == "task" and at_task.state.coding_from == 30
    result = _feed(sc, at_task, CandidateSaid(at=60, text="First I'll compute the margins."))
    assert _lines(result) == []
    assert result.state.node == "task" and result.state.probes_used == 0


def test_a_question_while_coding_is_answered_and_the_task_stays_open(sc: Scenario) -> None:
    result = _feed(sc, _at_task(sc), CandidateSaid(at=60, text="What shape are the inputs?"))
    assert _lines(result) == ["fact.shapes"]
    assert result.state.node == "task"


def test_saying_done_moves_the_task_on_to_its_probe(sc: Scenario) -> None:
    result = _feed(sc, _at_task(sc), CandidateSaid(at=600, text="Okay, I'm done."))
    assert _lines(result) == ["task.complexity"]


def test_a_run_is_a_turn_with_its_summary_labels_and_figures(sc: Scenario) -> None:
    result = _feed(sc, _at_task(sc), _run(200, passed=1, failed=2, errors=0, own_tests=2, lint=0))
    turn = result.state.turns[-1]
    assert turn.meta == "code"
    assert turn.text.startswith("Ran the tests: 1 of 3 passed, 2 failed.")
    assert {"code.tests_run", "code.some_fail", "code.own_tests", "code.clean"} <= set(turn.labels)
    assert turn.figures["failed"] == 2
    for m in turn.matches:
        assert turn.text[m.start : m.end].strip()
    # the first failing run draws the failing cue, once a round
    assert _lines(result) == ["code.failing"]
    again = _feed(sc, result, _run(260, passed=1, failed=2))
    assert _lines(again) == []


def test_a_crash_draws_its_cue_and_a_plain_run_draws_nothing(sc: Scenario) -> None:
    plain = _feed(sc, _at_task(sc), _run(100, tests=False))
    assert _lines(plain) == [] and plain.state.turns[-1].text == "Ran the code."
    crash = CodeRan(at=150, tests=True, exit_code=1, timed_out=False, figures={})
    crashed = _feed(sc, plain, crash)
    assert _lines(crashed) == ["code.crashed"]
    assert "did not load" in crashed.state.turns[-1].text


def test_all_tests_passing_says_the_solved_cue_and_goes_to_the_discussion(sc: Scenario) -> None:
    result = _feed(sc, _at_task(sc), _run(500, passed=3, failed=0, errors=0))
    assert _lines(result) == ["code.solved", "discuss"]
    assert result.state.node == "discuss"
    assert result.state.coding_until == 500


def test_no_run_for_a_while_draws_the_nudge_again_after_each_run(sc: Scenario) -> None:
    at_task = _at_task(sc)  # the code phase began at 30 s
    nudged = _feed(sc, at_task, Tick(at=30 + 600))
    assert _lines(nudged) == ["code.no_run"]
    quiet = _feed(sc, nudged, _run(700, tests=False), Tick(at=700 + 599))
    assert _lines(quiet) == []
    again = _feed(sc, quiet, Tick(at=700 + 600))
    assert _lines(again) == ["code.no_run"]


def test_the_longest_silence_while_editing_is_kept(sc: Scenario) -> None:
    result = _feed(
        sc,
        _at_task(sc),
        CodeEdited(at=90),  # 60 s after the phase began, nothing said
        CandidateSaid(at=100, text="First I'll sort."),
        CodeEdited(at=400),  # 300 s after the last word
        CandidateSaid(at=410, text="Now the ties."),
        CodeEdited(at=420),
    )
    assert result.state.quiet_coding == 300


def test_the_rubric_is_graded_from_runs_and_narration_with_evidence_on_runs(
    sc: Scenario,
) -> None:
    talk = [
        CandidateSaid(at=60 + 60 * i, text="I'm writing the loop over pairs now " * 2)
        for i in range(10)
    ]
    result = _feed(
        sc,
        _at_task(sc),
        *talk,
        _run(700, passed=0, failed=1, own_tests=1, catches_bug=0),
        _run(800, passed=1, failed=0, own_tests=2, catches_bug=1),
        CandidateSaid(at=900, text="Adding a test for empty input next."),
    )
    assert result.state.ended
    scores = {a.criterion: a for a in result.actions if isinstance(a, Score)}
    assert scores["correctness"].level == 3
    assert scores["testing"].level == 3
    assert scores["narration"].level == 3
    quotes = [e.quote for e in scores["correctness"].evidence]
    assert any(q.startswith("Ran the tests: 1 of 1 passed") for q in quotes)
    run_turns = {t.index for t in result.state.turns if t.meta == "code"}
    assert {e.turn for e in scores["testing"].evidence} <= run_turns


def test_a_silent_coder_is_graded_low_on_narration(sc: Scenario) -> None:
    result = _feed(sc, _at_task(sc), _run(1000, passed=1, failed=0), Tick(at=30 * 60))
    scores = {a.criterion: a.level for a in result.actions if isinstance(a, Score)}
    assert scores["narration"] == 1


def test_describe_names_the_measures_of_an_ml_operations_run() -> None:
    text, matches = describe(
        _run(5, passed=4, failed=0, speedup=3.5, memory_ratio=0.25, consistent=1)
    )
    assert "3.5x" in text and "25% of the starter" in text
    assert {"code.faster", "code.lean", "code.consistent", "code.all_pass"} <= {
        m.label for m in matches
    }


def test_a_code_task_outside_a_coding_round_is_refused(tmp_path: Path) -> None:
    text = (FIXTURES / "coding-mini.yaml").read_text().replace("round: coding", "round: culture")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match="belongs to coding or ml_ops"):
        load_scenario(path)


def test_figures_are_known_names_in_conditions(tmp_path: Path) -> None:
    text = (
        (FIXTURES / "coding-mini.yaml")
        .read_text()
        .replace("best_run('own_tests')", "best_run('owntests')")
    )
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match="unknown figure 'owntests'"):
        load_scenario(path)
