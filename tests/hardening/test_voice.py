"""Voice, attacked from outside (real server processes in voice mode, with the tests' fake
speech so that no model has to load): one connection flooding audio, many voice
connections from one address or to one session, and a SIGKILL in the middle of a spoken
round."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hardening_support import (
    CHAT,
    FAKE_ANSWER,
    LONG,
    SERVER_SCENARIOS,
    ForkedServer,
    http,
    write_long_scenario,
)
from outside import call
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from server.speech.audio import SAMPLE_RATE, decode_audio, float32_to_pcm16

pytestmark = pytest.mark.slow

Serve = Callable[..., ForkedServer]
VOICE = {"MOCKLOOP_VOICE": "true", "HARDENING_FAKE_SPEECH": "1"}
SECOND = 2 * SAMPLE_RATE  # bytes of PCM16 in a second of audio
FRAME = 64 * 1024


def tone(seconds: float) -> npt.NDArray[np.float32]:
    t = np.arange(round(seconds * SAMPLE_RATE), dtype=np.float32) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)


def silence(seconds: float) -> npt.NDArray[np.float32]:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32)


def send_audio(ws: ClientConnection, samples: npt.NDArray[np.float32]) -> None:
    """All at once, in frames of half a second (the frame limit is 64 KiB)."""
    pcm = float32_to_pcm16(samples)
    for i in range(0, len(pcm), SECOND // 2):
        ws.send(pcm[i : i + SECOND // 2])


def errors_in(log: str) -> list[str]:
    return [line for line in log.splitlines() if "ERROR" in line or "Traceback" in line]


def voice_session(server: ForkedServer) -> dict[str, Any]:
    return http("POST", server.url + "/api/sessions", {"scenario": CHAT, "mode": "voice"})  # type: ignore[no-any-return]


def messages_until(ws: ClientConnection, kind: str, timeout: float = 30) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        got.append(message)
        if message.get("type") == kind:
            return got


@contextlib.contextmanager
def voice(
    server: ForkedServer, s: dict[str, Any], source: str = "127.0.0.1", last_seq: int = 0
) -> Iterator[ClientConnection]:
    """A voice connection after its `hello` (the caller reads what follows)."""
    with connect(
        server.ws_url + s["ws"], open_timeout=30, max_size=None, source_address=(source, 0)
    ) as ws:
        ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": last_seq}))
        yield ws


def refused(ws: ClientConnection, timeout: float = 30) -> tuple[list[str], int | None]:
    """Error codes received until the server closed the connection, and its close code."""
    codes: list[str] = []
    try:
        while True:
            message = json.loads(ws.recv(timeout=timeout))
            if message.get("type") == "error":
                codes.append(str(message["code"]))
    except ConnectionClosed as exc:
        return codes, exc.rcvd.code if exc.rcvd is not None else None


def export(server: ForkedServer, s: dict[str, Any]) -> dict[str, Any]:
    return http(  # type: ignore[no-any-return]
        "GET",
        f"{server.url}/api/sessions/{s['id']}/export?format=json",
        headers={"Authorization": f"Bearer {s['token']}"},
    )


# ------------------------------------------------------------------ item 4: the flood


class Chat(threading.Thread):
    """Another session answering all along: every answer must get its reply."""

    def __init__(self, server: ForkedServer) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.stop = threading.Event()
        self.replies: list[float] = []
        self.health: list[int] = []
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            s = http("POST", self.server.url + "/api/sessions", {"scenario": LONG})
            with connect(self.server.ws_url + s["ws"], open_timeout=30) as ws:
                ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
                messages_until(ws, "interviewer")
                n = 0
                while not self.stop.is_set():
                    n += 1
                    began = time.monotonic()
                    ws.send(json.dumps({"type": "say", "text": f"Answer {n}."}))
                    messages_until(ws, "interviewer", timeout=60)
                    self.replies.append(time.monotonic() - began)
                    self.health.append(call(self.server.port, "GET", "/healthz").status)
                    self.stop.wait(0.2)
        except BaseException as exc:
            self.failure = exc


def test_an_audio_flood_is_cut_off_and_the_budget_outlives_the_connection(
    serve: Serve, tmp_path: Path
) -> None:
    """Before: one connection sending 64 KiB frames pushed about 14.5 minutes of audio
    in 10 s into the server (the frame limit and the frame rate allowed it), which spent
    both cores on it for half a minute."""
    scenarios = write_long_scenario(tmp_path / "scenarios")
    (scenarios / f"{CHAT}.yaml").write_text((SERVER_SCENARIOS / f"{CHAT}.yaml").read_text())
    server = serve(**VOICE, MOCKLOOP_SCENARIOS_DIR=str(scenarios))
    chat = Chat(server)
    chat.start()
    s = voice_session(server)
    audio = float32_to_pcm16(tone(60.0))
    frames = [audio[i : i + FRAME] for i in range(0, len(audio) - FRAME, FRAME)]
    with voice(server, s) as ws:
        messages_until(ws, "interviewer")
        began = time.monotonic()
        sent = 0
        try:
            while time.monotonic() - began < 10:
                ws.send(frames[sent % len(frames)])
                sent += 1
        except ConnectionClosed:
            pass
        codes, close = refused(ws)
        took = time.monotonic() - began
    assert close == 1008 and "rate_limited" in codes, (close, codes)
    assert took < 8, f"the flood went on for {took:.1f} s"

    # What the server took in: the microphone's recording holds it, on the session
    # clock. At most the 10 s head start and 1.5 times real time since.
    deadline = time.monotonic() + 10
    while True:
        tracks = export(server, s)["audio"]
        if tracks and all(t["duration"] is not None for t in tracks):
            break
        assert time.monotonic() < deadline, tracks
        time.sleep(0.1)
    taken = sum(t["duration"] for t in tracks)
    assert taken <= 10 + 1.5 * took + 2.1, (taken, took)

    # Reconnecting does not refill the budget: ten seconds of audio at once are refused.
    with voice(server, s, last_seq=10_000) as ws:
        for frame in frames[:5]:
            with contextlib.suppress(ConnectionClosed):
                ws.send(frame)
        codes, close = refused(ws)
    assert close == 1008 and "rate_limited" in codes, (close, codes)

    time.sleep(1.0)
    chat.stop.set()
    chat.join(60)
    assert chat.failure is None, repr(chat.failure)
    assert chat.replies and set(chat.health) == {200}
    assert not errors_in(server.log())


def test_a_voice_round_at_real_time_pace_is_never_limited(serve: Serve) -> None:
    """The budget leaves a candidate alone: an answer streamed as a browser streams it,
    with a stall that sends 8 s at once (the most a browser holds back), is heard."""
    server = serve(**VOICE)
    s = voice_session(server)
    with voice(server, s) as ws:
        messages_until(ws, "interviewer")
        send_audio(ws, np.concatenate([tone(2.0), silence(6.0)]))  # 8 s at once
        said = messages_until(ws, "candidate")
        assert said[-1]["text"] == FAKE_ANSWER
        pcm = float32_to_pcm16(np.concatenate([tone(2.0), silence(3.0)]))
        frame = 1024  # 32 ms
        began = time.monotonic()
        for i in range(0, len(pcm), frame):
            ws.send(pcm[i : i + frame])
            due = began + (i + frame) / SECOND
            time.sleep(max(0.0, due - time.monotonic()))
        got = messages_until(ws, "candidate")
        assert not [m for m in got if m.get("type") == "error"], got
    assert not errors_in(server.log())


def test_voice_connections_are_capped_per_session_and_per_address(serve: Serve) -> None:
    """Before: any number of voice connections, each with its own detector, recorder
    and transcriptions, to one session or from one address."""
    server = serve(**VOICE)
    first = voice_session(server)
    with contextlib.ExitStack() as stack:
        for _ in range(2):  # a reconnect may overlap the old connection
            ws = stack.enter_context(voice(server, first))
            messages_until(ws, "interviewer")
        with voice(server, first) as third:
            codes, close = refused(third)
        assert close == 1008 and codes == ["rate_limited"], (close, codes)

        # Four at once from one address (two sessions more), then no more from it...
        for _ in range(2):
            ws = stack.enter_context(voice(server, voice_session(server)))
            messages_until(ws, "interviewer")
        with voice(server, voice_session(server)) as fifth:
            codes, close = refused(fifth)
        assert close == 1008 and codes == ["rate_limited"], (close, codes)
        # ...while another address gets in.
        with voice(server, voice_session(server), source="127.0.0.2") as other:
            messages_until(other, "interviewer")
    # Closed connections make room again.
    deadline = time.monotonic() + 10
    while True:
        with voice(server, first, last_seq=10_000) as again:
            again.send(float32_to_pcm16(silence(0.5)))
            try:
                message = json.loads(again.recv(timeout=1.0))
            except TimeoutError:
                break  # admitted, and listening
        assert message.get("code") == "rate_limited", message
        assert time.monotonic() < deadline, "closed voice connections still counted"
        time.sleep(0.2)
    assert not errors_in(server.log())


# ------------------------------------------------------------------ item 6: kill -9


def test_a_sigkill_mid_round_costs_seconds_of_the_recording_not_the_round(
    serve: Serve, tmp_path: Path
) -> None:
    """Before: the candidate's recording was registered only when its connection closed,
    and the encoder's buffer held the audio: after a SIGKILL the round had a transcript
    and no candidate audio at all (a file of 0 bytes, never registered)."""
    env = {**VOICE, "MOCKLOOP_VOICE_AUDIO_BURST": "60"}
    server = serve(**env)
    s = voice_session(server)
    spoken = np.concatenate([tone(2.0), silence(3.0), tone(2.0), silence(3.0), tone(2.0)])
    with voice(server, s) as ws:
        messages_until(ws, "interviewer")
        send_audio(ws, spoken)  # 12 s of audio
        messages_until(ws, "candidate")
        messages_until(ws, "candidate")
        time.sleep(1.0)  # the last frames are encoded
        server.kill()
    sent = spoken.size / SAMPLE_RATE

    server.start()  # the same data directory
    deadline = time.monotonic() + 15
    while True:
        tracks = export(server, s)["audio"]
        if tracks and tracks[0]["duration"] is not None:
            break
        assert time.monotonic() < deadline, f"the recording was not adopted: {tracks}"
        time.sleep(0.1)
    (track,) = tracks
    assert track["track"] == "candidate"
    assert sent - 2.0 <= track["duration"] <= sent + 0.5, (track, sent)
    path = server.data_dir / "audio" / s["id"] / "candidate.ogg"
    kept = decode_audio(path).size / SAMPLE_RATE
    assert sent - 2.0 <= kept <= sent + 0.5, (kept, sent)

    # The round goes on after the restart, into a track of its own, and ends with a
    # replay that holds both.
    with voice(server, s, last_seq=10_000) as ws:
        send_audio(ws, np.concatenate([tone(1.0), silence(3.0)]))
        messages_until(ws, "candidate")
        with contextlib.suppress(ConnectionClosed):  # the script may have run out
            ws.send(json.dumps({"type": "end"}))
            messages_until(ws, "ended")
    deadline = time.monotonic() + 15
    while True:
        tracks = export(server, s)["audio"]
        if len(tracks) == 2 and all(t["duration"] is not None for t in tracks):
            break
        assert time.monotonic() < deadline, tracks
        time.sleep(0.1)
    assert sorted(t["track"] for t in tracks) == ["candidate", "candidate-2"]
    replay = call(
        server.port,
        "GET",
        f"/api/sessions/{s['id']}/audio",
        headers={"Authorization": f"Bearer {s['token']}"},
    )
    assert replay.status == 200
    assert not errors_in(server.log())
