"""Voice sessions over the websocket: the server's speech wiring (`server.voice`).

The fast tests run the whole path with fake speech (an energy VAD, scripted transcripts,
a tone for a voice): clips, warming, turns by silence and by "done", stored words and
recording, health and a server whose models cannot load. The slow ones stream real
speech at real-time pace through the real models.
"""

from __future__ import annotations

import functools
import io
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from server_testing import SCENARIO, new_session
from starlette.testclient import WebSocketTestSession

from interviewer import Scenario, load_catalog
from server import voice_channel as voice_module
from server.app import create_app
from server.settings import Settings
from server.speech.audio import SAMPLE_RATE, decode_audio, float32_to_pcm16, resample, rms
from server.speech.models import SpeechModels
from server.speech.recording import _Recording
from server.speech.stt import FakeTranscriber
from server.speech.tts import FakeSynthesizer
from server.speech.turn import TEXT_SILENCE
from server.speech.vad import EnergyVad
from server.voice import VoiceService

JFK = Path(__file__).resolve().parents[2] / ".." / "shared" / "audio" / "jfk.flac"
ANSWER = "I am proud of the latency work"


def tone(seconds: float) -> npt.NDArray[np.float32]:
    t = np.arange(round(seconds * SAMPLE_RATE), dtype=np.float32) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)


def silence(seconds: float) -> npt.NDArray[np.float32]:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32)


class SlowTone(FakeSynthesizer):
    """A fake voice that takes a while per line, as piper does."""

    def __init__(self, seconds: float = 0.2) -> None:
        super().__init__()
        self.seconds = seconds

    def synthesize(self, text: str) -> npt.NDArray[np.float32]:
        time.sleep(self.seconds)
        return super().synthesize(text)


def fake_models(synthesizer: FakeSynthesizer | None = None) -> SpeechModels:
    def heard(audio: npt.NDArray[np.float32]) -> str:
        return ANSWER if rms(audio) > 0.01 else ""

    return cast(
        SpeechModels,
        SimpleModels(EnergyVad(), FakeTranscriber(heard), synthesizer or FakeSynthesizer()),
    )


class SimpleModels:
    def __init__(self, vad: Any, transcriber: Any, synthesizer: Any) -> None:
        self.vad, self.transcriber, self.synthesizer = vad, transcriber, synthesizer


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache of the interviewer's clips for the session's tests: lines are made once."""
    return tmp_path_factory.mktemp("speech")


def voice_app(
    settings: Settings,
    catalog: dict[str, Scenario],
    models: SpeechModels,
    cache: Path,
) -> FastAPI:
    settings = settings.model_copy(update={"speech_cache_dir": cache})
    return create_app(settings, catalog=catalog, speech=models)


@functools.cache
def real_scenario(scenario_id: str) -> Scenario:
    """A scenario of the project's own catalog (the test catalog has no culture round)."""
    return load_catalog(Path(__file__).resolve().parents[2] / "scenarios")[scenario_id]


def culture_app(
    settings: Settings,
    catalog: dict[str, Scenario],
    culture: str,
    models: SpeechModels,
    speech_cache: Path,
    *,
    early: bool = False,
) -> FastAPI:
    """A voice app that also offers the culture round `culture`; `early`: the early end
    of a turn on, as the server has it by default."""
    if early:
        settings = settings.model_copy(update={"voice_early_turn": True})
    return voice_app(settings, {**catalog, culture: real_scenario(culture)}, models, speech_cache)


def heard_as(said: str, unsure: frozenset[str] = frozenset()) -> SpeechModels:
    """Fake speech that hears `said` in any sound (an energy VAD, a silent synthesizer)."""
    transcriber = FakeTranscriber(lambda a: said if rms(a) > 0.01 else "", unsure=unsure)
    return cast(SpeechModels, SimpleModels(EnergyVad(), transcriber, FakeSynthesizer()))


def decided(got: list[dict[str, Any]]) -> float:
    """When the server decided the turn had ended (its `thinking` state)."""
    return float(next(m for m in got if m.get("value") == "thinking")["decided"])


