from __future__ import annotations

from pathlib import Path

import pytest

from interviewer import (
    CandidateLeft,
    CandidateQuiet,
    CandidateSaid,
    CandidateSpeaking,
    End,
    IllegalEvent,
    PhaseChanged,
    Say,
    Scenario,
    ScenarioError,
    Score,
    State,
    Tick,
    load_scenario,
    next_deadline,
    start,
    step,
)
from interviewer.engine import Step
from interviewer.facts import StateFacts

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def says(result: Step) -> list[Say]:
    return [a for a in result.actions if isinstance(a, Say)]


def answer(sc: Scenario, state: State, at: float, text: str) -> Step:
    return step(sc, state, CandidateSaid(at=at, text=text))


def to_architecture(mini: Scenario) -> State:
    """Ask a question (answered, the interviewer stays), then move on to the design."""
    s = start(mini, seed=1).state
    s = answer(mini, s, 8, "What is the latency target?").state
    return answer(mini, s, 10, "Good, that is what I needed to know.").state


def test_start_enters_the_first_phase_and_asks(mini: Scenario) -> None:
    r = start(mini, seed=1)
    assert isinstance(r.actions[0], PhaseChanged) and r.actions[0].until == 240
    assert [a.line_id for a in says(r)] == ["opening"]
    assert next_deadline(r.state) == 240  # the clarify phase's time box


def test_skipping_the_clarifying_questions_gets_a_nudge(mini: Scenario) -> None:
    s = start(mini, seed=1).state
    r = answer(mini, s, 5, "I would put a load balancer in front of GPUs.")
    assert [(a.line_id, a.kind) for a in says(r)] == [("nudge", "nudge")]


def test_probes_ask_only_for_what_is_missing_in_order(mini: Scenario) -> None:
    s = to_architecture(mini)
    r = answer(mini, s, 30, "A router and some GPUs.")
    assert [a.line_id for a in says(r)] == ["architecture.probe1"]
    r = answer(mini, r.state, 60, "Continuous batching.")
    assert [a.line_id for a in says(r)] == ["architecture.probe2"]
    r = answer(mini, r.state, 90, "A KV cache per conversation.")
    assert [a.line_id for a in says(r)] == ["decide"]


def test_an_answer_covering_everything_skips_the_probes(mini: Scenario) -> None:
    s = to_architecture(mini)
    r = answer(mini, s, 30, "Continuous batching and a KV cache.")
    assert [a.line_id for a in says(r)] == ["decide"]


def test_stance_picks_the_pushback_that_argues_the_other_side(mini: Scenario) -> None:
    s = to_architecture(mini)
    s = answer(mini, s, 30, "Continuous batching and a KV cache.").state
    pro = says(answer(mini, s, 60, "Yes, I would ship it."))
    con = says(answer(mini, s, 60, "No. I would not release it yet."))
    assert pro[0].line_id == "push_for" and "risk" in pro[0].text
    assert con[0].line_id == "push_against" and "cost of waiting" in con[0].text


def test_constraint_fires_at_its_exact_minute_then_resumes(mini: Scenario) -> None:
    s = to_architecture(mini)
    s = answer(mini, s, 30, "A router.").state  # probe1 is now waiting for an answer
    # the nudge, five minutes after the candidate's last turn at the node (at 30 s)
    assert next_deadline(s) == 30 + 300
    r = step(mini, s, Tick(at=330))
    assert [a.line_id for a in says(r)] == ["architecture.timer1"]
    r = step(mini, r.state, Tick(at=599.9))
    assert says(r) == []
    assert next_deadline(r.state) == 600
    r = step(mini, r.state, Tick(at=600))
    assert [(a.line_id, a.kind) for a in says(r)] == [
        ("timer.jailbreak", "constraint"),
        ("hostile", "follow_up"),
    ]
    # the detour's answer returns to the interrupted node, which asks again the probe that
    # was pending (not the node's opening question)
    r = answer(mini, r.state, 640, "Rate limits and a jailbreak classifier.")
    assert [a.line_id for a in says(r)] == ["architecture.probe1"]
    assert r.state.node == "architecture"
    r = answer(mini, r.state, 660, "Continuous batching.")
    assert [a.line_id for a in says(r)] == ["architecture.probe2"]


