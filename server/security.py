"""Security defaults of the shell.

- Host allowlist on every HTTP request and websocket handshake (DNS rebinding: a page on
  an attacker's name that resolves to 127.0.0.1 still sends its own name as Host).
- Origin check: the websocket handshake, and every unsafe HTTP method, is refused with
  403 when `Origin` is present and is neither the server's own origin nor allowlisted.
- Security headers (CSP and friends) on every HTTP response.
- Session tokens: random, stored only as a SHA-256 hash, compared in constant time; they
  arrive in the websocket `hello`, an `Authorization: Bearer` header or a per-session
  HttpOnly cookie, never in a query string.
- Token buckets for per-connection rate limits.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.settings import Settings

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# Headers that do not depend on the request; the middleware adds a connect-src that
# names the request's own ws:// and wss:// origin for browsers that do not count them
# as 'self'.
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP + "; connect-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "microphone=(self), camera=(), geolocation=()",
}

_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HOST_RE = re.compile(r"^(?P<name>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(?P<port>[0-9]{1,5}))?$")

COOKIE_PREFIX = "mockloop_"


# ---------------------------------------------------------------- hosts and origins


def split_host(host_header: str) -> tuple[str, str | None] | None:
    """`"localhost:8000"` -> `("localhost", "8000")`; None when it is not a host at all."""
    match = _HOST_RE.match(host_header.strip())
    if match is None:
        return None
    return match.group("name").lower(), match.group("port")


def host_allowed(host_header: str | None, allowed: Iterable[str]) -> bool:
    allowed = list(allowed)
    if "*" in allowed:
        return True
    if not host_header:
        return False
    parts = split_host(host_header)
    return parts is not None and parts[0] in allowed


def origin_allowed(headers: Mapping[str, str], settings: Settings) -> bool:
    """True when there is no Origin, or it is our own origin or an allowlisted one."""
    origin = headers.get("origin")
    if origin is None:
        return True
    origin = origin.strip().rstrip("/").lower()
    if origin in settings.allowed_origins:
        return True
    parsed = urlsplit(origin)
    host = headers.get("host", "").strip().lower()
    # Our own origin: the page was served by this very Host (already allowlisted).
    return parsed.scheme in ("http", "https") and bool(host) and parsed.netloc == host


class SecurityMiddleware:
    """Pure ASGI: Host allowlist, Origin on unsafe methods, security headers."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.allowed_hosts = settings.effective_allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host")
        if not host_allowed(host, self.allowed_hosts):
            await _refuse(scope, send, 400, "bad_host", "Host header not allowed")
            return
        if scope["type"] == "websocket":
            # The websocket route checks Origin itself, before accepting.
            await self.app(scope, receive, send)
            return
        if scope["method"] in _UNSAFE_METHODS and not origin_allowed(headers, self.settings):
            await _refuse(scope, send, 403, "bad_origin", "cross-origin request refused")
            return

        extra = _headers_for(host or "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                present = {name.lower() for name, _ in raw}
                for name, value in extra:
                    if name.lower() not in present:
                        raw.append((name, value))
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _headers_for(host: str) -> list[tuple[bytes, bytes]]:
    out = {**SECURITY_HEADERS}
    parts = split_host(host)
    if parts is not None:
        name, port = parts
        netloc = f"{name}:{port}" if port else name
        out["Content-Security-Policy"] = CSP + f"; connect-src 'self' ws://{netloc} wss://{netloc}"
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in out.items()]


async def _refuse(scope: Scope, send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *_headers_for(""),
    ]
    if scope["type"] == "websocket":
        if "websocket.http.response" in scope.get("extensions", {}):
            await send(
                {"type": "websocket.http.response.start", "status": status, "headers": headers}
            )
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            # Closing before accept makes the server answer the handshake with 403.
            await send({"type": "websocket.close", "code": 1008, "reason": ""})
        return
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------- tokens


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_session_id() -> str:
    return secrets.token_hex(16)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token).encode(), token_hash.encode())


def cookie_name(session_id: str) -> str:
    return COOKIE_PREFIX + session_id


def offered_tokens(conn: HTTPConnection, session_id: str) -> list[str]:
    """Every token the client presents for this session: Bearer header, then cookie."""
    tokens: list[str] = []
    auth = conn.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        tokens.append(value.strip())
    cookie = conn.cookies.get(cookie_name(session_id))
    if cookie:
        tokens.append(cookie)
    return tokens


def cookie_session_ids(conn: HTTPConnection) -> list[str]:
    """Session ids this browser holds a cookie for (tokens still to be checked)."""
    return [
        name[len(COOKIE_PREFIX) :]
        for name in conn.cookies
        if name.startswith(COOKIE_PREFIX) and len(name) > len(COOKIE_PREFIX)
    ]


# ---------------------------------------------------------------- rate limits


@dataclass
class TokenBucket:
    rate: float
    burst: int
    tokens: float = field(init=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)
        self.stamp = time.monotonic()

    def take(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class WarnThenClose:
    """Over the limit once: warn. Over it again before the bucket refilled: close (1008)."""

    bucket: TokenBucket
    warned: bool = False

    def check(self, now: float | None = None) -> str:
        """ "ok", "warn" or "close"."""
        if self.bucket.take(now):
            if self.bucket.tokens >= self.bucket.burst / 2:
                self.warned = False
            return "ok"
        if self.warned:
            return "close"
        self.warned = True
        return "warn"


class SlidingWindow:
    """At most `limit` hits per key per `window` seconds (e.g. sessions per address)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        if len(self._hits) > 10_000:
            # Bound memory: forget keys whose last hit has left the window.
            for stale in [k for k, v in self._hits.items() if not v or now - v[-1] >= self.window]:
                del self._hits[stale]
        return True
