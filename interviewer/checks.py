"""The checks done at load: what can be wrong with a scenario as a whole.

A scenario is data a non-programmer writes (see docs/SCENARIOS.md). Everything that can be
wrong with one is found when the file loads, and reported as `file:line: message`:
targets that do not exist, unreachable nodes, nodes with no way out, undeclared labels,
conditions outside the expression language. Each check raises `CheckError` with the path
of the offending value; the loader maps it to its line.
"""

from __future__ import annotations

from collections.abc import Iterator

from .errors import CheckError
from .labels import BUILTIN_LABELS
from .lines import slug
from .scenario import CODE_ROUNDS, Scenario

SPECIAL_TARGETS = frozenset({"end", "resume"})
# "We're close to time" belongs in the round's last 15%: nowhere earlier.
WRAP_SHARE = 0.15


def check(sc: Scenario) -> None:
    """Raise `CheckError` (with the path of the offending value) on the first problem."""
    _check_targets(sc)
    _check_labels(sc)
    _ = sc.condition  # compiles every condition; raises on the first bad one
    _check_branches(sc)
    _check_reachable(sc)
    _check_transitions_terminate(sc)
    _check_rubric(sc)
    _check_times(sc)
    _check_code(sc)
    ids = [line.line_id for line in sc.lines()]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CheckError(("nodes",), f"duplicate line ids: {', '.join(dupes)}")


def _targets(sc: Scenario) -> Iterator[tuple[tuple[str | int, ...], str]]:
    yield ("start",), sc.start
    for node_id, node in sc.nodes.items():
        for i, b in enumerate(node.next):
            yield ("nodes", node_id, "next", i, "goto"), b.goto
        for i, t in enumerate(node.timers):
            if t.goto:
                yield ("nodes", node_id, "timers", i, "goto"), t.goto
    for i, phase in enumerate(sc.phases):
        if phase.overtime:
            yield ("phases", i, "overtime", "goto"), phase.overtime.goto
    for i, timer in enumerate(sc.timers):
        if timer.goto:
            yield ("timers", i, "goto"), timer.goto
    solved = sc.code.cues.solved if sc.code is not None else None
    if solved is not None and solved.goto is not None:
        yield ("code", "cues", "solved", "goto"), solved.goto


def _check_targets(sc: Scenario) -> None:
    for path, target in _targets(sc):
        if target in sc.nodes or (target in SPECIAL_TARGETS and path != ("start",)):
            continue
        hint = _closest(target, list(sc.nodes))
        raise CheckError(path, f"unknown node {target!r}{hint}")
    for node_id, node in sc.nodes.items():
        if node.phase is not None and node.phase not in sc.phase_by_id:
            raise CheckError(("nodes", node_id, "phase"), f"unknown phase {node.phase!r}")
        if not node.listen and node.probes:
            raise CheckError(("nodes", node_id, "probes"), "a node with listen: false cannot probe")
        if not node.listen and not node.next:
            raise CheckError(("nodes", node_id, "listen"), "a node with listen: false needs `next`")
    for kind, ids in (
        ("timer", [t.id for t in sc.timers]),
        ("phase", [p.id for p in sc.phases]),
    ):
        for i, x in enumerate(ids):
            if x in ids[:i]:
                raise CheckError((f"{kind}s", i, "id"), f"duplicate {kind} id {x!r}")


def _check_labels(sc: Scenario) -> None:
    builtin_clash = sorted(set(sc.signals) & BUILTIN_LABELS)
    if builtin_clash:
        raise CheckError(("signals", builtin_clash[0]), f"{builtin_clash[0]!r} is a built-in label")
    for name, signal in sc.signals.items():
        if not signal.phrases and not signal.patterns:
            raise CheckError(("signals", name), "a signal needs phrases or patterns")
    if sc.stance is not None:
        for side in ("for", "against", "mixed"):
            for i, label in enumerate(getattr(sc.stance, "for_" if side == "for" else side)):
                if label not in sc.signals:
                    raise CheckError(("stance", side, i), f"undeclared signal {label!r}")
    for fi, f in enumerate(sc.facts):
        for i, label in enumerate(f.labels):
            if label not in sc.signals:
                raise CheckError(("facts", fi, "labels", i), f"undeclared signal {label!r}")
    ids = [f.id for f in sc.facts]
    for fi, fid in enumerate(ids):
        if fid in ids[:fi]:
            raise CheckError(("facts", fi, "id"), f"duplicate fact id {fid!r}")
    terms = [slug(d.term) for d in sc.definitions]
    for di, t in enumerate(terms):
        if t in terms[:di]:
            raise CheckError(("definitions", di, "term"), f"duplicate definition {t!r}")
    for i, ch in enumerate(sc.challenges):
        if ch.rejected not in sc.signals:
            raise CheckError(("challenges", i, "rejected"), f"undeclared signal {ch.rejected!r}")
    for i, co in enumerate(sc.corrections):
        if co.signal not in sc.signals:
            raise CheckError(("corrections", i, "signal"), f"undeclared signal {co.signal!r}")
    for ci, c in enumerate(sc.rubric):
        for field in ("evidence", "points"):
            for i, label in enumerate(getattr(c, field)):
                if label not in sc.labels:
                    raise CheckError(("rubric", ci, field, i), f"undeclared label {label!r}")


