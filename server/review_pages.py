"""The review routes: the replay page, the progress page, and the JSON routes behind the
self-assessment, the notes and the replay audio. What they show is built by the
`server.review` library (no web framework in it); what every page shares is `server.web`.

Authorisation is the session's, as everywhere (`server.api.authorized_session`: the
Bearer header or the session cookie; 401, 403, 404). The pages answer those as HTML error
pages. The write routes are safe against cross-site requests three ways: they take only
`application/json` bodies (a form cannot send one, and a cross-site script that tries
needs a CORS preflight this server never grants), the session cookie is SameSite=Strict,
and a request authorised by the cookie alone must carry an `Origin` that is the server's
own (the security middleware refuses any other).

The pages render with the templates `server.pages.install` keeps on `app.state`: the app
installs that module first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError
from starlette.concurrency import run_in_threadpool

from server.api import authorized_session, held_session_ids
from server.errors import ApiError
from server.loops_api import held_loops
from server.messages import CandidateLine
from server.registry import SessionRegistry
from server.review import view
from server.review.audio import clip_resolver, session_replay
from server.review.code import code_view
from server.review.progress import progress_page
from server.review.rubric import rubric_of
from server.review.stored import Loaded, load
from server.review.svg import clock
from server.security import token_matches
from server.storage import LoopRecord, SessionRecord, SessionSummary, Store
from server.web import ROUND_LABELS, SESSION_ERROR_PAGES, error_page, page, status_label

M = TypeVar("M", bound=BaseModel)

NOTE_MAX = 10_000
BODY_MAX = 256 * 1024
_NO_STORE = {"Cache-Control": "no-store"}

router = APIRouter()


def install(app: FastAPI) -> None:
    app.include_router(router)


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _registry(request: Request) -> SessionRegistry:
    registry: SessionRegistry = request.app.state.registry
    return registry


def _catalog(request: Request) -> Mapping[str, Any]:
    return getattr(request.app.state, "catalog", {}) or {}


def review_json(loaded: Loaded) -> dict[str, Any]:
    revealed = loaded.review.revealed
    return {
        "revealed": revealed,
        "submitted_at": loaded.review.submitted_at,
        "revealed_at": loaded.review.revealed_at,
        "levels": loaded.self_levels,
        "notes": {
            "criterion": loaded.notes.get("criterion", {}),
            "turn": loaded.notes.get("turn", {}),
            "session": loaded.session_note or None,
        },
        # The automatic levels only once the candidate has scored themself (or asked).
        "automatic": {s.criterion: s.level for s in loaded.scores} if revealed else None,
    }


# ------------------------------------------------------------------ request bodies


class SelfScores(BaseModel):
    model_config = ConfigDict(extra="forbid")

    levels: dict[Annotated[str, Field(min_length=1, max_length=200)], StrictInt] = {}
    notes: dict[
        Annotated[str, Field(min_length=1, max_length=200)],
        Annotated[str, Field(max_length=NOTE_MAX)],
    ] = {}
    submit: StrictBool = False


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(max_length=NOTE_MAX)]


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


async def json_body(request: Request, record: SessionRecord, model: type[M]) -> M:
    """The request's JSON body as `model`, after the cross-site checks."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    bearer = scheme.lower() == "bearer" and token_matches(value.strip(), record.token_hash)
    if not bearer and not request.headers.get("origin"):
        # A cookie alone is what a cross-site request would carry: ask for the proof a
        # browser always gives on fetch(), an Origin (already checked to be our own).
        raise ApiError(403, "bad_origin", "an Origin header is required with cookie credentials")
    raw = await request.body()
    if len(raw) > BODY_MAX:
        raise ApiError(413, "too_large", "the body is too large")
    try:
        data = json.loads(raw or b"null")
        return model.model_validate(data)
    except (ValueError, ValidationError, RecursionError) as exc:
        # RecursionError: JSON nested deeper than the parser goes (about 1000 levels).
        details = exc.errors(include_url=False) if isinstance(exc, ValidationError) else []
        messages = [f"{'.'.join(str(p) for p in d['loc'])}: {d['msg']}" for d in details]
        raise ApiError(
            422, "invalid_request", "; ".join(messages) or "the body is not valid JSON"
        ) from None


