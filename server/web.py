"""What every page shares: the `web/` directory, its templates and static URLs, the labels
the pages show, the session error pages and `page()`, which renders one of them.

Everything the pages need ships in `web/` (templates and static files; no CDN, no build
step). Every template is autoescaped, and no page carries inline script or style, so the
Content-Security-Policy `default-src 'self'` applied by the security middleware holds.
`server.pages` (home, practice, the session list) and `server.review_pages` (replay,
progress) both build on this module and on nothing of each other; `server.pages.install`
serves `/static` and keeps the templates on `app.state`, where `page()` finds them.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

DEFAULT_WEB_DIR = Path(__file__).resolve().parent.parent / "web"

# The loop order; every round is shown even when no scenario for it is installed yet.
ROUNDS: tuple[tuple[str, str], ...] = (
    ("recruiter_screen", "Recruiter screen"),
    ("coding", "Technical phone screen"),
    ("ml_ops", "ML operations"),
    ("hiring_manager", "Hiring manager"),
    ("culture", "Values & culture"),
    ("system_design", "ML system design"),
    ("behavioral", "Behavioral"),
    ("ml_theory", "ML theory"),
    ("deep_dive", "Technical deep dive"),
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


def status_label(status: str, end_reason: str | None) -> str:
    """A session's status as the pages name it; an ended one says how it ended."""
    label = STATUS_LABELS.get(status, status)
    if status == "ended" and end_reason:
        label = END_REASON_LABELS.get(end_reason, label)
    return label


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


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    # Pages reflect live state (sessions, their status): never serve them from cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request: Request, status_code: int, heading: str, message: str) -> Response:
    return page(
        request,
        "error.html",
        {"nav": "", "heading": heading, "message": message},
        status_code=status_code,
    )