def _check_branches(sc: Scenario) -> None:
    for node_id, node in sc.nodes.items():
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


def _check_reachable(sc: Scenario) -> None:
    roots = [sc.start]
    detours: list[str] = []
    for node in sc.nodes.values():
        detours += [t.goto for t in node.timers if t.goto]
    detours += [p.overtime.goto for p in sc.phases if p.overtime]
    detours += [t.goto for t in sc.timers if t.goto]
    seen = _walk(sc, roots + detours)
    for node_id in sc.nodes:
        if node_id not in seen:
            raise CheckError(("nodes", node_id), f"node {node_id!r} is never reached")
    # `resume` returns from a timer's detour; anywhere else there is nothing to return to.
    from_timers = _walk(sc, [t for t in detours if t in sc.nodes])
    for node_id, node in sc.nodes.items():
        for i, b in enumerate(node.next):
            if b.goto == "resume" and node_id not in from_timers:
                raise CheckError(
                    ("nodes", node_id, "next", i, "goto"),
                    "`resume` only makes sense in a node reached from a timer",
                )


def _check_transitions_terminate(sc: Scenario) -> None:
    # Nodes that do not listen move on at once: a cycle of them would never stop.
    for start_id, node in sc.nodes.items():
        if node.listen:
            continue
        stack, seen = [start_id], set()
        while stack:
            cur = stack.pop()
            for b in sc.nodes[cur].next:
                if b.goto == start_id:
                    raise CheckError(
                        ("nodes", start_id, "listen"), "nodes that do not listen form a loop"
                    )
                if b.goto in sc.nodes and not sc.nodes[b.goto].listen and b.goto not in seen:
                    seen.add(b.goto)
                    stack.append(b.goto)


def _check_rubric(sc: Scenario) -> None:
    ids = [c.id for c in sc.rubric]
    for ci, c in enumerate(sc.rubric):
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


def _check_times(sc: Scenario) -> None:
    for i, t in enumerate(sc.timers):
        if t.at >= sc.duration:
            raise CheckError(
                ("timers", i, "at"),
                f"timer at {t.at:.0f}s is after the end ({sc.minutes:g} minutes)",
            )
        if t.kind == "time_check" and t.at < (1 - WRAP_SHARE) * sc.duration:
            raise CheckError(
                ("timers", i, "at"),
                f"a time check at {t.at / 60:g} minutes comes before the last "
                f"{WRAP_SHARE:.0%} of the round: it would say time is short when it is not",
            )
    for node_id, node in sc.nodes.items():
        if node.deeper and node.phase is None:
            raise CheckError(
                ("nodes", node_id, "deeper"),
                "deeper questions need the node to be in a phase (its time box says "
                "whether there is time for them)",
            )
    for i, phase in enumerate(sc.phases):
        if not any(n.phase == phase.id for n in sc.nodes.values()):
            raise CheckError(("phases", i), f"no node is in phase {phase.id!r}")


def _check_code(sc: Scenario) -> None:
    """A coding round has its task, and only a coding round has one."""
    if sc.round in CODE_ROUNDS and sc.code is None:
        raise CheckError(("round",), f"a {sc.round} round needs a `code:` task")
    if sc.code is None:
        return
    if sc.round not in CODE_ROUNDS:
        rounds = " or ".join(sorted(CODE_ROUNDS))
        raise CheckError(("code",), f"`code:` belongs to {rounds} rounds, not {sc.round}")
    if sc.code.phase not in sc.phase_by_id:
        raise CheckError(("code", "phase"), f"unknown phase {sc.code.phase!r}")


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
