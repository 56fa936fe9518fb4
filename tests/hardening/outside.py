"""Plain HTTP from outside, for the hardening tests that attack a real server process:
any method, headers and body, no redirects followed, every Set-Cookie kept, and a chosen
source address (any 127.x.y.z reaches a server on 127.0.0.1), so that one machine can
be many clients."""

from __future__ import annotations

import base64
import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from hardening_support import ForkedServer

PASSWORD = "correct horse battery staple"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def cookies(self) -> list[str]:
        return list(self.headers.get_all("set-cookie") or [])

    def cookie(self, name: str) -> str:
        """The value the answer sets for cookie `name` (the test fails when there is none)."""
        for line in self.cookies():
            first = line.split(";", 1)[0]
            key, _, value = first.partition("=")
            if key.strip() == name:
                return value
        raise AssertionError(f"no Set-Cookie for {name}: {self.cookies()}")

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    source: str = "127.0.0.1",
    conn: http.client.HTTPConnection | None = None,
    timeout: float = 30.0,
) -> Answer:
    own = conn is None
    c = conn or http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0)
    )
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return Answer(r.status, r.headers, r.read())
    finally:
        if own:
            c.close()


def basic(password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"me:{password}".encode()).decode()}


def form_login(
    server: ForkedServer,
    password: str,
    *,
    next_: str = "/",
    source: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
) -> Answer:
    """The login form's post, as a browser on the server's own page sends it."""
    return call(
        server.port,
        "POST",
        "/login",
        body=urlencode({"password": password, "next": next_}).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": server.url,
            **(headers or {}),
        },
        source=source,
    )
