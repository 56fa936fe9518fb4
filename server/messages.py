"""The session's messages as types: what the driver produces, the store keeps, the wire
carries and the review reads.

Theory of operation
-------------------
The engine speaks in actions (`Say`, `PhaseChanged`, `Score`, `End`); a session speaks in
messages. `encode` is the one place where the first become the second: it numbers the
step's messages (`seq`), stamps them with the session second they were produced at
(`at`), converts a phase's interview-time deadline to wall seconds, links each piece of
score evidence to the candidate message it quotes, and attaches the spoken clip of a line.
It is pure: the clips are looked up before it is called, and the wall-clock end of a
round is the caller's business.

The types meet JSON only at the edges. `to_wire()` gives the mapping the websocket sends,
the API returns and the store keeps (docs/PROTOCOL.md fixes its fields and their order);
`from_stored()` reads one back. A message read back keeps the exact mapping it was stored
as and `to_wire()` gives that mapping again: a session stored before a field existed (no
`line_id`, no `at`) is sent and exported exactly as it was kept, while its typed fields
give the missing ones as None.

Scores are not session messages (they have no seq and are not sent on the websocket) but
travel the same way: `Scored.to_wire()` is the API's and the store's shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from interviewer import End, PhaseChanged, Say, Score


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _integer(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Clip:
    """The spoken form of an interviewer line (voice mode): its URL and length."""

    url: str | None
    duration: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InterviewerLine:
    seq: int
    at: float | None
    text: str
    kind: str
    line_id: str | None
    audio: str | None
    node: str | None
    # Spoken length of the clip, when known: for the client and the metrics.
    duration: float | None = None
    stored: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    type: Literal["interviewer"] = "interviewer"

    def to_wire(self) -> dict[str, Any]:
        if self.stored is not None:
            return dict(self.stored)
        out: dict[str, Any] = {
            "type": self.type,
            "seq": self.seq,
            "text": self.text,
            "kind": self.kind,
            "line_id": self.line_id,
            "audio": self.audio,
            "node": self.node,
        }
        if self.duration is not None:
            out["duration"] = self.duration
        out["at"] = self.at
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CandidateLine:
    """A committed candidate turn; `start`/`end` are seconds since the session began."""

    seq: int
    at: float | None
    text: str
    start: float | None
    end: float | None
    stored: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    type: Literal["candidate"] = "candidate"

    def to_wire(self) -> dict[str, Any]:
        if self.stored is not None:
            return dict(self.stored)
        return {
            "type": self.type,
            "seq": self.seq,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "at": self.at,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseStarted:
    """A time-boxed phase began; `until` is in wall seconds since the session began."""

    seq: int
    at: float | None
    phase: str
    title: str
    until: float | None
    time_scale: float | None
    stored: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    type: Literal["phase"] = "phase"

    def to_wire(self) -> dict[str, Any]:
        if self.stored is not None:
            return dict(self.stored)
        return {
            "type": self.type,
            "seq": self.seq,
            "phase": self.phase,
            "title": self.title,
            "until": self.until,
            "time_scale": self.time_scale,
            "at": self.at,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Ended:
    seq: int
    at: float | None
    reason: str
    replay: str | None
    stored: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    type: Literal["ended"] = "ended"

    def to_wire(self) -> dict[str, Any]:
        if self.stored is not None:
            return dict(self.stored)
        return {
            "type": self.type,
            "seq": self.seq,
            "reason": self.reason,
            "replay": self.replay,
            "at": self.at,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeRunLine:
    """Coding rounds: the candidate ran their code. `summary` is the run in words (the
    engine's turn for it: score evidence quotes it); `tests_result` the hidden tests'
    counts, None for a plain run."""

    seq: int
    at: float | None
    tests: bool
    exit_code: int | None
    timed_out: bool
    seconds: float | None
    summary: str
    tests_result: Mapping[str, int] | None
    stored: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    type: Literal["code_run"] = "code_run"

    def to_wire(self) -> dict[str, Any]:
        if self.stored is not None:
            return dict(self.stored)
        return {
            "type": self.type,
            "seq": self.seq,
            "tests": self.tests,
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "seconds": self.seconds,
            "summary": self.summary,
            "tests_result": None if self.tests_result is None else dict(self.tests_result),
            "at": self.at,
        }


Message = InterviewerLine | CandidateLine | CodeRunLine | PhaseStarted | Ended


def turn_seqs(messages: Iterable[Message]) -> list[int]:
    """The seqs of the messages that are turns of the engine (the candidate's answers and,
    in coding rounds, their runs), in order: score evidence names turns by index."""
    return [m.seq for m in messages if isinstance(m, CandidateLine | CodeRunLine)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A candidate turn about to be numbered: `end` defaults to the step's moment and
    `start` to `end` (chat turns have no duration)."""

    text: str
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeRun:
    """A run of the candidate's code about to be numbered (its turn's summary included)."""

    tests: bool
    exit_code: int
    timed_out: bool
    seconds: float
    summary: str
    tests_result: Mapping[str, int] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceRef:
    """Why a criterion got its level: answer `turn` (0-based), the words quoted, their
    character span, and `seq`, the candidate message they come from (None when unknown:
    scores stored before it was kept give only the turn)."""

    turn: int | None
    label: str
    quote: str
    start: int | None
    end: int | None
    seq: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Scored:
    """An automatic score: `level` None means the criterion was not shown."""

    criterion: str
    level: int | None
    evidence: tuple[EvidenceRef, ...]
    stored: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    def to_wire(self) -> dict[str, Any]:
        if self.stored is not None:
            return dict(self.stored)
        return {
            "criterion": self.criterion,
            "level": self.level,
            "evidence": [
                {
                    "turn": e.turn,
                    "label": e.label,
                    "quote": e.quote,
                    "start": e.start,
                    "end": e.end,
                    "seq": e.seq,
                }
                for e in self.evidence
            ],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorMessage:
    """No seq: an error answered to one connection (docs/PROTOCOL.md lists the codes)."""

    code: str
    message: str
    type: Literal["error"] = "error"

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.type, "code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class Encoded:
    """One step's output: its messages (numbered, in order), its scores and its end."""

    messages: tuple[Message, ...]
    scores: tuple[Scored, ...]
    ended: Ended | None


def encode(
    actions: Iterable[object],
    *,
    session_id: str,
    last_seq: int,
    elapsed: float,
    time_scale: float,
    candidate_seqs: Sequence[int],
    clips: Mapping[str, Clip] | None = None,
    candidate: Candidate | None = None,
    code_run: CodeRun | None = None,
) -> Encoded:
    """The messages of one engine step. `last_seq`: the seq of the session's last message;
    `elapsed`: wall seconds since the session began; `candidate_seqs`: the seqs of the
    candidate messages so far, in order (score evidence names answers by index);
    `clips`: the spoken clip of each line, by line id (voice mode); `candidate`: the turn
    that caused the step, numbered first; `code_run`: the run that caused it, likewise."""
    at = round(elapsed, 3)
    seq = last_seq
    seqs = list(candidate_seqs)
    out: list[Message] = []
    scores: list[Scored] = []
    ended: Ended | None = None
    if candidate is not None:
        seq += 1
        end = elapsed if candidate.end is None else candidate.end
        start = end if candidate.start is None else candidate.start
        out.append(
            CandidateLine(
                seq=seq, at=at, text=candidate.text, start=round(start, 3), end=round(end, 3)
            )
        )
        seqs.append(seq)
    if code_run is not None:
        seq += 1
        out.append(_code_run_line(code_run, seq, at))
        seqs.append(seq)
    for action in actions:
        if isinstance(action, Say):
            seq += 1
            clip = (clips or {}).get(action.line_id)
            out.append(
                InterviewerLine(
                    seq=seq,
                    at=at,
                    text=action.text,
                    kind=action.kind,
                    line_id=action.line_id,
                    audio=None if clip is None else clip.url,
                    node=action.node,
                    duration=None if clip is None else clip.duration,
                )
            )
        elif isinstance(action, PhaseChanged):
            seq += 1
            until = None if action.until is None else round(action.until / time_scale, 3)
            out.append(
                PhaseStarted(
                    seq=seq,
                    at=at,
                    phase=action.phase,
                    title=action.title,
                    until=until,
                    time_scale=time_scale,
                )
            )
        elif isinstance(action, Score):
            scores.append(_scored(action, seqs))
        elif isinstance(action, End):
            seq += 1
            ended = Ended(seq=seq, at=at, reason=action.reason, replay=f"/sessions/{session_id}")
            out.append(ended)
    return Encoded(tuple(out), tuple(scores), ended)


def _code_run_line(run: CodeRun, seq: int, at: float) -> CodeRunLine:
    return CodeRunLine(
        seq=seq,
        at=at,
        tests=run.tests,
        exit_code=run.exit_code,
        timed_out=run.timed_out,
        seconds=round(run.seconds, 3),
        summary=run.summary,
        tests_result=run.tests_result,
    )


def _scored(action: Score, candidate_seqs: Sequence[int]) -> Scored:
    return Scored(
        criterion=action.criterion,
        level=action.level,
        evidence=tuple(
            EvidenceRef(
                turn=e.turn,
                label=e.label,
                quote=e.quote,
                start=e.start,
                end=e.end,
                # the candidate message the words come from, for linking
                seq=candidate_seqs[e.turn] if 0 <= e.turn < len(candidate_seqs) else None,
            )
            for e in action.evidence
        ),
    )


# ------------------------------------------------------------------ reading back


def from_stored(data: Mapping[str, Any]) -> Message:
    """A stored (or received) session message. Fields its era did not have read as None
    (or empty text); `to_wire()` gives `data` back unchanged."""
    kind = data.get("type")
    seq = int(data["seq"])
    at = _number(data.get("at"))
    if kind == "interviewer":
        return InterviewerLine(
            seq=seq,
            at=at,
            text=str(data.get("text", "")),
            kind=str(data.get("kind") or ""),
            line_id=_str(data.get("line_id")),
            audio=_str(data.get("audio")) or None,
            node=_str(data.get("node")),
            duration=_number(data.get("duration")),
            stored=data,
        )
    if kind == "candidate":
        return CandidateLine(
            seq=seq,
            at=at,
            text=str(data.get("text", "")),
            start=_number(data.get("start")),
            end=_number(data.get("end")),
            stored=data,
        )
    if kind == "code_run":
        result = data.get("tests_result")
        return CodeRunLine(
            seq=seq,
            at=at,
            tests=bool(data.get("tests")),
            exit_code=_integer(data.get("exit_code")),
            timed_out=bool(data.get("timed_out")),
            seconds=_number(data.get("seconds")),
            summary=str(data.get("summary", "")),
            tests_result=(
                {k: int(v) for k, v in result.items() if isinstance(v, int)}
                if isinstance(result, Mapping)
                else None
            ),
            stored=data,
        )
    if kind == "phase":
        return PhaseStarted(
            seq=seq,
            at=at,
            phase=str(data.get("phase", "")),
            title=str(data.get("title", "")),
            until=_number(data.get("until")),
            time_scale=_number(data.get("time_scale")),
            stored=data,
        )
    if kind == "ended":
        return Ended(
            seq=seq,
            at=at,
            reason=str(data.get("reason", "")),
            replay=_str(data.get("replay")),
            stored=data,
        )
    raise ValueError(f"not a session message type: {kind!r}")


def messages_from_stored(rows: Iterable[Mapping[str, Any]]) -> list[Message]:
    return [from_stored(row) for row in rows]


def _evidence(data: Mapping[str, Any]) -> EvidenceRef:
    return EvidenceRef(
        turn=_integer(data.get("turn")),
        label=str(data.get("label", "")),
        quote=str(data.get("quote", "")),
        start=_integer(data.get("start")),
        end=_integer(data.get("end")),
        seq=_integer(data.get("seq")),
    )


def score_from_stored(data: Mapping[str, Any]) -> Scored:
    level = data.get("level")
    return Scored(
        criterion=str(data["criterion"]),
        level=None if level is None else int(level),
        evidence=tuple(_evidence(e) for e in data.get("evidence") or ()),
        stored=data,
    )


def scores_from_stored(rows: Iterable[Mapping[str, Any]]) -> list[Scored]:
    return [score_from_stored(row) for row in rows]
