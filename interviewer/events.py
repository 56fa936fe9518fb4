"""Events: past-tense facts the shell feeds to the engine.

Every event carries `at`, seconds of interview time since the round began. The shell
multiplies wall time by the session's time scale; the engine never reads a clock.
Events are plain frozen values so that the session's event log (the truth from which a
session is rebuilt) is just a list of them, stored as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class CandidateSaid:
    """The candidate finished a turn: typed text, or the final transcript of speech.

    `unsure`: voice mode, the words the speech model heard with low confidence (lower
    case, as heard). A stance that rests on one of them is said back as a question
    before it counts, since a misheard "hold" and "fold" argue opposite sides."""

    at: float
    text: str
    unsure: tuple[str, ...] = ()
    type: Literal["said"] = "said"


@dataclass(frozen=True, slots=True)
class CandidateSpeaking:
    """Voice mode: the candidate started talking (polite timers wait for the turn's end)."""

    at: float
    type: Literal["speaking"] = "speaking"


@dataclass(frozen=True, slots=True)
class CandidateQuiet:
    """Voice mode: what sounded like the start of an answer had no words (a cough, a
    false start); the candidate is no longer speaking, so held-back timers may go."""

    at: float
    type: Literal["quiet"] = "quiet"


@dataclass(frozen=True, slots=True)
class Tick:
    """Time has passed; the shell sends one at `next_deadline(state)`."""

    at: float
    type: Literal["tick"] = "tick"


@dataclass(frozen=True, slots=True)
class CandidateLeft:
    """The candidate ended the round early."""

    at: float
    type: Literal["left"] = "left"


@dataclass(frozen=True, slots=True)
class CodeEdited:
    """Coding rounds: a snapshot of the candidate's editor. The engine only needs to know
    that the candidate was coding then; the text rides along so that the event log keeps
    the code as it was at every moment (the replay shows it beside the transcript)."""

    at: float
    code: str = ""
    type: Literal["edited"] = "edited"


@dataclass(frozen=True, slots=True)
class CodeRan:
    """Coding rounds: the candidate ran their code (`tests`: with the hidden tests). The
    shell ran it in its sandbox and graded it; `figures` are its measures by name
    (`interviewer.code.FIGURES`), handed in as data so the engine stays pure."""

    at: float
    tests: bool
    exit_code: int
    timed_out: bool
    figures: dict[str, float]
    type: Literal["ran"] = "ran"


Event = (
    CandidateSaid | CandidateSpeaking | CandidateQuiet | Tick | CandidateLeft | CodeEdited | CodeRan
)

_BY_TYPE: dict[str, type[Event]] = {
    "said": CandidateSaid,
    "speaking": CandidateSpeaking,
    "quiet": CandidateQuiet,
    "tick": Tick,
    "left": CandidateLeft,
    "edited": CodeEdited,
    "ran": CodeRan,
}


def event_to_json(event: Event) -> dict[str, Any]:
    data = asdict(event)
    if data.get("unsure") == ():  # typed turns: stored logs stay as they were
        del data["unsure"]
    return data


def event_from_json(data: dict[str, Any]) -> Event:
    kind = data.get("type")
    cls = _BY_TYPE.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown event type {kind!r}")
    fields = {k: v for k, v in data.items() if k != "type"}
    if "unsure" in fields:  # JSON has lists; the event is frozen and hashable
        fields["unsure"] = tuple(fields["unsure"])
    return cls(**fields)
