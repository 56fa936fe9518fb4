"""The core does no IO: it imports nothing from the shell, the event loop or the database."""

from __future__ import annotations

import ast
from pathlib import Path

import interviewer

FORBIDDEN = {
    "server",
    "asyncio",
    "sqlalchemy",
    "fastapi",
    "starlette",
    "uvicorn",
    "websockets",
    "socket",
    "time",
    "datetime",
    "os",
    "subprocess",
    "threading",
    "faster_whisper",
    "piper",
}


def test_interviewer_imports_nothing_from_the_shell() -> None:
    root = Path(interviewer.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []
    assert len(list(root.rglob("*.py"))) >= 10  # the scan really looked at the package
