"""One voice websocket's channel: microphone frames in, driver inputs and messages out.

Theory of operation
-------------------
`VoiceChannel` is one connection's ears: binary frames go to a `Listener`, whose events
become driver inputs (`Speaking` -> `CandidateSpeaking`, `Turn` -> `CandidateSaid` with
session-time start and end), `partial` messages and `state` messages (`listening`,
`thinking` with the moment and reason of the end-of-turn decision, `speaking` while the
client plays a line). Before the session starts, `ready()` waits for the models and the
opening line's clip, sending `warming` messages meanwhile. Transcription runs on the
process's one STT worker, and the voice activity detector and the recording's encoder on
its one audio worker: never on the event loop, so that no amount of audio sent can hold up
`/healthz` or another session (the websocket also caps each session's audio at 1.5 times
real time, `server.ws`). After a turn is committed, its word timestamps are stored; the
microphone is kept by the connection's `Recorder` (`server.speech.recording`) as Ogg/Opus
on the session clock.

A channel is given everything it uses when it is made (`VoiceService.channel_factory`):
the session's driver and store, a way to run store calls off the event loop, and the
service's models and workers (`SpeechService`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Protocol

from interviewer import Scenario
from server.inbox import Connection, Quiet, Said, Speaking, error_message
from server.session import SessionDriver
from server.speech.clips import opening_texts
from server.speech.endpoint import EndpointConfig
from server.speech.listener import Discarded, Listener, ListenerEvent, Partial, Turn
from server.speech.listener import Speaking as HeardSpeech
from server.speech.models import SpeechModels
from server.speech.recording import Recorder
from server.speech.stt import hotwords_from_glossary
from server.speech.turn import TEXT_SILENCE
from server.storage import Store

log = logging.getLogger("mockloop.voice")

# Runs a store call off the event loop (`SessionRegistry.db`).
StoreCall = Callable[..., Awaitable[Any]]

# Silence after which an answer is transcribed speculatively. The Listener's default,
# 0.3 s, starts a job at nearly every pause between sentences, and most are dropped when
# the candidate goes on: on piper answers 14 jobs for 6 answers at 0.3 s, 8 at 0.6 s. With
# one STT worker shared by every session, each dropped job that is already running delays
# the next session's answer; 0.6 s still leaves the job 1.9 s or more before a 2.5 s end
# silence fires.
SPECULATE_AFTER = 0.6
# With the early end of turn on (the default), the guess is also what decides whether a
# pause ends the turn (`server.speech.turn`), so it starts sooner: a dropped guess is the
# price of replying about a second after a finished answer.
SPECULATE_EARLY = 0.3
# Words the speech model gives less than this probability are "unsure": a side taken on
# one of them is asked for again (`CandidateSaid.unsure`). On the spoken evaluation set
# (piper voices, tiny.en) 0.5 flags 37% of misheard words and 3.1% of words heard right.
UNSURE_BELOW = 0.5


def endpoint_config(end_silence: float, *, early: bool = False) -> EndpointConfig:
    speculate = SPECULATE_EARLY if early else SPECULATE_AFTER
    return EndpointConfig(end_silence=end_silence, speculate_after=min(speculate, end_silence / 2))


class SpeechService(Protocol):
    """What a channel uses of the app's voice service (`server.voice.VoiceService`)."""

    @property
    def stt(self) -> Executor: ...
    @property
    def audio(self) -> Executor: ...
    @property
    def recording(self) -> set[tuple[str, str]]: ...
    @property
    def loaded(self) -> SpeechModels | None: ...
    @property
    def error(self) -> str | None: ...
    async def models(self) -> SpeechModels | None: ...
    def warm(self, scenario: Scenario, first: Sequence[str] = ()) -> list[asyncio.Future[Path]]: ...
    def prepare_replay(self, session_id: str) -> object: ...


