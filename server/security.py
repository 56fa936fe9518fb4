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
- An optional instance password (`MOCKLOOP_PASSWORD`) for a deployment beyond localhost:
  every page, API route and websocket then needs the login cookie (HttpOnly,
  SameSite=Strict; set by the login page) or HTTP Basic with that password, except
  `/healthz` and the static files.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import re
import secrets
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, quote, urlsplit

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
# Not under COOKIE_PREFIX: that names the per-session cookies.
LOGIN_COOKIE = "mockloop-login"
# Reachable without the instance password: health checks and the page's own assets.
_OPEN_PATHS = ("/healthz", "/static/", "/login", "/logout")
_LOGIN_BODY_LIMIT = 4096


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


# ---------------------------------------------------------------- instance password


def login_key(password: str) -> str:
    """The login cookie's value: derived from the password alone, so that every replica
    accepts it and changing the password signs everybody out; slow to derive, so that a
    stolen cookie does not give the password away cheaply."""
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), b"mockloop-login", 200_000).hex()


def _basic_password(headers: Headers) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2]


def _safe_next(target: str) -> str:
    """A local path to return to after login; anything else goes to the start page."""
    if target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target:
        return target
    return "/"


class PasswordGate:
    def __init__(self, password: str, settings: Settings) -> None:
        self.password = password
        self.key = login_key(password)
        self.settings = settings
        self.failures = SlidingWindow(10, 60.0)

    def open_path(self, path: str) -> bool:
        return any(path == p or (p.endswith("/") and path.startswith(p)) for p in _OPEN_PATHS)

    def allows(self, headers: Headers) -> bool:
        cookie = _cookies(headers).get(LOGIN_COOKIE)
        if cookie is not None and hmac.compare_digest(cookie.encode(), self.key.encode()):
            return True
        offered = _basic_password(headers)
        return offered is not None and hmac.compare_digest(
            offered.encode("utf-8"), self.password.encode("utf-8")
        )


def _cookies(headers: Headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in headers.get("cookie", "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out[name] = value
    return out


_LOGIN_FALLBACK = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Sign in · mockloop"
    "</title></head><body><main><h1>Sign in</h1>{error}<form method=post action=/login>"
    '<input type=hidden name=next value="{next}"><label for=password>Password</label> '
    "<input type=password id=password name=password required autofocus> "
    "<button type=submit>Sign in</button></form></main></body></html>"
)


class SecurityMiddleware:
    """Pure ASGI: Host allowlist, Origin on unsafe methods, the optional instance
    password, security headers."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.allowed_hosts = settings.effective_allowed_hosts
        password = settings.password.get_secret_value() if settings.password else ""
        self.gate = PasswordGate(password, settings) if password else None

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
            if self.gate is not None and not self.gate.allows(headers):
                await _refuse(scope, send, 401, "login_required", "sign in first")
                return
            # The websocket route checks Origin itself, before accepting.
            await self.app(scope, receive, send)
            return
        if scope["method"] in _UNSAFE_METHODS and not origin_allowed(headers, self.settings):
            await _refuse(scope, send, 403, "bad_origin", "cross-origin request refused")
            return

        extra = _headers_for(host or "")
        if self.gate is not None:
            path: str = scope["path"]
            if path in ("/login", "/logout"):
                await self._login(scope, receive, send, headers, extra)
                return
            if not self.gate.open_path(path) and not self.gate.allows(headers):
                await self._login_required(scope, send, headers, extra)
                return

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

    # ------------------------------------------------------------ login pages

    async def _login(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: Headers,
        extra: list[tuple[bytes, bytes]],
    ) -> None:
        assert self.gate is not None
        method = scope["method"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        target = _safe_next(query.get("next", ["/"])[0])
        if scope["path"] == "/logout":
            if method != "POST":
                await _send(send, 405, b"", [(b"allow", b"POST"), *extra])
                return
            await _send(send, 303, b"", [(b"location", b"/login"), _login_cookie("", 0), *extra])
            return
        if method in ("GET", "HEAD"):
            await self._login_page(scope, send, extra, target, "", 200)
            return
        if method != "POST":
            await _send(send, 405, b"", [(b"allow", b"GET, POST"), *extra])
            return
        body = await _read_body(receive, _LOGIN_BODY_LIMIT)
        client = scope.get("client") or ("?", 0)
        if body is None:
            await self._login_page(scope, send, extra, target, "That was not a login.", 400)
            return
        form = parse_qs(body.decode("utf-8", "replace"))
        target = _safe_next(form.get("next", [target])[0])
        offered = form.get("password", [""])[0]
        if hmac.compare_digest(offered.encode("utf-8"), self.gate.password.encode("utf-8")):
            secure = scope.get("scheme") == "https"
            cookie = _login_cookie(self.gate.key, self.settings.cookie_max_age, secure)
            await _send(send, 303, b"", [(b"location", target.encode()), cookie, *extra])
            return
        if not self.gate.failures.hit(str(client[0])):
            await self._login_page(
                scope, send, extra, target, "Too many tries; wait a minute.", 429
            )
            return
        await self._login_page(scope, send, extra, target, "That password is not right.", 401)

    async def _login_page(
        self,
        scope: Scope,
        send: Send,
        extra: list[tuple[bytes, bytes]],
        target: str,
        error: str,
        status: int,
    ) -> None:
        templates = getattr(getattr(scope.get("app"), "state", None), "templates", None)
        page: str
        try:
            template = templates.get_template("login.html")  # type: ignore[union-attr]
            page = template.render(nav="", next=target, error=error)
        except Exception:
            notice = f'<p role="alert">{html.escape(error)}</p>' if error else ""
            page = _LOGIN_FALLBACK.format(error=notice, next=html.escape(target))
        body = b"" if scope["method"] == "HEAD" else page.encode("utf-8")
        await _send(
            send,
            status,
            body,
            [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"cache-control", b"no-store"),
                *extra,
            ],
        )

    async def _login_required(
        self, scope: Scope, send: Send, headers: Headers, extra: list[tuple[bytes, bytes]]
    ) -> None:
        if scope["method"] in ("GET", "HEAD") and "text/html" in headers.get("accept", ""):
            path = scope["path"]
            if scope.get("query_string"):
                path += "?" + scope["query_string"].decode("latin-1")
            location = "/login?next=" + quote(path, safe="")
            await _send(send, 303, b"", [(b"location", location.encode()), *extra])
            return
        await _refuse(scope, send, 401, "login_required", "sign in first")


def _login_cookie(value: str, max_age: int, secure: bool = False) -> tuple[bytes, bytes]:
    parts = [f"{LOGIN_COOKIE}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly"]
    parts.append("SameSite=Strict")
    if secure:
        parts.append("Secure")
    return (b"set-cookie", "; ".join(parts).encode("latin-1"))


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None when it is larger than `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    start: dict[str, Any] = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-length", str(len(body)).encode()), *headers],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})


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


# Session ids are generated by the server (hex); anything else cannot name a session and
# is refused before it reaches the database, a template or a URL.
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


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


def key_status(conn: HTTPConnection, session_id: str, token_hash: str) -> Literal[200, 401, 403]:
    """Whether the request holds the session's key: 200 it does, 401 it offers none,
    403 it offers only wrong ones. One answer for the API and the pages alike."""
    tokens = offered_tokens(conn, session_id)
    if not tokens:
        return 401
    return 200 if any(token_matches(t, token_hash) for t in tokens) else 403


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
