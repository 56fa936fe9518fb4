"""Actions: commands the engine returns for the shell to perform, in order."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

# What an interviewer line is doing; the wire protocol's `kind` field.
LineKind = Literal[
    "question",
    "follow_up",
    "pushback",
    "constraint",
    "nudge",
    "time_check",
    "closing",
    # Replies to the candidate's own requests and claims (see `meta.py`):
    "answer",  # a fact the candidate asked for, or that there is none
    "repeat",  # the last question again
    "clarify",  # what a term means
    "hint",  # help after "I don't know" or "I have no example"
    "ack",  # "take your time"
    "challenge",  # a mechanism the candidate turned down, questioned
    "correction",  # a wrong claim, not let pass
]


@dataclass(frozen=True, slots=True)
class Say:
    """Speak (or show) one scripted line. `line_id` is stable: it keys the speech cache."""

    line_id: str
    text: str
    kind: LineKind
    node: str | None = None
    type: Literal["say"] = "say"


@dataclass(frozen=True, slots=True)
class PhaseChanged:
    """The interview entered a time-boxed phase (system design); `until` is interview time."""

    phase: str
    title: str
    until: float | None
    type: Literal["phase"] = "phase"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a criterion got its level: which answer (0-based turn index), which words."""

    turn: int
    label: str
    quote: str
    start: int  # character span of the matched words inside the turn's text
    end: int


@dataclass(frozen=True, slots=True)
class Score:
    criterion: str
    level: int | None  # None: "not shown", the criterion's `scored_if` did not hold
    evidence: tuple[Evidence, ...]
    type: Literal["score"] = "score"


@dataclass(frozen=True, slots=True)
class End:
    """The round is over. `reason`: completed (script ran out), time, or left."""

    reason: Literal["completed", "time", "left"]
    type: Literal["end"] = "end"


Action = Say | PhaseChanged | Score | End


def action_to_json(action: Action) -> dict[str, Any]:
    return asdict(action)
