"""Timers: what can take the floor without the candidate, and when.

There is one clock for the round: timers are anchored to the start (adversarial
constraints at a fixed minute), to entering a node (nudges), or to the round's end (time
boxes, laid out back from it). A polite timer that falls due while the candidate is
speaking waits for the end of that turn; a constraint or time box that falls due within a
minute of a question waits for its answer. A timer may detour to a node of its own; that
node's `goto: resume` returns to where the conversation was.

This module only says which timers are pending and when each falls due, from the scenario
and the state; the engine fires them (`Run.advance`, `Run.fire`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .actions import LineKind
from .scenario import Scenario
from .state import State

# A question just asked gets this long to be answered before a timer of the round (a
# constraint, a time box) takes the floor: nothing is asked and dropped in the same breath.
ANSWER_GRACE = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Due:
    """A timer that can fire: where its line comes from and what it does."""

    at: float
    key: str
    base_id: str
    say: list[str]
    kind: LineKind
    polite: bool  # waits while the candidate is speaking
    goto: str | None
    detour: bool  # remember where we were, for `resume`


def due_timers(sc: Scenario, s: State) -> list[Due]:
    """Timers that have not fired and are not waiting, earliest first."""
    done = set(s.fired) | set(s.deferred)
    # The round's own timers wait a moment for the answer to a question just asked.
    grace = s.asked_at + ANSWER_GRACE if s.awaiting else -math.inf
    out: list[Due] = []
    for t in sc.timers:
        key = f"timer.{t.id}"
        if key not in done:
            at = s.started_at + t.at
            out.append(
                Due(
                    at=max(at, grace) if t.polite else at,
                    key=key,
                    base_id=key,
                    say=t.say,
                    kind=t.kind,
                    polite=t.polite,
                    goto=t.goto,
                    detour=True,
                )
            )
    if s.node is not None:
        # A node's own timers (a nudge after a silence) count from the node's question
        # or the candidate's last turn there, whichever came later: silence is their cue,
        # and they do not wait for anything else.
        quiet_since = max(
            [
                s.entered_at,
                *(t.at for t in s.turns if t.node == s.node and t.at >= s.entered_at),
            ]
        )
        for i, nt in enumerate(sc.nodes[s.node].timers, 1):
            key = f"{s.node}.timer{i}@{s.entries}"
            if key not in done:
                out.append(
                    Due(
                        at=quiet_since + nt.after,
                        key=key,
                        base_id=f"{s.node}.timer{i}",
                        say=nt.say,
                        kind=nt.kind,
                        polite=nt.polite,
                        goto=nt.goto,
                        detour=True,
                    )
                )
    out += _code_cues(sc, s, done)
    # A time box never cuts a constraint's discussion short: it waits for `resume`.
    if s.phase is not None and s.resume is None:
        phase = sc.phase_by_id[s.phase]
        key = f"overtime.{phase.id}@{s.phase_entries}"
        # A box whose way out leads to where the conversation already is has nothing to
        # do (a wrap-up question asked before the box ran out is not asked twice).
        if phase.overtime is not None and key not in done and phase.overtime.goto != s.node:
            out.append(
                Due(
                    at=max(s.started_at + sc.phase_end(phase.id), grace),
                    key=key,
                    base_id=f"overtime.{phase.id}",
                    say=phase.overtime.say,
                    kind="time_check",
                    polite=True,
                    goto=phase.overtime.goto,
                    detour=False,
                )
            )
    out.sort(key=lambda d: d.at)
    return out


def _code_cues(sc: Scenario, s: State, done: set[str]) -> list[Due]:
    """A coding task's "you haven't run it yet" cue: due a while after the code phase began
    or the last run, whichever came later, once for each such stretch."""
    task = sc.code
    cue = task.cues.no_run if task is not None else None
    if task is None or cue is None or s.phase != task.phase or s.coding_from is None:
        return []
    runs = [t.at for t in s.turns if t.meta == "code"]
    key = f"code.no_run@{len(runs)}"
    if key in done:
        return []
    return [
        Due(
            at=max([s.coding_from, *runs]) + cue.after,
            key=key,
            base_id="code.no_run",
            say=cue.say,
            kind="nudge",
            polite=True,
            goto=None,
            detour=False,
        )
    ]


def deadline(sc: Scenario, state: State) -> float:
    """When the next timer falls due, or the round ends, whichever comes first."""
    end_at = state.started_at + sc.duration
    upcoming = [d.at for d in due_timers(sc, state)]
    return min([end_at, *upcoming])
