"""The `mockloop` command: practice in the terminal, manage scenarios, serve, export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from interviewer import Scenario, ScenarioError, json_schema, load_catalog, load_scenario
from interviewer.loader import DEFAULT_ROOT, scenario_files
from interviewer.loops import LOOPS_DIR, check_loop, load_loop, loop_files
from interviewer.testplan import PlanFailure, load_plans, plan_files, run_plan

from .terminal import practice


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockloop", description="A scripted, offline mock interviewer."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("practice", help="practise a round in the terminal")
    p.add_argument("scenario", help="scenario id (see `mockloop scenarios list`)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--time-scale", type=float, default=1.0, help="make time pass X times faster (1-600)"
    )
    p.add_argument("--scenarios-dir", type=Path, default=None)

    s = sub.add_parser("scenarios", help="list, check and test scenario files")
    ssub = s.add_subparsers(dest="action", required=True)
    sl = ssub.add_parser("list", help="list the scenarios")
    sl.add_argument("--scenarios-dir", type=Path, default=None)
    sc = ssub.add_parser("check", help="validate scenario files (default: all)")
    sc.add_argument("paths", nargs="*", type=Path)
    st = ssub.add_parser("test", help="run the test plans (default: all)")
    st.add_argument("paths", nargs="*", type=Path)
    ssub.add_parser("schema", help="print the JSON Schema of scenario files")

    v = sub.add_parser("serve", help="run the server")
    v.add_argument("--host", default=None)
    v.add_argument("--port", type=int, default=None)
    v.add_argument("--data-dir", type=Path, default=None)

    ev = sub.add_parser("eval", help="measure how well the interviewer listens")
    ev.add_argument(
        "--dir", type=Path, default=None, help="evaluation set (default: scenarios/eval)"
    )
    ev.add_argument("--scenarios-dir", type=Path, default=None)
    ev.add_argument(
        "--min",
        type=float,
        default=None,
        help="fail below this overall accuracy (default 0.95; with --rubric, this overall "
        "within-one agreement, default 0.90)",
    )
    ev.add_argument(
        "--min-category",
        type=float,
        default=None,
        help="fail when a category (with --rubric: a criterion's within-one agreement) is "
        "below this (default: --min)",
    )
    ev.add_argument("--failures", action="store_true", help="list every turn that went wrong")
    ev.add_argument(
        "--rubric",
        action="store_true",
        help="calibrate the rubric on complete labelled rounds (scenarios/eval/rubric)",
    )
    ev.add_argument(
        "--transcript",
        metavar="TEXT",
        default=None,
        help="with --rubric: print the rounds whose name contains TEXT as they were played",
    )

    e = sub.add_parser("export", help="export one stored session")
    e.add_argument("session")
    e.add_argument("--format", choices=["md", "json", "vtt"], default="md")
    e.add_argument("--data-dir", type=Path, default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "practice":
            if not 1 <= args.time_scale <= 600:
                parser.error("--time-scale must be between 1 and 600")
            return _practice(args)
        if args.command == "scenarios":
            return _scenarios(args)
        if args.command == "eval":
            return _eval(args)
        if args.command == "serve":
            from .main import serve

            serve(host=args.host, port=args.port, data_dir=args.data_dir)
            return 0
        if args.command == "export":
            from .export_cli import export

            return export(args.session, args.format, args.data_dir)
    except ScenarioError as exc:
        print(f"mockloop: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


def _practice(args: argparse.Namespace) -> int:
    catalog = _catalog(args.scenarios_dir)
    if args.scenario not in catalog:
        print(
            f"mockloop: unknown scenario {args.scenario!r}; see `mockloop scenarios list`",
            file=sys.stderr,
        )
        return 2
    scenario = catalog[args.scenario]
    if scenario.code is not None:
        # The code is written, run and tested in the browser's editor, beside the talk.
        print(
            f"mockloop: {scenario.id} is a {scenario.round} round: its code is written and "
            "run in the browser's editor, which the terminal does not have. Start it from "
            "the web page (`mockloop serve`, then open the home page).",
            file=sys.stderr,
        )
        return 2
    return practice(scenario, seed=args.seed, time_scale=args.time_scale)


def _eval(args: argparse.Namespace) -> int:
    from .eval_cli import run_calibration, run_eval

    if args.rubric:
        overall_min = 0.90 if args.min is None else args.min
        return run_calibration(
            _catalog(args.scenarios_dir),
            args.dir,
            overall_min,
            overall_min if args.min_category is None else args.min_category,
            args.failures,
            args.transcript,
        )
    return run_eval(
        _catalog(args.scenarios_dir),
        args.dir,
        0.95 if args.min is None else args.min,
        args.min_category if args.min_category is not None else args.min or 0.95,
        args.failures,
    )


def _scenarios(args: argparse.Namespace) -> int:
    if args.action == "list":
        catalog = _catalog(getattr(args, "scenarios_dir", None))
        if not catalog:
            print(f"mockloop: no scenarios in {_root(None)}", file=sys.stderr)
            return 1
        width = max(len(i) for i in catalog)
        for sid, sc in catalog.items():
            print(f"{sid:<{width}}  {sc.round:<16} {sc.minutes:>3g} min  {sc.title}")
        return 0
    if args.action == "schema":
        sys.stdout.write(json_schema())
        return 0
    if args.action == "check":
        files = _expand(args.paths, plans=False)
        # Loop files (under `loops/`) are checked as loops, against the catalog.
        loops = [p for p in files if p.parent.name == LOOPS_DIR]
        loops += [q for p in args.paths or [_root(None)] if p.is_dir() for q in loop_files(p)]
        loops = list(dict.fromkeys(loops))
        files = [p for p in files if p not in loops]
        failed = 0
        for path in files:
            try:
                load_scenario(path)
            except ScenarioError as exc:
                print(exc)
                failed += 1
        failed += _check_loops(loops)
        files += loops
        print(f"{len(files) - failed} ok, {failed} with errors", file=sys.stderr)
        return 1 if failed else 0
    if args.action == "test":
        files = _expand(args.paths, plans=True)
        passed = failed = 0
        for path in files:
            try:
                plans = load_plans(path)
                scenario = load_scenario(
                    path.with_name(path.name.removesuffix(".plans.yaml") + ".yaml")
                )
            except ScenarioError as exc:
                print(exc)
                failed += 1
                continue
            for plan in plans.plans:
                try:
                    run_plan(scenario, plan)
                    passed += 1
                except PlanFailure as exc:
                    print(f"{path}: {exc}")
                    failed += 1
        print(f"{passed} passed, {failed} failed")
        return 1 if failed else 0
    return 2


def _check_loops(paths: list[Path]) -> int:
    """Check loop files against the scenarios folder's catalog; the number that failed."""
    if not paths:
        return 0
    try:
        catalog = _catalog(None)
    except ScenarioError as exc:
        print(exc)
        return len(paths)
    failed = 0
    for path in paths:
        try:
            check_loop(load_loop(path), catalog, path)
        except ScenarioError as exc:
            print(exc)
            failed += 1
    return failed


def _root(given: Path | None) -> Path:
    """The scenarios folder: the option, else MOCKLOOP_SCENARIOS_DIR, else the bundled one."""
    if given is not None:
        return given
    from .settings import Settings

    return Settings().scenarios_dir or DEFAULT_ROOT


def _catalog(given: Path | None) -> dict[str, Scenario]:
    return load_catalog(_root(given))


def _expand(paths: list[Path], plans: bool) -> list[Path]:
    if not paths:
        paths = [_root(None)]
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += plan_files(p) if plans else list(scenario_files(p))
        else:
            out.append(p)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
