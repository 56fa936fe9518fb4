"""Who may do what: Origin and Host on every route, tokens on every session route and the
websocket, the optional instance password, CSP on every page, no transcript in the logs,
and deletion that leaves nothing of a session on disk."""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from hardening_support import CHAT, ForkedServer, http, zygote
from pydantic import SecretStr
from starlette.routing import Mount, Route
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect
from websockets.sync.client import connect

from interviewer import Scenario
from server.app import create_app
from server.security import LOGIN_COOKIE, SecurityMiddleware
from server.settings import Settings

CANARY = "okapi-canary-4417"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def walk_routes(app: FastAPI) -> Iterator[tuple[str, set[str], str]]:
    """(path, methods, kind) of every route the app serves, included routers too."""

    def walk(routes: list[Any]) -> Iterator[tuple[str, set[str], str]]:
        for r in routes:
            inner = getattr(r, "original_router", None)
            if inner is not None:
                yield from walk(inner.routes)
            elif isinstance(r, APIWebSocketRoute):
                yield r.path, set(), "websocket"
            elif isinstance(r, APIRoute | Route):
                yield r.path, set(r.methods or ()) - {"HEAD"}, "http"
            elif isinstance(r, Mount):
                yield r.path + "/css/app.css", {"GET"}, "static"

    yield from walk(list(app.routes))


def fill(path: str, session_id: str) -> str:
    return path.replace("{session_id}", session_id).replace("{target}", "criterion:specificity")


@pytest.fixture
def app(settings: Settings, catalog: dict[str, Scenario]) -> FastAPI:
    return create_app(settings, catalog=catalog)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


def start(client: TestClient, answer: str = f"My {CANARY} answer.") -> dict[str, Any]:
    """A session with one answer in its transcript; the client keeps no cookie."""
    r = client.post("/api/sessions", json={"scenario": CHAT, "mode": "chat"})
    assert r.status_code == 201
    s: dict[str, Any] = r.json()
    client.cookies.clear()
    with client.websocket_connect(s["ws"]) as ws:
        ws.send_json({"type": "hello", "token": s["token"], "last_seq": 0})
        for _ in range(2):
            ws.receive_json()
        ws.send_json({"type": "say", "text": answer})
        for _ in range(2):
            ws.receive_json()
    return s


def test_route_walk_sees_every_documented_route(app: FastAPI) -> None:
    walked = {p for p, _, kind in walk_routes(app) if kind == "http"}
    assert set(app.openapi()["paths"]) <= walked
    assert "/ws/sessions/{session_id}" in {p for p, _, k in walk_routes(app) if k == "websocket"}


# ------------------------------------------------------------------ Origin


FOREIGN = [
    "http://evil.example",
    "null",
    "http://testserver.evil.example",
    "http://testserver:1",
    # the right host and port under the other scheme: not the origin this server serves
    "https://testserver",
]


@pytest.mark.parametrize("origin", FOREIGN)
def test_foreign_origins_are_refused_on_every_unsafe_route(
    client: TestClient, app: FastAPI, origin: str
) -> None:
    s = start(client)
    checked = 0
    for path, methods, _kind in walk_routes(app):
        for method in sorted(methods & UNSAFE):
            r = client.request(method, fill(path, s["id"]), headers={"Origin": origin}, json={})
            assert r.status_code == 403, (method, path, r.status_code)
            assert r.json()["error"]["code"] == "bad_origin"
            checked += 1
    assert checked >= 3
    # nothing was changed: the session is still there with its answer
    r = client.get(f"/api/sessions/{s['id']}", headers={"Authorization": f"Bearer {s['token']}"})
    assert r.status_code == 200 and CANARY in r.text


@pytest.mark.parametrize("origin", FOREIGN)
def test_foreign_origins_cannot_open_the_websocket(client: TestClient, origin: str) -> None:
    s = start(client)
    with (
        pytest.raises(WebSocketDenialResponse) as info,
        client.websocket_connect(s["ws"], headers={"Origin": origin}),
    ):
        pass
    assert info.value.status_code == 403


