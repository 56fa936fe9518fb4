"""Sessions stored before probes had explicit ids (and before the round clock, deeper
questions and the ladder that follows a change of mind) still replay, and every line they
name is still a line of its scenario, so the transcript, the speech cache and the review
can find it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interviewer import load_catalog, start, step
from interviewer.events import event_from_json

STORED = Path(__file__).resolve().parent.parent / "fixtures" / "sessions-before-line-ids.json"
SESSIONS: list[dict[str, Any]] = json.loads(STORED.read_text())
CATALOG = load_catalog()


def test_the_stored_sessions_cover_every_scenario_of_their_time() -> None:
    # Every scenario that existed when the sessions were stored still exists (a renamed or
    # removed scenario would orphan people's sessions); scenarios added later have no
    # sessions from before line ids, so nothing of theirs is here.
    stored = {s["scenario"] for s in SESSIONS}
    assert len(stored) == 11
    assert stored <= set(CATALOG)


@pytest.mark.parametrize("session", SESSIONS, ids=lambda s: f"{s['scenario']}: {s['plan']}")
def test_a_stored_session_replays_and_names_lines_that_still_exist(
    session: dict[str, Any],
) -> None:
    scenario = CATALOG[session["scenario"]]
    state = start(scenario, session["seed"]).state
    for data in session["events"]:
        if state.ended:
            break  # today's script may end sooner; what was stored stays the record
        state = step(scenario, state, event_from_json(data)).state
    known = {line.line_id for line in scenario.lines()}
    missing = [line for line in session["lines"] if line not in known]
    assert not missing, f"stored lines no longer in {scenario.id}: {missing}"


def test_unsure_words_survive_the_event_log_and_typed_turns_store_as_before() -> None:
    from interviewer import CandidateSaid, event_to_json

    voiced = CandidateSaid(at=3.0, text="I'd hold it back", unsure=("hold",))
    assert event_from_json(event_to_json(voiced)) == voiced
    typed = CandidateSaid(at=3.0, text="I'd hold it back")
    assert "unsure" not in event_to_json(typed)
    assert event_from_json(event_to_json(typed)) == typed
