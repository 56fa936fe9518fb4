"""Storage against SQLite always, and against PostgreSQL when MOCKLOOP_TEST_PG_URL is set
(required under CI)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from server_testing import new_session, pg_url
from sqlalchemy import create_engine, inspect

from interviewer import Scenario
from server.app import create_app
from server.messages import messages_from_stored, scores_from_stored
from server.settings import Settings
from server.storage import Conflict, Ending, SessionRecord, Store, downgrade, migrate
from server.storage.database import normalise_url
from server.storage.models import Base

TABLES = {"sessions", "events", "messages", "scores", "self_assessments", "notes"}


def _fresh_pg(url: str) -> None:
    engine = create_engine(url)
    try:
        downgrade(engine, "base")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/data/mockloop.db"
    url = pg_url()
    if url is None:
        pytest.fail(
            "MOCKLOOP_TEST_PG_URL is not set: run scripts/test-services.sh (make test does)"
        )
    _fresh_pg(url)
    return url


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    s = Store(db_url, tmp_path / "data")
    yield s
    s.close()


def record(session_id: str = "s1", **kw: Any) -> SessionRecord:
    base: dict[str, Any] = {
        "id": session_id,
        "scenario_id": "server-test-chat",
        "mode": "chat",
        "seed": 2**40,
        "time_scale": 1.0,
        "token_hash": "0" * 64,
        "status": "created",
        "created_at": time.time(),
    }
    base.update(kw)
    return SessionRecord(**base)


def msg(seq: int, type_: str = "interviewer", text: str = "line") -> dict[str, Any]:
    return {"type": type_, "seq": seq, "text": text, "at": 0.0}


def test_migrations_up_down_up(store: Store) -> None:
    assert set(inspect(store.engine).get_table_names()) >= TABLES
    downgrade(store.engine, "base")
    assert not TABLES & set(inspect(store.engine).get_table_names())
    migrate(store.engine)
    assert set(inspect(store.engine).get_table_names()) >= TABLES


def test_migrations_build_exactly_the_models_schema(store: Store) -> None:
    # A model changed without a migration (or the reverse) shows up here, not in production.
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_session_round_trip(store: Store) -> None:
    rec = record()
    store.write(store.write_session, rec)
    assert store.get_session("s1") == rec
    assert store.get_session("nope") is None
    store.write(store.write_begin, "s1", 1000.0, messages_from_stored([msg(1), msg(2)]))
    live = store.get_session("s1")
    assert live is not None and live.status == "live" and live.started_at == 1000.0
    assert store.live_session_ids() == ["s1"]
    with pytest.raises(Conflict):
        store.write(store.write_begin, "s1", 1001.0, messages_from_stored([msg(3)]))
    assert [m["seq"] for m in store.load_messages("s1")] == [1, 2]


def test_a_step_commits_event_messages_scores_and_end_together(store: Store) -> None:
    store.write(store.write_session, record())
    store.write(store.write_begin, "s1", 1000.0, messages_from_stored([msg(1)]))
    event = {"type": "said", "at": 3.5, "text": "ünïcode answer"}
    store.write(
        store.write_step,
        "s1",
        1,
        event,
        3.5,
        messages_from_stored([msg(2, "candidate", "ünïcode answer"), msg(3)]),
    )
    score = {"criterion": "c", "level": 3, "evidence": [{"turn": 0, "quote": "x", "seq": 2}]}
    not_shown = {"criterion": "d", "level": None, "evidence": []}
    store.write(
        store.write_step,
        "s1",
        2,
        {"type": "left", "at": 4.0},
        4.0,
        messages_from_stored([msg(4, "ended")]),
        scores_from_stored([score, not_shown]),
        Ending("left", 9.0),
    )
    assert [(e.n, e.at, e.data) for e in store.load_events("s1")] == [
        (1, 3.5, event),
        (2, 4.0, {"type": "left", "at": 4.0}),
    ]
    assert store.load_messages("s1", after=2) == [msg(3), msg(4, "ended")]
    assert store.message_event_numbers("s1") == [(1, 0), (2, 1), (3, 1), (4, 2)]
    assert store.load_scores("s1") == [score, not_shown]
    ended = store.get_session("s1")
    assert ended is not None
    assert (ended.status, ended.ended_at, ended.end_reason) == ("ended", 9.0, "left")
    [summary] = store.list_sessions()
    assert summary.turns == 1 and summary.status == "ended"


def test_a_failed_step_leaves_nothing_behind(store: Store) -> None:
    store.write(store.write_session, record())
    store.write(store.write_begin, "s1", 1000.0, messages_from_stored([msg(1)]))
    # seq 1 is taken: the whole step, event included, must roll back
    with pytest.raises(Conflict):
        store.write(
            store.write_step,
            "s1",
            1,
            {"type": "tick", "at": 1.0},
            1.0,
            messages_from_stored([msg(2), msg(1)]),
        )
    assert store.load_events("s1") == []
    assert [m["seq"] for m in store.load_messages("s1")] == [1]
    # a second writer of the same step number conflicts
    store.write(
        store.write_step, "s1", 1, {"type": "tick", "at": 1.0}, 1.0, messages_from_stored([msg(2)])
    )
    with pytest.raises(Conflict):
        store.write(
            store.write_step,
            "s1",
            1,
            {"type": "tick", "at": 2.0},
            2.0,
            messages_from_stored([msg(3)]),
        )
    assert [m["seq"] for m in store.load_messages("s1")] == [1, 2]


def test_list_sessions_newest_first_and_filtered(store: Store) -> None:
    store.write(store.write_session, record("a", created_at=1.0))
    store.write(store.write_session, record("b", created_at=2.0))
    store.write(store.write_session, record("c", created_at=3.0))
    assert [s.id for s in store.list_sessions()] == ["c", "b", "a"]
    assert [s.id for s in store.list_sessions(["a", "c", "zz"])] == ["c", "a"]
    assert store.list_sessions([]) == []
    assert store.list_sessions(["a"])[0].to_json()["replay"] == "/sessions/a"


def test_self_assessment_and_note(store: Store) -> None:
    store.write(store.write_session, record())
    store.set_self_assessment("s1", "clarity", 2)
    store.set_self_assessment("s1", "clarity", 4)
    store.set_note("s1", "practise the opening")
    assert store.load_self_assessment("s1") == {"clarity": 4}
    assert store.load_note("s1") == "practise the opening"


def test_delete_removes_every_row_and_the_audio(store: Store, tmp_path: Path) -> None:
    marker = "platypus-7781"
    for sid in ("gone", "kept"):
        store.write(store.write_session, record(sid))
        store.write(store.write_begin, sid, 1.0, messages_from_stored([msg(1)]))
        store.write(
            store.write_step,
            sid,
            1,
            {"type": "said", "at": 1.0, "text": marker},
            1.0,
            messages_from_stored([msg(2, "candidate", f"{marker} {sid}")]),
            scores_from_stored([{"criterion": "c", "level": 1, "evidence": [{"quote": marker}]}]),
        )
        store.set_self_assessment(sid, "c", 2)
        store.set_note(sid, marker)
    audio = store.audio_dir("gone")
    audio.mkdir(parents=True)
    (audio / "a.opus").write_bytes(b"x")
    assert store.delete_session("gone") is True
    assert store.delete_session("gone") is False
    assert store.get_session("gone") is None
    assert store.load_events("gone") == [] and store.load_messages("gone") == []
    assert store.load_scores("gone") == [] and store.load_note("gone") is None
    assert store.load_self_assessment("gone") == {}
    assert not audio.exists()
    assert store.load_messages("kept")[-1]["text"] == f"{marker} kept"
    if store.is_sqlite:
        files = sorted(tmp_path.glob("data/mockloop.db*"))
        assert files
        blob = b"".join(p.read_bytes() for p in files)
        assert f"{marker} gone".encode() not in blob
        wal = tmp_path / "data" / "mockloop.db-wal"
        assert not wal.exists() or wal.stat().st_size == 0


def test_sqlite_pragmas(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/x.db", tmp_path)
    try:
        with store.engine.connect() as conn:
            values = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "secure_delete", "foreign_keys")
            }
        # synchronous 2 is FULL
        assert values == {
            "journal_mode": "wal",
            "synchronous": 2,
            "secure_delete": 1,
            "foreign_keys": 1,
        }
    finally:
        store.close()


def test_interviews_run_and_resume_on_this_backend(
    db_url: str, tmp_path: Path, catalog: dict[str, Scenario]
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    with TestClient(create_app(settings, catalog=catalog)) as c:
        assert c.get("/healthz").json()["database"] == db_url.split(":")[0].split("+")[0]
        s = new_session(c)
        with c.websocket_connect(s["ws"]) as ws:
            ws.send_json({"type": "hello", "token": s["token"], "last_seq": 0})
            ws.receive_json(), ws.receive_json()
            ws.send_json({"type": "say", "text": "Answer one."})
            ws.receive_json(), ws.receive_json()
    app = create_app(settings, catalog=catalog)
    with TestClient(app) as c:
        with c.websocket_connect(s["ws"]) as ws:
            ws.send_json({"type": "hello", "token": s["token"], "last_seq": 3})
            assert ws.receive_json()["seq"] == 4
            ws.send_json({"type": "end"})
            assert ws.receive_json()["kind"] == "closing"  # the farewell
            assert ws.receive_json()["type"] == "ended"
        auth = {"Authorization": f"Bearer {s['token']}"}
        body = c.get(f"/api/sessions/{s['id']}", headers=auth).json()
        assert [m["seq"] for m in body["messages"]] == [1, 2, 3, 4, 5, 6]
        assert body["status"] == "ended"
        assert c.delete(f"/api/sessions/{s['id']}", headers=auth).status_code == 204
        assert app.state.store.load_events(s["id"]) == []


def test_plain_postgres_urls_mean_psycopg3() -> None:
    assert normalise_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert normalise_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
