"""Full mock loops: the loop files and their checks, the storage (a migration of its own,
deleting a loop deletes its sessions), the API and the debrief with its culture veto."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from server_testing import TEST_SCENARIOS, pg_url
from sqlalchemy import create_engine, inspect

from interviewer import ScenarioError, load_catalog
from interviewer.loops import check_loop, load_loop, load_loops, pick_rounds
from server.app import create_app
from server.cli import main as cli_main
from server.messages import EvidenceRef, Scored
from server.review.debrief import RoundView, hire_signal, recommend, scorecard
from server.review.rubric import CriterionDef
from server.settings import Settings
from server.storage import LoopRecord, SessionRecord, Store, downgrade, migrate

LOOP = """\
id: test-loop
title: Test loop
summary: Two rounds.
rounds:
  - round: culture
  - scenario: server-test-chat
"""


@pytest.fixture
def scenarios(tmp_path: Path) -> Path:
    """The server tests' scenario, a culture copy of it, and a loop of the two."""
    root = tmp_path / "scenarios"
    (root / "loops").mkdir(parents=True)
    shutil.copy(TEST_SCENARIOS / "server-test-chat.yaml", root)
    text = (TEST_SCENARIOS / "server-test-chat.yaml").read_text()
    culture = text.replace("id: server-test-chat", "id: server-test-culture")
    (root / "culture.yaml").write_text(culture.replace("round: behavioral", "round: culture"))
    (root / "loops" / "test-loop.yaml").write_text(LOOP)
    return root


@pytest.fixture
def loop_app(scenarios: Path, tmp_path: Path) -> FastAPI:
    settings = Settings(data_dir=tmp_path / "data", scenarios_dir=scenarios, voice=False)
    return create_app(settings, catalog=load_catalog(scenarios))


