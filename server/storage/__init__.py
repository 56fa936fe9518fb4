"""Storage: SQLAlchemy models, the `Store` repository and Alembic migrations."""

from server.storage.database import downgrade, migrate
from server.storage.records import (
    AudioTrack,
    Conflict,
    Ending,
    LoopRecord,
    ReviewState,
    SessionRecord,
    SessionSummary,
    StoredEvent,
)
from server.storage.store import Store
from server.storage.writes import Batch

__all__ = [
    "AudioTrack",
    "Batch",
    "Conflict",
    "Ending",
    "LoopRecord",
    "ReviewState",
    "SessionRecord",
    "SessionSummary",
    "Store",
    "StoredEvent",
    "downgrade",
    "migrate",
]
