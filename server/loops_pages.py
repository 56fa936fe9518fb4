"""The debrief page of a full mock loop (`GET /loops/{id}`), which is also the break
screen between its rounds: where the loop stands, the next round to start (or continue
later from the home page), and the scorecards of the rounds finished so far.

The same key as the loop's API opens it (the loop's cookie, or its token as Bearer); the
page renders the debrief of `server.review.debrief` server-side, with no inline script.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from server.errors import ApiError
from server.loops_api import authorized_loop, load_debrief
from server.registry import SessionRegistry
from server.review.debrief import BAR, RULE, SIGNALS
from server.web import ROUND_LABELS, SESSION_ERROR_PAGES, error_page, page

router = APIRouter()


def install(app: FastAPI) -> None:
    app.include_router(router)


@router.get("/loops/{loop_id}", response_class=HTMLResponse, include_in_schema=False)
async def loop_page(request: Request, loop_id: str) -> Response:
    try:
        record = await authorized_loop(request, loop_id)
    except ApiError as exc:
        heading, message = SESSION_ERROR_PAGES.get(exc.status, ("Something went wrong", ""))
        if exc.status == 404:
            heading, message = "Loop not found", "There is no loop with this id on this server."
        response = error_page(request, exc.status, heading, message)
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response
    registry: SessionRegistry = request.app.state.registry
    shown = await registry.db(
        load_debrief, request.app.state.store, record, request.app.state.catalog
    )
    context = {
        "nav": "",
        "d": shown,
        "next": shown.next_round,
        "round_labels": ROUND_LABELS,
        "signals": SIGNALS,
        "bar": BAR,
        "rule": RULE,
        "exports": [
            ("Markdown", f"/api/loops/{record.id}/export?format=md"),
            ("JSON", f"/api/loops/{record.id}/export?format=json"),
        ],
    }
    return page(request, "loop.html", context)
