"""Request handling, attacked from outside (real server processes): made-up session
cookies by the hundred, JSON nested past the parser's depth, NUL characters in notes on
SQLite and PostgreSQL, bodies far over any need, `next=` values a browser would turn into
another site, refused websocket handshakes in the log, a foreign Host the tests once
needed, and what the data directory lets other users of the machine read."""

from __future__ import annotations

import json
import socket
import stat
import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest
from hardening_support import CHAT, ForkedServer, http
from outside import PASSWORD, basic, call, form_login
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

pytestmark = pytest.mark.slow

Serve = Callable[..., ForkedServer]


def new_session(server: ForkedServer, answer: str | None = None) -> dict[str, Any]:
    s: dict[str, Any] = http("POST", server.url + "/api/sessions", {"scenario": CHAT})
    if answer is not None:
        with connect(server.ws_url + s["ws"], open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
            for _ in range(2):
                ws.recv(timeout=10)
            ws.send(json.dumps({"type": "say", "text": answer}))
            for _ in range(2):
                message = json.loads(ws.recv(timeout=10))
                if message["type"] == "candidate":
                    s["answer_seq"] = message["seq"]
    return s


def errors_in(log: str) -> list[str]:
    return [line for line in log.splitlines() if "ERROR" in line or "Traceback" in line]


# ------------------------------------------------------------------ item 5: cookie names


def test_hundreds_of_made_up_session_cookies_cost_one_query(serve: Serve) -> None:
    """Before: one database lookup per `mockloop_*` cookie, 167 ms for 1,200 of them."""
    server = serve(MOCKLOOP_RATE_SESSIONS_PER_MINUTE="1000")
    mine = [new_session(server) for _ in range(3)]
    # As many made-up names as fit in the 16 KiB header block uvicorn accepts; the real
    # cookies come last, as a browser sends its newest cookies.
    fake = "; ".join(f"mockloop_{i:x}=x" for i in range(900))
    real = "; ".join(f"mockloop_{s['id']}={s['token']}" for s in mine)
    flood = {"Cookie": f"{fake}; {real}"}
    plain = {"Cookie": real}

    def timed(headers: dict[str, str]) -> float:
        started = time.perf_counter()
        r = call(server.port, "GET", "/api/sessions", headers=headers)
        assert r.status == 200
        assert {s["id"] for s in r.json()} == {s["id"] for s in mine}
        return time.perf_counter() - started

    for headers in (plain, flood):
        timed(headers)  # warm up
    plain_ms = statistics.median(timed(plain) for _ in range(15)) * 1000
    flood_ms = statistics.median(timed(flood) for _ in range(15)) * 1000
    print(f"GET /api/sessions: {plain_ms:.1f} ms with 3 cookies, {flood_ms:.1f} ms with 903")
    assert flood_ms < plain_ms + 30, (plain_ms, flood_ms)


# ------------------------------------------------------------------ item 7: 5xx


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "sqlite":
        return {}
    url: str = request.getfixturevalue("pg_schema_url")
    return {"MOCKLOOP_DATABASE_URL": url}


def test_deep_json_and_nul_characters_never_answer_5xx(
    serve: Serve, database: dict[str, str]
) -> None:
    """Before: 1000-deep JSON on the review and notes routes answered 500 (RecursionError
    in the parser), and a NUL in a note answered 500 on PostgreSQL."""
    server = serve(**database)
    s = new_session(server, "My answer to the first question.")
    auth = {"Authorization": f"Bearer {s['token']}", "Content-Type": "application/json"}
    base = f"/api/sessions/{s['id']}"
    for depth in (1000, 5000, 100_000):
        deep = b"[" * depth + b"]" * depth
        wrapped = b'{"text": ' + deep + b"}"
        for method, path, body in (
            ("PUT", "/review", deep),
            ("PUT", "/notes/session", deep),
            ("PUT", "/notes/session", wrapped),
            ("POST", "/review/reveal", deep),
            ("POST", "", deep),
        ):
            r = call(
                server.port,
                method,
                base + path if path else "/api/sessions",
                body=body,
                headers=auth,
            )
            assert r.status < 500, (depth, method, path, r.status)
            assert set(r.json()) == {"error"}
    seq = s["answer_seq"]
    for target in ("session", str(seq)):
        r = call(
            server.port,
            "PUT",
            f"{base}/notes/{target}",
            body=json.dumps({"text": "before\u0000after"}).encode(),
            headers=auth,
        )
        assert r.status == 200, (target, r.status, r.body[:300])
    review = call(server.port, "GET", base + "/review", headers=auth).json()
    text = json.dumps(review)
    assert "beforeafter" in text and "\\u0000" not in text
    assert errors_in(server.log()) == []


# ------------------------------------------------------------------ bodies


def test_request_bodies_are_bounded_while_read(serve: Serve) -> None:
    """Before: a 64 MiB body to POST /api/sessions was read whole before anything else."""
    server = serve()
    huge = 64 * 1024 * 1024
    # Announced too large: refused on the headers, before a byte of the body is sent.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % huge
        )
        started = time.monotonic()
        head = sock.recv(65536)
        assert head.startswith(b"HTTP/1.1 413"), head[:200]
        assert time.monotonic() - started < 5
    # Not announced (chunked): refused once the limit is passed, the rest never read.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 65536
        sent = 0
        answer = b""
        sock.settimeout(0.05)
        while sent < huge and not answer:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            except OSError:
                break  # the server closed the connection after its answer
            try:
                answer = sock.recv(65536)
            except TimeoutError:
                continue
        sock.settimeout(10)
        if not answer:
            answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert sent < 4 * 1024 * 1024, sent
    # A body within the bound is served as before.
    assert http("POST", server.url + "/api/sessions", {"scenario": CHAT})["id"]
    assert errors_in(server.log()) == []


