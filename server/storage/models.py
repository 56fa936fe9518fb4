"""Tables. Times are wall-clock epoch seconds (float); JSON payloads are stored as text so
that SQLite and PostgreSQL keep byte-identical copies of what was sent."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names keep migrations identical across SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SessionRow(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    scenario_id: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int] = mapped_column(BigInteger)
    time_scale: Mapped[float] = mapped_column(Float)
    token_hash: Mapped[str] = mapped_column(String(64))
    # created (no hello yet) -> live (clock running) -> ended
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)

    __table_args__ = (Index("ix_sessions_status", "status"),)


class EventRow(Base):
    """The engine's input log, the truth a session is rebuilt from. `n` starts at 1."""

    __tablename__ = "events"

    session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    n: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    json: Mapped[str] = mapped_column(Text)


class MessageRow(Base):
    """Every seq'd server message, as sent. `event_n` is the event that produced it
    (0: the engine's start)."""

    __tablename__ = "messages"

    session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_n: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    json: Mapped[str] = mapped_column(Text)


class ScoreRow(Base):
    __tablename__ = "scores"

    session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    criterion: Mapped[str] = mapped_column(String(200), primary_key=True)
    level: Mapped[int | None] = mapped_column(Integer)  # NULL: not shown in this round
    evidence: Mapped[str] = mapped_column(Text)  # JSON list


class SelfAssessmentRow(Base):
    """The candidate's own 1-5 score per criterion, asked before the automatic one shows."""

    __tablename__ = "self_assessments"

    session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    criterion: Mapped[str] = mapped_column(String(200), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[float] = mapped_column(Float)


class NoteRow(Base):
    __tablename__ = "notes"

    session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)


class WordsRow(Base):
    """Word timestamps of one candidate message (voice mode): a JSON list of
    `{"text", "start", "end", "probability"?}`, times in session seconds (the clock of the
    candidate message's `start`/`end`)."""

    __tablename__ = "words"

    session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    json: Mapped[str] = mapped_column(Text)


class AudioRow(Base):
    """A recording kept in the session's audio folder. `offset`: the session second at
    which the file's first sample lies; `track` names it (`candidate`, `interviewer`)."""

    __tablename__ = "audio"

    session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    track: Mapped[str] = mapped_column(String(32), primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64))
    offset: Mapped[float] = mapped_column(Float)
    duration: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)


class ReviewRow(Base):
    """Where the candidate is in the review: self-scores submitted, or the automatic
    levels shown without scoring."""

    __tablename__ = "reviews"

    session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    submitted_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    revealed_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class ReviewNoteRow(Base):
    """The candidate's notes on one criterion (`kind="criterion"`, `key` its id) or on one
    answer (`kind="turn"`, `key` the candidate message's seq)."""

    __tablename__ = "review_notes"

    session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)


class LoginRow(Base):
    """A sign-in with the instance password: the SHA-256 of the random cookie value, a
    tag binding it to the password of the day (an HMAC keyed with a slow hash of the
    password: a new password signs everybody out), and when it expires."""

    __tablename__ = "logins"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_logins_expires_at", "expires_at"),)


class LoopRow(Base):
    """A full mock loop: its rounds in order, each a session of its own (`rounds`: a JSON
    list of `{"scenario", "session"}`). Deleting the loop deletes those sessions."""

    __tablename__ = "loops"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    loop_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int] = mapped_column(BigInteger)
    time_scale: Mapped[float] = mapped_column(Float)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    rounds: Mapped[str] = mapped_column(Text)
