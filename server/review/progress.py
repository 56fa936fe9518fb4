"""The progress page: how each criterion of one scenario moved over its attempts, and
the weakest criteria across every scenario. Pure: stored rows in, what the template shows
out.

Only revealed attempts count toward the automatic levels (the candidate scores themself
first); a criterion scored "not shown" says nothing about the skill, so the latest level
shown counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from server.review import svg
from server.review.rubric import CriterionDef, rubric_of
from server.review.stored import Loaded
from server.storage import SessionSummary


@dataclass(frozen=True, slots=True)
class AttemptScores:
    session_id: str
    created_at: float
    auto: Mapping[str, int]  # empty when not revealed
    self_levels: Mapping[str, int]
    revealed: bool


@dataclass(frozen=True, slots=True)
class CriterionProgress:
    definition: CriterionDef
    chart: Markup
    latest_auto: int | None
    latest_self: int | None


@dataclass(frozen=True, slots=True)
class Weak:
    criterion: str
    title: str
    level: float  # mean of the latest levels, on the criterion's own scale
    scale: tuple[int, int]
    normalised: float
    scenarios: tuple[tuple[str, str], ...]  # (id, title) that train it

    @property
    def level_text(self) -> str:
        text = f"{self.level:.1f}".rstrip("0").rstrip(".")
        return f"{text} of {self.scale[1]}"


def date_label(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%b %d")


def scenario_progress(
    rubric: Sequence[CriterionDef], attempts: Sequence[AttemptScores]
) -> list[CriterionProgress]:
    ordered = sorted(attempts, key=lambda a: a.created_at)
    out = []
    for c in rubric:
        points = [
            svg.Attempt(
                label=f"{date_label(a.created_at)} #{i + 1}",
                auto=a.auto.get(c.id) if a.revealed else None,
                self_level=a.self_levels.get(c.id),
                href=f"/sessions/{a.session_id}",
            )
            for i, a in enumerate(ordered)
        ]
        chart = svg.levels_chart(points, c.scale, title=f"{c.title}: level per attempt")
        autos = [p.auto for p in points if p.auto is not None]
        selfs = [p.self_level for p in points if p.self_level is not None]
        out.append(
            CriterionProgress(c, chart, autos[-1] if autos else None, selfs[-1] if selfs else None)
        )
    return out


def weakest(
    latest: Sequence[tuple[str, CriterionDef, int]],
    trainers: Mapping[str, Sequence[tuple[str, str]]],
    limit: int = 5,
) -> list[Weak]:
    """`latest`: (scenario id, criterion, its latest revealed automatic level) per
    scenario and criterion. Criteria sharing an id across scenarios pool together; the
    lowest on their own scale come first."""
    pooled: dict[str, list[tuple[CriterionDef, int]]] = {}
    for _scenario, c, level in latest:
        pooled.setdefault(c.id, []).append((c, level))
    out = []
    for cid, items in pooled.items():
        c = items[0][0]
        low, high = c.scale
        mean = sum(level for _, level in items) / len(items)
        norm = (mean - low) / (high - low) if high > low else 1.0
        out.append(Weak(cid, c.title, mean, c.scale, norm, tuple(trainers.get(cid, ()))))
    out.sort(key=lambda w: (w.normalised, w.title))
    return [w for w in out if w.normalised < 1.0][:limit]


# ------------------------------------------------------------------ the page


@dataclass(frozen=True, slots=True)
class ProgressPage:
    choices: list[dict[str, Any]]
    selected: str | None
    selected_title: str | None
    rubric: list[CriterionDef]
    criteria: list[CriterionProgress]
    attempts: list[dict[str, Any]]
    hidden: int
    weak: list[Weak]


def progress_page(
    summaries: Sequence[SessionSummary],
    loaded: Mapping[str, Loaded],
    catalog: Mapping[str, Any],
    wanted: str | None,
    round_labels: Mapping[str, str],
) -> ProgressPage:
    """`summaries`: the ended sessions, newest first, with their stored rows in `loaded`;
    `wanted`: the scenario asked for (else the one attempted last)."""
    by_scenario: dict[str, list[SessionSummary]] = {}
    for s in summaries:  # newest first
        by_scenario.setdefault(s.scenario_id, []).append(s)
    choices = [
        {
            "id": sid,
            "title": catalog[sid].title if sid in catalog else sid,
            "round_label": round_labels.get(str(catalog[sid].round), "") if sid in catalog else "",
            "count": len(items),
        }
        for sid, items in by_scenario.items()
    ]
    selected = (
        wanted if wanted in by_scenario else (summaries[0].scenario_id if summaries else None)
    )

    criteria: list[CriterionProgress] = []
    attempts_rows: list[dict[str, Any]] = []
    hidden = 0
    rubric: list[CriterionDef] = []
    if selected is not None:
        sessions = by_scenario[selected]
        scores_seen = [sc for s in sessions for sc in loaded[s.id].scores]
        rubric = rubric_of(catalog.get(selected), scores_seen)
        attempts = _attempts(sessions, loaded)
        hidden = sum(1 for a in attempts if not a.revealed)
        criteria = scenario_progress(rubric, attempts)
        attempts_rows = _attempt_rows(attempts, rubric)
    weak = weakest(_latest_levels(by_scenario, loaded, catalog), _trainers(catalog))
    return ProgressPage(
        choices=choices,
        selected=selected,
        selected_title=(
            catalog[selected].title if selected is not None and selected in catalog else selected
        ),
        rubric=rubric,
        criteria=criteria,
        attempts=attempts_rows,
        hidden=hidden,
        weak=weak,
    )


def _attempts(
    sessions: Sequence[SessionSummary], loaded: Mapping[str, Loaded]
) -> list[AttemptScores]:
    return [
        AttemptScores(
            session_id=s.id,
            created_at=s.created_at,
            auto={sc.criterion: sc.level for sc in loaded[s.id].scores if sc.level is not None},
            self_levels=loaded[s.id].self_levels,
            revealed=loaded[s.id].review.revealed,
        )
        for s in sessions
    ]


def _attempt_rows(
    attempts: Sequence[AttemptScores], rubric: Sequence[CriterionDef]
) -> list[dict[str, Any]]:
    """The table of attempts, oldest first: per criterion (automatic, own) levels."""
    rows: list[dict[str, Any]] = []
    for i, a in enumerate(sorted(attempts, key=lambda a: a.created_at)):
        when = datetime.fromtimestamp(a.created_at, tz=UTC)
        rows.append(
            {
                "n": i + 1,
                "id": a.session_id,
                "iso": when.isoformat(),
                "text": when.strftime("%Y-%m-%d %H:%M UTC"),
                "revealed": a.revealed,
                "cells": [
                    (a.auto.get(c.id) if a.revealed else None, a.self_levels.get(c.id))
                    for c in rubric
                ],
            }
        )
    return rows


def _latest_levels(
    by_scenario: Mapping[str, Sequence[SessionSummary]],
    loaded: Mapping[str, Loaded],
    catalog: Mapping[str, Any],
) -> list[tuple[str, CriterionDef, int]]:
    """Weakest criteria: the latest revealed level per scenario and criterion."""
    latest: list[tuple[str, CriterionDef, int]] = []
    for sid, sessions in by_scenario.items():
        defs = {
            c.id: c
            for c in rubric_of(
                catalog.get(sid), [sc for s in sessions for sc in loaded[s.id].scores]
            )
        }
        done: set[str] = set()
        for s in sessions:  # newest first
            if not loaded[s.id].review.revealed:
                continue
            for sc in loaded[s.id].scores:
                cid = sc.criterion
                # "not shown" says nothing about the skill: the latest level shown counts
                if cid not in done and cid in defs and sc.level is not None:
                    done.add(cid)
                    latest.append((sid, defs[cid], sc.level))
    return latest


def _trainers(catalog: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Per criterion id, the scenarios (id, title) whose rubric has it."""
    trainers: dict[str, list[tuple[str, str]]] = {}
    for sc in catalog.values():
        for c in getattr(sc, "rubric", ()):
            trainers.setdefault(c.id, []).append((sc.id, sc.title))
    return trainers
