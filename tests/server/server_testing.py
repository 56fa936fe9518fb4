"""Helpers shared by the server tests (imported by name: pytest puts this folder on the path)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

HERE = Path(__file__).resolve().parent
TEST_SCENARIOS = HERE / "scenarios"
SCENARIO = "server-test-chat"


def new_session(client: TestClient, **body: Any) -> dict[str, Any]:
    body.setdefault("scenario", SCENARIO)
    body.setdefault("mode", "chat")
    r = client.post("/api/sessions", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    # Tests exercise token auth unless they ask for the cookie on purpose.
    client.cookies.delete(f"mockloop_{data['id']}")
    return data


def pg_url() -> str | None:
    """The PostgreSQL URL for storage tests; under CI its absence is a failure."""
    url = os.environ.get("MOCKLOOP_TEST_PG_URL")
    if not url and os.environ.get("CI") == "true":
        pytest.fail("MOCKLOOP_TEST_PG_URL must be set under CI (PostgreSQL storage tests)")
    return url or None
