from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from server_testing import TEST_SCENARIOS

from interviewer import Scenario, load_catalog
from server.app import create_app
from server.settings import Settings


@pytest.fixture(scope="session")
def catalog() -> dict[str, Scenario]:
    return load_catalog(TEST_SCENARIOS)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Chat and fake speech: no speech models loading in the background of every app. Turns
    # end by the end silence or "done" alone, so that audio sent faster than real time is
    # all heard before its turn ends; the tests of the early end of a turn turn it on.
    return Settings(
        data_dir=tmp_path / "data",
        scenarios_dir=TEST_SCENARIOS,
        voice=False,
        voice_early_turn=False,
    )


@pytest.fixture
def app(settings: Settings, catalog: dict[str, Scenario]) -> FastAPI:
    return create_app(settings, catalog=catalog)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c
