"""The websocket endpoint `/ws/sessions/{id}` (see docs/PROTOCOL.md).

One connection is two tasks: this handler reads frames and turns them into driver inputs,
and a pump writes whatever the driver (or the handler itself) puts in the connection's
outbox, so a slow client never holds up the session driver. Everything sent goes through
the outbox, which keeps errors and session messages in order.

Close codes: 1000 the round is over (after `ended`) or the session was deleted, 1003 binary
frames where none are expected, 1007 a `hello` that is not valid, 1008 policy (no or wrong
token, unknown session, no `hello` in time, rate limit), 1009 frame too big, 1011 server
error. Nothing a client sends can raise out of this handler.

Voice connections are counted per session and per client address (`VoiceGate`): one over
either cap gets `rate_limited` and 1008 after its `hello`. A session's microphone audio is
budgeted in bytes (a token bucket kept across its connections, so that reconnecting does
not refill it): 1.5 times real time after a head start of 10 s of audio by default; a
frame beyond the budget is dropped with `rate_limited` and 1008.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import re
import time
from typing import Any, Protocol

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from interviewer import Scenario
from server.errors import error_response
from server.inbox import (
    Attach,
    Close,
    Connection,
    Detach,
    Edited,
    Leave,
    Said,
    error_message,
)
from server.registry import SessionRegistry
from server.security import (
    TokenBucket,
    WarnThenClose,
    address_key,
    offered_tokens,
    origin_allowed,
    token_matches,
)
from server.session import SessionDriver
from server.settings import Settings
from server.storage import Store

log = logging.getLogger("mockloop.ws")

router = APIRouter()


class VoiceChannel(Protocol):
    """The speech pipeline of one voice-mode connection, made by `app.state.voice_factory`.

    It turns PCM frames into driver inputs (`driver.submit(Speaking(conn))`, and
    `driver.submit(Said(conn, text, start, end))` with times in wall seconds since the
    session began) and may send `partial`/`state` messages with `conn.send`. Without a
    factory, voice-mode sessions still take typed `say` turns.

    A channel may also have `async def ready()`: awaited after `hello` is accepted and
    before the connection is attached to the session (the first attach starts it)."""

    async def feed(self, pcm: bytes) -> None: ...
    async def done(self) -> None: ...
    def playback(self, seq: int, event: str) -> None: ...
    def set_early(self, on: bool) -> None: ...
    async def aclose(self) -> None: ...


class VoiceFactory(Protocol):
    def __call__(
        self, driver: SessionDriver, conn: Connection, scenario: Scenario
    ) -> VoiceChannel: ...


AUDIO_BYTES_PER_SECOND = 32_000  # PCM16, mono, 16 kHz: what the browser sends


class AudioBudget:
    """A token bucket in bytes: `rate` a second, at most `burst` held."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, size: int, now: float | None = None) -> bool:
        self._refill(time.monotonic() if now is None else now)
        if self.tokens < size:
            return False
        self.tokens -= size
        return True

    def full(self, now: float) -> bool:
        return self.tokens + (now - self.stamp) * self.rate >= self.burst