def _session_error(request: Request, exc: ApiError) -> Response:
    heading, message = SESSION_ERROR_PAGES.get(exc.status, ("Something went wrong", exc.message))
    response = error_page(request, exc.status, heading, message)
    for k, v in (exc.headers or {}).items():
        response.headers[k] = v
    return response


# ------------------------------------------------------------------ the replay page


@router.get("/sessions/{session_id}", response_class=HTMLResponse, include_in_schema=False)
async def replay(request: Request, session_id: str) -> Response:
    try:
        record = await authorized_session(request, session_id)
    except ApiError as exc:
        return _session_error(request, exc)
    store = _store(request)
    clips = clip_resolver(request.app.state) is not None
    loaded = await _registry(request).db(lambda: load(store, session_id, clips=clips))
    scenario = _catalog(request).get(record.scenario_id)
    code = None
    if scenario is not None and scenario.code is not None:
        events = await _registry(request).db(store.load_events, session_id)
        code = code_view(scenario.code, events, record.time_scale)
    replay_view = view.replay_view(
        mode=record.mode,
        status=record.status,
        messages=loaded.messages,
        scores=loaded.scores,
        rubric=rubric_of(scenario, loaded.scores),
        self_levels=loaded.self_levels,
        criterion_notes=loaded.notes.get("criterion", {}),
        turn_notes=loaded.notes.get("turn", {}),
        session_note=loaded.session_note,
        words=loaded.words,
        revealed=loaded.review.revealed,
        submitted=loaded.review.submitted_at is not None,
    )
    created = datetime.fromtimestamp(record.created_at, tz=UTC)
    context = {
        "nav": "sessions",
        "session": record,
        "scenario_title": scenario.title if scenario is not None else record.scenario_id,
        "round_label": ROUND_LABELS.get(str(scenario.round), "") if scenario else "",
        "status_label": status_label(record.status, record.end_reason),
        "created_iso": created.isoformat(),
        "created_text": created.strftime("%Y-%m-%d %H:%M UTC"),
        "duration_text": clock(replay_view.duration),
        "v": replay_view,
        "summary": view.summary_rows(replay_view.metrics, record.mode == "voice"),
        "has_audio": loaded.has_audio,
        # Coding rounds: the editor's snapshots, shown beside the transcript.
        "code_snapshots": code["snapshots"] if code is not None else None,
        "audio_url": f"/api/sessions/{record.id}/audio",
        "exports": [
            ("Markdown", f"/api/sessions/{record.id}/export?format=md"),
            ("JSON", f"/api/sessions/{record.id}/export?format=json"),
            ("WebVTT captions", f"/api/sessions/{record.id}/export?format=vtt"),
        ],
    }
    return page(request, "replay.html", context)


# ------------------------------------------------------------------ progress


@router.get("/progress", response_class=HTMLResponse, include_in_schema=False)
async def progress(request: Request, scenario: str | None = None) -> Response:
    store = _store(request)

    def gather() -> tuple[list[SessionSummary], dict[str, Loaded], list[LoopRecord]]:
        summaries = [
            s for s in store.list_sessions(held_session_ids(request, store)) if s.status == "ended"
        ]
        return summaries, {s.id: load(store, s.id) for s in summaries}, held_loops(request, store)

    summaries, loaded, loops = await _registry(request).db(gather)
    shown = progress_page(summaries, loaded, _catalog(request), scenario, ROUND_LABELS)
    context = {
        "nav": "progress",
        "choices": shown.choices,
        "selected": shown.selected,
        "selected_title": shown.selected_title,
        "rubric": shown.rubric,
        "criteria": shown.criteria,
        "attempts": shown.attempts,
        "hidden": shown.hidden,
        "weak": shown.weak,
        "loops": loops,
    }
    return page(request, "progress.html", context)


# ------------------------------------------------------------------ JSON: review


