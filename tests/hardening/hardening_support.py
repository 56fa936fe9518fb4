"""Helpers of the hardening tests: servers (in-process uvicorn, forked real processes) and
a websocket client that resumes after every fault and keeps score of what it saw."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from server.app import create_app
from server.main import uvicorn_options
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SERVER_SCENARIOS = ROOT / "tests" / "server" / "scenarios"
CHAT = "server-test-chat"
LONG = "hardening-long"
# What a voice server started with `HARDENING_FAKE_SPEECH=1` hears in any audio that is
# not silence (no speech models are loaded: an energy detector and scripted words).
FAKE_ANSWER = "I would shard the cache by tenant"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_long_scenario(directory: Path, questions: int = 400) -> Path:
    """A chat scenario of one question after another and no timers: every answer gets
    exactly one reply, and no clock ends the round while faults are injected."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = [
        f"id: {LONG}",
        "title: Hardening long chat",
        "round: behavioral",
        "minutes: 240",
        "summary: Many questions in a row.",
        "start: q1",
        'closing: "That is all."',
        "nodes:",
    ]
    for i in range(1, questions + 1):
        nxt = f"q{i + 1}" if i < questions else "end"
        lines += [f"  q{i}:", f'    say: "Question {i}?"', "    next:", f"      - goto: {nxt}"]
    lines += [
        "rubric:",
        "  - id: answers",
        "    title: Answers",
        "    anchors: {1: None., 3: Some., 5: All.}",
        "    levels:",
        "      - level: 3",
    ]
    path = directory / f"{LONG}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return directory


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


# ------------------------------------------------------------------ servers


class ErrorLog(logging.Handler):
    """Every ERROR (or worse) record of any logger: uncaught exceptions in the ASGI app,
    failed websocket tasks, failed session drivers, never-retrieved task exceptions."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("websockets.client"):
            return  # the test's own clients, which share the process
        self.records.append(record)

    def messages(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()} {r.exc_info!r}" for r in self.records]


class InProcessServer:
    """The app under real uvicorn (the same options as `mockloop serve`) on a free
    loopback port, in a thread of the test process: fast to start, and its state is
    there to inspect."""

    def __init__(self, settings: Settings, **app_kw: Any) -> None:
        self.port = free_port()
        self.settings = settings.model_copy(update={"port": self.port, "host": "127.0.0.1"})
        self.app = create_app(self.settings, **app_kw)
        options = uvicorn_options(self.settings)
        options["log_level"] = "warning"
        self.config = uvicorn.Config(self.app, **options)
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)
        self.errors = ErrorLog()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def __enter__(self) -> InProcessServer:
        logging.getLogger().addHandler(self.errors)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("in-process server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        logging.getLogger().removeHandler(self.errors)


_ZYGOTE = (
    f"FAKE_ANSWER = {FAKE_ANSWER!r}\n"
    + """
import os, signal, sys
from pathlib import Path
import server.main  # everything the server imports, once

def fake_speech():
    # The tests' speech (tests/server/test_voice_ws.py): a window with energy is speech,
    # any audio with energy is heard as FAKE_ANSWER, and the voice is a tone.
    import server.speech.models
    from server.speech.audio import rms
    from server.speech.stt import FakeTranscriber
    from server.speech.tts import FakeSynthesizer
    from server.speech.vad import EnergyVad

    class Models:
        vad = EnergyVad()
        transcriber = FakeTranscriber(lambda audio: FAKE_ANSWER if rms(audio) > 0.01 else "")
        synthesizer = FakeSynthesizer()

    server.speech.models._load = lambda stt, tts: server.speech.models.LoadedModels(
        Models(), 0.0, 0.0
    )

signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
for line in sys.stdin:
    port, data_dir, log, env = line.rstrip("\\n").split("\\t", 3)
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for k in [k for k in os.environ if k.startswith("MOCKLOOP_")]:
            del os.environ[k]
        for pair in filter(None, env.split("\\x1f")):
            k, v = pair.split("=", 1)
            os.environ[k] = v
        if os.environ.pop("HARDENING_FAKE_SPEECH", ""):
            fake_speech()
        try:
            server.main.serve("127.0.0.1", int(port), Path(data_dir))
        finally:
            os._exit(0)
    print(pid, flush=True)
