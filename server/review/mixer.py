"""The replay mix of a voice round, made in the background as soon as the round is over.

The app hands `ReplayMixer.prepare` to the voice service, which calls it when a round's
recording is kept (a connection closed, a recording adopted at start-up, a round ended
with no tab open): the mix (`server.review.audio`) is then ready before the replay page
first asks for it, which would otherwise wait tens of seconds for a long round. Mixes run
one at a time and at a lower CPU priority, so that a candidate still speaking elsewhere
keeps the cores.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from pathlib import Path

from server.review.audio import ClipPath, session_replay
from server.speech.recording import lower_priority
from server.storage import Store

log = logging.getLogger("mockloop.voice")


class ReplayMixer:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="replay-mix", initializer=lower_priority
        )

    def prepare(
        self, session_id: str, clip_path: ClipPath | None
    ) -> concurrent.futures.Future[Path | None]:
        """Mix the replay audio of a finished round now, so that its first view does not
        wait for it. A round still going is left alone: its recording may grow. Raises
        `RuntimeError` once shut down."""
        store = self.store

        def mix() -> Path | None:
            record = store.get_session(session_id)
            if record is None or record.status != "ended" or record.mode != "voice":
                return None
            began = time.perf_counter()
            try:
                path = session_replay(store, session_id, clip_path)
            except Exception as exc:
                # The page builds it on request instead; nothing of the session is lost.
                log.error("mixing the replay audio failed (%s)", type(exc).__name__)
                return None
            log.info("replay audio mixed in %.1f s", time.perf_counter() - began)
            return path

        return self._pool.submit(mix)

    def shutdown(self) -> None:
        """Drop the mixes not begun (the page makes them on request); the one being made
        finishes."""
        self._pool.shutdown(wait=False, cancel_futures=True)
