"""The speech cache, with a fake synthesizer (the real voice is in the slow tests)."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from server.speech import audio
from server.speech.tts import FakeSynthesizer, SpeechCache


class OtherVoice(FakeSynthesizer):
    voice_id = "other-tone"


class SlowerTone(FakeSynthesizer):
    @property
    def settings(self) -> Mapping[str, Any]:
        return {"seconds_per_char": 0.02}


def test_path_is_stable_and_keyed_by_text_voice_settings_and_format(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path, FakeSynthesizer())
    path = cache.path_for("Tell me about a project.")
    assert path == SpeechCache(tmp_path, FakeSynthesizer()).path_for("Tell me about a project.")
    assert path.parent == tmp_path and path.suffix == ".mp3"
    assert len(path.stem) == 64 and int(path.stem, 16) >= 0
    others = {
        cache.path_for("Tell me about another project."),
        SpeechCache(tmp_path, OtherVoice()).path_for("Tell me about a project."),
        SpeechCache(tmp_path, SlowerTone()).path_for("Tell me about a project."),
        SpeechCache(tmp_path, FakeSynthesizer(), audio_format="wav")
        .path_for("Tell me about a project.")
        .with_suffix(".mp3"),
        SpeechCache(tmp_path, FakeSynthesizer(), bitrate=32_000).path_for(
            "Tell me about a project."
        ),
    }
    assert path not in others and len(others) == 5
    assert not path.exists()  # asking where it goes does not synthesize


def test_ensure_synthesizes_once_and_writes_atomically(tmp_path: Path) -> None:
    synth = FakeSynthesizer()
    cache = SpeechCache(tmp_path / "speech", synth)
    first = cache.ensure("Hello there.")
    assert first.is_file() and first == cache.path_for("Hello there.")
    again = cache.ensure("Hello there.")
    assert again == first and synth.calls == ["Hello there."]
    assert [p.name for p in first.parent.iterdir()] == [first.name]  # no temp files left
    decoded = audio.decode_audio(first)
    assert decoded.size > 0.1 * 16_000


def test_a_new_cache_object_finds_existing_files(tmp_path: Path) -> None:
    SpeechCache(tmp_path, FakeSynthesizer()).ensure("Line one.")
    synth = FakeSynthesizer()
    SpeechCache(tmp_path, synth).ensure("Line one.")
    assert synth.calls == []


@pytest.mark.parametrize(("fmt", "magic"), [("mp3", None), ("opus", b"OggS"), ("wav", b"RIFF")])
def test_formats(tmp_path: Path, fmt: str, magic: bytes | None) -> None:
    cache = SpeechCache(tmp_path, FakeSynthesizer(), audio_format=fmt)  # type: ignore[arg-type]
    path = cache.ensure("Why this team?")
    data = path.read_bytes()
    if magic is not None:
        assert data.startswith(magic)
    assert audio.rms(audio.decode_audio(path)) == pytest.approx(0.2 / np.sqrt(2), rel=0.15)
    # Same line, same bytes: files can be served with long-lived caching.
    other = SpeechCache(tmp_path / "again", FakeSynthesizer(), audio_format=fmt)  # type: ignore[arg-type]
    assert other.ensure("Why this team?").read_bytes() == data


def test_warm_reports_progress_and_skips_duplicates(tmp_path: Path) -> None:
    synth = FakeSynthesizer()
    cache = SpeechCache(tmp_path, synth)
    seen: list[tuple[int, int]] = []
    paths = cache.warm(["A.", "B.", "A.", "C."], lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert [p.is_file() for p in paths] == [True] * 3
    assert sorted(synth.calls) == ["A.", "B.", "C."]
    cache.warm(["A.", "B.", "C."])
    assert len(synth.calls) == 3


def test_concurrent_ensure_of_one_line_synthesizes_once(tmp_path: Path) -> None:
    synth = FakeSynthesizer()
    cache = SpeechCache(tmp_path, synth)
    with ThreadPoolExecutor(max_workers=4) as pool:
        paths = list(pool.map(cache.ensure, ["Same line."] * 8))
    assert len(set(paths)) == 1 and synth.calls == ["Same line."]


def test_failed_synthesis_leaves_nothing_behind(tmp_path: Path) -> None:
    class Broken(FakeSynthesizer):
        def synthesize(self, text: str) -> Any:
            raise RuntimeError("voice exploded")

    cache = SpeechCache(tmp_path, Broken())
    with pytest.raises(RuntimeError):
        cache.ensure("Anything.")
    assert list(tmp_path.iterdir()) == []


def test_synthesize_gives_pcm16_and_rate() -> None:
    from server.speech.tts import synthesize

    pcm, rate = synthesize("Hello.", FakeSynthesizer())
    assert rate == 16_000
    samples = audio.pcm16_to_float32(pcm)
    assert samples.size == int(16_000 * (0.1 + 0.01 * len("Hello.")))
    assert audio.rms(samples) == pytest.approx(0.2 / np.sqrt(2), rel=0.02)
