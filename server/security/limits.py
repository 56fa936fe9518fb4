"""Rate limits: token buckets for per-connection rates (warn once, then close), and a
sliding window for counts per key (e.g. sessions per address)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float
    burst: int
    tokens: float = field(init=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)
        self.stamp = time.monotonic()

    def take(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class WarnThenClose:
    """Over the limit once: warn. Over it again before the bucket refilled: close (1008)."""

    bucket: TokenBucket
    warned: bool = False

    def check(self, now: float | None = None) -> str:
        """ "ok", "warn" or "close"."""
        if self.bucket.take(now):
            if self.bucket.tokens >= self.bucket.burst / 2:
                self.warned = False
            return "ok"
        if self.warned:
            return "close"
        self.warned = True
        return "warn"


class SlidingWindow:
    """At most `limit` hits per key per `window` seconds (e.g. sessions per address)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        if len(self._hits) > 10_000:
            # Bound memory: forget keys whose last hit has left the window.
            for stale in [k for k, v in self._hits.items() if not v or now - v[-1] >= self.window]:
                del self._hits[stale]
        return True
