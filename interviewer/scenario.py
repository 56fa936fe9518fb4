"""The scenario format: pydantic models for the YAML files, and the checks done at load.

A scenario is data a non-programmer writes (see docs/SCENARIOS.md). Everything that can be
wrong with one is found here, when the file loads, and reported as `file:line: message`:
unknown keys, bad durations, targets that do not exist, unreachable nodes, nodes with no way
out, undeclared labels, conditions outside the expression language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from .actions import LineKind
from .errors import CheckError
from .expressions import RESERVED, Expr, ExprError, Names, compile_expr
from .meta import LINE_NAMES, meta_data
from .understanding import BUILTIN_LABELS, Asking, Lexicon

Round = Literal[
    "recruiter_screen", "hiring_manager", "culture", "system_design", "behavioral", "ml_theory"
]
ROUNDS: tuple[str, ...] = Round.__args__  # type: ignore[attr-defined]
LINE_KINDS: frozenset[str] = frozenset(LineKind.__args__)  # type: ignore[attr-defined]
SPECIAL_TARGETS = frozenset({"end", "resume"})
# "We're close to time" belongs in the round's last 15%: nowhere earlier.
WRAP_SHARE = 0.15
_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*m)?\s*(?:(\d+(?:\.\d+)?)\s*s)?\s*$"
)
_ID = r"^[a-z0-9][a-z0-9_.-]*$"


def parse_duration(value: Any) -> Any:
    """`90s`, `5m`, `1m30s`, `1h` or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration must be a number of seconds or like 90s, 5m, 1m30s")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m and any(m.groups()):
            h, mi, s = (float(g) if g else 0.0 for g in m.groups())
            return h * 3600 + mi * 60 + s
    raise ValueError(f"not a duration: {value!r} (write 90s, 5m, 1m30s or seconds)")


# The schema says what a file may hold: "90s" as well as 90.
Duration = Annotated[
    float, BeforeValidator(parse_duration, json_schema_input_type=float | str), Field(ge=0)
]


def _variants(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Lines = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=2000)]],
    # One line, or a list of variants the seed picks from.
    BeforeValidator(_variants, json_schema_input_type=str | list[str]),
    Field(min_length=1, max_length=10),
]


