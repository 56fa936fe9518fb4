"""The debrief of a full mock loop, as a hiring committee reads one. Pure: the loop's
stored rows in, the scorecards, the recommendation and the criteria to work on out.

Each finished round gets its own scorecard, built from that round's rubric alone (no
round sees another's scores: they are independent, as interviewers' are). The rubric's
levels are put on one scale (0 the lowest anchor, 1 the highest) and their mean becomes
a 1-4 hire signal; the criteria behind it are listed with their level, anchor and the
candidate's words quoted as evidence. The candidate's self-assessment of the same round
(the replay page asks for it) is summarised the same way and shown beside it.

The recommendation follows `RULE`, written out on the page: a culture round below bar is
a veto, whatever the technical rounds scored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.messages import Scored
from server.review.rubric import CriterionDef, rubric_of
from server.storage import LoopRecord, SessionRecord

SIGNALS = {1: "Strong no hire", 2: "Lean no hire", 3: "Lean hire", 4: "Strong hire"}
# A signal at or above this meets the bar.
BAR = 3
VETO_ROUNDS = frozenset({"culture"})
RULE = (
    "A values and culture round below bar (lean no hire or lower) is a veto: no hire, "
    "whatever the technical rounds scored. Otherwise a strong no hire in any round, or two "
    "or more rounds below bar, is no hire; one round below bar is lean no hire (the "
    "committee would look for more signal); every round at or above bar is hire, and "
    "strong hire when at least half the rounds are strong hires."
)


def hire_signal(mean: float | None) -> int:
    """The 1-4 signal of a round from the mean of its levels on a 0-1 scale. A round
    that showed no criterion at all gives no evidence for hiring: 1."""
    if mean is None:
        return 1
    if mean >= 0.75:
        return 4
    if mean >= 0.5:
        return 3
    if mean >= 0.25:
        return 2
    return 1


def _norm(level: int, scale: tuple[int, int]) -> float:
    low, high = scale
    return (level - low) / (high - low) if high > low else 1.0


@dataclass(frozen=True, slots=True)
class CriterionLine:
    id: str
    title: str
    level: int | None  # None: not shown in this round
    scale: tuple[int, int]
    anchor: str
    quotes: tuple[str, ...]
    self_level: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "criterion": self.id,
            "title": self.title,
            "level": self.level,
            "scale": list(self.scale),
            "anchor": self.anchor,
            "evidence": list(self.quotes),
            "self_level": self.self_level,
        }


@dataclass(frozen=True, slots=True)
class Scorecard:
    signal: int
    mean: float | None
    criteria: tuple[CriterionLine, ...]
    self_signal: int | None  # None: the candidate has not scored this round

    @property
    def label(self) -> str:
        return SIGNALS[self.signal]

    @property
    def self_label(self) -> str | None:
        return SIGNALS[self.self_signal] if self.self_signal is not None else None

    @property
    def below_bar(self) -> bool:
        return self.signal < BAR


@dataclass(frozen=True, slots=True)
class RoundView:
    index: int  # 1-based
    scenario: str
    title: str
    round: str
    session: str
    status: str
    scorecard: Scorecard | None  # finished rounds only

    def to_json(self) -> dict[str, Any]:
        card = self.scorecard
        return {
            "index": self.index,
            "scenario": self.scenario,
            "scenario_title": self.title,
            "round": self.round,
            "session": self.session,
            "status": self.status,
            "practice": f"/practice/{self.session}",
            "replay": f"/sessions/{self.session}",
            "scorecard": None
            if card is None
            else {
                "signal": card.signal,
                "label": card.label,
                "below_bar": card.below_bar,
                "criteria": [c.to_json() for c in card.criteria],
            },
            "self_assessment": None
            if card is None or card.self_signal is None
            else {
                "signal": card.self_signal,
                "label": card.self_label,
                "levels": {c.id: c.self_level for c in card.criteria if c.self_level},
            },
        }


@dataclass(frozen=True, slots=True)
class Recommendation:
    decision: str
    veto: bool
    complete: bool  # every round finished
    reasons: tuple[str, ...]
    rule: str = RULE

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "veto": self.veto,
            "complete": self.complete,
            "reasons": list(self.reasons),
            "rule": self.rule,
        }


@dataclass(frozen=True, slots=True)
class WeakCriterion:
    title: str
    level: int
    scale: tuple[int, int]
    round_title: str
    trainers: tuple[tuple[str, str], ...]  # (scenario id, title) whose rubric has it

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "level": self.level,
            "scale": list(self.scale),
            "round": self.round_title,
            "train_with": [{"scenario": sid, "title": t} for sid, t in self.trainers],
        }


@dataclass(frozen=True, slots=True)
class Debrief:
    id: str
    title: str
    mode: str
    rounds: tuple[RoundView, ...]
    recommendation: Recommendation
    weakest: tuple[WeakCriterion, ...]

    @property
    def next_round(self) -> RoundView | None:
        """The first round not finished: where the candidate continues."""
        return next((r for r in self.rounds if r.status != "ended"), None)

    @property
    def finished(self) -> int:
        return sum(1 for r in self.rounds if r.status == "ended")

    def to_json(self) -> dict[str, Any]:
        nxt = self.next_round
        return {
            "id": self.id,
            "title": self.title,
            "mode": self.mode,
            "rounds": [r.to_json() for r in self.rounds],
            "next_round": nxt.index if nxt is not None else None,
            "recommendation": self.recommendation.to_json(),
            "weakest": [w.to_json() for w in self.weakest],
            "debrief": f"/loops/{self.id}",
        }


def scorecard(
    defs: Sequence[CriterionDef], scores: Sequence[Scored], self_levels: Mapping[str, int]
) -> Scorecard:
    """One round's scorecard from its own rubric and scores only."""
    by_id = {s.criterion: s for s in scores}
    lines: list[CriterionLine] = []
    shown: list[float] = []
    own: list[float] = []
    for c in defs:
        s = by_id.get(c.id)
        level = s.level if s is not None else None
        anchors = dict(c.anchors)
        if level is not None:
            shown.append(_norm(level, c.scale))
        if c.id in self_levels:
            own.append(_norm(self_levels[c.id], c.scale))
        quotes = tuple(e.quote for e in (s.evidence if s is not None else ()) if e.quote)[:2]
        lines.append(
            CriterionLine(
                c.id,
                c.title,
                level,
                c.scale,
                anchors.get(level, "") if level is not None else "",
                quotes,
                self_levels.get(c.id),
            )
        )
    mean = sum(shown) / len(shown) if shown else None
    self_signal = hire_signal(sum(own) / len(own)) if own else None
    return Scorecard(hire_signal(mean), mean, tuple(lines), self_signal)


