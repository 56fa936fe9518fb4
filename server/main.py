"""Run the server: `serve(host, port, data_dir)`, or `python -m server.main [--host H]
[--port P] [--data-dir D]`. Arguments left out come from MOCKLOOP_* variables, then the
defaults (127.0.0.1, 8000, the per-user data dir)."""

from __future__ import annotations

import argparse
import asyncio
import copy
import logging
import sys
from pathlib import Path
from typing import Any

import h11
import uvicorn
import uvicorn.config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from server.app import create_app
from server.settings import Settings

SWITCH_INTERVAL = 0.0005  # seconds; CPython's default is 0.005


class ClientFrameErrors(logging.Filter):
    """uvicorn reports a text frame that is not UTF-8 at ERROR with a traceback, though it
    is the client's mistake and already answered (close 1007): a WARNING line is enough,
    and an ERROR in the log keeps meaning a fault of the server."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Invalid UTF-8 sequence received from client"):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = (
                "a client sent a text frame that is not UTF-8 (closed 1007)",
                (),
            )
            record.exc_info, record.exc_text = None, None
        return True


_TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 16\r\n"
    b"connection: close\r\n\r\n"
    b"request timeout\n"
)


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with read deadlines, which uvicorn does not have: a
    client that opens a connection and sends its headers a byte at a time, or declares a
    body and stalls, would hold the connection (and its slot under `limit_concurrency`)
    for ever. The request line and headers must arrive within `header_timeout` seconds of
    the connection opening or of the previous answer's end, and the body within
    `body_timeout` seconds of the headers; then the client gets 408 (when it had begun a
    request and no answer has started) and the connection is closed. Nothing is timed
    while the app works on a request, nor after a websocket upgrade."""

    header_timeout = 10.0
    body_timeout = 30.0

    _deadline: asyncio.TimerHandle | None = None
    _waiting: str = ""  # "headers", "body" or "" (nothing is being read)
    _begun = False  # bytes of the next request have arrived
    _upgraded = False  # the transport belongs to a websocket protocol now

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect("headers")

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._begun = True
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._begun = False
        self._follow()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._expect("")
        self._upgraded = True
        super().handle_websocket_upgrade(event)

    def connection_lost(self, exc: Exception | None) -> None:
        self._expect("")
        super().connection_lost(exc)

    def _follow(self) -> None:
        """Time what the client owes now: headers, a body, or nothing."""
        if self._upgraded or self.transport.is_closing():
            self._expect("")
        elif self.conn.their_state is h11.IDLE:
            if self._waiting != "headers":
                self._expect("headers")
        elif self.conn.their_state is h11.SEND_BODY:
            if self._waiting != "body":
                self._expect("body")
        else:
            self._expect("")

    def _expect(self, what: str) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._waiting = what
        if what and not self._upgraded:
            seconds = self.header_timeout if what == "headers" else self.body_timeout
            self._deadline = self.loop.call_later(seconds, self._expired, what)

    def _expired(self, what: str) -> None:
        self._deadline = None
        if self.transport.is_closing() or self._waiting != what:
            return
        self._waiting = ""
        cycle = self.cycle
        answered = cycle is not None and cycle.response_started and what == "body"
        if (what == "body" or self._begun) and not answered:
            self.transport.write(_TIMEOUT_ANSWER)
        self.logger.info("closed a connection: its request %s took too long", what)
        self.transport.close()


def deadline_protocol(settings: Settings) -> type[DeadlineH11Protocol]:
    """`DeadlineH11Protocol` with the settings' deadlines (uvicorn makes the protocol
    itself, with its own arguments only)."""
    return type(
        "DeadlineH11Protocol",
        (DeadlineH11Protocol,),
        {"header_timeout": settings.header_timeout, "body_timeout": settings.body_timeout},
    )


class ClosingWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol (websockets, sans-I/O), with a lingering close.

    - A frame the parser refuses (too big: 1009; text not UTF-8: 1007) is answered with
      the close frame, then the connection lingers: what the peer still sends is read and
      dropped unparsed, and the socket is closed a second later or when the peer closes.
      uvicorn closed the socket at once, while the rest of the refused frame was still
      arriving; unread data at close makes the kernel send a reset, and a reset can
      discard the close frame before the peer reads it (the peer saw 1006, not 1009).
    - A peer which goes on sending after the server's close frame is cut off the same
      way. uvicorn parses, unmasks and drops everything that arrives until the peer
      answers the close, for up to 10 s: a client flooding audio that ignored the close
      kept the server parsing 23 MB per closed connection. Past two frames' worth after
      the close, what arrives is dropped unparsed."""

    AFTER_CLOSE_GRACE = 1.0  # seconds: time for the peer to read the close frame

    _after_close = 0
    _lingering = False

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # read (a peer blocked in a send could not read the close), not parsed
        if self.close_sent:
            self._after_close += len(data)
            if self._after_close > 2 * self.config.ws_max_size:
                self._linger()
                return
        super().data_received(data)

    def handle_parser_exception(self) -> None:
        close = self.conn.close_sent
        assert close is not None  # websockets sends the close frame when it fails
        self.queue.put_nowait(
            {"type": "websocket.disconnect", "code": close.code, "reason": close.reason}
        )
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self._linger()

    def _linger(self) -> None:
        self._lingering = True
        if self.read_paused:  # uvicorn's flow control: the app will not read on
            self.read_paused = False
            self.transport.resume_reading()
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the peer reads the close frame, then the end
        # As `close_timer`, uvicorn's own: the app's end then leaves the socket open too.
        if self.close_timer is not None:
            self.close_timer.cancel()
        self.close_timer = self.loop.call_later(self.AFTER_CLOSE_GRACE, self.transport.close)


def _log_config() -> dict[str, Any]:
    config: dict[str, Any] = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["client_frames"] = {"()": ClientFrameErrors}
    config["loggers"]["uvicorn.error"]["filters"] = ["client_frames"]
    return config


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "http": deadline_protocol(settings),
        # An idle connection between requests is closed after 5 s; at most
        # `max_connections` are served at once (an HTTP request beyond gets 503).
        "timeout_keep_alive": 5,
        "limit_concurrency": settings.max_connections,
        # Request line and headers arriving in pieces are refused (400) past 16 KiB.
        "h11_max_incomplete_event_size": 16 * 1024,
        # websockets (sans-I/O): enforces the frame limit itself, closing with 1009.
        "ws": ClosingWebSocketProtocol,
        "ws_max_size": settings.max_frame,
        "ws_ping_interval": settings.ping_interval,
        "ws_ping_timeout": settings.ping_timeout,
        "ws_per_message_deflate": False,
        "server_header": False,
        "proxy_headers": False,
        "lifespan": "on",
        "log_level": "info",
        "log_config": _log_config(),
    }


def serve(
    host: str | None = None, port: int | None = None, data_dir: Path | str | None = None
) -> None:
    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    if data_dir is not None:
        overrides["data_dir"] = Path(data_dir)
    settings = Settings(**overrides)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # The event loop shares the GIL with the database threads. A thread coming back from
    # SQLite (every statement step, every commit) waits for a busy loop to give the GIL
    # up, by default up to 5 ms each time; under load that, not the disk, made up most
    # of a turn's latency (docs/RELIABILITY.md).
    sys.setswitchinterval(SWITCH_INTERVAL)
    app = create_app(settings)
    uvicorn.run(app, **uvicorn_options(settings))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m server.main", description="mockloop server")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.data_dir)


if __name__ == "__main__":
    main()
