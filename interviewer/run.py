"""One step's work: the walk through a scenario's nodes, and the timers that fire on it.

An interview is a walk through the scenario's nodes. Entering a node says its line; a node
that listens then waits for the candidate's answer. The node then asks its first probe
whose `unless` condition still fails (a follow-up, at most three per node), then its
deeper questions while its phase has time to spare; when nothing is left to ask it takes
the first `next` branch whose `if` holds. A node whose own `unless` holds was answered
already and is passed over. `end` closes the interview, with the first closing line that
fits how it went. A timer's detour returns with `resume` to where the conversation was and
asks again the question that was pending.

`Run` works on a copy of the state: `update` replaces fields (checked against `State` by
the type checker), and the engine freezes the result with the actions said.
"""

from __future__ import annotations

import random
import re
from typing import Literal, Unpack

from .actions import Action, End, LineKind, PhaseChanged, Say
from .facts import StateFacts
from .lines import META_KINDS, line_id
from .meta_phrases import meta_data
from .rubric import score_all
from .scenario import Scenario
from .state import Asked, Resume, State, StateChanges
from .timers import Due, deadline, due_timers

# Lines after which the candidate is expected to answer: what "say that again" repeats.
_ASKING: frozenset[LineKind] = frozenset(
    {"question", "follow_up", "pushback", "nudge", "challenge", "correction", "hint"}
)
# A deeper question needs this much of its phase's time box left.
DEPTH_ROOM = 120.0