@pytest.mark.parametrize("origin", ["http://testserver", None])
def test_own_origin_or_none_is_accepted(client: TestClient, origin: str | None) -> None:
    headers = {"Origin": origin} if origin else {}
    r = client.post("/api/sessions", json={"scenario": CHAT}, headers=headers)
    assert r.status_code == 201
    s = r.json()
    with client.websocket_connect(s["ws"], headers=headers) as ws:
        ws.send_json({"type": "hello", "token": s["token"], "last_seq": 0})
        assert ws.receive_json()["seq"] == 1


# ------------------------------------------------------------------ Host


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io"])
def test_foreign_host_is_refused_on_every_route(
    client: TestClient, app: FastAPI, host: str
) -> None:
    s = start(client)
    checked = 0
    for path, methods, kind in walk_routes(app):
        url = fill(path, s["id"])
        if kind == "websocket":
            with (
                pytest.raises(WebSocketDenialResponse) as info,
                client.websocket_connect(url, headers={"Host": host}),
            ):
                pass
            assert info.value.status_code == 400
            checked += 1
            continue
        for method in sorted(methods) or ["GET"]:
            r = client.request(method, url, headers={"Host": host})
            assert r.status_code == 400, (method, path, r.status_code)
            assert r.json()["error"]["code"] == "bad_host"
            assert CANARY not in r.text
            checked += 1
    assert checked >= 10


# ------------------------------------------------------------------ tokens


def session_routes(app: FastAPI) -> list[tuple[str, str, str]]:
    out = []
    for path, methods, kind in walk_routes(app):
        if "{session_id}" in path:
            for method in sorted(methods) or ["WS"]:
                out.append((method, path, kind))
    return out


def test_no_wrong_or_foreign_token_opens_any_session_route(
    client: TestClient, app: FastAPI
) -> None:
    mine = start(client)
    other = start(client, "Someone else's answer.")
    routes = session_routes(app)
    assert len(routes) >= 6
    credentials: dict[str, dict[str, str]] = {
        "none": {},
        "wrong": {"Authorization": "Bearer not-a-token"},
        "other session's": {"Authorization": f"Bearer {other['token']}"},
        "other session's cookie": {"Cookie": f"mockloop_{mine['id']}={other['token']}"},
        "malformed": {"Authorization": "Bearer"},
        "basic": {"Authorization": "Basic " + base64.b64encode(b"x:y").decode()},
    }
    for name, headers in credentials.items():
        for method, path, kind in routes:
            url = fill(path, mine["id"])
            if kind == "websocket":
                with client.websocket_connect(url, headers=headers) as ws:
                    token = headers.get("Authorization", "").removeprefix("Bearer ").strip()
                    hello: dict[str, Any] = {"type": "hello", "last_seq": 0}
                    if token:
                        hello["token"] = token
                    ws.send_json(hello)
                    assert ws.receive_json()["code"] == "unauthorized", name
                    with pytest.raises(WebSocketDisconnect) as info:
                        ws.receive_json()
                    assert info.value.code == 1008
                continue
            r = client.request(method, url, headers=headers, json={})
            assert CANARY not in r.text and mine["token"] not in r.text, (name, method, path)
            assert r.status_code in (401, 403), (name, method, path, r.status_code)
            if path.startswith("/api/"):
                assert r.status_code == (401 if name in ("none", "malformed", "basic") else 403), (
                    name,
                    method,
                    path,
                )
            assert CANARY not in r.text, (name, method, path)
    # the session is intact after all of that
    r = client.get(
        f"/api/sessions/{mine['id']}", headers={"Authorization": f"Bearer {mine['token']}"}
    )
    assert r.status_code == 200 and CANARY in r.text


def test_tokens_in_the_query_string_open_nothing(client: TestClient, app: FastAPI) -> None:
    s = start(client)
    for method, path, kind in session_routes(app):
        if kind == "websocket" or method != "GET":
            continue
        r = client.get(fill(path, s["id"]), params={"token": s["token"]})
        assert r.status_code in (401, 403), path


# ------------------------------------------------------------------ instance password


PASSWORD = "correct horse battery staple"


