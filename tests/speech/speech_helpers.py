"""Helpers shared by the speech tests (imported by name: pytest puts this folder on the path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

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
