"""Matches: a label and the characters of the turn it was read from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .sentences import Sentence


@dataclass(frozen=True, slots=True)
class Match:
    label: str
    start: int
    end: int


def inside(at: int, sentences: Sequence[Sentence]) -> bool:
    return any(s.start <= at < s.end for s in sentences)
