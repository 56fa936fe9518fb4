"""Every request body bounded while it is read (413), before any route parses it."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope


async def read_body(receive: Receive, limit: int) -> bytes | None:
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


async def bounded_body(scope: Scope, receive: Receive, limit: int) -> Receive | None:
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
