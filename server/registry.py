"""The live session drivers of this process, by session id, and what they share: the
store, the scenario catalog, the database threads (a small pool for reads, one writer
thread for the group commit, `server.storage.writer`) and the interviewer's voice.

A server that starts resumes every live session (`resume_live`): each gets a driver that
replays its log and re-arms its timers.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from interviewer import Say, Scenario
from server.inbox import Stop
from server.messages import Clip
from server.session import SessionDriver
from server.storage import Store
from server.storage.writer import Writer

T = TypeVar("T")

AudioUrl = Callable[[Scenario, Say], "str | None"]


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

    def forget(self, driver: SessionDriver) -> None:
        if self._drivers.get(driver.session_id) is driver:
            del self._drivers[driver.session_id]

    def clip(self, scenario: Scenario, say: Say) -> Clip:
        """The spoken form of a line in a voice session (no URL when the server has no
        voice)."""
        url = None if self.audio_url is None else self.audio_url(scenario, say)
        # Spoken length of the clip, when known: for the client and the metrics.
        duration = None
        if url is not None and self.audio_duration is not None:
            duration = self.audio_duration(url)
        return Clip(url=url, duration=duration)

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
