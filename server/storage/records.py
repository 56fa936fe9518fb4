"""What the store hands out and takes in besides messages: plain frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


class Conflict(Exception):
    """Someone else (another driver, another replica) already wrote this step."""


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: str
    scenario_id: str
    mode: str
    seed: int
    time_scale: float
    token_hash: str
    status: str
    created_at: float
    started_at: float | None = None
    ended_at: float | None = None
    end_reason: str | None = None


@dataclass(frozen=True, slots=True)
class SessionSummary:
    id: str
    scenario_id: str
    mode: str
    status: str
    created_at: float
    started_at: float | None
    ended_at: float | None
    end_reason: str | None
    turns: int  # candidate turns
    time_scale: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scenario": self.scenario_id,
            "mode": self.mode,
            "status": self.status,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "end_reason": self.end_reason,
            "turns": self.turns,
            "time_scale": self.time_scale,
            "replay": f"/sessions/{self.id}",
        }


@dataclass(frozen=True, slots=True)
class StoredEvent:
    n: int
    at: float
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Ending:
    reason: str
    at: float  # wall epoch


@dataclass(frozen=True, slots=True)
class AudioTrack:
    """A stored recording: `offset` is the session second of its first sample."""

    track: str
    path: Path
    media_type: str
    offset: float
    duration: float | None


@dataclass(frozen=True, slots=True)
class ReviewState:
    submitted_at: float | None = None
    revealed_at: float | None = None

    @property
    def revealed(self) -> bool:
        """The automatic levels may be shown: self-scores are in, or the candidate asked."""
        return self.submitted_at is not None or self.revealed_at is not None


@dataclass(frozen=True, slots=True)
class LoopRecord:
    """A full mock loop: `rounds` pairs each round's scenario id with its session id."""

    id: str
    loop_id: str
    title: str
    mode: str
    seed: int
    time_scale: float
    token_hash: str
    created_at: float
    rounds: tuple[tuple[str, str], ...]

    @property
    def session_ids(self) -> list[str]:
        return [session for _, session in self.rounds]
