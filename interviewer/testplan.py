"""Test plans: scripted candidates that check a scenario does what its writer meant.

A plan is data (`<scenario>.plans.yaml`, see docs/SCENARIOS.md) run against the pure engine
with a simulated clock, the way the shell would drive it: ticks at each deadline, answers at
given times. Nothing sleeps, so an hour-long interview runs in milliseconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from .actions import Action, LineKind, Say, Score
from .code import FIGURES
from .engine import Step, next_deadline, start, step
from .events import (
    CandidateLeft,
    CandidateSaid,
    CandidateSpeaking,
    CodeEdited,
    CodeRan,
    Event,
    Tick,
)
from .loader import PLANS_SUFFIX, parse_model
from .parts import Duration, Strict
from .scenario import Scenario

DEFAULT_THINK = 20.0  # seconds between steps unless a step says when


class Expect(Strict):
    line: str | None = None
    kind: LineKind | None = None
    contains: str | list[str] | None = None


class PlanRun(Strict):
    """A run of the candidate's code as the sandbox would report it (coding rounds)."""

    tests: bool = True
    exit_code: int = 0
    timed_out: bool = False
    figures: dict[str, float] = {}

    @model_validator(mode="after")
    def _known(self) -> PlanRun:
        unknown = sorted(set(self.figures) - FIGURES)
        if unknown:
            raise ValueError(f"unknown figures {unknown} (known: {', '.join(sorted(FIGURES))})")
        return self


class PlanStep(Strict):
    say: str | None = None
    run: PlanRun | None = None  # the candidate ran their code
    edit: bool | None = None  # the candidate edited their code
    at: Duration | None = None
    expect: Expect | None = None
    no_line: bool | None = None
    labels: list[str] | None = None
    not_labels: list[str] | None = None
    advance: Duration | None = None
    clock: Duration | None = None
    speaking: bool | None = None
    end: bool | None = None

    @model_validator(mode="after")
    def _one_thing(self) -> PlanStep:
        doing = [
            k
            for k in (
                "say",
                "run",
                "edit",
                "expect",
                "no_line",
                "labels",
                "not_labels",
                "advance",
                "clock",
                "speaking",
                "end",
            )
            if getattr(self, k) is not None
        ]
        if len(doing) != 1:
            raise ValueError(f"a step does exactly one thing, this one has: {doing or 'nothing'}")
        if self.at is not None and self.say is None and self.run is None and self.edit is None:
            raise ValueError("`at` goes with `say`, `run` or `edit`")
        return self


class Plan(Strict):
    name: str
    seed: int = 1
    steps: list[PlanStep] = Field(min_length=1)
    ended: Literal["completed", "time", "left"] | None = None
    scores: dict[str, int | Literal["not shown"]] = {}


class PlanFile(Strict):
    scenario: str
    plans: Annotated[list[Plan], Field(min_length=1)]


class PlanFailure(AssertionError):
    pass


def load_plans(path: Path) -> PlanFile:
    return parse_model(PlanFile, path)


def plan_files(root: Path) -> list[Path]:
    return sorted(root.rglob(f"*{PLANS_SUFFIX}"))


