"""Connections, attacked from outside (real server processes): a client that sends its
headers a byte at a time, one that declares a body and stalls, one that opens a
connection and says nothing, and many such at once. uvicorn times none of these: each
used to hold its connection for as long as the client liked."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable

import pytest
from hardening_support import CHAT, ForkedServer, http
from outside import call
from websockets.sync.client import connect

pytestmark = pytest.mark.slow

Serve = Callable[..., ForkedServer]


def errors_in(log: str) -> list[str]:
    return [line for line in log.splitlines() if "ERROR" in line or "Traceback" in line]


def opened(server: ForkedServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.settimeout(30)
    return sock


def read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float | None]:
    """What the server sends until it closes the connection, and when it closed it
    (seconds from now; None when it was still open after `limit` seconds)."""
    began = time.monotonic()
    got = b""
    sock.settimeout(0.2)
    while time.monotonic() - began < limit:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return got, time.monotonic() - began
        if not chunk:
            return got, time.monotonic() - began
        got += chunk
    return got, None


def test_headers_sent_a_byte_at_a_time_meet_a_deadline(serve: Serve) -> None:
    """Before: a request line and headers trickling in a byte every 0.3 s held the
    connection for as long as the client went on (uvicorn times only the idle time
    between requests)."""
    server = serve(MOCKLOOP_HEADER_TIMEOUT="1.5")
    sock = opened(server)
    began = time.monotonic()
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 60
    closed_at: float | None = None
    try:
        for byte in request:
            sock.sendall(bytes([byte]))
            time.sleep(0.3)
            if time.monotonic() - began > 8:
                break
    except (BrokenPipeError, ConnectionResetError):
        closed_at = time.monotonic() - began
    answer, after = read_until_closed(sock, limit=2.0)
    sock.close()
    if closed_at is None and after is not None:
        closed_at = time.monotonic() - began
    assert closed_at is not None, "the trickling client still held its connection after 8 s"
    assert closed_at < 6.0
    assert answer.startswith(b"HTTP/1.1 408 ") or answer == b""
    assert not errors_in(server.log())


def test_a_connection_that_says_nothing_is_closed(serve: Serve) -> None:
    server = serve(MOCKLOOP_HEADER_TIMEOUT="1")
    sock = opened(server)
    answer, closed = read_until_closed(sock, limit=8.0)
    sock.close()
    assert closed is not None, "a silent connection was still open after 8 s"
    assert answer == b""  # nothing was asked: nothing to answer


def test_a_body_that_stalls_meets_a_deadline(serve: Serve) -> None:
    """Before: a POST that declared 100 bytes and sent 10 held its connection (and the
    request's task) until the client gave up."""
    server = serve(MOCKLOOP_BODY_TIMEOUT="1.5")
    sock = opened(server)
    sock.sendall(
        b"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        b'{"scenari'
    )
    answer, closed = read_until_closed(sock, limit=8.0)
    sock.close()
    assert closed is not None, "a stalled body still held its connection after 8 s"
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    # The server goes on as before; the stalled request was no error of its own.
    assert call(server.port, "GET", "/healthz").status == 200
    assert not errors_in(server.log())


def test_a_slow_but_steady_client_is_served(serve: Serve) -> None:
    server = serve(MOCKLOOP_HEADER_TIMEOUT="3", MOCKLOOP_BODY_TIMEOUT="3")
    sock = opened(server)
    body = b'{"scenario": "server-test-chat"}'
    parts = [
        b"POST /api/sessions HTTP/1.1\r\n",
        b"Host: 127.0.0.1\r\nContent-Type: application/json\r\n",
        b"Content-Length: %d\r\n\r\n" % len(body),
        body[:10],
        body[10:],
    ]
    for part in parts:
        sock.sendall(part)
        time.sleep(0.4)
    answer, _ = read_until_closed(sock, limit=1.0)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 201 "), answer[:200]


def test_connections_are_capped_and_idle_ones_make_room(serve: Serve) -> None:
    """Before: no cap; a client could open connections until the process ran out of
    file descriptors."""
    server = serve(MOCKLOOP_MAX_CONNECTIONS="8", MOCKLOOP_HEADER_TIMEOUT="2")
    idle = [opened(server) for _ in range(8)]
    time.sleep(0.2)
    try:
        assert call(server.port, "GET", "/healthz").status == 503
    finally:
        for sock in idle:
            sock.close()
    deadline = time.monotonic() + 10
    while call(server.port, "GET", "/healthz").status != 200:
        assert time.monotonic() < deadline, "the server did not make room again"
        time.sleep(0.1)
    # Idle connections left open are closed by the server on their own.
    held = [opened(server) for _ in range(8)]
    time.sleep(3.0)
    try:
        assert call(server.port, "GET", "/healthz").status == 200
    finally:
        for sock in held:
            sock.close()


def test_a_websocket_outlives_the_request_deadlines(serve: Serve) -> None:
    """The deadlines time requests, never a websocket after its upgrade (a deadline that
    fired on one would write an HTTP answer into its stream of frames)."""
    server = serve(MOCKLOOP_HEADER_TIMEOUT="1", MOCKLOOP_BODY_TIMEOUT="1")
    s = http("POST", server.url + "/api/sessions", {"scenario": CHAT})
    with connect(server.ws_url + s["ws"], open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
        got = [json.loads(ws.recv(timeout=10)) for _ in range(2)]
        assert got[-1]["type"] == "interviewer"
        time.sleep(3.0)
        ws.send(json.dumps({"type": "say", "text": "Still here."}))
        kinds = [json.loads(ws.recv(timeout=10))["type"] for _ in range(2)]
        assert kinds == ["candidate", "interviewer"]
    assert not errors_in(server.log())
