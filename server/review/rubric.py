"""The rubric as the review shows it: the criteria with their scales and anchors, the
automatic level and the candidate's own beside them, and the evidence behind each level.
Pure: no IO here.

A criterion scored but no longer in the scenario file (or a scenario gone from the
catalog) still shows, on the default scale; evidence from an older stored score that lacks
the message's seq finds it from the turn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from server.messages import Scored

DEFAULT_SCALE = (1, 5)


class CriterionLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def anchors(self) -> Mapping[int, str]: ...
    @property
    def scale(self) -> tuple[int, int]: ...


class ScenarioLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def round(self) -> str: ...
    @property
    def rubric(self) -> Sequence[CriterionLike]: ...


# ------------------------------------------------------------------ rubric definitions


@dataclass(frozen=True, slots=True)
class CriterionDef:
    id: str
    title: str
    anchors: tuple[tuple[int, str], ...]
    scale: tuple[int, int]

    @property
    def levels(self) -> list[int]:
        return list(range(self.scale[0], self.scale[1] + 1))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "scale": list(self.scale),
            "anchors": {str(level): text for level, text in self.anchors},
        }


def rubric_of(scenario: ScenarioLike | None, scores: Sequence[Scored] = ()) -> list[CriterionDef]:
    """The scenario's criteria in its order; criteria scored but no longer in the scenario
    file (or a scenario gone from the catalog) follow with the default scale."""
    out: list[CriterionDef] = []
    if scenario is not None:
        for c in scenario.rubric:
            anchors = tuple(sorted((int(k), str(v)) for k, v in c.anchors.items()))
            out.append(CriterionDef(c.id, c.title, anchors, tuple(c.scale)))  # type: ignore[arg-type]
    known = {c.id for c in out}
    for s in scores:
        cid = s.criterion
        if cid not in known:
            known.add(cid)
            low, high = DEFAULT_SCALE
            if s.level is not None:
                low, high = min(low, s.level), max(high, s.level)
            out.append(CriterionDef(cid, cid, (), (low, high)))
    return out


# ------------------------------------------------------------------ rubric view


@dataclass(frozen=True, slots=True)
class EvidenceView:
    key: int
    criterion: str
    seq: int | None
    turn: int
    label: str
    quote: str
    start: int
    end: int

    @property
    def href(self) -> str | None:
        return f"#m-{self.seq}" if self.seq is not None else None

    @property
    def label_text(self) -> str:
        return self.label.replace("_", " ").replace(".", ": ")


@dataclass(frozen=True, slots=True)
class CriterionView:
    definition: CriterionDef
    auto: int | None
    self_level: int | None
    note: str
    evidence: tuple[EvidenceView, ...]
    # Scored without a level: what the criterion looks for never came up in the round.
    not_shown: bool = False

    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def title(self) -> str:
        return self.definition.title

    @property
    def levels(self) -> list[int]:
        return self.definition.levels

    @property
    def anchors(self) -> tuple[tuple[int, str], ...]:
        return self.definition.anchors

    @property
    def gap(self) -> int | None:
        if self.auto is None or self.self_level is None:
            return None
        return self.self_level - self.auto

    @property
    def gap_text(self) -> str:
        gap = self.gap
        if gap is None:
            return ""
        if gap == 0:
            return "Your score matches the automatic level."
        more = "higher" if gap > 0 else "lower"
        step = "level" if abs(gap) == 1 else "levels"
        return f"You scored yourself {abs(gap)} {step} {more} than the automatic level."


def evidence_views(
    scores: Sequence[Scored], candidate_seqs: Sequence[int]
) -> dict[str, tuple[EvidenceView, ...]]:
    """Evidence per criterion with a page-wide key; `seq` filled from the turn when an
    older stored score lacks it."""
    out: dict[str, tuple[EvidenceView, ...]] = {}
    key = 0
    for s in scores:
        views = []
        for e in s.evidence:
            turn = -1 if e.turn is None else e.turn
            seq = e.seq
            if seq is None and 0 <= turn < len(candidate_seqs):
                seq = candidate_seqs[turn]
            views.append(
                EvidenceView(
                    key=key,
                    criterion=s.criterion,
                    seq=seq,
                    turn=turn,
                    label=e.label,
                    quote=e.quote,
                    start=e.start or 0,
                    end=e.end or 0,
                )
            )
            key += 1
        out[s.criterion] = tuple(views)
    return out


def evidence_marks(
    by_criterion: Mapping[str, Sequence[EvidenceView]],
) -> dict[int, list[tuple[int, int, int]]]:
    """The evidence spans to highlight, per candidate message seq: (start, end, key)."""
    marks: dict[int, list[tuple[int, int, int]]] = {}
    for views in by_criterion.values():
        for ev in views:
            if ev.seq is not None and ev.end > ev.start:
                marks.setdefault(ev.seq, []).append((ev.start, ev.end, ev.key))
    return marks


def criterion_views(
    rubric: Sequence[CriterionDef],
    scores: Sequence[Scored],
    by_criterion: Mapping[str, tuple[EvidenceView, ...]],
    *,
    self_levels: Mapping[str, int],
    notes: Mapping[str, str],
    revealed: bool,
) -> tuple[CriterionView, ...]:
    """Each criterion with the candidate's level and note; the automatic level and its
    evidence only once revealed."""
    auto = {s.criterion: s.level for s in scores if s.level is not None}
    not_shown = {s.criterion for s in scores if s.level is None}
    return tuple(
        CriterionView(
            definition=c,
            auto=auto.get(c.id) if revealed else None,
            self_level=self_levels.get(c.id),
            note=notes.get(c.id, ""),
            evidence=by_criterion.get(c.id, ()) if revealed else (),
            not_shown=revealed and c.id in not_shown,
        )
        for c in rubric
    )
