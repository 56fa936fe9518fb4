"""Full mock loops as data: `scenarios/loops/*.yaml` lists the rounds of one loop in order.

A round names a scenario by id (`scenario: design-rlhf-pipeline`) or a round type
(`round: culture`), in which case the loop's seed picks one of the catalog's scenarios of
that type: the same seed gives the same loop. Pure: files in, a checked `Loop` out, or a
`ScenarioError` whose `str()` is `file:line: message`, like the scenario loader's.

A loop file is checked twice: alone (its shape, `load_loop`), and against a catalog (every
scenario it names exists, every round type it asks for has a scenario, `check_loop`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from .errors import ScenarioError
from .loader import DEFAULT_ROOT, line_of, parse_model, read_yaml
from .parts import ID_PATTERN, Strict
from .scenario import ROUNDS, Round, Scenario

LOOPS_DIR = "loops"


class LoopRound(Strict):
    """One round of a loop: a scenario by id, or a round type picked with the seed."""

    scenario: Annotated[str, Field(pattern=ID_PATTERN, max_length=80)] | None = None
    round: Round | None = None

    @model_validator(mode="after")
    def _one_of(self) -> LoopRound:
        if (self.scenario is None) == (self.round is None):
            raise ValueError("a round names either `scenario` or `round`, exactly one")
        return self

    @property
    def spec(self) -> str:
        """The scenario id or the round type, as `GET /api/loops` lists it."""
        return self.scenario if self.scenario is not None else str(self.round)


class Loop(Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN, max_length=80)]
    title: str
    summary: str = ""
    rounds: list[LoopRound] = Field(min_length=1, max_length=12)


def load_loop(path: Path | str) -> Loop:
    """One loop file, its shape checked (not yet against a catalog)."""
    return parse_model(Loop, Path(path))


def loop_files(root: Path | str | None = None) -> Iterator[Path]:
    """The loop files under `root/loops/` (default: the project's `scenarios/`)."""
    base = (Path(root) if root is not None else DEFAULT_ROOT) / LOOPS_DIR
    if base.is_dir():
        yield from sorted(p for p in base.glob("*.yaml") if p.is_file())


def check_loop(loop: Loop, catalog: Mapping[str, Scenario], path: Path | str) -> None:
    """Every round of `loop` can be played with `catalog`, or a `ScenarioError` at the
    round's line."""
    for i, r in enumerate(loop.rounds):
        problem = None
        if r.scenario is not None and r.scenario not in catalog:
            problem = f"rounds.{i}: no scenario {r.scenario!r}"
        elif r.round is not None and not any(s.round == r.round for s in catalog.values()):
            problem = f"rounds.{i}: no scenario of round type {r.round!r}"
        if problem is not None:
            _, lines = read_yaml(Path(path))
            raise ScenarioError(str(path), line_of(lines, ("rounds", i)), problem)


def load_loops(catalog: Mapping[str, Scenario], root: Path | str | None = None) -> dict[str, Loop]:
    """Every loop under `root/loops/`, checked against `catalog`, by id."""
    loops: dict[str, Loop] = {}
    for path in loop_files(root):
        loop = load_loop(path)
        check_loop(loop, catalog, path)
        if loop.id in loops:
            raise ScenarioError(str(path), 1, f"loop id {loop.id!r} is used twice")
        loops[loop.id] = loop
    return loops


def pick_rounds(loop: Loop, catalog: Mapping[str, Scenario], seed: int) -> list[str]:
    """The scenario id of every round, in order. A round type draws with the seed among
    its scenarios not already in the loop (when there are any left)."""
    rng = random.Random(seed)
    chosen: list[str] = [r.scenario for r in loop.rounds if r.scenario is not None]
    out: list[str] = []
    for r in loop.rounds:
        if r.scenario is not None:
            out.append(r.scenario)
            continue
        pool = sorted(sid for sid, s in catalog.items() if s.round == r.round)
        fresh = [sid for sid in pool if sid not in chosen] or pool
        pick = rng.choice(fresh)
        chosen.append(pick)
        out.append(pick)
    return out


__all__ = [
    "ROUNDS",
    "Loop",
    "LoopRound",
    "check_loop",
    "load_loop",
    "load_loops",
    "loop_files",
    "pick_rounds",
]
