"""Storage: SQLAlchemy models, the `Store` repository and Alembic migrations."""

from server.storage.store import (
    Conflict,
    Ending,
    SessionRecord,
    SessionSummary,
    Store,
    StoredEvent,
    downgrade,
    migrate,
)

__all__ = [
    "Conflict",
    "Ending",
    "SessionRecord",
    "SessionSummary",
    "Store",
    "StoredEvent",
    "downgrade",
    "migrate",
]
