"""The interviewer engine: `start`, `step`, `next_deadline`. Events in, actions out.

Theory of operation
-------------------
An interview is a walk through the scenario's nodes (`run.py`). Entering a node says its
line; a node that listens then waits for the candidate's answer. An answer is turned into
labels (`understand`) and recorded as a turn; what the interviewer does with it is in
`replies.py`: requests about the conversation and the candidate's own questions are
answered and the question stays open, a wrong claim is corrected, and only then does the
script move on through the node's probes, deeper questions and branches.

Time only moves when an event says so: every event carries `at`, and before handling it the
engine fires every timer that fell due up to `at`, in order (which timers, and when, is in
`timers.py`). At the scenario's duration the interview ends whatever is happening: nothing
the candidate does can keep it going.

Nothing here reads a clock, a file or a random source: the seed picks between a line's
variants, so the same scenario, seed and events give the same actions. An illegal event
(time going backwards, anything after the end) raises `IllegalEvent` before any change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .actions import Action
from .code_cues import edited, ran
from .errors import IllegalEvent
from .events import (
    CandidateLeft,
    CandidateQuiet,
    CandidateSaid,
    CandidateSpeaking,
    CodeEdited,
    CodeRan,
    Event,
    Tick,
)
from .replies import answer
from .run import Run
from .scenario import Scenario
from .state import State


@dataclass(frozen=True, slots=True)
class Step:
    state: State
    actions: tuple[Action, ...]


def start(
    scenario: Scenario, seed: int, at: float = 0.0, node: str | None = None, voice: bool = False
) -> Step:
    """Begin an interview at interview time `at` (usually 0), at the scenario's start or at
    `node` (a drill on one question, or an evaluation case). `voice`: the candidate speaks
    (a coding round grades narration differently when it is typed)."""
    if not math.isfinite(at):
        raise IllegalEvent("start time must be a finite number")
    if node is not None and node not in scenario.nodes:
        raise IllegalEvent(f"no node {node!r} in scenario {scenario.id!r}")
    run = Run(scenario, State(scenario=scenario.id, seed=seed, started_at=at, now=at, voice=voice))
    run.enter(node or scenario.start)
    return _result(run)


def step(scenario: Scenario, state: State, event: Event) -> Step:
    """Apply one event. Raises `IllegalEvent`, leaving `state` as it was, if it cannot happen."""
    if state.scenario != scenario.id:
        raise IllegalEvent(f"state belongs to scenario {state.scenario!r}, not {scenario.id!r}")
    if state.ended:
        raise IllegalEvent("the interview has ended")
    if not isinstance(event.at, int | float) or not math.isfinite(event.at):
        raise IllegalEvent("event time must be a finite number")
    if event.at < state.now:
        raise IllegalEvent(f"time went backwards: {event.at} is before {state.now}")
    run = Run(scenario, state)
    run.advance(event.at)
    if not run.state.ended:
        match event:
            case CandidateSaid(text=text, unsure=unsure):
                answer(run, text, unsure)
            case CandidateSpeaking():
                run.update(speaking=True)
            case CandidateQuiet():
                # Held-back timers are due again; the `advance` below fires them.
                run.update(speaking=False, deferred=())
            case CandidateLeft():
                run.finish("left")
            case CodeEdited():
                edited(run, event)
            case CodeRan():
                ran(run, event)
            case Tick():
                pass
            case _:
                raise IllegalEvent(f"unknown event {event!r}")
        # Timers held back while a detour was open may be due now that it has returned.
        run.advance(run.state.now)
    return _result(run)


def next_deadline(state: State) -> float | None:
    """Interview time at which the shell should send a `Tick`, or None once ended."""
    return state.deadline


def _result(run: Run) -> Step:
    run.close()
    return Step(run.state, tuple(run.actions))
