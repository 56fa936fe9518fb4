"""What conditions can ask: the `Facts` of the expression language, read off a `State`."""

from __future__ import annotations

from .scenario import Scenario
from .state import State, Turn


class StateFacts:
    def __init__(self, scenario: Scenario, state: State) -> None:
        self._scenario = scenario
        self._state = state

    def _with(self, label: str, turns: tuple[Turn, ...] | list[Turn]) -> bool:
        return any(label in t.labels for t in turns)

    def said(self, label: str) -> bool:
        turns = self._state.turns
        return self._with(label, [turns[i] for i in self._state.answers])

    def heard(self, label: str) -> bool:
        return self._with(label, self._state.turns)

    def heard_in(self, node: str, label: str) -> bool:
        return self._with(label, [t for t in self._state.turns if t.node == node])

    def heard_in_phase(self, label: str) -> bool:
        """Heard since the current phase began (one story of a behavioral round, say)."""
        phase = self._state.phase
        since = self._state.phase_entered_at
        return self._with(
            label, [t for t in self._state.turns if t.phase == phase and t.at >= since]
        )

    def since(self, node_or_kind: str) -> float:
        """Seconds since the candidate first answered at that node, or a node of that kind
        (0 before then): how long the pressure of a pushback ladder has lasted."""
        nodes = self._scenario.nodes
        for t in self._state.turns:
            if t.node is not None and (
                t.node == node_or_kind
                or (
                    node_or_kind not in nodes
                    and t.node in nodes
                    and nodes[t.node].kind == node_or_kind
                )
            ):
                return self._state.now - t.at
        return 0.0

    def heard_after(self, kind: str, label: str) -> bool:
        nodes = self._scenario.nodes
        return self._with(
            label, [t for t in self._state.turns if t.node in nodes and nodes[t.node].kind == kind]
        )

    def answered(self, node_or_kind: str) -> bool:
        """The candidate said something to that node, or to any node of that kind."""
        nodes = self._scenario.nodes

        def asked_there(node: str | None) -> bool:
            if node_or_kind in nodes:
                return node == node_or_kind
            return node in nodes and nodes[node].kind == node_or_kind

        return any(
            asked_there(t.node) and "empty" not in t.labels and t.meta is None
            for t in self._state.turns
        )

    def rejected(self, label: str) -> bool:
        """The candidate named that signal only to turn it down, somewhere in the round."""
        return any(m.label == label for t in self._state.turns for m in t.rejected)

    def asked(self, fact: str) -> bool:
        return any(fact in t.asked for t in self._state.turns)

    def questions(self, node: str) -> int:
        """How many questions the candidate asked while at that node."""
        return sum(len(t.asked) for t in self._state.turns if t.node == node)

    def count(self, label: str) -> int:
        return sum(label in t.labels for t in self._state.turns)

    def covered(self, criterion: str) -> int:
        points = self._scenario.criterion_by_id[criterion].points
        return sum(self.heard(p) for p in points)

    def covered_in(self, criterion: str, phase: str) -> int:
        points = self._scenario.criterion_by_id[criterion].points
        turns = [t for t in self._state.turns if t.phase == phase]
        return sum(self._with(p, turns) for p in points)

    def visits(self, node: str) -> int:
        return self._state.visits.get(node, 0)

    def passed(self, node: str) -> bool:
        """The node was passed over: its question had been answered before it came up."""
        return node in self._state.passed

    # -- coding rounds ------------------------------------------------------------------

    def _runs(self) -> list[Turn]:
        return [t for t in self._state.turns if t.meta == "code"]

    def last_run(self, figure: str) -> float:
        """A measure of the latest run with the hidden tests (0 before any)."""
        tested = [t for t in self._runs() if "code.tests_run" in t.labels]
        return tested[-1].figures.get(figure, 0.0) if tested else 0.0

    def best_run(self, figure: str) -> float:
        """The best a run with the hidden tests reached on a measure: the highest, or for
        `memory_ratio` the lowest (0 before any)."""
        values = [
            t.figures[figure]
            for t in self._runs()
            if "code.tests_run" in t.labels and figure in t.figures
        ]
        if not values:
            return 0.0
        return min(values) if figure == "memory_ratio" else max(values)

    @property
    def runs(self) -> int:
        return len(self._runs())

    @property
    def narration(self) -> float:
        """Words the candidate said per minute of the code phase (0 outside coding rounds)."""
        s = self._state
        if s.coding_from is None:
            return 0.0
        until = s.coding_until if s.coding_until is not None else s.now
        minutes = (until - s.coding_from) / 60.0
        if minutes <= 0:
            return 0.0
        spoken = [
            t
            for t in s.turns
            if t.meta != "code" and s.coding_from <= t.at <= until and "empty" not in t.labels
        ]
        return sum(len(t.text.split()) for t in spoken) / minutes

    @property
    def quiet_coding(self) -> float:
        return self._state.quiet_coding

    @property
    def voice(self) -> bool:
        return self._state.voice

    @property
    def elapsed(self) -> float:
        return self._state.now - self._state.started_at

    @property
    def turns(self) -> int:
        return len(self._state.turns)
