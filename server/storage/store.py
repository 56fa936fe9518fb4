"""The repository: every database access of the server goes through `Store`.

All methods are synchronous and short; the async shell calls them off the event loop
(see `server.session`). One engine step is one transaction: the event and every message
it produced are committed together, so a crash leaves either both or neither.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, delete, event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from server.files import write_atomically
from server.storage.models import (
    AudioRow,
    EventRow,
    LoginRow,
    MessageRow,
    NoteRow,
    ReviewNoteRow,
    ReviewRow,
    ScoreRow,
    SelfAssessmentRow,
    SessionRow,
    WordsRow,
)

log = logging.getLogger("mockloop.storage")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Conflict(Exception):
    """Someone else (another driver, another replica) already wrote this step."""


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: str
    scenario_id: str
    mode: str
    seed: int
    time_scale: float
    token_hash: str
    status: str
    created_at: float
    started_at: float | None = None
    ended_at: float | None = None
    end_reason: str | None = None


@dataclass(frozen=True, slots=True)
class SessionSummary:
    id: str
    scenario_id: str
    mode: str
    status: str
    created_at: float
    started_at: float | None
    ended_at: float | None
    end_reason: str | None
    turns: int  # candidate turns
    time_scale: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scenario": self.scenario_id,
            "mode": self.mode,
            "status": self.status,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "end_reason": self.end_reason,
            "turns": self.turns,
            "time_scale": self.time_scale,
            "replay": f"/sessions/{self.id}",
        }


@dataclass(frozen=True, slots=True)
class StoredEvent:
    n: int
    at: float
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Ending:
    reason: str
    at: float  # wall epoch


@dataclass(frozen=True, slots=True)
class AudioTrack:
    """A stored recording: `offset` is the session second of its first sample."""

    track: str
    path: Path
    media_type: str
    offset: float
    duration: float | None


@dataclass(frozen=True, slots=True)
class ReviewState:
    submitted_at: float | None = None
    revealed_at: float | None = None

    @property
    def revealed(self) -> bool:
        """The automatic levels may be shown: self-scores are in, or the candidate asked."""
        return self.submitted_at is not None or self.revealed_at is not None


_TRACK = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_AUDIO_SUFFIX = {
    "audio/ogg": ".ogg",
    "audio/opus": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/webm": ".webm",
}
NOTE_KINDS = ("criterion", "turn")


def _text(value: str) -> str:
    """Free text as stored: without NUL characters, which PostgreSQL's text cannot hold
    (SQLite could; both keep the same text)."""
    return value.replace("\x00", "")


def private_file(path: Path) -> None:
    """Create `path` readable and writable by its owner only, or make it so."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    try:
        os.chmod(path, 0o600)
    except OSError as exc:  # another user's file we may write to: leave it as it is
        log.warning("could not make %s private to its owner (%s)", path, exc)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


_PENDING = "mockloop.pending_rows"
# Five columns a row: well under SQLite's 32766 bound variables per statement.
_ROWS_PER_INSERT = 500


Rows = list[dict[str, Any]]


def _pending(db: Session) -> tuple[Rows, Rows, Rows]:
    """Event, message and score rows waiting in this transaction for `_flush_rows`."""
    rows: tuple[Rows, Rows, Rows] = db.info.setdefault(_PENDING, ([], [], []))
    return rows


def _flush_rows(db: Session) -> None:
    """Write the ORM objects, then the waiting event and message rows with one multi-row
    INSERT per table for the whole batch. Per-row work would cost more than the rows: the
    ORM unit of work takes milliseconds per step, SQLAlchemy compiles a multi-row
    `insert().values()` bind by bind, and `executemany` steps the statement once per row,
    each step handing the GIL to a busy event loop and waiting for it to come back. The
    statement text depends only on the row count and the driver's placeholder."""
    db.flush()
    events, messages, scores = db.info.pop(_PENDING, ([], [], []))
    conn = db.connection()
    # A criterion scored again replaces its row.
    by_session: dict[str, list[str]] = {}
    for row in scores:
        by_session.setdefault(row["session_id"], []).append(row["criterion"])
    for session_id, criteria in by_session.items():
        conn.execute(
            delete(ScoreRow).where(
                ScoreRow.session_id == session_id, ScoreRow.criterion.in_(criteria)
            )
        )
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    tables = (
        (EventRow.__tablename__, events),
        (MessageRow.__tablename__, messages),
        (ScoreRow.__tablename__, scores),
    )
    for table, rows in tables:
        if not rows:
            continue
        columns = list(rows[0])  # our own fixed keys (see write_step, _add_messages)
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        one = "(" + ", ".join([mark] * len(columns)) + ")"
        for i in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[i : i + _ROWS_PER_INSERT]
            params = tuple(row[c] for row in chunk for c in columns)
            conn.exec_driver_sql(head + ", ".join([one] * len(chunk)), params)