class VoiceGate:
    """Voice connections open per session and per client address, and each session's
    audio budget. One per app (`gate_for`); used on the event loop only."""

    def __init__(self, settings: Settings) -> None:
        self.per_session = settings.voice_per_session
        self.per_address = settings.voice_per_address
        self.rate = settings.voice_audio_rate * AUDIO_BYTES_PER_SECOND
        self.burst = settings.voice_audio_burst * AUDIO_BYTES_PER_SECOND
        self.sessions: dict[str, int] = {}
        self.addresses: dict[str, int] = {}
        self._budgets: dict[str, AudioBudget] = {}

    def admit(self, session_id: str, address: str) -> bool:
        """Count one more voice connection, unless a cap is reached (then False)."""
        if self.sessions.get(session_id, 0) >= self.per_session:
            return False
        if self.addresses.get(address, 0) >= self.per_address:
            return False
        self.sessions[session_id] = self.sessions.get(session_id, 0) + 1
        self.addresses[address] = self.addresses.get(address, 0) + 1
        self._forget_idle()
        return True

    def release(self, session_id: str, address: str) -> None:
        for counts, key in ((self.sessions, session_id), (self.addresses, address)):
            left = counts.get(key, 0) - 1
            if left > 0:
                counts[key] = left
            else:
                counts.pop(key, None)

    def budget(self, session_id: str) -> AudioBudget:
        budget = self._budgets.get(session_id)
        if budget is None:
            budget = self._budgets[session_id] = AudioBudget(self.rate, self.burst)
        return budget

    def _forget_idle(self) -> None:
        # A budget outlives its connections until it has filled up again: only then is
        # a fresh one the same thing.
        now = time.monotonic()
        for session_id in [
            sid for sid, b in self._budgets.items() if sid not in self.sessions and b.full(now)
        ]:
            del self._budgets[session_id]


def gate_for(ws: WebSocket, settings: Settings) -> VoiceGate:
    gate: VoiceGate | None = getattr(ws.app.state, "voice_gate", None)
    if gate is None:
        gate = VoiceGate(settings)
        ws.app.state.voice_gate = gate
    return gate


class _Frame:
    __slots__ = ("data", "kind")

    def __init__(self, kind: str, data: str | bytes | int) -> None:
        self.kind = kind  # "text", "bytes" or "disconnect" (data: the close code)
        self.data = data


async def _receive(ws: WebSocket) -> _Frame:
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        return _Frame("disconnect", int(message.get("code") or 1005))
    if message.get("text") is not None:
        return _Frame("text", message["text"])
    if message.get("bytes") is not None:
        return _Frame("bytes", message["bytes"])
    return _Frame("text", "")


