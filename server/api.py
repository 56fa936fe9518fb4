"""HTTP routes of the wire contract (docs/PROTOCOL.md): health, scenarios, sessions."""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from server.errors import ApiError
from server.inbox import error_message
from server.registry import SessionRegistry
from server.review.code import code_view
from server.review.export import FORMATS, metrics, render
from server.security import (
    SlidingWindow,
    cookie_name,
    cookie_session_ids,
    hash_token,
    key_status,
    new_session_id,
    new_token,
)
from server.settings import Settings
from server.storage import SessionRecord, Store

router = APIRouter()

MODES = ["chat", "voice"]
_NO_STORE = {"Cache-Control": "no-store"}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _registry(request: Request) -> SessionRegistry:
    registry: SessionRegistry = request.app.state.registry
    return registry


async def authorized_session(request: Request, session_id: str) -> SessionRecord:
    """The session, if the request carries its token (Bearer header or cookie).
    Unknown id 404, no credentials 401, wrong ones 403."""
    registry = _registry(request)
    record = await registry.db(_store(request).get_session, session_id)
    if record is None:
        raise ApiError(404, "not_found", "no such session")
    require_key(request, session_id, record.token_hash, "session")
    return record


def require_key(request: Request, key_id: str, token_hash: str, what: str) -> None:
    """401 without credentials, 403 with wrong ones, for a session or a loop alike."""
    status = key_status(request, key_id, token_hash)
    if status == 401:
        raise ApiError(
            401, "unauthorized", "credentials required", headers={"WWW-Authenticate": "Bearer"}
        )
    if status == 403:
        raise ApiError(403, "forbidden", f"wrong credentials for this {what}")


def held_session_ids(request: Request, store: Store) -> list[str]:
    """Sessions this client holds a valid cookie for (the token checked, not only the
    cookie's name): a bounded number of cookies, one query. Blocking: call it off the
    event loop."""
    records = store.get_sessions(cookie_session_ids(request))
    return [
        session_id
        for session_id, record in records.items()
        if key_status(request, session_id, record.token_hash) == 200
    ]


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    store = _store(request)
    registry = _registry(request)
    try:
        await registry.db(store.ping)
    except Exception:
        return JSONResponse(
            {"status": "unavailable", "database": store.backend}, status_code=503, headers=_NO_STORE
        )
    voice = getattr(request.app.state, "voice", None)
    return JSONResponse(
        {
            "status": "ok",
            "version": request.app.version,
            "database": store.backend,
            "scenarios": len(request.app.state.catalog),
            "live_sessions": len(registry),
            # Voice loads in the background; chat works meanwhile or without it.
            "voice": voice.health() if voice is not None else {"status": "off"},
        },
        headers=_NO_STORE,
    )


@router.get("/api/scenarios")
async def scenarios(request: Request) -> list[dict[str, Any]]:
    return [
        {
            "id": s.id,
            "title": s.title,
            "round": str(s.round),
            "minutes": s.minutes,
            "modes": MODES,
            "summary": s.summary,
        }
        for s in request.app.state.catalog.values()
    ]


class CreateSession(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: Annotated[str, Field(min_length=1, max_length=200)]
    mode: Literal["chat", "voice"] = "chat"
    seed: Annotated[StrictInt, Field(ge=0, le=2**62)] | None = None
    time_scale: Annotated[float, Field(ge=1, le=600)] = 1.0


@router.post("/api/sessions", status_code=201)
async def create_session(request: Request, body: CreateSession) -> JSONResponse:
    settings = _settings(request)
    limiter: SlidingWindow = request.app.state.session_limiter
    client = request.client.host if request.client else "?"
    if not limiter.hit(client):
        raise ApiError(429, "rate_limited", "too many new sessions; wait a minute")
    if body.scenario not in request.app.state.catalog:
        raise ApiError(404, "unknown_scenario", "no such scenario")
    session_id, token = new_session_id(), new_token()
    record = SessionRecord(
        id=session_id,
        scenario_id=body.scenario,
        mode=body.mode,
        seed=body.seed if body.seed is not None else secrets.randbelow(2**31),
        time_scale=float(body.time_scale),
        token_hash=hash_token(token),
        status="created",
        created_at=time.time(),
    )
    await _registry(request).write(_store(request).write_session, record)
    voice = getattr(request.app.state, "voice", None)
    if body.mode == "voice" and voice is not None:
        # The interviewer's first lines are synthesized while the page loads.
        voice.prefetch(request.app.state.catalog[body.scenario], record.seed)
    response = JSONResponse(
        {
            "id": session_id,
            "token": token,
            "ws": f"/ws/sessions/{session_id}",
            "replay": f"/sessions/{session_id}",
            "practice": f"/practice/{session_id}",
        },
        status_code=201,
        headers=_NO_STORE,
    )
    response.set_cookie(
        cookie_name(session_id),
        token,
        max_age=settings.cookie_max_age,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/api/sessions")
async def list_sessions(request: Request) -> JSONResponse:
    """The sessions this client holds credentials for (its cookies), newest first."""
    store = _store(request)
    registry = _registry(request)

    def visible() -> list[dict[str, Any]]:
        return [s.to_json() for s in store.list_sessions(held_session_ids(request, store))]

    return JSONResponse(await registry.db(visible), headers=_NO_STORE)


@router.get("/api/sessions/{session_id}")
async def get_session(request: Request, session_id: str) -> JSONResponse:
    record = await authorized_session(request, session_id)
    store = _store(request)
    registry = _registry(request)
    messages = await registry.db(store.load_transcript, session_id, 0)
    scores = await registry.db(store.load_scored, session_id)
    scenario = request.app.state.catalog.get(record.scenario_id)
    code = None
    if scenario is not None and scenario.code is not None:
        events = await registry.db(store.load_events, session_id)
        code = code_view(scenario.code, events, record.time_scale)
    return JSONResponse(
        {
            "id": record.id,
            "scenario": record.scenario_id,
            "scenario_title": scenario.title if scenario is not None else None,
            "mode": record.mode,
            "status": record.status,
            "time_scale": record.time_scale,
            "created_at": record.created_at,
            "started_at": record.started_at,
            "ended_at": record.ended_at,
            "end_reason": record.end_reason,
            # Each message and score leaves in its own wire form: as it was stored.
            "messages": [m.to_wire() for m in messages],
            "scores": [s.to_wire() for s in scores],
            "metrics": metrics(messages),
            # Coding rounds: the task and the editor's snapshots (None for other rounds).
            "code": code,
        },
        headers=_NO_STORE,
    )


@router.delete("/api/sessions/{session_id}", status_code=204)
async def delete_session(request: Request, session_id: str) -> Response:
    await authorized_session(request, session_id)
    registry = _registry(request)
    # The driver stops first so that nothing is written after the rows are gone.
    await registry.stop(session_id, 1000, error_message("deleted", "the session was deleted"))
    await registry.db(_store(request).delete_session, session_id)
    response = Response(status_code=204)
    response.delete_cookie(cookie_name(session_id), path="/", httponly=True, samesite="strict")
    return response


@router.get("/api/sessions/{session_id}/export")
async def export_session(
    request: Request,
    session_id: str,
    format: Annotated[Literal["json", "md", "vtt"], Query()] = "json",
) -> Response:
    assert format in FORMATS
    await authorized_session(request, session_id)
    catalog = request.app.state.catalog
    out = await _registry(request).db(render, _store(request), session_id, format, catalog)
    if out is None:
        raise ApiError(404, "not_found", "no such session")
    return Response(
        out.body,
        media_type=out.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{out.filename}"',
            **_NO_STORE,
        },
    )
