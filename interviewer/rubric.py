"""Rubric scoring: each criterion gets the first level whose condition holds, with evidence,
or no level ("not shown") when its `scored_if` condition does not hold.

Evidence is never invented: it is the words of the candidate that carried the criterion's
evidence labels or rubric points, with the turn they were said in, so the replay can link
each score to the moment it came from.
"""

from __future__ import annotations

import re

from .actions import Evidence, Score
from .facts import StateFacts
from .parts import Criterion
from .scenario import Scenario
from .state import State, Turn

MAX_EVIDENCE = 6
_SENTENCE_END = re.compile(r"[.!?]\s+")


def score_all(scenario: Scenario, state: State) -> list[Score]:
    facts = StateFacts(scenario, state)
    return [_score(scenario, c, state, facts) for c in scenario.rubric]


def _score(scenario: Scenario, c: Criterion, state: State, facts: StateFacts) -> Score:
    evidence = tuple(evidence_for(c, state.turns))
    if c.scored_if is not None and not scenario.condition[c.scored_if](facts):
        return Score(criterion=c.id, level=None, evidence=evidence)
    level = c.levels[-1].level
    for rule in c.levels:
        if rule.if_ is None or scenario.condition[rule.if_](facts):
            level = rule.level
            break
    return Score(criterion=c.id, level=min(level, _cap(c, state.turns)), evidence=evidence)


def _cap(c: Criterion, turns: tuple[Turn, ...]) -> int:
    """Terms named in a bare list, with nothing said about any of them, show recall but not
    understanding: such a criterion stops at the middle of its scale."""
    carrying = [t for t in turns if any(p in t.labels for p in c.points)]
    if carrying and all("bare_list" in t.labels for t in carrying):
        anchors = sorted(c.anchors)
        return anchors[len(anchors) // 2]
    return max(c.anchors)


def evidence_for(c: Criterion, turns: tuple[Turn, ...]) -> list[Evidence]:
    wanted = [*c.evidence, *(p for p in c.points if p not in c.evidence)]
    out: list[Evidence] = []
    seen: set[tuple[int, str]] = set()
    for label in wanted:
        for turn in turns:
            for m in turn.matches:
                if m.label != label or (turn.index, label) in seen:
                    continue
                seen.add((turn.index, label))
                out.append(
                    Evidence(
                        turn=turn.index,
                        label=label,
                        quote=quote(turn.text, m.start, m.end),
                        start=m.start,
                        end=m.end,
                    )
                )
    out.sort(key=lambda e: (e.turn, e.start))
    return out[:MAX_EVIDENCE]


def quote(text: str, start: int, end: int, limit: int = 240) -> str:
    """The sentence around a match, trimmed to `limit` characters."""
    left = 0
    for m in _SENTENCE_END.finditer(text, 0, start):
        left = m.end()
    right_m = _SENTENCE_END.search(text, end)
    right = right_m.start() + 1 if right_m else len(text)
    sentence = text[left:right].strip()
    if len(sentence) <= limit:
        return sentence
    mid = (start + end) // 2 - left
    lo = max(0, mid - limit // 2)
    return ("…" if lo else "") + sentence[lo : lo + limit].strip() + "…"
