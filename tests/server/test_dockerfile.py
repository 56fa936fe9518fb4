"""The image's speech stage copies only the modules synthesis needs, so that an edit
elsewhere does not cost a resynthesis. That list is kept by hand: this test follows the
project imports of `server.speech.tts` and fails when one of them is not copied, which
would otherwise surface only as a failed container build."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("server", "interviewer")


def _module_path(module: str) -> Path:
    base = ROOT.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _project_imports(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        modules.update(n for n in names if n.split(".")[0] in PROJECT_PACKAGES)
    return modules


def _closure(module: str) -> set[Path]:
    """Every project file importing `module` loads: the module, what it imports, and the
    `__init__.py` of each package on the way."""
    seen: set[Path] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for depth in range(1, len(parts)):
            package_init = _module_path(".".join(parts[:depth]))
            if package_init not in seen:
                seen.add(package_init)
                todo.extend(_project_imports(package_init))
        path = _module_path(name)
        if path in seen:
            continue
        seen.add(path)
        todo.extend(_project_imports(path))
    return {p.relative_to(ROOT) for p in seen}


def _stage_copies(dockerfile: str, stage: str) -> set[Path]:
    text = dockerfile.replace("\\\n", " ")
    match = re.search(rf"^FROM \S+ AS {stage}$(.*?)(?=^FROM |\Z)", text, re.M | re.S)
    assert match, f"no stage {stage!r} in the Dockerfile"
    copied: set[Path] = set()
    for line in match.group(1).splitlines():
        words = line.split()
        if words[:1] != ["COPY"] or any(w.startswith("--from") for w in words):
            continue
        *sources, _destination = words[1:]
        for source in sources:
            found = ROOT / source
            if found.is_dir():
                copied.update(p.relative_to(ROOT) for p in found.rglob("*.py"))
            else:
                copied.add(Path(source))
    return copied


def test_closure_follows_imports() -> None:
    # The walk itself must see the module the cache writer lives in.
    assert Path("server/files.py") in _closure("server.speech.tts")


def test_speech_stage_copies_everything_synthesis_imports() -> None:
    copied = _stage_copies((ROOT / "Dockerfile").read_text(encoding="utf-8"), "speech")
    missing = sorted(str(p) for p in _closure("server.speech.tts") - copied)
    assert not missing, f"the Dockerfile's speech stage does not copy {missing}"
