"""The replay track: decoding, placing on the session clock, caching."""

from __future__ import annotations

import io
import os
import time
import wave
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from server.messages import messages_from_stored
from server.review import audio as audio_module
from server.review.audio import clip_resolver, decode_16k, mix_down, replay_audio, session_replay
from server.speech.audio import SAMPLE_RATE, encode_ogg_opus, wav_bytes
from server.storage import AudioTrack, SessionRecord, Store

Samples = np.ndarray[Any, np.dtype[np.float32]]


def tone(seconds: float, freq: float, rate: int = SAMPLE_RATE, level: float = 0.3) -> Samples:
    t = np.arange(int(seconds * rate), dtype=np.float32) / rate
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(samples: Samples) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.argmax(spectrum) * SAMPLE_RATE / samples.size)


def test_stereo_wav_at_another_rate_decodes_to_16k_mono(tmp_path: Path) -> None:
    left = tone(3.0, 440.0, rate=44_100)
    pcm = (np.stack([left, left], axis=1) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44_100)
        w.writeframes(pcm.tobytes())
    path = tmp_path / "stereo.wav"
    path.write_bytes(buffer.getvalue())
    out = decode_16k(path)
    assert abs(out.size - 3 * SAMPLE_RATE) < 200
    assert abs(peak_hz(out) - 440.0) < 2.0
    assert abs(float(np.sqrt(np.mean(out**2))) - 0.3 / np.sqrt(2)) < 0.02


def test_long_opus_decodes_without_seams_between_pieces(tmp_path: Path) -> None:
    path = tmp_path / "long.ogg"
    path.write_bytes(encode_ogg_opus(tone(25.0, 300.0)))
    out = decode_16k(path)
    assert abs(out.size / SAMPLE_RATE - 25.0) < 0.1
    # Pieces are resampled about every 10 s: the level stays even across those points.
    window = SAMPLE_RATE // 10
    levels = [
        float(np.sqrt(np.mean(out[i : i + window] ** 2)))
        for i in range(SAMPLE_RATE, out.size - SAMPLE_RATE, window)
    ]
    assert max(levels) - min(levels) < 0.02


def test_tracks_land_at_their_offsets(tmp_path: Path) -> None:
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    a.write_bytes(wav_bytes(tone(1.0, 440.0)))
    b.write_bytes(wav_bytes(tone(2.0, 880.0)))
    mix = mix_down([(a, 2.0), (b, -1.0)])
    # b loses its first second (before the session began) and fills 0-1 s; a fills 2-3 s.
    assert abs(mix.size - 3 * SAMPLE_RATE) < 10
    first, gap, last = (
        mix[int(s * SAMPLE_RATE) : int((s + 0.9) * SAMPLE_RATE)] for s in (0.05, 1.05, 2.05)
    )
    assert abs(peak_hz(first) - 880.0) < 5 and abs(peak_hz(last) - 440.0) < 5
    assert float(np.abs(gap).max()) < 0.01


def test_the_mix_is_cached_and_rebuilt_when_a_recording_changes(tmp_path: Path) -> None:
    rec = tmp_path / "candidate.wav"
    rec.write_bytes(wav_bytes(tone(1.0, 440.0)))
    tracks = [AudioTrack("candidate", rec, "audio/wav", 0.5, None)]
    first = replay_audio(tmp_path, tracks, [])
    assert first is not None and first.name.startswith("replay-")
    stamp = first.stat().st_mtime_ns
    assert replay_audio(tmp_path, tracks, []) == first and first.stat().st_mtime_ns == stamp
    rec.write_bytes(wav_bytes(tone(2.0, 440.0)))
    second = replay_audio(tmp_path, tracks, [])
    assert second is not None and second != first and not first.exists()
    assert replay_audio(tmp_path, [], []) is None