def _record(row: SessionRow) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        scenario_id=row.scenario_id,
        mode=row.mode,
        seed=row.seed,
        time_scale=row.time_scale,
        token_hash=row.token_hash,
        status=row.status,
        created_at=row.created_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
        end_reason=row.end_reason,
    )


def normalise_url(url: str) -> str:
    """Plain `postgresql://` (or `postgres://`) URLs mean psycopg 3, the driver installed."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            # WAL: readers never block the one writer. FULL: a commit survives power loss.
            # secure_delete: deleted rows are overwritten, not left in free pages.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


class Store:
    def __init__(self, url: str, data_dir: Path, *, run_migrations: bool = True) -> None:
        url = normalise_url(url)
        self.url = url
        self.data_dir = data_dir
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.name.startswith(":"):
                # Owner only, from the first byte: SQLite gives the -wal and -shm files
                # it creates the database file's permissions.
                private_file(path)
                for suffix in ("-wal", "-shm"):
                    other = path.with_name(path.name + suffix)
                    if other.exists():
                        private_file(other)
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if run_migrations:
            migrate(self.engine)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def audio_dir(self, session_id: str) -> Path:
        return self.data_dir / "audio" / session_id

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True

    # ------------------------------------------------------------ sessions

    def create_session(self, record: SessionRecord) -> None:
        with self._sessions.begin() as db:
            self.write_session(db, record)

    @staticmethod
    def write_session(db: Session, record: SessionRecord) -> None:
        """`create_session` inside the caller's transaction (the group commit writer)."""
        db.add(
            SessionRow(
                id=record.id,
                scenario_id=record.scenario_id,
                mode=record.mode,
                seed=record.seed,
                time_scale=record.time_scale,
                token_hash=record.token_hash,
                status=record.status,
                created_at=record.created_at,
                started_at=record.started_at,
                ended_at=record.ended_at,
                end_reason=record.end_reason,
            )
        )

    def get_session(self, session_id: str) -> SessionRecord | None:
        with self._sessions() as db:
            row = db.get(SessionRow, session_id)
            return None if row is None else _record(row)

    def list_sessions(self, ids: Iterable[str] | None = None) -> list[SessionSummary]:
        """Newest first. `ids` restricts the list (e.g. to sessions a browser holds)."""
        turns = (
            select(MessageRow.session_id, func.count().label("turns"))
            .where(MessageRow.type == "candidate")
            .group_by(MessageRow.session_id)
            .subquery()
        )
        query = (
            select(SessionRow, func.coalesce(turns.c.turns, 0))
            .outerjoin(turns, turns.c.session_id == SessionRow.id)
            .order_by(SessionRow.created_at.desc(), SessionRow.id)
        )
        if ids is not None:
            wanted = list(ids)
            if not wanted:
                return []
            query = query.where(SessionRow.id.in_(wanted))
        with self._sessions() as db:
            return [
                SessionSummary(
                    id=row.id,
                    scenario_id=row.scenario_id,
                    mode=row.mode,
                    status=row.status,
                    created_at=row.created_at,
                    started_at=row.started_at,
                    ended_at=row.ended_at,
                    end_reason=row.end_reason,
                    turns=int(n),
                    time_scale=row.time_scale,
                )
                for row, n in db.execute(query).all()
            ]

    def get_sessions(self, ids: Iterable[str]) -> dict[str, SessionRecord]:
        """The sessions among `ids` that exist, by id: one query however many."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        with self._sessions() as db:
            rows = db.scalars(select(SessionRow).where(SessionRow.id.in_(wanted)))
            return {row.id: _record(row) for row in rows}

    def live_session_ids(self) -> list[str]:
        with self._sessions() as db:
            return list(db.scalars(select(SessionRow.id).where(SessionRow.status == "live")))

    # ------------------------------------------------------------ the log

    def load_events(self, session_id: str) -> list[StoredEvent]:
        with self._sessions() as db:
            rows = db.scalars(
                select(EventRow).where(EventRow.session_id == session_id).order_by(EventRow.n)
            )
            return [StoredEvent(r.n, r.at, json.loads(r.json)) for r in rows]

    def load_messages(self, session_id: str, after: int = 0) -> list[dict[str, Any]]:
        with self._sessions() as db:
            rows = db.scalars(
                select(MessageRow.json)
                .where(MessageRow.session_id == session_id, MessageRow.seq > after)
                .order_by(MessageRow.seq)
            )
            return [json.loads(text) for text in rows]

    def message_event_numbers(self, session_id: str) -> list[tuple[int, int]]:
        """(seq, event_n) pairs, in order: which step produced which message."""
        with self._sessions() as db:
            rows = db.execute(
                select(MessageRow.seq, MessageRow.event_n)
                .where(MessageRow.session_id == session_id)
                .order_by(MessageRow.seq)
            )
            return [(int(seq), int(n)) for seq, n in rows]

    def load_scores(self, session_id: str) -> list[dict[str, Any]]:
        with self._sessions() as db:
            rows = db.scalars(
                select(ScoreRow)
                .where(ScoreRow.session_id == session_id)
                .order_by(ScoreRow.criterion)
            )
            return [
                {"criterion": r.criterion, "level": r.level, "evidence": json.loads(r.evidence)}
                for r in rows
            ]

    def begin_session(
        self, session_id: str, started_at: float, messages: Sequence[dict[str, Any]]
    ) -> None:
        """created -> live: the clock starts and the engine's first messages are stored."""
        with self._sessions.begin() as db:
            self.write_begin(db, session_id, started_at, messages)
            _flush_rows(db)

    def write_begin(
        self, db: Session, session_id: str, started_at: float, messages: Sequence[dict[str, Any]]
    ) -> None:
        """`begin_session` inside the caller's transaction."""
        # On the connection, not the ORM session: the ORM's UPDATE path costs more than
        # the statement (it evaluates the criteria against loaded objects).
        result = db.connection().execute(
            update(SessionRow)
            .where(SessionRow.id == session_id, SessionRow.status == "created")
            .values(status="live", started_at=started_at)
        )
        if result.rowcount != 1:
            raise Conflict(session_id)
        self._add_messages(db, session_id, 0, messages)

    def commit_step(
        self,
        session_id: str,
        n: int,
        event_data: dict[str, Any],
        at: float,
        messages: Sequence[dict[str, Any]],
        scores: Sequence[dict[str, Any]] = (),
        ending: Ending | None = None,
    ) -> None:
        """One engine step, atomically: the event, its messages, scores and the end."""
        try:
            with self._sessions.begin() as db:
                self.write_step(db, session_id, n, event_data, at, messages, scores, ending)
                _flush_rows(db)
        except IntegrityError as exc:
            raise Conflict(session_id) from exc

    def write_step(
        self,
        db: Session,
        session_id: str,
        n: int,
        event_data: dict[str, Any],
        at: float,
        messages: Sequence[dict[str, Any]],
        scores: Sequence[dict[str, Any]] = (),
        ending: Ending | None = None,
    ) -> None:
        """`commit_step` inside the caller's transaction. The event and message rows wait
        in the transaction until `_flush_rows`, so that the steps of a whole batch go out
        as one INSERT per table; a duplicate step (a second writer) fails there, and
        `write_many` reports it as `Conflict`."""
        _pending(db)[0].append(
            {"session_id": session_id, "n": n, "at": at, "json": _dumps(event_data)}
        )
        self._add_messages(db, session_id, n, messages)
        _pending(db)[2].extend(
            {
                "session_id": session_id,
                "criterion": str(score["criterion"]),
                "level": None if score["level"] is None else int(score["level"]),
                "evidence": _dumps(score.get("evidence", [])),
            }
            for score in scores
        )
        if ending is not None:
            db.connection().execute(
                update(SessionRow)
                .where(SessionRow.id == session_id)
                .values(status="ended", ended_at=ending.at, end_reason=ending.reason)
            )

    def write_many(self, jobs: Sequence[Callable[[Session], Any]]) -> list[Any]:
        """Run `job(db)` for every job in one transaction with one flush and one commit
        (one fsync); the results in order, an exception object for a job that raised (a
        duplicate key is `Conflict`). When anything fails, the whole transaction is
        rolled back and each job runs again alone, so a failure costs only its own job.
        Jobs are pure database work: safe to run twice."""
        if len(jobs) > 1:
            try:
                with self._sessions.begin() as db:
                    results = [job(db) for job in jobs]
                    _flush_rows(db)
                return results
            except Exception as exc:
                log.debug("batch of %d writes failed (%s); one by one", len(jobs), type(exc))
        out: list[Any] = []
        for job in jobs:
            try:
                with self._sessions.begin() as db:
                    result = job(db)
                    _flush_rows(db)
                out.append(result)
            except IntegrityError as exc:
                conflict = Conflict("write conflict")
                conflict.__cause__ = exc
                out.append(conflict)
            except Exception as exc:
                out.append(exc)
        return out

    @staticmethod
    def _add_messages(
        db: Session, session_id: str, event_n: int, messages: Sequence[dict[str, Any]]
    ) -> None:
        _pending(db)[1].extend(
            {
                "session_id": session_id,
                "seq": int(message["seq"]),
                "event_n": event_n,
                "type": str(message["type"]),
                "json": _dumps(message),
            }
            for message in messages
        )

    # ------------------------------------------------------------ review extras

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

    # ------------------------------------------------------------ voice: words and audio

    def save_words(self, session_id: str, seq: int, words: Sequence[Mapping[str, Any]]) -> None:
        """Word timestamps of candidate message `seq`, replacing any stored before. Each
        word is `{"text", "start", "end"}` (plus `"probability"` when known), times in
        session seconds: the clock of the message's `start`/`end`."""
        clean: list[dict[str, Any]] = []
        for w in words:
            item: dict[str, Any] = {
                "text": str(w["text"]),
                "start": round(float(w["start"]), 3),
                "end": round(float(w["end"]), 3),
            }
            if w.get("probability") is not None:
                item["probability"] = round(float(w["probability"]), 4)
            if item["end"] < item["start"]:
                raise ValueError(f"word ends before it starts: {item}")
            clean.append(item)
        with self._sessions.begin() as db:
            db.merge(WordsRow(session_id=session_id, seq=int(seq), json=_dumps(clean)))

    def load_words(self, session_id: str) -> dict[int, list[dict[str, Any]]]:
        """Word timestamps by candidate message seq (only messages that have them)."""
        with self._sessions() as db:
            rows = db.scalars(
                select(WordsRow).where(WordsRow.session_id == session_id).order_by(WordsRow.seq)
            )
            return {r.seq: json.loads(r.json) for r in rows}

    def audio_path(self, session_id: str, track: str, media_type: str = "audio/ogg") -> Path:
        """Where a track's file belongs (a recorder may stream straight into it, then call
        `save_audio` with this path)."""
        if not _TRACK.match(track):
            raise ValueError(f"bad track name {track!r}")
        suffix = _AUDIO_SUFFIX.get(media_type.split(";")[0].strip().lower())
        if suffix is None:
            raise ValueError(f"unsupported audio type {media_type!r}")
        return self.audio_dir(session_id) / f"{track}{suffix}"

    def save_audio(
        self,
        session_id: str,
        track: str,
        data: bytes | Path,
        *,
        media_type: str = "audio/ogg",
        offset: float = 0.0,
        duration: float | None = None,
    ) -> Path:
        """Keep a recording of the session (`track`: `candidate`, `interviewer`, ...).

        `data` is the file's bytes, or a path: a file already at `audio_path(...)` is
        registered where it is, any other is copied. `offset` is the session second at
        which the recording's first sample lies. The file goes with the session on delete.
        """
        target = self.audio_path(session_id, track, media_type)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if isinstance(data, Path):
            if data.resolve() != target.resolve():
                shutil.copyfile(data, target)
        else:
            write_atomically(target, data)
        os.chmod(target, 0o600)
        with self._sessions.begin() as db:
            db.merge(
                AudioRow(
                    session_id=session_id,
                    track=track,
                    filename=target.name,
                    media_type=media_type,
                    offset=float(offset),
                    duration=None if duration is None else float(duration),
                    created_at=time.time(),
                )
            )
        return target

    def audio_tracks(self, session_id: str) -> list[AudioTrack]:
        """The session's recordings whose files exist, by track name."""
        with self._sessions() as db:
            rows = list(
                db.scalars(
                    select(AudioRow)
                    .where(AudioRow.session_id == session_id)
                    .order_by(AudioRow.track)
                )
            )
        out = []
        for r in rows:
            path = self.audio_dir(session_id) / r.filename
            if path.is_file():
                out.append(AudioTrack(r.track, path, r.media_type, r.offset, r.duration))
        return out

    def unfinished_audio(self) -> list[tuple[str, AudioTrack]]:
        """(session id, track) of every recording registered without a duration whose
        file exists: a recording is registered as it begins and gets its duration when
        it ends, so these were being made when their server stopped (or still are)."""
        with self._sessions() as db:
            rows = list(
                db.scalars(
                    select(AudioRow)
                    .where(AudioRow.duration.is_(None))
                    .order_by(AudioRow.session_id, AudioRow.track)
                )
            )
        out = []
        for r in rows:
            path = self.audio_dir(r.session_id) / r.filename
            if path.is_file():
                out.append((r.session_id, AudioTrack(r.track, path, r.media_type, r.offset, None)))
        return out

    # ------------------------------------------------------------ review

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

    # ------------------------------------------------------------ sign-ins

    def add_login(self, token_hash: str, tag: str, expires_at: float) -> None:
        """Keep a sign-in; expired ones go at the same time."""
        now = time.time()
        with self._sessions.begin() as db:
            db.execute(delete(LoginRow).where(LoginRow.expires_at <= now))
            db.add(LoginRow(token_hash=token_hash, tag=tag, created_at=now, expires_at=expires_at))

    def get_login(self, token_hash: str) -> tuple[str, float] | None:
        """(tag, expires_at) of a sign-in, or None."""
        with self._sessions() as db:
            row = db.get(LoginRow, token_hash)
            return None if row is None else (row.tag, row.expires_at)

    def delete_login(self, token_hash: str) -> None:
        with self._sessions.begin() as db:
            db.execute(delete(LoginRow).where(LoginRow.token_hash == token_hash))

    # ------------------------------------------------------------ deletion

    def delete_session(self, session_id: str) -> bool:
        """Remove every row of the session, then its copies in the WAL and its audio."""
        with self._sessions.begin() as db:
            # Children explicitly, not only by cascade: the cascade needs the SQLite
            # foreign_keys pragma, and being explicit costs nothing.
            for table in (
                EventRow,
                MessageRow,
                ScoreRow,
                SelfAssessmentRow,
                NoteRow,
                WordsRow,
                AudioRow,
                ReviewRow,
                ReviewNoteRow,
            ):
                db.execute(delete(table).where(table.session_id == session_id))
            found = db.execute(delete(SessionRow).where(SessionRow.id == session_id))
            existed = bool(found.rowcount)  # type: ignore[attr-defined]
        if self.is_sqlite:
            self.checkpoint()
        shutil.rmtree(self.audio_dir(session_id), ignore_errors=True)
        return existed

    def checkpoint(self) -> None:
        """Copy the WAL into the database file and truncate it to zero bytes, so that
        deleted rows survive in neither file (secure_delete zeroed them in the pages)."""
        for _ in range(50):
            with self.engine.connect() as conn:
                busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
                conn.commit()
            if busy is None or busy[0] == 0:
                return
            time.sleep(0.05)
        log.warning("WAL checkpoint stayed busy; deleted data may linger in the WAL")
