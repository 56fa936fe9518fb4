"""The interviewer's clips: its lines synthesized ahead of time, urgent lines first.

The interviewer's lines are known in advance. `ClipQueue` synthesizes them into the
`SpeechCache` on one thread (piper with one ONNX thread: the other core stays free for
speech recognition), urgent lines before background ones. A voice session asks for its
scenario as soon as it is created: the lines its opening will say first
(`opening_texts`), then every other line in script order (`script_texts`).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import heapq
import itertools
import logging
import threading
import weakref
from collections.abc import Iterable
from pathlib import Path

import av

from interviewer import Say, Scenario, start
from server.speech.tts import SpeechCache

log = logging.getLogger("mockloop.voice")

# Lines needed now (a session's opening, a clip the browser is waiting for) go first.
URGENT, BACKGROUND = 0, 1


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
