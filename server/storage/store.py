"""The repository: every database access of the server goes through `Store`.

All methods are synchronous and short; the async shell calls them off the event loop
(see `server.session`). One engine step is one transaction: the event and every message
it produced are committed together, so a crash leaves either both or neither
(`server.storage.writes`, the one write path of the session log).

`Store` is put together from one part per concept: the log's writes (`writes`), the
candidate's review (`reviews`), voice recordings and word timestamps (`audio`),
sign-ins (`logins`) and full loops (`loops`); the sessions, the log's reads and deletion are here.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import sessionmaker

from server.messages import Message, Scored, messages_from_stored, scores_from_stored
from server.storage.audio import Recordings
from server.storage.database import make_engine, migrate, normalise_url, private_file
from server.storage.logins import Logins
from server.storage.loops import Loops
from server.storage.models import (
    AudioRow,
    EventRow,
    MessageRow,
    NoteRow,
    ReviewNoteRow,
    ReviewRow,
    ScoreRow,
    SelfAssessmentRow,
    SessionRow,
    WordsRow,
)
from server.storage.records import SessionRecord, SessionSummary, StoredEvent
from server.storage.reviews import Reviews
from server.storage.writes import Writes

log = logging.getLogger("mockloop.storage")


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


class Store(Writes, Reviews, Recordings, Logins, Loops):
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

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True

    # ------------------------------------------------------------ sessions

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
        """The session's messages after seq `after` as they were stored: what the wire
        and the API carry."""
        with self._sessions() as db:
            rows = db.scalars(
                select(MessageRow.json)
                .where(MessageRow.session_id == session_id, MessageRow.seq > after)
                .order_by(MessageRow.seq)
            )
            return [json.loads(text) for text in rows]

    def load_transcript(self, session_id: str, after: int = 0) -> list[Message]:
        """`load_messages`, typed."""
        return messages_from_stored(self.load_messages(session_id, after))

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
        """The automatic scores as stored, by criterion: what the API carries."""
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

    def load_scored(self, session_id: str) -> list[Scored]:
        """`load_scores`, typed."""
        return scores_from_stored(self.load_scores(session_id))

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
