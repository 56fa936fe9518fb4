"""`mockloop eval`: the listening evaluation's figures, per category, person and round."""

from __future__ import annotations

from pathlib import Path

from interviewer import Scenario
from interviewer.evaluation import evaluate, load_cases
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