def test_a_polite_timer_waits_for_the_end_of_a_spoken_turn(mini: Scenario) -> None:
    s = to_architecture(mini)
    s = answer(mini, s, 30, "A router.").state
    s = step(mini, s, Tick(at=330)).state  # node nudge
    s = step(mini, s, CandidateSpeaking(at=590)).state
    r = step(mini, s, Tick(at=600))
    assert says(r) == []  # never talk over the candidate
    r = answer(mini, r.state, 615, "Continuous batching with a KV cache.")
    lines = [a.line_id for a in says(r)]
    assert lines == ["timer.jailbreak", "hostile"]
    # the held-back answer moves the node on once the detour resumes
    r = answer(mini, r.state, 640, "Rate limits per account.")
    assert [a.line_id for a in says(r)] == ["decide"]


def test_a_false_start_releases_the_held_back_timer(mini: Scenario) -> None:
    s = to_architecture(mini)
    s = answer(mini, s, 30, "A router.").state
    s = step(mini, s, Tick(at=330)).state  # node nudge
    s = step(mini, s, CandidateSpeaking(at=595)).state
    held = step(mini, s, Tick(at=600))
    assert says(held) == [] and held.state.deferred
    r = step(mini, held.state, CandidateQuiet(at=602))  # a cough, no words
    assert [a.line_id for a in says(r)] == ["timer.jailbreak", "hostile"]
    assert not r.state.speaking and r.state.deferred == ()


def test_phase_overtime_moves_on_with_a_time_check(mini: Scenario) -> None:
    s = start(mini, seed=1).state
    r = step(mini, s, Tick(at=240))
    assert [(a.line_id, a.kind) for a in says(r)] == [
        ("overtime.clarify", "time_check"),
        ("architecture.v2", "question"),
    ]
    assert r.state.phase == "architecture"


def test_the_interview_ends_at_its_duration_whatever_happens(mini: Scenario) -> None:
    s = to_architecture(mini)
    s = step(mini, s, CandidateSpeaking(at=100)).state
    r = step(mini, s, Tick(at=mini.duration))
    assert r.state.ended and r.state.end_reason == "time"
    assert isinstance(r.actions[-1], End) and r.actions[-1].reason == "time"
    assert says(r)[-1].kind == "closing"
    assert any(isinstance(a, Score) for a in r.actions)
    assert next_deadline(r.state) is None


def test_an_answer_after_the_end_time_closes_instead(mini: Scenario) -> None:
    s = to_architecture(mini)
    r = answer(mini, s, mini.duration + 5, "Late answer.")
    assert r.state.end_reason == "time"
    assert all(t.text != "Late answer." for t in r.state.turns)


def test_leaving_early_still_closes_politely_and_scores(mini: Scenario) -> None:
    s = to_architecture(mini)
    r = step(mini, s, CandidateLeft(at=50))
    assert r.state.end_reason == "left"
    assert [(a.line_id, a.kind) for a in says(r)] == [("farewell", "closing")]
    assert [type(a) for a in r.actions] == [Say, Score, End]


def test_illegal_events_raise_and_change_nothing(mini: Scenario) -> None:
    s = to_architecture(mini)
    before = s.to_json()
    with pytest.raises(IllegalEvent, match="backwards"):
        step(mini, s, CandidateSaid(at=1, text="too early"))
    with pytest.raises(IllegalEvent, match="finite"):
        step(mini, s, Tick(at=float("nan")))
    assert s.to_json() == before
    ended = step(mini, s, CandidateLeft(at=20)).state
    with pytest.raises(IllegalEvent, match="ended"):
        step(mini, ended, Tick(at=30))


def test_scores_carry_the_words_and_turn_they_came_from(mini: Scenario) -> None:
    s = to_architecture(mini)
    r = answer(
        mini, s, 30, "First a router. Then continuous batching, because GPUs idle otherwise."
    )
    r = answer(mini, r.state, 60, "And a KV cache.")
    r = step(mini, r.state, CandidateLeft(at=70))
    (score,) = [a for a in r.actions if isinstance(a, Score)]
    assert score.level == 5
    ev = {e.label: e for e in score.evidence}
    assert ev["batching"].turn == 2
    assert ev["batching"].quote == "Then continuous batching, because GPUs idle otherwise."
    text = r.state.turns[2].text
    assert text[ev["batching"].start : ev["batching"].end].lower() == "continuous batching"
    assert ev["cache"].turn == 3


