"""Bad input is refused cleanly: random and hostile websocket frames (no uncaught exception,
other sessions unaffected), random HTTP requests from the OpenAPI schema (no 5xx), hostile
scenario files (a clear file:line message, quickly), and rate limits."""

from __future__ import annotations

import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hardening_support import CHAT, InProcessServer, http
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.sync.connection import Connection as ClientConnection

from interviewer import ScenarioError, load_catalog, load_scenario
from server.app import create_app
from server.settings import DEFAULT_ALLOWED_HOSTS, Settings

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parent / "server" / "scenarios"
BASE_SCENARIO = (SCENARIOS / "server-test-chat.yaml").read_text()

# Every code the server may answer a bad frame with (docs/PROTOCOL.md), and every close.
ERROR_CODES = {
    "unauthorized",
    "not_found",
    "bad_hello",
    "expected_hello",
    "hello_timeout",
    "bad_json",
    "bad_message",
    "unknown_type",
    "unexpected",
    "unsupported",
    "too_long",
    "illegal",
    "ended",
    "rate_limited",
    "too_big",
}
CLEAN_CLOSES = {1000, 1003, 1007, 1008, 1009}


# ------------------------------------------------------------------ websocket frames

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
message_types = st.sampled_from(["hello", "say", "end", "done", "playback", "?", "", "SAY"])


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = draw(
        st.dictionaries(
            st.sampled_from(["type", "text", "token", "last_seq", "seq", "event"]),
            json_values,
            max_size=4,
        )
    )
    if draw(st.booleans()):
        body["type"] = draw(message_types)
    return body


def _dumps(value: Any) -> str:
    # allow_nan: NaN and Infinity on the wire, as a hostile client would send them
    return json.dumps(value, allow_nan=True)


frames = st.one_of(
    messages().map(_dumps),  # well-formed JSON, wrong in every other way
    st.text(max_size=200),  # mostly not JSON at all
    st.binary(max_size=300),  # binary where text is expected (chat mode)
    st.binary(max_size=64).map(lambda b: ("utf8-invalid", b"\xff\xfe" + b)),  # bad UTF-8
    st.integers(1, 6).map(lambda n: '{"type":"say","text":"' + "\\ud800" * n + '"}'),
    st.integers(990, 1100).map(lambda n: '{"type":"say","text":' + "[" * n + "]" * n + "}"),
    st.integers(4300, 5000).map(lambda n: '{"type":"hello","last_seq":' + "9" * n + "}"),
    st.sampled_from(
        [
            '{"type":"say","text":NaN}',
            '{"type":"playback","seq":Infinity,"event":"started"}',
            '{"type":"hello","token":null,"last_seq":-Infinity}',
            '{"type":"say","text":"x","text":"y"}',
            '{"type":1e999}',
            "[]",
            "null",
            '"say"',
            "{" * 100_000,
            "x" * (64 * 1024 + 1),  # over the frame limit: 1009
        ]
    ),
)


class Healthy(threading.Thread):
    """A well-behaved candidate in another session, answering all along; its every
    answer must get its reply while the fuzzing goes on."""

    def __init__(self, server: InProcessServer) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.stop = threading.Event()
        self.turns = 0
        self.failures: list[str] = []
        self.slowest = 0.0

    def run(self) -> None:
        s = http("POST", self.server.url + "/api/sessions", {"scenario": "hardening-healthy"})
        try:
            with connect(self.server.ws_url + s["ws"], open_timeout=10) as ws:
                ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
                ws.recv(timeout=10)
                while not self.stop.is_set():
                    t0 = time.monotonic()
                    ws.send(json.dumps({"type": "say", "text": f"answer {self.turns}"}))
                    echo = json.loads(ws.recv(timeout=10))
                    reply = json.loads(ws.recv(timeout=10))
                    if echo.get("type") != "candidate" or reply.get("type") != "interviewer":
                        self.failures.append(f"turn {self.turns}: {echo} {reply}")
                        return
                    self.slowest = max(self.slowest, time.monotonic() - t0)
                    self.turns += 1
                    time.sleep(0.2)
        except Exception as exc:
            self.failures.append(repr(exc))


