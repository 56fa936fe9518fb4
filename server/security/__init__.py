"""Security defaults of the shell.

- Host allowlist on every HTTP request and websocket handshake, and the Origin check on
  the websocket handshake and every unsafe HTTP method (`hosts.py`).
- Security headers (CSP and friends) on every HTTP response; HSTS and Secure cookies
  over https (or behind an https public URL) (`replies.py`).
- Every request body bounded while it is read (413), before any route parses it
  (`bodies.py`).
- Session tokens: random, stored only as a SHA-256 hash, compared in constant time; they
  arrive in the websocket `hello`, an `Authorization: Bearer` header or a per-session
  HttpOnly cookie, never in a query string (`keys.py`).
- Token buckets for per-connection rate limits, a sliding window per address
  (`limits.py`).
- An optional instance password (`MOCKLOOP_PASSWORD`) for a deployment beyond localhost
  (`login.py`, its pages in `login_pages.py`): every page, API route and websocket then
  needs the login cookie or HTTP Basic with that password, except `/healthz` and the
  static files. Wrong passwords are counted per address and overall, and past a few each
  further try waits longer, whatever password it brings (`guesses.py`).
- `middleware.py` applies all of it in front of the app.

The names the rest of the server uses are imported from here.
"""

from server.security.guesses import GuessLimiter, address_key
from server.security.hosts import host_allowed, origin_allowed, split_host
from server.security.keys import (
    COOKIE_PREFIX,
    MAX_SESSION_COOKIES,
    SESSION_ID,
    cookie_name,
    cookie_session_ids,
    hash_token,
    key_status,
    new_session_id,
    new_token,
    offered_tokens,
    token_matches,
)
from server.security.limits import SlidingWindow, TokenBucket, WarnThenClose
from server.security.login import LOGIN_COOKIE, PasswordGate, login_key
from server.security.middleware import SecurityMiddleware
from server.security.replies import CSP, HSTS, SECURITY_HEADERS, install_log_filter

__all__ = [
    "COOKIE_PREFIX",
    "CSP",
    "HSTS",
    "LOGIN_COOKIE",
    "MAX_SESSION_COOKIES",
    "SECURITY_HEADERS",
    "SESSION_ID",
    "GuessLimiter",
    "PasswordGate",
    "SecurityMiddleware",
    "SlidingWindow",
    "TokenBucket",
    "WarnThenClose",
    "address_key",
    "cookie_name",
    "cookie_session_ids",
    "hash_token",
    "host_allowed",
    "install_log_filter",
    "key_status",
    "login_key",
    "new_session_id",
    "new_token",
    "offered_tokens",
    "origin_allowed",
    "split_host",
    "token_matches",
]
