"""The Listener: a voice session's ears. PCM in; `Speaking`, `Partial`, `Turn` out.

    listener = Listener(vad, transcriber, executor, on_event, end_silence=2.5,
                        hotwords="RLHF, KV cache", recorder=writer)
    await listener.feed(pcm16_bytes)      # any length; binary websocket frames as they come
    await listener.done()                 # the "I'm done" button: end the turn now
    await listener.aclose()

Frames are cut into 512-sample windows, scored by the VAD (about 0.2 ms per 32 ms
window; on `vad_executor` when one is given, so that a flood of audio cannot hold the
event loop, else inline) and fed to the pure `Endpointer`. Its decisions start
transcriptions on the executor, never on the event loop: speculatively a few hundred ms
into a silence (dropped if speech resumes), for each piece of a long answer at a pause,
and for the tail when the turn ends. The final text is the pieces' transcripts joined.

Events reach `on_event` in the order they were decided, from one emitter task: a
`Turn` waits for its transcriptions, and a `Speaking` decided after it waits behind it,
so the caller never sees the next answer start before the previous one is committed.
`on_event` should be quick (put the event in the session's inbox). All times are seconds
of audio received; sample `t * 16000` of the recording given to `recorder` is time `t`.

Ending a turn early (`server.speech.turn`). Each pause that starts a speculative
transcription also asks the `turn_model` (Smart Turn), off the event loop, whether the
last seconds of speech sound finished. Once the guess is in, its wording decides: if it
reads unfinished, the pause waits for the full `end_silence`, and `mid_phrase_hold` more
when the words stop mid-phrase ("Our plan was to"). If it reads finished, the
turn ends `early_silence` into the pause (0.4 s) when the model says "complete" (at
least `complete_above`), and `text_silence` into it (when set) whatever the model says.
A turn ended so is an ordinary `Turn` (reason "silence") whose text is the speculative
transcript, already there.
"""

# Long because the Listener is one state machine over the endpointer's events: the
# speculative transcript, the early end of a turn and the commit share its pause state,
# and splitting them would pass that state between modules.
from __future__ import annotations

import asyncio
import bisect
import collections
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from server.speech.audio import SAMPLE_RATE, Samples, pcm16_to_float32, rms
from server.speech.endpoint import (
    EndOfTurn,
    EndpointConfig,
    Endpointer,
    EndpointEvent,
    SegmentCut,
    SilenceStarted,
    Span,
    SpeechResumed,
    SpeechStarted,
    State,
)
from server.speech.stt import Transcriber, Transcript, Word
from server.speech.turn import MID_PHRASE_HOLD, sounds_finished, stops_mid_phrase
from server.speech.vad import WINDOW, VadModel

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Speaking:
    """The candidate started an answer."""

    at: float
    """When it was detected."""
    onset: float
    """When the speech began (slightly earlier)."""


@dataclass(frozen=True, slots=True)
class Partial:
    """Words heard so far in the current answer (may still change)."""

    text: str


@dataclass(frozen=True, slots=True)
class Turn:
    """A finished answer. `text` is empty only when "done" was pressed without speech."""

    text: str
    start: float
    end: float
    words: tuple[Word, ...]
    at: float
    """When the end of the turn was decided."""
    reason: Literal["silence", "done"]


@dataclass(frozen=True, slots=True)
class Discarded:
    """A sound the VAD took for speech, which held no words, ended by silence.

    It follows a `Speaking`; the caller can treat it as "stopped talking, said nothing".
    """

    at: float
    start: float
    end: float


ListenerEvent = Speaking | Partial | Turn | Discarded


class TurnModel(Protocol):
    """Whether speech sounds finished (e.g. `turn.SmartTurn`); called off the event loop."""

    def probability(self, audio: npt.ArrayLike) -> float: ...