def healthy_scenario(directory: Path) -> None:
    lines = ["id: hardening-healthy", "title: Healthy", "round: behavioral", "minutes: 240"]
    lines += ["summary: Endless.", "start: q1", 'closing: "Bye."', "nodes:"]
    for i in range(1, 2001):
        nxt = f"q{i + 1}" if i < 2000 else "end"
        lines += [f"  q{i}:", f'    say: "Q{i}?"', "    next:", f"      - goto: {nxt}"]
    lines += ["rubric:", "  - id: a", "    title: A", "    anchors: {1: a, 5: b}"]
    lines += ["    levels:", "      - level: 1"]
    (directory / "hardening-healthy.yaml").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def fuzz_server() -> Any:
    root = Path(tempfile.mkdtemp(prefix="mockloop-fuzz-"))
    scenarios = root / "scenarios"
    scenarios.mkdir()
    (scenarios / "chat.yaml").write_text(BASE_SCENARIO)
    healthy_scenario(scenarios)
    settings_ = Settings(
        data_dir=root / "data",
        scenarios_dir=scenarios,
        rate_sessions_per_minute=10_000,
        hello_timeout=2.0,
    )
    if "voice" in Settings.model_fields:
        settings_ = settings_.model_copy(update={"voice": False})
    with InProcessServer(settings_, catalog=load_catalog(scenarios)) as server:
        healthy = Healthy(server)
        healthy.start()
        yield server, healthy
        healthy.stop.set()
        healthy.join(15)


def server_errors(server: InProcessServer) -> list[str]:
    """ERROR records of the server. A text frame that is not UTF-8 is refused by the
    protocol layer (close 1007) and logged as a WARNING line (`server.main`)."""
    return server.errors.messages()


def send(ws: ClientConnection, frame: Any) -> None:
    if isinstance(frame, tuple):
        ws.send(frame[1], text=True)  # a text frame whose bytes are not UTF-8
    else:
        ws.send(frame)


def drain(ws: ClientConnection, first: float = 0.3) -> list[dict[str, Any]]:
    """Every message until the server goes quiet (0.3 s) or closes. `first`: how long to
    wait for the first one, where an answer is due (a loaded machine takes its time)."""
    out: list[dict[str, Any]] = []
    try:
        while True:
            raw = ws.recv(timeout=first if not out else 0.3)
            assert isinstance(raw, str), "the server sent a binary frame"
            out.append(json.loads(raw))
    except (TimeoutError, ConnectionClosed):
        pass
    return out


@pytest.mark.slow
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(before_hello=st.booleans(), batch=st.lists(frames, min_size=1, max_size=4))
@example(before_hello=False, batch=['{"type":"say","text":"I \\ud800 did"}', '{"type":"end"}'])
@example(before_hello=True, batch=['{"type":"hello","token":"\\udfff","last_seq":0}'])
@example(before_hello=False, batch=[b"\x00\x01"])
@example(before_hello=False, batch=["x" * (64 * 1024 + 1)])
def test_hostile_frames_get_errors_never_a_crash(
    fuzz_server: Any, before_hello: bool, batch: list[Any]
) -> None:
    server, healthy = fuzz_server
    s = http("POST", server.url + "/api/sessions", {"scenario": CHAT})
    with connect(server.ws_url + s["ws"], open_timeout=10, max_size=2**21) as ws:
        if not before_hello:
            ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
            assert [m["type"] for m in drain(ws, first=10)] == ["phase", "interviewer"]
        replies: list[dict[str, Any]] = []
        try:
            for frame in batch:
                send(ws, frame)
            replies = drain(ws)
        except ConnectionClosed:
            pass
        for message in replies:
            if message["type"] == "error":
                assert message["code"] in ERROR_CODES, message
                assert set(message) == {"type", "code", "message"}
            else:
                assert isinstance(message.get("seq"), int), message
        if ws.close_code is not None:
            # never 1006: the server lingers after its close frame, so the client reads it
            # even when the rest of a refused frame was still on its way
            assert ws.close_code in CLEAN_CLOSES, (ws.close_code, replies)
        elif not before_hello:
            # still open: the session still answers on this very connection
            ws.send(json.dumps({"type": "say", "text": "Still here."}))
            tail = drain(ws, first=10)
            if not any(m.get("code") in ("ended", "rate_limited") for m in tail):
                assert [m["type"] for m in tail if m["type"] != "error"][:1] == ["candidate"], tail
    assert server_errors(server) == []
    assert not healthy.failures, healthy.failures
    assert healthy.is_alive()


@pytest.mark.slow
def test_after_the_fuzzing_the_healthy_session_answered_throughout(fuzz_server: Any) -> None:
    server, healthy = fuzz_server
    assert healthy.turns >= 5, healthy.turns
    assert not healthy.failures
    assert healthy.slowest < 5.0
    assert server_errors(server) == []


