"""The engine's state: one frozen value, rebuilt only by `start` and `step`.

Everything the interview has been through lives here and nowhere else, so the state can be
stored as JSON, compared, and rebuilt by replaying events. Fields are plain data (tuples,
dicts of str to int) so that `State.from_json(state.to_json()) == state`.
"""

from __future__ import annotations

from typing import TypedDict, get_type_hints

from pydantic import BaseModel, ConfigDict

from .actions import LineKind
from .spans import Match


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TurnMatch(Frozen):
    label: str
    start: int
    end: int

    @classmethod
    def of(cls, m: Match) -> TurnMatch:
        return cls(label=m.label, start=m.start, end=m.end)


class Turn(Frozen):
    """One candidate answer, with what was understood from it."""

    index: int
    at: float
    node: str | None
    phase: str | None = None  # the phase the interview was in when it was said
    text: str
    labels: tuple[str, ...]
    matches: tuple[TurnMatch, ...]
    # Not an answer: a request about the conversation (`meta_phrases.Intent`), "question" for a
    # turn that only asked the interviewer something, or "unsure_side" for a side heard too
    # unclearly to count (voice mode; the candidate is asked which way they go).
    meta: str | None = None
    rejected: tuple[TurnMatch, ...] = ()  # signals named only to be turned down
    asked: tuple[str, ...] = ()  # facts asked for ("" for a question with no fact)
    # A run of the candidate's code (`meta` "code"): its measures, by name (`code.FIGURES`).
    figures: dict[str, float] = {}


class Asked(Frozen):
    """The last line that asked the candidate something: what "say that again" repeats."""

    line_id: str
    text: str
    kind: LineKind = "question"
    short_id: str | None = None
    short_text: str | None = None


class Resume(Frozen):
    """Where to return after a timer's detour (a constraint and its discussion)."""

    node: str
    answers: tuple[int, ...]  # answers already given to that node
    probes_used: int
    pending: bool  # the node was answered but had not yet moved on
    deeper_used: int = 0
    asked: Asked | None = None  # the question the detour interrupted: asked again on return


class State(Frozen):
    scenario: str
    seed: int
    started_at: float
    now: float
    voice: bool = False  # the candidate speaks (else types): narration is graded by mode
    node: str | None = None
    entered_at: float = 0.0
    entries: int = 0  # how many times any node was entered: makes timer keys unique
    visits: dict[str, int] = {}  # times each node was reached, asked or passed over
    passed: tuple[str, ...] = ()  # nodes passed over, their question answered already
    answers: tuple[int, ...] = ()  # indices into `turns` of the answers to the current node
    probes_used: int = 0
    deeper_used: int = 0  # deeper questions asked at this node
    turns: tuple[Turn, ...] = ()
    fired: tuple[str, ...] = ()  # keys of timers that have fired (or been skipped)
    deferred: tuple[str, ...] = ()  # polite timers due while the candidate was speaking
    speaking: bool = False
    resume: Resume | None = None
    last_asked: Asked | None = None
    question: Asked | None = None  # the current node's own pending question (not a nudge)
    # The last question is still waiting for its answer (said at `asked_at`): a timer
    # that would take the floor gives the candidate a moment first.
    awaiting: bool = False
    asked_at: float = 0.0
    helped: int = 0  # help offered at this node since entering it ("I don't know")
    reacted: tuple[str, ...] = ()  # challenges and corrections said (each once a round)
    phase: str | None = None
    phase_entered_at: float = 0.0
    phase_entries: int = 0
    # Coding rounds: when the code phase began and ended, and the longest stretch the
    # candidate spent editing without a word (narration is graded).
    coding_from: float | None = None
    coding_until: float | None = None
    quiet_coding: float = 0.0
    ended: bool = False
    end_reason: str | None = None
    deadline: float | None = None

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, data: str | bytes) -> State:
        return cls.model_validate_json(data)


class StateChanges(TypedDict, total=False):
    """Fields of `State` to replace, by name and type: what the engine's `update` takes, so
    that a misspelt field or a value of the wrong type is a type error, not a silent extra."""

    scenario: str
    seed: int
    started_at: float
    now: float
    voice: bool
    node: str | None
    entered_at: float
    entries: int
    visits: dict[str, int]
    passed: tuple[str, ...]
    answers: tuple[int, ...]
    probes_used: int
    deeper_used: int
    turns: tuple[Turn, ...]
    fired: tuple[str, ...]
    deferred: tuple[str, ...]
    speaking: bool
    resume: Resume | None
    last_asked: Asked | None
    question: Asked | None
    awaiting: bool
    asked_at: float
    helped: int
    reacted: tuple[str, ...]
    phase: str | None
    phase_entered_at: float
    phase_entries: int
    coding_from: float | None
    coding_until: float | None
    quiet_coding: float
    ended: bool
    end_reason: str | None
    deadline: float | None


# A field added to `State` must be added to `StateChanges` with the same type: checked once,
# at import, since nothing else would notice.
if get_type_hints(StateChanges) != {k: f.annotation for k, f in State.model_fields.items()}:
    raise TypeError("StateChanges must name every field of State, with its type")
