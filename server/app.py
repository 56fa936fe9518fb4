"""The app factory: `create_app(settings)` wires settings, the scenario catalog, the store,
the session registry, the routes and the security middleware into one FastAPI app.

Creating the app opens the database and runs the migrations, so the app is ready to take
sessions as soon as it exists; starting it (the lifespan) resumes the live sessions and
starts loading the speech models in the background (`server.voice`): chat sessions never
wait for them, and `/healthz` says when voice is ready.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from interviewer import Scenario, ScenarioError, load_catalog
from interviewer.loops import Loop, load_loops
from server.api import router as api_router
from server.code_api import CodeRunner
from server.code_api import router as code_router
from server.errors import install_error_handlers
from server.loops_api import router as loops_router
from server.loops_pages import install as install_loop_pages
from server.pages import install as install_pages
from server.registry import AudioUrl, SessionRegistry
from server.review.mixer import ReplayMixer
from server.review_pages import install as install_review_pages
from server.security import SecurityMiddleware, SlidingWindow, install_log_filter
from server.settings import Settings
from server.speech.models import SpeechModels
from server.storage import Store
from server.voice import VoiceService
from server.voice import install as install_voice
from server.ws import router as ws_router

log = logging.getLogger("mockloop.server")

VERSION = "0.1.0"


def private_dir(path: Path) -> None:
    """The data directory, created or narrowed to its owner alone (0700): it holds
    transcripts and recordings."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        try:
            os.chmod(path, mode & 0o700)
        except OSError as exc:
            log.warning("could not make %s private to its owner (%s)", path, exc)


def create_app(
    settings: Settings | None = None,
    *,
    catalog: Mapping[str, Scenario] | None = None,
    audio_url: AudioUrl | None = None,
    speech: SpeechModels | None = None,
) -> FastAPI:
    """`speech`: models already loaded (tests share one set); by default the models named
    by the settings are loaded at start-up, unless `settings.voice` is off."""
    settings = settings or Settings()
    private_dir(settings.data_dir)
    scenarios = dict(catalog) if catalog is not None else load_catalog(settings.scenarios_dir)
    store = Store(settings.effective_database_url, settings.data_dir)
    # Replay mixes of finished voice rounds (its thread starts with the first mix).
    mixer = ReplayMixer(store)
    voice = (
        VoiceService(settings, store, scenarios, mix_replay=mixer.prepare, models=speech)
        if settings.voice or speech is not None
        else None
    )
    own_audio = audio_url is None and voice is not None
    registry = SessionRegistry(
        store,
        scenarios,
        audio_url=voice.audio_url if own_audio and voice is not None else audio_url,
        audio_duration=voice.duration if own_audio and voice is not None else None,
        ended_unattended=voice.prepare_replay if voice is not None else None,
    )
    code_runner = CodeRunner(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if voice is not None:
            voice.start()
        resumed = await registry.resume_live()
        if resumed:
            log.info("resumed %d live session(s)", resumed)
        try:
            yield
        finally:
            await registry.close()
            if voice is not None:
                await voice.aclose()
            mixer.shutdown()
            code_runner.close()
            store.close()

    app = FastAPI(
        title="mockloop",
        version=VERSION,
        lifespan=lifespan,
        # The interactive docs load scripts from elsewhere, which neither the offline
        # promise nor the Content-Security-Policy allows.
        docs_url=None,
        redoc_url=None,
    )
    _keep_state(app, settings, scenarios, store, registry, voice)
    app.state.loops = _loops(scenarios, settings)
    app.state.code_runner = code_runner
    _install_routes(app, settings, store, voice)
    return app


def _loops(scenarios: Mapping[str, Scenario], settings: Settings) -> dict[str, Loop]:
    """The full loops on offer; a loop file that does not check leaves the server without
    loops rather than without sessions (`mockloop scenarios check` names the problem)."""
    try:
        return load_loops(scenarios, settings.scenarios_dir)
    except ScenarioError as exc:
        log.error("no full loops offered: %s", exc)
        return {}


def _keep_state(
    app: FastAPI,
    settings: Settings,
    scenarios: dict[str, Scenario],
    store: Store,
    registry: SessionRegistry,
    voice: VoiceService | None,
) -> None:
    """What the routes find on `app.state`."""
    app.state.settings = settings
    app.state.catalog = scenarios
    app.state.store = store
    app.state.registry = registry
    app.state.session_limiter = SlidingWindow(settings.rate_sessions_per_minute, 60.0)
    app.state.voice = voice
    app.state.voice_factory = voice.channel_factory(registry.db) if voice is not None else None
    if voice is not None:
        # The replay mixes the interviewer's clips from the speech cache.
        app.state.speech_clip_path = voice.clip_path
        voice.on_ready = lambda cache: setattr(app.state, "speech_cache", cache)


def _install_routes(
    app: FastAPI, settings: Settings, store: Store, voice: VoiceService | None
) -> None:
    install_error_handlers(app)
    app.include_router(api_router)
    app.include_router(loops_router)
    app.include_router(code_router)
    app.include_router(ws_router)
    if voice is not None:
        install_voice(app, voice)
    app.add_middleware(SecurityMiddleware, settings=settings, store=store)
    if settings.forwarded_allow_ips:
        # Outermost: the address and scheme every check sees are the client's, as the
        # trusted proxy reports them (uvicorn's own proxy-headers handling).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    install_log_filter()

    # The home pages first: they serve /static and keep the templates every page uses.
    install_pages(app)
    install_review_pages(app)
    install_loop_pages(app)
