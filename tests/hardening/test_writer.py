"""The group-commit writer: many steps share a commit, a failing step fails alone, and
nothing is answered before it is committed."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from server.messages import messages_from_stored
from server.storage import Batch, Conflict, SessionRecord, Store
from server.storage.writer import Writer


def record(session_id: str) -> SessionRecord:
    return SessionRecord(
        id=session_id,
        scenario_id="x",
        mode="chat",
        seed=1,
        time_scale=1.0,
        token_hash="h",
        status="created",
        created_at=1.0,
    )


def message(seq: int, text: str = "line") -> dict[str, Any]:
    return {"type": "interviewer", "seq": seq, "text": text}


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store(f"sqlite:///{tmp_path}/w.db", tmp_path)
    for i in range(40):
        s.write(s.write_session, record(f"s{i}"))
        s.write(s.write_begin, f"s{i}", 1.0, messages_from_stored([message(1)]))
    yield s
    s.close()


def test_steps_share_commits_and_a_conflict_fails_alone(store: Store) -> None:
    calls: list[int] = []
    gate = threading.Event()

    def write_many(jobs: list[Any]) -> list[Any]:
        calls.append(len(jobs))
        gate.wait(5)  # hold the first batch so that the rest queue up behind it
        return store.write_many(jobs)

    writer = Writer(write_many)
    futures = [
        writer.submit(
            store.write_step,
            f"s{i}",
            1,
            {"type": "tick", "at": 1.0},
            1.0,
            messages_from_stored([message(2)]),
        )
        for i in range(40)
    ]
    # a second writer of step 1 of s7 (another replica, say): a duplicate
    duplicate = writer.submit(
        store.write_step,
        "s7",
        1,
        {"type": "tick", "at": 2.0},
        2.0,
        messages_from_stored([message(3)]),
    )
    time.sleep(0.2)
    assert not any(f.done() for f in futures)  # nothing is answered before its commit
    gate.set()
    for f in futures:
        assert f.result(10) is None
    with pytest.raises(Conflict):
        duplicate.result(10)
    writer.close()
    assert sum(calls) >= 41 and len(calls) < 41  # batched
    for i in range(40):
        assert [m["seq"] for m in store.load_messages(f"s{i}")] == [1, 2]
        assert [e.n for e in store.load_events(f"s{i}")] == [1]


def test_a_closed_writer_refuses_and_an_unused_one_has_no_thread(store: Store) -> None:
    writer = Writer(store.write_many)
    assert not writer._thread.is_alive()
    writer.close()
    with pytest.raises(RuntimeError):
        writer.submit(store.write_session, record("late")).result(5)


def test_jobs_see_one_transaction(store: Store) -> None:
    def both(db: Batch) -> int:
        store.write_step(
            db, "s1", 1, {"type": "tick", "at": 1.0}, 1.0, messages_from_stored([message(2)])
        )
        store.write_step(
            db,
            "s2",
            1,
            {"type": "tick", "at": 1.0},
            1.0,
            messages_from_stored([message(2), message(2)]),
        )
        return 1

    # the second half of the job breaks a key: neither half may stay
    [result] = store.write_many([both])
    assert isinstance(result, Conflict)
    assert store.load_events("s1") == [] and store.load_events("s2") == []
