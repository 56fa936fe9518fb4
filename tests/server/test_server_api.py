"""The HTTP half of the wire contract."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from server_testing import SCENARIO, new_session

from interviewer import Scenario
from server.app import create_app
from server.security import cookie_name
from server.settings import Settings


def bearer(s: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {s['token']}"}


def finish(client: TestClient, s: dict[str, Any], answers: list[str]) -> None:
    with client.websocket_connect(s["ws"]) as ws:
        ws.send_json({"type": "hello", "token": s["token"], "last_seq": 0})
        ws.receive_json(), ws.receive_json()
        for text in answers:
            ws.send_json({"type": "say", "text": text})
            ws.receive_json(), ws.receive_json()
        ws.send_json({"type": "end"})
        ws.receive_json()


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"] == "sqlite"
    assert body["scenarios"] == 1


def test_scenarios_list(client: TestClient) -> None:
    r = client.get("/api/scenarios")
    assert r.status_code == 200
    assert r.json() == [
        {
            "id": SCENARIO,
            "title": "Server test chat",
            "round": "behavioral",
            "minutes": 10,
            "modes": ["chat", "voice"],
            "summary": "Three questions, one constraint at minute two, a phase of five minutes.",
        }
    ]


def test_create_session_answers_201_and_sets_a_strict_cookie(client: TestClient) -> None:
    r = client.post("/api/sessions", json={"scenario": SCENARIO, "mode": "chat", "seed": 7})
    assert r.status_code == 201
    body = r.json()
    assert set(body) >= {"id", "token", "ws", "replay"}
    assert body["ws"] == f"/ws/sessions/{body['id']}"
    assert body["replay"] == f"/sessions/{body['id']}"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{cookie_name(body['id'])}={body['token']};")
    lowered = cookie.lower()
    assert "httponly" in lowered
    assert "samesite=strict" in lowered
    assert "path=/" in lowered
    # the cookie alone authorises this browser
    assert client.get(f"/api/sessions/{body['id']}").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"scenario": SCENARIO, "mode": "video"},
        {"scenario": SCENARIO, "time_scale": 0.5},
        {"scenario": SCENARIO, "time_scale": 601},
        {"scenario": SCENARIO, "seed": "7"},
        {"scenario": SCENARIO, "seed": -1},
        {"scenario": SCENARIO, "colour": "blue"},
    ],
)
def test_bad_body_is_422_json(client: TestClient, body: dict[str, Any]) -> None:
    r = client.post("/api/sessions", json=body)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"]


def test_non_json_body_is_422(client: TestClient) -> None:
    r = client.post("/api/sessions", content=b"{oops", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


def test_unknown_scenario_is_404(client: TestClient) -> None:
    r = client.post("/api/sessions", json={"scenario": "nope", "mode": "chat"})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "unknown_scenario"


def test_session_auth_401_403_404(client: TestClient) -> None:
    s = new_session(client)
    url = f"/api/sessions/{s['id']}"
    r = client.get(url)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"
    r = client.get(url, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    r = client.get(url, headers={"Cookie": f"{cookie_name(s['id'])}=wrong"})
    assert r.status_code == 403
    assert client.get("/api/sessions/ffffffffffffffff", headers=bearer(s)).status_code == 404
    # another session's token does not open this one
    other = new_session(client)
    assert client.get(url, headers=bearer(other)).status_code == 403
    r = client.get(url, headers=bearer(s))
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == s["id"]
    assert body["scenario"] == SCENARIO
    assert body["mode"] == "chat"
    assert body["status"] == "created"
    assert body["messages"] == [] and body["scores"] == []
    assert body["metrics"]["candidate_turns"] == 0


def test_tokens_in_the_query_string_do_not_authorise(client: TestClient) -> None:
    s = new_session(client)
    r = client.get(f"/api/sessions/{s['id']}", params={"token": s["token"]})
    assert r.status_code == 401


def test_session_after_an_interview(client: TestClient) -> None:
    s = new_session(client)
    finish(client, s, ["We shipped it in 6 weeks."])
    body = client.get(f"/api/sessions/{s['id']}", headers=bearer(s)).json()
    assert body["status"] == "ended"
    assert body["end_reason"] == "left"
    assert [m["seq"] for m in body["messages"]] == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]  # ... the farewell, then ended
    assert body["metrics"]["candidate_turns"] == 1
    assert body["metrics"]["candidate_words"] == 6
    assert body["scores"][0]["level"] == 5


def test_delete_removes_the_session(client: TestClient, settings: Settings) -> None:
    s = new_session(client)
    finish(client, s, ["Quokka answer."])
    audio = settings.data_dir / "audio" / s["id"]
    audio.mkdir(parents=True)
    (audio / "turn1.opus").write_bytes(b"fake")
    url = f"/api/sessions/{s['id']}"
    assert client.delete(url).status_code == 401
    assert client.delete(url, headers={"Authorization": "Bearer no"}).status_code == 403
    r = client.delete(url, headers=bearer(s))
    assert r.status_code == 204
    assert client.get(url, headers=bearer(s)).status_code == 404
    assert client.delete(url, headers=bearer(s)).status_code == 404
    assert not audio.exists()
    for path in settings.data_dir.glob("mockloop.db*"):
        assert b"Quokka" not in path.read_bytes(), path.name


def test_list_shows_only_sessions_this_browser_holds(client: TestClient) -> None:
    assert client.get("/api/sessions").json() == []
    mine = client.post("/api/sessions", json={"scenario": SCENARIO, "mode": "chat"}).json()
    new_session(client)  # someone else's: the helper drops its cookie
    listed = client.get("/api/sessions").json()
    assert [x["id"] for x in listed] == [mine["id"]]
    assert listed[0]["status"] == "created"
    assert listed[0]["turns"] == 0
    # a forged cookie for a session that exists does not list it
    client.cookies.set(cookie_name("0" * 32), "forged")
    assert [x["id"] for x in client.get("/api/sessions").json()] == [mine["id"]]


def test_export_json_md_vtt(client: TestClient) -> None:
    s = new_session(client)
    finish(client, s, ["I cut <latency> by 30 ms --> fast."])
    url = f"/api/sessions/{s['id']}/export"
    assert client.get(url).status_code == 401

    r = client.get(url, params={"format": "json"}, headers=bearer(s))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert "attachment" in r.headers["content-disposition"]
    doc = json.loads(r.content)
    assert doc["id"] == s["id"] and len(doc["messages"]) == 6

    r = client.get(url, params={"format": "md"}, headers=bearer(s))
    assert r.headers["content-type"].startswith("text/markdown")
    md = r.text
    assert md.startswith("# Server test chat")
    assert "Tell me about a project you are proud of." in md
    assert "\\<latency\\>" in md

    r = client.get(url, params={"format": "vtt"}, headers=bearer(s))
    assert r.headers["content-type"].startswith("text/vtt")
    vtt = r.text
    assert vtt.startswith("WEBVTT\n")
    assert "&lt;latency&gt;" in vtt
    # a cue per turn and per piece of evidence; the candidate's "-->" does not make one
    turns = sum(m["type"] in ("interviewer", "candidate") for m in doc["messages"])
    evidence = sum(len(score["evidence"]) for score in doc["scores"])
    assert vtt.count("-->") == turns + evidence

    r = client.get(url, params={"format": "pdf"}, headers=bearer(s))
    assert r.status_code == 422


def test_framework_errors_are_json(client: TestClient) -> None:
    r = client.get("/api/nothing-here")
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    r = client.put("/api/scenarios")
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"


def test_unhandled_errors_are_json_500(settings: Settings, catalog: dict[str, Scenario]) -> None:
    app = create_app(settings, catalog=catalog)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret transcript words")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal", "message": "internal server error"}}
    assert "secret" not in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]


def test_session_creation_is_rate_limited(settings: Settings, catalog: dict[str, Scenario]) -> None:
    tight = settings.model_copy(update={"rate_sessions_per_minute": 2})
    with TestClient(create_app(tight, catalog=catalog)) as c:
        body = {"scenario": SCENARIO, "mode": "chat"}
        assert [c.post("/api/sessions", json=body).status_code for _ in range(3)] == [
            201,
            201,
            429,
        ]
        assert c.post("/api/sessions", json=body).json()["error"]["code"] == "rate_limited"
