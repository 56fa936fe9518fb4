"""The parts of a scenario file: pydantic models of its nodes, probes, timers, phases,
signals, facts, definitions and rubric.

Each part checks what it can on its own: unknown keys, bad durations, patterns that do not
compile or could backtrack for minutes. What needs the whole file (targets, labels,
reachability) is checked in `checks.py`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from .actions import LineKind

_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*m)?\s*(?:(\d+(?:\.\d+)?)\s*s)?\s*$"
)
ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"


def parse_duration(value: Any) -> Any:
    """`90s`, `5m`, `1m30s`, `1h` or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration must be a number of seconds or like 90s, 5m, 1m30s")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m and any(m.groups()):
            h, mi, s = (float(g) if g else 0.0 for g in m.groups())
            return h * 3600 + mi * 60 + s
    raise ValueError(f"not a duration: {value!r} (write 90s, 5m, 1m30s or seconds)")


# The schema says what a file may hold: "90s" as well as 90.
Duration = Annotated[
    float, BeforeValidator(parse_duration, json_schema_input_type=float | str), Field(ge=0)
]


def _variants(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Lines = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=2000)]],
    # One line, or a list of variants the seed picks from.
    BeforeValidator(_variants, json_schema_input_type=str | list[str]),
    Field(min_length=1, max_length=10),
]