class _Driver:
    """Drives the engine like the shell does, recording everything that was said."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.sc = scenario
        self.clock = 0.0
        self.unread: list[Say] = []
        self.actions: list[Action] = []
        self._take(start(scenario, seed, 0.0))

    def _take(self, result: Step) -> None:
        self.state = result.state
        self.actions += result.actions
        self.unread += [a for a in result.actions if isinstance(a, Say)]

    def feed(self, event: Event) -> None:
        self._take(step(self.sc, self.state, event))

    def run_until(self, target: float) -> None:
        while not self.state.ended:
            deadline = next_deadline(self.state)
            if deadline is None or deadline > target:
                break
            self.feed(Tick(at=max(deadline, self.clock)))
        self.clock = max(self.clock, target)
        if not self.state.ended:
            self.feed(Tick(at=self.clock))


def run_plan(scenario: Scenario, plan: Plan) -> list[Action]:
    """Run one plan; raise `PlanFailure` naming the step that did not go as written."""
    d = _Driver(scenario, plan.seed)
    for n, s in enumerate(plan.steps, 1):
        where = f"plan {plan.name!r}, step {n}"
        acts = s.say is not None or s.run is not None or s.edit or s.speaking or s.end
        if d.state.ended and acts:
            raise PlanFailure(f"{where}: the interview had already ended ({d.state.end_reason})")
        if s.say is not None:
            d.run_until(s.at if s.at is not None else d.clock + DEFAULT_THINK)
            if d.state.ended:
                raise PlanFailure(
                    f"{where}: the interview ended ({d.state.end_reason}) before this answer"
                )
            d.unread.clear()
            d.feed(CandidateSaid(at=d.clock, text=s.say))
        elif s.run is not None or s.edit:
            d.run_until(s.at if s.at is not None else d.clock + DEFAULT_THINK)
            if d.state.ended:
                raise PlanFailure(f"{where}: the interview ended ({d.state.end_reason}) first")
            d.unread.clear()
            d.feed(_code_event(d.clock, s.run))
        elif s.expect is not None:
            _expect(d, s.expect, where)
        elif s.no_line:
            if d.unread:
                first = d.unread[0]
                raise PlanFailure(
                    f"{where}: expected silence, heard {first.line_id!r}: {first.text!r}"
                )
        elif s.labels is not None or s.not_labels is not None:
            _labels(d, s, where)
        elif s.advance is not None:
            d.run_until(d.clock + s.advance)
        elif s.clock is not None:
            d.run_until(s.clock)
        elif s.speaking:
            d.run_until(d.clock)
            d.feed(CandidateSpeaking(at=d.clock))
        elif s.end:
            d.feed(CandidateLeft(at=d.clock))
    _check_outcome(d, plan)
    return d.actions


def _code_event(at: float, run: PlanRun | None) -> Event:
    if run is None:
        return CodeEdited(at=at)
    return CodeRan(
        at=at,
        tests=run.tests,
        exit_code=run.exit_code,
        timed_out=run.timed_out,
        figures=dict(run.figures),
    )


def _expect(d: _Driver, e: Expect, where: str) -> None:
    if not d.unread:
        raise PlanFailure(
            f"{where}: expected the interviewer to speak ({_describe(e)}), nothing was said"
        )
    said = d.unread.pop(0)
    problems = []
    if e.line is not None and said.line_id != e.line and not said.line_id.startswith(e.line + ".v"):
        problems.append(f"line {said.line_id!r} instead of {e.line!r}")
    if e.kind is not None and said.kind != e.kind:
        problems.append(f"kind {said.kind!r} instead of {e.kind!r}")
    words = [e.contains] if isinstance(e.contains, str) else (e.contains or [])
    for w in words:
        if w.lower() not in said.text.lower():
            problems.append(f"no {w!r} in the line")
    if problems:
        raise PlanFailure(
            f"{where}: {'; '.join(problems)} "
            f"(at {d.clock:.0f}s it said {said.line_id!r}: {said.text!r})"
        )


def _labels(d: _Driver, s: PlanStep, where: str) -> None:
    if not d.state.turns:
        raise PlanFailure(f"{where}: no answer yet to check labels on")
    got = set(d.state.turns[-1].labels)
    missing = [x for x in s.labels or [] if x not in got]
    extra = [x for x in s.not_labels or [] if x in got]
    if missing or extra:
        raise PlanFailure(
            f"{where}: labels {sorted(got)}; "
            + "; ".join(
                ([f"missing {missing}"] if missing else [])
                + ([f"unexpected {extra}"] if extra else [])
            )
        )


def _check_outcome(d: _Driver, plan: Plan) -> None:
    if plan.ended is not None and d.state.end_reason != plan.ended:
        raise PlanFailure(
            f"plan {plan.name!r}: ended {d.state.end_reason!r}, expected {plan.ended!r}"
        )
    if plan.scores:
        if not d.state.ended:
            raise PlanFailure(
                f"plan {plan.name!r}: scores are given when the interview ends; it did not"
            )
        got = {
            a.criterion: "not shown" if a.level is None else a.level
            for a in d.actions
            if isinstance(a, Score)
        }
        for criterion, level in plan.scores.items():
            if criterion not in got:
                raise PlanFailure(f"plan {plan.name!r}: no criterion {criterion!r} in the rubric")
            if got[criterion] != level:
                raise PlanFailure(
                    f"plan {plan.name!r}: {criterion} scored {got[criterion]}, expected {level}"
                )


def _describe(e: Expect) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in e.model_dump(exclude_none=True).items())