@pytest.fixture
def lc(loop_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(loop_app) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def play(client: TestClient, session: dict[str, Any], answers: list[str]) -> None:
    with client.websocket_connect(session["ws"]) as ws:
        ws.send_json({"type": "hello", "token": session["token"], "last_seq": 0})
        ws.receive_json(), ws.receive_json()
        for text in answers:
            ws.send_json({"type": "say", "text": text})
            ws.receive_json(), ws.receive_json()
        ws.send_json({"type": "end"})
        ws.receive_json()


def new_loop(client: TestClient, **body: Any) -> dict[str, Any]:
    body.setdefault("loop", "test-loop")
    r = client.post("/api/loops", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    client.cookies.clear()  # token auth unless a test asks for the cookie
    return data


# ------------------------------------------------------------------ files and checks


def test_bundled_loops_load_and_check() -> None:
    catalog = load_catalog()
    loops = load_loops(catalog)
    assert {"onsite-mid", "full-l5"} <= set(loops)
    full = pick_rounds(loops["full-l5"], catalog, 7)
    rounds = [catalog[s].round for s in full]
    assert rounds[:4] == ["recruiter_screen", "coding", "ml_ops", "hiring_manager"]
    assert "deep-dive-own-system" in full and len(set(full)) == len(full)
    assert pick_rounds(loops["onsite-mid"], catalog, 7) == pick_rounds(
        loops["onsite-mid"], catalog, 7
    )


def test_loop_errors_name_file_and_line(scenarios: Path) -> None:
    bad = scenarios / "loops" / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\nrounds:\n  - scenario: a\n    round: culture\n")
    with pytest.raises(ScenarioError, match=r"bad\.yaml:4: .*exactly one"):
        load_loop(bad)
    bad.write_text("id: bad\ntitle: Bad\nrounds:\n  - round: culture\n  - scenario: nope\n")
    with pytest.raises(ScenarioError, match=r"bad\.yaml:5: rounds.1: no scenario 'nope'"):
        check_loop(load_loop(bad), load_catalog(scenarios), bad)
    bad.write_text("id: bad\ntitle: Bad\nrounds:\n  - round: ml_theory\n")
    with pytest.raises(ScenarioError, match=r"bad\.yaml:4: .*round type 'ml_theory'"):
        check_loop(load_loop(bad), load_catalog(scenarios), bad)


def test_scenarios_check_checks_loop_files(
    scenarios: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOCKLOOP_SCENARIOS_DIR", str(scenarios))
    assert cli_main(["scenarios", "check", str(scenarios)]) == 0
    (scenarios / "loops" / "bad.yaml").write_text("id: bad\ntitle: B\nrounds:\n  - scenario: x\n")
    assert cli_main(["scenarios", "check", str(scenarios)]) == 1
    assert "bad.yaml:4: rounds.0: no scenario 'x'" in capsys.readouterr().out


# ------------------------------------------------------------------ storage


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path}/data/mockloop.db"
    if request.param == "postgresql":
        found = pg_url()
        if found is None:
            pytest.fail("MOCKLOOP_TEST_PG_URL is not set: run scripts/test-services.sh")
        engine = create_engine(found)
        downgrade(engine, "base")
        engine.dispose()
        url = found
    s = Store(url, tmp_path / "data")
    yield s
    s.close()


def test_migration_0005_adds_and_drops_the_loops_table(store: Store) -> None:
    assert "loops" in inspect(store.engine).get_table_names()
    downgrade(store.engine, "0004")
    names = set(inspect(store.engine).get_table_names())
    assert "loops" not in names and "sessions" in names
    migrate(store.engine)
    assert "loops" in inspect(store.engine).get_table_names()


def test_store_loop_round_trip_and_delete(store: Store) -> None:
    sessions = [
        SessionRecord(f"s{i}", "server-test-chat", "chat", i, 1.0, "0" * 64, "created", 1.0)
        for i in range(2)
    ]
    loop = LoopRecord(
        "loop-1", "test-loop", "Test loop", "chat", 5, 1.0, "1" * 64, 2.0,
        (("server-test-chat", "s0"), ("server-test-chat", "s1")),
    )  # fmt: skip
    store.write(store.write_loop, loop, sessions)
    assert store.get_loop("loop-1") == loop
    assert store.get_loops(["loop-1", "loop-x"]) == [loop]
    assert store.loop_of_session("s1") == loop and store.loop_of_session("s9") is None
    assert set(store.get_sessions(["s0", "s1"])) == {"s0", "s1"}
    assert store.delete_loop("loop-1")
    assert store.get_loop("loop-1") is None and store.get_sessions(["s0", "s1"]) == {}
    assert not store.delete_loop("loop-1")


# ------------------------------------------------------------------ API


def test_list_and_create(lc: TestClient) -> None:
    assert lc.get("/api/loops").json() == [
        {
            "id": "test-loop",
            "title": "Test loop",
            "summary": "Two rounds.",
            "rounds": ["culture", "server-test-chat"],
        }
    ]
    r = lc.post("/api/loops", json={"loop": "test-loop", "seed": 3, "time_scale": 60})
    assert r.status_code == 201
    body = r.json()
    assert body["debrief"] == f"/loops/{body['id']}"
    assert [x["scenario"] for x in body["rounds"]] == ["server-test-culture", "server-test-chat"]
    session = body["rounds"][0]["session"]
    assert set(session) == {"id", "token", "ws", "replay", "practice"}
    # The cookies open the loop and each round, without a token.
    assert lc.get(f"/api/loops/{body['id']}").status_code == 200
    got = lc.get(f"/api/sessions/{session['id']}").json()
    assert got["status"] == "created" and got["time_scale"] == 60
    assert lc.get(f"/loops/{body['id']}").status_code == 200
    assert body["id"] in lc.get("/").text
    assert f'href="/loops/{body["id"]}"' in lc.get("/progress").text


def test_bad_input_and_auth(lc: TestClient) -> None:
    assert lc.post("/api/loops", json={"loop": "nope"}).status_code == 404
    assert lc.post("/api/loops", json={"loop": "nope"}).json()["error"]["code"] == "unknown_loop"
    for body in (
        {"loop": "test-loop", "extra": 1},
        {"loop": "test-loop", "mode": "video"},
        {"loop": "test-loop", "time_scale": 0},
        {"loop": "test-loop", "seed": -1},
        {},
    ):
        r = lc.post("/api/loops", json=body)
        assert r.status_code == 422, body
        assert r.json()["error"]["code"] == "invalid_request"
    made = new_loop(lc)
    url = f"/api/loops/{made['id']}"
    assert lc.get(url).status_code == 401
    assert lc.get(url, headers=bearer("wrong")).status_code == 403
    assert lc.get("/api/loops/loop-unknown", headers=bearer(made["token"])).status_code == 404
    # A round's token does not open the loop.
    round_token = made["rounds"][0]["session"]["token"]
    assert lc.get(url, headers=bearer(round_token)).status_code == 403
    assert lc.get(f"/loops/{made['id']}").status_code == 401


def test_status_debrief_and_veto(lc: TestClient) -> None:
    made = new_loop(lc, seed=1)
    culture, behavioral = (r["session"] for r in made["rounds"])
    url = f"/api/loops/{made['id']}"
    status = lc.get(url, headers=bearer(made["token"])).json()
    assert [r["status"] for r in status["rounds"]] == ["created", "created"]
    assert status["next_round"] == 1
    assert status["recommendation"]["decision"] == "No decision yet"
    play(lc, behavioral, ["We cut p99 latency from 900 to 300 ms with 8 GPUs and int8."])
    play(lc, culture, ["Not sure."])
    status = lc.get(url, headers=bearer(made["token"])).json()
    assert [r["status"] for r in status["rounds"]] == ["ended", "ended"]
    cards = [r["scorecard"] for r in status["rounds"]]
    assert cards[0]["below_bar"] and cards[0]["signal"] <= 2
    rec = status["recommendation"]
    assert rec["veto"] and rec["decision"] == "No hire" and rec["complete"]
    assert "culture" in rec["rule"] and "veto" in rec["rule"]
    assert status["next_round"] is None
    page = lc.get(f"/loops/{made['id']}", headers=bearer(made["token"])).text
    assert "culture veto" in page and "The rule:" in page
    md = lc.get(f"{url}/export?format=md", headers=bearer(made["token"]))
    assert md.status_code == 200 and "(veto)" in md.text
    assert md.headers["content-type"].startswith("text/markdown")
    js = lc.get(f"{url}/export", headers=bearer(made["token"])).json()
    assert js["recommendation"]["veto"] is True


def test_delete_deletes_the_sessions(lc: TestClient, tmp_path: Path) -> None:
    made = new_loop(lc)
    first = made["rounds"][0]["session"]
    play(lc, first, ["Quokka answer."])
    url = f"/api/loops/{made['id']}"
    assert lc.delete(url).status_code == 401
    assert lc.delete(url, headers=bearer("no")).status_code == 403
    assert lc.delete(url, headers=bearer(made["token"])).status_code == 204
    assert lc.get(url, headers=bearer(made["token"])).status_code == 404
    for r in made["rounds"]:
        s = r["session"]
        assert lc.get(f"/api/sessions/{s['id']}", headers=bearer(s["token"])).status_code == 404
    for path in (tmp_path / "data").glob("mockloop.db*"):
        assert b"Quokka" not in path.read_bytes(), path.name


def test_loops_survive_a_restart(scenarios: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", scenarios_dir=scenarios, voice=False)
    catalog = load_catalog(scenarios)
    with TestClient(create_app(settings, catalog=catalog)) as c:
        made = new_loop(c)
    with TestClient(create_app(settings, catalog=catalog)) as c:
        got = c.get(f"/api/loops/{made['id']}", headers=bearer(made["token"]))
        assert got.status_code == 200 and len(got.json()["rounds"]) == 2


# ------------------------------------------------------------------ the rule, pure


def _round(index: int, round_: str, signal_levels: list[int]) -> RoundView:
    defs = [CriterionDef(f"c{i}", f"C{i}", (), (1, 5)) for i in range(len(signal_levels))]
    scores = [
        Scored(
            criterion=f"c{i}",
            level=level,
            evidence=(EvidenceRef(turn=0, label="x", quote="words", start=0, end=5, seq=2),),
        )
        for i, level in enumerate(signal_levels)
    ]
    card = scorecard(defs, scores, {})
    return RoundView(index, "s", f"Round {index}", round_, "sid", "ended", card)


def test_the_rule() -> None:
    assert [hire_signal(x) for x in (None, 0.0, 0.3, 0.5, 0.8)] == [1, 1, 2, 3, 4]
    strong_tech = [_round(1, "system_design", [5, 5]), _round(2, "behavioral", [5, 4])]
    assert recommend(strong_tech).decision == "Strong hire"
    vetoed = recommend([*strong_tech, _round(3, "culture", [2, 2])])
    assert vetoed.veto and vetoed.decision == "No hire"
    assert recommend([*strong_tech, _round(3, "culture", [3, 4])]).decision == "Strong hire"
    at_bar = [_round(1, "system_design", [4, 3]), _round(2, "culture", [3, 3])]
    assert recommend([*at_bar, _round(3, "behavioral", [3, 4])]).decision == "Hire"
    assert recommend([*strong_tech, _round(3, "behavioral", [2, 2])]).decision == "Lean no hire"
    assert not recommend([*strong_tech, _round(3, "system_design", [1, 1])]).veto
