from __future__ import annotations

from pathlib import Path

import pytest

from interviewer import Scenario, load_scenario

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="session")
def mini() -> Scenario:
    return load_scenario(FIXTURES / "mini.yaml")
