"""The instance password and its sign-ins.

An optional instance password (`MOCKLOOP_PASSWORD`) for a deployment beyond localhost:
every page, API route and websocket then needs the login cookie (HttpOnly,
SameSite=Strict; set by the login page: a random value whose hash the database keeps
with an expiry, deleted at sign-out) or HTTP Basic with that password, except
`/healthz` and the static files. Wrong passwords are counted per address and overall
(`guesses.py`), before the password is looked at.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import time
from typing import TYPE_CHECKING, Literal

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from server.security.guesses import GuessLimiter
from server.security.keys import hash_token, new_token
from server.settings import Settings

if TYPE_CHECKING:
    from server.storage import Store

# Not under COOKIE_PREFIX: that names the per-session cookies.
LOGIN_COOKIE = "mockloop-login"
LOGIN_PATHS = ("/login", "/logout")
# Reachable without the instance password: health checks and the page's own assets.
_OPEN_PATHS = ("/healthz", "/static/", *LOGIN_PATHS)


def login_key(password: str) -> str:
    """A slow hash of the password, computed once at start-up: the key of the tags that
    bind each stored sign-in to the password, so that a new password signs everybody
    out and the database alone does not give the password away cheaply."""
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), b"mockloop-login", 200_000).hex()


def basic_password(headers: Headers) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""  # Basic, but no password in it: a wrong one
    return decoded.partition(":")[2]


def login_token(headers: Headers) -> str | None:
    """The login cookie's value (the first, should a request carry several)."""
    for part in headers.get("cookie", "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name == LOGIN_COOKIE:
            return value
    return None


def login_cookie(value: str, max_age: int, secure: bool = False) -> tuple[bytes, bytes]:
    parts = [f"{LOGIN_COOKIE}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly"]
    parts.append("SameSite=Strict")
    if secure:
        parts.append("Secure")
    return (b"set-cookie", "; ".join(parts).encode("latin-1"))


def wait_text(wait: float) -> str:
    return f"Too many wrong passwords; try again in {max(1, math.ceil(wait))} s."


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
        if await self.signed_in(login_token(headers)):
            return "ok", 0.0
        offered = basic_password(headers)
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
