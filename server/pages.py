"""The browser pages: home, chat practice and the list of past sessions.

What every page shares (the `web/` templates and static files, the labels, the error
pages, `page()`) is `server.web`; the replay and progress pages are
`server.review_pages`. The pages read the catalog and the store directly; everything live
(the interview itself) goes through the public wire contract from the browser.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from interviewer import Scenario
from server import web
from server.api import held_session_ids
from server.loops_api import held_loops, loops_of
from server.review.code import code_view
from server.security import SESSION_ID, key_status
from server.storage import SessionRecord, SessionSummary
from server.web import (
    ROUND_LABELS,
    ROUNDS,
    SESSION_ERROR_PAGES,
    format_minutes,
    make_templates,
    page,
    status_label,
    web_dir,
)

router = APIRouter()


@dataclass(frozen=True, slots=True)
class _ScenarioView:
    id: str
    title: str
    round: str
    round_label: str
    minutes: str
    summary: str


@dataclass(frozen=True, slots=True)
class _RoundView:
    id: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class _SessionRow:
    id: str
    title: str
    round_label: str
    mode: str
    status_label: str
    active: bool
    created_iso: str
    created_text: str


def install(app: FastAPI) -> None:
    """Mount `/static`, keep the templates on `app.state` (every page renders with them)
    and add the page routes to `app`."""
    root = web_dir(getattr(app.state, "settings", None))
    app.state.templates = make_templates(root)
    app.mount("/static", StaticFiles(directory=root / "static"), name="static")
    app.include_router(router)


def _catalog(app: FastAPI) -> Mapping[str, Scenario]:
    catalog: Mapping[str, Scenario] | None = getattr(app.state, "catalog", None)
    return catalog if catalog is not None else {}


def _scenario_views(catalog: Mapping[str, Scenario]) -> list[_ScenarioView]:
    order = {rid: i for i, (rid, _) in enumerate(ROUNDS)}
    items = sorted(
        catalog.values(), key=lambda s: (order.get(str(s.round), len(order)), s.title, s.id)
    )
    return [
        _ScenarioView(
            id=s.id,
            title=s.title,
            round=str(s.round),
            round_label=ROUND_LABELS.get(str(s.round), str(s.round)),
            minutes=format_minutes(float(s.minutes)),
            summary=s.summary or "",
        )
        for s in items
    ]


def _round_views(scenarios: Iterable[_ScenarioView]) -> list[_RoundView]:
    counts: dict[str, int] = {}
    for s in scenarios:
        counts[s.round] = counts.get(s.round, 0) + 1
    views = [_RoundView(rid, label, counts.pop(rid, 0)) for rid, label in ROUNDS]
    # Rounds the engine may add later still get a button.
    views += [_RoundView(rid, rid.replace("_", " ").capitalize(), n) for rid, n in counts.items()]
    return views


def _voice_available(app: FastAPI) -> bool:
    # The voice page is its own template; until it exists the home page offers chat only.
    # So does a server without voice (turned off, or its speech models failed to load).
    voice = getattr(app.state, "voice", None)
    if voice is None or getattr(voice, "status", None) == "unavailable":
        return False
    root = web_dir(getattr(app.state, "settings", None))
    return (root / "templates" / "voice.html").is_file()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> Response:
    scenarios = _scenario_views(_catalog(request.app))
    rounds = _round_views(scenarios)
    initial = next((r.id for r in rounds if r.count), "")
    return page(
        request,
        "home.html",
        {
            "nav": "home",
            "scenarios": scenarios,
            "rounds": rounds,
            "initial_round": initial,
            "voice_available": _voice_available(request.app),
            **_loop_context(request),
        },
    )


def _loop_context(request: Request) -> dict[str, object]:
    """The full loops on offer, and the loops this browser started (to continue)."""
    catalog = _catalog(request.app)
    offered = [
        {
            "id": loop.id,
            "title": loop.title,
            "summary": loop.summary,
            "rounds": [
                catalog[r.spec].title if r.spec in catalog else ROUND_LABELS.get(r.spec, r.spec)
                for r in loop.rounds
            ],
        }
        for loop in loops_of(request).values()
    ]
    store = getattr(request.app.state, "store", None)
    started = held_loops(request, store) if store is not None else []
    return {"loops": offered, "my_loops": started[:10]}


@router.get("/practice/{session_id}", response_class=HTMLResponse, include_in_schema=False)
def practice(request: Request, session_id: str) -> Response:
    store = getattr(request.app.state, "store", None)
    record = (
        store.get_session(session_id)
        if store is not None and SESSION_ID.match(session_id)
        else None
    )
    if record is None:
        return web.error_page(
            request, 404, "Session not found", "There is no interview with this id on this server."
        )
    # The page itself shows nothing private, but its title and status are the
    # session's: the same key as everywhere else (the cookie, or a Bearer token).
    status = key_status(request, session_id, record.token_hash)
    if status != 200:
        heading, message = SESSION_ERROR_PAGES[status]
        response = web.error_page(request, status, heading, message)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response
    voice = record.mode == "voice" and _voice_available(request.app)
    name = "voice.html" if voice else "practice.html"
    context = _practice_context(record, _catalog(request.app))
    scenario = _catalog(request.app).get(record.scenario_id)
    task = getattr(scenario, "code", None)
    if store is not None and task is not None:
        # The editor opens with the candidate's last code (a reload loses nothing).
        code = code_view(task, store.load_events(record.id), record.time_scale)
        assert code is not None
        context["code"] = {
            "task": code["task"],
            "starter": code["starter"],
            "latest": code["latest"],
            "round": str(getattr(scenario, "round", "")),
        }
    # A round of a full loop ends with the way back to the loop (its break screen).
    loop = store.loop_of_session(record.id) if store is not None else None
    context["loop_id"] = loop.id if loop is not None else None
    return page(request, name, context)


def _practice_context(record: SessionRecord, catalog: Mapping[str, Scenario]) -> dict[str, object]:
    scenario = catalog.get(record.scenario_id)
    elapsed: float | None = None
    if record.status == "live" and record.started_at is not None:
        elapsed = max(0.0, time.time() - record.started_at)
    return {
        "nav": "",
        "session_id": record.id,
        "scenario_title": scenario.title if scenario is not None else record.scenario_id,
        "round_label": (
            ROUND_LABELS.get(str(scenario.round), str(scenario.round))
            if scenario is not None
            else ""
        ),
        "mode": record.mode,
        "minutes": float(scenario.minutes) if scenario is not None else None,
        "time_scale": _plain_number(record.time_scale),
        "elapsed": round(elapsed, 3) if elapsed is not None else None,
        "status": record.status,
        "code": None,
    }


@router.get("/sessions", response_class=HTMLResponse, include_in_schema=False)
def sessions(request: Request) -> Response:
    store = getattr(request.app.state, "store", None)
    rows: list[_SessionRow] = []
    if store is not None:
        catalog = _catalog(request.app)
        # Only the sessions this browser created (holds a valid cookie for): the
        # replay and resume links would refuse any other.
        for summary in store.list_sessions(held_session_ids(request, store)):
            rows.append(_session_row(summary, catalog.get(summary.scenario_id)))
    return page(request, "sessions.html", {"nav": "sessions", "sessions": rows})


def _session_row(summary: SessionSummary, scenario: Scenario | None) -> _SessionRow:
    created = datetime.fromtimestamp(summary.created_at, tz=UTC)
    return _SessionRow(
        id=summary.id,
        title=scenario.title if scenario is not None else summary.scenario_id,
        round_label=(ROUND_LABELS.get(str(scenario.round), "") if scenario else ""),
        mode=summary.mode,
        status_label=status_label(summary.status, summary.end_reason),
        active=summary.status in ("created", "live"),
        created_iso=created.isoformat(),
        created_text=created.strftime("%Y-%m-%d %H:%M UTC"),
    )


def _plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