MAX_PATTERN = 300
# A group with a quantifier inside that is itself quantified: (a+)+, (\w*\s?)*, (?:x{2,})+
_QUANTIFIER = r"(?:[+*]|\{\d*,\d*\})"
_NESTED_QUANTIFIER = re.compile(
    r"\((?:[^()\\]|\\.)*" + _QUANTIFIER + r"(?:[^()\\]|\\.)*\)" + _QUANTIFIER
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Signal(Strict):
    phrases: list[Annotated[str, Field(min_length=1)]] = []
    patterns: list[Annotated[str, Field(min_length=1, max_length=MAX_PATTERN)]] = []
    # Words inside the candidate's own question earn nothing, except for signals that are
    # about asking (the constraints a design round wants pinned down).
    in_questions: bool = False

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for p in patterns:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(
                    f"pattern {p!r} is not a valid regular expression: {exc}"
                ) from None
            if _NESTED_QUANTIFIER.search(p):
                # (a+)+ and its kin backtrack exponentially on a near miss: one answer
                # could hold the server for minutes.
                raise ValueError(
                    f"pattern {p!r} repeats a group that itself repeats; "
                    "write it without the nested quantifier"
                )
        return patterns


class Stance(Strict):
    for_: list[str] = Field(alias="for", min_length=1)
    against: list[str] = Field(min_length=1)
    mixed: list[str] = []


class Overtime(Strict):
    say: Lines
    goto: str


class Phase(Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    title: str
    minutes: Annotated[float, Field(gt=0)]
    overtime: Overtime | None = None


class Branch(Strict):
    if_: str | None = Field(default=None, alias="if")
    goto: str


class Probe(Strict):
    # The line's id (`<node>.<id>`): stored sessions name it, so it stays put when a
    # probe is added before it.
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    unless: str
    say: Lines


class UseProbes(Strict):
    """`- use: star` in a node's probes: the probes of `probe_sets.star`, in place."""

    use: str


class Deeper(Strict):
    """A deeper question, asked once the node's probes are done while its phase still has
    time: what keeps a strong candidate busy for the whole slot."""

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    say: Lines
    unless: str | None = None


class NodeTimer(Strict):
    after: Duration
    say: Lines
    kind: LineKind = "nudge"
    polite: bool = True
    goto: str | None = None


class Node(Strict):
    say: Lines
    # Said when the candidate asks to hear the question again (else `say` is repeated).
    short: Lines | None = None
    # Offered once when the candidate does not know or has no example: a narrower
    # question or a pointer, never a probe that presumes the missing answer.
    hint: Lines | None = None
    kind: LineKind = "question"
    phase: str | None = None
    listen: bool = True
    # Passed over, its `next` taken, when this holds: the candidate already said what the
    # node asks for ("the strongest argument on the other side", given in the story).
    unless: str | None = None
    # Coding rounds: the node stays open while this fails. The candidate's words are
    # narration (no probe, no move, no reply unless they ask something) until it holds,
    # checked after each turn and each run of their code.
    until: str | None = None
    probes: list[Probe] = Field(default=[], max_length=3)
    deeper: list[Deeper] = Field(default=[], max_length=6)
    next: list[Branch] = []
    timers: list[NodeTimer] = []


class Timer(Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    at: Duration
    say: Lines
    kind: LineKind = "constraint"
    polite: bool = True
    goto: str | None = None


class Level(Strict):
    level: int
    if_: str | None = Field(default=None, alias="if")


class Criterion(Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    title: str
    anchors: dict[int, str] = Field(min_length=2)
    levels: list[Level] = Field(min_length=1)
    # Without this condition holding, the criterion is "not shown" rather than given a
    # level: a candidate who never met a pushback did not hold a view under one.
    scored_if: str | None = None
    evidence: list[str] = []
    points: list[str] = []

    @property
    def scale(self) -> tuple[int, int]:
        return min(self.anchors), max(self.anchors)


class Fact(Strict):
    """Something a real interviewer would tell a candidate who asks (scale, SLOs, process)."""

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    about: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    say: Lines
    # Signals credited to a candidate who asks for this fact (a design round's
    # "clarifies constraints" criterion counts what was asked for).
    labels: list[str] = []


class Definition(Strict):
    """What the interviewer means by a term, for "what do you mean by ...?"."""

    term: Annotated[str, Field(min_length=1)]
    also: list[Annotated[str, Field(min_length=1)]] = []
    say: Lines


class Challenge(Strict):
    """Said once when the candidate rejects a mechanism ("no need for a KL term")."""

    rejected: str
    say: Lines


class Correction(Strict):
    """Said once when the candidate states a wrong claim, caught by a signal of its own."""

    signal: str
    say: Lines


class Closing(Strict):
    """A last line for a round that went a certain way (held, updated, caved); the first
    whose `if` holds is said, else the scenario's `closing`. It must not give the score
    away: the candidate assesses themselves first."""

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    if_: str = Field(alias="if")
    say: Lines


class Voice(Strict):
    end_silence: Duration = 2.5


class NoRunCue(Strict):
    """Said when the candidate has not run their code for a while in the coding phase."""

    after: Duration
    say: Lines


class CodeCue(Strict):
    say: Lines


class SolvedCue(Strict):
    """Said the first time every hidden test passes; `goto` takes the round on (the
    discussion of the solution) without waiting for the candidate to say they are done."""

    say: Lines
    goto: str | None = None


class CodeCues(Strict):
    no_run: NoRunCue | None = None
    failing: CodeCue | None = None  # after a run whose hidden tests fail (once a round)
    crashed: CodeCue | None = None  # after a run that raised or timed out (once a round)
    solved: SolvedCue | None = None


Code = Annotated[str, Field(max_length=20_000)]


class CodeTask(Strict):
    """A coding or ML operations round's task: what the editor opens with and how a run
    of the candidate's code is checked. The code is Python; the candidate's file is the
    module `solution`, which the hidden tests import (`from solution import attention`)."""

    # The phase in which the editor is the work: the no-run cue and narration count in it.
    phase: str
    task: Annotated[str, Field(min_length=1, max_length=6000)]  # shown above the editor
    starter: Code  # the editor's first contents
    # Hidden tests: `test_*` functions that import from `solution` and assert.
    tests: Annotated[str, Field(min_length=1, max_length=20_000)]
    # A correct solution: the task's own check runs the hidden tests on it (all pass)
    # and on the starter (some fail). Never shown to the candidate.
    reference: Annotated[str, Field(min_length=1, max_length=20_000)]
    # A plausible wrong solution: the candidate's own tests should fail on it.
    planted: Code | None = None
    # ML operations: a script defining `workload(solution, seed)`, timed and measured on
    # the starter and on the candidate's code (speed-up, peak memory, same output).
    bench: Code | None = None
    cues: CodeCues = CodeCues()
