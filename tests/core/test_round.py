"""The round as a whole: one clock for it, deeper questions while there is time, memory of
what was said, a detour that returns to the pending question, probe sets, closings."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer import (
    CandidateSaid,
    PhaseChanged,
    Say,
    Scenario,
    ScenarioError,
    State,
    Tick,
    load_scenario,
    start,
    step,
)
from interviewer.engine import Step

ROUND = """
id: round-drill
title: A round with two phases
round: system_design
minutes: 30
signals:
  numbers: {phrases: [qps, requests per second]}
  failure: {phrases: [falls over, failure mode]}
  steelman: {phrases: [their best argument]}
phases:
  - id: design
    title: Design
    minutes: 16
    overtime: {say: "Let's move on to operations.", goto: ops}
  - id: ops
    title: Operations
    minutes: 10
probe_sets:
  basics:
    - id: probe1
      unless: heard('numbers')
      say: "Put numbers on it."
    - id: probe2
      unless: heard('failure')
      say: "What falls over first?"
conditions:
  covered_basics: heard('numbers') and heard('failure')
start: design
closing: "That's the end."
closings:
  - id: quiet
    if: turns == 0
    say: "We ran out of time before you said much."
  - id: thorough
    if: covered_basics
    say: "That's where we'll stop. You put numbers and failure modes on everything."
nodes:
  design:
    phase: design
    say: "Design it."
    probes:
      - use: basics
    deeper:
      - id: tenx
        say: "What breaks at ten times the load?"
      - id: cost
        unless: heard('numbers')
        say: "What does it cost?"
    next:
      - goto: steelman
  steelman:
    phase: design
    unless: heard('steelman')
    say: "What would the other team's best argument be?"
    next:
      - goto: ops
  ops:
    phase: ops
    say: "How do you run it?"
    probes:
      - use: basics
    next:
      - goto: end
  outage:
    kind: follow_up
    say: "How does the design respond?"
    next:
      - goto: resume
timers:
  - id: outage
    at: 5m
    say: "A region just went down."
    kind: constraint
    goto: outage
  - id: wrap
    at: 26m
    kind: time_check
    say: "We have a few minutes left."
rubric:
  - id: depth
    title: Depth
    anchors: {1: Boxes only., 5: Numbers and failure modes.}
    points: [numbers, failure]
    levels:
      - level: 5
        if: covered('depth') >= 2
      - level: 1
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "round.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def sc(tmp_path: Path) -> Scenario:
    return load_scenario(write(tmp_path, ROUND))


def says(result: Step) -> list[Say]:
    return [a for a in result.actions if isinstance(a, Say)]


def answer(sc: Scenario, state: State, at: float, text: str) -> Step:
    return step(sc, state, CandidateSaid(at=at, text=text))


def test_time_boxes_are_laid_out_back_from_the_rounds_end(sc: Scenario) -> None:
    # 30 minutes, phases of 16 and 10: four minutes of slack after the last phase
    assert sc.phase_end("ops") == 26 * 60
    assert sc.phase_end("design") == 16 * 60
    r = start(sc, seed=1)
    changed = [a for a in r.actions if isinstance(a, PhaseChanged)]
    assert changed[0].until == 16 * 60


def test_probe_sets_expand_in_place_with_the_nodes_own_line_ids(sc: Scenario) -> None:
    assert [p.id for p in sc.nodes["design"].probes] == ["probe1", "probe2"]
    ids = {line.line_id for line in sc.lines()}
    assert {"design.probe1", "ops.probe1", "design.tenx", "closing.quiet"} <= ids


def test_an_unknown_probe_set_is_named(tmp_path: Path) -> None:
    text = ROUND.replace("      - use: basics\n    deeper", "      - use: basic\n    deeper", 1)
    with pytest.raises(ScenarioError, match="basic"):
        load_scenario(write(tmp_path, text))


def test_deeper_questions_fill_the_phase_then_the_script_moves_on(sc: Scenario) -> None:
    s = start(sc, seed=1).state
    s = step(sc, s, Tick(at=300)).state  # the outage detour comes and goes first
    s = answer(sc, s, 310, "Fail over to the other region.").state
    r = answer(sc, s, 400, "A queue at 500 requests per second; a hot key falls over first.")
    assert [a.line_id for a in says(r)] == ["design.tenx"]
    # "cost" is skipped: the numbers were heard already
    r = answer(sc, r.state, 500, "The cache and the queue.")
    assert [a.line_id for a in says(r)] == ["steelman"]


