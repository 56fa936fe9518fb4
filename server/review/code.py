"""The candidate's code over a coding round: the editor's snapshots, from the event log.

Each snapshot is stored as the engine event `edited`, at interview time; the replay and the
API give it at wall seconds since the session began (like every message's `at`), so that
the code beside a transcript line is the last snapshot at or before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from interviewer.parts import CodeTask
from server.storage import StoredEvent


def code_snapshots(events: Sequence[StoredEvent], time_scale: float) -> list[dict[str, Any]]:
    """`[{"at": seconds, "code": text}, ...]` in the order they were stored."""
    scale = time_scale if time_scale > 0 else 1.0
    return [
        {"at": round(e.at / scale, 3), "code": str(e.data.get("code", ""))}
        for e in events
        if e.data.get("type") == "edited"
    ]


def code_view(
    task: CodeTask | None, events: Sequence[StoredEvent], time_scale: float
) -> dict[str, Any] | None:
    """What a page or the API says of a coding round's code: the task, the starter, the
    latest snapshot and every snapshot (None for other rounds)."""
    if task is None:
        return None
    snapshots = code_snapshots(events, time_scale)
    return {
        "task": task.task,
        "starter": task.starter,
        "latest": snapshots[-1]["code"] if snapshots else None,
        "snapshots": snapshots,
    }
