"""Voice sessions: the app's speech service (the models, the interviewer's clips, the
voice channels' shared workers) and `GET /speech/<name>`.

Theory of operation
-------------------
`VoiceService` is made once per app. At start-up it loads the speech models (Silero VAD,
faster-whisper, piper) on a background thread and runs `self_test` on them
(`server.speech.models.shared_models`), so the server answers at once and chat sessions
never wait; `/healthz` says `loading`, `ready` or `unavailable` (with the error naming the
model).

The interviewer's lines are known in advance: the service's `ClipQueue`
(`server.speech.clips`) synthesizes them ahead, urgent lines first. A voice session asks
for its scenario as soon as it is created (`prefetch`): the lines its opening will say
first, then every other line in script order. The first line is never sent before its clip
exists: the websocket awaits `VoiceChannel.ready()` before the first `hello` starts the
session, with `warming` messages meanwhile. A later line that is not cached yet when it
is said is made on demand by `GET /speech/<name>` (the browser's prefetch asks for it at
once). Clips are static, content-addressed files served with immutable cache headers.

Each voice websocket gets a `VoiceChannel` (`server.voice_channel`), made by
`channel_factory` with what it needs; the service lends it the process's STT and audio
workers. At start-up the service adopts the recordings a stopped server left unfinished
(`server.speech.recording`). When a round is over, its replay is mixed in the background
by the callback the app hands in (`server.review.mixer`): this module knows nothing of the
review pages.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response

from interviewer import Say, Scenario
from server.inbox import Connection
from server.session import SessionDriver
from server.settings import Settings
from server.speech.clips import BACKGROUND, URGENT, ClipQueue, opening_texts, script_texts
from server.speech.models import (
    LoadedModels,
    SpeechModels,
    ready_models,
    shared_models,
    stt_executor,
)
from server.speech.recording import adopt_recordings, lower_priority
from server.speech.stt import ModelLoadError
from server.speech.tts import SpeechCache
from server.storage import Store
from server.voice_channel import StoreCall, VoiceChannel

log = logging.getLogger("mockloop.voice")

Status = Literal["loading", "ready", "unavailable"]
# The file behind an interviewer line's `audio` URL, or None.
ClipPath = Callable[[str], Path | None]
# Mixes a round's replay if the round is over (`server.review.mixer.ReplayMixer.prepare`).
MixReplay = Callable[[str, ClipPath], concurrent.futures.Future[Path | None]]

SPEECH_ROUTE = "/speech"
_CLIP_NAME = re.compile(r"^[0-9a-f]{64}\.(?:mp3|ogg|wav)$")
CLIP_WAIT = 30.0  # seconds the background mix waits for a clip being made
_CLIP_MEDIA = {".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".wav": "audio/wav"}
# A clip's name is the hash of everything that makes its bytes: it never changes.
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


# ------------------------------------------------------------------------------ the service


class VoiceService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        catalog: Mapping[str, Scenario],
        *,
        mix_replay: MixReplay,
        models: SpeechModels | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.catalog = catalog
        self.cache_dir = Path(settings.speech_cache_dir or settings.data_dir / "speech")
        self._given = models
        self._loading: concurrent.futures.Future[LoadedModels] | None = None
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
        self._mix_replay = mix_replay
        self._closed = False

    # -- loading ---------------------------------------------------------------------

    def start(self) -> None:
        """Begin loading the models in the background (idempotent)."""
        if self._loading is not None:
            return
        self._started = time.perf_counter()
        if self._given is not None:
            self._loading = ready_models(self._given)
        else:
            self._loading = shared_models(self.settings.stt_model, self.settings.tts_voice)
        self._loading.add_done_callback(self._loaded)
        if not self._closed:
            threading.Thread(target=self._adopt, name="adopt-recordings").start()

    def _adopt(self) -> None:
        """Once, at start-up, at a lower CPU priority: the recordings a stopped server
        left unfinished get their durations (`adopt_recordings`)."""
        lower_priority()
        adopt_recordings(self.store, self.recording, self.prepare_replay)

    def _loaded(self, future: concurrent.futures.Future[LoadedModels]) -> None:
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
        # Which Whisper is hearing: the bundled tiny.en, or MOCKLOOP_STT_MODEL's (test
        # fakes have no name).
        models = self.loaded
        name = getattr(models.transcriber, "model_name", None) if models is not None else None
        if isinstance(name, str):
            out["stt_model"] = name
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

    def channel_factory(
        self, db: StoreCall
    ) -> Callable[[SessionDriver, Connection, Scenario], VoiceChannel]:
        """What makes a voice connection's channel (`app.state.voice_factory`); `db` runs
        its store calls off the event loop."""

        def factory(driver: SessionDriver, conn: Connection, scenario: Scenario) -> VoiceChannel:
            return VoiceChannel(self, driver, conn, scenario, store=self.store, db=db)

        return factory

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def prepare_replay(self, session_id: str) -> concurrent.futures.Future[Path | None]:
        """Mix the replay audio of a finished round now, with the interviewer's clips from
        this service's cache, so that its first view does not wait for it. A round still
        going is left alone: its recording may grow."""
        return self._mix_replay(session_id, self._clip_path_made)

    def _clip_path_made(self, url: str) -> Path | None:
        """`clip_path`, with a clip not made yet (the round's last line, said as it ended)
        synthesized first: the mix runs on its own thread and may wait. Without this the
        first view would find the mix missing that clip and make it again."""
        path = self.clip_path(url)
        name = url.split("?", 1)[0].rsplit("/", 1)[-1]
        clips = self.clips
        if path is not None or clips is None or not _CLIP_NAME.match(name):
            return path
        text = clips.text_for(name)
        if text is None:
            return None
        (future,) = clips.request([text], URGENT)
        try:
            return future.result(timeout=CLIP_WAIT)
        except Exception:
            return None

    async def aclose(self) -> None:
        self._closed = True
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
