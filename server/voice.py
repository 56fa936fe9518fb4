"""Voice sessions: the speech models of the process, the interviewer's clips, and the
channel that joins one websocket's microphone to its session driver.

Theory of operation
-------------------
`VoiceService` is made once per app. At start-up it loads the speech models (Silero VAD,
faster-whisper, piper) on a background thread and runs `self_test` on them, so the server
answers at once and chat sessions never wait; `/healthz` says `loading`, `ready` or
`unavailable` (with the error naming the model). Models are kept per process, keyed by
the model settings, so several apps in one process (tests) load them once.

The interviewer's lines are known in advance. `ClipQueue` synthesizes them into the
`SpeechCache` on one thread (piper with one ONNX thread: the other core stays free for
speech recognition), urgent lines before background ones. A voice session asks for its
scenario as soon as it is created (`prefetch`): the lines its opening will say first,
then every other line in script order. The first line is never sent before its clip
exists: the websocket awaits `VoiceChannel.ready()` before the first `hello` starts the
session, with `warming` messages meanwhile. A later line that is not cached yet when it
is said is made on demand by `GET /speech/<name>` (the browser's prefetch asks for it at
once). Clips are static, content-addressed files served with immutable cache headers.

`VoiceChannel` is one connection's ears: binary frames go to a `Listener`, whose events
become driver inputs (`Speaking` -> `CandidateSpeaking`, `Turn` -> `CandidateSaid` with
session-time start and end), `partial` messages and `state` messages (`listening`,
`thinking` with the moment and reason of the end-of-turn decision, `speaking` while the
client plays a line). Transcription runs on the process's one STT worker, and the voice
activity detector and the recording's encoder on its one audio worker: never on the event
loop, so that no amount of audio sent can hold up `/healthz` or another session (the
websocket also caps each session's audio at 1.5 times real time, `server.ws`). After a
turn is committed, its word timestamps are stored; the microphone is kept as Ogg/Opus on
the session clock (silence fills gaps in the frames), registered with the store as soon
as it begins and given its duration when the connection closes, so the replay page can
play and seek it. Its Ogg pages reach the file every second or so: a server killed
mid-round loses about a second of the candidate's audio, and the next start-up gives
every recording left without a duration its duration from the file (`adopt_recordings`).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import heapq
import itertools
import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np
from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response

from interviewer import Say, Scenario, start
from server.review.audio import session_replay
from server.session import Connection, Quiet, Said, SessionDriver, Speaking, error_message
from server.settings import Settings
from server.speech.audio import SAMPLE_RATE, CompressedWriter, decode_audio, pcm16_to_float32
from server.speech.endpoint import EndpointConfig
from server.speech.listener import Discarded, Listener, ListenerEvent, Partial, Turn
from server.speech.listener import Speaking as HeardSpeech
from server.speech.models import SpeechModels, load_default_models, self_test, stt_executor
from server.speech.stt import ModelLoadError, hotwords_from_glossary
from server.speech.tts import SpeechCache
from server.storage import Store

log = logging.getLogger("mockloop.voice")

Status = Literal["loading", "ready", "unavailable"]

SPEECH_ROUTE = "/speech"
_CLIP_NAME = re.compile(r"^[0-9a-f]{64}\.(?:mp3|ogg|wav)$")
_CLIP_MEDIA = {".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".wav": "audio/wav"}
# A clip's name is the hash of everything that makes its bytes: it never changes.
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
# Lines needed now (a session's opening, a clip the browser is waiting for) go first.
URGENT, BACKGROUND = 0, 1
# Longest gap in the microphone frames filled with silence in the recording; after a
# longer one the recording goes on in a new track placed at its own offset, since
# encoding the silence would hold the audio worker (minutes of it for a long gap).
_MAX_PAD = 30.0
# Silence after which an answer is transcribed speculatively. The Listener's default,
# 0.3 s, starts a job at nearly every pause between sentences, and most are dropped when
# the candidate goes on: on piper answers 14 jobs for 6 answers at 0.3 s, 8 at 0.6 s. With
# one STT worker shared by every session, each dropped job that is already running delays
# the next session's answer; 0.6 s still leaves the job 1.9 s or more before a 2.5 s end
# silence fires.
SPECULATE_AFTER = 0.6


# ------------------------------------------------------------------------------ models


@dataclass
class _Loaded:
    models: SpeechModels
    seconds: float
    self_test_seconds: float


_models_lock = threading.Lock()
_models_by_key: dict[tuple[str, str], concurrent.futures.Future[_Loaded]] = {}


def _load(stt_model: str, tts_voice: str) -> _Loaded:
    t0 = time.perf_counter()
    models = load_default_models(
        whisper_model=stt_model or None,
        piper_model=tts_voice or None,
    )
    t1 = time.perf_counter()
    self_test(models)
    return _Loaded(models, t1 - t0, time.perf_counter() - t1)


def shared_models(stt_model: str = "", tts_voice: str = "") -> concurrent.futures.Future[_Loaded]:
    """The process's models for these settings: loading (on a daemon thread) or loaded.

    A failed load is forgotten once reported, so a later app may try again."""
    key = (stt_model, tts_voice)
    with _models_lock:
        existing = _models_by_key.get(key)
        if existing is not None and not (existing.done() and existing.exception() is not None):
            return existing
        future: concurrent.futures.Future[_Loaded] = concurrent.futures.Future()
        _models_by_key[key] = future

    def run() -> None:
        try:
            future.set_result(_load(stt_model, tts_voice))
        except BaseException as exc:  # reported through the future and /healthz
            future.set_exception(exc)

    # Not a daemon: the interpreter must not exit while native code is loading a model
    # (a process that ends meanwhile waits a few seconds instead of aborting).
    threading.Thread(target=run, name="speech-models", daemon=False).start()
    return future


def _ready_future(models: SpeechModels) -> concurrent.futures.Future[_Loaded]:
    future: concurrent.futures.Future[_Loaded] = concurrent.futures.Future()
    future.set_result(_Loaded(models, 0.0, 0.0))
    return future


# ------------------------------------------------------------------------------ clips


def clip_duration(path: Path) -> float | None:
    """Seconds of audio in a clip file (from its container; no decoding)."""
    try:
        with av.open(str(path)) as container:
            if container.duration is not None:
                return float(container.duration) / 1_000_000
            stream = container.streams.audio[0]
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
    except Exception:
        return None
    return None


def recording_seconds(path: Path) -> float | None:
    """Seconds of audio in a recording, one whose writer never finished it included (the
    position of its last whole Ogg page); None when the file holds no readable audio."""
    seconds = clip_duration(path)
    if seconds is not None and seconds > 0:
        return seconds
    try:
        return decode_audio(path).size / SAMPLE_RATE
    except Exception:
        return None


class ClipQueue:
    """Synthesizes lines into a `SpeechCache` on one worker thread, urgent lines first.

    Every line asked for gets a future (resolved with its file); a line already queued in
    the background moves up when it becomes urgent. Durations of the clips are kept for
    the `duration` field of interviewer messages.
    """

    def __init__(self, cache: SpeechCache) -> None:
        self.cache = cache
        self._futures: dict[str, concurrent.futures.Future[Path]] = {}
        self._heap: list[tuple[int, int, str]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._closed = False
        self._by_name: dict[str, str] = {}
        self.durations: dict[str, float] = {}
        self._thread = threading.Thread(target=self._run, name="speech-clips", daemon=True)
        self._thread.start()
        _open_queues.add(self)

    def name(self, text: str) -> str:
        return self.cache.path_for(text).name

    def text_for(self, name: str) -> str | None:
        return self._by_name.get(name)

    def request(
        self, texts: Iterable[str], priority: int = BACKGROUND
    ) -> list[concurrent.futures.Future[Path]]:
        out: list[concurrent.futures.Future[Path]] = []
        with self._cond:
            for text in dict.fromkeys(texts):
                future = self._futures.get(text)
                if future is None:
                    future = concurrent.futures.Future()
                    self._futures[text] = future
                    self._by_name[self.name(text)] = text
                    heapq.heappush(self._heap, (priority, next(self._order), text))
                elif not future.done() and priority == URGENT:
                    # Pushed again ahead of the background entry, which is then skipped.
                    heapq.heappush(self._heap, (priority, next(self._order), text))
                out.append(future)
            self._cond.notify()
        return out

    def known(self, texts: Iterable[str]) -> None:
        """Let `/speech/<name>` make these lines on demand (without queueing them)."""
        with self._cond:
            for text in texts:
                self._by_name.setdefault(self.name(text), text)

    def progress(self, texts: Iterable[str]) -> tuple[int, int]:
        unique = list(dict.fromkeys(texts))
        with self._cond:
            done = sum(1 for t in unique if (f := self._futures.get(t)) is not None and f.done())
        return done, len(unique)

    def close(self, timeout: float = 10.0) -> None:
        """Stop after the line being synthesized (a native thread must not be running
        when the interpreter exits)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap and not self._closed:
                    self._cond.wait()
                if self._closed:
                    for future in self._futures.values():
                        future.cancel()
                    return
                _, _, text = heapq.heappop(self._heap)
                future = self._futures[text]
            if future.done():
                continue
            try:
                path = self.cache.ensure(text)
                duration = clip_duration(path)
                if duration is not None:
                    self.durations[path.name] = round(duration, 3)
                future.set_result(path)
            except Exception as exc:
                log.error("synthesizing a line failed (%s)", type(exc).__name__)
                future.set_exception(exc)


