"""The coding rounds' route: run the candidate's code (docs/PROTOCOL.md, v1.1).

`POST /api/sessions/{id}/code/run` runs the code in the sandbox (`server.coding`), off the
event loop and a few at a time for the whole server, then hands the run to the session's
driver, which stores the code and the run as events of the session and lets the
interviewer react. The answer goes out once the run is stored.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from interviewer import Scenario
from server.api import authorized_session
from server.coding.harness import RunResult, run_code
from server.errors import ApiError
from server.inbox import Ran
from server.registry import SessionRegistry
from server.settings import Settings

router = APIRouter()


class RunBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The editor's limit (`max_code_chars`, default 20,000) is checked in the route.
    code: Annotated[str, Field(max_length=1_000_000)]
    tests: StrictBool


class CodeRunner:
    """The server's runs: at most `settings.code_runs` at once (each is a process with a CPU
    second budget of its own), one at a time per session."""

    def __init__(self, settings: Settings) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=settings.code_runs, thread_name_prefix="code"
        )
        self._slots = asyncio.Semaphore(settings.code_runs)
        self._queue_wait = settings.code_queue_wait
        self._running: set[str] = set()

    async def run(self, session_id: str, scenario: Scenario, body: RunBody) -> RunResult:
        assert scenario.code is not None
        if session_id in self._running:
            raise ApiError(429, "busy", "a run of this session is still going; wait for it")
        self._running.add(session_id)
        try:
            try:
                await asyncio.wait_for(self._slots.acquire(), self._queue_wait)
            except TimeoutError:
                raise ApiError(
                    429, "busy", "the server is running other code; try again in a moment"
                ) from None
            try:
                loop = asyncio.get_running_loop()
                task = scenario.code
                return await loop.run_in_executor(
                    self._executor, lambda: run_code(task, body.code, tests=body.tests)
                )
            finally:
                self._slots.release()
        finally:
            self._running.discard(session_id)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


@router.post("/api/sessions/{session_id}/code/run")
async def code_run(request: Request, session_id: str) -> JSONResponse:
    # The key is checked before the body is read: a request without it learns nothing.
    record = await authorized_session(request, session_id)
    try:
        body = RunBody.model_validate_json(await request.body())
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise ApiError(422, "invalid_request", where) from None
    settings: Settings = request.app.state.settings
    if len(body.code) > settings.max_code_chars:
        raise ApiError(413, "too_long", f"code is limited to {settings.max_code_chars} characters")
    scenario: Scenario | None = request.app.state.catalog.get(record.scenario_id)
    if scenario is None or scenario.code is None:
        raise ApiError(409, "not_coding", "this round has no code to run")
    if record.status == "ended":
        raise ApiError(409, "ended", "the interview is over")
    if record.status != "live":
        raise ApiError(409, "not_started", "the interview has not started yet")
    runner: CodeRunner = request.app.state.code_runner
    result = await runner.run(session_id, scenario, body)
    registry: SessionRegistry = request.app.state.registry
    stored: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    ran = Ran(
        code=body.code,
        tests=body.tests,
        exit_code=result.exit_code,
        timed_out=result.timed_out,
        seconds=result.seconds,
        figures=dict(result.figures),
        tests_result=result.tests.to_wire() if result.tests is not None else None,
        stored=stored,
    )
    if not registry.driver(session_id).submit(ran) or not await stored:
        raise ApiError(409, "ended", "the interview is over")
    return JSONResponse(result.to_wire(), headers={"Cache-Control": "no-store"})
