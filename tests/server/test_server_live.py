"""Against a real server process on a free port with a temporary data dir: kill -9 in the
middle of an interview, restart, resume; timed constraints on the wall clock."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import LiveServer as Server
from server_testing import TEST_SCENARIOS
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.sync.connection import Connection as WsConnection
from websockets.typing import Origin

from interviewer import load_catalog

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Any]:
    servers: list[Server] = []

    def make(**kw: Any) -> Server:
        server = Server(tmp_path / "data", **kw)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def recv(ws: WsConnection, timeout: float) -> dict[str, Any] | None:
    """The next message, or None on timeout or close."""
    try:
        data: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
        return data
    except (TimeoutError, ConnectionClosed):
        return None


def test_kill_9_restart_resume_nothing_lost_or_repeated(make_server: Any) -> None:
    server = make_server(scenarios=TEST_SCENARIOS, cli=True)
    server.start()
    r = httpx.post(
        server.base + "/api/sessions",
        json={"scenario": "server-test-chat", "mode": "chat", "time_scale": 60},
    )
    assert r.status_code == 201
    s = r.json()
    received: list[dict[str, Any]] = []

    ws = server.ws(s["ws"])
    ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
    started = time.monotonic()
    for _ in range(2):
        m = recv(ws, 10)
        assert m is not None
        received.append(m)
    ws.send(json.dumps({"type": "say", "text": "Answer one."}))
    for _ in range(2):
        m = recv(ws, 10)
        assert m is not None
        received.append(m)
    assert [m["seq"] for m in received] == [1, 2, 3, 4]
    # the second answer leaves, and the server dies before the client reads a reply
    ws.send(json.dumps({"type": "say", "text": "Answer two."}))
    server.kill9()
    with contextlib.suppress(Exception):
        ws.close()

    server.start()  # same port, same data dir
    ws = server.ws(s["ws"])
    ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": received[-1]["seq"]}))
    resumed: list[dict[str, Any]] = []
    while (m := recv(ws, 1.0)) is not None:
        resumed.append(m)
        if m["type"] == "ended":
            break
    if not any(m.get("text") == "Answer two." for m in resumed):
        # the turn was not committed before the kill: the client says it again
        ws.send(json.dumps({"type": "say", "text": "Answer two."}))
    while resumed[-1:] == [] or resumed[-1]["type"] != "ended":
        m = recv(ws, 15)
        assert m is not None, f"no ended after {resumed}"
        resumed.append(m)
    ws.close()
    wall = time.monotonic() - started
    received += resumed

    seqs = [m["seq"] for m in received]
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    assert [m.get("text") for m in received].count("Answer two.") == 1
    kinds = [m.get("kind") for m in received if m["type"] == "interviewer"]
    assert "constraint" in kinds and kinds[-1] == "closing"
    ended = received[-1]
    assert ended["reason"] == "time"
    # The clock is the stored one: a restart neither resets nor pauses the interview.
    # 10 interview minutes at 60x end 10 wall seconds after the first hello.
    assert ended["at"] == pytest.approx(10.0, rel=0.15)
    assert wall == pytest.approx(10.0, rel=0.25)
    constraint = next(m for m in received if m.get("kind") == "constraint")
    assert constraint["at"] >= 2.0 - 0.05

    auth = {"Authorization": f"Bearer {s['token']}"}
    body = httpx.get(f"{server.base}/api/sessions/{s['id']}", headers=auth).json()
    assert body["messages"] == received
    assert body["status"] == "ended"


def test_system_design_constraints_arrive_on_time(make_server: Any) -> None:
    scenario_id = "design-inference-serving"
    scenario = load_catalog()[scenario_id]
    scale = 60.0
    due = sorted(float(t.at) / scale for t in scenario.timers if t.kind == "constraint")
    assert len(due) >= 2
    server = make_server(scenarios=None)
    server.start()
    s = httpx.post(
        server.base + "/api/sessions",
        json={"scenario": scenario_id, "mode": "chat", "time_scale": scale},
    ).json()
    with server.ws(s["ws"]) as ws:
        ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
        t0 = time.monotonic()
        arrivals: list[tuple[float, dict[str, Any]]] = []
        # the candidate says nothing at all
        while len([1 for _, m in arrivals if m.get("kind") == "constraint"]) < len(due):
            m = recv(ws, due[-1] * 1.3)
            assert m is not None, f"constraints missing; got {[x[1] for x in arrivals]}"
            arrivals.append((time.monotonic() - t0, m))
            if m["type"] == "ended":
                break
    got = [(t, m) for t, m in arrivals if m.get("kind") == "constraint"]
    assert len(got) == len(due)
    for (t, m), expected in zip(got, due, strict=True):
        assert t == pytest.approx(expected, rel=0.15), (m["line_id"], t, expected)
        assert m["at"] == pytest.approx(expected, rel=0.15)


def test_real_server_limits_origin_and_quiet_logs(make_server: Any) -> None:
    server = make_server(scenarios=TEST_SCENARIOS)
    server.start()
    s = httpx.post(server.base + "/api/sessions", json={"scenario": "server-test-chat"}).json()
    url = f"ws://127.0.0.1:{server.port}{s['ws']}"

    with pytest.raises(InvalidStatus) as info:
        connect(url, origin=Origin("http://evil.example"), open_timeout=10)
    assert info.value.response.status_code == 403

    marker = "wombat-5521"
    own = Origin(f"http://127.0.0.1:{server.port}")
    with connect(url, origin=own, open_timeout=10, compression=None) as ws:
        ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
        first = [recv(ws, 10) or {} for _ in range(2)]
        assert [m.get("type") for m in first] == ["phase", "interviewer"]
        ws.send(json.dumps({"type": "say", "text": f"My {marker} answer."}))
        assert (recv(ws, 10) or {}).get("text") == f"My {marker} answer."
        recv(ws, 10)
        # the server's own frame limit (64 KiB), enforced below the app by uvicorn
        ws.send("x" * (64 * 1024 + 1))
        with pytest.raises(ConnectionClosed):
            while True:
                ws.recv(timeout=10)
    assert ws.close_code == 1009
    server.stop()
    log = server.log()
    assert "GET /healthz" in log  # the log is really there
    assert marker not in log
    assert s["token"] not in log
