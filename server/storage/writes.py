"""The one write path of the session log: jobs that run inside a shared transaction.

One engine step is one transaction: the event and every message it produced are
committed together, so a crash leaves either both or neither. The writer thread
(`server.storage.writer`) hands many such jobs to `write_many`, which runs them in one
transaction with one flush and one commit; `write` runs a single job the same way.

A job is `fn(batch, *args)`. The event, message and score rows it adds wait in its
`Batch` until the batch is flushed, so that the steps of a whole batch go out as one
INSERT per table; a duplicate step (a second writer) fails there and is reported as
`Conflict`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from server.messages import Message, Scored
from server.storage.models import EventRow, MessageRow, ScoreRow, SessionRow
from server.storage.records import Conflict, Ending, SessionRecord

log = logging.getLogger("mockloop.storage")

T = TypeVar("T")

# Five columns a row: well under SQLite's 32766 bound variables per statement.
_ROWS_PER_INSERT = 500

Rows = list[dict[str, Any]]


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Batch:
    """One open transaction of the writer, and the event, message and score rows its
    jobs added, waiting for `flush`."""

    db: Session
    events: Rows = field(default_factory=list)
    messages: Rows = field(default_factory=list)
    scores: Rows = field(default_factory=list)

    def flush(self) -> None:
        """Write the ORM objects, then the waiting event and message rows with one
        multi-row INSERT per table for the whole batch. Per-row work would cost more than
        the rows: the ORM unit of work takes milliseconds per step, SQLAlchemy compiles a
        multi-row `insert().values()` bind by bind, and `executemany` steps the statement
        once per row, each step handing the GIL to a busy event loop and waiting for it to
        come back. The statement text depends only on the row count and the driver's
        placeholder."""
        self.db.flush()
        conn = self.db.connection()
        # A criterion scored again replaces its row.
        by_session: dict[str, list[str]] = {}
        for row in self.scores:
            by_session.setdefault(row["session_id"], []).append(row["criterion"])
        for session_id, criteria in by_session.items():
            conn.execute(
                delete(ScoreRow).where(
                    ScoreRow.session_id == session_id, ScoreRow.criterion.in_(criteria)
                )
            )
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        tables = (
            (EventRow.__tablename__, self.events),
            (MessageRow.__tablename__, self.messages),
            (ScoreRow.__tablename__, self.scores),
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
        self.events, self.messages, self.scores = [], [], []


Job = Callable[[Batch], Any]


class Writes:
    """The write jobs and the transactions they run in (a part of `Store`)."""

    _sessions: sessionmaker[Session]

    @staticmethod
    def write_session(batch: Batch, record: SessionRecord) -> None:
        """A new session (status `created`)."""
        batch.db.add(
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

    @staticmethod
    def write_begin(
        batch: Batch, session_id: str, started_at: float, messages: Sequence[Message]
    ) -> None:
        """created -> live: the clock starts and the engine's first messages are stored."""
        # On the connection, not the ORM session: the ORM's UPDATE path costs more than
        # the statement (it evaluates the criteria against loaded objects).
        result = batch.db.connection().execute(
            update(SessionRow)
            .where(SessionRow.id == session_id, SessionRow.status == "created")
            .values(status="live", started_at=started_at)
        )
        if result.rowcount != 1:
            raise Conflict(session_id)
        _add_messages(batch, session_id, 0, messages)

    @staticmethod
    def write_step(
        batch: Batch,
        session_id: str,
        n: int,
        event_data: dict[str, Any],
        at: float,
        messages: Sequence[Message],
        scores: Sequence[Scored] = (),
        ending: Ending | None = None,
    ) -> None:
        """One engine step, atomically: the event, its messages, scores and the end."""
        batch.events.append({"session_id": session_id, "n": n, "at": at, "json": dumps(event_data)})
        _add_messages(batch, session_id, n, messages)
        for score in scores:
            wire = score.to_wire()
            batch.scores.append(
                {
                    "session_id": session_id,
                    "criterion": score.criterion,
                    "level": score.level,
                    "evidence": dumps(wire.get("evidence", [])),
                }
            )
        if ending is not None:
            batch.db.connection().execute(
                update(SessionRow)
                .where(SessionRow.id == session_id)
                .values(status="ended", ended_at=ending.at, end_reason=ending.reason)
            )

    def write_many(self, jobs: Sequence[Job]) -> list[Any]:
        """Run `job(batch)` for every job in one transaction with one flush and one commit
        (one fsync); the results in order, an exception object for a job that raised (a
        duplicate key is `Conflict`). When anything fails, the whole transaction is
        rolled back and each job runs again alone, so a failure costs only its own job.
        Jobs are pure database work: safe to run twice."""
        if len(jobs) > 1:
            try:
                with self._sessions.begin() as db:
                    batch = Batch(db)
                    results = [job(batch) for job in jobs]
                    batch.flush()
                return results
            except Exception as exc:
                log.debug("batch of %d writes failed (%s); one by one", len(jobs), type(exc))
        out: list[Any] = []
        for job in jobs:
            try:
                with self._sessions.begin() as db:
                    batch = Batch(db)
                    result = job(batch)
                    batch.flush()
                out.append(result)
            except IntegrityError as exc:
                conflict = Conflict("write conflict")
                conflict.__cause__ = exc
                out.append(conflict)
            except Exception as exc:
                out.append(exc)
        return out

    def write(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(batch, *args)` in a transaction of its own, through `write_many` as the
        writer runs a job alone; raises what it raised."""
        [result] = self.write_many([lambda batch: fn(batch, *args)])
        if isinstance(result, BaseException):
            raise result
        return result  # type: ignore[no-any-return]


def _add_messages(batch: Batch, session_id: str, event_n: int, messages: Sequence[Message]) -> None:
    batch.messages.extend(
        {
            "session_id": session_id,
            "seq": message.seq,
            "event_n": event_n,
            "type": message.type,
            "json": dumps(message.to_wire()),
        }
        for message in messages
    )