async def _ended_session(request: Request, session_id: str) -> SessionRecord:
    record = await authorized_session(request, session_id)
    if record.status != "ended":
        raise ApiError(409, "not_ended", "the round is still running; review it when it ends")
    return record


@router.get("/api/sessions/{session_id}/review")
async def get_review(request: Request, session_id: str) -> JSONResponse:
    await authorized_session(request, session_id)
    loaded = await _registry(request).db(load, _store(request), session_id)
    return JSONResponse(review_json(loaded), headers=_NO_STORE)


@router.put("/api/sessions/{session_id}/review")
async def put_review(request: Request, session_id: str) -> JSONResponse:
    record = await authorized_session(request, session_id)
    body = await json_body(request, record, SelfScores)
    if record.status != "ended":
        raise ApiError(409, "not_ended", "the round is still running; review it when it ends")
    store = _store(request)
    registry = _registry(request)
    scores = await registry.db(store.load_scored, session_id)
    rubric = {c.id: c for c in rubric_of(_catalog(request).get(record.scenario_id), scores)}
    for cid, level in body.levels.items():
        c = rubric.get(cid)
        if c is None:
            raise ApiError(422, "unknown_criterion", f"no criterion {cid!r} in this rubric")
        if not c.scale[0] <= level <= c.scale[1]:
            raise ApiError(
                422, "bad_level", f"{cid}: the level must be from {c.scale[0]} to {c.scale[1]}"
            )
    for cid in body.notes:
        if cid not in rubric:
            raise ApiError(422, "unknown_criterion", f"no criterion {cid!r} in this rubric")
    if body.submit:
        have = await registry.db(store.load_self_assessment, session_id)
        missing = [cid for cid in rubric if cid not in have and cid not in body.levels]
        if missing:
            raise ApiError(
                422,
                "incomplete",
                "score every criterion before submitting: " + ", ".join(missing),
            )
    await registry.db(
        lambda: store.save_self_assessment(session_id, body.levels, body.notes, submit=body.submit)
    )
    loaded = await registry.db(load, store, session_id)
    return JSONResponse(review_json(loaded), headers=_NO_STORE)


@router.post("/api/sessions/{session_id}/review/reveal")
async def reveal(request: Request, session_id: str) -> JSONResponse:
    record = await _ended_session(request, session_id)
    await json_body(request, record, Empty)
    store = _store(request)
    await _registry(request).db(store.reveal, session_id)
    loaded = await _registry(request).db(load, store, session_id)
    return JSONResponse(review_json(loaded), headers=_NO_STORE)


@router.put("/api/sessions/{session_id}/notes/{target}")
async def put_note(request: Request, session_id: str, target: str) -> JSONResponse:
    """`target`: `session` (the whole round) or the seq of a candidate message."""
    record = await authorized_session(request, session_id)
    body = await json_body(request, record, NoteBody)
    store = _store(request)
    registry = _registry(request)
    if target == "session":
        await registry.db(store.set_note, session_id, body.text)
    else:
        messages = await registry.db(store.load_transcript, session_id)
        answers = {str(m.seq) for m in messages if isinstance(m, CandidateLine)}
        if target not in answers:
            raise ApiError(404, "not_found", "no answer with this seq in the session")
        await registry.db(store.set_review_note, session_id, "turn", target, body.text)
    return JSONResponse(
        {"target": target, "text": body.text, "updated_at": time.time()}, headers=_NO_STORE
    )


# ------------------------------------------------------------------ replay audio


@router.get("/api/sessions/{session_id}/audio")
async def audio(request: Request, session_id: str) -> Response:
    await authorized_session(request, session_id)
    store = _store(request)
    resolver = clip_resolver(request.app.state)

    # Mixing decodes and encodes audio: a worker thread, not one of the database's.
    # Usually the mix was made when the round ended and this only finds it.
    path = await run_in_threadpool(session_replay, store, session_id, resolver)
    if path is None:
        raise ApiError(404, "no_audio", "no recording was kept for this session")
    return FileResponse(
        path, media_type="audio/ogg", headers={"Cache-Control": "private, no-cache"}
    )
