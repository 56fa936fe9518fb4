"""Coding rounds on the wire: snapshots over the websocket, `POST .../code/run` running the
code in the sandbox, the run stored as a turn the interviewer reacts to, and the code
given back by the API and the replay."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from server_testing import TEST_SCENARIOS
from starlette.testclient import WebSocketTestSession

from interviewer import load_catalog
from server.app import create_app
from server.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "export.schema.json"
REFERENCE = (
    "def accuracy(chosen, rejected):\n"
    "    return sum(c > r for c, r in zip(chosen, rejected)) / len(chosen)\n"
)


@pytest.fixture
def code_client(tmp_path: Path) -> Iterator[TestClient]:
    root = tmp_path / "scenarios"
    root.mkdir()
    shutil.copy(FIXTURES / "coding-mini.yaml", root)
    shutil.copy(TEST_SCENARIOS / "server-test-chat.yaml", root)
    settings = Settings(data_dir=tmp_path / "data", scenarios_dir=root, voice=False)
    app: FastAPI = create_app(settings, catalog=load_catalog(root))
    with TestClient(app) as client:
        yield client


def _session(client: TestClient, scenario: str = "coding-mini") -> dict[str, Any]:
    r = client.post("/api/sessions", json={"scenario": scenario, "mode": "chat"})
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    client.cookies.delete(f"mockloop_{data['id']}")
    return data


def _auth(s: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {s['token']}"}


def _until_line(ws: WebSocketTestSession, line: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while True:
        m = ws.receive_json()
        got.append(m)
        if m.get("line_id", "").startswith(line):
            return got


def _run(client: TestClient, s: dict[str, Any], code: str, tests: bool = True) -> Any:
    return client.post(
        f"/api/sessions/{s['id']}/code/run", json={"code": code, "tests": tests}, headers=_auth(s)
    )


def test_a_run_is_stored_as_a_turn_and_the_interviewer_reacts(code_client: TestClient) -> None:
    s = _session(code_client)
    early = _run(code_client, s, REFERENCE)
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_started"
    with code_client.websocket_connect(s["ws"]) as ws:
        ws.send_json({"type": "hello", "token": s["token"], "last_seq": 0})
        _until_line(ws, "opening")
        ws.send_json({"type": "say", "text": "Yes, ready."})
        _until_line(ws, "task")
        ws.send_json({"type": "code", "code": "def accuracy(chosen, rejected):\n    pass\n"})
        failing = _run(code_client, s, "def accuracy(chosen, rejected):\n    return 0.5\n")
        assert failing.status_code == 200, failing.text
        body = failing.json()
        assert body["tests"] == {"passed": 0, "failed": 1, "errors": 0}
        assert set(body) == {"stdout", "stderr", "exit_code", "timed_out", "seconds", "tests"}
        got = _until_line(ws, "code.failing")
        run = next(m for m in got if m["type"] == "code_run")
        assert run["tests"] is True and run["tests_result"] == body["tests"]
        assert run["summary"].startswith("Ran the tests: 0 of 1 passed, 1 failed.")
        solved = _run(code_client, s, REFERENCE)
        assert solved.json()["tests"] == {"passed": 1, "failed": 0, "errors": 0}
        _until_line(ws, "code.solved")
        _until_line(ws, "discuss")
    data = code_client.get(f"/api/sessions/{s['id']}", headers=_auth(s)).json()
    codes = [snap["code"] for snap in data["code"]["snapshots"]]
    assert codes == [
        "def accuracy(chosen, rejected):\n    pass\n",
        "def accuracy(chosen, rejected):\n    return 0.5\n",
        REFERENCE,
    ]
    assert data["code"]["latest"] == REFERENCE
    assert [m["type"] for m in data["messages"]].count("code_run") == 2
    # The exports carry the runs and the code: the JSON document as its schema says.
    url = f"/api/sessions/{s['id']}/export"
    doc = code_client.get(url, params={"format": "json"}, headers=_auth(s)).json()
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    assert doc["code"]["snapshots"][-1]["code"] == REFERENCE
    md = code_client.get(url, params={"format": "md"}, headers=_auth(s)).text
    assert "Code run:** Ran the tests: 1 of 1 passed." in md
    assert "## Your code at the end" in md and "return sum(c > r" in md


def test_a_plain_run_gives_the_programs_output(code_client: TestClient) -> None:
    s = _session(code_client)
    with code_client.websocket_connect(s["ws"]) as ws:
        ws.send_json({"type": "hello", "token": s["token"], "last_seq": 0})
        _until_line(ws, "opening")
        r = _run(code_client, s, "print('hello from the candidate')\n", tests=False)
        assert r.status_code == 200
        body = r.json()
        assert body["stdout"] == "hello from the candidate\n"
        assert body["exit_code"] == 0 and body["tests"] is None and not body["timed_out"]


def test_runs_are_refused_with_a_clear_reason(code_client: TestClient) -> None:
    s = _session(code_client)
    url = f"/api/sessions/{s['id']}/code/run"
    assert code_client.post(url, json={"code": "x = 1", "tests": True}).status_code == 401
    too_long = _run(code_client, s, "x" * 20_001)
    assert too_long.status_code == 413 and "20000" in too_long.json()["error"]["message"]
    bad = code_client.post(url, json={"code": "x", "tests": "yes"}, headers=_auth(s))
    assert bad.status_code == 422
    other = _session(code_client, "server-test-chat")
    r = _run(code_client, other, "x = 1")
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_coding"


def test_a_snapshot_in_a_round_without_code_is_an_error(code_client: TestClient) -> None:
    s = _session(code_client, "server-test-chat")
    with code_client.websocket_connect(s["ws"]) as ws:
        ws.send_json({"type": "hello", "token": s["token"], "last_seq": 0})
        ws.receive_json()
        ws.send_json({"type": "code", "code": "x = 1"})
        while (m := ws.receive_json())["type"] != "error":
            pass
        assert m["code"] == "unsupported"