def endpoint_config(end_silence: float) -> EndpointConfig:
    return EndpointConfig(
        end_silence=end_silence, speculate_after=min(SPECULATE_AFTER, end_silence / 2)
    )


_open_queues: weakref.WeakSet[ClipQueue] = weakref.WeakSet()


@atexit.register
def _close_queues() -> None:
    # An app that was never shut down (no lifespan exit) leaves its queue's thread
    # running; let the line in hand finish before the interpreter tears down.
    for queue in list(_open_queues):
        queue.close(timeout=10)


def opening_texts(scenario: Scenario, seed: int) -> list[str]:
    """What the interviewer says first in this session (the engine is deterministic)."""
    return [a.text for a in start(scenario, seed, at=0.0).actions if isinstance(a, Say)]


def script_texts(scenario: Scenario) -> list[str]:
    return [line.text for line in scenario.lines()]


# ------------------------------------------------------------------------------ the service


class VoiceService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        catalog: Mapping[str, Scenario],
        *,
        models: SpeechModels | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.catalog = catalog
        self.cache_dir = Path(settings.speech_cache_dir or settings.data_dir / "speech")
        self._given = models
        self._loading: concurrent.futures.Future[_Loaded] | None = None
        self._started = time.perf_counter()
        self._ready_seconds: float | None = None
        self.stt = stt_executor()
        # Voice activity detection and the recordings' encoding, for every session: a few
        # per cent of a core per session speaking in real time.
        self.audio = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="voice-audio"
        )
        self.clips: ClipQueue | None = None
        self.cache: SpeechCache | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        # (session id, track) of the recordings this process is making now.
        self.recording: set[tuple[str, str]] = set()
        self.on_ready: Callable[[SpeechCache], None] | None = None
        # Replay mixes of finished rounds, one at a time and at a lower CPU priority, so
        # that a candidate still speaking elsewhere keeps the cores.
        self.mixer = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="replay-mix", initializer=_lower_priority
        )

    # -- loading ---------------------------------------------------------------------

    def start(self) -> None:
        """Begin loading the models in the background (idempotent)."""
        if self._loading is not None:
            return
        self._started = time.perf_counter()
        if self._given is not None:
            self._loading = _ready_future(self._given)
        else:
            self._loading = shared_models(self.settings.stt_model, self.settings.tts_voice)
        self._loading.add_done_callback(self._loaded)
        with contextlib.suppress(RuntimeError):  # shut down already
            self.mixer.submit(self.adopt_recordings)

    def adopt_recordings(self) -> int:
        """Give every recording left without a duration (its server stopped while it was
        being made: killed, or out of power) its duration from the file, so that it counts
        as a finished recording; then mix the replay of rounds that are over. Returns how
        many were adopted. Run once at start-up, before any connection records."""
        adopted = 0
        try:
            unfinished = self.store.unfinished_audio()
        except Exception as exc:
            log.error("looking for unfinished recordings failed (%s)", type(exc).__name__)
            return 0
        for session_id, track in unfinished:
            if (session_id, track.track) in self.recording:
                continue  # begun since start-up: it is not unfinished but going on
            seconds = recording_seconds(track.path)
            if seconds is None:
                log.warning("an unfinished recording cannot be read; it is left as it is")
                continue
            try:
                self.store.save_audio(
                    session_id,
                    track.track,
                    track.path,
                    media_type=track.media_type,
                    offset=track.offset,
                    duration=round(seconds, 3),
                )
            except Exception as exc:
                log.error("adopting a recording failed (%s)", type(exc).__name__)
                continue
            adopted += 1
            with contextlib.suppress(RuntimeError):
                self.prepare_replay(session_id)
        if adopted:
            log.info("adopted %d recording(s) a stopped server left unfinished", adopted)
        return adopted

    def _loaded(self, future: concurrent.futures.Future[_Loaded]) -> None:
        if future.cancelled() or future.exception() is not None:
            exc = future.exception() if not future.cancelled() else None
            log.error("voice unavailable: %s", exc if exc is not None else "loading cancelled")
            return
        loaded = future.result()
        cache = SpeechCache(self.cache_dir, loaded.models.synthesizer)
        self.cache = cache
        self.clips = ClipQueue(cache)
        self._ready_seconds = time.perf_counter() - self._started
        log.info(
            "voice ready %.1f s after start-up (models %.1f s, self-test %.1f s)",
            self._ready_seconds,
            loaded.seconds,
            loaded.self_test_seconds,
        )
        if self.on_ready is not None:
            self.on_ready(cache)

    @property
    def status(self) -> Status:
        if self._loading is None or not self._loading.done():
            return "loading"
        if self.error is not None:
            return "unavailable"
        # Loaded; the clip queue is set up by a callback an instant later.
        return "ready" if self.clips is not None else "loading"

    @property
    def error(self) -> str | None:
        if self._loading is None or not self._loading.done():
            return None
        if self._loading.cancelled():
            return "loading was cancelled"
        exc = self._loading.exception()
        if exc is None:
            return None
        if isinstance(exc, ModelLoadError):
            return str(exc)
        return f"speech models failed to load: {type(exc).__name__}: {exc}"

    def health(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.error is not None:
            out["error"] = self.error
        if self._ready_seconds is not None:
            out["ready_seconds"] = round(self._ready_seconds, 2)
        return out

    async def models(self) -> SpeechModels | None:
        """The loaded models, waiting for them if need be; None when they cannot load."""
        self.start()
        assert self._loading is not None
        try:
            loaded = await asyncio.wrap_future(self._loading)
        except Exception:
            return None
        # The done-callback that sets up the clip queue runs in the loading thread, just
        # before the future's waiters are woken; it has run by now.
        return loaded.models if self.clips is not None else None

    @property
    def loaded(self) -> SpeechModels | None:
        if self._loading is None or not self._loading.done() or self.clips is None:
            return None
        return self._loading.result().models

    # -- clips -----------------------------------------------------------------------

    def warm(self, scenario: Scenario, first: Sequence[str] = ()) -> list[asyncio.Future[Path]]:
        """Queue a scenario's lines: `first` urgently, the rest in script order. Returns
        futures for `first`."""
        assert self.clips is not None
        urgent = self.clips.request(first, URGENT)
        self.clips.request(script_texts(scenario), BACKGROUND)
        return [asyncio.wrap_future(f) for f in urgent]

    def prefetch(self, scenario: Scenario, seed: int) -> None:
        """A voice session was just created: get its first lines ready meanwhile."""

        async def run() -> None:
            if await self.models() is not None:
                self.warm(scenario, opening_texts(scenario, seed))

        self._spawn(run())

    def audio_url(self, scenario: Scenario, say: Say) -> str | None:
        clips = self.clips
        if clips is None:
            return None
        # Normally queued long before; this keeps an unexpected line servable.
        clips.known([say.text])
        return f"{SPEECH_ROUTE}/{clips.name(say.text)}"

    def duration(self, url: str) -> float | None:
        if self.clips is None or not url.startswith(SPEECH_ROUTE + "/"):
            return None
        return self.clips.durations.get(url.rsplit("/", 1)[-1])

    def clip_path(self, url: str) -> Path | None:
        """The file behind an `audio` URL (for the replay mix)."""
        name = url.split("?", 1)[0].rsplit("/", 1)[-1]
        if not _CLIP_NAME.match(name):
            return None
        path = self.cache_dir / name
        return path if path.is_file() else None

    async def clip(self, name: str) -> Path | None:
        """The clip file, synthesized now if it is a known line not made yet."""
        if not _CLIP_NAME.match(name):
            return None
        path = self.cache_dir / name
        if path.is_file():
            return path
        clips = self.clips
        text = clips.text_for(name) if clips is not None else None
        if clips is None or text is None:
            return None
        (future,) = clips.request([text], URGENT)
        try:
            return await asyncio.wrap_future(future)
        except Exception:
            return None

    # -- sessions --------------------------------------------------------------------

    def factory(self, driver: SessionDriver, conn: Connection, scenario: Scenario) -> VoiceChannel:
        return VoiceChannel(self, driver, conn, scenario)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def prepare_replay(self, session_id: str) -> concurrent.futures.Future[Path | None]:
        """Mix the replay audio of a finished round now, so that its first view does not
        wait for it (tens of seconds for a long round). A round still going is left
        alone: its recording may grow."""
        store = self.store

        def mix() -> Path | None:
            record = store.get_session(session_id)
            if record is None or record.status != "ended" or record.mode != "voice":
                return None
            began = time.perf_counter()
            try:
                path = session_replay(store, session_id, self.clip_path)
            except Exception as exc:
                # The page builds it on request instead; nothing of the session is lost.
                log.error("mixing the replay audio failed (%s)", type(exc).__name__)
                return None
            log.info("replay audio mixed in %.1f s", time.perf_counter() - began)
            return path

        return self.mixer.submit(mix)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.clips is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.clips.close)
        self.stt.shutdown(wait=False, cancel_futures=True)
        # Queued work still runs: closing a recording is among it.
        self.audio.shutdown(wait=False)
        self.mixer.shutdown(wait=False, cancel_futures=True)


