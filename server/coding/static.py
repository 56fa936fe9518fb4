"""The figures read from the candidate's code as text, in the server process, without
running it: ruff findings (its binary on stdin), the longest function and the names that
say nothing (ast), and how many `test_*` functions the candidate wrote."""

from __future__ import annotations

import ast
import functools
import json
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

# Ruff's default rules plus bugbear, simplify and naming.
RUFF_RULES = "E4,E7,E9,F,B,SIM,N"
# One-letter names that say what they are by convention.
PLAIN_LETTERS = frozenset("ijknxy_")
# Attention's own letters: query, key, value.
ATTENTION_LETTERS = frozenset("qkv")
VAGUE_NAMES = frozenset(
    {"tmp", "temp", "foo", "bar", "baz", "qux", "stuff", "thing", "things", "blah", "dummy"}
    | {"asdf", "xxx", "aaa", "var", "myvar", "my_var", "something", "whatever", "junk"}
)
# A vague stem with a number: data2, tmp1, arr3, ...
NUMBERED = re.compile(r"^(data|tmp|temp|foo|bar|var|val|thing|stuff|obj|arr|lst|list|res)\d+$")


@functools.cache
def ruff_binary() -> str | None:
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        pass
    beside = Path(sys.executable).parent / "ruff"
    return str(beside) if beside.exists() else shutil.which("ruff")


def lint_findings(code: str) -> int | None:
    """Ruff's findings on `code`; None when ruff is not there or failed."""
    binary = ruff_binary()
    if binary is None:
        log.warning("ruff not found: the lint figure is left out")
        return None
    command = [binary, "check", "--isolated", "--select", RUFF_RULES, "--output-format", "json"]
    command += ["--stdin-filename", "solution.py", "--no-cache", "-"]
    try:
        done = subprocess.run(command, input=code, capture_output=True, text=True, timeout=20)
        return len(json.loads(done.stdout))
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        log.warning("ruff failed: %s", e)
        return None


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def longest_function(tree: ast.AST) -> int:
    return max(
        ((f.end_lineno or f.lineno) - f.lineno + 1 for f in _functions(tree)),
        default=0,
    )


def _assigned_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler):
            names.add(node.name or "self")
    return names - {"self", "cls"}


def is_unclear(name: str, letters: frozenset[str]) -> bool:
    bare = name.lower()
    if len(name) == 1:
        return bare not in letters
    return bare in VAGUE_NAMES or NUMBERED.match(bare) is not None


def unclear_names(tree: ast.AST, *, attention: bool = False) -> int:
    letters = PLAIN_LETTERS | ATTENTION_LETTERS if attention else PLAIN_LETTERS
    return sum(is_unclear(name, letters) for name in _assigned_names(tree))


def own_tests(tree: ast.Module) -> int:
    return sum(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
        for node in tree.body
    )


def static_figures(code: str, *, attention: bool = False) -> dict[str, float]:
    """The figures of every run. Code that does not parse gives zeros (and ruff reports
    the syntax error as a finding)."""
    figures: dict[str, float] = {}
    findings = lint_findings(code)
    if findings is not None:
        figures["lint"] = float(findings)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        tree = ast.Module(body=[], type_ignores=[])
    figures["longest_function"] = float(longest_function(tree))
    figures["unclear_names"] = float(unclear_names(tree, attention=attention))
    figures["own_tests"] = float(own_tests(tree))
    return figures
