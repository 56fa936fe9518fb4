"""What the middleware adds to every answer, and the answers it gives itself.

- Security headers (CSP and friends) on every HTTP response; HSTS and Secure cookies
  over https (or behind an https public URL).
- Refusals are JSON errors (`{"error": {"code", "message"}}`); a refused websocket
  handshake gets its HTTP status where the server can send one, else a close before
  accept, and uvicorn's ERROR line about the unfinished handshake is dropped for it.
"""

from __future__ import annotations

import json
import logging
import math
from contextvars import ContextVar
from typing import Any

from starlette.types import Message, Scope, Send

from server.security.hosts import split_host

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

HSTS = "max-age=31536000"

# Header lines as ASGI carries them: (lowercase name, value).
RawHeaders = list[tuple[bytes, bytes]]


def headers_for(host: str, secure: bool = False) -> RawHeaders:
    out = {**SECURITY_HEADERS}
    parts = split_host(host)
    if parts is not None:
        name, port = parts
        netloc = f"{name}:{port}" if port else name
        out["Content-Security-Policy"] = CSP + f"; connect-src 'self' ws://{netloc} wss://{netloc}"
    if secure:
        out["Strict-Transport-Security"] = HSTS
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in out.items()]


def secure_cookie(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    """A Set-Cookie header made Secure (over https, or behind an https public URL)."""
    if name.lower() != b"set-cookie":
        return name, value
    attributes = {a.strip().split(b"=")[0].lower() for a in value.split(b";")[1:]}
    return (name, value if b"secure" in attributes else value + b"; Secure")


def with_headers(send: Send, extra: RawHeaders, secure: bool) -> Send:
    """`send` for the app: its response gets every header of `extra` it does not set
    itself, and its cookies are made Secure when `secure`."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            raw = list(message.get("headers", []))
            present = {name.lower() for name, _ in raw}
            for name, value in extra:
                if name.lower() not in present:
                    raw.append((name, value))
            if secure:
                raw = [secure_cookie(name, value) for name, value in raw]
            message = {**message, "headers": raw}
        await send(message)

    return send_with_headers


def retry_after(wait: float) -> tuple[bytes, bytes]:
    return (b"retry-after", str(max(1, math.ceil(wait))).encode())


async def send_response(send: Send, status: int, body: bytes, headers: RawHeaders) -> None:
    start: dict[str, Any] = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-length", str(len(body)).encode()), *headers],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})


async def refuse(
    scope: Scope, send: Send, status: int, code: str, message: str, wait: float | None = None
) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *headers_for(""),
    ]
    if wait is not None:
        headers.append(retry_after(wait))
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
