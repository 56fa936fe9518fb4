"""Every test plan of every scenario (and of the test fixtures), one pytest case each."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer import load_catalog, load_scenario
from interviewer.loader import DEFAULT_ROOT
from interviewer.testplan import Plan, load_plans, plan_files, run_plan

FIXTURES = Path(__file__).parent / "fixtures"


def _cases() -> list[tuple[Path, Plan]]:
    cases = []
    for root in (DEFAULT_ROOT, FIXTURES):
        for path in plan_files(root):
            for plan in load_plans(path).plans:
                cases.append((path, plan))
    return cases


CASES = _cases()


def _scenario_for(path: Path):  # type: ignore[no-untyped-def]
    name = path.name.removesuffix(".plans.yaml") + ".yaml"
    return load_scenario(path.with_name(name))


@pytest.mark.parametrize(
    ("path", "plan"), CASES, ids=[f"{p.stem.removesuffix('.plans')}: {pl.name}" for p, pl in CASES]
)
def test_plan(path: Path, plan: Plan) -> None:
    scenario = _scenario_for(path)
    assert load_plans(path).scenario == scenario.id, "the plan file names another scenario"
    run_plan(scenario, plan)


def test_every_scenario_has_a_plan() -> None:
    catalog = load_catalog()
    planned = {load_plans(p).scenario for p in plan_files(DEFAULT_ROOT)}
    assert set(catalog) <= planned, (
        f"scenarios without test plans: {sorted(set(catalog) - planned)}"
    )
