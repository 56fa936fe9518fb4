"""Sign-ins: the hash of each login cookie's value and when it expires (a part of
`Store`)."""

from __future__ import annotations

import time

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from server.storage.models import LoginRow


class Logins:
    _sessions: sessionmaker[Session]

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
