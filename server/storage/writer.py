"""Group commit: one thread writes the steps of every session, many per transaction.

SQLite lets one connection write at a time. When several threads each commit their own
step, all but one wait for the lock in SQLite's busy handler, which sleeps in steps of up
to 100 ms, and every commit pays its own fsync (`synchronous=FULL`). Under a few hundred
concurrent interviews that made turn latency climb into seconds (docs/RELIABILITY.md).

Here one thread owns the writes: it takes every write that is waiting, runs them in one
transaction and commits once, so one fsync covers all of them and no thread ever waits on
the lock. A caller's future resolves only after that commit, so "stored before sent"
holds exactly as before. If any write of a batch fails (a `Conflict` with another
replica, say), the batch is rolled back and its writes run again one transaction each, so
a failure costs only the write that caused it.

PostgreSQL gets the same path: fewer round trips and commits, and the same semantics.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from server.storage.writes import Batch

log = logging.getLogger("mockloop.storage")

T = TypeVar("T")
Job = Callable[[Batch], Any]

_STOP = object()


class Writer:
    """Runs write jobs (`job(batch)` inside an open transaction) on one thread."""

    def __init__(self, write_many: Callable[[list[Job]], list[Any]], max_batch: int = 256):
        self._write_many = write_many
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[Job, Future[Any]] | object] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        # Started by the first write: an app that never writes (many in tests) costs no thread.
        self._thread = threading.Thread(target=self._run, name="db-writer", daemon=True)
        self.batches = 0
        self.jobs = 0

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run `fn(batch, *args)` in the next transaction; the future resolves after commit."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                future.set_exception(RuntimeError("the database writer is closed"))
                return future
            if not self._thread.is_alive():
                self._thread.start()
            self._queue.put((lambda batch: fn(batch, *args), future))
        return future

    def close(self, timeout: float = 30.0) -> None:
        """Finish what was submitted, then stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if not self._thread.is_alive():
                return
            self._queue.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batch.append(more)
            self._write(batch)

    def _write(self, batch: list[Any]) -> None:
        live: list[tuple[Job, Future[Any]]] = [
            (job, future) for job, future in batch if future.set_running_or_notify_cancel()
        ]
        if not live:
            return
        try:
            results = self._write_many([job for job, _ in live])
        except BaseException as exc:  # the write_many contract is to return errors
            log.error("database writer failed (%s)", type(exc).__name__)
            results = [exc] * len(live)
        self.batches += 1
        self.jobs += len(live)
        for (_, future), result in zip(live, results, strict=True):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
