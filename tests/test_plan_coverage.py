"""Every round's test plans exercise every kind of request a candidate makes (issue: the
interviewer hears what was meant). The plans themselves run in test_plans.py; this checks
that what they expect covers each request, so a scenario cannot ship without them."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.loader import DEFAULT_ROOT, load_scenario
from interviewer.testplan import load_plans, plan_files

FILES = plan_files(DEFAULT_ROOT)

# What a plan must expect the interviewer to say, for each request.
REQUIRED = {
    "repeat": lambda line, kind: kind == "repeat",
    "clarify a term": lambda line, kind: kind == "clarify",
    "help after I don't know": lambda line, kind: kind == "hint",
    "move on after the second I don't know": lambda line, kind: line == "meta.move_on",
    "take your time": lambda line, kind: line == "meta.need_time",
    "a question answered from a fact": lambda line, kind: (line or "").startswith("fact."),
    "a question with no fact": lambda line, kind: line == "meta.no_fact",
}


def _expected(path: Path) -> list[tuple[str | None, str | None]]:
    out = []
    for plan in load_plans(path).plans:
        for step in plan.steps:
            if step.expect is not None:
                out.append((step.expect.line, step.expect.kind))
    return out


@pytest.mark.parametrize("path", FILES, ids=[p.name.removesuffix(".plans.yaml") for p in FILES])
def test_plans_cover_every_request(path: Path) -> None:
    expected = _expected(path)
    missing = [name for name, ok in REQUIRED.items() if not any(ok(*e) for e in expected)]
    assert missing == [], f"{path.name} has no plan for: {', '.join(missing)}"


@pytest.mark.parametrize("path", FILES, ids=[p.name.removesuffix(".plans.yaml") for p in FILES])
def test_challenges_and_corrections_each_have_a_plan(path: Path) -> None:
    scenario = load_scenario(path.with_name(path.name.removesuffix(".plans.yaml") + ".yaml"))
    lines = {line for line, _ in _expected(path) if line}
    wanted = {f"challenge.{c.rejected}" for c in scenario.challenges}
    wanted |= {f"correction.{c.signal}" for c in scenario.corrections}
    assert sorted(wanted - lines) == []


def test_the_scan_found_the_plans() -> None:
    assert len(FILES) >= 11
