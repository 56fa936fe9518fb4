from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from interviewer import Scenario, load_catalog
from server.app import create_app
from server.settings import Settings

HERE = Path(__file__).resolve().parent
TEST_SCENARIOS = HERE / "scenarios"
SCENARIO = "server-test-chat"


@pytest.fixture(scope="session")
def catalog() -> dict[str, Scenario]:
    return load_catalog(TEST_SCENARIOS)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", scenarios_dir=TEST_SCENARIOS)


@pytest.fixture
def app(settings: Settings, catalog: dict[str, Scenario]) -> FastAPI:
    return create_app(settings, catalog=catalog)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def new_session(client: TestClient, **body: Any) -> dict[str, Any]:
    body.setdefault("scenario", SCENARIO)
    body.setdefault("mode", "chat")
    r = client.post("/api/sessions", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    # Tests exercise token auth unless they ask for the cookie on purpose.
    client.cookies.clear()
    return data


def pg_url() -> str | None:
    """The PostgreSQL URL for storage tests; under CI its absence is a failure."""
    url = os.environ.get("MOCKLOOP_TEST_PG_URL")
    if not url and os.environ.get("CI") == "true":
        pytest.fail("MOCKLOOP_TEST_PG_URL must be set under CI (PostgreSQL storage tests)")
    return url or None