def to_nudge(mini: Scenario, seed: int) -> State:
    return answer(mini, start(mini, seed=seed).state, 10, "I would add a load balancer.").state


def test_the_seed_picks_variants_reproducibly(mini: Scenario) -> None:
    picked = set()
    for seed in range(20):
        first = says(answer(mini, to_nudge(mini, seed), 20, "Latency, then traffic."))
        again = says(answer(mini, to_nudge(mini, seed), 20, "The traffic."))
        assert first[0].line_id == again[0].line_id
        first = first[0].line_id
        picked.add(first)
    assert picked == {"architecture.v1", "architecture.v2"}


def test_state_round_trips_through_json(mini: Scenario) -> None:
    s = to_architecture(mini)
    s = step(mini, s, CandidateSpeaking(at=40)).state
    assert State.from_json(s.to_json()) == s


@pytest.fixture(scope="module")
def with_held_view(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """mini with a criterion that only means something once a pushback was answered."""
    text = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    text += """
  - id: held_view
    title: Holds a view under pushback
    scored_if: answered('pushback')
    anchors: {1: Caves., 3: Holds.}
    levels:
      - level: 1
        if: heard_after('pushback', 'hold')
      - level: 3
"""
    path = tmp_path_factory.mktemp("scenario") / "mini.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


def _held_view(r: Step) -> int | None:
    (score,) = [a for a in r.actions if isinstance(a, Score) and a.criterion == "held_view"]
    return score.level


def test_a_criterion_is_not_shown_until_its_scored_if_holds(with_held_view: Scenario) -> None:
    sc = with_held_view
    s = answer(sc, to_architecture(sc), 30, "Continuous batching and a KV cache.").state
    pushed = answer(sc, s, 60, "I would ship it.")
    assert says(pushed)[0].kind == "pushback"
    # left at the pushback without answering it: nothing to score
    assert _held_view(step(sc, pushed.state, CandidateLeft(at=70))) is None
    # answered it: a level, whichever one the answer earns
    held = answer(sc, pushed.state, 80, "I'd still ship it, the risk is small.")
    assert _held_view(held) == 3


@pytest.mark.parametrize(
    ("condition", "unknown"),
    [
        ("answered('pushbak')", "node or kind 'pushbak'"),
        ("covered_in('depth', 'clarfy')", "phase 'clarfy'"),
    ],
)
def test_kinds_and_phases_in_conditions_are_checked_at_load(
    tmp_path: Path, condition: str, unknown: str
) -> None:
    text = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    text = text.replace("if: covered('depth') >= 2", f"if: {condition}")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=f"unknown {unknown}"):
        load_scenario(path)


def test_covered_in_counts_only_what_was_said_in_that_phase(mini: Scenario) -> None:
    s = start(mini, seed=1).state
    # In the clarify phase (no question: the nudge follows, still in that phase).
    s = answer(mini, s, 10, "I would use continuous batching.").state
    assert s.turns[-1].phase == "clarify"
    s = answer(mini, s, 20, "Latency matters most to me here.").state
    s = answer(mini, s, 30, "And a KV cache.").state
    assert s.turns[-1].phase == "architecture"
    facts = StateFacts(mini, s)
    assert facts.covered("depth") == 2
    assert facts.covered_in("depth", "clarify") == 1
    assert facts.covered_in("depth", "architecture") == 1


def test_answered_takes_a_node_or_a_kind(mini: Scenario) -> None:
    s = to_architecture(mini)  # the opening (a question) answered; now at architecture
    facts = StateFacts(mini, s)
    assert facts.answered("opening") and facts.answered("question")
    assert not facts.answered("architecture") and not facts.answered("pushback")
    s = answer(mini, s, 30, "Continuous batching and a KV cache.").state
    assert StateFacts(mini, s).answered("architecture")
