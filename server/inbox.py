"""What a session's driver is told: the connections it sends to, and its inbox items.

The websockets, the voice channel and the code-run route speak to a driver only through
these (`SessionDriver.submit`); the driver answers through a `Connection`'s outbox, which
the connection's websocket task drains.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.messages import ErrorMessage

# A connection that does not read its messages is dropped rather than buffered forever.
_MAX_OUTBOX = 10_000


def error_message(code: str, message: str) -> dict[str, Any]:
    return ErrorMessage(code=code, message=message).to_wire()


@dataclass(frozen=True, slots=True)
class Close:
    """Ask a connection's sender to close the websocket with this code."""

    code: int
    reason: str = ""


class Connection:
    """One websocket, seen from the driver: an outbox the websocket task drains."""

    def __init__(self, label: str = "") -> None:
        self.label = label
        self.outbox: asyncio.Queue[dict[str, Any] | Close] = asyncio.Queue()
        self.closed = False

    def send(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        if self.outbox.qsize() >= _MAX_OUTBOX:
            self.close(1008, "not reading")
            return
        self.outbox.put_nowait(message)

    def close(self, code: int, reason: str = "") -> None:
        if not self.closed:
            self.closed = True
            self.outbox.put_nowait(Close(code, reason))


# -------------------------------------------------------------------- inbox items


@dataclass(frozen=True, slots=True)
class Attach:
    conn: Connection
    last_seq: int


@dataclass(frozen=True, slots=True)
class Detach:
    conn: Connection


@dataclass(frozen=True, slots=True)
class Said:
    """A committed candidate turn. `start`/`end`: wall seconds since the session began
    (voice mode knows them from the audio); None means now."""

    conn: Connection | None
    text: str
    start: float | None = None
    end: float | None = None
    # Voice mode: words heard with low confidence (`CandidateSaid.unsure`).
    unsure: tuple[str, ...] = ()
    # Called with the seq of the candidate message once it is stored and sent (voice
    # mode stores the turn's word timestamps against it).
    committed: Callable[[int], None] | None = None


@dataclass(frozen=True, slots=True)
class Speaking:
    """Voice mode: the candidate started talking."""

    conn: Connection | None


@dataclass(frozen=True, slots=True)
class Quiet:
    """Voice mode: the sound that started an answer had no words (a cough)."""

    conn: Connection | None


@dataclass(frozen=True, slots=True)
class Leave:
    conn: Connection | None


@dataclass(frozen=True, slots=True)
class Edited:
    """Coding rounds: a snapshot of the candidate's editor (stored only when it changed)."""

    conn: Connection | None
    code: str


@dataclass(frozen=True, slots=True)
class Ran:
    """Coding rounds: a run of the candidate's code, already done in the sandbox. `code`
    is what ran (stored as a snapshot first, if it differs from the last); `stored` is
    resolved once the run is committed (False when the interview was over)."""

    code: str
    tests: bool
    exit_code: int
    timed_out: bool
    seconds: float
    figures: dict[str, float]
    tests_result: dict[str, int] | None
    stored: asyncio.Future[bool]


@dataclass(frozen=True, slots=True)
class Stop:
    """Shut the driver down (session deleted, server stopping)."""

    code: int = 1001
    error: dict[str, Any] | None = None


Input = Attach | Detach | Said | Speaking | Quiet | Leave | Edited | Ran | Stop