def test_a_refused_frame_still_arriving_never_costs_the_close_frame(settings: Settings) -> None:
    """The server refuses an oversized frame from its header, while the frame's body (and
    the next frame) are still on their way. Closing the socket then would reset it, and a
    reset may discard the close frame unread: the client saw 1006 about one time in
    twenty. The server lingers instead, so every client reads 1009."""
    oversized = "x" * (settings.max_frame + 1)
    codes: list[int | None] = []
    settings = settings.model_copy(update={"rate_sessions_per_minute": 1000})
    with InProcessServer(settings, catalog=load_catalog(SCENARIOS)) as server:
        for _ in range(60):
            s = http("POST", server.url + "/api/sessions", {"scenario": CHAT})
            with connect(server.ws_url + s["ws"], open_timeout=10, max_size=2**21) as ws:
                ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
                ws.recv(timeout=10), ws.recv(timeout=10)  # phase, interviewer
                try:
                    ws.send(oversized)
                    ws.send(oversized)
                    drain(ws, first=10)
                except ConnectionClosed:
                    pass
                codes.append(ws.close_code)
        assert server.errors.messages() == []
    assert set(codes) == {1009}, codes


def test_a_lone_surrogate_is_bad_json_and_the_session_goes_on(
    settings: Settings, tmp_path: Path
) -> None:
    with InProcessServer(settings, catalog=load_catalog(SCENARIOS)) as server:
        s = http("POST", server.url + "/api/sessions", {"scenario": CHAT})
        with connect(server.ws_url + s["ws"], open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
            drain(ws, first=10)
            ws.send('{"type":"say","text":"I \\ud800 did it"}')
            assert [m.get("code") for m in drain(ws, first=10)] == ["bad_json"]
            ws.send('{"type":"say","text":"A real pair: \\ud83d\\ude00"}')
            echo = drain(ws, first=10)[0]
            assert echo["type"] == "candidate" and echo["text"] == "A real pair: \U0001f600"
        assert server.errors.messages() == []


# ------------------------------------------------------------------ rate limits, real frames


def test_message_flood_warns_then_closes_1008_and_others_carry_on(settings: Settings) -> None:
    tight = settings.model_copy(update={"rate_messages_per_second": 2, "rate_messages_burst": 5})
    with InProcessServer(tight, catalog=load_catalog(SCENARIOS)) as server:
        flood = http("POST", server.url + "/api/sessions", {"scenario": CHAT})
        calm = http("POST", server.url + "/api/sessions", {"scenario": CHAT})
        with connect(server.ws_url + flood["ws"]) as ws, connect(server.ws_url + calm["ws"]) as ok:
            ok.send(json.dumps({"type": "hello", "token": calm["token"], "last_seq": 0}))
            ws.send(json.dumps({"type": "hello", "token": flood["token"], "last_seq": 0}))
            drain(ok, first=10)
            drain(ws, first=10)
            codes: list[str] = []
            with pytest.raises(ConnectionClosed):
                for _ in range(40):
                    ws.send(json.dumps({"type": "unknown"}))
                    for m in drain(ws) if len(codes) < 100 else []:
                        codes.append(m["code"])
            codes += [m["code"] for m in drain(ws)]
            assert "rate_limited" in codes
            assert codes.index("rate_limited") >= 4  # the burst went through first
            assert ws.close_code == 1008
            ok.send(json.dumps({"type": "say", "text": "Calm answer."}))
            assert [m["type"] for m in drain(ok, first=10)] == ["candidate", "interviewer"]
        assert server.errors.messages() == []


def test_session_creation_is_limited_per_address_with_429(settings: Settings) -> None:
    tight = settings.model_copy(update={"rate_sessions_per_minute": 3})
    with InProcessServer(tight, catalog=load_catalog(SCENARIOS)) as server:
        codes = []
        for _ in range(5):
            try:
                http("POST", server.url + "/api/sessions", {"scenario": CHAT})
                codes.append(201)
            except Exception as exc:
                codes.append(getattr(exc, "code", 0))
        assert codes == [201, 201, 201, 429, 429]


# ------------------------------------------------------------------ HTTP API from its schema


def _schema_app() -> Any:
    root = Path(tempfile.mkdtemp(prefix="mockloop-schema-"))
    app_settings = Settings(
        data_dir=root / "data",
        scenarios_dir=SCENARIOS,
        rate_sessions_per_minute=100_000,
        # schemathesis and the test client call the app as "testserver"
        allowed_hosts=[*DEFAULT_ALLOWED_HOSTS, "testserver"],
    )
    if "voice" in Settings.model_fields:
        app_settings = app_settings.model_copy(update={"voice": False})
    return create_app(app_settings, catalog=load_catalog(SCENARIOS))


class NoLifespan:
    """The app without its lifespan: the test client runs one per request, and its
    shutdown would stop the app's database threads for every request after the first."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await self.app(scope, receive, send)


SCHEMA_APP = NoLifespan(_schema_app())
schema = schemathesis.openapi.from_asgi("/openapi.json", SCHEMA_APP)
_SESSIONS: list[dict[str, Any]] = []


def _a_session() -> dict[str, Any]:
    """Real sessions for the generated requests to reach past authentication."""
    from fastapi.testclient import TestClient

    if len(_SESSIONS) < 8:
        # no `with`: the lifespan's shutdown would close the app for the later requests
        c = TestClient(SCHEMA_APP)
        s: dict[str, Any] = c.post("/api/sessions", json={"scenario": CHAT}).json()
        with c.websocket_connect(s["ws"]) as ws:
            ws.send_json({"type": "hello", "token": s["token"], "last_seq": 0})
            ws.receive_json()
            ws.receive_json()
            ws.send_json({"type": "say", "text": "An answer with 30 ms of latency."})
            ws.receive_json()
            ws.receive_json()
        _SESSIONS.append(s)
        return s
    return _SESSIONS[int(time.monotonic() * 1000) % len(_SESSIONS)]


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_http_api_never_answers_5xx(case: Any) -> None:
    headers: dict[str, str] = {}
    params = case.path_parameters or {}
    # half the time a real session with its token, so that bodies and queries are
    # validated past the authentication
    if params.get("session_id") and hash(str(params)) % 2 == 0:
        s = _a_session()
        case.path_parameters["session_id"] = s["id"]
        headers["Authorization"] = f"Bearer {s['token']}"
    response = case.call(headers=headers)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])


# ------------------------------------------------------------------ scenario files


def scenario_file(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def refused(path: Path, needle: str) -> ScenarioError:
    started = time.monotonic()
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert time.monotonic() - started < 2.0, "refusing took too long"
    message = str(info.value)
    assert message.startswith(f"{path}:"), message
    assert needle in message, message
    return info.value


def test_billion_laughs_is_refused_at_the_first_anchor(tmp_path: Path) -> None:
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        bomb.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    refused(scenario_file(tmp_path, BASE_SCENARIO + "\n".join(bomb) + "\n"), "anchors and aliases")


def test_a_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    text = BASE_SCENARIO + "# " + "x" * (2 * 1024 * 1024) + "\n"
    refused(scenario_file(tmp_path, text), "larger than")


@pytest.mark.parametrize("style", ["flow", "block"])
def test_a_deeply_nested_document_is_refused_with_its_line(tmp_path: Path, style: str) -> None:
    if style == "flow":
        extra = "extra: " + "[" * 5000 + "]" * 5000 + "\n"
    else:
        extra = "extra:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200))
        extra += "  " * 200 + "v: 1\n"
    refused(scenario_file(tmp_path, BASE_SCENARIO + extra), "nested more than")


@pytest.mark.parametrize("pattern", ["(a+)+$", r"(\\w+\\s?)*x", "(?:ab*){2,}c", r"(x|\\d+)*y"])
def test_catastrophic_patterns_are_refused(tmp_path: Path, pattern: str) -> None:
    text = BASE_SCENARIO.replace(
        '    phrases: ["proud"]', f'    phrases: ["proud"]\n    patterns: ["{pattern}"]'
    )
    refused(scenario_file(tmp_path, text), "repeats a group that itself repeats")


def test_long_patterns_are_refused(tmp_path: Path) -> None:
    text = BASE_SCENARIO.replace(
        '    phrases: ["proud"]', f'    phrases: ["proud"]\n    patterns: ["{"a?" * 400}"]'
    )
    refused(scenario_file(tmp_path, text), "at most 300 characters")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (BASE_SCENARIO + "surprise: 1\n", "unknown key 'surprise'"),
        (BASE_SCENARIO.replace("if: heard('specific')", "if: open('/etc/passwd')"), "unknown"),
        (BASE_SCENARIO.replace("if: heard('specific')", "if: (lambda: 1)()"), "not allowed"),
        (BASE_SCENARIO.replace("if: heard('specific')", "if: 9**9**9**9"), ""),
        ("\x00\x01\x02", ""),
        ("- just\n- a list\n", ""),
    ],
)
def test_hostile_documents_get_a_clear_message(tmp_path: Path, text: str, needle: str) -> None:
    refused(scenario_file(tmp_path, text), needle)


def test_bytes_that_are_not_utf8_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(BASE_SCENARIO.encode() + b"\nsummary2: \xff\xfe\n")
    refused(path, "not UTF-8")
