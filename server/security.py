"""Security defaults of the shell.

- Host allowlist on every HTTP request and websocket handshake (DNS rebinding: a page on
  an attacker's name that resolves to 127.0.0.1 still sends its own name as Host).
- Origin check: the websocket handshake, and every unsafe HTTP method, is refused with
  403 when `Origin` is present and is neither the server's own origin (scheme, host and
  port; the public origin when `MOCKLOOP_PUBLIC_URL` names one) nor allowlisted.
- Security headers (CSP and friends) on every HTTP response; HSTS and Secure cookies
  over https (or behind an https public URL).
- Every request body bounded while it is read (413), before any route parses it.
- Session tokens: random, stored only as a SHA-256 hash, compared in constant time; they
  arrive in the websocket `hello`, an `Authorization: Bearer` header or a per-session
  HttpOnly cookie, never in a query string.
- Token buckets for per-connection rate limits.
- An optional instance password (`MOCKLOOP_PASSWORD`) for a deployment beyond localhost:
  every page, API route and websocket then needs the login cookie (HttpOnly,
  SameSite=Strict; set by the login page: a random value whose hash the database keeps
  with an expiry, deleted at sign-out) or HTTP Basic with that password, except
  `/healthz` and the static files. Wrong passwords are counted per address and overall,
  and past a few each further try waits longer, whatever password it brings.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import ipaddress
import json
import logging
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.settings import Settings

if TYPE_CHECKING:
    from server.storage import Store

log = logging.getLogger("mockloop.security")

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


def origin_allowed(
    headers: Mapping[str, str], settings: Settings, scheme: str | None = None
) -> bool:
    """True when there is no Origin, or it is an allowlisted origin, or our own: the
    public origin when `public_url` names one, else the request's Host under the
    request's scheme. `scheme` None: the caller does not know it, and http or https
    match alike (the security middleware, which runs first, always knows it)."""
    origin = headers.get("origin")
    if origin is None:
        return True
    origin = origin.strip().rstrip("/").lower()
    if origin in settings.allowed_origins:
        return True
    if settings.public_origin is not None:
        return origin == settings.public_origin
    parsed = urlsplit(origin)
    host = headers.get("host", "").strip().lower()
    # Our own origin: the page was served by this very Host (already allowlisted).
    if not host or parsed.netloc != host:
        return False
    if scheme is None:
        return parsed.scheme in ("http", "https")
    return parsed.scheme == _WEB_SCHEME.get(scheme, scheme)


_WEB_SCHEME = {"ws": "http", "wss": "https"}


# ---------------------------------------------------------------- instance password


def login_key(password: str) -> str:
    """A slow hash of the password, computed once at start-up: the key of the tags that
    bind each stored sign-in to the password, so that a new password signs everybody
    out and the database alone does not give the password away cheaply."""
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), b"mockloop-login", 200_000).hex()


def _basic_password(headers: Headers) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""  # Basic, but no password in it: a wrong one
    return decoded.partition(":")[2]


def _safe_next(target: str) -> str:
    """A local path to return to after login; anything else goes to the start page.
    Browsers drop tabs and line breaks from a Location and read a backslash as a
    slash, so `/<TAB>/host` or `/\\host` would leave the site: no control character,
    whitespace or backslash at all."""
    if (
        target.startswith("/")
        and not target.startswith("//")
        and len(target) <= 2000
        and not any(c == "\\" or c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    ):
        return target
    return "/"


def address_key(host: str) -> str:
    """Whom a guess is counted against: the IPv4 address, or the /64 network of an IPv6
    one (a single host usually holds a whole /64)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass
class _Tally:
    failures: int = 0
    last: float = 0.0
    until: float = 0.0