def recommend(rounds: Sequence[RoundView]) -> Recommendation:
    """`RULE`, applied to the finished rounds."""
    done = [r for r in rounds if r.scorecard is not None]
    complete = len(done) == len(rounds)
    cards = [(r, r.scorecard) for r in done if r.scorecard is not None]
    if not cards:
        return Recommendation("No decision yet", False, complete, ("No round is finished.",))
    vetoes = [r for r, c in cards if r.round in VETO_ROUNDS and c.below_bar]
    below = [r for r, c in cards if c.below_bar]
    reasons = [f"{r.title}: {c.label}" for r, c in cards]
    if vetoes:
        names = ", ".join(r.title for r in vetoes)
        why = f"Culture veto: {names} scored below bar, which blocks an offer on its own."
        return Recommendation("No hire", True, complete, (why, *reasons))
    if any(c.signal == 1 for _, c in cards) or len(below) >= 2:
        decision = "No hire"
    elif below:
        decision = "Lean no hire"
    elif 2 * sum(1 for _, c in cards if c.signal == 4) >= len(cards):
        decision = "Strong hire"
    else:
        decision = "Hire"
    return Recommendation(decision, False, complete, tuple(reasons))


def debrief(
    loop: LoopRecord,
    sessions: Mapping[str, SessionRecord],
    scores: Mapping[str, Sequence[Scored]],
    self_levels: Mapping[str, Mapping[str, int]],
    catalog: Mapping[str, Any],
) -> Debrief:
    """The whole debrief. `sessions`, `scores`, `self_levels`: by session id, as stored."""
    views: list[RoundView] = []
    for i, (scenario_id, session_id) in enumerate(loop.rounds):
        scenario = catalog.get(scenario_id)
        record = sessions.get(session_id)
        status = record.status if record is not None else "deleted"
        card = None
        if status == "ended":
            got = scores.get(session_id, ())
            card = scorecard(rubric_of(scenario, got), got, self_levels.get(session_id, {}))
        views.append(
            RoundView(
                index=i + 1,
                scenario=scenario_id,
                title=scenario.title if scenario is not None else scenario_id,
                round=str(scenario.round) if scenario is not None else "",
                session=session_id,
                status=status,
                scorecard=card,
            )
        )
    return Debrief(
        loop.id, loop.title, loop.mode, tuple(views), recommend(views), _weakest(views, catalog)
    )


