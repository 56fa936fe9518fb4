"""The candidate's side of the review: their own levels, notes and the review state
(a part of `Store`)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from server.storage.models import NoteRow, ReviewNoteRow, ReviewRow, SelfAssessmentRow
from server.storage.records import ReviewState

NOTE_KINDS = ("criterion", "turn")


def _text(value: str) -> str:
    """Free text as stored: without NUL characters, which PostgreSQL's text cannot hold
    (SQLite could; both keep the same text)."""
    return value.replace("\x00", "")


class Reviews:
    _sessions: sessionmaker[Session]

    def set_self_assessment(self, session_id: str, criterion: str, level: int) -> None:
        with self._sessions.begin() as db:
            db.merge(
                SelfAssessmentRow(
                    session_id=session_id, criterion=criterion, level=level, updated_at=time.time()
                )
            )

    def load_self_assessment(self, session_id: str) -> dict[str, int]:
        with self._sessions() as db:
            rows = db.scalars(
                select(SelfAssessmentRow).where(SelfAssessmentRow.session_id == session_id)
            )
            return {r.criterion: r.level for r in rows}

    def set_note(self, session_id: str, text: str) -> None:
        with self._sessions.begin() as db:
            db.merge(NoteRow(session_id=session_id, text=_text(text), updated_at=time.time()))

    def load_note(self, session_id: str) -> str | None:
        with self._sessions() as db:
            row = db.get(NoteRow, session_id)
            return None if row is None else row.text

    def save_self_assessment(
        self,
        session_id: str,
        levels: Mapping[str, int],
        notes: Mapping[str, str] | None = None,
        *,
        submit: bool = False,
    ) -> None:
        """Self-scores and criterion notes in one transaction; `submit` records that the
        candidate has scored themself (the automatic levels may show from then on). An
        empty note removes the note."""
        now = time.time()
        with self._sessions.begin() as db:
            for criterion, level in levels.items():
                db.merge(
                    SelfAssessmentRow(
                        session_id=session_id, criterion=criterion, level=int(level), updated_at=now
                    )
                )
            for criterion, text in (notes or {}).items():
                self._put_note(db, session_id, "criterion", criterion, text, now)
            if submit:
                row = db.get(ReviewRow, session_id)
                if row is None:
                    db.add(ReviewRow(session_id=session_id, submitted_at=now))
                elif row.submitted_at is None:
                    row.submitted_at = now

    def reveal(self, session_id: str) -> None:
        """The candidate chose to see the automatic levels without scoring first."""
        with self._sessions.begin() as db:
            row = db.get(ReviewRow, session_id)
            if row is None:
                db.add(ReviewRow(session_id=session_id, revealed_at=time.time()))
            elif row.revealed_at is None:
                row.revealed_at = time.time()

    def load_review(self, session_id: str) -> ReviewState:
        with self._sessions() as db:
            row = db.get(ReviewRow, session_id)
            if row is None:
                return ReviewState()
            return ReviewState(row.submitted_at, row.revealed_at)

    def set_review_note(self, session_id: str, kind: str, key: str, text: str) -> None:
        """A note on a criterion (`kind="criterion"`) or an answer (`kind="turn"`, key its
        seq); empty text removes it."""
        with self._sessions.begin() as db:
            self._put_note(db, session_id, kind, key, text, time.time())

    def load_review_notes(self, session_id: str) -> dict[str, dict[str, str]]:
        """`{"criterion": {id: text}, "turn": {seq: text}}`."""
        out: dict[str, dict[str, str]] = {kind: {} for kind in NOTE_KINDS}
        with self._sessions() as db:
            rows = db.scalars(
                select(ReviewNoteRow)
                .where(ReviewNoteRow.session_id == session_id)
                .order_by(ReviewNoteRow.kind, ReviewNoteRow.key)
            )
            for r in rows:
                out.setdefault(r.kind, {})[r.key] = r.text
        return out

    @staticmethod
    def _put_note(db: Session, session_id: str, kind: str, key: str, text: str, now: float) -> None:
        if kind not in NOTE_KINDS:
            raise ValueError(f"unknown note kind {kind!r}")
        text = _text(text)
        if text.strip():
            db.merge(
                ReviewNoteRow(session_id=session_id, kind=kind, key=key, text=text, updated_at=now)
            )
        else:
            db.execute(
                delete(ReviewNoteRow).where(
                    ReviewNoteRow.session_id == session_id,
                    ReviewNoteRow.kind == kind,
                    ReviewNoteRow.key == key,
                )
            )