class Run:
    """One step's work on a copy of the state; the engine freezes it with its actions."""

    def __init__(self, scenario: Scenario, state: State) -> None:
        self.sc = scenario
        self.state = state
        self.actions: list[Action] = []

    def update(self, **changes: Unpack[StateChanges]) -> None:
        self.state = self.state.model_copy(update=changes)

    def close(self) -> None:
        """The step is done: note when the shell should next send a `Tick`."""
        self.update(deadline=None if self.state.ended else deadline(self.sc, self.state))

    # -- saying -------------------------------------------------------------------------

    def say(
        self,
        base_id: str,
        variants: list[str],
        kind: LineKind,
        visit: int = 0,
        short: list[str] | None = None,
        script: bool = False,
    ) -> None:
        """Say one of a line's variants (the seed picks). `script` marks the node's own
        questions (its opening, probes, deeper questions): the one a detour comes back to."""
        index = 0
        if len(variants) > 1:
            index = random.Random(f"{self.state.seed}|{base_id}|{visit}").randrange(len(variants))
        said = Say(
            line_id=line_id(base_id, variants, index),
            text=variants[index],
            kind=kind,
            node=self.state.node,
        )
        self.actions.append(said)
        if kind in _ASKING:
            short_id = short_text = None
            if short:
                i = random.Random(f"{self.state.seed}|{base_id}.short").randrange(len(short))
                short_id, short_text = line_id(f"{base_id}.short", short, i), short[i]
            asked = Asked(
                line_id=said.line_id,
                text=said.text,
                kind=kind,
                short_id=short_id,
                short_text=short_text,
            )
            self.update(last_asked=asked, awaiting=True, asked_at=self.state.now)
            if script:
                self.update(question=asked)

    def say_meta(self, name: str) -> None:
        self.say(f"meta.{name}", meta_data().line(name), META_KINDS[name])

    # -- moving through nodes ------------------------------------------------------------

    def enter(self, target: str, passed: frozenset[str] = frozenset()) -> None:
        if target == "end":
            self.finish("completed")
            return
        back = self.state.resume
        if target == "resume" or (back is not None and target == back.node):
            # A node interrupted by a detour is still open: going back to it resumes it
            # where it was, never from its opening question.
            self._resume()
            return
        node = self.sc.nodes[target]
        if (
            node.unless is not None
            and target not in passed
            and self.sc.condition[node.unless](StateFacts(self.sc, self.state))
        ):
            # Already answered elsewhere: pass it over (once per move, so a loop of such
            # nodes asks rather than spins). It still counts as reached: `visits()` says
            # the conversation went this way, asked or not.
            visits = {**self.state.visits, target: self.state.visits.get(target, 0) + 1}
            self.update(node=target, visits=visits, passed=(*self.state.passed, target))
            self.enter(self.next_target(), passed | {target})
            return
        visits = dict(self.state.visits)
        visits[target] = visits.get(target, 0) + 1
        self.update(
            node=target,
            entered_at=self.state.now,
            entries=self.state.entries + 1,
            visits=visits,
            answers=(),
            probes_used=0,
            deeper_used=0,
            helped=0,
        )
        self._enter_phase(node.phase)
        self.say(target, node.say, node.kind, visits[target], node.short, script=True)
        if not node.listen:
            self.enter(self.next_target())

    def _enter_phase(self, phase_id: str | None) -> None:
        # Nodes without a phase (e.g. a constraint's discussion) stay in the current one.
        if phase_id is None or phase_id == self.state.phase:
            return
        phase = self.sc.phase_by_id[phase_id]
        until = self.state.started_at + self.sc.phase_end(phase_id)
        code_phase = self.sc.code.phase if self.sc.code is not None else None
        if self.state.phase == code_phase and self.state.coding_until is None:
            self.update(coding_until=self.state.now)
        if phase_id == code_phase and self.state.coding_from is None:
            self.update(coding_from=self.state.now)
        self.update(
            phase=phase_id,
            phase_entered_at=self.state.now,
            phase_entries=self.state.phase_entries + 1,
        )
        self.actions.append(PhaseChanged(phase=phase_id, title=phase.title, until=until))

    def _resume(self) -> None:
        back = self.state.resume
        if back is None:  # nothing to return to: the script has run its course
            self.finish("completed")
            return
        self.update(
            resume=None,
            node=back.node,
            entered_at=self.state.now,
            entries=self.state.entries + 1,
            answers=back.answers,
            probes_used=back.probes_used,
            deeper_used=back.deeper_used,
        )
        node = self.sc.nodes[back.node]
        self._enter_phase(node.phase)
        if back.pending or back.asked is None or self._deeper_out_of_time(back):
            self.move_on()
            return
        # The detour interrupted a question: the one that was pending (a probe, a deeper
        # question), not the node's opening, is asked again.
        asked = back.asked
        self.actions.append(
            Say(line_id=asked.line_id, text=asked.text, kind=asked.kind, node=back.node)
        )
        self.update(last_asked=asked, question=asked, awaiting=True, asked_at=self.state.now)

    def _deeper_out_of_time(self, back: Resume) -> bool:
        """A deeper question the detour interrupted is dropped, not asked again, when its
        phase no longer has the room it needs."""
        phase = self.sc.nodes[back.node].phase
        return (
            phase is not None
            and is_deeper(self.sc, back.node, back.asked)
            and self._room(phase) < DEPTH_ROOM
        )

    def _room(self, phase: str) -> float:
        """Seconds left in a phase's time box."""
        return self.state.started_at + self.sc.phase_end(phase) - self.state.now

    def next_target(self) -> str:
        node = self.sc.nodes[self.state.node or self.sc.start]
        facts = StateFacts(self.sc, self.state)
        for branch in node.next:
            if branch.if_ is None or self.sc.condition[branch.if_](facts):
                return branch.goto
        return "end"

    def move_on(self) -> None:
        """After an answer: the next missing probe, else the next node."""
        node_id = self.state.node
        assert node_id is not None
        node = self.sc.nodes[node_id]
        facts = StateFacts(self.sc, self.state)
        for i in range(self.state.probes_used, len(node.probes)):
            probe = node.probes[i]
            if not self.sc.condition[probe.unless](facts):
                self.update(probes_used=i + 1)
                self.say(f"{node_id}.{probe.id}", probe.say, "follow_up", script=True)
                return
        self.update(probes_used=len(node.probes))
        if node.phase is not None:
            room = self._room(node.phase)
            for i in range(self.state.deeper_used, len(node.deeper)):
                if room < DEPTH_ROOM:
                    break
                question = node.deeper[i]
                self.update(deeper_used=i + 1)
                if question.unless is None or not self.sc.condition[question.unless](facts):
                    self.say(f"{node_id}.{question.id}", question.say, "follow_up", script=True)
                    return
        self.enter(self.next_target())

    # -- time ---------------------------------------------------------------------------

    def advance(self, at: float) -> None:
        self.update(now=at)
        end_at = self.state.started_at + self.sc.duration
        while not self.state.ended:
            if self.state.now >= end_at:
                self.finish("time")
                return
            due = [d for d in due_timers(self.sc, self.state) if d.at <= self.state.now]
            if not due:
                return
            first = due[0]
            if first.polite and self.state.speaking:
                self.update(deferred=(*self.state.deferred, first.key))
                continue
            self.fire(first, pending=False)

    def fire(self, due: Due, pending: bool) -> bool:
        """Say a timer's line and take its detour, if any. True when it moved elsewhere."""
        self.update(fired=(*self.state.fired, due.key))
        interrupted = self.state.question if self.state.awaiting else None
        self.say(due.base_id, due.say, due.kind)
        if due.goto is None:
            return False
        if due.detour:
            if self.state.resume is None and self.state.node is not None:
                self.update(
                    resume=Resume(
                        node=self.state.node,
                        answers=self.state.answers,
                        probes_used=self.state.probes_used,
                        deeper_used=self.state.deeper_used,
                        pending=pending,
                        asked=interrupted,
                    )
                )
        else:
            self.update(resume=None)
        self.enter(due.goto)
        return True

    # -- the end ------------------------------------------------------------------------

    def finish(self, reason: Literal["completed", "time", "left"]) -> None:
        if reason == "left":
            self.say("farewell", self.sc.farewell, "closing")
        else:
            facts = StateFacts(self.sc, self.state)
            fitting = [c for c in self.sc.closings if self.sc.condition[c.if_](facts)]
            if fitting:
                self.say(f"closing.{fitting[0].id}", fitting[0].say, "closing")
            else:
                self.say("closing", self.sc.closing, "closing")
        self.actions.extend(score_all(self.sc, self.state))
        self.actions.append(End(reason=reason))
        self.update(ended=True, end_reason=reason, speaking=False, deferred=())


_VARIANT = re.compile(r"\.v\d+$")


def is_deeper(sc: Scenario, node: str | None, asked: Asked | None) -> bool:
    """The line asked is one of the node's deeper questions (any of its variants)."""
    if node is None or asked is None:
        return False
    base = _VARIANT.sub("", asked.line_id)
    return any(base == f"{node}.{d.id}" for d in sc.nodes[node].deeper)