class AudioSink(Protocol):
    """Where the candidate's audio goes as it arrives (e.g. `audio.CompressedWriter`)."""

    def write(self, samples: npt.ArrayLike) -> None: ...


@dataclass
class ListenerStats:
    transcriptions: int = 0
    speculative: int = 0
    speculative_used: int = 0
    speculative_dropped: int = 0
    cuts: int = 0
    turns: int = 0
    early_ends: int = 0
    """Turns ended before `end_silence` because the answer sounded finished."""
    ready_on_end: int = 0
    """Turns whose transcripts were all ready when the turn ended (speculation paid off)."""
    waits: list[float] = field(default_factory=list)
    """Per turn: seconds from the end-of-turn decision until its transcript was ready."""


@dataclass
class _Job:
    span: Span
    future: asyncio.Future[Transcript]
    speculative: bool


class _Buffer:
    """Growable float32 audio addressed by absolute sample index; the old part is dropped."""

    def __init__(self) -> None:
        self._data = np.zeros(SAMPLE_RATE * 4, dtype=np.float32)
        self._origin = 0  # absolute index of _data[0]
        self._length = 0  # valid samples in _data

    @property
    def end(self) -> int:
        return self._origin + self._length

    def append(self, samples: Samples) -> None:
        needed = self._length + samples.size
        if needed > self._data.size:
            bigger = np.zeros(max(needed, self._data.size * 2), dtype=np.float32)
            bigger[: self._length] = self._data[: self._length]
            self._data = bigger
        self._data[self._length : needed] = samples
        self._length = needed

    def slice(self, start: int, end: int) -> Samples:
        lo = max(start, self._origin) - self._origin
        hi = min(end, self.end) - self._origin
        if hi <= lo:
            return np.zeros(0, dtype=np.float32)
        return self._data[lo:hi].copy()

    def discard_before(self, index: int) -> None:
        drop = min(max(0, index - self._origin), self._length)
        # Only compact when it frees a good share: copying every window would cost more.
        if drop < SAMPLE_RATE or drop * 4 < self._length:
            return
        self._data[: self._length - drop] = self._data[drop : self._length]
        self._origin += drop
        self._length -= drop


_ARRIVAL_HISTORY = 900.0  # seconds of audio whose arrival times are kept for clock_time()


def _samples(t: float) -> int:
    return round(t * SAMPLE_RATE)


