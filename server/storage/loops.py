"""Full mock loops (a part of `Store`): a loop row names its rounds' sessions in order.

The loop and its sessions are written in one transaction, so a loop never names a
session that was not stored. Deleting a loop deletes its sessions the way
`delete_session` does (rows, the WAL's copies, the audio), then the loop row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from server.storage.models import LoopRow
from server.storage.records import LoopRecord, SessionRecord
from server.storage.writes import Batch, Writes


def _loop(row: LoopRow) -> LoopRecord:
    rounds = json.loads(row.rounds)
    return LoopRecord(
        id=row.id,
        loop_id=row.loop_id,
        title=row.title,
        mode=row.mode,
        seed=row.seed,
        time_scale=row.time_scale,
        token_hash=row.token_hash,
        created_at=row.created_at,
        rounds=tuple((str(r["scenario"]), str(r["session"])) for r in rounds),
    )


class Loops:
    _sessions: sessionmaker[Session]
    delete_session: Callable[[str], bool]

    @staticmethod
    def write_loop(batch: Batch, loop: LoopRecord, sessions: Sequence[SessionRecord]) -> None:
        """A new loop and the sessions of its rounds (status `created`), together."""
        for record in sessions:
            Writes.write_session(batch, record)
        batch.db.add(
            LoopRow(
                id=loop.id,
                loop_id=loop.loop_id,
                title=loop.title,
                mode=loop.mode,
                seed=loop.seed,
                time_scale=loop.time_scale,
                token_hash=loop.token_hash,
                created_at=loop.created_at,
                rounds=json.dumps([{"scenario": s, "session": sid} for s, sid in loop.rounds]),
            )
        )

    def get_loop(self, loop_id: str) -> LoopRecord | None:
        with self._sessions() as db:
            row = db.get(LoopRow, loop_id)
            return None if row is None else _loop(row)

    def get_loops(self, ids: Iterable[str]) -> list[LoopRecord]:
        """The loops among `ids` that exist, newest first: one query however many."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        with self._sessions() as db:
            rows = db.scalars(
                select(LoopRow)
                .where(LoopRow.id.in_(wanted))
                .order_by(LoopRow.created_at.desc(), LoopRow.id)
            )
            return [_loop(row) for row in rows]

    def loop_of_session(self, session_id: str) -> LoopRecord | None:
        """The loop a session is a round of, if any (a scan of the loops' round lists:
        loops are few, and this is asked once per practice page)."""
        needle = json.dumps(session_id)
        with self._sessions() as db:
            rows = db.scalars(select(LoopRow).where(LoopRow.rounds.contains(needle)))
            for row in rows:
                record = _loop(row)
                if session_id in record.session_ids:
                    return record
        return None

    def delete_loop(self, loop_id: str) -> bool:
        record = self.get_loop(loop_id)
        if record is None:
            return False
        for session_id in record.session_ids:
            self.delete_session(session_id)
        with self._sessions.begin() as db:
            db.execute(delete(LoopRow).where(LoopRow.id == loop_id))
        return True
