"""Helpers shared by the speech tests (imported by name: pytest puts this folder on the path)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from server.speech.audio import float32_to_pcm16

REPO_ROOT = Path(__file__).resolve().parents[2]
# CI runs in a clean clone with `shared/` beside it.
JFK = REPO_ROOT / ".." / "shared" / "audio" / "jfk.flac"
JFK_TEXT = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


def tone(seconds: float, level: float = 0.3, freq: float = 220.0) -> npt.NDArray[np.float32]:
    t = np.arange(round(seconds * 16_000), dtype=np.float32) / 16_000
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds: float) -> npt.NDArray[np.float32]:
    return np.zeros(round(seconds * 16_000), dtype=np.float32)


def normalise(text: str) -> str:
    """Lowercase words without punctuation, for word error rates."""
    return " ".join(re.sub(r"[^a-z0-9']+", " ", text.lower()).replace("'", "").split())


def squash(text: str) -> str:
    """Letters and digits only: "R.L.H.F.", "r l h f" and "RLHF" all become "rlhf"."""
    return re.sub(r"[^a-z0-9]+", "", text.lower())


async def stream(
    feed: Callable[[bytes], Awaitable[None]],
    samples: npt.NDArray[np.float32],
    *,
    pace: float = 1.0,
    chunk: int = 512,
) -> None:
    """Feed PCM16 in `chunk`-sample frames, `pace` times faster than real time."""
    pcm = float32_to_pcm16(samples)
    start = time.perf_counter()
    for i in range(0, samples.size, chunk):
        await feed(pcm[2 * i : 2 * (i + chunk)])
        due = start + (i + chunk) / 16_000 / pace
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