@pytest.fixture
def locked(settings: Settings, catalog: dict[str, Scenario]) -> Iterator[TestClient]:
    locked_settings = settings.model_copy(update={"password": SecretStr(PASSWORD)})
    app = create_app(locked_settings, catalog=catalog)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def login(c: TestClient, password: str = PASSWORD, next_: str = "/") -> Any:
    return c.post("/login", data={"password": password, "next": next_})


def test_password_locks_every_route_but_health_and_static(locked: TestClient) -> None:
    app = locked.app
    assert isinstance(app, FastAPI)
    sid = "0" * 32
    seen = 0
    for path, methods, kind in walk_routes(app):
        url = fill(path, sid)
        if kind == "websocket":
            with pytest.raises(WebSocketDenialResponse) as info, locked.websocket_connect(url):
                pass
            assert info.value.status_code == 401
            continue
        for method in sorted(methods) or ["GET"]:
            r = locked.request(method, url, json={})
            if path == "/healthz" or kind == "static":
                assert r.status_code == 200, path
            else:
                assert r.status_code == 401, (method, path, r.status_code)
                assert r.json()["error"]["code"] == "login_required"
                seen += 1
    assert seen >= 8
    # a browser asking for a page is sent to the login page, and back afterwards
    r = locked.get("/sessions?x=1", headers={"Accept": "text/html"})
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fsessions%3Fx%3D1"


def test_login_sets_a_strict_httponly_cookie_that_opens_everything(locked: TestClient) -> None:
    page = locked.get("/login")
    assert page.status_code == 200
    assert (
        'type="password"' in page.text
        and "default-src 'self'" in page.headers["content-security-policy"]
    )
    assert "<script" not in page.text  # nothing inline for the CSP to block
    assert login(locked, "wrong").status_code == 401
    assert locked.get("/api/scenarios").status_code == 401
    r = login(locked, next_="/sessions")
    assert r.status_code == 303 and r.headers["location"] == "/sessions"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{LOGIN_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert PASSWORD not in cookie
    assert locked.get("/api/scenarios").status_code == 200
    s = locked.post("/api/sessions", json={"scenario": CHAT}).json()
    with locked.websocket_connect(s["ws"]) as ws:
        ws.send_json({"type": "hello", "token": s["token"], "last_seq": 0})
        assert ws.receive_json()["seq"] == 1
    # signing out closes it again
    assert locked.post("/logout").status_code == 303
    locked.cookies.clear()
    assert locked.get("/api/scenarios").status_code == 401


def test_basic_auth_opens_the_api_for_scripts(locked: TestClient) -> None:
    good = base64.b64encode(f"me:{PASSWORD}".encode()).decode()
    bad = base64.b64encode(b"me:guess").decode()
    assert (
        locked.get("/api/scenarios", headers={"Authorization": f"Basic {good}"}).status_code == 200
    )
    assert (
        locked.get("/api/scenarios", headers={"Authorization": f"Basic {bad}"}).status_code == 401
    )
    assert locked.get("/api/scenarios", headers={"Authorization": "Basic !!!"}).status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_site(locked: TestClient, target: str) -> None:
    r = login(locked, next_=target)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_login_guessing_is_rate_limited(locked: TestClient) -> None:
    codes = [login(locked, f"guess {i}").status_code for i in range(7)]
    assert codes == [401] * 5 + [429, 429]
    # checked before the password: the right one waits too (tests/hardening/test_login.py
    # attacks a real server from several addresses, with the form and HTTP Basic)
    refused = login(locked)
    assert refused.status_code == 429 and "set-cookie" not in refused.headers
    assert int(refused.headers["retry-after"]) >= 1


def test_login_refuses_a_foreign_origin(locked: TestClient) -> None:
    r = locked.post(
        "/login", data={"password": PASSWORD}, headers={"Origin": "http://evil.example"}
    )
    assert r.status_code == 403 and "set-cookie" not in r.headers


def test_no_password_by_default(settings: Settings) -> None:
    assert settings.password is None
    assert SecurityMiddleware(lambda *a: None, settings).gate is None  # type: ignore[arg-type]


# ------------------------------------------------------------------ CSP on every page


def test_csp_on_every_html_response(client: TestClient, app: FastAPI, locked: TestClient) -> None:
    s = start(client)
    cookie = {"Cookie": f"mockloop_{s['id']}={s['token']}"}
    pages = []
    for path, methods, kind in walk_routes(app):
        if kind != "http" or "GET" not in methods or path.startswith("/api") or path == "/healthz":
            continue
        if path == "/openapi.json":
            continue
        pages.append(fill(path, s["id"]))
    pages += ["/no-such-page", f"/sessions/{'f' * 32}"]
    responses = [client.get(p, headers={**cookie, "Accept": "text/html"}) for p in pages]
    responses.append(locked.get("/login"))
    html_seen = 0
    for r in responses:
        csp = r.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp, r.url
        script = re.search(r"script-src ([^;]*)", csp)
        assert script is not None and "unsafe" not in script.group(1), r.url
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        if r.headers.get("content-type", "").startswith("text/html"):
            html_seen += 1
            # no inline script or handler attribute for the policy to have to allow
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text), r.url
            assert not re.search(r"\son[a-z]+=", r.text), r.url
    assert html_seen >= 5


