"""The review routes: the replay page, the progress page, and the JSON routes behind the
self-assessment, the notes and the replay audio.

Authorisation is the session's, as everywhere (`server.api.authorized_session`: the
Bearer header or the session cookie; 401, 403, 404). The pages answer those as HTML error
pages. The write routes are safe against cross-site requests three ways: they take only
`application/json` bodies (a form cannot send one, and a cross-site script that tries
needs a CORS preflight this server never grants), the session cookie is SameSite=Strict,
and a request authorised by the cookie alone must carry an `Origin` that is the server's
own (the security middleware refuses any other).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError
from starlette.concurrency import run_in_threadpool

from server.api import authorized_session, held_session_ids
from server.errors import ApiError
from server.pages import SESSION_ERROR_PAGES
from server.review import view
from server.review.audio import clip_resolver, session_replay
from server.review.svg import clock
from server.security import token_matches
from server.session import SessionRegistry
from server.storage import ReviewState, SessionRecord, Store

M = TypeVar("M", bound=BaseModel)

NOTE_MAX = 10_000
BODY_MAX = 256 * 1024
_NO_STORE = {"Cache-Control": "no-store"}


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _registry(request: Request) -> SessionRegistry:
    registry: SessionRegistry = request.app.state.registry
    return registry


# ------------------------------------------------------------------ loading


@dataclass(frozen=True, slots=True)
class Loaded:
    messages: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    self_levels: dict[str, int]
    notes: dict[str, dict[str, str]]
    session_note: str
    words: dict[int, list[dict[str, Any]]]
    review: ReviewState
    has_audio: bool


def load(store: Store, session_id: str, *, clips: bool = False) -> Loaded:
    messages = store.load_messages(session_id)
    has_audio = bool(store.audio_tracks(session_id)) or (
        clips and any(m.get("type") == "interviewer" and m.get("audio") for m in messages)
    )
    return Loaded(
        messages=messages,
        scores=store.load_scores(session_id),
        self_levels=store.load_self_assessment(session_id),
        notes=store.load_review_notes(session_id),
        session_note=store.load_note(session_id) or "",
        words=store.load_words(session_id),
        review=store.load_review(session_id),
        has_audio=has_audio,
    )


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
        "automatic": {s["criterion"]: s["level"] for s in loaded.scores} if revealed else None,
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


# ------------------------------------------------------------------ install


def install(app: FastAPI) -> None:
    templates = app.state.templates
    router = APIRouter()

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        response: Response = templates.TemplateResponse(request, name, context, status_code=status)
        response.headers["Cache-Control"] = "no-store"
        return response

    def error_page(request: Request, exc: ApiError) -> Response:
        heading, message = SESSION_ERROR_PAGES.get(
            exc.status, ("Something went wrong", exc.message)
        )
        response = page(
            request,
            "error.html",
            {"nav": "", "heading": heading, "message": message},
            status=exc.status,
        )
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    def catalog() -> Mapping[str, Any]:
        return getattr(app.state, "catalog", {}) or {}

    # -------------------------------------------------------------- the replay page

    @router.get("/sessions/{session_id}", response_class=HTMLResponse, include_in_schema=False)
    async def replay(request: Request, session_id: str) -> Response:
        try:
            record = await authorized_session(request, session_id)
        except ApiError as exc:
            return error_page(request, exc)
        resolver = clip_resolver(app.state)
        store = _store(request)
        clips = resolver is not None
        loaded = await _registry(request).db(lambda: load(store, session_id, clips=clips))
        scenario = catalog().get(record.scenario_id)
        rubric = view.rubric_of(scenario, loaded.scores)
        replay_view = view.replay_view(
            mode=record.mode,
            status=record.status,
            messages=loaded.messages,
            scores=loaded.scores,
            rubric=rubric,
            self_levels=loaded.self_levels,
            criterion_notes=loaded.notes.get("criterion", {}),
            turn_notes=loaded.notes.get("turn", {}),
            session_note=loaded.session_note,
            words=loaded.words,
            revealed=loaded.review.revealed,
            submitted=loaded.review.submitted_at is not None,
        )
        from server.pages import END_REASON_LABELS, ROUND_LABELS, STATUS_LABELS

        created = datetime.fromtimestamp(record.created_at, tz=UTC)
        status = STATUS_LABELS.get(record.status, record.status)
        if record.status == "ended" and record.end_reason:
            status = END_REASON_LABELS.get(record.end_reason, status)
        context = {
            "nav": "sessions",
            "session": record,
            "scenario_title": scenario.title if scenario is not None else record.scenario_id,
            "round_label": ROUND_LABELS.get(str(scenario.round), "") if scenario else "",
            "status_label": status,
            "created_iso": created.isoformat(),
            "created_text": created.strftime("%Y-%m-%d %H:%M UTC"),
            "duration_text": clock(replay_view.duration),
            "v": replay_view,
            "summary": view.summary_rows(replay_view.metrics, record.mode == "voice"),
            "has_audio": loaded.has_audio,
            "audio_url": f"/api/sessions/{record.id}/audio",
            "exports": [
                ("Markdown", f"/api/sessions/{record.id}/export?format=md"),
                ("JSON", f"/api/sessions/{record.id}/export?format=json"),
                ("WebVTT captions", f"/api/sessions/{record.id}/export?format=vtt"),
            ],
        }
        return page(request, "replay.html", context)

    # -------------------------------------------------------------- progress

    @router.get("/progress", response_class=HTMLResponse, include_in_schema=False)
    async def progress(request: Request, scenario: str | None = None) -> Response:
        from server.pages import ROUND_LABELS

        store = _store(request)
        cat = catalog()

        def gather() -> tuple[list[Any], dict[str, Loaded]]:
            summaries = [
                s
                for s in store.list_sessions(held_session_ids(request, store))
                if s.status == "ended"
            ]
            return summaries, {s.id: load(store, s.id) for s in summaries}

        summaries, loaded = await _registry(request).db(gather)
        by_scenario: dict[str, list[Any]] = {}
        for s in summaries:  # newest first
            by_scenario.setdefault(s.scenario_id, []).append(s)
        choices = [
            {
                "id": sid,
                "title": cat[sid].title if sid in cat else sid,
                "round_label": ROUND_LABELS.get(str(cat[sid].round), "") if sid in cat else "",
                "count": len(items),
            }
            for sid, items in by_scenario.items()
        ]
        selected = (
            scenario
            if scenario in by_scenario
            else (summaries[0].scenario_id if summaries else None)
        )

        criteria: list[view.CriterionProgress] = []
        attempts_rows: list[dict[str, Any]] = []
        hidden = 0
        rubric: list[view.CriterionDef] = []
        if selected is not None:
            sessions = by_scenario[selected]
            scores_seen = [sc for s in sessions for sc in loaded[s.id].scores]
            rubric = view.rubric_of(cat.get(selected), scores_seen)
            attempts = [
                view.AttemptScores(
                    session_id=s.id,
                    created_at=s.created_at,
                    auto={
                        sc["criterion"]: sc["level"]
                        for sc in loaded[s.id].scores
                        if sc["level"] is not None
                    },
                    self_levels=loaded[s.id].self_levels,
                    revealed=loaded[s.id].review.revealed,
                )
                for s in sessions
            ]
            hidden = sum(1 for a in attempts if not a.revealed)
            criteria = view.scenario_progress(rubric, attempts)
            for i, a in enumerate(sorted(attempts, key=lambda a: a.created_at)):
                when = datetime.fromtimestamp(a.created_at, tz=UTC)
                attempts_rows.append(
                    {
                        "n": i + 1,
                        "id": a.session_id,
                        "iso": when.isoformat(),
                        "text": when.strftime("%Y-%m-%d %H:%M UTC"),
                        "revealed": a.revealed,
                        "cells": [
                            (a.auto.get(c.id) if a.revealed else None, a.self_levels.get(c.id))
                            for c in rubric
                        ],
                    }
                )

        # Weakest criteria: the latest revealed level per scenario and criterion.
        latest: list[tuple[str, view.CriterionDef, int]] = []
        for sid, sessions in by_scenario.items():
            defs = {
                c.id: c
                for c in view.rubric_of(
                    cat.get(sid), [sc for s in sessions for sc in loaded[s.id].scores]
                )
            }
            done: set[str] = set()
            for s in sessions:  # newest first
                if not loaded[s.id].review.revealed:
                    continue
                for sc in loaded[s.id].scores:
                    cid = str(sc["criterion"])
                    # "not shown" says nothing about the skill: the latest level shown counts
                    if cid not in done and cid in defs and sc["level"] is not None:
                        done.add(cid)
                        latest.append((sid, defs[cid], int(sc["level"])))
        trainers: dict[str, list[tuple[str, str]]] = {}
        for sc in cat.values():
            for c in getattr(sc, "rubric", ()):
                trainers.setdefault(c.id, []).append((sc.id, sc.title))
        weak = view.weakest(latest, trainers)
        context = {
            "nav": "progress",
            "choices": choices,
            "selected": selected,
            "selected_title": (
                cat[selected].title if selected is not None and selected in cat else selected
            ),
            "rubric": rubric,
            "criteria": criteria,
            "attempts": attempts_rows,
            "hidden": hidden,
            "weak": weak,
        }
        return page(request, "progress.html", context)

    # -------------------------------------------------------------- JSON: review

    async def ended_session(request: Request, session_id: str) -> SessionRecord:
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
        scores = await registry.db(store.load_scores, session_id)
        rubric = {c.id: c for c in view.rubric_of(catalog().get(record.scenario_id), scores)}
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
            lambda: store.save_self_assessment(
                session_id, body.levels, body.notes, submit=body.submit
            )
        )
        loaded = await registry.db(load, store, session_id)
        return JSONResponse(review_json(loaded), headers=_NO_STORE)

    @router.post("/api/sessions/{session_id}/review/reveal")
    async def reveal(request: Request, session_id: str) -> JSONResponse:
        record = await ended_session(request, session_id)
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
            messages = await registry.db(store.load_messages, session_id)
            answers = {str(m["seq"]) for m in messages if m.get("type") == "candidate"}
            if target not in answers:
                raise ApiError(404, "not_found", "no answer with this seq in the session")
            await registry.db(store.set_review_note, session_id, "turn", target, body.text)
        return JSONResponse(
            {"target": target, "text": body.text, "updated_at": time.time()}, headers=_NO_STORE
        )

    # -------------------------------------------------------------- replay audio

    @router.get("/api/sessions/{session_id}/audio")
    async def audio(request: Request, session_id: str) -> Response:
        await authorized_session(request, session_id)
        store = _store(request)
        resolver = clip_resolver(app.state)

        # Mixing decodes and encodes audio: a worker thread, not one of the database's.
        # Usually the mix was made when the round ended and this only finds it.
        path = await run_in_threadpool(session_replay, store, session_id, resolver)
        if path is None:
            raise ApiError(404, "no_audio", "no recording was kept for this session")
        return FileResponse(
            path, media_type="audio/ogg", headers={"Cache-Control": "private, no-cache"}
        )

    app.include_router(router)
