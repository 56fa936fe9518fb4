"""Properties of the engine over arbitrary event sequences, for every scenario."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interviewer import (
    CandidateLeft,
    CandidateQuiet,
    CandidateSaid,
    CandidateSpeaking,
    Event,
    IllegalEvent,
    Scenario,
    State,
    Tick,
    action_to_json,
    load_catalog,
    load_scenario,
    next_deadline,
    start,
    step,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SCENARIOS: list[Scenario] = [*load_catalog().values(), load_scenario(FIXTURES / "mini.yaml")]


def answers(sc: Scenario) -> st.SearchStrategy[str]:
    # Phrases the scenario listens for, so that branches, probes and stances are exercised.
    words = [p for sig in sc.signals.values() for p in sig.phrases][:200]
    words += ["because", "you're right", "I would not", "what is the latency?", "", "maybe"]
    phrase = st.lists(st.sampled_from(words), max_size=6).map(" ".join)
    return st.one_of(phrase, st.text(max_size=80))


@st.composite
def runs(draw: st.DrawFn) -> tuple[Scenario, int, list[tuple[str, float, str]]]:
    sc = draw(st.sampled_from(SCENARIOS))
    seed = draw(st.integers(0, 2**31))
    # gaps up to a fifth of the interview, so that some runs pass the end and some do not
    gap = st.floats(0, sc.duration / 5, allow_nan=False)
    kinds = st.sampled_from(["said", "said", "said", "speaking", "quiet", "tick", "left"])
    raw = draw(st.lists(st.tuples(kinds, gap, answers(sc)), max_size=25))
    return sc, seed, raw


def events_of(raw: list[tuple[str, float, str]]) -> list[Event]:
    at, out = 0.0, []
    for kind, gap, text in raw:
        at += gap
        ev: Event = {
            "said": CandidateSaid(at=at, text=text),
            "speaking": CandidateSpeaking(at=at),
            "quiet": CandidateQuiet(at=at),
            "tick": Tick(at=at),
            "left": CandidateLeft(at=at),
        }[kind]
        out.append(ev)
    return out


def play(sc: Scenario, seed: int, events: list[Event]) -> tuple[State, list[object]]:
    r = start(sc, seed)
    state, log = r.state, [action_to_json(a) for a in r.actions]
    for ev in events:
        if state.ended:
            before = state.to_json()
            with pytest.raises(IllegalEvent):
                step(sc, state, ev)
            assert state.to_json() == before
            continue
        r = step(sc, state, ev)
        state = r.state
        log += [action_to_json(a) for a in r.actions]
        if ev.at >= sc.duration:
            assert state.ended, "the interview outlived its duration"
        deadline = next_deadline(state)
        assert state.ended or (deadline is not None and state.now <= deadline <= sc.duration)
        assert State.from_json(state.to_json()) == state
    return state, log


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(runs())
def test_any_sequence_ends_by_the_duration_and_replays_identically(
    run: tuple[Scenario, int, list[tuple[str, float, str]]],
) -> None:
    sc, seed, raw = run
    events = events_of(raw)
    state, log = play(sc, seed, events)
    # following the deadlines always reaches the end, by the duration at the latest
    if not state.ended:
        while not state.ended:
            deadline = next_deadline(state)
            assert deadline is not None and deadline <= sc.duration
            state = step(sc, state, Tick(at=deadline)).state
        assert state.now <= sc.duration
    # same scenario, seed and events: the same actions
    assert play(sc, seed, events)[1] == log


@SETTINGS
@given(runs(), st.floats(0.001, 1000, allow_nan=False))
def test_time_going_backwards_raises_and_changes_nothing(
    run: tuple[Scenario, int, list[tuple[str, float, str]]], back: float
) -> None:
    sc, seed, raw = run
    state, _ = play(sc, seed, events_of(raw))
    before = state.to_json()
    for ev in (Tick(at=state.now - back), CandidateSaid(at=state.now - back, text="x")):
        with pytest.raises(IllegalEvent):
            step(sc, state, ev)
    assert state.to_json() == before
