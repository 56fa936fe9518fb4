"""The browser pages: home, chat practice and the list of past sessions.

Everything the pages need ships in `web/` (templates and static files; no CDN, no build
step). Every template is autoescaped, and no page carries inline script or style, so the
Content-Security-Policy `default-src 'self'` applied by the security middleware holds.
The pages read the catalog and the store directly; everything live (the interview itself)
goes through the public wire contract from the browser.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from interviewer import Scenario
from server.api import held_session_ids
from server.security import SESSION_ID, key_status

DEFAULT_WEB_DIR = Path(__file__).resolve().parent.parent / "web"

# The loop order; every round is shown even when no scenario for it is installed yet.
ROUNDS: tuple[tuple[str, str], ...] = (
    ("recruiter_screen", "Recruiter screen"),
    ("hiring_manager", "Hiring manager"),
    ("culture", "Values & culture"),
    ("system_design", "ML system design"),
    ("behavioral", "Behavioral"),
    ("ml_theory", "ML theory"),
)
ROUND_LABELS = dict(ROUNDS)

STATUS_LABELS = {"created": "Not started", "live": "In progress", "ended": "Ended"}
END_REASON_LABELS = {"completed": "Completed", "time": "Time up", "left": "Ended early"}


# What a session's pages say when the request cannot open it.
SESSION_ERROR_PAGES = {
    401: (
        "This browser has no key to this session",
        "Open it from the browser that started the interview, or ask the API with the "
        "session's token (Authorization: Bearer).",
    ),
    403: (
        "This key does not open this session",
        "The key this browser or request holds belongs to no session with this id.",
    ),
    404: ("Session not found", "There is no interview with this id on this server."),
}


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


def web_dir(settings: object | None = None) -> Path:
    """`web/` beside the packages, unless the settings name another (`web_dir`)."""
    override = getattr(settings, "web_dir", None) if settings is not None else None
    return Path(override) if override else DEFAULT_WEB_DIR


def format_minutes(minutes: float) -> str:
    if math.isfinite(minutes) and float(minutes).is_integer():
        return str(int(minutes))
    return f"{minutes:g}"


class _StaticUrls:
    """`/static/<path>?v=<content hash>`: a changed file gets a new URL, so a browser never
    runs new HTML against an old cached script."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, tuple[float, str]] = {}

    def __call__(self, path: str) -> str:
        file = self.root / path
        try:
            mtime = file.stat().st_mtime
        except OSError:
            return f"/static/{path}"
        cached = self._cache.get(path)
        if cached is None or cached[0] != mtime:
            digest = hashlib.sha256(file.read_bytes()).hexdigest()[:12]
            cached = (mtime, digest)
            self._cache[path] = cached
        return f"/static/{path}?v={cached[1]}"


def make_templates(root: Path) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(root / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.globals["static_url"] = _StaticUrls(root / "static")
    return Jinja2Templates(env=env)


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


def _voice_available(root: Path, app: FastAPI) -> bool:
    # The voice page is its own template; until it exists the home page offers chat only.
    # So does a server without voice (turned off, or its speech models failed to load).
    voice = getattr(app.state, "voice", None)
    if voice is None or getattr(voice, "status", None) == "unavailable":
        return False
    return (root / "templates" / "voice.html").is_file()


def install(app: FastAPI) -> None:
    """Mount `/static` and add the page routes to `app`."""
    root = web_dir(getattr(app.state, "settings", None))
    templates = make_templates(root)
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=root / "static"), name="static")

    def page(
        request: Request, name: str, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        response = templates.TemplateResponse(request, name, context, status_code=status_code)
        # Pages reflect live state (sessions, their status): never serve them from cache.
        response.headers["Cache-Control"] = "no-store"
        return response

    def not_found(request: Request, message: str) -> Response:
        return page(
            request,
            "error.html",
            {"nav": "", "heading": "Session not found", "message": message},
            status_code=404,
        )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> Response:
        scenarios = _scenario_views(_catalog(app))
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
                "voice_available": _voice_available(root, app),
            },
        )

    @app.get("/practice/{session_id}", response_class=HTMLResponse, include_in_schema=False)
    def practice(request: Request, session_id: str) -> Response:
        store = getattr(app.state, "store", None)
        record = (
            store.get_session(session_id)
            if store is not None and SESSION_ID.match(session_id)
            else None
        )
        if record is None:
            return not_found(request, "There is no interview with this id on this server.")
        # The page itself shows nothing private, but its title and status are the
        # session's: the same key as everywhere else (the cookie, or a Bearer token).
        status = key_status(request, session_id, record.token_hash)
        if status != 200:
            heading, message = SESSION_ERROR_PAGES[status]
            response = page(
                request,
                "error.html",
                {"nav": "", "heading": heading, "message": message},
                status_code=status,
            )
            if status == 401:
                response.headers["WWW-Authenticate"] = "Bearer"
            return response
        scenario = _catalog(app).get(record.scenario_id)
        elapsed: float | None = None
        if record.status == "live" and record.started_at is not None:
            elapsed = max(0.0, time.time() - record.started_at)
        context = {
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
        }
        voice = record.mode == "voice" and _voice_available(root, app)
        name = "voice.html" if voice else "practice.html"
        return page(request, name, context)

    @app.get("/sessions", response_class=HTMLResponse, include_in_schema=False)
    def sessions(request: Request) -> Response:
        store = getattr(app.state, "store", None)
        rows: list[_SessionRow] = []
        if store is not None:
            catalog = _catalog(app)
            # Only the sessions this browser created (holds a valid cookie for): the
            # replay and resume links would refuse any other.
            for summary in store.list_sessions(held_session_ids(request, store)):
                scenario = catalog.get(summary.scenario_id)
                created = datetime.fromtimestamp(summary.created_at, tz=UTC)
                status = STATUS_LABELS.get(summary.status, summary.status)
                if summary.status == "ended" and summary.end_reason:
                    status = END_REASON_LABELS.get(summary.end_reason, status)
                rows.append(
                    _SessionRow(
                        id=summary.id,
                        title=scenario.title if scenario is not None else summary.scenario_id,
                        round_label=(ROUND_LABELS.get(str(scenario.round), "") if scenario else ""),
                        mode=summary.mode,
                        status_label=status,
                        active=summary.status in ("created", "live"),
                        created_iso=created.isoformat(),
                        created_text=created.strftime("%Y-%m-%d %H:%M UTC"),
                    )
                )
        return page(request, "sessions.html", {"nav": "sessions", "sessions": rows})

    # The replay and progress pages and their JSON routes live with the review code.
    from server.review.routes import install as install_review

    install_review(app)


def _plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