class Listener:
    def __init__(
        self,
        vad: VadModel,
        transcriber: Transcriber,
        executor: Executor,
        on_event: Callable[[ListenerEvent], Awaitable[None]],
        *,
        end_silence: float | None = None,
        hotwords: str | None = None,
        config: EndpointConfig | None = None,
        recorder: AudioSink | None = None,
        clock: Callable[[], float] = time.monotonic,
        vad_executor: Executor | None = None,
        turn_model: TurnModel | None = None,
        early_silence: float = 0.4,
        complete_above: float = 0.5,
        text_silence: float | None = None,
        mid_phrase_hold: float = MID_PHRASE_HOLD,
    ) -> None:
        config = config or EndpointConfig()
        if end_silence is not None:
            config = dataclasses.replace(config, end_silence=end_silence)
        self.hotwords = hotwords
        self.stats = ListenerStats()
        self._vad = vad.new_stream()
        self._transcriber = transcriber
        self._executor = executor
        self._on_event = on_event
        self._recorder = recorder
        self._endpointer = Endpointer(config)
        self._buffer = _Buffer()
        self._processed = 0  # samples already scored by the VAD
        self._odd_byte = b""
        self._jobs: list[_Job] = []  # final pieces of the current answer
        self._speculative: _Job | None = None
        self._outbox: asyncio.Queue[ListenerEvent | Awaitable[ListenerEvent | None]] = (
            asyncio.Queue()
        )
        self._emitter: asyncio.Task[None] | None = None
        self._closed = False
        self._clock = clock
        self._vad_executor = vad_executor
        self._turn_model = turn_model
        self.early_silence = early_silence
        self.complete_above = complete_above
        self.text_silence = text_silence
        self.mid_phrase_hold = mid_phrase_hold
        self.early = True
        """Whether pauses may end the turn early at all: the candidate's choice, per connection."""
        self._sound: asyncio.Future[float] | None = None  # the model's view of this pause
        self._pause_from = 0.0  # where the current pause's silence began
        self._judging = False  # this pause may still end the turn early
        # Feeds and "done" one at a time: with the VAD on another thread, a feed waits
        # for its windows' scores, and nothing else may move the endpointer meanwhile.
        self._turnstile = asyncio.Lock()
        # (audio seconds at the end of a fed chunk, clock reading when it arrived)
        self._arrivals: collections.deque[tuple[float, float]] = collections.deque()

    # -- public API -------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Seconds of audio received."""
        return self._buffer.end / SAMPLE_RATE

    def clock_time(self, t: float) -> float:
        """The `clock` reading (default `time.monotonic`) when audio time `t` was spoken.

        Audio time stops while no frames arrive (a paused microphone, a reconnect), so
        the caller maps event times through this to its own session clock. Each sample
        is taken to be spoken just before its frame arrived; accurate to a frame.
        """
        if not self._arrivals:
            return self._clock() - (self.now - t)
        ends = [end for end, _ in self._arrivals]
        i = min(bisect.bisect_left(ends, t), len(ends) - 1)
        end, arrived = self._arrivals[i]
        return arrived - (end - t)

    @property
    def end_silence(self) -> float:
        return self._endpointer.config.end_silence

    @end_silence.setter
    def end_silence(self, seconds: float) -> None:
        """Change the silence that ends a turn (e.g. per scenario node), from the next frame."""
        self._endpointer.config = dataclasses.replace(self._endpointer.config, end_silence=seconds)

    @property
    def listening(self) -> bool:
        """True while the candidate is inside an answer (speech or a pause in it)."""
        return self._endpointer.state is not State.IDLE

    async def feed(self, pcm: bytes | bytearray | memoryview) -> None:
        """PCM16 little-endian mono 16 kHz, any length (an odd byte waits for the next call)."""
        data = self._odd_byte + bytes(pcm)
        cut = len(data) - (len(data) % 2)
        self._odd_byte = data[cut:]
        await self.feed_samples(pcm16_to_float32(data[:cut]))

    async def feed_samples(self, samples: npt.ArrayLike) -> None:
        """Float32 audio in [-1, 1], mono 16 kHz, any length."""
        self._check_open()
        arr = np.asarray(samples, dtype=np.float32).reshape(-1)
        if arr.size == 0:
            return
        async with self._turnstile:
            self._check_open()
            if self._recorder is not None:
                self._recorder.write(arr)
            self._buffer.append(arr)
            self._arrivals.append((self.now, self._clock()))
            while self._arrivals and self._arrivals[0][0] < self.now - _ARRIVAL_HISTORY:
                self._arrivals.popleft()
            first = self._processed
            windows: list[Samples] = []
            while self._processed + WINDOW <= self._buffer.end:
                windows.append(self._buffer.slice(self._processed, self._processed + WINDOW))
                self._processed += WINDOW
            if not windows:
                return
            if self._vad_executor is None:
                scores = self._score(windows)
            else:
                loop = asyncio.get_running_loop()
                scores = await loop.run_in_executor(self._vad_executor, self._score, windows)
                if self._closed:
                    return
            for i, (prob, level) in enumerate(scores, start=1):
                end = (first + i * WINDOW) / SAMPLE_RATE
                for event in self._endpointer.frame(prob, level, end):
                    self._handle(event)
                self._maybe_finish(end)
            self._trim()

    def _score(self, windows: list[Samples]) -> list[tuple[float, float]]:
        """Speech probability and level of each window, in order (the VAD stream keeps
        state from one window to the next)."""
        return [(self._vad.process(window), rms(window)) for window in windows]

    async def done(self) -> None:
        """End the turn now. Returns at once; the `Turn` follows through `on_event`."""
        self._check_open()
        async with self._turnstile:
            self._check_open()
            at = max(self.now, self._processed / SAMPLE_RATE)
            for event in self._endpointer.done(at):
                self._handle(event)
            self._trim()

    async def drain(self) -> None:
        """Wait until every event decided so far has been passed to `on_event`."""
        if self._emitter is not None:
            await self._outbox.join()

    async def aclose(self) -> None:
        """Stop: pending transcriptions are abandoned and no more events are emitted."""
        if self._closed:
            return
        self._closed = True
        for job in [*self._jobs, *([self._speculative] if self._speculative else [])]:
            job.future.cancel()
        self._drop_sound()
        self._jobs.clear()
        self._speculative = None
        if self._emitter is not None:
            self._emitter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._emitter
        while not self._outbox.empty():
            item = self._outbox.get_nowait()
            if asyncio.iscoroutine(item):
                item.close()  # never started: close it so it is not reported as lost

    # -- endpoint events -> jobs and emissions ------------------------------------------

    def _handle(self, event: EndpointEvent) -> None:
        if not isinstance(event, SpeechStarted):
            self._drop_sound()
        if isinstance(event, SpeechStarted):
            self._emit(Speaking(at=event.at, onset=event.onset))
        elif isinstance(event, SilenceStarted):
            self._drop_speculative()
            self._speculative = self._submit(event.span, speculative=True)
            self.stats.speculative += 1
            self._emit(self._partial_after([*self._jobs, self._speculative]))
            self._start_judging(event)
        elif isinstance(event, SpeechResumed):
            self._drop_speculative()
        elif isinstance(event, SegmentCut):
            self.stats.cuts += 1
            self._jobs.append(self._take_or_submit(event.span))
            self._emit(self._partial_after(list(self._jobs)))
        elif isinstance(event, EndOfTurn):
            if event.tail is not None:
                self._jobs.append(self._take_or_submit(event.tail))
            else:
                self._drop_speculative()
            jobs, self._jobs = self._jobs, []
            if jobs and all(job.future.done() for job in jobs):
                self.stats.ready_on_end += 1
            self._emit(self._finish_turn(jobs, event, time.perf_counter()))

    def _start_judging(self, event: SilenceStarted) -> None:
        self._pause_from = event.speech_end
        judges = self._turn_model is not None or self.text_silence is not None
        self._judging = self.early and judges
        if not self._judging or self._turn_model is None:
            return
        end = _samples(event.speech_end)
        audio = self._buffer.slice(end - 8 * SAMPLE_RATE, end)
        loop = asyncio.get_running_loop()
        self._sound = loop.run_in_executor(self._vad_executor, self._turn_model.probability, audio)

    def _drop_sound(self) -> None:
        self._judging = False
        if self._sound is not None:
            self._sound.cancel()
            self._sound = None

    def _maybe_finish(self, at: float) -> None:
        """End the turn now if the judges say finished and the pause is long enough."""
        spec, quiet = self._speculative, at - self._pause_from
        if not self._judging or spec is None or quiet < self.early_silence:
            return
        if not spec.future.done():
            return
        if spec.future.cancelled() or spec.future.exception() is not None:
            self._judging = False
            return
        heard = spec.future.result()
        if not sounds_finished(heard):
            # The guess will not change: wait for the long silence, and longer still when
            # the words stop mid-phrase (a thinking pause, not a finished answer).
            self._judging = False
            if stops_mid_phrase(heard.text):
                self._endpointer.hold(self.mid_phrase_hold)
            return
        if self.text_silence is not None and quiet >= self.text_silence:
            self._end_early(at)
        elif self._sound is not None and self._sound.done():
            sound, self._sound = self._sound, None  # asked once per pause
            if sound.cancelled() or sound.exception() is not None:
                if not sound.cancelled():
                    _LOG.error("turn model failed: %r", sound.exception())
            elif sound.result() >= self.complete_above:
                self._end_early(at)
            if self.text_silence is None:
                self._judging = False

    def _end_early(self, at: float) -> None:
        self._judging = False
        self.stats.early_ends += 1
        for event in self._endpointer.finish(at):
            self._handle(event)

    def _take_or_submit(self, span: Span) -> _Job:
        """The speculative job when it covers exactly `span` (its text is final), else a new one."""
        spec = self._speculative
        if spec is not None and spec.span == span:
            self._speculative = None
            spec.speculative = False
            self.stats.speculative_used += 1
            return spec
        self._drop_speculative()
        return self._submit(span, speculative=False)

    def _drop_speculative(self) -> None:
        if self._speculative is not None:
            # A job still queued is never run; one already running finishes unheard.
            self._speculative.future.cancel()
            self._speculative = None
            self.stats.speculative_dropped += 1

    def _submit(self, span: Span, *, speculative: bool) -> _Job:
        audio = self._buffer.slice(_samples(span[0]), _samples(span[1]))
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(
            self._executor, self._transcriber.transcribe, audio, self.hotwords
        )
        self.stats.transcriptions += 1
        return _Job(span=span, future=future, speculative=speculative)

    def _trim(self) -> None:
        cfg = self._endpointer.config
        lookback = cfg.preroll + (cfg.start_frames + 2) * cfg.frame
        keep_from = self._processed / SAMPLE_RATE - lookback
        if self._endpointer.state is not State.IDLE:
            keep_from = min(keep_from, self._endpointer.segment_start)
        self._buffer.discard_before(_samples(keep_from))

    # -- ordered emission ----------------------------------------------------------------

    def _emit(self, item: ListenerEvent | Awaitable[ListenerEvent | None]) -> None:
        if self._emitter is None:
            self._emitter = asyncio.get_running_loop().create_task(self._run_emitter())
        self._outbox.put_nowait(item)

    async def _run_emitter(self) -> None:
        while True:
            item = await self._outbox.get()
            try:
                event = item if isinstance(item, ListenerEvent) else await item
                if event is not None:
                    await self._on_event(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                _LOG.exception("listener event handling failed")
            finally:
                self._outbox.task_done()

    @staticmethod
    async def _result(job: _Job) -> Transcript | None:
        """The job's transcript; None if it was dropped; empty (logged) if it failed."""
        await asyncio.wait([job.future])
        if job.future.cancelled():
            return None
        error = job.future.exception()
        if error is not None:
            _LOG.error("transcription failed: %r", error)
            return Transcript(text="", no_speech_prob=1.0, duration=job.span[1] - job.span[0])
        return job.future.result()

    async def _partial_after(self, jobs: list[_Job]) -> ListenerEvent | None:
        texts: list[str] = []
        for job in jobs:
            result = await self._result(job)
            if result is None:
                return None
            if result.text:
                texts.append(result.text)
        return Partial(" ".join(texts)) if texts else None

    async def _finish_turn(
        self, jobs: list[_Job], event: EndOfTurn, decided: float
    ) -> ListenerEvent:
        texts: list[str] = []
        words: list[Word] = []
        for job in jobs:
            result = await self._result(job)
            if result is None or not result.text:
                continue
            texts.append(result.text)
            words.extend(w.shifted(job.span[0]) for w in result.words)
        self.stats.waits.append(time.perf_counter() - decided)
        text = " ".join(texts)
        if not text and event.reason == "silence":
            return Discarded(at=event.at, start=event.start, end=event.end)
        self.stats.turns += 1
        return Turn(
            text=text,
            start=event.start,
            end=event.end,
            words=tuple(words),
            at=event.at,
            reason=event.reason,
        )

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("listener is closed")