def test_interviewer_clips_are_found_by_the_speech_cache_name(tmp_path: Path) -> None:
    name = "ab" * 32 + ".wav"
    (tmp_path / name).write_bytes(wav_bytes(tone(0.5, 660.0)))
    resolve = clip_resolver(SimpleNamespace(speech_cache=SimpleNamespace(directory=tmp_path)))
    assert resolve is not None
    assert resolve(f"/speech/{name}?v=1") == tmp_path / name
    assert resolve("/speech/../../etc/passwd") is None
    assert resolve("/speech/" + "cd" * 32 + ".wav") is None
    assert clip_resolver(SimpleNamespace()) is None
    own = clip_resolver(SimpleNamespace(speech_clip_path=lambda url: tmp_path / name))
    assert own is not None and own("x") == tmp_path / name

    messages = [
        {"type": "interviewer", "seq": 1, "text": "Hi.", "audio": f"/speech/{name}", "at": 1.0}
    ]
    out_dir = tmp_path / "session"
    mixed = replay_audio(out_dir, [], messages_from_stored(messages), resolve)
    assert mixed is not None
    decoded = decode_16k(mixed)
    assert abs(decoded.size / SAMPLE_RATE - 1.5) < 0.1
    assert float(np.abs(decoded[: int(0.9 * SAMPLE_RATE)]).max()) < 0.02
    assert abs(peak_hz(decoded[int(1.05 * SAMPLE_RATE) :]) - 660.0) < 10


def _voice_session(store: Store, session_id: str, messages: list[dict[str, Any]]) -> None:
    record = SessionRecord(
        id=session_id,
        scenario_id="x",
        mode="voice",
        seed=1,
        time_scale=1.0,
        token_hash="0" * 64,
        status="created",
        created_at=0.0,
    )
    store.write(store.write_session, record)
    store.write(store.write_begin, session_id, 0.0, messages_from_stored(messages))
    store.save_audio(session_id, "candidate", wav_bytes(tone(1.0, 440.0)), media_type="audio/wav")


def test_a_session_deleted_while_its_mix_is_made_leaves_no_audio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(f"sqlite:///{tmp_path}/db.sqlite", tmp_path)
    try:
        name = "ab" * 32 + ".wav"
        (tmp_path / name).write_bytes(wav_bytes(tone(0.5, 660.0)))
        _voice_session(
            store, "s1", [{"type": "interviewer", "seq": 1, "audio": f"/speech/{name}", "at": 0.0}]
        )

        def resolve_then_delete(url: str) -> Path:
            # The delete lands while the mix is being made (clips are looked up first).
            store.delete_session("s1")
            return tmp_path / name

        assert session_replay(store, "s1", resolve_then_delete) is None
        assert not store.audio_dir("s1").exists()

        _voice_session(store, "s2", [])
        mixed = session_replay(store, "s2", None)
        assert mixed is not None and mixed.parent == store.audio_dir("s2")

        # Deleted once the recordings were decoded, before the mix is written: the folder
        # the delete removed must not come back with the mix in it.
        _voice_session(store, "s3", [])

        def mix_then_delete(items: Any) -> Any:
            mixed = mix_down(items)
            store.delete_session("s3")
            assert not store.audio_dir("s3").exists()
            return mixed

        monkeypatch.setattr(audio_module, "mix_down", mix_then_delete)
        assert session_replay(store, "s3", None) is None
        assert not store.audio_dir("s3").exists()
    finally:
        store.close()


def test_a_mix_cut_short_leaves_no_temporary_file_for_long(tmp_path: Path) -> None:
    rec = tmp_path / "candidate.wav"
    rec.write_bytes(wav_bytes(tone(1.0, 440.0)))
    stale, fresh = tmp_path / ".tmp-replay-old.ogg", tmp_path / ".tmp-replay-new.ogg"
    stale.write_bytes(b"half a mix")
    fresh.write_bytes(b"a mix being written")
    hours_ago = time.time() - 2 * 3600
    os.utime(stale, (hours_ago, hours_ago))
    assert replay_audio(tmp_path, [AudioTrack("candidate", rec, "audio/wav", 0.0, None)], [])
    assert not stale.exists() and fresh.exists()
