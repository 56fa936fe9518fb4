"""The session driver: one per live interview, the only owner of its engine state.

Theory of operation
-------------------
Every live session has one `SessionDriver`: an inbox (an `asyncio.Queue`) and one task
that takes inputs from it one at a time and runs each to completion. Nothing else touches
the engine state, so there are no locks. Inputs are what the websocket connections report
(attach, detach, a candidate turn, the candidate leaving) plus the driver's own timer: while
waiting on the inbox it also waits for the wall-clock moment that matches
`next_deadline(state)` and then feeds a `Tick`.

Each engine step is committed in one database transaction (the event, every seq'd message
it produced, its scores, the end) before any message is sent. Reads run on a small thread
pool and writes on one writer thread that commits the steps of many sessions together
(`server.storage.writer`), so that the event loop never blocks and writers never queue on
SQLite's lock.

Interview time is `(wall seconds since the session started) * time_scale`; `started_at` is
a stored wall-clock epoch, so a restarted server re-arms the same timers (and fires at once
those that fell due while it was down).

Resuming. The stored event log is the truth: a new driver (after the last connection
dropped and the driver was stopped, after a server restart, or on another replica) calls
`start` and then `step` for every stored event. The messages those replayed steps produce
were committed together with their events, so they are never stored or sent again; only
steps taken after the replay add messages. A client that reconnects sends `hello` with the
last seq it saw and gets exactly the messages after it, then the live ones.

Several connections to one session all receive every message and may all send (the
inbox serialises their turns). This keeps a reconnect that overlaps a half-dead old
socket simple, and two open tabs show the same interview.

The driver keeps running while no connection is attached: timers still fire and the round
still ends at its time, so a client that comes back finds the interview where the clock
says it is. A server that starts resumes every live session the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from interviewer import (
    CandidateLeft,
    CandidateQuiet,
    CandidateSaid,
    CandidateSpeaking,
    End,
    Event,
    IllegalEvent,
    PhaseChanged,
    Say,
    Scenario,
    Score,
    State,
    Tick,
    event_from_json,
    event_to_json,
    next_deadline,
    start,
    step,
)
from server.storage import Conflict, Ending, SessionRecord, Store, StoredEvent
from server.storage.writer import Writer

log = logging.getLogger("mockloop.session")

T = TypeVar("T")

# Interview seconds between a deadline that did not move and the next try: a guard
# against a busy loop should the engine ever hand back a deadline it already passed.
_MIN_WAIT = 0.05
# A connection that does not read its messages is dropped rather than buffered forever.
_MAX_OUTBOX = 10_000


def error_message(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


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
class Stop:
    """Shut the driver down (session deleted, server stopping)."""

    code: int = 1001
    error: dict[str, Any] | None = None


Input = Attach | Detach | Said | Speaking | Quiet | Leave | Stop

AudioUrl = Callable[[Scenario, Say], "str | None"]


class SessionDriver:
    def __init__(self, registry: SessionRegistry, session_id: str) -> None:
        self.registry = registry
        self.session_id = session_id
        self.inbox: asyncio.Queue[Input] = asyncio.Queue()
        self.closed = False
        self.task: asyncio.Task[None] | None = None

        self.record: SessionRecord | None = None
        self.scenario: Scenario | None = None
        self.state: State | None = None
        self.n = 0
        self.messages: list[dict[str, Any]] = []
        self.candidate_seqs: list[int] = []
        self.conns: set[Connection] = set()
        self.ended = False
        self._leftover: list[Input] = []

    # ---------------------------------------------------------------- public

    def submit(self, item: Input) -> bool:
        """Queue an input; False when the driver has stopped (the caller falls back to
        reading the stored session)."""
        if self.closed:
            return False
        self.inbox.put_nowait(item)
        return True

    @property
    def last_seq(self) -> int:
        return int(self.messages[-1]["seq"]) if self.messages else 0

    # ---------------------------------------------------------------- the task

    async def run(self) -> None:
        error: dict[str, Any] | None = None
        code = 1000
        try:
            if await self._load():
                stop = await self._loop()
                if stop is not None:
                    code, error = stop.code, stop.error
            else:
                error, code = error_message("not_found", "no such session"), 1008
        except asyncio.CancelledError:
            error, code = None, 1001
            raise
        except Conflict:
            # Another driver (another replica) wrote this session: reconnecting replays
            # its log from the database.
            log.warning("session %s: concurrent writer, driver stops", self.session_id)
            error, code = error_message("conflict", "session changed elsewhere; reconnect"), 1011
        except Exception as exc:
            log.error("session %s: driver failed (%s)", self.session_id, type(exc).__name__)
            log.debug("driver failure", exc_info=True)
            error, code = error_message("internal", "server error"), 1011
        finally:
            self._shut(code, error)

    def _shut(self, code: int, error: dict[str, Any] | None) -> None:
        # No await from here on: nothing can be submitted once `closed` is set, and
        # whatever was submitted before is answered below.
        self.closed = True
        self.registry._forget(self)
        pending = [*self.conns]
        self.conns.clear()
        items = self._leftover
        while not self.inbox.empty():
            items.append(self.inbox.get_nowait())
        for item in items:
            if isinstance(item, Attach):
                if error is None and self.record is not None:
                    self._send_backlog(item.conn, item.last_seq)
                pending.append(item.conn)
            elif isinstance(item, Said | Speaking | Leave) and item.conn is not None:
                item.conn.send(error or error_message("ended", "the interview is over"))
        for conn in pending:
            if error is not None:
                conn.send(error)
            conn.close(code)

    async def _loop(self) -> Stop | None:
        getter: asyncio.Task[Input] | None = None
        try:
            while not self.ended:
                if getter is None:
                    getter = asyncio.ensure_future(self.inbox.get())
                # Waiting on one long-lived getter (rather than wait_for on a fresh get)
                # cannot lose an item that arrives just as the timer fires.
                done, _ = await asyncio.wait({getter}, timeout=self._wait())
                if getter in done:
                    item = getter.result()
                    getter = None
                    if isinstance(item, Stop):
                        return item
                    await self._handle(item)
                else:
                    await self._tick()
            return None
        finally:
            if getter is not None:
                if getter.done() and not getter.cancelled():
                    # Taken off the queue while the last step ran: answered by _shut.
                    self._leftover.append(getter.result())
                else:
                    getter.cancel()

    # ---------------------------------------------------------------- loading

    async def _load(self) -> bool:
        store = self.registry.store
        record = await self.registry.db(store.get_session, self.session_id)
        if record is None:
            return False
        scenario = self.registry.catalog.get(record.scenario_id)
        if scenario is None:
            raise LookupError("scenario no longer in the catalog")
        self.record, self.scenario = record, scenario
        if record.status == "created":
            return True
        events = await self.registry.db(store.load_events, self.session_id)
        stored = await self.registry.db(store.load_messages, self.session_id, 0)
        self.state, self.n = self._replay(record, scenario, events, stored)
        self.messages = stored
        self.candidate_seqs = [int(m["seq"]) for m in stored if m["type"] == "candidate"]
        self.ended = record.status == "ended" or (self.state is not None and self.state.ended)
        return True

    def _replay(
        self,
        record: SessionRecord,
        scenario: Scenario,
        events: list[StoredEvent],
        stored: list[dict[str, Any]],
    ) -> tuple[State, int]:
        """The state after the stored events, and how many there were."""
        result = start(scenario, record.seed, at=0.0)
        said = [a.line_id for a in result.actions if isinstance(a, Say)]
        state = result.state
        n = 0
        for ev in events:
            if state.ended:
                # Today's script ended sooner than the one the session was recorded with
                # (the scenario changed under it): the stored messages stay the record.
                n = ev.n
                continue
            result = step(scenario, state, event_from_json(ev.data))
            state, n = result.state, ev.n
            said.extend(a.line_id for a in result.actions if isinstance(a, Say))
        # The replayed steps' messages are already stored: compare rather than store
        # again. A difference means the scenario file changed under a live session;
        # the stored messages stay the record and the session carries on from the state.
        sent = [m.get("line_id") for m in stored if m["type"] == "interviewer"]
        if sent != said:
            log.warning(
                "session %s: replay gave %d interviewer lines, %d were stored",
                self.session_id,
                len(said),
                len(sent),
            )
        return state, n

    # ---------------------------------------------------------------- inputs

    async def _handle(self, item: Input) -> None:
        match item:
            case Attach(conn=conn, last_seq=last_seq):
                if self.state is None and not self.ended:
                    await self._begin()
                self._send_backlog(conn, last_seq)
                if self.ended:
                    conn.close(1000)
                else:
                    self.conns.add(conn)
            case Detach(conn=conn):
                self.conns.discard(conn)
            case Said(conn=conn, text=text, start=t0, end=t1, committed=committed):
                at = self._now_at()
                seq = await self._step(CandidateSaid(at=at, text=text), conn, turn=(text, t0, t1))
                if seq is not None and committed is not None:
                    try:
                        committed(seq)
                    except Exception as exc:
                        log.error(
                            "session %s: commit hook failed (%s)",
                            self.session_id,
                            type(exc).__name__,
                        )
            case Speaking(conn=conn):
                await self._step(CandidateSpeaking(at=self._now_at()), conn)
            case Quiet(conn=conn):
                await self._step(CandidateQuiet(at=self._now_at()), conn)
            case Leave(conn=conn):
                await self._step(CandidateLeft(at=self._now_at()), conn)
            case Stop():  # handled by the loop
                pass

    def _send_backlog(self, conn: Connection, last_seq: int) -> None:
        for message in self.messages:
            if int(message["seq"]) > last_seq:
                conn.send(message)

    async def _begin(self) -> None:
        """First hello: the clock starts and the engine says its opening line."""
        assert self.record is not None and self.scenario is not None
        started_at = time.time()
        result = start(self.scenario, self.record.seed, at=0.0)
        self.record = dataclasses.replace(self.record, status="live", started_at=started_at)
        messages, _, _ = self._messages(result.actions, elapsed=0.0)
        try:
            await self.registry.write(
                self.registry.store.write_begin, self.session_id, started_at, messages
            )
        except Conflict:
            # Started meanwhile by another driver or replica: take its log instead.
            await self._load()
            return
        self.state = result.state
        self._publish(messages)

    async def _tick(self) -> None:
        assert self.state is not None
        deadline = next_deadline(self.state)
        if deadline is None:
            return
        await self._step(Tick(at=max(deadline, self._now_at())), None)

    async def _step(
        self,
        event: Event,
        origin: Connection | None,
        turn: tuple[str, float | None, float | None] | None = None,
    ) -> int | None:
        """Take one engine step; the seq of the candidate message of `turn`, if any."""
        assert self.record is not None and self.scenario is not None
        if self.state is None or self.ended:
            if origin is not None:
                origin.send(error_message("ended", "the interview is over"))
            return None
        try:
            result = step(self.scenario, self.state, event)
        except IllegalEvent as exc:
            if origin is not None:
                origin.send(error_message("illegal", str(exc)))
            return None
        elapsed = self._elapsed(event.at)
        pre: list[dict[str, Any]] = []
        if turn is not None:
            text, t0, t1 = turn
            end = elapsed if t1 is None else t1
            pre.append(
                {
                    "type": "candidate",
                    "text": text,
                    "start": round(end if t0 is None else t0, 3),
                    "end": round(end, 3),
                }
            )
        messages, scores, ending = self._messages(result.actions, elapsed, pre)
        n = self.n + 1
        await self.registry.write(
            self.registry.store.write_step,
            self.session_id,
            n,
            event_to_json(event),
            event.at,
            messages,
            scores,
            ending,
        )
        self.state, self.n = result.state, n
        self._publish(messages)
        if ending is not None:
            self.ended = True
            if not self.conns and self.registry.ended_unattended is not None:
                self.registry.ended_unattended(self.session_id)
            for conn in self.conns:
                conn.close(1000)
            self.conns.clear()
        return int(messages[0]["seq"]) if pre else None

    # ---------------------------------------------------------------- actions -> messages

    def _messages(
        self,
        actions: tuple[Any, ...],
        elapsed: float,
        pre: list[dict[str, Any]] | None = None,
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Ending | None]:
        """Number the step's messages (not yet published) and collect scores and the end."""
        assert self.record is not None and self.scenario is not None
        scale = self.record.time_scale
        seq = self.last_seq
        at = round(elapsed, 3)
        out: list[dict[str, Any]] = []
        scores: list[dict[str, Any]] = []
        ending: Ending | None = None
        candidate_seqs = list(self.candidate_seqs)

        def add(message: dict[str, Any]) -> None:
            nonlocal seq
            seq += 1
            out.append({"type": message.pop("type"), "seq": seq, **message, "at": at})
            if out[-1]["type"] == "candidate":
                candidate_seqs.append(seq)

        for message in pre or []:
            add(dict(message))
        for action in actions:
            if isinstance(action, Say):
                audio = None
                if self.record.mode == "voice" and self.registry.audio_url is not None:
                    audio = self.registry.audio_url(self.scenario, action)
                line: dict[str, Any] = {
                    "type": "interviewer",
                    "text": action.text,
                    "kind": action.kind,
                    "line_id": action.line_id,
                    "audio": audio,
                    "node": action.node,
                }
                # Spoken length of the clip, when known: for the client and the metrics.
                if audio is not None and self.registry.audio_duration is not None:
                    duration = self.registry.audio_duration(audio)
                    if duration is not None:
                        line["duration"] = duration
                add(line)
            elif isinstance(action, PhaseChanged):
                until = None if action.until is None else round(action.until / scale, 3)
                add(
                    {
                        "type": "phase",
                        "phase": action.phase,
                        "title": action.title,
                        "until": until,
                        "time_scale": scale,
                    }
                )
            elif isinstance(action, Score):
                scores.append(
                    {
                        "criterion": action.criterion,
                        "level": action.level,
                        "evidence": [
                            {
                                **dataclasses.asdict(e),
                                # the candidate message the words come from, for linking
                                "seq": candidate_seqs[e.turn]
                                if 0 <= e.turn < len(candidate_seqs)
                                else None,
                            }
                            for e in action.evidence
                        ],
                    }
                )
            elif isinstance(action, End):
                add(
                    {
                        "type": "ended",
                        "reason": action.reason,
                        "replay": f"/sessions/{self.session_id}",
                    }
                )
                ending = Ending(reason=action.reason, at=time.time())
        return out, scores, ending

    def _publish(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            self.messages.append(message)
            if message["type"] == "candidate":
                self.candidate_seqs.append(int(message["seq"]))
            for conn in list(self.conns):
                conn.send(message)
                if conn.closed:
                    self.conns.discard(conn)

    # ---------------------------------------------------------------- time

    def _elapsed(self, at: float) -> float:
        assert self.record is not None
        return at / self.record.time_scale

    def _now_at(self) -> float:
        """Interview time now, never before the engine's own clock."""
        assert self.record is not None and self.record.started_at is not None
        wall = time.time() - self.record.started_at
        now = wall * self.record.time_scale
        return max(now, self.state.now if self.state is not None else 0.0)

    def _wait(self) -> float | None:
        if self.state is None or self.ended or self.record is None:
            return None
        deadline = next_deadline(self.state)
        if deadline is None:
            return None
        assert self.record.started_at is not None
        due = self.record.started_at + deadline / self.record.time_scale
        wait = due - time.time()
        if deadline <= self.state.now:
            return max(wait, _MIN_WAIT)
        return max(wait, 0.0)


class SessionRegistry:
    """The live drivers of this process, by session id."""

    def __init__(
        self,
        store: Store,
        catalog: dict[str, Scenario],
        *,
        audio_url: AudioUrl | None = None,
        audio_duration: Callable[[str], float | None] | None = None,
        ended_unattended: Callable[[str], object] | None = None,
        db_threads: int = 4,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.audio_url = audio_url
        self.audio_duration = audio_duration
        # Told of a round that ended with no connection open (its time ran out after the
        # tab closed): nothing else will close a channel for it, which is where the voice
        # side otherwise learns that a round is over.
        self.ended_unattended = ended_unattended
        self._drivers: dict[str, SessionDriver] = {}
        self._executor = ThreadPoolExecutor(max_workers=db_threads, thread_name_prefix="db")
        self.writer = Writer(store.write_many)

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(db, *args)` on the writer thread; returns once it is committed."""
        return await asyncio.wrap_future(self.writer.submit(fn, *args))

    def get(self, session_id: str) -> SessionDriver | None:
        return self._drivers.get(session_id)

    def driver(self, session_id: str) -> SessionDriver:
        """The session's driver, started if it is not running."""
        existing = self._drivers.get(session_id)
        if existing is not None and not existing.closed:
            return existing
        driver = SessionDriver(self, session_id)
        self._drivers[session_id] = driver
        driver.task = asyncio.get_running_loop().create_task(
            driver.run(), name=f"session-{session_id}"
        )
        return driver

    def _forget(self, driver: SessionDriver) -> None:
        if self._drivers.get(driver.session_id) is driver:
            del self._drivers[driver.session_id]

    async def stop(
        self, session_id: str, code: int = 1000, error: dict[str, Any] | None = None
    ) -> None:
        driver = self._drivers.get(session_id)
        if driver is None or driver.task is None:
            return
        driver.submit(Stop(code, error))
        with contextlib.suppress(asyncio.CancelledError):
            await driver.task

    async def resume_live(self) -> int:
        """Start a driver for every live session (after a restart: timers re-armed)."""
        ids = await self.db(self.store.live_session_ids)
        for session_id in ids:
            self.driver(session_id)
        return len(ids)

    async def close(self) -> None:
        drivers = list(self._drivers.values())
        for driver in drivers:
            driver.submit(Stop(1001))
        for driver in drivers:
            if driver.task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(driver.task, timeout=5)
        await asyncio.get_running_loop().run_in_executor(None, self.writer.close)
        self._executor.shutdown(wait=True)

    def __len__(self) -> int:
        return len(self._drivers)