def _frame_size(frame: _Frame) -> int:
    if isinstance(frame.data, str):
        return len(frame.data.encode("utf-8", "surrogatepass"))
    if isinstance(frame.data, bytes):
        return len(frame.data)
    return 0


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _parse(text: str) -> dict[str, Any] | str:
    """The message, or an error code."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return "bad_json"
    if _SURROGATE_ESCAPE.search(text):
        # JSON may escape half a surrogate pair ("\ud800"); such a string cannot be
        # encoded as UTF-8, so it could be neither stored nor sent back out.
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return "bad_json"
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return "bad_message"
    return data


async def _pump(ws: WebSocket, conn: Connection) -> None:
    try:
        while True:
            item = await conn.outbox.get()
            if isinstance(item, Close):
                if ws.application_state == WebSocketState.CONNECTED:
                    await ws.close(item.code, item.reason or None)
                return
            await ws.send_text(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
    except (WebSocketDisconnect, OSError, RuntimeError):
        # The peer is gone (closed, reset, or silent past the ping timeout): an everyday
        # event, not a failure. A send that races the peer's close frame gets uvicorn's
        # RuntimeError ("after sending 'websocket.close'"). The reader stops too and the
        # driver forgets the connection.
        conn.closed = True


@router.websocket("/ws/sessions/{session_id}")
async def session_socket(ws: WebSocket, session_id: str) -> None:
    settings: Settings = ws.app.state.settings
    if not origin_allowed(ws.headers, settings):
        # Refused before the upgrade: a page on another origin gets no socket at all.
        response = error_response(403, "bad_origin", "cross-origin websocket refused")
        if "websocket.http.response" in ws.scope.get("extensions", {}):
            await ws.send_denial_response(response)
        else:
            await ws.close(1008)
        return
    await ws.accept()
    conn = Connection()
    pump = asyncio.create_task(_pump(ws, conn), name="ws-pump")
    try:
        reader = asyncio.create_task(_serve(ws, conn, session_id, settings), name="ws-read")
        done, _ = await asyncio.wait({reader, pump}, return_when=asyncio.FIRST_COMPLETED)
        if reader in done:
            # Let everything queued (a final error, the close) go out first.
            conn.close(1000)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pump, timeout=5)
        else:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        for task in (reader, pump):
            if task.done() and not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                log.error("websocket %s failed (%s)", task.get_name(), type(exc).__name__)
    finally:
        if not pump.done():
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump
        if ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await ws.close(1011)


def _fail(conn: Connection, code: str, message: str, close: int | None = None) -> None:
    """Tell the client what went wrong and, with `close`, end the connection."""
    conn.send(error_message(code, message))
    if close is not None:
        conn.close(close)


async def _serve(ws: WebSocket, conn: Connection, session_id: str, settings: Settings) -> None:
    registry: SessionRegistry = ws.app.state.registry
    store: Store = ws.app.state.store

    fail = functools.partial(_fail, conn)

    # ---- hello
    try:
        first = await asyncio.wait_for(_receive(ws), timeout=settings.hello_timeout)
    except TimeoutError:
        fail("hello_timeout", "send hello first", 1008)
        return
    if first.kind == "disconnect":
        return
    if _frame_size(first) > settings.max_frame:
        fail("too_big", "frame too big", 1009)
        return
    if not isinstance(first.data, str):
        fail("expected_hello", "the first message must be a JSON hello", 1003)
        return
    hello = _parse(first.data)
    if isinstance(hello, str) or hello.get("type") != "hello":
        fail("expected_hello", "the first message must be hello", 1008)
        return
    token = hello.get("token")
    last_seq = hello.get("last_seq", 0)
    if last_seq is None:
        last_seq = 0
    if (
        not isinstance(last_seq, int)
        or isinstance(last_seq, bool)
        or last_seq < 0
        or (token is not None and not isinstance(token, str))
    ):
        fail("bad_hello", "hello needs a string token and a non-negative integer last_seq", 1007)
        return

    record = await registry.db(store.get_session, session_id)
    tokens = [token] if token else offered_tokens(ws, session_id)
    if record is None:
        fail("not_found", "no such session", 1008)
        return
    if not tokens or not any(token_matches(t, record.token_hash) for t in tokens):
        fail("unauthorized", "wrong or missing token", 1008)
        return

    if record.status == "ended":
        for message in await registry.db(store.load_messages, session_id, last_seq):
            conn.send(message)
        conn.close(1000)
        return

    scenario = registry.catalog.get(record.scenario_id)
    factory: VoiceFactory | None = getattr(ws.app.state, "voice_factory", None)
    if record.mode == "voice" and factory is not None and scenario is not None:
        gate = gate_for(ws, settings)
        address = address_key(ws.client.host if ws.client is not None else "")
        if not gate.admit(session_id, address):
            fail("rate_limited", "too many voice connections at once", 1008)
            return
        try:
            await _attached(ws, conn, session_id, last_seq, settings, scenario, factory, gate)
        finally:
            gate.release(session_id, address)
    else:
        await _attached(ws, conn, session_id, last_seq, settings, scenario, None, None)


async def _attached(
    ws: WebSocket,
    conn: Connection,
    session_id: str,
    last_seq: int,
    settings: Settings,
    scenario: Scenario | None,
    factory: VoiceFactory | None,
    gate: VoiceGate | None,
) -> None:
    """The connection once its `hello` is accepted: attached to the session's driver,
    with a voice channel when `factory` is given."""
    registry: SessionRegistry = ws.app.state.registry
    store: Store = ws.app.state.store

    fail = functools.partial(_fail, conn)

    driver = registry.driver(session_id)
    voice: VoiceChannel | None = None
    if factory is not None and scenario is not None:
        voice = factory(driver, conn, scenario)
        ready = getattr(voice, "ready", None)
        if ready is not None:
            # Before the first hello starts the session: its opening line must have its
            # audio when it is sent (the channel sends `warming` progress meanwhile).
            try:
                await ready()
            except Exception as exc:
                log.error("voice channel failed to get ready (%s)", type(exc).__name__)
    if not driver.submit(Attach(conn, last_seq)):
        # The round ended while the voice channel got ready: show how it ended.
        if voice is not None:
            with contextlib.suppress(Exception):
                await voice.aclose()
        for message in await registry.db(store.load_messages, session_id, last_seq):
            conn.send(message)
        conn.close(1000)
        return

    messages = WarnThenClose(
        TokenBucket(settings.rate_messages_per_second, settings.rate_messages_burst)
    )
    frames = WarnThenClose(TokenBucket(settings.rate_frames_per_second, settings.rate_frames_burst))
    budget = gate.budget(session_id) if gate is not None and voice is not None else None
    try:
        while not conn.closed:
            frame = await _receive(ws)
            if frame.kind == "disconnect":
                return
            if _frame_size(frame) > settings.max_frame:
                fail("too_big", "frame too big", 1009)
                return
            verdict = (frames if frame.kind == "bytes" else messages).check()
            if verdict != "ok":
                fail("rate_limited", "too many messages", 1008 if verdict == "close" else None)
                continue
            if isinstance(frame.data, bytes):
                if voice is None:
                    fail("unsupported", "binary frames are for voice mode", 1003)
                    return
                if budget is not None and not budget.take(len(frame.data)):
                    fail("rate_limited", "audio is arriving faster than it is spoken", 1008)
                    return
                await voice.feed(frame.data)
                continue
            assert isinstance(frame.data, str)
            await _dispatch(frame.data, conn, driver, voice, settings, fail)
    finally:
        try:
            if voice is not None:
                # Shielded: a cancelled handler (server shutdown, a dropped test client)
                # must still keep the recording and the words of the last turn.
                with contextlib.suppress(Exception):
                    await asyncio.shield(voice.aclose())
        finally:
            driver.submit(Detach(conn))


async def _dispatch(
    text: str,
    conn: Connection,
    driver: SessionDriver,
    voice: VoiceChannel | None,
    settings: Settings,
    fail: Any,
) -> None:
    message = _parse(text)
    if isinstance(message, str):
        fail(message, "expected a JSON object with a string type")
        return
    kind = message["type"]
    if kind == "say":
        said = message.get("text")
        if not isinstance(said, str) or not said.strip():
            fail("bad_message", "say needs a non-empty text")
            return
        if len(said) > settings.max_say_chars:
            fail("too_long", f"say text is limited to {settings.max_say_chars} characters")
            return
        if not driver.submit(Said(conn, said.strip())):
            fail("ended", "the interview is over")
    elif kind == "code":
        code = message.get("code")
        if not isinstance(code, str):
            fail("bad_message", "code needs a string code")
            return
        if len(code) > settings.max_code_chars:
            fail("too_long", f"code is limited to {settings.max_code_chars} characters")
            return
        if not driver.submit(Edited(conn, code)):
            fail("ended", "the interview is over")
    elif kind == "end":
        if not driver.submit(Leave(conn)):
            fail("ended", "the interview is over")
    elif kind == "done":
        if voice is None:
            fail("unsupported", "done is for voice mode")
        else:
            await voice.done()
    elif kind == "turn_taking":
        early = message.get("early")
        if not isinstance(early, bool):
            fail("bad_message", "turn_taking needs a boolean early")
        elif voice is None:
            fail("unsupported", "turn_taking is for voice mode")
        else:
            voice.set_early(early)
    elif kind == "playback":
        seq, event = message.get("seq"), message.get("event")
        if not isinstance(seq, int) or isinstance(seq, bool) or event not in ("started", "ended"):
            fail("bad_message", "playback needs an integer seq and event started|ended")
            return
        if voice is not None:
            voice.playback(seq, str(event))
    elif kind == "hello":
        fail("unexpected", "hello was already received")
    else:
        fail("unknown_type", "unknown message type")