class GuessLimiter:
    """Wrong passwords, counted per address and for all addresses together. After
    `tries` failures, a key must wait before its next try: `first_wait` seconds, twice
    as long after each further failure, at most `max_wait`. A key forgets its failures
    after `forget` seconds without one; a right password clears its address's count.
    Asked before the password is looked at: a waiting client is refused even with the
    right one."""

    def __init__(
        self,
        tries: int,
        tries_overall: int,
        *,
        first_wait: float = 1.0,
        max_wait: float = 300.0,
        max_wait_overall: float = 60.0,
        forget: float = 3600.0,
        max_keys: int = 10_000,
    ) -> None:
        self.tries = tries
        self.tries_overall = tries_overall
        self.first_wait = first_wait
        self.max_wait = max_wait
        self.max_wait_overall = max_wait_overall
        self.forget = forget
        self.max_keys = max_keys
        self._overall = _Tally()
        self._by_address: dict[str, _Tally] = {}

    def wait(self, address: str, now: float | None = None) -> float:
        """Seconds `address` must wait before its next try; 0 when it may try now."""
        now = time.monotonic() if now is None else now
        mine = self._by_address.get(address_key(address))
        until = max(self._overall.until, mine.until if mine is not None else 0.0)
        return max(0.0, until - now)

    def failed(self, address: str, now: float | None = None) -> None:
        """Count a wrong password; the first failure that makes a key wait is logged."""
        now = time.monotonic() if now is None else now
        key = address_key(address)
        mine = self._by_address.get(key)
        if mine is None:
            self._trim(now)
            mine = self._by_address[key] = _Tally()
        if self._count(mine, self.tries, self.max_wait, now) == self.tries:
            log.warning("%d wrong passwords from %s: each further try waits", self.tries, key)
        if self._count(self._overall, self.tries_overall, self.max_wait_overall, now) == (
            self.tries_overall
        ):
            log.warning("%d wrong passwords overall: each further try waits", self.tries_overall)

    def succeeded(self, address: str) -> None:
        self._by_address.pop(address_key(address), None)

    def _count(self, tally: _Tally, tries: int, max_wait: float, now: float) -> int:
        if now - tally.last >= self.forget:
            tally.failures = 0
        tally.failures += 1
        tally.last = now
        if tally.failures >= tries:
            doublings = min(tally.failures - tries, 32)
            tally.until = now + min(max_wait, self.first_wait * 2.0**doublings)
        return tally.failures

    def _trim(self, now: float) -> None:
        if len(self._by_address) < self.max_keys:
            return
        for key in [k for k, t in self._by_address.items() if now - t.last >= self.forget]:
            del self._by_address[key]
        if len(self._by_address) >= self.max_keys:
            # Still full: the keys that failed longest ago go first.
            oldest = sorted(self._by_address.items(), key=lambda kv: kv[1].last)
            for key, _ in oldest[: len(oldest) // 2]:
                del self._by_address[key]


Verdict = Literal["ok", "none", "wrong", "limited"]


class PasswordGate:
    """The instance password: who has signed in (a random value in the login cookie,
    its hash kept in the database with an expiry) or sends the password with HTTP
    Basic, and how many wrong ones each address has tried."""

    # A sign-in found valid is believed for this long without asking the database
    # again; a sign-out on another replica takes at most this long to reach this one.
    CACHE_SECONDS = 10.0

    def __init__(self, password: str, settings: Settings, store: Store) -> None:
        self.password = password
        self.key = login_key(password).encode()
        self.settings = settings
        self.store = store
        self.limiter = GuessLimiter(settings.login_tries, settings.login_tries_overall)
        self._known: dict[str, float] = {}  # token hash -> believed until (monotonic)

    def open_path(self, path: str) -> bool:
        return any(path == p or (p.endswith("/") and path.startswith(p)) for p in _OPEN_PATHS)

    def password_matches(self, offered: str) -> bool:
        return hmac.compare_digest(offered.encode("utf-8"), self.password.encode("utf-8"))

    def _tag(self, token_hash: str) -> str:
        return hmac.new(self.key, token_hash.encode(), hashlib.sha256).hexdigest()

    async def sign_in(self) -> str:
        """A new sign-in: its random cookie value (only its hash is stored)."""
        token = new_token()
        token_hash = hash_token(token)
        expires_at = time.time() + self.settings.login_max_age
        await run_in_threadpool(self.store.add_login, token_hash, self._tag(token_hash), expires_at)
        return token

    async def sign_out(self, token: str | None) -> None:
        if not token or len(token) > 128:
            return
        token_hash = hash_token(token)
        self._known.pop(token_hash, None)
        await run_in_threadpool(self.store.delete_login, token_hash)

    async def signed_in(self, token: str | None) -> bool:
        if not token or len(token) > 128:
            return False
        token_hash = hash_token(token)
        now = time.monotonic()
        believed = self._known.get(token_hash)
        if believed is not None:
            if believed > now:
                return True
            del self._known[token_hash]
        found = await run_in_threadpool(self.store.get_login, token_hash)
        if found is None:
            return False
        tag, expires_at = found
        left = expires_at - time.time()
        if left <= 0 or not hmac.compare_digest(tag.encode(), self._tag(token_hash).encode()):
            return False
        if len(self._known) >= 10_000:
            self._known.clear()
        self._known[token_hash] = now + min(self.CACHE_SECONDS, left)
        return True

    async def check(self, headers: Headers, client: str) -> tuple[Verdict, float]:
        """("ok", 0) signed in or the right Basic password; ("none", 0) no credentials;
        ("wrong", 0) a wrong Basic password (counted); ("limited", seconds) too many
        wrong ones lately: refused before the password is looked at."""
        if await self.signed_in(_login_token(headers)):
            return "ok", 0.0
        offered = _basic_password(headers)
        if offered is None:
            return "none", 0.0
        wait = self.limiter.wait(client)
        if wait > 0:
            return "limited", wait
        if self.password_matches(offered):
            self.limiter.succeeded(client)
            return "ok", 0.0
        self.limiter.failed(client)
        return "wrong", 0.0


def _login_token(headers: Headers) -> str | None:
    """The login cookie's value (the first, should a request carry several)."""
    for part in headers.get("cookie", "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name == LOGIN_COOKIE:
            return value
    return None


_LOGIN_FALLBACK = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Sign in · mockloop"
    "</title></head><body><main><h1>Sign in</h1>{error}<form method=post action=/login>"
    '<input type=hidden name=next value="{next}"><label for=password>Password</label> '
    "<input type=password id=password name=password required autofocus> "
    "<button type=submit>Sign in</button></form></main></body></html>"
)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "?"


def _retry_after(wait: float) -> tuple[bytes, bytes]:
    return (b"retry-after", str(max(1, math.ceil(wait))).encode())


# Set when the middleware answered a websocket handshake with an HTTP error: uvicorn then
# reports "ASGI callable returned without completing handshake." at ERROR, though the
# refusal was answered as meant (its own INFO line gives the status).
_REFUSED_HANDSHAKE: ContextVar[bool] = ContextVar("mockloop_refused_handshake", default=False)
_UNFINISHED_HANDSHAKE = "ASGI callable returned without completing handshake."


class RefusedHandshakes(logging.Filter):
    """Drops uvicorn's ERROR line after a handshake this server refused on purpose;
    any other unfinished handshake is still an ERROR."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.getMessage() == _UNFINISHED_HANDSHAKE and _REFUSED_HANDSHAKE.get())


def install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, RefusedHandshakes) for f in logger.filters):
        logger.addFilter(RefusedHandshakes())


class SecurityMiddleware:
    """Pure ASGI: Host allowlist, Origin on unsafe methods and websocket handshakes,
    the optional instance password, request bodies bounded while they are read,
    security headers, Secure cookies over https."""

    def __init__(self, app: ASGIApp, settings: Settings, store: Store | None = None) -> None:
        self.app = app
        self.settings = settings
        self.allowed_hosts = settings.effective_allowed_hosts
        password = settings.password.get_secret_value() if settings.password else ""
        if password and store is None:
            raise ValueError("the instance password needs the store (its sign-ins)")
        self.gate = PasswordGate(password, settings, store) if password and store else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host")
        if not host_allowed(host, self.allowed_hosts):
            await _refuse(scope, send, 400, "bad_host", "Host header not allowed")
            return
        scheme = str(scope.get("scheme", "http"))
        websocket = scope["type"] == "websocket"
        if (websocket or scope["method"] in _UNSAFE_METHODS) and not origin_allowed(
            headers, self.settings, scheme
        ):
            what = "websocket" if websocket else "request"
            await _refuse(scope, send, 403, "bad_origin", f"cross-origin {what} refused")
            return
        if websocket:
            if self.gate is not None:
                verdict, wait = await self.gate.check(headers, _client(scope))
                if verdict == "limited":
                    await _refuse(scope, send, 429, "rate_limited", _wait_text(wait), wait)
                    return
                if verdict != "ok":
                    await _refuse(scope, send, 401, "login_required", "sign in first")
                    return
            await self.app(scope, receive, send)
            return

        secure = scheme == "https" or self.settings.public_https
        extra = _headers_for(host or "", secure)
        if self.gate is not None:
            path: str = scope["path"]
            if path in ("/login", "/logout"):
                await self._login(scope, receive, send, headers, extra, secure)
                return
            if not self.gate.open_path(path):
                verdict, wait = await self.gate.check(headers, _client(scope))
                if verdict == "limited":
                    await _refuse(scope, send, 429, "rate_limited", _wait_text(wait), wait)
                    return
                if verdict != "ok":
                    await self._login_required(scope, send, headers, extra, verdict)
                    return

        bounded = await _bounded_body(scope, receive, self.settings.max_body)
        if bounded is None:
            await _refuse(scope, send, 413, "too_large", "the request body is too large")
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                present = {name.lower() for name, _ in raw}
                for name, value in extra:
                    if name.lower() not in present:
                        raw.append((name, value))
                if secure:
                    raw = [_secure_cookie(name, value) for name, value in raw]
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, bounded, send_with_headers)

    # ------------------------------------------------------------ login pages

    async def _login(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: Headers,
        extra: list[tuple[bytes, bytes]],
        secure: bool,
    ) -> None:
        assert self.gate is not None
        method = scope["method"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        target = _safe_next(query.get("next", ["/"])[0])
        if scope["path"] == "/logout":
            if method != "POST":
                await _send(send, 405, b"", [(b"allow", b"POST"), *extra])
                return
            await self.gate.sign_out(_login_token(headers))
            cookie = _login_cookie("", 0, secure)
            await _send(send, 303, b"", [(b"location", b"/login"), cookie, *extra])
            return
        if method in ("GET", "HEAD"):
            await self._login_page(scope, send, extra, target, "", 200)
            return
        if method != "POST":
            await _send(send, 405, b"", [(b"allow", b"GET, POST"), *extra])
            return
        body = await _read_body(receive, _LOGIN_BODY_LIMIT)
        if body is None:
            await self._login_page(scope, send, extra, target, "That was not a login.", 400)
            return
        form = parse_qs(body.decode("utf-8", "replace"))
        target = _safe_next(form.get("next", [target])[0])
        client = _client(scope)
        wait = self.gate.limiter.wait(client)
        if wait > 0:
            # Before the password is looked at: the right one is refused too.
            await self._login_page(
                scope, send, extra, target, _wait_text(wait), 429, [_retry_after(wait)]
            )
            return
        if self.gate.password_matches(form.get("password", [""])[0]):
            self.gate.limiter.succeeded(client)
            token = await self.gate.sign_in()
            cookie = _login_cookie(token, self.settings.login_max_age, secure)
            await _send(send, 303, b"", [(b"location", target.encode()), cookie, *extra])
            return
        self.gate.limiter.failed(client)
        await self._login_page(scope, send, extra, target, "That password is not right.", 401)

    async def _login_page(
        self,
        scope: Scope,
        send: Send,
        extra: list[tuple[bytes, bytes]],
        target: str,
        error: str,
        status: int,
        more: list[tuple[bytes, bytes]] | None = None,
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
        # The login page alone names its own origin to the server: with no-referrer, a
        # browser sends `Origin: null` with the form, which the Origin check refuses.
        own = [(k, v) for k, v in extra if k != b"referrer-policy"]
        await _send(
            send,
            status,
            body,
            [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"cache-control", b"no-store"),
                (b"referrer-policy", b"same-origin"),
                *(more or []),
                *own,
            ],
        )

    async def _login_required(
        self,
        scope: Scope,
        send: Send,
        headers: Headers,
        extra: list[tuple[bytes, bytes]],
        verdict: Verdict,
    ) -> None:
        if (
            verdict == "none"
            and scope["method"] in ("GET", "HEAD")
            and "text/html" in headers.get("accept", "")
        ):
            path = scope["path"]
            if scope.get("query_string"):
                path += "?" + scope["query_string"].decode("latin-1")
            location = "/login?next=" + quote(path, safe="")
            await _send(send, 303, b"", [(b"location", location.encode()), *extra])
            return
        await _refuse(scope, send, 401, "login_required", "sign in first")


def _wait_text(wait: float) -> str:
    return f"Too many wrong passwords; try again in {max(1, math.ceil(wait))} s."


def _login_cookie(value: str, max_age: int, secure: bool = False) -> tuple[bytes, bytes]:
    parts = [f"{LOGIN_COOKIE}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly"]
    parts.append("SameSite=Strict")
    if secure:
        parts.append("Secure")
    return (b"set-cookie", "; ".join(parts).encode("latin-1"))


def _secure_cookie(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    """A Set-Cookie header made Secure (over https, or behind an https public URL)."""
    if name.lower() != b"set-cookie":
        return name, value
    attributes = {a.strip().split(b"=")[0].lower() for a in value.split(b";")[1:]}
    return (name, value if b"secure" in attributes else value + b"; Secure")


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None when it is larger than `limit` or the client left."""
    body, gone = await _read_chunks(receive, limit)
    return None if gone is not None else body


async def _read_chunks(receive: Receive, limit: int) -> tuple[bytes | None, Message | None]:
    """Read the body, at most `limit` bytes: (body, None); (None, None) as soon as it is
    known to be larger; (what came, the message) when something else arrived first (the
    client left before the body ended)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None, None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), None


async def _bounded_body(scope: Scope, receive: Receive, limit: int) -> Receive | None:
    """The request's body read here, at most `limit` bytes of it, before the app sees
    it: None as soon as it is known to be larger (a Content-Length over the limit is
    refused before a byte of the body is read). Otherwise a `receive` that hands the app
    the body, then passes the connection's later messages (a disconnect) through."""
    declared = Headers(scope=scope).get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        return None
    body, first = await _read_chunks(receive, limit)
    if body is None:
        return None
    # gone before the body ended: the app learns it first thing
    pending: Message | None = first or {
        "type": "http.request",
        "body": body,
        "more_body": False,
    }

    async def replay() -> Message:
        nonlocal pending
        if pending is not None:
            message, pending = pending, None
            return message
        return await receive()

    return replay


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    start: dict[str, Any] = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-length", str(len(body)).encode()), *headers],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})


HSTS = "max-age=31536000"


def _headers_for(host: str, secure: bool = False) -> list[tuple[bytes, bytes]]:
    out = {**SECURITY_HEADERS}
    parts = split_host(host)
    if parts is not None:
        name, port = parts
        netloc = f"{name}:{port}" if port else name
        out["Content-Security-Policy"] = CSP + f"; connect-src 'self' ws://{netloc} wss://{netloc}"
    if secure:
        out["Strict-Transport-Security"] = HSTS
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in out.items()]


async def _refuse(
    scope: Scope, send: Send, status: int, code: str, message: str, wait: float | None = None
) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *_headers_for(""),
    ]
    if wait is not None:
        headers.append(_retry_after(wait))
    if status == 413:
        # The rest of the body is not read: the connection cannot carry another request.
        headers.append((b"connection", b"close"))
    if scope["type"] == "websocket":
        _REFUSED_HANDSHAKE.set(True)
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


# At most this many session cookies of one request are looked at (one query for all of
# them): a request carrying thousands of made-up ones costs no more than this many.
MAX_SESSION_COOKIES = 100


def cookie_session_ids(conn: HTTPConnection) -> list[str]:
    """Session ids this browser holds a cookie for (tokens still to be checked): the last
    `MAX_SESSION_COOKIES` that can name a session. Browsers send the oldest cookies
    first, so these are the newest sessions."""
    ids = [
        name[len(COOKIE_PREFIX) :]
        for name in conn.cookies
        if name.startswith(COOKIE_PREFIX) and SESSION_ID.match(name[len(COOKIE_PREFIX) :])
    ]
    return ids[-MAX_SESSION_COOKIES:]


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
