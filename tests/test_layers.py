"""The shape of the house: imports run one way, from the shell down to the core, and no
module or function grows past what one reader can hold without saying why.

Layers, lowest first: a module may import from its own layer or any lower one, never
from a higher one, and no set of modules may import each other in a circle. When a new
module does not fit, place it in `LAYERS` deliberately rather than loosening the test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Module prefixes per layer, lowest first. The longest matching prefix decides.
LAYERS: list[tuple[str, ...]] = [
    ("interviewer",),  # the pure core
    ("server.settings", "server.files"),
    # Models, the database and the message types it stores: nothing of the web.
    ("server.speech", "server.storage", "server.messages", "server.coding"),
    ("server.inbox",),
    ("server.security", "server.session", "server.resume", "server.review"),
    ("server.registry", "server.errors", "server.voice", "server.voice_channel"),
    ("server.api", "server.ws", "server.loops_api", "server.code_api"),  # the wire
    ("server.web", "server.pages", "server.review_pages", "server.loops_pages"),  # pages
    ("server.app",),
    ("server.main", "server.cli", "server.terminal", "server.eval_cli", "server.export_cli"),
]
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
# A module over the limits says why near its top, in a comment starting like this.
REASON = "# Long because"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in ("interviewer", "server"):
        for path in sorted((ROOT / package).rglob("*.py")):
            # The bare `server` package holds nothing; migrations are Alembic's scripts.
            if "migrations" not in path.parts and _module_name(path) != "server":
                found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports (type-checking-only imports included: they
    still tie the layers together for a reader)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")
                up = up[: len(up) - (node.level - 1)]
                base = ".".join([*up, base] if base else up)
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for target in targets:
            # The module itself, or the package a name was taken from.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def _layer(name: str) -> int:
    best, best_len = -1, -1
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (name == p or name.startswith(p + ".")) and len(p) > best_len:
                best, best_len = i, len(p)
    return best


MODULES = _modules()
GRAPH = {name: _imports(name, path, set(MODULES)) for name, path in MODULES.items()}


def test_every_module_has_a_layer() -> None:
    assert [m for m in MODULES if _layer(m) < 0] == []


def test_no_import_runs_up_a_layer() -> None:
    upward = [
        f"{m} (layer {_layer(m)}) imports {t} (layer {_layer(t)})"
        for m, targets in GRAPH.items()
        for t in sorted(targets)
        # A package's __init__ gathering its own modules is not an upward import.
        if _layer(t) > _layer(m) and not t.startswith(m + ".")
    ]
    assert upward == []


def test_no_import_circle() -> None:
    # Tarjan's strongly connected components; a component of more than one module is a
    # circle. Package __init__ re-exports of their own submodules are left out.
    graph = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert circles == []


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    where = path.relative_to(ROOT)
    return [
        f"{where}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_and_functions_are_short_or_say_why(name: str) -> None:
    path = MODULES[name]
    text = path.read_text()
    if REASON in "\n".join(text.splitlines()[:40]):
        return
    lines = len(text.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name}: {lines} lines and no '{REASON}' at its top"
    assert _long_functions(path) == []
