"""The websocket contract with FastAPI's test client (chat mode, no real network)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from server_testing import new_session
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from interviewer import Scenario
from server.app import create_app
from server.inbox import Connection, Said
from server.session import SessionDriver
from server.settings import Settings

Ws = Any


def hello(ws: Ws, token: str | None, last_seq: int = 0) -> None:
    message: dict[str, Any] = {"type": "hello", "last_seq": last_seq}
    if token is not None:
        message["token"] = token
    ws.send_json(message)


def receive(ws: Ws, n: int) -> list[dict[str, Any]]:
    return [ws.receive_json() for _ in range(n)]


def closed_with(ws: Ws) -> int:
    with pytest.raises(WebSocketDisconnect) as info:
        ws.receive_json()
    return info.value.code


def opening(ws: Ws, token: str) -> list[dict[str, Any]]:
    hello(ws, token)
    first = receive(ws, 2)
    assert [m["type"] for m in first] == ["phase", "interviewer"]
    return first


def test_hello_sends_the_opening(client: TestClient) -> None:
    s = new_session(client)
    with client.websocket_connect(s["ws"]) as ws:
        phase, line = opening(ws, s["token"])
    assert phase == {
        "type": "phase",
        "seq": 1,
        "phase": "main",
        "title": "Main part",
        "until": 300.0,
        "time_scale": 1.0,
        "at": 0.0,
    }
    assert line["seq"] == 2
    assert line["text"] == "Tell me about a project you are proud of."
    assert line["kind"] == "question"
    assert line["line_id"] == "opening"
    assert line["audio"] is None


def test_say_gets_candidate_turn_then_interviewer(client: TestClient) -> None:
    s = new_session(client)
    with client.websocket_connect(s["ws"]) as ws:
        opening(ws, s["token"])
        ws.send_json({"type": "say", "text": "  I am proud of the search ranker.  "})
        candidate, follow = receive(ws, 2)
    assert candidate["type"] == "candidate"
    assert candidate["seq"] == 3
    assert candidate["text"] == "I am proud of the search ranker."
    assert 0 <= candidate["start"] <= candidate["end"] < 5
    assert follow["type"] == "interviewer"
    assert follow["seq"] == 4
    assert follow["kind"] == "follow_up"
    assert follow["text"] == "What would you do differently?"


def test_time_scale_is_reported_in_wall_seconds(client: TestClient) -> None:
    s = new_session(client, time_scale=60)
    with client.websocket_connect(s["ws"]) as ws:
        phase, _ = opening(ws, s["token"])
    # the 5-minute phase ends 300 interview seconds in: 5 wall seconds at 60x
    assert phase["until"] == pytest.approx(5.0)
    assert phase["time_scale"] == 60


def test_resume_with_last_seq_loses_and_repeats_nothing(client: TestClient) -> None:
    s = new_session(client)
    seen: list[dict[str, Any]] = []
    with client.websocket_connect(s["ws"]) as ws:
        seen += opening(ws, s["token"])
        ws.send_json({"type": "say", "text": "The ranker."})
        # the connection drops before the client reads the answer
    with client.websocket_connect(s["ws"]) as ws:
        hello(ws, s["token"], last_seq=seen[-1]["seq"])
        missed = receive(ws, 2)
        assert [m["seq"] for m in missed] == [3, 4]
        seen += missed
        ws.send_json({"type": "say", "text": "More tests."})
        seen += receive(ws, 2)
    assert [m["seq"] for m in seen] == [1, 2, 3, 4, 5, 6]
    assert seen[-1]["text"] == "Anything else you want to add?"
    with client.websocket_connect(s["ws"]) as ws:
        hello(ws, s["token"], last_seq=0)
        assert receive(ws, 6) == seen


def test_wrong_token_gets_unauthorized_and_1008(client: TestClient) -> None:
    s = new_session(client)
    with client.websocket_connect(s["ws"]) as ws:
        hello(ws, "not-the-token")
        assert ws.receive_json() == {
            "type": "error",
            "code": "unauthorized",
            "message": "wrong or missing token",
        }
        assert closed_with(ws) == 1008


def test_missing_token_without_cookie_is_refused(client: TestClient) -> None:
    s = new_session(client)
    with client.websocket_connect(s["ws"]) as ws:
        hello(ws, None)
        assert ws.receive_json()["code"] == "unauthorized"
        assert closed_with(ws) == 1008


def test_unknown_session_is_refused(client: TestClient) -> None:
    with client.websocket_connect("/ws/sessions/0123456789abcdef") as ws:
        hello(ws, "whatever")
        assert ws.receive_json()["code"] == "not_found"
        assert closed_with(ws) == 1008


def test_cookie_authorises_the_creating_browser(client: TestClient) -> None:
    r = client.post("/api/sessions", json={"scenario": "server-test-chat", "mode": "chat"})
    s = r.json()
    with client.websocket_connect(s["ws"]) as ws:
        opening(ws, None)  # type: ignore[arg-type]


def test_cross_origin_handshake_is_refused_with_403(client: TestClient) -> None:
    s = new_session(client)
    evil = {"Origin": "http://evil.example"}
    with (
        pytest.raises(WebSocketDenialResponse) as info,
        client.websocket_connect(s["ws"], headers=evil),
    ):
        pass
    assert info.value.status_code == 403
    assert info.value.json()["error"]["code"] == "bad_origin"


def test_own_origin_is_accepted(client: TestClient) -> None:
    s = new_session(client)
    with client.websocket_connect(s["ws"], headers={"Origin": "http://testserver"}) as ws:
        opening(ws, s["token"])


def test_allowlisted_origin_is_accepted(
    tmp_path: Any, catalog: dict[str, Scenario], settings: Settings
) -> None:
    allowed = settings.model_copy(update={"allowed_origins": ["http://localhost:5173"]})
    with TestClient(create_app(allowed, catalog=catalog)) as c:
        s = new_session(c)
        with c.websocket_connect(s["ws"], headers={"Origin": "http://localhost:5173"}) as ws:
            opening(ws, s["token"])
        other = {"Origin": "http://localhost:5174"}
        with pytest.raises(WebSocketDenialResponse), c.websocket_connect(s["ws"], headers=other):
            pass


def test_bad_json_gets_an_error_and_the_session_goes_on(client: TestClient) -> None:
    s = new_session(client)
    with client.websocket_connect(s["ws"]) as ws:
        opening(ws, s["token"])
        ws.send_text("{not json")
        assert ws.receive_json()["code"] == "bad_json"
        ws.send_text("[1, 2]")
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_json({"type": "say", "text": 42})
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_json({"type": "fly"})
        assert ws.receive_json()["code"] == "unknown_type"
        ws.send_json({"type": "hello", "token": s["token"]})
        assert ws.receive_json()["code"] == "unexpected"
        ws.send_json({"type": "done"})
        assert ws.receive_json()["code"] == "unsupported"
        ws.send_json({"type": "turn_taking", "early": "yes"})
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_json({"type": "turn_taking", "early": False})
        assert ws.receive_json()["code"] == "unsupported"
        ws.send_json({"type": "playback", "seq": "x", "event": "started"})
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_json({"type": "say", "text": "Still here."})
        assert [m["seq"] for m in receive(ws, 2)] == [3, 4]


def test_oversized_frame_closes_with_1009(client: TestClient) -> None:
    s = new_session(client)
    with client.websocket_connect(s["ws"]) as ws:
        opening(ws, s["token"])
        ws.send_text(json.dumps({"type": "say", "text": "x" * (64 * 1024)}))
        assert ws.receive_json()["code"] == "too_big"
        assert closed_with(ws) == 1009


def test_first_message_must_be_hello(client: TestClient) -> None:
    s = new_session(client)
    with client.websocket_connect(s["ws"]) as ws:
        ws.send_json({"type": "say", "text": "hi"})
        assert ws.receive_json()["code"] == "expected_hello"
        assert closed_with(ws) == 1008


def test_invalid_hello_closes_with_1007(client: TestClient) -> None:
    s = new_session(client)
    with client.websocket_connect(s["ws"]) as ws:
        ws.send_json({"type": "hello", "token": s["token"], "last_seq": -1})
        assert ws.receive_json()["code"] == "bad_hello"
        assert closed_with(ws) == 1007


def test_binary_frames_in_chat_mode_close_with_1003(client: TestClient) -> None:
    s = new_session(client)
    with client.websocket_connect(s["ws"]) as ws:
        opening(ws, s["token"])
        ws.send_bytes(b"\x00\x01" * 256)
        assert ws.receive_json()["code"] == "unsupported"
        assert closed_with(ws) == 1003


def test_rate_limit_warns_then_closes_with_1008(
    catalog: dict[str, Scenario], settings: Settings
) -> None:
    tight = settings.model_copy(update={"rate_messages_per_second": 0.01, "rate_messages_burst": 2})
    with TestClient(create_app(tight, catalog=catalog)) as c:
        s = new_session(c)
        with c.websocket_connect(s["ws"]) as ws:
            opening(ws, s["token"])
            for _ in range(2):
                ws.send_json({"type": "fly"})
                assert ws.receive_json()["code"] == "unknown_type"
            ws.send_json({"type": "fly"})
            assert ws.receive_json()["code"] == "rate_limited"
            ws.send_json({"type": "fly"})
            assert ws.receive_json()["code"] == "rate_limited"
            assert closed_with(ws) == 1008


def test_end_sends_ended_and_closes(client: TestClient) -> None:
    s = new_session(client)
    with client.websocket_connect(s["ws"]) as ws:
        opening(ws, s["token"])
        ws.send_json({"type": "say", "text": "We cut p99 latency by 40 ms."})
        receive(ws, 2)
        ws.send_json({"type": "end"})
        farewell = ws.receive_json()
        ended = ws.receive_json()
        assert closed_with(ws) == 1000
    assert (farewell["type"], farewell["kind"], farewell["line_id"]) == (
        "interviewer",
        "closing",
        "farewell",
    )
    assert ended["type"] == "ended"
    assert ended["seq"] == 6
    assert ended["reason"] == "left"
    assert ended["replay"] == f"/sessions/{s['id']}"
    r = client.get(f"/api/sessions/{s['id']}", headers={"Authorization": f"Bearer {s['token']}"})
    body = r.json()
    assert body["status"] == "ended"
    assert body["messages"][-1] == ended
    [score] = body["scores"]
    assert score["criterion"] == "specificity" and score["level"] == 5
    # evidence links to the candidate message it quotes
    assert score["evidence"][0]["seq"] == 3


def test_script_runs_to_completion_with_closing_line(client: TestClient) -> None:
    s = new_session(client)
    with client.websocket_connect(s["ws"]) as ws:
        opening(ws, s["token"])
        for text in ("One.", "Two."):
            ws.send_json({"type": "say", "text": text})
            receive(ws, 2)
        ws.send_json({"type": "say", "text": "Three."})
        candidate, closing, ended = receive(ws, 3)
        assert closed_with(ws) == 1000
    assert candidate["text"] == "Three."
    assert closing["kind"] == "closing" and closing["text"] == "That's time. Thank you."
    assert ended["reason"] == "completed"
    # an ended session replays its messages to a late hello, then closes
    with client.websocket_connect(s["ws"]) as ws:
        hello(ws, s["token"], last_seq=8)
        assert ws.receive_json() == ended
        assert closed_with(ws) == 1000


def test_timers_fire_while_the_candidate_says_nothing(client: TestClient) -> None:
    # 600x: the 2-minute constraint is due 0.2 s in, the 10-minute end 1 s in
    s = new_session(client, time_scale=600)
    with client.websocket_connect(s["ws"]) as ws:
        opening(ws, s["token"])
        messages: list[dict[str, Any]] = []
        while not messages or messages[-1]["type"] != "ended":
            messages.append(ws.receive_json())
    constraint = next(m for m in messages if m.get("kind") == "constraint")
    assert constraint["text"] == "New constraint: your budget was just halved."
    assert constraint["at"] == pytest.approx(0.2, abs=0.15)
    assert messages[-1]["reason"] == "time"
    assert messages[-1]["at"] == pytest.approx(1.0, abs=0.3)
    seqs = [m["seq"] for m in messages]
    assert seqs == list(range(3, 3 + len(seqs)))


def test_every_connection_receives_and_may_send(client: TestClient) -> None:
    s = new_session(client)
    with client.websocket_connect(s["ws"]) as a, client.websocket_connect(s["ws"]) as b:
        opening(a, s["token"])
        hello(b, s["token"], last_seq=2)
        b.send_json({"type": "say", "text": "From tab b."})
        got_b = receive(b, 2)
        got_a = receive(a, 2)
    assert got_a == got_b
    assert got_a[0]["text"] == "From tab b."


def test_deleting_a_live_session_closes_its_sockets(client: TestClient) -> None:
    s = new_session(client)
    auth = {"Authorization": f"Bearer {s['token']}"}
    with client.websocket_connect(s["ws"]) as ws:
        opening(ws, s["token"])
        assert client.delete(f"/api/sessions/{s['id']}", headers=auth).status_code == 204
        assert ws.receive_json()["code"] == "deleted"
        assert closed_with(ws) == 1000
    assert client.get(f"/api/sessions/{s['id']}", headers=auth).status_code == 404


def test_a_new_server_resumes_from_the_stored_log(
    settings: Settings, catalog: dict[str, Scenario]
) -> None:
    with TestClient(create_app(settings, catalog=catalog)) as c:
        s = new_session(c)
        with c.websocket_connect(s["ws"]) as ws:
            opening(ws, s["token"])
            ws.send_json({"type": "say", "text": "First answer."})
            receive(ws, 2)
    app2: FastAPI = create_app(settings, catalog=catalog)
    with TestClient(app2) as c:
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"], last_seq=4)
            ws.send_json({"type": "say", "text": "Second answer."})
            candidate, line = receive(ws, 2)
        assert (candidate["seq"], line["seq"]) == (5, 6)
        assert line["text"] == "Anything else you want to add?"
        store = app2.state.store
        assert [e.n for e in store.load_events(s["id"])] == [1, 2]
        assert [m["seq"] for m in store.load_messages(s["id"])] == [1, 2, 3, 4, 5, 6]


def test_no_transcript_text_in_logs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    marker = "zebra-marker-7731"
    s = new_session(client)
    with client.websocket_connect(s["ws"]) as ws:
        opening(ws, s["token"])
        ws.send_json({"type": "say", "text": f"My {marker} answer"})
        receive(ws, 2)
        ws.send_text("{" + marker)
        receive(ws, 1)
        ws.send_json({"type": "end"})
        receive(ws, 1)
    client.get(f"/api/sessions/{s['id']}", headers={"Authorization": f"Bearer {s['token']}"})
    assert caplog.records, "the test should have captured some log records"
    assert marker not in caplog.text


class FakeVoice:
    """Stands in for the speech pipeline: counts PCM bytes, commits a turn on done."""

    def __init__(self, driver: SessionDriver, conn: Connection, scenario: Scenario) -> None:
        self.driver, self.conn, self.scenario = driver, conn, scenario
        self.received = 0
        self.playbacks: list[tuple[int, str]] = []
        self.early: list[bool] = []

    async def feed(self, pcm: bytes) -> None:
        self.received += len(pcm)
        self.conn.send({"type": "partial", "text": f"{self.received} bytes"})

    async def done(self) -> None:
        self.driver.submit(Said(self.conn, f"heard {self.received} bytes", start=0.5, end=1.5))

    def playback(self, seq: int, event: str) -> None:
        self.playbacks.append((seq, event))

    def set_early(self, on: bool) -> None:
        self.early.append(on)

    async def aclose(self) -> None:
        pass


def test_voice_mode_routes_audio_to_the_voice_channel(
    settings: Settings, catalog: dict[str, Scenario]
) -> None:
    app = create_app(settings, catalog=catalog, audio_url=lambda sc, say: f"/a/{say.line_id}")
    channels: list[FakeVoice] = []

    def factory(driver: SessionDriver, conn: Connection, scenario: Scenario) -> FakeVoice:
        channels.append(FakeVoice(driver, conn, scenario))
        return channels[-1]

    app.state.voice_factory = factory
    with TestClient(app) as c:
        chat = new_session(c)
        with c.websocket_connect(chat["ws"]) as ws:
            _, line = opening(ws, chat["token"])
            assert line["audio"] is None  # chat mode never has audio
        s = new_session(c, mode="voice")
        with c.websocket_connect(s["ws"]) as ws:
            _, line = opening(ws, s["token"])
            assert line["audio"] == "/a/opening"
            ws.send_bytes(b"\x00\x00" * 512)
            assert ws.receive_json() == {"type": "partial", "text": "1024 bytes"}
            ws.send_json({"type": "playback", "seq": 2, "event": "ended"})
            ws.send_json({"type": "turn_taking", "early": False})
            ws.send_json({"type": "done"})
            candidate, follow = receive(ws, 2)
    assert channels[-1].scenario.id == "server-test-chat"
    assert channels[-1].playbacks == [(2, "ended")]
    assert channels[-1].early == [False]
    assert (candidate["text"], candidate["start"], candidate["end"]) == (
        "heard 1024 bytes",
        0.5,
        1.5,
    )
    assert follow["audio"] == "/a/second"


def test_a_restarted_server_runs_live_sessions_with_nobody_connected(
    settings: Settings, catalog: dict[str, Scenario]
) -> None:
    with TestClient(create_app(settings, catalog=catalog)) as c:
        s = new_session(c, time_scale=600)  # the round ends 1 s after the first hello
        with c.websocket_connect(s["ws"]) as ws:
            opening(ws, s["token"])
    app = create_app(settings, catalog=catalog)
    auth = {"Authorization": f"Bearer {s['token']}"}
    with TestClient(app) as c:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            body = c.get(f"/api/sessions/{s['id']}", headers=auth).json()
            if body["status"] == "ended":
                break
            time.sleep(0.1)
    assert body["status"] == "ended" and body["end_reason"] == "time"
    kinds = [m.get("kind") for m in body["messages"]]
    assert kinds.count("constraint") == 1 and kinds[-2] == "closing"
