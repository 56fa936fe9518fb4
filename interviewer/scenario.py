"""The scenario: the model of a whole file, and the views the engine reads from it.

A scenario is data a non-programmer writes (see docs/SCENARIOS.md); its parts are the
models of `parts.py`, the checks that need the whole file are in `checks.py`. What the
engine reads (the lexicon, the compiled conditions, the lookups by id, every line the
interviewer can say) is derived here once, when first asked for: the model is frozen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from .actions import LineKind
from .code import CODE_LABELS, FIGURES
from .errors import CheckError
from .expressions import RESERVED, Expr, ExprError, Names, compile_expr
from .labels import BUILTIN_LABELS
from .lines import META_KINDS, ScriptLine, line_variants, slug
from .meta_phrases import LINE_NAMES, meta_data
from .parts import (
    ID_PATTERN,
    Challenge,
    Closing,
    CodeTask,
    Correction,
    Criterion,
    Definition,
    Fact,
    Lines,
    Node,
    Phase,
    Probe,
    Signal,
    Stance,
    Strict,
    Timer,
    UseProbes,
    Voice,
)
from .questions import Asking
from .understanding import Lexicon

Round = Literal[
    "recruiter_screen",
    "hiring_manager",
    "culture",
    "system_design",
    "behavioral",
    "ml_theory",
    "deep_dive",
    "coding",
    "ml_ops",
]
# Rounds whose work is code in the browser's editor (they carry a `code:` task).
CODE_ROUNDS: frozenset[str] = frozenset({"coding", "ml_ops"})
ROUNDS: tuple[str, ...] = Round.__args__  # type: ignore[attr-defined]
# What each of a coding task's cues is, as a line of the interview.
CUE_KINDS: dict[str, LineKind] = {
    "no_run": "nudge",
    "failing": "hint",
    "crashed": "hint",
    "solved": "follow_up",
}
LINE_KINDS: frozenset[str] = frozenset(LineKind.__args__)  # type: ignore[attr-defined]


class Scenario(Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN, max_length=80)]
    title: str
    round: Round
    minutes: Annotated[float, Field(gt=0, le=240)]
    summary: str = ""
    voice: Voice = Voice()
    glossary: list[str] = []
    signals: dict[Annotated[str, Field(pattern=ID_PATTERN)], Signal] = {}
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
    probe_sets: dict[Annotated[str, Field(pattern=ID_PATTERN)], list[Probe]] = {}
    nodes: dict[Annotated[str, Field(pattern=ID_PATTERN)], Node] = Field(min_length=1)
    timers: list[Timer] = []
    facts: list[Fact] = []
    definitions: list[Definition] = []
    challenges: list[Challenge] = []
    corrections: list[Correction] = []
    rubric: list[Criterion] = Field(min_length=1)
    # Coding and ML operations rounds: the task in the editor and how runs are checked.
    code: CodeTask | None = None

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
            answers={f.id: " ".join(f.say) for f in self.facts},
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
        code = CODE_LABELS if self.code is not None else frozenset()
        return frozenset(self.signals) | BUILTIN_LABELS | code

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
            figures=FIGURES if self.code is not None else frozenset(),
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
            out += line_variants(node_id, node.say, node.kind)
            if node.short:
                out += line_variants(f"{node_id}.short", node.short, "repeat")
            if node.hint:
                out += line_variants(f"{node_id}.hint", node.hint, "hint")
            for probe in node.probes:
                out += line_variants(f"{node_id}.{probe.id}", probe.say, "follow_up")
            for question in node.deeper:
                out += line_variants(f"{node_id}.{question.id}", question.say, "follow_up")
            for i, timer in enumerate(node.timers, 1):
                out += line_variants(f"{node_id}.timer{i}", timer.say, timer.kind)
        for phase in self.phases:
            if phase.overtime:
                out += line_variants(f"overtime.{phase.id}", phase.overtime.say, "time_check")
        for t in self.timers:
            out += line_variants(f"timer.{t.id}", t.say, t.kind)
        for f in self.facts:
            out += line_variants(f"fact.{f.id}", f.say, "answer")
        for d in self.definitions:
            out += line_variants(f"define.{slug(d.term)}", d.say, "clarify")
        for ch in self.challenges:
            out += line_variants(f"challenge.{ch.rejected}", ch.say, "challenge")
        for co in self.corrections:
            out += line_variants(f"correction.{co.signal}", co.say, "correction")
        if self.code is not None:
            cues = self.code.cues
            for name, cue in (
                ("no_run", cues.no_run),
                ("failing", cues.failing),
                ("crashed", cues.crashed),
                ("solved", cues.solved),
            ):
                if cue is not None:
                    out += line_variants(f"code.{name}", cue.say, CUE_KINDS[name])
        data = meta_data()
        for name in LINE_NAMES:
            out += line_variants(f"meta.{name}", data.line(name), META_KINDS[name])
        out += line_variants("closing", self.closing, "closing")
        for c in self.closings:
            out += line_variants(f"closing.{c.id}", c.say, "closing")
        out += line_variants("farewell", self.farewell, "closing")
        return out

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
            if node.until is not None:
                yield ("nodes", node_id, "until"), node.until
        for i, closing in enumerate(self.closings):
            yield ("closings", i, "if"), closing.if_
        for ci, c in enumerate(self.rubric):
            if c.scored_if is not None:
                yield ("rubric", ci, "scored_if"), c.scored_if
            for li, level in enumerate(c.levels):
                if level.if_ is not None:
                    yield ("rubric", ci, "levels", li, "if"), level.if_