def _weakest(
    rounds: Sequence[RoundView], catalog: Mapping[str, Any], limit: int = 5
) -> tuple[WeakCriterion, ...]:
    """The lowest criteria across the loop's finished rounds (below the top of their
    scale), each with the scenarios whose rubric trains it."""
    trainers: dict[str, list[tuple[str, str]]] = {}
    for sc in catalog.values():
        for c in getattr(sc, "rubric", ()):
            trainers.setdefault(c.id, []).append((sc.id, sc.title))
    found: list[tuple[float, WeakCriterion]] = []
    for r in rounds:
        for c in r.scorecard.criteria if r.scorecard is not None else ():
            if c.level is None or _norm(c.level, c.scale) >= 1.0:
                continue
            train = tuple(trainers.get(c.id, ()))[:3]
            found.append(
                (_norm(c.level, c.scale), WeakCriterion(c.title, c.level, c.scale, r.title, train))
            )
    found.sort(key=lambda item: (item[0], item[1].title))
    return tuple(w for _, w in found[:limit])


def markdown(d: Debrief) -> str:
    """The debrief as a Markdown document (the export)."""
    out = [f"# {d.title}: debrief", "", f"Mode: {d.mode}. Rounds finished: {d.finished} of "]
    out[-1] += f"{len(d.rounds)}."
    rec = d.recommendation
    out += ["", "## Recommendation", "", f"**{rec.decision}**" + (" (veto)" if rec.veto else "")]
    out += [""] + [f"- {reason}" for reason in rec.reasons]
    out += ["", f"Rule: {rec.rule}", ""]
    for r in d.rounds:
        out += [f"## Round {r.index}: {r.title}", ""]
        card = r.scorecard
        if card is None:
            out += [f"Not finished ({r.status}).", ""]
            continue
        own = f"; self-assessment: {card.self_label}" if card.self_label else ""
        out += [f"Hire signal: **{card.signal} of 4, {card.label}**{own}", ""]
        for c in card.criteria:
            level = f"{c.level} of {c.scale[1]}" if c.level is not None else "not shown"
            mine = f" (you: {c.self_level})" if c.self_level is not None else ""
            out.append(f"- {c.title}: {level}{mine}" + (f": {c.anchor}" if c.anchor else ""))
            out += [f'  - "{q}"' for q in c.quotes]
        out.append("")
    if d.weakest:
        out += ["## To work on next", ""]
        for w in d.weakest:
            train = ", ".join(t for _, t in w.trainers)
            out.append(f"- {w.title} ({w.level} of {w.scale[1]}, {w.round_title})")
            if train:
                out[-1] += f": practise with {train}"
        out.append("")
    return "\n".join(out)
