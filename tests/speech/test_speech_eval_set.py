"""The spoken evaluation set (tests/speech/eval): its data, and its audio as generated."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "eval"))

import spoken_set

from server.speech.audio import SAMPLE_RATE


def test_the_set_has_paused_answers_fillers_and_clean_endings() -> None:
    answers = spoken_set.load_answers()
    assert len(answers) >= 40
    pauses = [p for a in answers for p in a.pauses]
    assert len(pauses) >= 20 and min(pauses) >= 1.0 and max(pauses) <= 3.0
    assert sum(a.fillers for a in answers) >= 10
    assert sum(not a.pauses for a in answers) >= 15
    for answer in answers:
        # A thinking pause comes after an unfinished phrase, never after a full stop.
        assert all(not part.endswith((".", "?", "!")) for part in answer.parts[:-1]), answer
        assert answer.parts[-1].endswith("."), answer


@pytest.mark.slow
def test_the_generated_audio_has_its_pauses_where_the_data_says() -> None:
    clips = spoken_set.build(piper=spoken_set.piper_voice, limit=3, noisy_every=3)
    assert [c.voice for c in clips] == ["piper", "piper-slow", *([c.voice for c in clips][2:])]
    assert clips[2].snr_db == 20.0 and clips[0].snr_db is None
    first = clips[0]
    assert len(first.pauses) == 1
    start, end = first.pauses[0]
    assert end - start == pytest.approx(1.5)
    pause = first.audio[round(start * SAMPLE_RATE) + 10 : round(end * SAMPLE_RATE) - 10]
    assert np.abs(pause).max() == 0.0
    assert np.abs(first.audio[: round(first.speech_end * SAMPLE_RATE)]).max() > 0.1
    assert first.audio.size / SAMPLE_RATE == pytest.approx(first.speech_end + 4.0, abs=0.01)