"""
)


class Zygote:
    """Starts real server processes in a fraction of a second: a parent that has
    imported the server forks one child per start, and each child runs exactly what
    `mockloop serve` runs (`server.main.serve`). Thirty restarts of a process that
    imports everything afresh would take minutes on two cores."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKLOOP_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def spawn(self, port: int, data_dir: Path, log: Path, env: dict[str, str]) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        env = {"MOCKLOOP_VOICE": "false", **env}  # chat only: no speech models to load
        pairs = "\x1f".join(f"{k}={v}" for k, v in env.items())
        self.proc.stdin.write(f"{port}\t{data_dir}\t{log}\t{pairs}\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


@dataclass
class ForkedServer:
    zygote: Zygote
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    pid: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"server-{self.port}.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pid = self.zygote.spawn(self.port, self.data_dir, self.log_path, self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"server exited:\n{self.log()[-3000:]}")
            with contextlib.suppress(OSError, ValueError):
                if http("GET", self.url + "/healthz")["status"] == "ok":
                    return
            time.sleep(0.05)
        raise RuntimeError(f"server did not come up:\n{self.log()[-3000:]}")

    def alive(self) -> bool:
        if self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self) -> None:
        """SIGKILL, then wait until the process is gone and the port is free again."""
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.pid = None

    def stop(self) -> None:
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.kill()


@contextlib.contextmanager
def zygote() -> Iterator[Zygote]:
    z = Zygote()
    try:
        yield z
    finally:
        z.close()


# ------------------------------------------------------------------ a resuming client


@dataclass
class Tally:
    """What one client saw of one session, across every connection it made."""

    received: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0  # a seq received a second time
    gaps: int = 0  # a seq skipped
    errors: list[str] = field(default_factory=list)  # `error` messages
    acked: list[str] = field(default_factory=list)  # texts whose candidate echo arrived
    replies: int = 0  # interviewer lines right after an acknowledged answer
    sent: list[str] = field(default_factory=list)
    connections: int = 0

    @property
    def last_seq(self) -> int:
        return int(self.received[-1]["seq"]) if self.received else 0

    def take(self, message: dict[str, Any]) -> None:
        if message.get("type") == "error":
            self.errors.append(str(message.get("code")))
            return
        seq = message.get("seq")
        if not isinstance(seq, int):
            return
        if seq <= self.last_seq:
            self.duplicates += 1
            return
        if seq != self.last_seq + 1:
            self.gaps += seq - self.last_seq - 1
        if message["type"] == "interviewer" and self.received[-1:]:
            self.replies += self.received[-1]["type"] == "candidate"
        if message["type"] == "candidate":
            self.acked.append(str(message["text"]))
        self.received.append(message)


FAULTS = (OSError, ConnectionClosed, InvalidHandshake, TimeoutError, asyncio.TimeoutError)


async def resuming_client(
    ws_url: str,
    session: dict[str, Any],
    tally: Tally,
    stop: asyncio.Event,
    *,
    label: str,
    think: float = 0.05,
) -> None:
    """Answers turn after turn until `stop`; after any fault it reconnects with the last
    seq it saw. Every attempt has its own text, so that a turn the server committed but
    never acknowledged, and the client then answered anew, is not mistaken for a
    duplicate."""
    url = ws_url + session["ws"]
    attempt = 0
    while not stop.is_set():
        try:
            async with connect(url, open_timeout=5, close_timeout=1, compression=None) as ws:
                tally.connections += 1
                await ws.send(
                    json.dumps(
                        {"type": "hello", "token": session["token"], "last_seq": tally.last_seq}
                    )
                )
                waiting_for: str | None = None
                while not stop.is_set():
                    if waiting_for is None or waiting_for in tally.acked:
                        if waiting_for is not None:
                            await asyncio.sleep(think)
                        attempt += 1
                        waiting_for = f"{label} answer {attempt}"
                        tally.sent.append(waiting_for)
                        await ws.send(json.dumps({"type": "say", "text": waiting_for}))
                    raw = await asyncio.wait_for(ws.recv(), timeout=10)
                    message = json.loads(raw)
                    tally.take(message)
                    if message.get("type") == "ended":
                        return
        except FAULTS:
            await asyncio.sleep(0.05)
