"""Rubric calibration: complete rounds written as candidates of different strength, each
criterion labelled with the level a senior interviewer would give, run through the pure
engine and compared with the rubric's own scores.

A round is a list of answers said one after another, `pace` seconds apart (the clock ticks
in between, so timers and time boxes fire as they would). When the answers run out the
round is scored as it stands, as if the candidate left there: a criterion the round never
reached is "not shown", and a label says so too. The sets live in `scenarios/eval/rubric/`
(see docs/SCENARIOS.md, "Calibrating the rubric").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from .actions import Say
from .engine import next_deadline, start, step
from .events import CandidateSaid, Tick
from .loader import parse_model
from .parts import Duration, Strict
from .rubric import score_all
from .scenario import Scenario
from .state import State

NOT_SHOWN = "not shown"
Strength = Literal["strong", "good", "middling", "weak", "uneven"]


class Label(Strict):
    level: int | Literal["not shown"]
    why: Annotated[str, Field(min_length=1)]


class Round(Strict):
    name: Annotated[str, Field(min_length=1)]
    who: Strength
    seed: int = 1
    pace: Duration = 90.0
    answers: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    levels: dict[str, Label] = Field(min_length=1)


class RubricFile(Strict):
    scenario: str
    rounds: list[Round] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Played:
    """One round run through the engine: what was said, and the levels the rubric gave."""

    scenario: str
    round_type: str
    source: str
    round: Round
    transcript: list[tuple[float, str, str]]  # (time, who, text): who is a line id or "you"
    scores: dict[str, int | None]
    answered: int  # answers the round took before it ended
    problems: tuple[str, ...]  # labels that name no criterion, a round that ended early


@dataclass(frozen=True, slots=True)
class Agreement:
    total: int
    exact: int
    within_one: int

    @property
    def exact_share(self) -> float:
        return self.exact / self.total if self.total else 0.0

    @property
    def within_share(self) -> float:
        return self.within_one / self.total if self.total else 0.0


def load_rounds(root: Path) -> list[tuple[str, RubricFile]]:
    return [
        (path.relative_to(root).as_posix(), parse_model(RubricFile, path))
        for path in sorted(root.rglob("*.yaml"))
    ]


def play(scenario: Scenario, source: str, rnd: Round) -> Played:
    result = start(scenario, rnd.seed, at=0.0)
    state = result.state
    transcript = _said(result.actions)
    clock, answered = 0.0, 0
    for text in rnd.answers:
        clock += rnd.pace
        state = _tick_until(scenario, state, clock, transcript)
        if state.ended:
            break
        transcript.append((clock, "you", text))
        res = step(scenario, state, CandidateSaid(at=clock, text=text))
        state = res.state
        transcript += _said(res.actions, clock)
        answered += 1
        if state.ended:
            break
    scores = {s.criterion: s.level for s in score_all(scenario, state)}
    problems = [f"no criterion {c!r} in {scenario.id}" for c in rnd.levels if c not in scores]
    if answered < len(rnd.answers):
        problems.append(f"the round ended after {answered} of {len(rnd.answers)} answers")
    return Played(
        scenario.id, scenario.round, source, rnd, transcript, scores, answered, tuple(problems)
    )


def _tick_until(
    scenario: Scenario, state: State, target: float, transcript: list[tuple[float, str, str]]
) -> State:
    while not state.ended:
        deadline = next_deadline(state)
        if deadline is None or deadline > target:
            break
        at = max(deadline, state.now)
        res = step(scenario, state, Tick(at=at))
        state = res.state
        transcript += _said(res.actions, at)
    return state


def _said(actions: tuple[object, ...], at: float = 0.0) -> list[tuple[float, str, str]]:
    return [(at, a.line_id, a.text) for a in actions if isinstance(a, Say)]


def play_all(
    catalog: dict[str, Scenario], files: list[tuple[str, RubricFile]]
) -> tuple[list[Played], list[str]]:
    """Every round of every file; and the files that name no known scenario."""
    played: list[Played] = []
    unknown: list[str] = []
    for source, f in files:
        sc = catalog.get(f.scenario)
        if sc is None:
            unknown.append(f"{source}: unknown scenario {f.scenario!r}")
            continue
        played += [play(sc, f"{source}#{i}", r) for i, r in enumerate(f.rounds, 1)]
    return played, unknown


def agreement(played: list[Played], key: Callable[[Played, str], str]) -> dict[str, Agreement]:
    """Exact and within-one agreement per criterion, grouped by `key`, sorted.

    "Not shown" agrees only with "not shown": a level given where a senior interviewer
    saw no evidence, or none where they did, is a miss even within one.
    """
    rows: dict[str, list[tuple[bool, bool]]] = {}
    for p in played:
        for criterion, label in p.round.levels.items():
            if criterion not in p.scores:
                continue
            want = None if isinstance(label.level, str) else label.level
            got = p.scores[criterion]
            exact = want == got
            near = exact or (want is not None and got is not None and abs(want - got) <= 1)
            rows.setdefault(key(p, criterion), []).append((exact, near))
    return {
        k: Agreement(len(v), sum(e for e, _ in v), sum(n for _, n in v))
        for k, v in sorted(rows.items())
    }


def per_scenario(p: Played, criterion: str) -> str:
    return f"{p.scenario}/{criterion}"


def per_round_type(p: Played, criterion: str) -> str:
    """A criterion as the round type knows it: `culture/independence` gathers the same
    criterion of every culture scenario, enough rounds for one figure to mean something."""
    return f"{p.round_type}/{criterion}"


def overall(rows: dict[str, Agreement]) -> Agreement:
    return Agreement(
        sum(a.total for a in rows.values()),
        sum(a.exact for a in rows.values()),
        sum(a.within_one for a in rows.values()),
    )
