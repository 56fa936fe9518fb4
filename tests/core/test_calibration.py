"""The rubric calibration: labelled complete rounds played through the engine, agreement
counted per criterion, "not shown" agreeing only with itself, and the command's exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from interviewer import Scenario, load_scenario
from interviewer.calibration import Round, agreement, per_round_type, per_scenario, play

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def mini() -> Scenario:
    return load_scenario(FIXTURES / "mini.yaml")


def round_(answers: list[str], level: int | str) -> Round:
    return Round.model_validate(
        {
            "name": "r",
            "who": "good",
            "pace": "60s",
            "answers": answers,
            "levels": {"depth": {"level": level, "why": "as labelled"}},
        }
    )


def test_a_round_is_played_answer_by_answer_and_scored_where_it_stops(mini: Scenario) -> None:
    played = play(mini, "f#1", round_(["What traffic is there?", "Continuous batching."], 3))
    said = [who for _, who, _ in played.transcript]
    assert said[:3] == ["opening", "you", "fact.traffic"]
    assert played.answered == 2 and played.scores["depth"] == 3


def test_not_shown_agrees_only_with_not_shown(mini: Scenario) -> None:
    near = play(mini, "f#1", round_(["Continuous batching."], 4))  # rubric: 3
    wrong = play(mini, "f#2", round_(["Continuous batching."], "not shown"))
    rows = agreement([near, wrong], per_scenario)
    a = rows["mini-design/depth"]
    assert (a.total, a.exact, a.within_one) == (2, 0, 1)
    assert list(agreement([near], per_round_type)) == ["system_design/depth"]


def test_the_command_fails_below_the_floor_and_names_the_criterion(tmp_path: Path) -> None:
    rounds = tmp_path / "rounds"
    rounds.mkdir()
    (rounds / "mini-design.yaml").write_text(
        "scenario: mini-design\n"
        "rounds:\n"
        "  - name: only batching\n"
        "    who: middling\n"
        "    answers: ['Continuous batching.']\n"
        "    levels: {depth: {level: 1, why: 'boxes only'}}\n"
    )
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mini.yaml").write_text((FIXTURES / "mini.yaml").read_text())
    args = ["eval", "--rubric", "--dir", str(rounds)]
    args += ["--scenarios-dir", str(tmp_path / "scenarios")]
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert "system_design/depth" in result.stdout and "FAIL" in result.stdout
