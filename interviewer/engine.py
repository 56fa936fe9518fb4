"""The interviewer engine: `start`, `step`, `next_deadline`. Events in, actions out.

Theory of operation
-------------------
An interview is a walk through the scenario's nodes. Entering a node says its line; a node
that listens then waits for the candidate's answer. An answer is turned into labels
(`understand`) and recorded as a turn. The node then asks its first probe whose `unless`
condition still fails (a follow-up, at most three per node), then its deeper questions
while its phase has time to spare; when nothing is left to ask it takes the first `next`
branch whose `if` holds. A node whose own `unless` holds was answered already and is passed
over. `end` closes the interview, with the first closing line that fits how it went.

Before the script sees an answer, the understanding says what kind of turn it is. A request
about the conversation (say that again, what does X mean, I don't know, a moment please)
is answered and the question stays open; it is never an answer. The candidate's own
questions are answered from the scenario's facts, and the question stays open too. A wrong
claim gets its correction and a mechanism turned down its challenge, once a round each.
Only then does the script move on (see docs/LISTENING.md).

Time only moves when an event says so: every event carries `at`, and before handling it the
engine fires every timer that fell due up to `at`, in order. There is one clock for the
round: timers are anchored to the start (adversarial constraints at a fixed minute), to
entering a node (nudges), or to the round's end (time boxes, laid out back from it). A
polite timer that falls due while the candidate is speaking waits for the end of that turn;
a constraint or time box that falls due within a minute of a question waits for its answer.
A timer may detour to a node of its own; that node's `goto: resume` returns to where the
conversation was and asks again the question that was pending. At the scenario's duration
the interview ends whatever is happening: nothing the candidate does can keep it going.

Nothing here reads a clock, a file or a random source: the seed picks between a line's
variants, so the same scenario, seed and events give the same actions. An illegal event
(time going backwards, anything after the end) raises `IllegalEvent` before any change.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from typing import Literal

from .actions import Action, End, LineKind, PhaseChanged, Say
from .errors import IllegalEvent
from .events import CandidateLeft, CandidateQuiet, CandidateSaid, CandidateSpeaking, Event, Tick
from .facts import StateFacts
from .meta import meta_data
from .rubric import score_all
from .scenario import META_KINDS, Scenario, line_id, slug
from .state import Asked, Resume, State, Turn, TurnMatch
from .understanding import Understanding

# Lines after which the candidate is expected to answer: what "say that again" repeats.
_ASKING: frozenset[LineKind] = frozenset(
    {"question", "follow_up", "pushback", "nudge", "challenge", "correction", "hint"}
)
# A question just asked gets this long to be answered before a timer of the round (a
# constraint, a time box) takes the floor: nothing is asked and dropped in the same breath.
ANSWER_GRACE = 60.0
# A deeper question needs this much of its phase's time box left.
DEPTH_ROOM = 120.0


@dataclass(frozen=True, slots=True)
class Step:
    state: State
    actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class _Due:
    """A timer that can fire: where its line comes from and what it does."""

    at: float
    key: str
    base_id: str
    say: list[str]
    kind: LineKind
    polite: bool
    goto: str | None
    detour: bool  # remember where we were, for `resume`


def start(scenario: Scenario, seed: int, at: float = 0.0, node: str | None = None) -> Step:
    """Begin an interview at interview time `at` (usually 0), at the scenario's start or at
    `node` (a drill on one question, or an evaluation case)."""
    if not math.isfinite(at):
        raise IllegalEvent("start time must be a finite number")
    if node is not None and node not in scenario.nodes:
        raise IllegalEvent(f"no node {node!r} in scenario {scenario.id!r}")
    run = _Run(scenario, State(scenario=scenario.id, seed=seed, started_at=at, now=at))
    run.enter(node or scenario.start)
    return run.result()


def step(scenario: Scenario, state: State, event: Event) -> Step:
    """Apply one event. Raises `IllegalEvent`, leaving `state` as it was, if it cannot happen."""
    if state.scenario != scenario.id:
        raise IllegalEvent(f"state belongs to scenario {state.scenario!r}, not {scenario.id!r}")
    if state.ended:
        raise IllegalEvent("the interview has ended")
    if not isinstance(event.at, int | float) or not math.isfinite(event.at):
        raise IllegalEvent("event time must be a finite number")
    if event.at < state.now:
        raise IllegalEvent(f"time went backwards: {event.at} is before {state.now}")
    run = _Run(scenario, state)
    run.advance(event.at)
    if not run.state.ended:
        match event:
            case CandidateSaid(text=text):
                run.answer(text)
            case CandidateSpeaking():
                run.update(speaking=True)
            case CandidateQuiet():
                # Held-back timers are due again; the `advance` below fires them.
                run.update(speaking=False, deferred=())
            case CandidateLeft():
                run.finish("left")
            case Tick():
                pass
            case _:
                raise IllegalEvent(f"unknown event {event!r}")
        # Timers held back while a detour was open may be due now that it has returned.
        run.advance(run.state.now)
    return run.result()


def next_deadline(state: State) -> float | None:
    """Interview time at which the shell should send a `Tick`, or None once ended."""
    return state.deadline


class _Run:
    """One step's work on a copy of the state; `result()` freezes it with its actions."""

    def __init__(self, scenario: Scenario, state: State) -> None:
        self.sc = scenario
        self.state = state
        self.actions: list[Action] = []

    def update(self, **changes: object) -> None:
        self.state = self.state.model_copy(update=changes)

    def result(self) -> Step:
        deadline = None if self.state.ended else self._deadline()
        self.update(deadline=deadline)
        return Step(self.state, tuple(self.actions))

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
            self.enter(self._next_target(), passed | {target})
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
            self.enter(self._next_target())

    def _enter_phase(self, phase_id: str | None) -> None:
        # Nodes without a phase (e.g. a constraint's discussion) stay in the current one.
        if phase_id is None or phase_id == self.state.phase:
            return
        phase = self.sc.phase_by_id[phase_id]
        until = self.state.started_at + self.sc.phase_end(phase_id)
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
            and _is_deeper(self.sc, back.node, back.asked)
            and self._room(phase) < DEPTH_ROOM
        )

    def _room(self, phase: str) -> float:
        """Seconds left in a phase's time box."""
        return self.state.started_at + self.sc.phase_end(phase) - self.state.now

    def _next_target(self) -> str:
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
        self.enter(self._next_target())

    # -- answers ------------------------------------------------------------------------

    def answer(self, text: str) -> None:
        understood = self.sc.lexicon.understand(text)
        meta: str | None = understood.intent
        if meta is None and understood.asked and not understood.substantive:
            meta = "question"
        if meta is None and understood.leaving and not understood.substantive:
            meta = "leave"  # "Sorry, I have to stop here": nothing said before it
        labels = set(understood.labels)
        for fact_id in understood.asked:
            if fact_id:
                labels.update(self.sc.fact_by_id[fact_id].labels)
        turn = Turn(
            index=len(self.state.turns),
            at=self.state.now,
            node=self.state.node,
            phase=self.state.phase,
            text=text,
            labels=tuple(sorted(labels)),
            matches=tuple(TurnMatch.of(m) for m in understood.matches),
            meta=meta,
            rejected=tuple(TurnMatch.of(m) for m in understood.rejected),
            asked=understood.asked,
        )
        # A request about the conversation is not an answer to the node; a question is
        # kept with the answers (what it asked for counts), but answers nothing itself.
        answers = self.state.answers
        if understood.intent is None and meta != "leave":
            answers = (*answers, turn.index)
        # Only an answer ends the wait for one: after a request ("a moment, please") or a
        # question of their own, the candidate still owes the answer to the open question.
        awaiting = self.state.awaiting and (understood.intent is not None or meta == "question")
        self.update(
            speaking=False, turns=(*self.state.turns, turn), answers=answers, awaiting=awaiting
        )
        self.update(deferred=())
        if understood.leaving:
            # The candidate has to go: what they said counts, and the round ends now, as
            # if they had pressed End.
            self.finish("left")
            return
        if not any(d.at <= self.state.now for d in self._timers()):
            self.react(understood, turn)
            return
        # Polite timers held back during the answer (or while it was awaited) go first. The
        # answer is not lost: the node moves on from it when the first detour resumes (or
        # right away if none).
        answered, moved = self.state.node, False
        while due := [d for d in self._timers() if d.at <= self.state.now]:
            pending = not moved and self.state.node == answered and understood.intent is None
            moved = self.fire(due[0], pending=pending) or moved
        if not moved:
            self.react(understood, turn)

    def react(self, understood: Understanding, turn: Turn) -> None:
        """What the interviewer says to a turn: requests first, then the script."""
        if understood.intent is not None:
            self._request(understood)
            return
        answered = self._answer_questions(understood.asked, understood.substantive)
        if answered or not understood.substantive:
            # The candidate asked something and has the answer now: the question stays
            # open for them to go on (an answer given alongside is kept for the node).
            return
        if self._challenge_or_correct(turn):
            return
        self.move_on()

    def _answer_questions(self, asked: tuple[str, ...], substantive: bool) -> bool:
        """Say the facts asked for; True if any was. A question with no fact gets an honest
        "I don't have that", unless it closed an answer ("..., does the cache help?")."""
        answered = said_unknown = False
        for fact_id in dict.fromkeys(asked):
            if fact_id:
                self.say(f"fact.{fact_id}", self.sc.fact_by_id[fact_id].say, "answer")
                answered = True
            elif not substantive and not said_unknown:
                self.say_meta("no_fact")
                said_unknown = True
        return answered

    def _request(self, understood: Understanding) -> None:
        match understood.intent:
            case "repeat":
                self._ask_again()
            case "clarify_term":
                term = understood.term
                if term is None:
                    self.say_meta("no_definition")
                else:
                    definition = self.sc.definition_by_term[term]
                    self.say(f"define.{slug(term)}", definition.say, "clarify")
                self._ask_again()
            case "dont_know" | "no_example" as intent:
                node = self.sc.nodes[self.state.node] if self.state.node else None
                if self.state.helped == 0:
                    self.update(helped=1)
                    # The node's hint is written for its question and probes; a deeper
                    # question gets the general help.
                    deeper = _is_deeper(self.sc, self.state.node, self.state.question)
                    if node is not None and node.hint and not deeper:
                        self.say(f"{self.state.node}.hint", node.hint, "hint")
                    else:
                        self.say_meta(intent)
                    return
                # Helped once already: leave this question rather than probe a story
                # that does not exist.
                self.say_meta("move_on")
                if node is not None:
                    self.update(probes_used=len(node.probes))
                self.enter(self._next_target())
            case "need_time":
                self.say_meta("need_time")
            case "no_questions":
                self.move_on()
            case _:
                raise AssertionError(understood.intent)

    def _ask_again(self) -> None:
        last = self.state.last_asked
        if last is None:
            return
        if last.short_id is not None and last.short_text is not None:
            line, text = last.short_id, last.short_text
        else:
            line, text = last.line_id, last.text
        self.actions.append(Say(line_id=line, text=text, kind="repeat", node=self.state.node))

    def _challenge_or_correct(self, turn: Turn) -> bool:
        """A wrong claim is corrected, a turned-down mechanism challenged: once a round each."""
        for co in self.sc.corrections:
            key = f"correction.{co.signal}"
            if co.signal in turn.labels and key not in self.state.reacted:
                self.update(reacted=(*self.state.reacted, key))
                self.say(key, co.say, "correction")
                return True
        rejected = {m.label for m in turn.rejected} - set(turn.labels)
        for ch in self.sc.challenges:
            key = f"challenge.{ch.rejected}"
            if ch.rejected in rejected and key not in self.state.reacted:
                self.update(reacted=(*self.state.reacted, key))
                self.say(key, ch.say, "challenge")
                return True
        return False

    # -- time ---------------------------------------------------------------------------

    def advance(self, at: float) -> None:
        self.update(now=at)
        end_at = self.state.started_at + self.sc.duration
        while not self.state.ended:
            if self.state.now >= end_at:
                self.finish("time")
                return
            due = [d for d in self._timers() if d.at <= self.state.now]
            if not due:
                return
            first = due[0]
            if first.polite and self.state.speaking:
                self.update(deferred=(*self.state.deferred, first.key))
                continue
            self.fire(first, pending=False)

    def fire(self, due: _Due, pending: bool) -> bool:
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

    def _timers(self) -> list[_Due]:
        """Timers that have not fired and are not waiting, earliest first."""
        s, sc = self.state, self.sc
        done = set(s.fired) | set(s.deferred)
        # The round's own timers wait a moment for the answer to a question just asked.
        grace = s.asked_at + ANSWER_GRACE if s.awaiting else -math.inf
        out: list[_Due] = []
        for t in sc.timers:
            key = f"timer.{t.id}"
            if key not in done:
                at = s.started_at + t.at
                out.append(
                    _Due(
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
                        _Due(
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
        # A time box never cuts a constraint's discussion short: it waits for `resume`.
        if s.phase is not None and s.resume is None:
            phase = sc.phase_by_id[s.phase]
            key = f"overtime.{phase.id}@{s.phase_entries}"
            # A box whose way out leads to where the conversation already is has nothing to
            # do (a wrap-up question asked before the box ran out is not asked twice).
            if phase.overtime is not None and key not in done and phase.overtime.goto != s.node:
                out.append(
                    _Due(
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

    def _deadline(self) -> float:
        end_at = self.state.started_at + self.sc.duration
        upcoming = [d.at for d in self._timers()]
        return min([end_at, *upcoming])

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


def _is_deeper(sc: Scenario, node: str | None, asked: Asked | None) -> bool:
    """The line asked is one of the node's deeper questions (any of its variants)."""
    if node is None or asked is None:
        return False
    base = _VARIANT.sub("", asked.line_id)
    return any(base == f"{node}.{d.id}" for d in sc.nodes[node].deeper)