# ------------------------------------------------------------------ logs and deletion (real)


@pytest.mark.slow
def test_no_transcript_text_reaches_the_logs_and_delete_leaves_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with zygote() as z:
        server = ForkedServer(
            z,
            data,
            {
                "MOCKLOOP_SCENARIOS_DIR": str(Path(__file__).parents[1] / "server" / "scenarios"),
                "MOCKLOOP_MAX_SAY_CHARS": "200",
            },
        )
        server.start()
        keep = http("POST", server.url + "/api/sessions", {"scenario": CHAT})
        gone = http("POST", server.url + "/api/sessions", {"scenario": CHAT})
        auth = {"Authorization": f"Bearer {gone['token']}"}
        for s, word in ((keep, "kept-words"), (gone, CANARY)):
            with connect(server.ws_url + s["ws"], open_timeout=10) as ws:
                ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
                for _ in range(2):
                    ws.recv(timeout=10)
                # the canary in a turn, in bad JSON, in an unknown type, in a too long turn
                ws.send(json.dumps({"type": "say", "text": f"My {word} answer."}))
                for _ in range(2):
                    ws.recv(timeout=10)
                ws.send("{" + word)
                ws.send(json.dumps({"type": word, "text": word}))
                ws.send(json.dumps({"type": "say", "text": word * 50}))
                ws.send(json.dumps({"type": "say", "text": 12}))
                for _ in range(4):
                    assert json.loads(ws.recv(timeout=10))["type"] == "error"
        # the review notes hold the candidate's own words too
        notes = f"{server.url}/api/sessions/{gone['id']}/notes"
        for target in ("session", "3"):
            http("PUT", f"{notes}/{target}", {"text": f"note {CANARY}"}, headers=auth)
        for path in (f"/api/sessions/{gone['id']}/export?format=md", f"/sessions/{gone['id']}"):
            request = urllib.request.Request(server.url + path, headers=auth)
            with urllib.request.urlopen(request, timeout=30) as response:
                assert CANARY in response.read().decode()
        audio = data / "audio" / gone["id"]
        audio.mkdir(parents=True, exist_ok=True)
        (audio / "candidate.ogg").write_bytes(f"OggS fake {CANARY}".encode())
        blob = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
        assert CANARY.encode() in blob  # it was really written
        r = http("DELETE", f"{server.url}/api/sessions/{gone['id']}", headers=auth)
        assert r is None
        # the other session still works, the deleted one is gone everywhere on disk
        kept = http(
            "GET",
            f"{server.url}/api/sessions/{keep['id']}",
            headers={"Authorization": f"Bearer {keep['token']}"},
        )
        assert "kept-words" in json.dumps(kept)
        left = [p for p in data.rglob("*") if p.is_file() and CANARY.encode() in p.read_bytes()]
        assert left == [], left
        assert not audio.exists()
        wal = data / "mockloop.db-wal"
        assert not wal.exists() or CANARY.encode() not in wal.read_bytes()
        time.sleep(0.2)
        server.stop()
        log = server.log()
    assert "GET /healthz" in log or "healthz" in log  # the log is really there
    assert CANARY not in log
    assert gone["token"] not in log and keep["token"] not in log
