from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hardening_support import SERVER_SCENARIOS, ForkedServer, Zygote, zygote

from interviewer import Scenario, load_catalog
from server.settings import DEFAULT_ALLOWED_HOSTS, Settings

TEST_HOSTS = [*DEFAULT_ALLOWED_HOSTS, "testserver"]


@pytest.fixture(scope="session")
def catalog() -> dict[str, Scenario]:
    return load_catalog(SERVER_SCENARIOS)


# Chat only: no speech models loading in the background of every test server.
NO_VOICE: dict[str, Any] = {"voice": False} if "voice" in Settings.model_fields else {}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    plain = Settings(data_dir=tmp_path / "data", scenarios_dir=SERVER_SCENARIOS)
    # The in-process test client's Host ("testserver") is not allowed by default.
    return plain.model_copy(update={**NO_VOICE, "allowed_hosts": TEST_HOSTS})


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """The test PostgreSQL database with a schema of this test's own on the search path,
    so that other tests sharing the database (they downgrade it to empty) do not meet it."""
    url = os.environ.get("MOCKLOOP_TEST_PG_URL")
    if not url:
        pytest.fail("MOCKLOOP_TEST_PG_URL is not set: run scripts/test-services.sh")
    import psycopg

    schema = f"hardening_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="module")
def forks() -> Iterator[Zygote]:
    with zygote() as z:
        yield z


@pytest.fixture
def serve(forks: Zygote, tmp_path: Path) -> Iterator[Any]:
    """`serve(**env)`: a started real server process with these MOCKLOOP_* settings (the
    test scenarios, chat only); stopped after the test."""
    started: list[ForkedServer] = []

    def start(name: str = "data", **env: str) -> ForkedServer:
        server = ForkedServer(
            forks, tmp_path / name, {"MOCKLOOP_SCENARIOS_DIR": str(SERVER_SCENARIOS), **env}
        )
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        with contextlib.suppress(Exception):
            server.stop()
