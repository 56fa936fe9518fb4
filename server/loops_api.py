"""HTTP routes of full mock loops (docs/PROTOCOL.md, "Loops"): the loops on offer, a loop
started, its status and debrief as JSON, its export, and its deletion.

Starting a loop creates every round's session at once (status `created`: a round's clock
starts with its first `hello`, so a loop may be continued days later), together with the
loop, in one transaction. Each session gets its own token and cookie, as from
`POST /api/sessions`; the loop gets a token of its own and a cookie (`mockloop_<loop id>`,
loop ids start with `loop-`), which opens the loop's debrief. Deleting the loop deletes
its sessions.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from interviewer.loops import Loop, pick_rounds
from server.api import require_key
from server.errors import ApiError
from server.inbox import error_message
from server.registry import SessionRegistry
from server.review.debrief import Debrief, debrief, markdown
from server.security import (
    SlidingWindow,
    cookie_name,
    cookie_session_ids,
    hash_token,
    key_status,
    new_session_id,
    new_token,
)
from server.storage import LoopRecord, SessionRecord, Store

router = APIRouter()

LOOP_PREFIX = "loop-"
_NO_STORE = {"Cache-Control": "no-store"}


def loops_of(request: Request) -> Mapping[str, Loop]:
    loops: Mapping[str, Loop] = getattr(request.app.state, "loops", {})
    return loops


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _registry(request: Request) -> SessionRegistry:
    registry: SessionRegistry = request.app.state.registry
    return registry


async def authorized_loop(request: Request, loop_id: str) -> LoopRecord:
    """The loop, if the request carries its token (Bearer header or cookie). Unknown id
    404, no credentials 401, wrong ones 403: as for sessions."""
    record = None
    if loop_id.startswith(LOOP_PREFIX):
        record = await _registry(request).db(_store(request).get_loop, loop_id)
    if record is None:
        raise ApiError(404, "not_found", "no such loop")
    require_key(request, loop_id, record.token_hash, "loop")
    return record


def held_loops(request: Request, store: Store) -> list[LoopRecord]:
    """The loops this client holds a valid cookie for, newest first. Blocking."""
    ids = [i for i in cookie_session_ids(request) if i.startswith(LOOP_PREFIX)]
    return [r for r in store.get_loops(ids) if key_status(request, r.id, r.token_hash) == 200]


def load_debrief(store: Store, record: LoopRecord, catalog: Mapping[str, Any]) -> Debrief:
    """Everything the debrief reads, in one go. Blocking: call it off the event loop."""
    sessions = store.get_sessions(record.session_ids)
    scores = {sid: store.load_scored(sid) for sid in sessions}
    own = {sid: store.load_self_assessment(sid) for sid in sessions}
    return debrief(record, sessions, scores, own, catalog)


@router.get("/api/loops")
async def list_loops(request: Request) -> list[dict[str, Any]]:
    return [
        {
            "id": loop.id,
            "title": loop.title,
            "summary": loop.summary,
            "rounds": [r.spec for r in loop.rounds],
        }
        for loop in loops_of(request).values()
    ]


class CreateLoop(BaseModel):
    model_config = ConfigDict(extra="forbid")

    loop: Annotated[str, Field(min_length=1, max_length=200)]
    mode: Literal["chat", "voice"] = "chat"
    seed: Annotated[StrictInt, Field(ge=0, le=2**62)] | None = None
    time_scale: Annotated[float, Field(ge=1, le=600)] = 1.0


@router.post("/api/loops", status_code=201)
async def create_loop(request: Request, body: CreateLoop) -> JSONResponse:
    limiter: SlidingWindow = request.app.state.session_limiter
    client = request.client.host if request.client else "?"
    if not limiter.hit(client):
        raise ApiError(429, "rate_limited", "too many new sessions; wait a minute")
    loop = loops_of(request).get(body.loop)
    if loop is None:
        raise ApiError(404, "unknown_loop", "no such loop")
    catalog = request.app.state.catalog
    seed = body.seed if body.seed is not None else secrets.randbelow(2**31)
    now = time.time()
    rounds: list[tuple[SessionRecord, str]] = []
    for i, scenario_id in enumerate(pick_rounds(loop, catalog, seed)):
        token = new_token()
        record = SessionRecord(
            id=new_session_id(),
            scenario_id=scenario_id,
            mode=body.mode,
            # Each round its own wording, all of them fixed by the loop's seed.
            seed=(seed * 1_000_003 + i) % 2**62,
            time_scale=float(body.time_scale),
            token_hash=hash_token(token),
            status="created",
            created_at=now + i * 1e-3,  # the list of sessions keeps the loop's order
        )
        rounds.append((record, token))
    loop_token = new_token()
    record_loop = LoopRecord(
        id=LOOP_PREFIX + secrets.token_hex(16),
        loop_id=loop.id,
        title=loop.title,
        mode=body.mode,
        seed=seed,
        time_scale=float(body.time_scale),
        token_hash=hash_token(loop_token),
        created_at=now,
        rounds=tuple((r.scenario_id, r.id) for r, _ in rounds),
    )
    store = _store(request)
    await _registry(request).write(store.write_loop, record_loop, [r for r, _ in rounds])
    voice = getattr(request.app.state, "voice", None)
    if body.mode == "voice" and voice is not None:
        first = rounds[0][0]
        voice.prefetch(catalog[first.scenario_id], first.seed)
    return _created(request, record_loop, loop_token, rounds)


def _created(
    request: Request, loop: LoopRecord, token: str, rounds: list[tuple[SessionRecord, str]]
) -> JSONResponse:
    """The 201 answer, with a cookie for the loop and one for each of its sessions."""
    response = JSONResponse(
        {
            "id": loop.id,
            "token": token,
            "rounds": [
                {
                    "scenario": r.scenario_id,
                    "session": {
                        "id": r.id,
                        "token": t,
                        "ws": f"/ws/sessions/{r.id}",
                        "replay": f"/sessions/{r.id}",
                        "practice": f"/practice/{r.id}",
                    },
                }
                for r, t in rounds
            ],
            "debrief": f"/loops/{loop.id}",
        },
        status_code=201,
        headers=_NO_STORE,
    )
    max_age = request.app.state.settings.cookie_max_age
    for name, value in [(loop.id, token), *((r.id, t) for r, t in rounds)]:
        response.set_cookie(
            cookie_name(name),
            value,
            max_age=max_age,
            path="/",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
    return response


@router.get("/api/loops/{loop_id}")
async def get_loop(request: Request, loop_id: str) -> JSONResponse:
    record = await authorized_loop(request, loop_id)
    catalog = request.app.state.catalog
    shown = await _registry(request).db(load_debrief, _store(request), record, catalog)
    body = {
        **shown.to_json(),
        "loop": record.loop_id,
        "seed": record.seed,
        "time_scale": record.time_scale,
        "created_at": record.created_at,
    }
    return JSONResponse(body, headers=_NO_STORE)


@router.get("/api/loops/{loop_id}/export")
async def export_loop(
    request: Request,
    loop_id: str,
    format: Annotated[Literal["json", "md"], Query()] = "json",
) -> Response:
    record = await authorized_loop(request, loop_id)
    catalog = request.app.state.catalog
    shown = await _registry(request).db(load_debrief, _store(request), record, catalog)
    if format == "md":
        body, media = markdown(shown), "text/markdown; charset=utf-8"
    else:
        body = json.dumps(shown.to_json(), indent=2, ensure_ascii=False) + "\n"
        media = "application/json"
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="mockloop-{record.id}.{format}"',
            **_NO_STORE,
        },
    )


@router.delete("/api/loops/{loop_id}", status_code=204)
async def delete_loop(request: Request, loop_id: str) -> Response:
    record = await authorized_loop(request, loop_id)
    registry = _registry(request)
    # Every round's driver stops first, so that nothing is written after its rows are gone.
    for session_id in record.session_ids:
        await registry.stop(session_id, 1000, error_message("deleted", "the loop was deleted"))
    await registry.db(_store(request).delete_loop, loop_id)
    response = Response(status_code=204)
    for name in [loop_id, *record.session_ids]:
        response.delete_cookie(cookie_name(name), path="/", httponly=True, samesite="strict")
    return response