def test_no_deeper_question_without_two_minutes_left_in_the_box(sc: Scenario) -> None:
    s = start(sc, seed=1).state
    s = step(sc, s, Tick(at=300)).state
    s = answer(sc, s, 310, "Fail over.").state
    late = 16 * 60 - 100  # under two minutes left in the design box
    r = answer(sc, s, late, "500 requests per second; a hot key falls over first.")
    assert [a.line_id for a in says(r)] == ["steelman"]


def test_a_node_whose_question_was_answered_is_passed_over(sc: Scenario) -> None:
    s = start(sc, seed=1).state
    s = step(sc, s, Tick(at=300)).state
    s = answer(sc, s, 310, "Fail over.").state
    r = answer(
        sc,
        s,
        16 * 60 - 100,
        "500 requests per second, a hot key falls over first, and their best argument "
        "would be cost.",
    )
    assert [a.line_id for a in says(r)][-1] == "ops"


def test_a_detour_returns_to_the_pending_probe_not_the_opening(sc: Scenario) -> None:
    r = start(sc, seed=1)
    r = answer(sc, r.state, 100, "A load balancer and some servers.")
    assert [a.line_id for a in says(r)] == ["design.probe1"]
    r = step(sc, r.state, Tick(at=300))
    assert [a.line_id for a in says(r)] == ["timer.outage", "outage"]
    r = answer(sc, r.state, 360, "Fail over to the other region.")
    assert [(a.line_id, a.kind) for a in says(r)] == [("design.probe1", "follow_up")]


def test_a_timer_gives_a_question_just_asked_a_minute_for_its_answer(sc: Scenario) -> None:
    r = start(sc, seed=1)
    r = answer(sc, r.state, 290, "A load balancer and some servers.")  # probe1 at 290 s
    assert step(sc, r.state, Tick(at=300)).actions == ()
    assert r.state.deadline == 290 + 60
    # answered within the minute: the constraint goes first, the answer is kept
    r = answer(sc, r.state, 320, "About 500 requests per second.")
    assert [a.line_id for a in says(r)] == ["timer.outage", "outage"]
    r = answer(sc, r.state, 380, "Fail over.")
    assert [a.line_id for a in says(r)] == ["design.probe2"]


def test_the_closing_fits_how_the_round_went(sc: Scenario) -> None:
    r = step(sc, start(sc, seed=1).state, Tick(at=30 * 60))
    assert [a.line_id for a in says(r)][-1] == "closing.quiet"


def test_a_time_check_before_the_last_stretch_is_refused(tmp_path: Path) -> None:
    text = ROUND.replace("  - id: wrap\n    at: 26m", "  - id: wrap\n    at: 20m")
    with pytest.raises(ScenarioError, match="before the last 15%"):
        load_scenario(write(tmp_path, text))


def test_a_request_does_not_close_the_question_a_detour_comes_back_to(sc: Scenario) -> None:
    r = start(sc, seed=1)
    r = answer(sc, r.state, 100, "A load balancer and some servers.")  # probe1 pending
    r = answer(sc, r.state, 299, "Give me a second to think.")
    assert [a.kind for a in says(r)] == ["ack"]
    r = step(sc, r.state, Tick(at=300))
    assert [a.line_id for a in says(r)] == ["timer.outage", "outage"]
    r = answer(sc, r.state, 400, "Fail over to the other region.")
    assert [a.line_id for a in says(r)] == ["design.probe1"]


def test_a_named_condition_reads_as_its_name(sc: Scenario) -> None:
    r = start(sc, seed=1)
    r = answer(sc, r.state, 100, "500 requests per second, and the cache falls over first.")
    r = step(sc, r.state, Tick(at=30 * 60))
    assert [a.line_id for a in says(r)][-1] == "closing.thorough"


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ("  said: heard('numbers')\n", "built-in name"),
        ("  later: sooner\n  sooner: turns > 1\n", "unknown name 'sooner'"),
    ],
)
def test_named_conditions_are_checked_at_load(
    tmp_path: Path, conditions: str, message: str
) -> None:
    text = ROUND.replace("conditions:\n", "conditions:\n" + conditions, 1)
    with pytest.raises(ScenarioError, match=message):
        load_scenario(write(tmp_path, text))


