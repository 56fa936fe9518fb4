"""The transcript as the replay page lists it. Pure: no IO here.

Every decision the page shows about a line is made here, where it can be tested without a
browser: which word a timestamp belongs to (the timed words are aligned to the stored
text, tolerating case, punctuation and words the two disagree on), and which characters an
evidence quote highlights.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.messages import (
    CandidateLine,
    CodeRunLine,
    Ended,
    InterviewerLine,
    Message,
    PhaseStarted,
    turn_seqs,
)
from server.review import svg
from server.review.metrics import AnswerMetrics, as_words

KIND_LABELS = {
    "question": "Question",
    "follow_up": "Follow-up",
    "pushback": "Pushback",
    "constraint": "New constraint",
    "nudge": "Nudge",
    "time_check": "Time check",
    "closing": "Closing",
    "answer": "Answer",
    "repeat": "Repeat",
    "clarify": "Clarification",
    "hint": "Hint",
    "ack": "Pause",
    "challenge": "Challenge",
    "correction": "Correction",
}
END_REASONS = {
    "completed": "The round ran to its end.",
    "time": "Time ran out.",
    "left": "The round was ended early.",
}

# ------------------------------------------------------------------ transcript


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    word: int | None = None
    start: float | None = None
    end: float | None = None
    evidence: tuple[int, ...] = ()

    @property
    def evidence_attr(self) -> str:
        return " ".join(str(k) for k in self.evidence)


@dataclass(frozen=True, slots=True)
class Item:
    type: str  # interviewer, candidate, phase, ended
    seq: int
    at: float
    seek: float  # where the audio goes when the line is clicked
    end: float | None
    text: str
    segments: tuple[Segment, ...] = ()
    kind: str = ""
    turn: int | None = None
    note: str = ""
    answer: AnswerMetrics | None = None

    @property
    def anchor(self) -> str:
        return f"m-{self.seq}"

    @property
    def at_text(self) -> str:
        return svg.clock(self.at)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())

    @property
    def timed(self) -> bool:
        return any(s.word is not None for s in self.segments)


_TOKEN = re.compile(r"\S+")
_NORMAL = re.compile(r"[^a-z0-9']+")


def _norm(text: str) -> str:
    return _NORMAL.sub("", text.lower().replace("\u2019", "'"))


def align_words(text: str, words: Sequence[Mapping[str, Any]]) -> list[tuple[int, int] | None]:
    """For each timed word, the character span of the same word in `text` (None when it
    cannot be found a few tokens ahead: the transcript and the words disagree)."""
    tokens = [(m.start(), m.end(), _norm(m.group(0))) for m in _TOKEN.finditer(text)]
    out: list[tuple[int, int] | None] = []
    cursor = 0
    for w in words:
        target = _norm(str(w.get("text", "")))
        found = None
        if target:
            for i in range(cursor, min(cursor + 6, len(tokens))):
                if tokens[i][2] == target:
                    found = i
                    break
        if found is None:
            out.append(None)
            continue
        out.append((tokens[found][0], tokens[found][1]))
        cursor = found + 1
    return out


def segments(
    text: str,
    words: Sequence[Mapping[str, Any]] = (),
    marks: Sequence[tuple[int, int, int]] = (),
) -> tuple[Segment, ...]:
    """Cut `text` into runs that share one timed word and one set of evidence marks
    (`marks`: (start, end, key) character spans)."""
    spans = align_words(text, words) if words else []
    word_at: list[int | None] = [None] * len(text)
    for index, span in enumerate(spans):
        if span is not None:
            for pos in range(span[0], span[1]):
                word_at[pos] = index
    marks_at: list[tuple[int, ...]] = [()] * len(text)
    for start, end, key in marks:
        for pos in range(max(0, start), min(len(text), end)):
            marks_at[pos] = (*marks_at[pos], key)
    out: list[Segment] = []
    begin = 0
    for pos in range(1, len(text) + 1):
        if pos == len(text) or word_at[pos] != word_at[begin] or marks_at[pos] != marks_at[begin]:
            at = word_at[begin]
            w = words[at] if at is not None else None
            out.append(
                Segment(
                    text[begin:pos],
                    at,
                    float(w["start"]) if w is not None else None,
                    float(w["end"]) if w is not None else None,
                    marks_at[begin],
                )
            )
            begin = pos
    return tuple(out)


def transcript_items(
    messages: Sequence[Message],
    words: Mapping[int, Sequence[Mapping[str, Any]]],
    *,
    marks: Mapping[int, Sequence[tuple[int, int, int]]],
    turn_notes: Mapping[str, str],
    answers: Mapping[int, AnswerMetrics],
) -> tuple[Item, ...]:
    """One item per stored message: answers cut into timed, marked segments (`marks`:
    evidence spans per seq); interviewer lines, phases and the end as they were sent."""
    turn_of = {seq: i for i, seq in enumerate(turn_seqs(messages))}
    items: list[Item] = []
    for m in messages:
        seq = m.seq
        at = number(m.at)
        if isinstance(m, CandidateLine):
            timed = list(as_words(words.get(seq, ())))
            timed_dicts = [{"text": w.text, "start": w.start, "end": w.end} for w in timed]
            seek = timed[0].start if timed else number(m.start, at)
            items.append(
                Item(
                    type=m.type,
                    seq=seq,
                    at=number(m.start, at),
                    seek=seek,
                    end=timed[-1].end if timed else number(m.end, at),
                    text=m.text,
                    segments=segments(m.text, timed_dicts, marks.get(seq, ())),
                    turn=turn_of[seq],
                    note=turn_notes.get(str(seq), ""),
                    answer=answers.get(seq),
                )
            )
        elif isinstance(m, CodeRunLine):
            # A run of the candidate's code: a turn of its own, which evidence can mark.
            items.append(
                Item(
                    type=m.type,
                    seq=seq,
                    at=at,
                    seek=at,
                    end=None,
                    text=m.summary,
                    segments=segments(m.summary, [], marks.get(seq, ())),
                    turn=turn_of[seq],
                    kind=run_outcome(m),
                )
            )
        elif isinstance(m, InterviewerLine):
            items.append(
                Item(
                    type=m.type,
                    seq=seq,
                    at=at,
                    seek=at,
                    end=None,
                    text=m.text,
                    segments=(Segment(m.text),),
                    kind=m.kind,
                )
            )
        else:
            items.append(Item(type=m.type, seq=seq, at=at, seek=at, end=None, text=_marker(m)))
    return tuple(items)


def run_outcome(run: CodeRunLine) -> str:
    """What a run came to, for its card: `tests-passed`, `tests-failed`, `tests-crashed`,
    `run` or `run-crashed` (a `tests-` prefix: it ran the hidden tests)."""
    crashed = run.timed_out or (run.exit_code is not None and run.exit_code not in (0, 1))
    if not run.tests:
        return "run-crashed" if run.timed_out or run.exit_code else "run"
    result = run.tests_result or {}
    if crashed and not any(result.values()):
        return "tests-crashed"
    if result.get("passed") and not result.get("failed") and not result.get("errors"):
        return "tests-passed"
    return "tests-failed"


def _marker(message: PhaseStarted | Ended) -> str:
    """What a phase change or the end of the round says in the transcript."""
    if isinstance(message, PhaseStarted):
        return message.title
    return END_REASONS.get(message.reason, message.reason)


def number(value: Any, default: float = 0.0) -> float:
    """A stored time as seconds; anything that is not a number is `default`."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return default
