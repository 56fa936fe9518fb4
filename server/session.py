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

Resuming. The stored event log is the truth: a new driver replays it (`server.resume`)
and only steps taken after the replay add messages. The step's actions become messages in
`server.messages.encode`. The live drivers of a process are kept by `server.registry`.

Several connections to one session all receive every message and may all send (the
inbox serialises their turns). This keeps a reconnect that overlaps a half-dead old
socket simple, and two open tabs show the same interview.

The driver keeps running while no connection is attached: timers still fire and the round
still ends at its time, so a client that comes back finds the interview where the clock
says it is. A server that starts resumes every live session the same way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from interviewer import (
    CandidateLeft,
    CandidateQuiet,
    CandidateSaid,
    CandidateSpeaking,
    CodeEdited,
    CodeRan,
    Event,
    IllegalEvent,
    Say,
    Scenario,
    State,
    Tick,
    event_to_json,
    next_deadline,
    start,
    step,
)
from server.inbox import (
    Attach,
    Connection,
    Detach,
    Edited,
    Input,
    Leave,
    Quiet,
    Ran,
    Said,
    Speaking,
    Stop,
    error_message,
)
from server.messages import (
    Candidate,
    CandidateLine,
    Clip,
    CodeRun,
    CodeRunLine,
    Encoded,
    Message,
    encode,
    turn_seqs,
)
from server.resume import replay
from server.storage import Conflict, Ending, SessionRecord, Store

log = logging.getLogger("mockloop.session")

T = TypeVar("T")

# Interview seconds between a deadline that did not move and the next try: a guard
# against a busy loop should the engine ever hand back a deadline it already passed.
_MIN_WAIT = 0.05


class DriverHost(Protocol):
    """What a driver needs from the registry that runs it (`server.registry`)."""

    store: Store
    catalog: dict[str, Scenario]
    ended_unattended: Callable[[str], object] | None

    async def db(self, fn: Callable[..., T], *args: Any) -> T: ...

    async def write(self, fn: Callable[..., T], *args: Any) -> T: ...

    def forget(self, driver: SessionDriver) -> None: ...

    def clip(self, scenario: Scenario, say: Say) -> Clip: ...