def test_a_box_whose_way_out_is_here_stays_quiet(tmp_path: Path) -> None:
    text = ROUND.replace("goto: ops}", "goto: design}").replace("    at: 5m\n", "    at: 20m\n")
    sc = load_scenario(write(tmp_path, text))
    r = step(sc, start(sc, seed=1).state, Tick(at=16 * 60 + 1))
    assert says(r) == []  # not "let's move on" to the question still waiting for its answer


def test_the_nodes_hint_is_not_for_its_deeper_questions(tmp_path: Path) -> None:
    text = ROUND.replace(
        '    say: "Design it."\n', '    say: "Design it."\n    hint: "Start with the users."\n'
    )
    sc = load_scenario(write(tmp_path, text))
    r = answer(sc, start(sc, seed=1).state, 100, "A load balancer.")  # probe1 is open
    r = answer(sc, r.state, 200, "I don't know.")
    assert [a.line_id for a in says(r)] == ["design.hint"]
    r = answer(sc, start(sc, seed=1).state, 100, "500 requests per second; a hot key falls over.")
    assert [a.line_id for a in says(r)] == ["design.tenx"]
    r = answer(sc, r.state, 200, "I don't know.")
    assert [a.line_id for a in says(r)] == ["meta.dont_know"]


def test_a_deeper_question_cut_by_a_detour_is_dropped_when_its_box_is_nearly_out(
    tmp_path: Path,
) -> None:
    sc = load_scenario(write(tmp_path, ROUND.replace("    at: 5m\n", "    at: 14m\n")))
    r = answer(sc, start(sc, seed=1).state, 600, "500 requests per second; the cache falls over.")
    assert [a.line_id for a in says(r)] == ["design.tenx"]
    r = step(sc, r.state, Tick(at=14 * 60))
    assert [a.line_id for a in says(r)] == ["timer.outage", "outage"]
    r = answer(sc, r.state, 900, "Fail over.")  # a minute left in the box: no room for it
    assert [a.line_id for a in says(r)] == ["steelman"]


def test_a_silence_nudge_counts_from_the_candidates_last_turn(tmp_path: Path) -> None:
    text = ROUND.replace(
        '    say: "Design it."\n',
        '    say: "Design it."\n    timers:\n      - after: 2m\n        say: "Take your time."\n',
    )
    sc = load_scenario(write(tmp_path, text))
    r = answer(sc, start(sc, seed=1).state, 100, "What traffic should I plan for?")
    assert r.state.deadline == 100 + 120  # not two minutes after the question, at 120 s
    r = step(sc, r.state, Tick(at=220))
    assert [a.line_id for a in says(r)] == ["design.timer1"]


def test_saying_you_have_to_go_ends_the_round_and_keeps_what_came_before(sc: Scenario) -> None:
    r = answer(
        sc,
        start(sc, seed=1).state,
        100,
        "About 500 requests per second. Sorry, I have to stop here, something came up.",
    )
    assert [a.line_id for a in says(r)] == ["farewell"]
    assert r.state.ended and r.state.end_reason == "left"
    turn = r.state.turns[-1]
    assert "numbers" in turn.labels and turn.meta is None


def test_having_to_go_as_part_of_an_answer_is_not_leaving(sc: Scenario) -> None:
    for text in (
        "If the queue passes 500 requests per second I have to stop new work.",
        "I'd have to go through the runbook first.",
        "We have to stop the rollout.",
    ):
        r = answer(sc, start(sc, seed=1).state, 100, text)
        assert not r.state.ended, text


def test_a_probe_set_that_is_not_a_list_is_named(tmp_path: Path) -> None:
    text = ROUND.replace("probe_sets:\n  basics:\n", "probe_sets:\n  basics: oops\n  unused:\n", 1)
    with pytest.raises(ScenarioError, match="basics"):
        load_scenario(write(tmp_path, text))
