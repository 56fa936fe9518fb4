"""The Listener with the real VAD and Whisper, fed jfk.flac like a browser would."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jiwer
import numpy as np
import pytest
from speech_helpers import JFK_TEXT, normalise, silence, stream

from server.speech import audio
from server.speech.listener import Listener, ListenerEvent, Partial, Speaking, Turn
from server.speech.models import SpeechModels

pytestmark = pytest.mark.slow


class Collector:
    def __init__(self) -> None:
        self.events: list[tuple[float, ListenerEvent]] = []

    async def __call__(self, event: ListenerEvent) -> None:
        self.events.append((time.perf_counter(), event))

    def turns(self) -> list[tuple[float, Turn]]:
        return [(t, e) for t, e in self.events if isinstance(e, Turn)]


async def test_streamed_answer_becomes_one_turn_after_the_end_silence(
    models: SpeechModels, jfk_path: Path, executor: ThreadPoolExecutor
) -> None:
    jfk = audio.decode_audio(jfk_path)
    got = Collector()
    listener = Listener(
        models.vad, models.transcriber, executor, got, end_silence=2.5, hotwords="RLHF, KV cache"
    )
    # 20 ms frames (an odd size next to the VAD's 32 ms windows), in real time.
    await stream(listener.feed, np.concatenate([jfk, silence(3.0)]), chunk=320)
    await listener.drain()
    turns = got.turns()
    assert len(turns) == 1
    _, turn = turns[0]
    assert turn.reason == "silence"
    assert jiwer.wer(normalise(JFK_TEXT), normalise(turn.text)) <= 0.10, turn.text
    # The turn ended 2.5 s after the last word, not at any of jfk's ~1 s pauses.
    assert 10.0 < turn.end < 11.0
    assert turn.at == pytest.approx(turn.end + 2.5, abs=0.05)
    assert 0.0 < turn.start < 0.6
    assert turn.words and turn.start - 0.5 <= turn.words[0].start
    assert turn.words[-1].end <= turn.end + 0.5
    kinds = [type(e) for _, e in got.events]
    assert kinds[0] is Speaking and kinds[-1] is Turn and kinds.count(Speaking) == 1
    assert Partial in kinds
    # Speculation: guesses at the pauses were dropped, and the last one was the answer.
    stats = listener.stats
    assert stats.speculative_dropped >= 2
    assert stats.speculative_used == 1
    await listener.aclose()


async def test_speculative_transcript_is_ready_when_the_silence_ends_the_turn(
    models: SpeechModels, jfk_path: Path, executor: ThreadPoolExecutor
) -> None:
    jfk = audio.decode_audio(jfk_path)[: int(7.6 * 16_000)]  # "...can do for you"
    got = Collector()
    # A longer end silence gives a shared, busy CI machine ample time for the guess.
    listener = Listener(models.vad, models.transcriber, executor, got, end_silence=6.0)
    await stream(listener.feed, np.concatenate([jfk, silence(6.5)]))
    await listener.drain()
    [(_, turn)] = got.turns()
    assert "fellow americans" in normalise(turn.text)
    assert listener.stats.ready_on_end == 1
    assert listener.stats.waits[0] < 0.1
    await listener.aclose()


async def test_done_ends_the_turn_at_once(
    models: SpeechModels, jfk_path: Path, executor: ThreadPoolExecutor
) -> None:
    jfk = audio.decode_audio(jfk_path)
    got = Collector()
    listener = Listener(models.vad, models.transcriber, executor, got, end_silence=2.5)
    await stream(listener.feed, jfk[: int(7.5 * 16_000)], pace=2.0)
    pressed = time.perf_counter()
    await listener.done()
    await listener.drain()
    [(when, turn)] = got.turns()
    assert turn.reason == "done"
    assert turn.at == pytest.approx(7.5, abs=0.04)
    text = normalise(turn.text)
    assert "fellow americans" in text and "country can do for you" in text
    assert "ask what you can do" not in text
    # No waiting for a silence: only the transcription itself (generous for a busy box).
    assert when - pressed < 5.0
    # The rest of the recording is the next answer.
    await stream(listener.feed, np.concatenate([jfk[int(7.5 * 16_000) :], silence(3.0)]), pace=2.0)
    await listener.drain()
    assert len(got.turns()) == 2
    assert "ask what you can do" in normalise(got.turns()[1][1].text)
    await listener.aclose()