class SessionDriver:
    def __init__(self, registry: DriverHost, session_id: str) -> None:
        self.registry = registry
        self.session_id = session_id
        self.inbox: asyncio.Queue[Input] = asyncio.Queue()
        self.closed = False
        self.task: asyncio.Task[None] | None = None

        self.record: SessionRecord | None = None
        self.scenario: Scenario | None = None
        self.state: State | None = None
        self.n = 0
        self.messages: list[Message] = []
        self.candidate_seqs: list[int] = []
        self.conns: set[Connection] = set()
        self.ended = False
        self.code: str | None = None  # the last stored snapshot of a coding round's editor
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
        return self.messages[-1].seq if self.messages else 0

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
        self.registry.forget(self)
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
            elif isinstance(item, Said | Speaking | Leave | Edited) and item.conn is not None:
                item.conn.send(error or error_message("ended", "the interview is over"))
            elif isinstance(item, Ran) and not item.stored.done():
                item.stored.set_result(False)
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
        stored = await self.registry.db(store.load_transcript, self.session_id, 0)
        replayed = replay(scenario, record.seed, events, stored, voice=record.mode == "voice")
        if replayed.diverged:
            log.warning(
                "session %s: replay gave %d interviewer lines, %d were stored",
                self.session_id,
                len(replayed.said),
                len(replayed.sent),
            )
        self.state, self.n = replayed.state, replayed.n
        self.messages = stored
        self.candidate_seqs = turn_seqs(stored)
        edits = [e.data for e in events if e.data.get("type") == "edited"]
        self.code = str(edits[-1].get("code", "")) if edits else None
        self.ended = record.status == "ended" or (self.state is not None and self.state.ended)
        return True

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
            case Said(conn=conn, text=text, start=t0, end=t1, unsure=unsure, committed=committed):
                at = self._now_at()
                turn = Candidate(text=text, start=t0, end=t1)
                event = CandidateSaid(at=at, text=text, unsure=unsure)
                encoded = await self._step(event, conn, turn)
                if encoded is not None and committed is not None:
                    try:
                        committed(encoded.messages[0].seq)
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
            case Edited(conn=conn, code=code):
                await self._snapshot(code, conn)
            case Ran() as ran:
                await self._ran(ran)
            case Stop():  # handled by the loop
                pass

    def _send_backlog(self, conn: Connection, last_seq: int) -> None:
        for message in self.messages:
            if message.seq > last_seq:
                conn.send(message.to_wire())

    async def _begin(self) -> None:
        """First hello: the clock starts and the engine says its opening line."""
        assert self.record is not None and self.scenario is not None
        started_at = time.time()
        result = start(self.scenario, self.record.seed, at=0.0, voice=self.record.mode == "voice")
        self.record = dataclasses.replace(self.record, status="live", started_at=started_at)
        messages = self._encode(result.actions, elapsed=0.0).messages
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
        turn: Candidate | None = None,
        run: Ran | None = None,
    ) -> Encoded | None:
        """Take one engine step and store it; its messages (None when it could not be
        taken). The message of `turn` or `run`, if given, comes first."""
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
        code_run = None
        if run is not None:
            code_run = CodeRun(
                tests=run.tests,
                exit_code=run.exit_code,
                timed_out=run.timed_out,
                seconds=run.seconds,
                summary=result.state.turns[-1].text,
                tests_result=run.tests_result,
            )
        encoded = self._encode(result.actions, self._elapsed(event.at), turn, code_run)
        ending = None
        if encoded.ended is not None:
            ending = Ending(reason=encoded.ended.reason, at=time.time())
        n = self.n + 1
        await self.registry.write(
            self.registry.store.write_step,
            self.session_id,
            n,
            event_to_json(event),
            event.at,
            encoded.messages,
            encoded.scores,
            ending,
        )
        self.state, self.n = result.state, n
        self._publish(encoded.messages)
        if ending is not None:
            self.ended = True
            if not self.conns and self.registry.ended_unattended is not None:
                self.registry.ended_unattended(self.session_id)
            for conn in self.conns:
                conn.close(1000)
            self.conns.clear()
        return encoded

    async def _snapshot(self, code: str, origin: Connection | None) -> bool:
        """Store the editor's content as it is now, unless it is what was stored last."""
        assert self.scenario is not None
        if self.scenario.code is None:
            if origin is not None:
                origin.send(error_message("unsupported", "this round has no code"))
            return False
        if code == self.code:
            return True
        if await self._step(CodeEdited(at=self._now_at(), code=code), origin) is None:
            return False
        self.code = code
        return True

    async def _ran(self, ran: Ran) -> None:
        """A run becomes a turn: the code that ran is stored first, then the run."""
        stored = False
        try:
            if await self._snapshot(ran.code, None):
                event = CodeRan(
                    at=self._now_at(),
                    tests=ran.tests,
                    exit_code=ran.exit_code,
                    timed_out=ran.timed_out,
                    figures=ran.figures,
                )
                stored = await self._step(event, None, run=ran) is not None
        finally:
            if not ran.stored.done():
                ran.stored.set_result(stored)

    # ---------------------------------------------------------------- actions -> messages

    def _encode(
        self,
        actions: tuple[Any, ...],
        elapsed: float,
        candidate: Candidate | None = None,
        code_run: CodeRun | None = None,
    ) -> Encoded:
        """Number the step's messages (not yet published) and collect scores and the end."""
        assert self.record is not None and self.scenario is not None
        voice = self.record.mode == "voice"
        return encode(
            actions,
            session_id=self.session_id,
            last_seq=self.last_seq,
            elapsed=elapsed,
            time_scale=self.record.time_scale,
            candidate_seqs=self.candidate_seqs,
            clips={
                a.line_id: self.registry.clip(self.scenario, a)
                for a in actions
                if voice and isinstance(a, Say)
            },
            candidate=candidate,
            code_run=code_run,
        )

    def _publish(self, messages: tuple[Message, ...]) -> None:
        for message in messages:
            self.messages.append(message)
            if isinstance(message, CandidateLine | CodeRunLine):
                self.candidate_seqs.append(message.seq)
            wire = message.to_wire()
            for conn in list(self.conns):
                conn.send(wire)
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
