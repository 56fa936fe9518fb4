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

    @property
    def elapsed(self) -> float:
        return self._state.now - self._state.started_at

    @property
    def turns(self) -> int:
        return len(self._state.turns)
