"""The `mockloop` command as a user runs it: a real subprocess, piped stdin."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

MOCKLOOP = [sys.executable, "-m", "server.cli"]
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MOCKLOOP, *args], input=stdin, capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def test_list_shows_all_six_rounds() -> None:
    out = run("scenarios", "list").stdout
    for round_ in (
        "recruiter_screen",
        "hiring_manager",
        "culture",
        "system_design",
        "behavioral",
        "ml_theory",
    ):
        assert f" {round_} " in out


def test_check_reports_a_misspelled_target_with_file_and_line(tmp_path: Path) -> None:
    good = (ROOT / "tests/fixtures/mini.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.replace("goto: decide", "goto: decid"))
    line = bad.read_text().splitlines().index("      - goto: decid") + 1
    result = run("scenarios", "check", str(bad))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{bad}:{line}: unknown node 'decid'")
    assert run("scenarios", "check").returncode == 0


def test_a_stance_gets_the_argument_for_the_other_side() -> None:
    yes = run(
        "practice", "culture-dual-use-release", stdin="I would release it, with a staged rollout.\n"
    ).stdout
    no = run(
        "practice",
        "culture-dual-use-release",
        stdin="I would not release it. The misuse risk is too high.\n",
    ).stdout
    assert "Interviewer (pushback): So you would release it." in yes
    assert "Interviewer (pushback): So you would hold it back." in no
    assert "So you would hold it back" not in yes and "So you would release it" not in no
    # Stdin ran out at the pushback: no answer to it, so no level for holding a view.
    assert "Holds a view under pressure, or updates for a reason: not shown in this round" in yes


def test_same_seed_and_input_print_the_same_interview() -> None:
    answers = "I'd ship it because defenders gain.\nFair point, but the rollout is staged.\n"
    first = run("practice", "culture-dual-use-release", "--seed", "7", stdin=answers)
    second = run("practice", "culture-dual-use-release", "--seed", "7", stdin=answers)
    assert first.returncode == 0 and first.stdout == second.stdout
    assert first.stdout.count("Interviewer") >= 3


def test_constraints_arrive_at_their_minute_with_a_time_scale() -> None:
    # 600x: the constraints at 14 and 30 minutes arrive 1.4 s and 3 s into the run.
    proc = subprocess.Popen(
        [*MOCKLOOP, "practice", "design-inference-serving", "--time-scale", "600"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while sum("(constraint)" in x for x in lines) < 2 and time.monotonic() < deadline:
        lines.append(proc.stdout.readline())
    proc.stdin.close()  # EOF ends the round
    rest = proc.stdout.read()
    assert proc.wait(timeout=30) == 0
    constraints = [x for x in lines if "(constraint)" in x]
    assert [x[:7] for x in constraints] == ["[14:00]", "[30:00]"], lines
    assert "round over (left)" in rest


def test_the_scenarios_dir_setting_is_honoured(tmp_path: Path) -> None:
    env = {**os.environ, "MOCKLOOP_SCENARIOS_DIR": str(ROOT / "tests/fixtures")}
    listed = subprocess.run(
        [*MOCKLOOP, "scenarios", "list"], capture_output=True, text=True, env=env, timeout=60
    )
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert sorted(names) == ["coding-mini", "mini-design"]
    env["MOCKLOOP_SCENARIOS_DIR"] = str(tmp_path)
    empty = subprocess.run(
        [*MOCKLOOP, "scenarios", "list"], capture_output=True, text=True, env=env, timeout=60
    )
    assert empty.returncode == 1 and f"no scenarios in {tmp_path}" in empty.stderr


def test_practice_refuses_a_coding_round_and_says_where_to_take_it() -> None:
    result = run("practice", "coding-attention", stdin="hello\n")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "coding round" in result.stderr and "browser" in result.stderr
    assert "Traceback" not in result.stderr