# ------------------------------------------------------------------ next=


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/ /evil.example",
        "/\x00/evil.example",
        "/\\evil.example",
        "/%09/../\\evil.example",
    ],
)
def test_next_with_control_characters_or_whitespace_goes_home(serve: Serve, target: str) -> None:
    """Before: `next=/%09/host` answered `Location: /<TAB>/host`, which a browser reads as
    `//host`, another site."""
    server = serve(MOCKLOOP_PASSWORD=PASSWORD)
    r = form_login(server, PASSWORD, next_=target)
    assert r.status == 303 and r.headers["location"] == "/"
    assert form_login(server, PASSWORD, next_="/sessions?x=1").headers["location"] == (
        "/sessions?x=1"
    )


# ------------------------------------------------------------------ the log


def test_refused_websocket_handshakes_are_not_errors_in_the_log(serve: Serve) -> None:
    """Before: every handshake refused with an HTTP status left `ERROR: ASGI callable
    returned without completing handshake.` in the log."""
    server = serve(MOCKLOOP_PASSWORD=PASSWORD)
    path = "/ws/sessions/" + "0" * 32
    attempts: list[tuple[dict[str, str], int]] = [
        ({}, 401),  # not signed in
        ({"Origin": "http://evil.example", **basic(PASSWORD)}, 403),
        ({"Host": "evil.example", **basic(PASSWORD)}, 400),
    ]
    for i in range(5):
        attempts.append((basic(f"guess {i}"), 401))
    attempts.append((basic(PASSWORD), 429))  # too many wrong ones: limited
    for headers, status in attempts:
        with pytest.raises(InvalidStatus) as info:
            host = headers.pop("Host", None)
            url = f"ws://{host or '127.0.0.1'}:{server.port}{path}"
            connect(
                url,
                open_timeout=10,
                additional_headers=headers,
                sock=socket.create_connection(("127.0.0.1", server.port)) if host else None,
            ).close()
        assert info.value.response.status_code == status, headers
    time.sleep(0.2)
    log = server.log()
    assert "WebSocket" in log and " 401" in log  # the refusals are logged, at INFO
    assert errors_in(log) == []


# ------------------------------------------------------------------ Host


def test_testserver_is_not_an_allowed_host_by_default(serve: Serve) -> None:
    """The test client's name was on the default Host allowlist of every deployment."""
    server = serve()
    r = call(server.port, "GET", "/api/scenarios", headers={"Host": "testserver"})
    assert r.status == 400 and r.json()["error"]["code"] == "bad_host"
    assert call(server.port, "GET", "/api/scenarios").status == 200


# ------------------------------------------------------------------ files


def test_the_data_directory_is_its_owners_alone(serve: Serve, tmp_path: Any) -> None:
    """Before: the data directory was 0755 and the database 0644 (with a usual umask):
    every user of the machine could read every transcript."""
    server = serve()
    s = new_session(server, "Private words.")
    http(
        "PUT",
        f"{server.url}/api/sessions/{s['id']}/notes/session",
        {"text": "a note"},
        headers={"Authorization": f"Bearer {s['token']}"},
    )
    data = server.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.name == "mockloop.db" for p in files)
    assert any(p.name == "mockloop.db-wal" for p in files)
    loose = {
        str(p): oct(stat.S_IMODE(p.stat().st_mode))
        for p in files
        if stat.S_IMODE(p.stat().st_mode) & 0o077
    }
    assert loose == {}
    # A data directory that exists already, open to others, is narrowed at start-up.
    server.stop()
    data.chmod(0o755)
    (data / "mockloop.db").chmod(0o644)
    server.start()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "mockloop.db").stat().st_mode) == 0o600
