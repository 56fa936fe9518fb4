"""Storage: SQLAlchemy models, the `Store` repository and Alembic migrations."""

from server.storage.store import (
    AudioTrack,
    Conflict,
    Ending,
    ReviewState,
    SessionRecord,
    SessionSummary,
    Store,
    StoredEvent,
    downgrade,
    migrate,
)

__all__ = [
    "AudioTrack",
    "Conflict",
    "Ending",
    "ReviewState",
    "SessionRecord",
    "SessionSummary",
    "Store",
    "StoredEvent",
    "downgrade",
    "migrate",
]
