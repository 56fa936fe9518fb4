"""A tiny, safe expression language for scenario conditions.

Conditions such as ``said('stance.for') and not heard('reasons')`` are parsed with Python's
own parser, then compiled into closures from an allowlist of node types. Anything else
(attribute access, subscripts, lambdas, unknown names or functions, non-literal arguments)
is rejected when the scenario loads, so nothing can fail or escape mid-interview.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class Facts(Protocol):
    """What a condition may ask about the interview so far."""

    def said(self, label: str) -> bool: ...
    def heard(self, label: str) -> bool: ...
    def heard_in(self, node: str, label: str) -> bool: ...
    def heard_after(self, kind: str, label: str) -> bool: ...
    def heard_in_phase(self, label: str) -> bool: ...
    def since(self, node_or_kind: str) -> float: ...
    def answered(self, node_or_kind: str) -> bool: ...
    def count(self, label: str) -> int: ...
    def covered(self, criterion: str) -> int: ...
    def covered_in(self, criterion: str, phase: str) -> int: ...
    def visits(self, node: str) -> int: ...
    def passed(self, node: str) -> bool: ...
    def rejected(self, label: str) -> bool: ...
    def asked(self, fact: str) -> bool: ...
    def questions(self, node: str) -> int: ...
    def last_run(self, figure: str) -> float: ...
    def best_run(self, figure: str) -> float: ...
    @property
    def elapsed(self) -> float: ...
    @property
    def turns(self) -> int: ...
    @property
    def runs(self) -> int: ...
    @property
    def narration(self) -> float: ...
    @property
    def quiet_coding(self) -> float: ...
    @property
    def voice(self) -> bool: ...


class ExprError(ValueError):
    pass


@dataclass(frozen=True)
class Names:
    """What may be referred to: checked at compile time so typos fail at load."""

    labels: frozenset[str]
    nodes: frozenset[str]
    kinds: frozenset[str]
    criteria: frozenset[str]
    phases: frozenset[str] = frozenset()
    facts: frozenset[str] = frozenset()
    figures: frozenset[str] = frozenset()  # a code run's measures (coding rounds only)
    # The scenario's own named conditions (`conditions:`), compiled: usable as bare names.
    named: Mapping[str, Compiled] = field(default_factory=dict)


# function name -> the kind of each argument, in order
_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "said": ("label",),
    "heard": ("label",),
    "heard_in": ("node", "label"),
    "heard_after": ("kind", "label"),
    "heard_in_phase": ("label",),
    "since": ("node or kind",),
    "answered": ("node or kind",),
    "count": ("label",),
    "covered": ("criterion",),
    "covered_in": ("criterion", "phase"),
    "visits": ("node",),
    "passed": ("node",),
    "rejected": ("label",),
    "asked": ("fact",),
    "questions": ("node",),
    "last_run": ("figure",),
    "best_run": ("figure",),
}

_VARIABLES: dict[str, Callable[[Facts], Any]] = {
    "elapsed": lambda f: f.elapsed,
    "minutes": lambda f: f.elapsed / 60.0,
    "turns": lambda f: f.turns,
    "runs": lambda f: f.runs,
    "narration": lambda f: f.narration,
    "quiet_coding": lambda f: f.quiet_coding,
    "voice": lambda f: f.voice,
}

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}

_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
}

Compiled = Callable[[Facts], Any]


@dataclass(frozen=True)
class Expr:
    source: str
    fn: Compiled

    def __call__(self, facts: Facts) -> bool:
        return bool(self.fn(facts))


RESERVED: frozenset[str] = frozenset(_VARIABLES) | frozenset(_FUNCTIONS) | {"and", "or", "not"}


def compile_expr(source: str, names: Names) -> Expr:
    if len(source) > 500:
        raise ExprError("condition is longer than 500 characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"cannot parse condition {source!r}: {exc.msg}") from None
    return Expr(source, _compile(tree.body, names))


def _compile(node: ast.expr, names: Names) -> Compiled:
    match node:
        case ast.BoolOp(op=ast.And(), values=values):
            parts = [_compile(v, names) for v in values]
            return lambda f: all(p(f) for p in parts)
        case ast.BoolOp(op=ast.Or(), values=values):
            parts = [_compile(v, names) for v in values]
            return lambda f: any(p(f) for p in parts)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            inner = _compile(operand, names)
            return lambda f: not inner(f)
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            neg = _compile(operand, names)
            return lambda f: -neg(f)
        case ast.Compare(left=left, ops=ops, comparators=rights):
            return _compile_compare(left, ops, rights, names)
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _ARITH:
            fn = _ARITH[type(op)]
            lhs, rhs = _compile(left, names), _compile(right, names)
            return lambda f: fn(lhs(f), rhs(f))
        case ast.Constant(value=value) if isinstance(value, bool | int | float | str):
            return lambda f: value
        case ast.Name(id=name) if name in _VARIABLES:
            return _VARIABLES[name]
        case ast.Name(id=name) if name in names.named:
            return names.named[name]
        case ast.Name(id=name):
            known = ", ".join(sorted([*_VARIABLES, *names.named]))
            raise ExprError(f"unknown name {name!r} (known: {known}; labels go in quotes)")
        case ast.Call():
            return _compile_call(node, names)
    raise ExprError(f"not allowed in a condition: {ast.unparse(node)!r}")


def _compile_compare(
    left: ast.expr, ops: list[ast.cmpop], rights: list[ast.expr], names: Names
) -> Compiled:
    operands = [_compile(left, names), *(_compile(r, names) for r in rights)]
    fns = []
    for op in ops:
        if type(op) not in _COMPARE:
            raise ExprError(f"comparison {type(op).__name__} is not allowed")
        fns.append(_COMPARE[type(op)])

    def compare(f: Facts) -> bool:
        values = [o(f) for o in operands]
        return all(fn(a, b) for fn, a, b in zip(fns, values, values[1:], strict=False))

    return compare


def _compile_call(node: ast.Call, names: Names) -> Compiled:
    if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
        known = ", ".join(sorted(_FUNCTIONS))
        raise ExprError(f"unknown function in {ast.unparse(node)!r} (known: {known})")
    name = node.func.id
    kinds = _FUNCTIONS[name]
    if node.keywords or len(node.args) != len(kinds):
        raise ExprError(f"{name}() takes {len(kinds)} quoted argument(s): {', '.join(kinds)}")
    args: list[str] = []
    for arg, kind in zip(node.args, kinds, strict=True):
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            raise ExprError(f"{name}() arguments must be quoted strings")
        _check_name(kind, arg.value, names)
        args.append(arg.value)
    method = name
    return lambda f: getattr(f, method)(*args)


def _check_name(kind: str, value: str, names: Names) -> None:
    if kind == "node or kind":
        if value in names.nodes and value in names.kinds:
            raise ExprError(f"{value!r} is both a node and a line kind: rename the node")
        if value not in names.nodes and value not in names.kinds:
            raise ExprError(f"unknown node or kind {value!r}")
        return
    pool = {
        "label": names.labels,
        "node": names.nodes,
        "kind": names.kinds,
        "criterion": names.criteria,
        "phase": names.phases,
        "fact": names.facts,
        "figure": names.figures,
    }[kind]
    if value not in pool:
        raise ExprError(f"unknown {kind} {value!r}")
