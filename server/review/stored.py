"""One session's review rows, read from the store in one go (on the database thread):
the messages and the automatic scores (as the types of `server.messages`), the
candidate's own levels and notes, the word timestamps (as stored), the review state, and
whether a replay track can be made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.messages import InterviewerLine, Message, Scored
from server.storage import ReviewState, Store


@dataclass(frozen=True, slots=True)
class Loaded:
    messages: list[Message]
    scores: list[Scored]
    self_levels: dict[str, int]
    notes: dict[str, dict[str, str]]
    session_note: str
    words: dict[int, list[dict[str, Any]]]
    review: ReviewState
    has_audio: bool


def load(store: Store, session_id: str, *, clips: bool = False) -> Loaded:
    """`clips`: the interviewer's spoken lines can be found again (a speech cache), so a
    session that kept no recording still has audio when its lines carry some."""
    messages = store.load_transcript(session_id)
    has_audio = bool(store.audio_tracks(session_id)) or (
        clips and any(isinstance(m, InterviewerLine) and m.audio for m in messages)
    )
    return Loaded(
        messages=messages,
        scores=store.load_scored(session_id),
        self_levels=store.load_self_assessment(session_id),
        notes=store.load_review_notes(session_id),
        session_note=store.load_note(session_id) or "",
        words=store.load_words(session_id),
        review=store.load_review(session_id),
        has_audio=has_audio,
    )
