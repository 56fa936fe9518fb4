"""`mockloop eval`: the listening evaluation's figures, per category, person and round."""

from __future__ import annotations

from pathlib import Path

from interviewer import Scenario
from interviewer.calibration import (
    NOT_SHOWN,
    Agreement,
    Played,
    agreement,
    load_rounds,
    overall,
    per_round_type,
    per_scenario,
    play_all,
)
from interviewer.evaluation import RUBRIC_DIR, evaluate, load_cases
from interviewer.loader import DEFAULT_ROOT


def run_eval(
    catalog: dict[str, Scenario],
    root: Path | None,
    minimum: float,
    per_category: float,
    failures: bool,
) -> int:
    folder = root or DEFAULT_ROOT / "eval"
    cases = load_cases(folder)
    if not cases:
        print(f"mockloop: no evaluation cases in {folder}")
        return 1
    report = evaluate(catalog, cases)
    print(f"listening evaluation: {len(cases)} candidate turns from {folder}")
    _table("category", report.by("category"))
    _table("person", report.by("who"))
    _table("round", report.by_round(catalog))
    _table("file", report.by_file())
    ok = sum(o.ok for o in report.outcomes)
    print(f"overall: {ok}/{len(cases)} {report.accuracy:.1%}")
    if failures:
        for o in report.outcomes:
            if not o.ok:
                print(
                    f"\n{o.source} [{o.case.category}] {o.case.scenario} @ {o.case.at or 'start'}"
                )
                print(f"  said: {o.case.say[:160]}")
                print(f"  got:  {o.got}")
                print(f"  why:  {'; '.join(o.problems)}")
    low = [k for k, (_, _, share) in report.by("category").items() if share < per_category]
    if low:
        print(f"FAIL: categories below {per_category:.0%}: {', '.join(low)}")
    if report.accuracy < minimum:
        print(f"FAIL: overall below {minimum:.0%}")
    return 1 if low or report.accuracy < minimum else 0


def _table(title: str, rows: dict[str, tuple[int, int, float]]) -> None:
    width = max([len(title), *(len(k) for k in rows)])
    print(f"\n  {title:<{width}}  correct  accuracy")
    for key, (ok, total, share) in rows.items():
        print(f"  {key:<{width}}  {ok:>3}/{total:<3}  {share:>7.1%}")


def run_calibration(
    catalog: dict[str, Scenario],
    root: Path | None,
    minimum: float,
    per_criterion: float,
    failures: bool,
    transcript: str | None,
) -> int:
    """`mockloop eval --rubric`: agreement with a senior interviewer's levels per criterion."""
    folder = root or DEFAULT_ROOT / "eval" / RUBRIC_DIR
    played, unknown = play_all(catalog, load_rounds(folder))
    for problem in unknown:
        print(f"mockloop: {problem}")
    if not played:
        print(f"mockloop: no labelled rounds in {folder}")
        return 1
    if transcript is not None:
        for p in played:
            if transcript.lower() in p.round.name.lower():
                _print_round(p)
        return 0
    print(f"rubric calibration: {len(played)} labelled rounds from {folder}")
    rows = agreement(played, per_round_type)
    _agreement_table("criterion (all scenarios of the round type)", rows)
    _agreement_table("criterion, per scenario", agreement(played, per_scenario))
    total = overall(rows)
    print(
        f"overall: {total.total} levels, exact {total.exact_share:.1%}, "
        f"within one {total.within_share:.1%}"
    )
    problems = [f"{p.source}: {x}" for p in played for x in p.problems]
    for x in problems:
        print(f"note: {x}")
    if failures:
        for p in played:
            for criterion, label in p.round.levels.items():
                got = p.scores.get(criterion, "-")
                want = None if label.level == NOT_SHOWN else label.level
                if got != want:
                    shown = NOT_SHOWN if got is None else got
                    print(f"\n{p.source} {p.scenario} {p.round.name!r} ({p.round.who})")
                    print(f"  {criterion}: rubric {shown}, labelled {label.level}: {label.why}")
    low = [k for k, a in rows.items() if a.within_share < per_criterion]
    if low:
        print(f"FAIL: within-one agreement below {per_criterion:.0%}: {', '.join(low)}")
    if total.within_share < minimum:
        print(f"FAIL: overall within-one agreement below {minimum:.0%}")
    broken = unknown or any("no criterion" in x for x in problems)
    return 1 if low or total.within_share < minimum or broken else 0


def _agreement_table(title: str, rows: dict[str, Agreement]) -> None:
    width = max(len(title), *(len(k) for k in rows))
    print(f"\n  {title:<{width}}  rounds   exact  within one")
    for key, a in rows.items():
        print(f"  {key:<{width}}  {a.total:>6}  {a.exact_share:>6.0%}  {a.within_share:>10.0%}")


def _print_round(p: Played) -> None:
    print(f"\n== {p.source} {p.scenario}: {p.round.name} ({p.round.who})")
    for at, who, text in p.transcript:
        stamp = f"{int(at // 60):02d}:{int(at % 60):02d}"
        print(f"  {stamp} {'YOU' if who == 'you' else who}: {text}")
    for x in p.problems:
        print(f"  note: {x}")
