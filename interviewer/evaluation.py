"""The listening evaluation: candidate turns written fresh, each with the reaction a senior
interviewer expects, run against the pure engine; accuracy per category.

A case starts the scenario at a node, says any `before` turns, then the turn under test,
and compares what the interviewer did next (and what it understood) with `expect`. The
set lives in `scenarios/eval/*.yaml` (see docs/SCENARIOS.md, "Evaluating listening").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from .actions import Say
from .engine import start, step
from .events import CandidateSaid
from .loader import parse_model
from .parts import Strict
from .scenario import Scenario

Reaction = Literal[
    "next",
    "fact",
    "no_fact",
    "repeat",
    "clarify",
    "hint",
    "wait",
    "challenge",
    "correction",
]
Side = Literal["for", "against", "mixed", "none"]
Who = Literal["terse", "rambling", "non_native", "typos", "stt", "plain"]
THINK = 20.0  # seconds between turns in a case
RUBRIC_DIR = "rubric"  # under the evaluation folder: see `calibration`


class Expectation(Strict):
    reaction: Reaction
    side: Side | None = None
    credit: list[str] = []
    no_credit: list[str] = []
    mentions: list[str] = []
    not_line: list[str] = []


class Case(Strict):
    scenario: str
    at: str | None = None
    before: list[str] = []
    who: Who = "plain"
    category: Annotated[str, Field(min_length=1)]
    say: str
    expect: Expectation


class EvalFile(Strict):
    cases: list[Case] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    source: str  # file:index, for the report
    ok: bool
    got: str  # what happened, in a line
    problems: tuple[str, ...]


def load_cases(root: Path) -> list[tuple[str, Case]]:
    out: list[tuple[str, Case]] = []
    for path in sorted(root.rglob("*.yaml")):
        name = path.relative_to(root).as_posix()
        if name.startswith(f"{RUBRIC_DIR}/"):
            continue  # complete rounds for the rubric's calibration, not single turns
        for i, case in enumerate(parse_model(EvalFile, path).cases, 1):
            out.append((f"{name}#{i}", case))
    return out


def reaction_of(says: list[Say]) -> Reaction:
    """What the interviewer did, read off the kinds and ids of the lines it said."""
    kinds = [s.kind for s in says]
    ids = [s.line_id for s in says]
    if "correction" in kinds:
        return "correction"
    if "challenge" in kinds:
        return "challenge"
    if "clarify" in kinds:
        return "clarify"
    if any(i == "meta.no_fact" for i in ids) and not any(i.startswith("fact.") for i in ids):
        return "no_fact" if all(k == "answer" for k in kinds) else "next"
    if any(i.startswith("fact.") for i in ids):
        # Facts given and then the script moved on is still "answered" for a question
        # that came at the end of an answer; only facts with nothing after stay put.
        return "fact" if all(k == "answer" for k in kinds) else "next"
    if kinds == ["repeat"]:
        return "repeat"
    if kinds == ["ack"]:
        return "wait"
    if "hint" in kinds and all(k == "hint" for k in kinds):
        return "hint"
    return "next"


def run_case(catalog: dict[str, Scenario], source: str, case: Case) -> Outcome:
    problems: list[str] = []
    scenario = catalog.get(case.scenario)
    if scenario is None:
        return Outcome(case, source, False, "-", (f"unknown scenario {case.scenario!r}",))
    if case.at is not None and case.at not in scenario.nodes:
        return Outcome(case, source, False, "-", (f"unknown node {case.at!r}",))
    result = start(scenario, seed=1, at=0.0, node=case.at)
    state, clock = result.state, 0.0
    for text in case.before:
        clock += THINK
        state = step(scenario, state, CandidateSaid(at=clock, text=text)).state
        if state.ended:
            return Outcome(case, source, False, "-", ("the round ended during `before`",))
    clock += THINK
    result = step(scenario, state, CandidateSaid(at=clock, text=case.say))
    says = [a for a in result.actions if isinstance(a, Say)]
    turn = result.state.turns[-1]
    got = reaction_of(says)
    e = case.expect
    if got != e.reaction:
        problems.append(f"reaction {got}, expected {e.reaction}")
    labels = set(turn.labels)
    if e.side is not None:
        side = _side(labels)
        if side != e.side:
            problems.append(f"side {side}, expected {e.side}")
    missing = [x for x in e.credit if x not in labels]
    if missing:
        problems.append(f"no credit for {missing}")
    wrongly = [x for x in e.no_credit if x in labels]
    if wrongly:
        problems.append(f"credit for {wrongly}")
    if e.mentions:
        said = " ".join(s.text for s in says).lower()
        if not any(m.lower() in said for m in e.mentions):
            problems.append(f"reply mentions none of {e.mentions}")
    for bad in e.not_line:
        if any(s.line_id == bad or s.line_id.startswith(f"{bad}.") for s in says):
            problems.append(f"said {bad}")
    line = " | ".join(f"{s.kind}:{s.line_id}" for s in says) or "(silence)"
    return Outcome(case, source, not problems, line, tuple(problems))


def _side(labels: set[str]) -> Side:
    sides: tuple[Side, ...] = ("for", "against", "mixed")
    for side in sides:
        if f"stance.{side}" in labels:
            return side
    return "none"


@dataclass(frozen=True, slots=True)
class Report:
    outcomes: list[Outcome]

    @property
    def accuracy(self) -> float:
        return _share(self.outcomes)

    def by(self, key: str) -> dict[str, tuple[int, int, float]]:
        """Figures per value of a case field (`category`, `who`)."""
        return self._grouped(lambda o: str(getattr(o.case, key)))

    def by_file(self) -> dict[str, tuple[int, int, float]]:
        return self._grouped(lambda o: o.source.split("#")[0])

    def by_round(self, catalog: dict[str, Scenario]) -> dict[str, tuple[int, int, float]]:
        def round_of(o: Outcome) -> str:
            sc = catalog.get(o.case.scenario)
            return sc.round if sc else "?"

        return self._grouped(round_of)

    def _grouped(self, key: Callable[[Outcome], str]) -> dict[str, tuple[int, int, float]]:
        """(correct, total, share) per group, groups in sorted order."""
        groups: dict[str, list[Outcome]] = {}
        for o in self.outcomes:
            groups.setdefault(key(o), []).append(o)
        return {k: (sum(o.ok for o in v), len(v), _share(v)) for k, v in sorted(groups.items())}


def _share(outcomes: list[Outcome]) -> float:
    return sum(o.ok for o in outcomes) / len(outcomes) if outcomes else 0.0


def evaluate(catalog: dict[str, Scenario], cases: list[tuple[str, Case]]) -> Report:
    return Report([run_case(catalog, source, case) for source, case in cases])