MAX_PATTERN = 300
# A group with a quantifier inside that is itself quantified: (a+)+, (\w*\s?)*, (?:x{2,})+
_QUANTIFIER = r"(?:[+*]|\{\d*,\d*\})"
_NESTED_QUANTIFIER = re.compile(
    r"\((?:[^()\\]|\\.)*" + _QUANTIFIER + r"(?:[^()\\]|\\.)*\)" + _QUANTIFIER
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Signal(Strict):
    phrases: list[Annotated[str, Field(min_length=1)]] = []
    patterns: list[Annotated[str, Field(min_length=1, max_length=MAX_PATTERN)]] = []
    # Words inside the candidate's own question earn nothing, except for signals that are
    # about asking (the constraints a design round wants pinned down).
    in_questions: bool = False

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for p in patterns:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(
                    f"pattern {p!r} is not a valid regular expression: {exc}"
                ) from None
            if _NESTED_QUANTIFIER.search(p):
                # (a+)+ and its kin backtrack exponentially on a near miss: one answer
                # could hold the server for minutes.
                raise ValueError(
                    f"pattern {p!r} repeats a group that itself repeats; "
                    "write it without the nested quantifier"
                )
        return patterns


class Stance(Strict):
    for_: list[str] = Field(alias="for", min_length=1)
    against: list[str] = Field(min_length=1)
    mixed: list[str] = []


class Overtime(Strict):
    say: Lines
    goto: str


class Phase(Strict):
    id: Annotated[str, Field(pattern=_ID)]
    title: str
    minutes: Annotated[float, Field(gt=0)]
    overtime: Overtime | None = None


class Branch(Strict):
    if_: str | None = Field(default=None, alias="if")
    goto: str


class Probe(Strict):
    # The line's id (`<node>.<id>`): stored sessions name it, so it stays put when a
    # probe is added before it.
    id: Annotated[str, Field(pattern=_ID)]
    unless: str
    say: Lines


class UseProbes(Strict):
    """`- use: star` in a node's probes: the probes of `probe_sets.star`, in place."""

    use: str


class Deeper(Strict):
    """A deeper question, asked once the node's probes are done while its phase still has
    time: what keeps a strong candidate busy for the whole slot."""

    id: Annotated[str, Field(pattern=_ID)]
    say: Lines
    unless: str | None = None


class NodeTimer(Strict):
    after: Duration
    say: Lines
    kind: LineKind = "nudge"
    polite: bool = True
    goto: str | None = None


class Node(Strict):
    say: Lines
    # Said when the candidate asks to hear the question again (else `say` is repeated).
    short: Lines | None = None
    # Offered once when the candidate does not know or has no example: a narrower
    # question or a pointer, never a probe that presumes the missing answer.
    hint: Lines | None = None
    kind: LineKind = "question"
    phase: str | None = None
    listen: bool = True
    # Passed over, its `next` taken, when this holds: the candidate already said what the
    # node asks for ("the strongest argument on the other side", given in the story).
    unless: str | None = None
    probes: list[Probe] = Field(default=[], max_length=3)
    deeper: list[Deeper] = Field(default=[], max_length=6)
    next: list[Branch] = []
    timers: list[NodeTimer] = []


class Timer(Strict):
    id: Annotated[str, Field(pattern=_ID)]
    at: Duration
    say: Lines
    kind: LineKind = "constraint"
    polite: bool = True
    goto: str | None = None


class Level(Strict):
    level: int
    if_: str | None = Field(default=None, alias="if")


class Criterion(Strict):
    id: Annotated[str, Field(pattern=_ID)]
    title: str
    anchors: dict[int, str] = Field(min_length=2)
    levels: list[Level] = Field(min_length=1)
    # Without this condition holding, the criterion is "not shown" rather than given a
    # level: a candidate who never met a pushback did not hold a view under one.
    scored_if: str | None = None
    evidence: list[str] = []
    points: list[str] = []

    @property
    def scale(self) -> tuple[int, int]:
        return min(self.anchors), max(self.anchors)


class Fact(Strict):
    """Something a real interviewer would tell a candidate who asks (scale, SLOs, process)."""

    id: Annotated[str, Field(pattern=_ID)]
    about: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    say: Lines
    # Signals credited to a candidate who asks for this fact (a design round's
    # "clarifies constraints" criterion counts what was asked for).
    labels: list[str] = []


class Definition(Strict):
    """What the interviewer means by a term, for "what do you mean by ...?"."""

    term: Annotated[str, Field(min_length=1)]
    also: list[Annotated[str, Field(min_length=1)]] = []
    say: Lines


class Challenge(Strict):
    """Said once when the candidate rejects a mechanism ("no need for a KL term")."""

    rejected: str
    say: Lines


class Correction(Strict):
    """Said once when the candidate states a wrong claim, caught by a signal of its own."""

    signal: str
    say: Lines


class Closing(Strict):
    """A last line for a round that went a certain way (held, updated, caved); the first
    whose `if` holds is said, else the scenario's `closing`. It must not give the score
    away: the candidate assesses themselves first."""

    id: Annotated[str, Field(pattern=_ID)]
    if_: str = Field(alias="if")
    say: Lines


class Voice(Strict):
    end_silence: Duration = 2.5


class ScriptLine(Strict):
    """One line the interviewer may say, with its stable id (the speech-cache key's source)."""

    line_id: str
    text: str
    kind: LineKind


class Scenario(Strict):
    id: Annotated[str, Field(pattern=_ID, max_length=80)]
    title: str
    round: Round
    minutes: Annotated[float, Field(gt=0, le=240)]
    summary: str = ""
    voice: Voice = Voice()
    glossary: list[str] = []
    signals: dict[Annotated[str, Field(pattern=_ID)], Signal] = {}
    stance: Stance | None = None
    phases: list[Phase] = []
    start: str
    closing: Lines
    closings: list[Closing] = []
    # Said instead of `closing` when the candidate ends the round early.
    farewell: Lines = ["Let's stop here. Thank you for your time."]
    # Conditions with a name, usable in any other condition as that bare name:
    # `changed_side: visits('moved_for') > 0 or visits('moved_against') > 0`. A name may
    # use the names above it.
    conditions: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], str] = {}
    # Probes several nodes share (`- use: <name>` in a node's probes).
    probe_sets: dict[Annotated[str, Field(pattern=_ID)], list[Probe]] = {}
    nodes: dict[Annotated[str, Field(pattern=_ID)], Node] = Field(min_length=1)
    timers: list[Timer] = []
    facts: list[Fact] = []
    definitions: list[Definition] = []
    challenges: list[Challenge] = []
    corrections: list[Correction] = []
    rubric: list[Criterion] = Field(min_length=1)

    def __repr__(self) -> str:
        return f"Scenario({self.id!r})"

    @model_validator(mode="before")
    @classmethod
    def _expand_probe_sets(cls, data: Any) -> Any:
        """`- use: <set>` in a node's probes becomes the set's probes, in place."""
        if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
            return data
        sets = data.get("probe_sets") or {}
        nodes = {}
        for node_id, node in data["nodes"].items():
            probes = node.get("probes") if isinstance(node, dict) else None
            if isinstance(probes, list) and any(isinstance(p, dict) and "use" in p for p in probes):
                expanded: list[Any] = []
                for p in probes:
                    if isinstance(p, dict) and "use" in p:
                        UseProbes.model_validate(p)
                        name = p["use"]
                        if not isinstance(sets, dict) or name not in sets:
                            raise ValueError(
                                f"node {node_id!r} uses probe set {name!r}, "
                                "which `probe_sets` does not declare"
                            )
                        if not isinstance(sets[name], list):
                            raise ValueError(f"probe set {name!r} must be a list of probes")
                        expanded += sets[name]
                    else:
                        expanded.append(p)
                node = {**node, "probes": expanded}
            nodes[node_id] = node
        return {**data, "nodes": nodes}

    # -- derived, computed once (the model is frozen) -----------------------------------

    @property
    def duration(self) -> float:
        return self.minutes * 60.0

    def phase_end(self, phase_id: str) -> float:
        """When a phase's time box ends, in seconds from the round's start. Boxes are laid
        out back from the round's end, so a phase entered late has less time and one
        entered early more: whatever happened before, the later phases keep theirs."""
        minutes = [p.minutes for p in self.phases]
        index = [p.id for p in self.phases].index(phase_id)
        slack = max(0.0, self.minutes - sum(minutes))
        return max(0.0, self.duration - (slack + sum(minutes[index + 1 :])) * 60)

    @cached_property
    def lexicon(self) -> Lexicon:
        stance = None
        if self.stance is not None:
            stance = (self.stance.for_, self.stance.against, self.stance.mixed)
        signals = {k: (v.phrases, v.patterns) for k, v in self.signals.items()}
        asking = Asking(
            facts=[(f.id, f.about) for f in self.facts],
            definitions=[(d.term, d.also) for d in self.definitions],
            in_questions=frozenset(k for k, v in self.signals.items() if v.in_questions),
            wrong=frozenset(c.signal for c in self.corrections),
        )
        return Lexicon(signals, stance, self.glossary, asking)

    @cached_property
    def fact_by_id(self) -> dict[str, Fact]:
        return {f.id: f for f in self.facts}

    @cached_property
    def definition_by_term(self) -> dict[str, Definition]:
        return {d.term: d for d in self.definitions}

    @cached_property
    def labels(self) -> frozenset[str]:
        return frozenset(self.signals) | BUILTIN_LABELS

    @cached_property
    def phase_by_id(self) -> dict[str, Phase]:
        return {p.id: p for p in self.phases}

    @cached_property
    def criterion_by_id(self) -> dict[str, Criterion]:
        return {c.id: c for c in self.rubric}

    @cached_property
    def timer_by_id(self) -> dict[str, Timer]:
        return {t.id: t for t in self.timers}

    @cached_property
    def condition(self) -> dict[str, Expr]:
        """Every condition of the file, compiled; keyed by its source text."""
        names = Names(
            labels=self.labels,
            nodes=frozenset(self.nodes),
            kinds=LINE_KINDS,
            criteria=frozenset(c.id for c in self.rubric if c.points),
            phases=frozenset(p.id for p in self.phases),
            facts=frozenset(f.id for f in self.facts),
        )
        named: dict[str, Any] = {}
        for name, source in self.conditions.items():
            where: tuple[str | int, ...] = ("conditions", name)
            if name in RESERVED:
                raise CheckError(where, f"{name!r} is a built-in name; choose another")
            try:
                named[name] = compile_expr(source, replace(names, named=dict(named))).fn
            except ExprError as exc:
                raise CheckError(where, str(exc)) from None
        names = replace(names, named=named)
        compiled: dict[str, Expr] = {}
        for path, source in self._condition_sources():
            if source not in compiled:
                try:
                    compiled[source] = compile_expr(source, names)
                except ExprError as exc:
                    raise CheckError(path, str(exc)) from None
        return compiled

    def lines(self) -> list[ScriptLine]:
        """Every line the interviewer can say, with its id: for the speech cache."""
        out: list[ScriptLine] = []
        for node_id, node in self.nodes.items():
            out += _line_variants(node_id, node.say, node.kind)
            if node.short:
                out += _line_variants(f"{node_id}.short", node.short, "repeat")
            if node.hint:
                out += _line_variants(f"{node_id}.hint", node.hint, "hint")
            for probe in node.probes:
                out += _line_variants(f"{node_id}.{probe.id}", probe.say, "follow_up")
            for question in node.deeper:
                out += _line_variants(f"{node_id}.{question.id}", question.say, "follow_up")
            for i, timer in enumerate(node.timers, 1):
                out += _line_variants(f"{node_id}.timer{i}", timer.say, timer.kind)
        for phase in self.phases:
            if phase.overtime:
                out += _line_variants(f"overtime.{phase.id}", phase.overtime.say, "time_check")
        for t in self.timers:
            out += _line_variants(f"timer.{t.id}", t.say, t.kind)
        for f in self.facts:
            out += _line_variants(f"fact.{f.id}", f.say, "answer")
        for d in self.definitions:
            out += _line_variants(f"define.{slug(d.term)}", d.say, "clarify")
        for ch in self.challenges:
            out += _line_variants(f"challenge.{ch.rejected}", ch.say, "challenge")
        for co in self.corrections:
            out += _line_variants(f"correction.{co.signal}", co.say, "correction")
        data = meta_data()
        for name in LINE_NAMES:
            out += _line_variants(f"meta.{name}", data.line(name), META_KINDS[name])
        out += _line_variants("closing", self.closing, "closing")
        for c in self.closings:
            out += _line_variants(f"closing.{c.id}", c.say, "closing")
        out += _line_variants("farewell", self.farewell, "closing")
        return out

    # -- load-time checks ----------------------------------------------------------------

    def check(self) -> None:
        """Raise `CheckError` (with the path of the offending value) on the first problem."""
        self._check_targets()
        self._check_labels()
        _ = self.condition  # compiles every condition; raises on the first bad one
        self._check_branches()
        self._check_reachable()
        self._check_transitions_terminate()
        self._check_rubric()
        self._check_times()
        ids = [line.line_id for line in self.lines()]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise CheckError(("nodes",), f"duplicate line ids: {', '.join(dupes)}")

    def _targets(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        yield ("start",), self.start
        for node_id, node in self.nodes.items():
            for i, b in enumerate(node.next):
                yield ("nodes", node_id, "next", i, "goto"), b.goto
            for i, t in enumerate(node.timers):
                if t.goto:
                    yield ("nodes", node_id, "timers", i, "goto"), t.goto
        for i, phase in enumerate(self.phases):
            if phase.overtime:
                yield ("phases", i, "overtime", "goto"), phase.overtime.goto
        for i, timer in enumerate(self.timers):
            if timer.goto:
                yield ("timers", i, "goto"), timer.goto

    def _check_targets(self) -> None:
        for path, target in self._targets():
            if target in self.nodes or (target in SPECIAL_TARGETS and path != ("start",)):
                continue
            hint = _closest(target, list(self.nodes))
            raise CheckError(path, f"unknown node {target!r}{hint}")
        for node_id, node in self.nodes.items():
            if node.phase is not None and node.phase not in self.phase_by_id:
                raise CheckError(("nodes", node_id, "phase"), f"unknown phase {node.phase!r}")
            if not node.listen and node.probes:
                raise CheckError(
                    ("nodes", node_id, "probes"), "a node with listen: false cannot probe"
                )
            if not node.listen and not node.next:
                raise CheckError(
                    ("nodes", node_id, "listen"), "a node with listen: false needs `next`"
                )
        for kind, ids in (
            ("timer", [t.id for t in self.timers]),
            ("phase", [p.id for p in self.phases]),
        ):
            for i, x in enumerate(ids):
                if x in ids[:i]:
                    raise CheckError((f"{kind}s", i, "id"), f"duplicate {kind} id {x!r}")

    def _check_labels(self) -> None:
        builtin_clash = sorted(set(self.signals) & BUILTIN_LABELS)
        if builtin_clash:
            raise CheckError(
                ("signals", builtin_clash[0]), f"{builtin_clash[0]!r} is a built-in label"
            )
        for name, signal in self.signals.items():
            if not signal.phrases and not signal.patterns:
                raise CheckError(("signals", name), "a signal needs phrases or patterns")
        if self.stance is not None:
            for side in ("for", "against", "mixed"):
                for i, label in enumerate(getattr(self.stance, "for_" if side == "for" else side)):
                    if label not in self.signals:
                        raise CheckError(("stance", side, i), f"undeclared signal {label!r}")
        for fi, f in enumerate(self.facts):
            for i, label in enumerate(f.labels):
                if label not in self.signals:
                    raise CheckError(("facts", fi, "labels", i), f"undeclared signal {label!r}")
        ids = [f.id for f in self.facts]
        for fi, fid in enumerate(ids):
            if fid in ids[:fi]:
                raise CheckError(("facts", fi, "id"), f"duplicate fact id {fid!r}")
        terms = [slug(d.term) for d in self.definitions]
        for di, t in enumerate(terms):
            if t in terms[:di]:
                raise CheckError(("definitions", di, "term"), f"duplicate definition {t!r}")
        for i, ch in enumerate(self.challenges):
            if ch.rejected not in self.signals:
                raise CheckError(
                    ("challenges", i, "rejected"), f"undeclared signal {ch.rejected!r}"
                )
        for i, co in enumerate(self.corrections):
            if co.signal not in self.signals:
                raise CheckError(("corrections", i, "signal"), f"undeclared signal {co.signal!r}")
        for ci, c in enumerate(self.rubric):
            for field in ("evidence", "points"):
                for i, label in enumerate(getattr(c, field)):
                    if label not in self.labels:
                        raise CheckError(("rubric", ci, field, i), f"undeclared label {label!r}")

    def _condition_sources(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        for node_id, node in self.nodes.items():
            for i, b in enumerate(node.next):
                if b.if_ is not None:
                    yield ("nodes", node_id, "next", i, "if"), b.if_
            for i, p in enumerate(node.probes):
                yield ("nodes", node_id, "probes", i, "unless"), p.unless
            for i, d in enumerate(node.deeper):
                if d.unless is not None:
                    yield ("nodes", node_id, "deeper", i, "unless"), d.unless
            if node.unless is not None:
                yield ("nodes", node_id, "unless"), node.unless
        for i, closing in enumerate(self.closings):
            yield ("closings", i, "if"), closing.if_
        for ci, c in enumerate(self.rubric):
            if c.scored_if is not None:
                yield ("rubric", ci, "scored_if"), c.scored_if
            for li, level in enumerate(c.levels):
                if level.if_ is not None:
                    yield ("rubric", ci, "levels", li, "if"), level.if_

    def _check_branches(self) -> None:
        for node_id, node in self.nodes.items():
            for i, b in enumerate(node.next):
                last = i == len(node.next) - 1
                if b.if_ is None and not last:
                    raise CheckError(
                        ("nodes", node_id, "next", i + 1),
                        "unreachable branch after one with no `if`",
                    )
                if b.if_ is not None and last:
                    raise CheckError(
                        ("nodes", node_id, "next", i),
                        "the last branch must have no `if`, so the node always has a way out",
                    )

    def _check_reachable(self) -> None:
        roots = [self.start]
        detours: list[str] = []
        for node in self.nodes.values():
            detours += [t.goto for t in node.timers if t.goto]
        detours += [p.overtime.goto for p in self.phases if p.overtime]
        detours += [t.goto for t in self.timers if t.goto]
        seen = _walk(self, roots + detours)
        for node_id in self.nodes:
            if node_id not in seen:
                raise CheckError(("nodes", node_id), f"node {node_id!r} is never reached")
        # `resume` returns from a timer's detour; anywhere else there is nothing to return to.
        from_timers = _walk(self, [t for t in detours if t in self.nodes])
        for node_id, node in self.nodes.items():
            for i, b in enumerate(node.next):
                if b.goto == "resume" and node_id not in from_timers:
                    raise CheckError(
                        ("nodes", node_id, "next", i, "goto"),
                        "`resume` only makes sense in a node reached from a timer",
                    )

    def _check_transitions_terminate(self) -> None:
        # Nodes that do not listen move on at once: a cycle of them would never stop.
        for start_id, node in self.nodes.items():
            if node.listen:
                continue
            stack, seen = [start_id], set()
            while stack:
                cur = stack.pop()
                for b in self.nodes[cur].next:
                    if b.goto == start_id:
                        raise CheckError(
                            ("nodes", start_id, "listen"), "nodes that do not listen form a loop"
                        )
                    if (
                        b.goto in self.nodes
                        and not self.nodes[b.goto].listen
                        and b.goto not in seen
                    ):
                        seen.add(b.goto)
                        stack.append(b.goto)

    def _check_rubric(self) -> None:
        ids = [c.id for c in self.rubric]
        for ci, c in enumerate(self.rubric):
            if c.id in ids[:ci]:
                raise CheckError(("rubric", ci, "id"), f"duplicate criterion {c.id!r}")
            lo, hi = c.scale
            for li, level in enumerate(c.levels):
                if not lo <= level.level <= hi:
                    raise CheckError(
                        ("rubric", ci, "levels", li, "level"),
                        f"level {level.level} is outside the anchors {lo}..{hi}",
                    )
            if c.levels[-1].if_ is not None:
                raise CheckError(
                    ("rubric", ci, "levels", len(c.levels) - 1),
                    "the last level must have no `if` (the fallback)",
                )

    def _check_times(self) -> None:
        for i, t in enumerate(self.timers):
            if t.at >= self.duration:
                raise CheckError(
                    ("timers", i, "at"),
                    f"timer at {t.at:.0f}s is after the end ({self.minutes:g} minutes)",
                )
            if t.kind == "time_check" and t.at < (1 - WRAP_SHARE) * self.duration:
                raise CheckError(
                    ("timers", i, "at"),
                    f"a time check at {t.at / 60:g} minutes comes before the last "
                    f"{WRAP_SHARE:.0%} of the round: it would say time is short when it is not",
                )
        for node_id, node in self.nodes.items():
            if node.deeper and node.phase is None:
                raise CheckError(
                    ("nodes", node_id, "deeper"),
                    "deeper questions need the node to be in a phase (its time box says "
                    "whether there is time for them)",
                )
        for i, phase in enumerate(self.phases):
            if not any(n.phase == phase.id for n in self.nodes.values()):
                raise CheckError(("phases", i), f"no node is in phase {phase.id!r}")


def _line_variants(base: str, variants: list[str], kind: LineKind) -> list[ScriptLine]:
    if len(variants) == 1:
        return [ScriptLine(line_id=base, text=variants[0], kind=kind)]
    return [
        ScriptLine(line_id=f"{base}.v{i}", text=t, kind=kind) for i, t in enumerate(variants, 1)
    ]


# The kind of each built-in line (meta.yaml's `lines`).
META_KINDS: dict[str, LineKind] = {
    "no_fact": "answer",
    "no_definition": "clarify",
    "dont_know": "hint",
    "no_example": "hint",
    "move_on": "hint",
    "need_time": "ack",
}


def slug(term: str) -> str:
    """A term as a line id part: "KV cache" -> "kv-cache"."""
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-") or "term"


def line_id(base: str, variants: list[str], index: int) -> str:
    return base if len(variants) == 1 else f"{base}.v{index + 1}"


def _walk(scenario: Scenario, roots: list[str]) -> set[str]:
    seen: set[str] = set()
    stack = [r for r in roots if r in scenario.nodes]
    while stack:
        cur = stack.pop()
        if cur in seen:
            continue
        seen.add(cur)
        node = scenario.nodes[cur]
        stack += [b.goto for b in node.next if b.goto in scenario.nodes]
        stack += [t.goto for t in node.timers if t.goto and t.goto in scenario.nodes]
    return seen


def _closest(word: str, options: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