def hello(ws: WebSocketTestSession, token: str) -> None:
    ws.send_json({"type": "hello", "token": token, "last_seq": 0})


def until(
    ws: WebSocketTestSession, done: Callable[[dict[str, Any]], bool], limit: int = 200
) -> list[dict[str, Any]]:
    """Messages up to and including the first for which `done` holds."""
    out: list[dict[str, Any]] = []
    for _ in range(limit):
        message = ws.receive_json()
        out.append(message)
        if done(message):
            return out
    raise AssertionError(f"not seen in {limit} messages: {out}")


def is_type(kind: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m["type"] == kind


def send_audio(
    ws: WebSocketTestSession, samples: npt.NDArray[np.float32], *, frame: int, pace: float | None
) -> None:
    """PCM16 frames of `frame` samples; `pace` None sends at once, 1.0 at real time."""
    pcm = float32_to_pcm16(samples)
    start = time.perf_counter()
    for i in range(0, samples.size, frame):
        ws.send_bytes(pcm[2 * i : 2 * (i + frame)])
        if pace is not None:
            due = start + (i + frame) / SAMPLE_RATE / pace
            time.sleep(max(0.0, due - time.perf_counter()))


def answer_aloud(ws: WebSocketTestSession) -> None:
    """One second of "speech", then the scenario's end silence: one candidate turn."""
    send_audio(ws, np.concatenate([tone(1.0), silence(3.0)]), frame=8000, pace=None)
    until(ws, is_type("candidate"))


def auth(s: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {s['token']}"}


def kept(store: Any, session_id: str, tracks: int = 1, timeout: float = 10.0) -> bool:
    """Wait until the session has `tracks` finished recordings: a recording is registered
    when it begins and gets its duration when its connection closes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = store.audio_tracks(session_id)
        if len(found) >= tracks and all(t.duration is not None for t in found):
            return True
        time.sleep(0.05)
    return False


# ------------------------------------------------------------------ fake speech (fast)


def test_a_spoken_turn_with_fake_speech(
    settings: Settings, catalog: dict[str, Scenario], speech_cache: Path
) -> None:
    app = voice_app(settings, catalog, fake_models(), speech_cache)
    with TestClient(app) as c:
        assert c.get("/healthz").json()["voice"]["status"] == "ready"
        s = new_session(c, mode="voice")
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            first = until(ws, is_type("interviewer"))[-1]
            assert first["line_id"] == "opening" and first["audio"].startswith("/speech/")
            assert first["duration"] > 0.1
            clip = c.get(first["audio"])
            assert clip.status_code == 200 and clip.headers["content-type"] == "audio/mpeg"
            assert "immutable" in clip.headers["cache-control"]
            assert decode_audio(clip.content).size / SAMPLE_RATE == pytest.approx(
                first["duration"], abs=0.1
            )

            # One second of "speech", then the scenario's end silence and a bit.
            send_audio(
                ws, np.concatenate([silence(0.5), tone(1.0), silence(3.0)]), frame=8000, pace=None
            )
            got = until(ws, lambda m: m["type"] == "interviewer")
            kinds = [m["type"] for m in got]
            assert kinds.index("state") < kinds.index("candidate") < kinds.index("interviewer")
            heard = next(m for m in got if m["type"] == "state" and m.get("speech"))
            assert heard["value"] == "listening"
            thinking = next(m for m in got if m.get("value") == "thinking")
            assert thinking["reason"] == "silence" and thinking["decided"] <= time.time()
            candidate = next(m for m in got if m["type"] == "candidate")
            assert candidate["text"] == ANSWER
            # Sent faster than real time: the span is squeezed, but ordered.
            assert 0 <= candidate["start"] <= candidate["end"]
            reply = got[-1]
            assert reply["seq"] == candidate["seq"] + 1 and reply["audio"].startswith("/speech/")
            assert ws.receive_json() == {"type": "state", "value": "listening"}
        # The words, on the session clock, and the microphone's recording.
        store = app.state.store
        assert kept(store, s["id"]), store.audio_tracks(s["id"])
        words = store.load_words(s["id"])[candidate["seq"]]
        assert [w["text"] for w in words] == ANSWER.split()
        assert candidate["start"] <= words[0]["start"] <= words[-1]["end"] <= candidate["end"]
        (track,) = store.audio_tracks(s["id"])
        assert track.track == "candidate" and track.media_type == "audio/ogg"
        assert track.duration == pytest.approx(4.5, abs=0.1)
        assert 0 <= track.offset < 5
        # The round goes on (the candidate may come back): no replay mix made ahead.
        assert app.state.voice.prepare_replay(s["id"]).result(timeout=10) is None
        assert not list(store.audio_dir(s["id"]).glob("replay-*.ogg"))
        replay = c.get(f"/api/sessions/{s['id']}/audio", headers=auth(s))
        assert replay.status_code == 200 and replay.headers["content-type"] == "audio/ogg"
        assert app.state.speech_cache.directory == speech_cache


def test_done_ends_the_turn_at_once_and_never_empty(
    settings: Settings, catalog: dict[str, Scenario], speech_cache: Path
) -> None:
    app = voice_app(settings, catalog, fake_models(), speech_cache)
    with TestClient(app) as c:
        s = new_session(c, mode="voice")
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            until(ws, is_type("interviewer"))
            # "done" before a word: the question is not used up by a stray key press.
            ws.send_json({"type": "done"})
            got = until(ws, lambda m: m["type"] == "error")
            assert got[-1]["code"] == "nothing_heard"
            send_audio(ws, tone(1.0), frame=8000, pace=None)
            ws.send_json({"type": "done"})
            got = until(ws, is_type("interviewer"))
            thinking = [m for m in got if m.get("value") == "thinking"]
            assert [m["reason"] for m in thinking] == ["done"]
            candidate = next(m for m in got if m["type"] == "candidate")
            assert candidate["text"] == ANSWER
            # playback reports become states for this connection
            ws.send_json({"type": "playback", "seq": got[-1]["seq"], "event": "started"})
            assert until(ws, lambda m: m.get("value") == "speaking")[-1]["type"] == "state"
            ws.send_json({"type": "playback", "seq": got[-1]["seq"], "event": "ended"})
            assert until(ws, lambda m: m.get("value") == "listening")[-1]["type"] == "state"
        messages = c.get(f"/api/sessions/{s['id']}", headers=auth(s)).json()["messages"]
        assert [m["type"] for m in messages] == ["phase", "interviewer", "candidate", "interviewer"]


def test_the_first_line_is_not_sent_before_its_clip_exists(
    settings: Settings, catalog: dict[str, Scenario], tmp_path: Path
) -> None:
    cache = tmp_path / "cold-cache"
    app = voice_app(settings, catalog, fake_models(SlowTone(1.0)), cache)
    with TestClient(app) as c:
        s = new_session(c, mode="voice")
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            got = until(ws, is_type("interviewer"))
            received = time.time()
            name = got[-1]["audio"].rsplit("/", 1)[1]
            # The clip was written before the line arrived.
            assert (cache / name).stat().st_mtime <= received
            kinds = [m["type"] for m in got]
            assert kinds == ["warming", "phase", "interviewer"], got
            assert got[0] == {"type": "warming", "stage": "lines", "done": 1, "total": 1}


def test_clips_not_made_yet_are_made_on_request_and_unknown_ones_are_404(
    settings: Settings, catalog: dict[str, Scenario], tmp_path: Path
) -> None:
    app = voice_app(settings, catalog, fake_models(SlowTone()), tmp_path / "cache")
    with TestClient(app) as c:
        s = new_session(c, mode="voice")
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            until(ws, is_type("interviewer"))
        service: VoiceService = app.state.voice
        assert service.clips is not None
        # The closing line comes last in the warming order: ask for it straight away.
        closing = catalog[SCENARIO].closing[0]
        name = service.clips.name(closing)
        r = c.get(f"/speech/{name}")
        assert r.status_code == 200 and len(r.content) > 100
        assert c.get("/speech/" + "0" * 64 + ".mp3").status_code == 404
        assert c.get("/speech/..%2Fmockloop.db").status_code == 404
        assert c.get("/speech/not-a-clip.mp3").status_code == 404


def voice_health_once_loaded(c: TestClient, timeout: float) -> dict[str, Any]:
    """`/healthz`'s voice part once the models have loaded or failed to."""
    deadline = time.monotonic() + timeout
    while (voice := c.get("/healthz").json()["voice"])["status"] == "loading":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return cast(dict[str, Any], voice)


def test_health_and_voice_sessions_when_the_models_cannot_load(
    settings: Settings, catalog: dict[str, Scenario], tmp_path: Path
) -> None:
    broken = settings.model_copy(update={"voice": True, "stt_model": str(tmp_path / "no-model")})
    app = create_app(broken, catalog=catalog)
    with TestClient(app) as c:
        voice = voice_health_once_loaded(c, timeout=30)
        assert voice["status"] == "unavailable"
        assert str(tmp_path / "no-model") in voice["error"]  # names the model
        assert c.get("/healthz").json()["status"] == "ok"  # chat still works
        assert 'value="voice" disabled' in c.get("/").text
        s = new_session(c, mode="voice")
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            got = until(ws, is_type("interviewer"))
            error = next(m for m in got if m["type"] == "error")
            assert error["code"] == "voice_unavailable" and "no-model" in error["message"]
            assert got[-1]["audio"] is None
            ws.send_bytes(b"\x00\x00" * 512)  # ignored, the connection stays open
            ws.send_json({"type": "say", "text": "Typed instead."})
            candidate, _ = until(ws, is_type("interviewer"))[-2:]
            assert candidate["text"] == "Typed instead."


def test_the_home_page_offers_voice_and_voice_sessions_get_the_voice_page(
    settings: Settings, catalog: dict[str, Scenario], speech_cache: Path
) -> None:
    app = voice_app(settings, catalog, fake_models(), speech_cache)
    with TestClient(app) as c:
        home = c.get("/").text
        assert 'value="voice">' in home and "unavailable</span>" not in home
        voice = new_session(c, mode="voice")
        html = c.get(voice["practice"], headers=auth(voice)).text
        assert 'id="voice-panel"' in html and 'data-worklet="/static/js/mic-worklet.js?v=' in html
        scripts = re.findall(r"<script[^>]*>", html)
        assert scripts and all(" src=" in tag for tag in scripts)  # the CSP allows no inline
        assert "style=" not in html
        assert "/static/js/voice.js?v=" in html and "/static/js/practice.js" not in html
        chat = new_session(c)
        assert 'id="voice-panel"' not in c.get(chat["practice"], headers=auth(chat)).text


def test_the_replay_audio_is_mixed_when_a_voice_round_ends(
    settings: Settings, catalog: dict[str, Scenario], speech_cache: Path
) -> None:
    app = voice_app(settings, catalog, fake_models(), speech_cache)
    with TestClient(app) as c:
        s = new_session(c, mode="voice")
        store = app.state.store
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            until(ws, is_type("interviewer"))
            answer_aloud(ws)
            ws.send_json({"type": "end"})
            until(ws, is_type("ended"))
        # Nobody has asked for the audio: the mix is made because the round is over.
        deadline = time.monotonic() + 20
        while not list(store.audio_dir(s["id"]).glob("replay-*.ogg")):
            assert time.monotonic() < deadline, "no replay mix after the round ended"
            time.sleep(0.05)
        (mixed,) = store.audio_dir(s["id"]).glob("replay-*.ogg")
        stamp = mixed.stat().st_mtime_ns
        replay = c.get(f"/api/sessions/{s['id']}/audio", headers=auth(s))
        assert replay.status_code == 200 and replay.content == mixed.read_bytes()
        assert mixed.stat().st_mtime_ns == stamp  # served as made, not made again
        assert decode_audio(replay.content).size / SAMPLE_RATE == pytest.approx(4.0, abs=0.2)


def test_a_round_that_runs_out_after_the_tab_closed_gets_its_mix_too(
    settings: Settings, catalog: dict[str, Scenario], speech_cache: Path
) -> None:
    app = voice_app(settings, catalog, fake_models(), speech_cache)
    with TestClient(app) as c:
        # Ten scenario minutes in five seconds.
        s = new_session(c, mode="voice", time_scale=120)
        store = app.state.store
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            until(ws, is_type("interviewer"))
            answer_aloud(ws)
        # The tab is gone; the round still ends on time, and its mix is made then.
        deadline = time.monotonic() + 30
        while not list(store.audio_dir(s["id"]).glob("replay-*.ogg")):
            assert time.monotonic() < deadline, store.get_session(s["id"])
            time.sleep(0.1)
        record = store.get_session(s["id"])
        assert record is not None and record.status == "ended" and record.end_reason == "time"


def test_a_long_gap_in_the_frames_starts_a_new_track_at_its_offset(
    settings: Settings,
    catalog: dict[str, Scenario],
    speech_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The voice channel's clock, pushed a minute ahead mid-round: no frames came for 60 s.
    ahead = 0.0
    clock = SimpleNamespace(
        time=lambda: time.time() + ahead, perf_counter=time.perf_counter, monotonic=time.monotonic
    )
    monkeypatch.setattr(voice_module, "time", clock)
    app = voice_app(settings, catalog, fake_models(), speech_cache)
    with TestClient(app) as c:
        s = new_session(c, mode="voice")
        store = app.state.store
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            until(ws, is_type("interviewer"))
            answer_aloud(ws)
            ahead = 60.0
            answer_aloud(ws)
        assert kept(store, s["id"], tracks=2), store.audio_tracks(s["id"])
        first, second = sorted(store.audio_tracks(s["id"]), key=lambda t: t.offset)
        assert (first.track, second.track) == ("candidate", "candidate-2")
        assert first.duration == pytest.approx(4.0, abs=0.1)
        assert second.duration == pytest.approx(4.0, abs=0.1)
        # Each on the session clock: the second starts a minute (and the little real
        # time the first answer took) after the first.
        assert 59.0 <= second.offset - first.offset < 62.0
        replay = c.get(f"/api/sessions/{s['id']}/audio", headers=auth(s))
        mixed = decode_audio(replay.content)
        assert mixed.size / SAMPLE_RATE == pytest.approx(second.offset + 4.0, abs=0.2)
        at = round((second.offset + 0.5) * SAMPLE_RATE)
        assert rms(mixed[at : at + SAMPLE_RATE // 4]) > 0.1  # the second answer, in place


def test_voice_off_and_health(settings: Settings, catalog: dict[str, Scenario]) -> None:
    with TestClient(create_app(settings, catalog=catalog)) as c:
        assert c.get("/healthz").json()["voice"] == {"status": "off"}
        assert 'value="voice" disabled' in c.get("/").text


def test_the_recording_is_registered_as_it_begins_and_finished_at_close(
    settings: Settings, catalog: dict[str, Scenario], speech_cache: Path
) -> None:
    app = voice_app(settings, catalog, fake_models(), speech_cache)
    with TestClient(app) as c:
        s = new_session(c, mode="voice")
        store = app.state.store
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            until(ws, is_type("interviewer"))
            answer_aloud(ws)  # 4 s of audio, all of it heard
            (going,) = store.audio_tracks(s["id"])
            assert going.duration is None  # still being made
            assert going.path.stat().st_mode & 0o777 == 0o600
            # Whole pages (about a second each) reach the file while the candidate speaks.
            assert decode_audio(going.path).size / SAMPLE_RATE >= 2.9
        assert kept(store, s["id"])
        (done,) = store.audio_tracks(s["id"])
        assert done.duration == pytest.approx(4.0, abs=0.1)
        assert store.unfinished_audio() == []


def test_a_voice_session_deleted_mid_recording_leaves_nothing(
    settings: Settings, catalog: dict[str, Scenario], speech_cache: Path
) -> None:
    app = voice_app(settings, catalog, fake_models(), speech_cache)
    with TestClient(app) as c:
        s = new_session(c, mode="voice")
        store = app.state.store
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            until(ws, is_type("interviewer"))
            answer_aloud(ws)
            assert store.audio_tracks(s["id"])  # registered, still being made
            assert c.delete(f"/api/sessions/{s['id']}", headers=auth(s)).status_code == 204
            until(ws, lambda m: m["type"] == "error" and m["code"] == "deleted")
        deadline = time.monotonic() + 10
        while store.audio_dir(s["id"]).exists():
            assert time.monotonic() < deadline, list(store.audio_dir(s["id"]).iterdir())
            time.sleep(0.05)


def test_recordings_left_unfinished_are_adopted_at_start_up(
    settings: Settings, catalog: dict[str, Scenario], speech_cache: Path
) -> None:
    """A server killed mid-recording leaves a track registered without a duration; the
    next start gives it its duration from the file and mixes the replay of a round that
    is over."""
    app = voice_app(settings, catalog, fake_models(), speech_cache)
    with TestClient(app) as c:
        s = new_session(c, mode="voice")
        store = app.state.store
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            until(ws, is_type("interviewer"))
            ws.send_json({"type": "end"})
            until(ws, is_type("ended"))
    # What the killed process left: a track it registered as it began, never finished.
    path = store.audio_path(s["id"], "candidate", "audio/ogg")
    rec = _Recording(path, first=time.time())
    rec.write(tone(4.0), arrived=time.time() + 4.0)
    store.save_audio(s["id"], "candidate", path, media_type="audio/ogg", offset=1.5)
    rec.close()
    assert [t.duration for t in store.audio_tracks(s["id"])] == [None]

    again = voice_app(settings, catalog, fake_models(), speech_cache)
    with TestClient(again):
        deadline = time.monotonic() + 20
        while not list(store.audio_dir(s["id"]).glob("replay-*.ogg")):
            assert time.monotonic() < deadline, store.audio_tracks(s["id"])
            time.sleep(0.05)
    (track,) = store.audio_tracks(s["id"])
    assert track.duration == pytest.approx(4.0, abs=0.1) and track.offset == 1.5


def test_the_recording_fills_gaps_with_silence(tmp_path: Path) -> None:
    rec = _Recording(tmp_path / "a" / "candidate.ogg", first=100.0)
    second = tone(1.0)
    rec.write(second, arrived=101.0)
    rec.write(second, arrived=104.0)  # two seconds of no frames before this one
    rec.write(second, arrived=105.0)
    rec.close()
    assert rec.samples == 5 * SAMPLE_RATE
    audio = decode_audio(rec.path)
    assert audio.size == pytest.approx(5 * SAMPLE_RATE, abs=SAMPLE_RATE * 0.05)
    assert rms(audio[round(1.2 * SAMPLE_RATE) : round(2.8 * SAMPLE_RATE)]) < 0.01
    assert rms(audio[round(3.2 * SAMPLE_RATE) : round(3.8 * SAMPLE_RATE)]) > 0.1


# ------------------------------------------------------------------ real speech (slow)


@pytest.fixture
def real_app(
    settings: Settings,
    catalog: dict[str, Scenario],
    speech_models: SpeechModels,
    speech_cache: Path,
) -> Iterator[FastAPI]:
    yield voice_app(settings, catalog, speech_models, speech_cache)


@pytest.mark.slow
def test_real_speech_at_real_time_pace(real_app: FastAPI) -> None:
    """jfk.flac (real human speech) streamed in 32 ms frames, then silence: the server
    hears the words, the interviewer answers with a real clip, the words and recording
    are kept for the replay."""
    assert JFK.is_file(), f"reference audio missing: {JFK.resolve()}"
    speech = decode_audio(JFK)
    with TestClient(real_app) as c:
        s = new_session(c, mode="voice")
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            until(ws, is_type("interviewer"))
            send_audio(ws, np.concatenate([speech, silence(3.5)]), frame=512, pace=1.0)
            got = until(ws, is_type("interviewer"))
        candidate = next(m for m in got if m["type"] == "candidate")
        heard = " ".join(candidate["text"].lower().replace(",", " ").split())
        assert "ask not what your country can do for you" in heard, heard
        assert "ask what you can do for your country" in heard, heard
        assert candidate["end"] - candidate["start"] == pytest.approx(10.5, abs=1.5)
        reply = got[-1]
        assert reply["text"] == "What would you do differently?"
        clip = c.get(reply["audio"])
        assert clip.status_code == 200 and clip.headers["content-type"] == "audio/mpeg"
        spoken = decode_audio(io.BytesIO(clip.content))
        assert spoken.size / SAMPLE_RATE == pytest.approx(reply["duration"], abs=0.15)
        assert rms(spoken) > 0.02
        assert any(m.get("type") == "partial" and "country" in m["text"] for m in got)

        store = real_app.state.store
        assert kept(store, s["id"]), store.audio_tracks(s["id"])
        words = store.load_words(s["id"])[candidate["seq"]]
        assert any("country" in w["text"].lower() for w in words)
        assert words == sorted(words, key=lambda w: w["start"])
        assert (
            candidate["start"] - 0.5 <= words[0]["start"]
            and words[-1]["end"] <= candidate["end"] + 0.5
        )
        (track,) = store.audio_tracks(s["id"])
        # The track follows the session clock: frames delayed by a busy machine leave
        # gaps that are filled with silence, so it can be a little longer than what was sent.
        sent = speech.size / SAMPLE_RATE + 3.5
        assert sent - 0.5 <= track.duration <= sent + 1.5


@pytest.mark.slow
def test_a_thinking_pause_over_the_websocket_is_heard_once(
    settings: Settings,
    catalog: dict[str, Scenario],
    speech_models: SpeechModels,
    speech_cache: Path,
) -> None:
    """The paused answer that came back with its second half repeated a dozen times:
    piper's "I think that on balance I would", 1.5 s of silence, "release it to vetted
    partners and measure misuse", in the culture round whose glossary is the hotwords;
    with the early end of turn on, the pause after "I would" must not end the turn."""
    culture = "culture-dual-use-release"
    app = culture_app(settings, catalog, culture, speech_models, speech_cache, early=True)
    syn = speech_models.synthesizer

    def say(text: str) -> npt.NDArray[np.float32]:
        return resample(syn.synthesize(text), syn.sample_rate, SAMPLE_RATE)

    answer = np.concatenate(
        [
            say("I think that on balance I would"),
            silence(1.5),
            say("release it to vetted partners and measure misuse."),
            silence(3.5),  # the round's end silence is 3 s
        ]
    )
    with TestClient(app) as c:
        s = new_session(c, mode="voice", scenario=culture)
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            until(ws, is_type("interviewer"))
            send_audio(ws, answer, frame=512, pace=2.0)
            got = until(ws, is_type("candidate"))
    candidates = [m for m in got if m["type"] == "candidate"]
    assert len(candidates) == 1, got
    heard = " ".join(re.sub(r"[^a-z ]+", " ", candidates[0]["text"].lower()).split())
    assert heard.count("release") == 1 and heard.count("partner") == 1, heard
    assert "on balance i would" in heard and "measure misuse" in heard, heard


@pytest.mark.slow
def test_a_finished_answer_over_the_websocket_gets_its_reply_before_the_end_silence(
    settings: Settings,
    catalog: dict[str, Scenario],
    speech_models: SpeechModels,
    speech_cache: Path,
) -> None:
    """With the early end of turn on, a finished answer in the culture round (end silence
    3 s) is ended by its wording and sound, not by waiting out the silence."""
    culture = "culture-dual-use-release"
    app = culture_app(settings, catalog, culture, speech_models, speech_cache, early=True)
    syn = speech_models.synthesizer
    said = "I would hold it back for now, and publish once the mitigations are tested."
    speech = resample(syn.synthesize(said), syn.sample_rate, SAMPLE_RATE)
    with TestClient(app) as c:
        s = new_session(c, mode="voice", scenario=culture)
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            until(ws, is_type("interviewer"))
            spoken_until = time.time() + speech.size / SAMPLE_RATE
            send_audio(ws, np.concatenate([speech, silence(3.5)]), frame=512, pace=1.0)
            got = until(ws, is_type("candidate"))
    # The piece's own trailing silence (piper ends a line with a little) counts as pause.
    assert decided(got) - spoken_until < 2.6, got
    assert "publish once" in next(m for m in got if m["type"] == "candidate")["text"]


@pytest.mark.parametrize("early", [True, False], ids=["early", "patient"])
def test_the_candidate_chooses_whether_a_finished_answer_waits_out_the_silence(
    settings: Settings, catalog: dict[str, Scenario], speech_cache: Path, early: bool
) -> None:
    """`turn_taking`: on (the default), finished wording ends the turn `TEXT_SILENCE` (0.7 s)
    into the pause; off, the round's end silence (3 s) does."""
    culture = "culture-ship-before-evals"
    models = heard_as("I would hold it back until the evals are done.")
    assert Settings().voice_early_turn  # the server's default
    app = culture_app(settings, catalog, culture, models, speech_cache, early=True)
    with TestClient(app) as c:
        s = new_session(c, mode="voice", scenario=culture)
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            until(ws, is_type("interviewer"))
            ws.send_json({"type": "turn_taking", "early": early})
            spoken_until = time.time() + 1.0
            send_audio(ws, np.concatenate([tone(1.0), silence(3.5)]), frame=512, pace=1.0)
            got = until(ws, is_type("candidate"))
    waited = decided(got) - spoken_until
    if early:
        assert TEXT_SILENCE - 0.1 <= waited < 2.2, waited
    else:
        assert waited >= 2.9, waited


def test_a_side_heard_with_low_confidence_is_asked_for_again(
    settings: Settings, catalog: dict[str, Scenario], speech_cache: Path
) -> None:
    culture = "culture-ship-before-evals"
    said = "I would hold it back until the evals are done"
    models = heard_as(said, unsure=frozenset({"hold"}))
    app = culture_app(settings, catalog, culture, models, speech_cache)
    with TestClient(app) as c:
        s = new_session(c, mode="voice", scenario=culture)
        with c.websocket_connect(s["ws"]) as ws:
            hello(ws, s["token"])
            until(ws, is_type("interviewer"))
            send_audio(ws, np.concatenate([tone(1.0), silence(3.5)]), frame=8000, pace=None)
            got = until(ws, is_type("interviewer"))
            assert next(m for m in got if m["type"] == "candidate")["text"] == said
            assert got[-1]["line_id"] == "meta.unsure_side"
            assert got[-1]["audio"].startswith("/speech/")


@pytest.mark.slow
def test_the_server_hears_with_whisper_base_when_set(
    settings: Settings, catalog: dict[str, Scenario], speech_cache: Path
) -> None:
    """MOCKLOOP_STT_MODEL=base: the server joins base from its two wheels (the
    `whisper-base` extra), loads it, passes its self-test and says which model hears."""
    chosen = settings.model_copy(
        update={"voice": True, "stt_model": "base", "speech_cache_dir": speech_cache}
    )
    app = create_app(chosen, catalog=catalog)
    with TestClient(app) as c:
        voice = voice_health_once_loaded(c, timeout=120)
        assert voice["status"] == "ready", voice
        assert voice["stt_model"].endswith("whisper-base"), voice
        heard = app.state.voice.loaded.transcriber.transcribe(decode_audio(JFK)).text.lower()
        assert "ask not what your country can do for you" in heard.replace(",", ""), heard