def _lower_priority() -> None:
    # On Linux a thread has its own nice value: this lowers the mixing thread alone.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


# ------------------------------------------------------------------------------ recording


class _Recording:
    """The microphone of one connection as Ogg/Opus on the session clock: sample `i` is
    `first + i / 16000` epoch seconds, gaps in the frames filled with silence. Each Ogg
    page reaches the file when it is full (about a second of audio). Writes after
    `close` are dropped."""

    def __init__(self, path: Path, first: float, track: str = "candidate") -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # The owner's alone from its first byte (the encoder opens it with O_TRUNC).
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        self.path = path
        self.first = first
        self.track = track
        self.samples = 0
        self.offset = 0.0
        self._lock = threading.Lock()
        self.closed = False
        self._writer = CompressedWriter(path, flush=True)

    def gap_before(self, samples: np.ndarray[Any, np.dtype[np.float32]], arrived: float) -> float:
        """Seconds between the end of what is written and the start of `samples`."""
        began = arrived - samples.size / SAMPLE_RATE
        return began - (self.first + self.samples / SAMPLE_RATE)

    def write(self, samples: np.ndarray[Any, np.dtype[np.float32]], arrived: float) -> None:
        with self._lock:
            if self.closed:
                return
            lag = self.gap_before(samples, arrived)
            if lag > 0.25:
                pad = np.zeros(round(min(lag, _MAX_PAD) * SAMPLE_RATE), dtype=np.float32)
                self._writer.write(pad)
                self.samples += pad.size
            self._writer.write(samples)
            self.samples += samples.size

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._writer.close()