class VoiceChannel:
    """One voice-mode websocket: microphone frames in, driver inputs and messages out.

    `store` and `db` (which runs a store call off the event loop) are the session's,
    given at construction."""

    def __init__(
        self,
        service: SpeechService,
        driver: SessionDriver,
        conn: Connection,
        scenario: Scenario,
        *,
        store: Store,
        db: StoreCall,
    ) -> None:
        self.service = service
        self.driver = driver
        self.conn = conn
        self.scenario = scenario
        self.store = store
        self._db = db
        self.listener: Listener | None = None
        self.unavailable = False
        self.playing: int | None = None
        self.barge_ins = 0
        self.recorder = Recorder(
            store, driver.session_id, going=service.recording, finished=service.prepare_replay
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._decided: float | None = None
        self._early_wanted = True  # the candidate's `turn_taking` choice

    # -- before the session starts ----------------------------------------------------

    async def ready(self) -> None:
        """Wait for the models and the session's first lines (sending `warming` progress),
        so that the opening line's audio exists before the line is sent."""
        models = await self._models()
        if models is None:
            return
        await self._warm_opening()
        # Model sets made before the end-of-turn model existed (fakes in tests) lack it.
        settings = getattr(self.service, "settings", None)
        early = settings is not None and settings.voice_early_turn
        self.listener = Listener(
            models.vad,
            models.transcriber,
            self.service.stt,
            self._on_event,
            config=endpoint_config(float(self.scenario.voice.end_silence), early=early),
            hotwords=hotwords_from_glossary(self.scenario.glossary),
            clock=time.time,
            vad_executor=self.service.audio,
            # Without the end-of-turn model (not installed) the wording alone still ends
            # a turn `TEXT_SILENCE` into a pause.
            turn_model=getattr(models, "turn", None) if early else None,
            text_silence=TEXT_SILENCE if early else None,
        )
        self.listener.early = self._early_wanted

    def set_early(self, on: bool) -> None:
        """`turn_taking`: whether a pause may end the turn before the long silence (when
        the server allows it, `MOCKLOOP_VOICE_EARLY_TURN`); from the next pause on."""
        self._early_wanted = on
        if self.listener is not None:
            self.listener.early = on

    async def _models(self) -> SpeechModels | None:
        """The loaded models; None, and the client told to type, when there are none."""
        if self.service.loaded is None:
            self.conn.send({"type": "warming", "stage": "models", "done": 0, "total": 1})
        models = await self.service.models()
        if models is None:
            self.unavailable = True
            self.conn.send(
                error_message(
                    "voice_unavailable",
                    f"Voice is not available on this server ({self.service.error}). "
                    "Type your answers instead.",
                )
            )
        return models

    async def _warm_opening(self) -> None:
        """Queue the scenario's lines, the session's opening first when it has not begun,
        and wait for the opening's clips."""
        record = await self._db(self.store.get_session, self.driver.session_id)
        first = (
            opening_texts(self.scenario, record.seed)
            if record is not None and record.status == "created"
            else []
        )
        waiting = self.service.warm(self.scenario, first)
        if waiting and not all(f.done() for f in waiting):
            total = len(waiting)
            for done, next_clip in enumerate(asyncio.as_completed(waiting), start=1):
                with contextlib.suppress(Exception):
                    await next_clip
                self.conn.send({"type": "warming", "stage": "lines", "done": done, "total": total})

    # -- the wire ------------------------------------------------------------------------

    async def feed(self, pcm: bytes) -> None:
        listener = self.listener
        if listener is None or self._closed:
            return
        arrived = time.time()
        await self._off_loop(self.recorder.record, pcm, arrived)
        if self._closed:
            return
        was = listener.listening
        await listener.feed(pcm)
        if was and not listener.listening:
            self._thinking("silence")

    async def done(self) -> None:
        listener = self.listener
        if listener is None:
            self.conn.send(
                error_message("voice_unavailable", "voice is not available: type your answer")
            )
            return
        await listener.done()
        self._thinking("done")

    def playback(self, seq: int, event: str) -> None:
        if event == "started":
            self.playing = seq
            self.conn.send({"type": "state", "value": "speaking"})
        elif self.playing == seq:
            self.playing = None
            if self.listener is None or not self.listener.listening:
                self.conn.send({"type": "state", "value": "listening"})

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.listener is not None:
            await self.listener.aclose()
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout=10)
        await self._off_loop(self.recorder.stop)

    # -- listener events -----------------------------------------------------------------

    def _thinking(self, reason: str) -> None:
        self._decided = time.time()
        self.conn.send(
            {
                "type": "state",
                "value": "thinking",
                "reason": reason,
                "decided": round(self._decided, 4),
            }
        )

    async def _on_event(self, event: ListenerEvent) -> None:
        if isinstance(event, HeardSpeech):
            if self.playing is not None:
                self.barge_ins += 1  # the client stops the line; the interview goes on
            self.driver.submit(Speaking(self.conn))
            self.conn.send({"type": "state", "value": "listening", "speech": True})
        elif isinstance(event, Partial):
            self.conn.send({"type": "partial", "text": event.text})
        elif isinstance(event, Turn):
            self._turn(event)
        elif isinstance(event, Discarded):
            # held-back timers may speak now; no error to anyone if the round is over
            self.driver.submit(Quiet(None))
            self.conn.send({"type": "partial", "text": ""})
            self.conn.send({"type": "state", "value": "listening"})

    def _turn(self, turn: Turn) -> None:
        if not turn.text:
            # "done" with nothing heard: a stray key press must not cost a question.
            self.conn.send(
                error_message(
                    "nothing_heard", "Nothing was heard yet: answer aloud, then press I'm done."
                )
            )
            self.conn.send({"type": "state", "value": "listening"})
            return
        first, last, words = self._on_session_clock(turn)
        committed = self._after_commit(turn, words)
        unsure = tuple(w.text.strip() for w in turn.words if w.probability < UNSURE_BELOW)
        submitted = self.driver.submit(
            Said(self.conn, turn.text, start=first, end=last, unsure=unsure, committed=committed)
        )
        if not submitted:
            self.conn.send(error_message("ended", "the interview is over"))

    def _on_session_clock(self, turn: Turn) -> tuple[float, float, list[dict[str, Any]]]:
        """The turn's start, end and words in session seconds."""
        started = self._started_at()
        listener = self.listener
        assert listener is not None

        def at(t: float) -> float:
            return round(max(0.0, listener.clock_time(t) - started), 3)

        # Audio time maps to the session clock through the frames' arrival times: exact
        # for a live microphone, squeezed for audio sent faster than real time. Either way
        # the turn's span is ordered and holds its words.
        first, last = at(turn.start), at(turn.end)
        last = max(first, last)
        words: list[dict[str, Any]] = []
        for w in turn.words:
            begin = min(max(at(w.start), first), last)
            words.append(
                {
                    "text": w.text,
                    "start": begin,
                    "end": min(max(begin, at(w.end)), last),
                    "probability": w.probability,
                }
            )
        return first, last, words

    def _started_at(self) -> float:
        record = self.driver.record
        if record is not None and record.started_at is not None:
            return float(record.started_at)
        return self.recorder.started or time.time()

    def _after_commit(self, turn: Turn, words: list[dict[str, Any]]) -> Callable[[int], None]:
        """What to do once the turn is stored as the candidate message `seq`."""
        decided, heard = self._decided, time.time()

        def committed(seq: int) -> None:
            self.conn.send({"type": "state", "value": "listening"})
            # Where a slow reaction's time went (never the words: no transcript in logs).
            log.info(
                "voice turn (%s): transcript %.0f ms after the end, committed %.0f ms later",
                turn.reason,
                (heard - decided) * 1000 if decided is not None else -1,
                (time.time() - heard) * 1000,
            )
            if words:
                self._spawn(self._save_words(seq, words))

        return committed

    async def _save_words(self, seq: int, words: list[dict[str, Any]]) -> None:
        try:
            await self._db(self.store.save_words, self.driver.session_id, seq, words)
        except Exception as exc:
            log.error("saving word timestamps failed (%s)", type(exc).__name__)

    # -- the audio worker -------------------------------------------------------------------

    async def _off_loop(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)` on the audio worker. Inline when the worker is shut down (the
        server is stopping): a short blocking write beats losing the recording."""
        try:
            job = self.service.audio.submit(fn, *args)
        except RuntimeError:
            return fn(*args)
        try:
            return await asyncio.wrap_future(job)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if job.cancelled() and (task is None or not task.cancelling()):
                return fn(*args)  # dropped from the worker's queue at shutdown
            raise

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
