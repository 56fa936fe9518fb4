"""Whose page is asking: the Host allowlist and the Origin check.

- Host allowlist on every HTTP request and websocket handshake (DNS rebinding: a page on
  an attacker's name that resolves to 127.0.0.1 still sends its own name as Host).
- Origin check: the websocket handshake, and every unsafe HTTP method, is refused with
  403 when `Origin` is present and is neither the server's own origin (scheme, host and
  port; the public origin when `MOCKLOOP_PUBLIC_URL` names one) nor allowlisted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from server.settings import Settings

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HOST_RE = re.compile(r"^(?P<name>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(?P<port>[0-9]{1,5}))?$")


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
