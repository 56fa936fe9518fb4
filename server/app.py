"""The app factory: `create_app(settings)` wires settings, the scenario catalog, the store,
the session registry, the routes and the security middleware into one FastAPI app.

Creating the app opens the database and runs the migrations, so the app is ready to take
sessions as soon as it exists; starting it (the lifespan) resumes the live sessions.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI

from interviewer import Scenario, load_catalog
from server.api import router as api_router
from server.errors import install_error_handlers
from server.security import SecurityMiddleware, SlidingWindow
from server.session import AudioUrl, SessionRegistry
from server.settings import Settings
from server.storage import Store
from server.ws import router as ws_router

log = logging.getLogger("mockloop.server")

VERSION = "0.1.0"


def create_app(
    settings: Settings | None = None,
    *,
    catalog: Mapping[str, Scenario] | None = None,
    audio_url: AudioUrl | None = None,
) -> FastAPI:
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    scenarios = dict(catalog) if catalog is not None else load_catalog(settings.scenarios_dir)
    store = Store(settings.effective_database_url, settings.data_dir)
    registry = SessionRegistry(store, scenarios, audio_url=audio_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resumed = await registry.resume_live()
        if resumed:
            log.info("resumed %d live session(s)", resumed)
        try:
            yield
        finally:
            await registry.close()
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
    app.state.settings = settings
    app.state.catalog = scenarios
    app.state.store = store
    app.state.registry = registry
    app.state.session_limiter = SlidingWindow(settings.rate_sessions_per_minute, 60.0)
    app.state.voice_factory = None  # set by the speech pipeline for voice mode

    install_error_handlers(app)
    app.include_router(api_router)
    app.include_router(ws_router)
    app.add_middleware(SecurityMiddleware, settings=settings)

    if importlib.util.find_spec("server.pages") is not None:
        pages = importlib.import_module("server.pages")
        pages.install(app)
    return app
