"""Audio helpers: conversions, decoding, WAV, and the compressed formats."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from speech_helpers import tone

from server.speech import audio


def test_pcm16_round_trip_is_exact() -> None:
    ints = np.array([0, 1, -1, 12345, -32768, 32767], dtype="<i2")
    floats = audio.pcm16_to_float32(ints.tobytes())
    assert floats.dtype == np.float32
    assert floats[4] == -1.0 and floats[0] == 0.0
    assert audio.float32_to_pcm16(floats) == ints.tobytes()


def test_pcm16_is_little_endian() -> None:
    assert audio.pcm16_to_float32(b"\x00\x40").tolist() == [0.5]
    assert audio.float32_to_pcm16([0.5]) == b"\x00\x40"


def test_float_to_pcm16_clips() -> None:
    out = np.frombuffer(audio.float32_to_pcm16([2.0, -2.0, 1.0]), dtype="<i2")
    assert out.tolist() == [32767, -32768, 32767]


def test_odd_byte_count_is_refused() -> None:
    with pytest.raises(ValueError):
        audio.pcm16_to_float32(b"\x00\x01\x02")


def test_rms() -> None:
    assert audio.rms(np.zeros(0, dtype=np.float32)) == 0.0
    assert audio.rms(np.full(100, 0.5, dtype=np.float32)) == pytest.approx(0.5)
    assert audio.rms(tone(1.0, level=1.0)) == pytest.approx(1 / np.sqrt(2), rel=1e-3)


def test_wav_round_trip(tmp_path: Path) -> None:
    clip = tone(0.5)
    path = tmp_path / "a.wav"
    audio.write_wav(path, clip)
    back = audio.decode_audio(path)
    assert back.shape == clip.shape
    assert np.max(np.abs(back - clip)) < 1e-4


def test_decode_resamples_to_16k_mono() -> None:
    rate = 44_100
    t = np.arange(rate, dtype=np.float32) / rate
    clip = (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    back = audio.decode_audio(audio.wav_bytes(clip, rate))
    assert abs(back.size - 16_000) <= 16
    assert audio.rms(back) == pytest.approx(audio.rms(clip), rel=0.02)


def test_resample_keeps_duration_and_level() -> None:
    clip = tone(1.0, freq=300)
    up = audio.resample(clip, 16_000, 22_050)
    assert abs(up.size - 22_050) <= 32
    assert audio.rms(up) == pytest.approx(audio.rms(clip), rel=0.02)
    assert audio.resample(clip, 16_000, 16_000) is not clip


@pytest.mark.parametrize("codec", ["opus", "mp3"])
def test_compressed_round_trip_and_determinism(codec: audio.Codec) -> None:
    clip = np.concatenate([tone(1.0, freq=300), tone(1.0, freq=500, level=0.1)])
    data = audio.encode_audio(clip, 16_000, codec=codec)
    assert data == audio.encode_audio(clip, 16_000, codec=codec)
    assert len(data) < len(audio.wav_bytes(clip)) / 4
    back = audio.decode_audio(data)
    assert 0 <= back.size - clip.size < 0.08 * 16_000  # both pad their last frame
    n = min(back.size, clip.size)
    if codec == "opus":
        # Opus reports its pre-skip, so samples line up: compare them directly.
        corr = np.corrcoef(back[:n], clip[:n])[0, 1]
        assert corr > 0.95
    assert audio.rms(back[:n]) == pytest.approx(audio.rms(clip[:n]), rel=0.1)


def test_ogg_opus_header_and_streaming_writer() -> None:
    clip = tone(2.0, freq=250)
    whole = audio.encode_ogg_opus(clip)
    assert whole[:4] == b"OggS" and b"OpusHead" in whole[:100]
    buffer = io.BytesIO()
    with audio.CompressedWriter(buffer) as writer:
        for i in range(0, clip.size, 700):  # odd chunk sizes, as frames arrive
            writer.write(clip[i : i + 700])
    streamed = buffer.getvalue()
    back = audio.decode_audio(streamed)
    # FFmpeg does not trim the last 20 ms Opus frame to the stream's end granule.
    assert clip.size <= back.size <= clip.size + 320
    assert np.corrcoef(back[: clip.size], clip)[0, 1] > 0.95


def test_writer_to_path_and_closed_writer(tmp_path: Path) -> None:
    path = tmp_path / "session.ogg"
    writer = audio.CompressedWriter(path)
    writer.write(tone(0.5))
    writer.close()
    writer.close()  # idempotent
    with pytest.raises(ValueError):
        writer.write(tone(0.1))
    assert 8_000 <= audio.decode_audio(path).size <= 8_000 + 320


def test_resample_pcm16() -> None:
    clip = tone(1.0, freq=300)
    out = audio.resample_pcm16(audio.float32_to_pcm16(clip), 16_000, 22_050)
    assert abs(len(out) // 2 - 22_050) <= 32
    assert audio.rms(audio.pcm16_to_float32(out)) == pytest.approx(audio.rms(clip), rel=0.02)
