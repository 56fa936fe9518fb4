"""Host allowlist, Origin checks, headers, tokens, rate limiters and settings parsing."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from server_testing import SCENARIO, new_session
from starlette.testclient import WebSocketDenialResponse

from interviewer import Scenario
from server.app import create_app
from server.security import (
    SlidingWindow,
    TokenBucket,
    WarnThenClose,
    hash_token,
    host_allowed,
    new_token,
    origin_allowed,
    split_host,
    token_matches,
)
from server.settings import Settings


def test_foreign_host_is_refused_with_json(client: TestClient) -> None:
    r = client.get("/healthz", headers={"Host": "rebind.evil.example"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_host"
    assert client.get("/healthz", headers={"Host": "localhost:8000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "[::1]:8000"}).status_code == 200


def test_foreign_host_cannot_open_a_websocket(client: TestClient) -> None:
    s = new_session(client)
    with (
        pytest.raises(WebSocketDenialResponse) as info,
        client.websocket_connect(s["ws"], headers={"Host": "rebind.evil.example"}),
    ):
        pass
    assert info.value.status_code == 400


def test_configured_hosts_and_wildcard(settings: Settings, catalog: dict[str, Scenario]) -> None:
    lan = settings.model_copy(update={"allowed_hosts": ["box.lan"]})
    with TestClient(create_app(lan, catalog=catalog)) as c:
        assert c.get("/healthz", headers={"Host": "box.lan:8000"}).status_code == 200
        assert c.get("/healthz", headers={"Host": "localhost"}).status_code == 400
    anyhost = settings.model_copy(update={"allowed_hosts": ["*"]})
    with TestClient(create_app(anyhost, catalog=catalog)) as c:
        assert c.get("/healthz", headers={"Host": "whatever.example"}).status_code == 200


def test_cross_origin_unsafe_requests_are_refused(client: TestClient) -> None:
    body = {"scenario": SCENARIO, "mode": "chat"}
    r = client.post("/api/sessions", json=body, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "bad_origin"
    r = client.post("/api/sessions", json=body, headers={"Origin": "http://testserver"})
    assert r.status_code == 201
    s = r.json()
    auth = {"Authorization": f"Bearer {s['token']}", "Origin": "http://evil.example"}
    assert client.delete(f"/api/sessions/{s['id']}", headers=auth).status_code == 403
    # reads are not state-changing; the token still guards them
    assert client.get(f"/api/sessions/{s['id']}", headers=auth).status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/api/scenarios", "/api/missing", "/"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    r = client.get(path)
    csp = r.headers["content-security-policy"]
    for part in (
        "default-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "media-src 'self' blob:",
        "script-src 'self'",
    ):
        assert part in csp
    assert "unsafe-inline" not in csp
    assert "ws://testserver" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_tokens_are_random_and_compared_by_hash() -> None:
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 40
    h = hash_token(a)
    assert len(h) == 64 and a not in h
    assert token_matches(a, h)
    assert not token_matches(b, h)
    assert not token_matches("", h)


def test_tokens_are_stored_only_as_hashes(client: TestClient, settings: Settings) -> None:
    s = new_session(client)
    record = client.app.state.store.get_session(s["id"])  # type: ignore[attr-defined]
    assert record.token_hash == hash_token(s["token"])
    for path in settings.data_dir.glob("mockloop.db*"):
        assert s["token"].encode() not in path.read_bytes()


def test_host_parsing() -> None:
    assert split_host("localhost:8000") == ("localhost", "8000")
    assert split_host("[::1]:80") == ("[::1]", "80")
    assert split_host("LocalHost") == ("localhost", None)
    assert split_host("evil.example/path") is None
    assert split_host("a b") is None
    assert not host_allowed(None, ["localhost"])
    assert not host_allowed("localhost.evil.example", ["localhost"])
    assert host_allowed("localhost:1", ["localhost"])


def test_origin_rules() -> None:
    settings = Settings(allowed_origins=["http://ok.example:3000/"])
    own = {"host": "localhost:8000"}
    assert origin_allowed(own, settings)  # no Origin: not a browser page
    assert origin_allowed({**own, "origin": "http://localhost:8000"}, settings)
    assert origin_allowed({**own, "origin": "https://localhost:8000"}, settings)
    assert not origin_allowed({**own, "origin": "http://localhost:9000"}, settings)
    assert not origin_allowed({**own, "origin": "null"}, settings)
    assert origin_allowed({**own, "origin": "http://ok.example:3000"}, settings)


def test_token_bucket_and_warn_then_close() -> None:
    bucket = TokenBucket(rate=1.0, burst=2)
    t = bucket.stamp
    assert bucket.take(t) and bucket.take(t)
    assert not bucket.take(t)
    assert bucket.take(t + 1.0)
    limiter = WarnThenClose(TokenBucket(rate=1.0, burst=2))
    t = limiter.bucket.stamp
    assert [limiter.check(t) for _ in range(4)] == ["ok", "ok", "warn", "close"]
    # after a pause long enough to refill, the warning is forgiven
    limiter = WarnThenClose(TokenBucket(rate=1.0, burst=2))
    t = limiter.bucket.stamp
    assert [limiter.check(t) for _ in range(3)] == ["ok", "ok", "warn"]
    assert limiter.check(t + 10) == "ok"
    assert [limiter.check(t + 10) for _ in range(2)] == ["ok", "warn"]


def test_sliding_window() -> None:
    window = SlidingWindow(limit=2, window=60)
    assert window.hit("a", 0) and window.hit("a", 1)
    assert not window.hit("a", 2)
    assert window.hit("b", 2)
    assert window.hit("a", 61)


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MOCKLOOP_PORT", "9001")
    monkeypatch.setenv("MOCKLOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MOCKLOOP_ALLOWED_HOSTS", "localhost, box.lan")
    monkeypatch.setenv("MOCKLOOP_ALLOWED_ORIGINS", '["http://a.example/"]')
    s = Settings()
    assert s.port == 9001
    assert s.data_dir == tmp_path
    assert s.allowed_hosts == ["localhost", "box.lan"]
    assert s.allowed_origins == ["http://a.example"]
    assert s.effective_database_url == f"sqlite:///{tmp_path}/mockloop.db"
    assert s.max_frame == 64 * 1024 and s.ping_interval == 10
    monkeypatch.setenv("MOCKLOOP_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert Settings().effective_database_url == "postgresql+psycopg://u@h/db"


def test_default_settings_bind_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "PORT", "ALLOWED_HOSTS"):
        monkeypatch.delenv(f"MOCKLOOP_{name}", raising=False)
    s = Settings()
    assert s.host == "127.0.0.1" and s.port == 8000
    assert s.allowed_hosts == ["localhost", "127.0.0.1", "[::1]"]  # not the test client's
    assert "0.0.0.0" not in Settings(host="0.0.0.0").effective_allowed_hosts
    assert "box.lan" in Settings(host="box.lan").effective_allowed_hosts