# ------------------------------------------------------------------------------ the channel


class _SessionGone(Exception):
    """The session was deleted: nothing more of it may be written."""


class VoiceChannel:
    """One voice-mode websocket: microphone frames in, driver inputs and messages out."""

    def __init__(
        self, service: VoiceService, driver: SessionDriver, conn: Connection, scenario: Scenario
    ) -> None:
        self.service = service
        self.driver = driver
        self.conn = conn
        self.scenario = scenario
        self.listener: Listener | None = None
        self.unavailable = False
        self.playing: int | None = None
        self.barge_ins = 0
        self._record_started: float | None = None
        self._recording: _Recording | None = None
        # Held by the audio worker while it records a frame, and by whoever ends the
        # recording: a frame still being encoded when the connection closes is kept.
        self._recording_lock = threading.Lock()
        self._recording_stopped = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._decided: float | None = None

    @property
    def store(self) -> Store:
        return self.driver.registry.store

    # -- before the session starts ----------------------------------------------------

    async def ready(self) -> None:
        """Wait for the models and the session's first lines (sending `warming` progress),
        so that the opening line's audio exists before the line is sent."""
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
            return
        registry = self.driver.registry
        record = await registry.db(self.store.get_session, self.driver.session_id)
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
        self.listener = Listener(
            models.vad,
            models.transcriber,
            self.service.stt,
            self._on_event,
            config=endpoint_config(float(self.scenario.voice.end_silence)),
            hotwords=hotwords_from_glossary(self.scenario.glossary),
            clock=time.time,
            vad_executor=self.service.audio,
        )

    # -- the wire ------------------------------------------------------------------------

    async def feed(self, pcm: bytes) -> None:
        listener = self.listener
        if listener is None or self._closed:
            return
        arrived = time.time()
        await self._off_loop(self._record, pcm, arrived)
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
        await self._off_loop(self._stop_recording)

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

        submitted = self.driver.submit(
            Said(self.conn, turn.text, start=first, end=last, committed=committed)
        )
        if not submitted:
            self.conn.send(error_message("ended", "the interview is over"))

    async def _save_words(self, seq: int, words: list[dict[str, Any]]) -> None:
        try:
            await self.driver.registry.db(self.store.save_words, self.driver.session_id, seq, words)
        except Exception as exc:
            log.error("saving word timestamps failed (%s)", type(exc).__name__)

    # -- recording -----------------------------------------------------------------------

    def _started_at(self) -> float:
        record = self.driver.record
        if record is not None and record.started_at is not None:
            return float(record.started_at)
        return self._record_started or time.time()

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

    def _record(self, pcm: bytes, arrived: float) -> None:
        """On the audio worker: one frame into the recording, which begins (and is
        registered) with the first frame, and again after a gap too long to pad."""
        samples = pcm16_to_float32(pcm[: len(pcm) - len(pcm) % 2])
        if samples.size == 0:
            return
        with self._recording_lock:
            if self._recording_stopped:
                return
            try:
                recording = self._recording
                if recording is not None and recording.gap_before(samples, arrived) > _MAX_PAD:
                    self._recording = None
                    self._finish(recording)
                if self._recording is None:
                    self._recording = self._new_recording(arrived - samples.size / SAMPLE_RATE)
                self._recording.write(samples, arrived)
            except _SessionGone:
                self._recording_stopped = True
            except Exception as exc:
                # Losing the recording must not lose the interview.
                log.error("recording the microphone failed (%s)", type(exc).__name__)
                self._recording = None

    def _stop_recording(self) -> None:
        """On the audio worker: no more frames; the recording is finished and kept."""
        with self._recording_lock:
            self._recording_stopped = True
            recording, self._recording = self._recording, None
            if recording is not None:
                self._finish(recording)

    def _new_recording(self, first: float) -> _Recording:
        """A new track file, registered at once (without a duration) so that it is the
        session's even if this process dies before the track ends."""
        self._record_started = first
        store, session_id = self.store, self.driver.session_id
        for i in itertools.count(1):
            track = "candidate" if i == 1 else f"candidate-{i}"
            path = store.audio_path(session_id, track, "audio/ogg")
            if not path.exists():
                break
        recording = _Recording(path, first, track)
        try:
            record = store.get_session(session_id)
            if record is None:
                raise _SessionGone
            started = record.started_at if record.started_at is not None else first
            recording.offset = round(max(0.0, first - started), 3)
            store.save_audio(
                session_id, track, path, media_type="audio/ogg", offset=recording.offset
            )
        except BaseException:
            recording.close()
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # a deleted session's folder, made again
                path.parent.rmdir()
            raise
        self.service.recording.add((session_id, track))
        return recording

    def _finish(self, recording: _Recording) -> None:
        """On the audio worker: close the track and give it its duration (or remove it,
        when the session was deleted meanwhile)."""
        store, session_id, track = self.store, self.driver.session_id, recording.track
        try:
            recording.close()
        except Exception as exc:
            log.error("closing the recording failed (%s)", type(exc).__name__)
        try:
            record = store.get_session(session_id)
            if record is None:  # deleted meanwhile: nothing may stay behind
                recording.path.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    recording.path.parent.rmdir()
                return
            # The first frame may come before the session's start is stored.
            started = record.started_at if record.started_at is not None else recording.first
            store.save_audio(
                session_id,
                track,
                recording.path,
                media_type="audio/ogg",
                offset=round(max(0.0, recording.first - started), 3),
                duration=round(recording.samples / SAMPLE_RATE, 3),
            )
            with contextlib.suppress(RuntimeError):  # the mixer is already shut down
                self.service.prepare_replay(session_id)
        except Exception as exc:
            log.error("keeping the recording failed (%s)", type(exc).__name__)
        finally:
            self.service.recording.discard((session_id, track))

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


# ------------------------------------------------------------------------------ routes


def install(app: FastAPI, service: VoiceService) -> None:
    """`GET /speech/<name>`: the interviewer's clips, immutable."""

    @app.get(SPEECH_ROUTE + "/{name}", include_in_schema=False)
    async def speech_clip(name: str) -> Response:
        path = await service.clip(name)
        if path is None:
            return JSONResponse(
                {"error": {"code": "not_found", "message": "no such clip"}}, status_code=404
            )
        return FileResponse(path, media_type=_CLIP_MEDIA[path.suffix], headers=_IMMUTABLE)
