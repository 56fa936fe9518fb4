"""Faults: the server killed with SIGKILL over and over, connections dropped every way a
connection can drop, a second replica on the same PostgreSQL, a peer that goes silent.
After each: nothing acknowledged is lost, nothing is repeated, seq stays contiguous."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from hardening_support import (
    CHAT,
    LONG,
    ForkedServer,
    InProcessServer,
    Tally,
    http,
    resuming_client,
    write_long_scenario,
    zygote,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from interviewer import load_catalog
from server.main import uvicorn_options
from server.settings import Settings

pytestmark = pytest.mark.slow


def new_session(base: str, scenario: str = LONG, **body: Any) -> dict[str, Any]:
    data: dict[str, Any] = http("POST", base + "/api/sessions", {"scenario": scenario, **body})
    return data


def stored_messages(base: str, s: dict[str, Any]) -> list[dict[str, Any]]:
    body = http("GET", f"{base}/api/sessions/{s['id']}", headers=bearer(s))
    messages: list[dict[str, Any]] = body["messages"]
    return messages


def bearer(s: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {s['token']}"}


def check_session(tally: Tally, stored: list[dict[str, Any]], label: str) -> None:
    """Nothing lost, nothing repeated, seq contiguous, every answer answered."""
    assert tally.duplicates == 0, f"{label}: {tally.duplicates} seq received twice"
    assert tally.gaps == 0, f"{label}: {tally.gaps} seq skipped"
    assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1)), label
    # what the client saw is exactly the stored log, in order (it may have missed the tail)
    assert stored[: len(tally.received)] == tally.received, label
    texts = [m["text"] for m in stored if m["type"] == "candidate"]
    assert len(texts) == len(set(texts)), f"{label}: an answer was stored twice"
    lost = set(tally.acked) - set(texts)
    assert not lost, f"{label}: acknowledged answers lost: {sorted(lost)}"
    assert set(texts) <= set(tally.sent), label
    # every stored answer got its interviewer reply, committed with it
    for i, m in enumerate(stored):
        if m["type"] == "candidate":
            assert stored[i + 1]["type"] == "interviewer", f"{label}: no reply after seq {i + 1}"


def integrity_ok(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


# ------------------------------------------------------------------ (a) SIGKILL


def test_thirty_sigkills_during_twenty_sessions_lose_nothing(tmp_path: Path) -> None:
    scenarios = write_long_scenario(tmp_path / "scenarios")
    env = {
        "MOCKLOOP_SCENARIOS_DIR": str(scenarios),
        "MOCKLOOP_RATE_MESSAGES_PER_SECOND": "100",
        "MOCKLOOP_RATE_MESSAGES_BURST": "100",
    }
    rng = random.Random(20240611)
    with zygote() as z:
        server = ForkedServer(z, tmp_path / "data", env)
        server.start()
        sessions = [new_session(server.url) for _ in range(20)]
        progress: list[int] = []

        async def run() -> list[Tally]:
            stop = asyncio.Event()
            tallies = [Tally() for _ in sessions]
            clients = [
                asyncio.create_task(
                    resuming_client(server.ws_url, s, t, stop, label=f"s{i}", think=0.02)
                )
                for i, (s, t) in enumerate(zip(sessions, tallies, strict=True))
            ]
            loop = asyncio.get_running_loop()
            acked = 0
            for _ in range(30):
                # kill in the middle of the traffic: once the clients are back and
                # answering, at a random moment, some answers in flight and some not
                deadline = time.monotonic() + 10
                while sum(len(t.acked) for t in tallies) < acked + 20:
                    assert time.monotonic() < deadline, "no traffic after a restart"
                    await asyncio.sleep(0.02)
                await asyncio.sleep(rng.uniform(0.0, 0.3))
                await loop.run_in_executor(None, server.kill)
                now = sum(len(t.acked) for t in tallies)
                progress.append(now - acked)
                acked = now
                await loop.run_in_executor(None, server.start)
            await asyncio.sleep(1.0)
            stop.set()
            await asyncio.wait_for(asyncio.gather(*clients), timeout=30)
            return tallies

        started = time.monotonic()
        tallies = asyncio.run(run())
        elapsed = time.monotonic() - started
        for i, (s, t) in enumerate(zip(sessions, tallies, strict=True)):
            check_session(t, stored_messages(server.url, s), f"session {i}")
            # a client between two tries can sleep through a short-lived server
            assert t.connections >= 15, f"session {i} reconnected only {t.connections} times"
        server.stop()
        log = server.log()
    # the traffic really ran between the kills
    assert all(p >= 20 for p in progress), progress
    assert "Traceback" not in log
    integrity_ok(tmp_path / "data" / "mockloop.db")
    print(f"30 SIGKILLs, {sum(progress)} acknowledged turns, {elapsed:.1f} s")


# ------------------------------------------------------------------ (b) dropped connections


async def drop(ws: ClientConnection, kind: str) -> None:
    if kind == "close":
        await ws.close()
    elif kind == "reset":
        ws.transport.abort()  # RST, no close frame
    else:
        # silent: stop reading (so no pong either) and walk away; the server's pings
        # find out. The socket is torn down at the end of the test.
        ws.transport.pause_reading()


async def dropping_client(
    ws_url: str, s: dict[str, Any], tally: Tally, label: str, drops: int, rng: random.Random
) -> list[ClientConnection]:
    silent: list[ClientConnection] = []
    url = ws_url + s["ws"]
    for n in range(drops):
        kind = ("close", "reset", "silent")[n % 3]
        ws = await connect(url, open_timeout=10, compression=None)
        tally.connections += 1
        hello = {"type": "hello", "token": s["token"], "last_seq": tally.last_seq}
        await ws.send(json.dumps(hello))
        text = f"{label} answer {n}"
        tally.sent.append(text)
        await ws.send(json.dumps({"type": "say", "text": text}))
        # drop at a random point: before the echo, after the echo, after the reply
        point = rng.choice(("sent", "echo", "reply"))
        try:
            while point != "sent":
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                tally.take(message)
                if point == "echo" and message.get("text") == text:
                    break
                if (
                    point == "reply"
                    and tally.acked[-1:] == [text]
                    and (message["type"] == "interviewer")
                ):
                    break
        except ConnectionClosed:
            pass
        await drop(ws, kind)
        if kind == "silent":
            silent.append(ws)
    # a last, well-behaved connection collects whatever is still owed
    async with connect(url, open_timeout=10, compression=None) as ws:
        hello = {"type": "hello", "token": s["token"], "last_seq": tally.last_seq}
        await ws.send(json.dumps(hello))
        try:
            while True:
                tally.take(json.loads(await asyncio.wait_for(ws.recv(), timeout=1.5)))
        except TimeoutError:
            pass
    return silent


def test_fifty_sessions_with_twenty_drops_each_resume_exactly(
    settings: Settings, tmp_path: Path
) -> None:
    scenarios = write_long_scenario(tmp_path / "scenarios")
    fast_pings = settings.model_copy(
        update={
            "scenarios_dir": scenarios,
            "ping_interval": 1.0,
            "ping_timeout": 2.0,
            "rate_sessions_per_minute": 1000,
        }
    )
    rng = random.Random(50 * 20)
    with InProcessServer(fast_pings, catalog=load_catalog(scenarios)) as server:
        sessions = [new_session(server.url) for _ in range(50)]
        tallies = [Tally() for _ in sessions]

        async def run() -> None:
            silent = await asyncio.gather(
                *(
                    dropping_client(server.ws_url, s, t, f"s{i}", 20, random.Random(rng.random()))
                    for i, (s, t) in enumerate(zip(sessions, tallies, strict=True))
                )
            )
            # the silent sockets were noticed by the server's pings meanwhile
            for ws in (w for group in silent for w in group):
                ws.transport.abort()

        asyncio.run(asyncio.wait_for(run(), timeout=120))
        for i, (s, t) in enumerate(zip(sessions, tallies, strict=True)):
            stored = stored_messages(server.url, s)
            check_session(t, stored, f"session {i}")
            assert stored == t.received, f"session {i}: the last connection missed messages"
            assert len(t.acked) == 20, f"session {i}: {len(t.acked)} of 20 answers committed"
        errors = server.errors.messages()
    assert errors == []


# ------------------------------------------------------------------ (c) replicas on PostgreSQL


def test_a_session_moves_to_another_replica_on_postgresql(
    tmp_path: Path, pg_schema_url: str
) -> None:
    env = {
        "MOCKLOOP_DATABASE_URL": pg_schema_url,
        "MOCKLOOP_SCENARIOS_DIR": str(write_long_scenario(tmp_path / "scenarios")),
    }
    with zygote() as z:
        a = ForkedServer(z, tmp_path / "a", env)
        b = ForkedServer(z, tmp_path / "b", env)
        a.start()
        b.start()
        s = new_session(a.url)
        tally = Tally()

        async def answer(ws_url: str, n: int, first: int) -> None:
            async with connect(ws_url + s["ws"], compression=None) as ws:
                hello = {"type": "hello", "token": s["token"], "last_seq": tally.last_seq}
                await ws.send(json.dumps(hello))
                for k in range(first, first + n):
                    text = f"answer {k}"
                    tally.sent.append(text)
                    await ws.send(json.dumps({"type": "say", "text": text}))
                    while tally.replies < k:
                        tally.take(json.loads(await asyncio.wait_for(ws.recv(), 10)))

        asyncio.run(answer(a.ws_url, 3, 1))
        a.kill()  # replica A dies; the session's log is in PostgreSQL
        asyncio.run(answer(b.ws_url, 3, 4))
        stored = stored_messages(b.url, s)
        b.stop()
    check_session(tally, stored, "moved session")
    assert stored == tally.received
    assert [m["text"] for m in stored if m["type"] == "candidate"] == [
        f"answer {k}" for k in range(1, 7)
    ]
    assert [m["text"] for m in stored if m["type"] == "interviewer"] == [
        f"Question {k}?" for k in range(1, 8)
    ]


# ------------------------------------------------------------------ (d) a silent peer


def test_default_pings_notice_a_silent_peer_within_25_seconds() -> None:
    defaults = Settings()
    assert defaults.ping_interval == 10
    assert defaults.ping_interval + defaults.ping_timeout <= 25
    options = uvicorn_options(defaults)
    assert options["ws_ping_interval"] == defaults.ping_interval
    assert options["ws_ping_timeout"] == defaults.ping_timeout


def test_a_silent_peer_is_closed_and_forgotten(settings: Settings) -> None:
    interval, timeout = 1.0, 1.5
    quick = settings.model_copy(update={"ping_interval": interval, "ping_timeout": timeout})
    with InProcessServer(quick, catalog=load_catalog(settings.scenarios_dir)) as server:
        s = new_session(server.url, CHAT)
        registry = server.app.state.registry

        async def run() -> float:
            ws = await connect(server.ws_url + s["ws"], compression=None)
            await ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
            for _ in range(2):
                await ws.recv()
            driver = registry.get(s["id"])
            assert driver is not None and len(driver.conns) == 1
            ws.transport.pause_reading()  # silent: reads nothing, answers no ping
            went_silent = time.monotonic()
            while driver.conns:
                assert time.monotonic() - went_silent < interval + timeout + 3, "not noticed"
                await asyncio.sleep(0.05)
            noticed = time.monotonic() - went_silent
            ws.transport.resume_reading()
            with pytest.raises(ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), timeout=5)
            return noticed

        noticed = asyncio.run(run())
        # the driver keeps the interview (its clock runs), only the connection is gone
        driver = registry.get(s["id"])
        assert driver is not None and not driver.conns
        assert server.errors.messages() == []
    assert noticed <= interval + timeout + 1.0
