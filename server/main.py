"""Run the server: `serve(host, port, data_dir)`, or `python -m server.main [--host H]
[--port P] [--data-dir D]`. Arguments left out come from MOCKLOOP_* variables, then the
defaults (127.0.0.1, 8000, the per-user data dir)."""

from __future__ import annotations

import argparse
import copy
import logging
import sys
from pathlib import Path
from typing import Any

import uvicorn
import uvicorn.config

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


def _log_config() -> dict[str, Any]:
    config: dict[str, Any] = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["client_frames"] = {"()": ClientFrameErrors}
    config["loggers"]["uvicorn.error"]["filters"] = ["client_frames"]
    return config


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        # websockets (sans-I/O): enforces the frame limit itself, closing with 1009.
        "ws": "websockets-sansio",
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
