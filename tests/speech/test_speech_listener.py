"""The Listener's logic with an energy VAD and a scripted transcriber (no models)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pytest
from speech_helpers import silence, tone

from server.speech.audio import SAMPLE_RATE, float32_to_pcm16
from server.speech.endpoint import EndpointConfig
from server.speech.listener import (
    Discarded,
    Listener,
    ListenerEvent,
    Partial,
    Speaking,
    Turn,
)
from server.speech.stt import FakeTranscriber
from server.speech.vad import EnergyVad

E = TypeVar("E", bound=ListenerEvent)


def by_length(audio: npt.NDArray[np.float32]) -> str:
    """Names the loud stretches of a piece, so a text shows what audio it came from."""
    windows = audio[: audio.size // 512 * 512].reshape(-1, 512)
    loud = np.sqrt((windows**2).mean(axis=1)) > 0.05
    runs: list[int] = []
    count = 0
    for flag in [*loud.tolist(), False]:
        if flag:
            count += 1
        elif count:
            runs.append(count)
            count = 0
    return " ".join(f"burst{round(n * 512 / SAMPLE_RATE)}" for n in runs)


class Harness:
    def __init__(
        self,
        executor: ThreadPoolExecutor,
        transcriber: FakeTranscriber | None = None,
        **kwargs: object,
    ) -> None:
        self.events: list[ListenerEvent] = []
        self.transcriber = transcriber or FakeTranscriber(script=by_length)
        self.listener = Listener(
            EnergyVad(),
            self.transcriber,
            executor,
            self.on_event,
            **kwargs,  # type: ignore[arg-type]
        )

    async def on_event(self, event: ListenerEvent) -> None:
        self.events.append(event)

    async def play(self, *clips: npt.NDArray[np.float32], chunk: int = 512) -> None:
        pcm = float32_to_pcm16(np.concatenate(clips))
        for i in range(0, len(pcm), chunk * 2):
            await self.listener.feed(pcm[i : i + chunk * 2])

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]


async def test_answer_then_silence_is_one_turn_from_the_speculative_transcript(
    executor: ThreadPoolExecutor,
) -> None:
    h = Harness(executor, hotwords="RLHF, KV cache")
    await h.play(silence(1.0), tone(2.0), silence(3.0))
    await h.listener.drain()
    assert [type(e) for e in h.events] == [Speaking, Partial, Turn]
    speaking, partial, turn = h.events
    assert isinstance(speaking, Speaking) and speaking.onset == pytest.approx(1.0, abs=0.04)
    assert isinstance(partial, Partial) and partial.text == "burst2"
    assert isinstance(turn, Turn)
    assert turn.text == "burst2" and turn.reason == "silence"
    assert turn.start == pytest.approx(1.0, abs=0.04)
    assert turn.end == pytest.approx(3.0, abs=0.04)
    assert turn.at == pytest.approx(5.5, abs=0.04)
    # One call: the speculative transcription became the answer.
    assert len(h.transcriber.calls) == 1 and h.transcriber.calls[0][1] == "RLHF, KV cache"
    assert h.listener.stats.speculative_used == 1
    # Word times are seconds of audio received, not of the piece.
    assert turn.words[0].start >= 0.6 and turn.words[-1].end <= 3.5


async def test_thinking_pause_drops_the_guess_and_keeps_one_turn(
    executor: ThreadPoolExecutor,
) -> None:
    h = Harness(executor)
    await h.play(tone(2.0), silence(1.5), tone(1.0), silence(3.0))
    await h.listener.drain()
    turns = h.of(Turn)
    assert len(turns) == 1 and len(h.of(Speaking)) == 1
    assert turns[0].text == "burst2 burst1"  # one piece covering both bursts
    assert turns[0].start == pytest.approx(0.0, abs=0.04)
    assert turns[0].end == pytest.approx(4.5, abs=0.04)
    assert h.listener.stats.speculative_dropped == 1
    assert h.listener.stats.speculative_used == 1


async def test_done_ends_the_turn_at_once(executor: ThreadPoolExecutor) -> None:
    h = Harness(executor)
    await h.play(silence(0.5), tone(2.0))
    assert h.listener.listening
    await h.listener.done()
    await h.listener.drain()
    turn = h.of(Turn)[-1]
    assert isinstance(turn, Turn)
    assert turn.reason == "done" and turn.text == "burst2"
    assert turn.end == pytest.approx(2.5, abs=0.04)
    assert not h.listener.listening
    # Silence afterwards does not produce a second turn.
    await h.play(silence(3.0))
    await h.listener.drain()
    assert len(h.of(Turn)) == 1


async def test_done_without_speech_is_an_empty_turn(executor: ThreadPoolExecutor) -> None:
    h = Harness(executor)
    await h.play(silence(1.0))
    await h.listener.done()
    await h.listener.drain()
    assert len(h.events) == 1
    turn = h.events[0]
    assert isinstance(turn, Turn) and turn.text == "" and turn.reason == "done"
    assert h.transcriber.calls == []


async def test_sound_without_words_is_discarded(executor: ThreadPoolExecutor) -> None:
    h = Harness(executor, transcriber=FakeTranscriber(script=lambda _audio: ""))
    await h.play(tone(0.5), silence(3.0))
    await h.listener.drain()
    assert [type(e) for e in h.events] == [Speaking, Discarded]


async def test_long_answer_is_transcribed_in_pieces_while_it_goes_on(
    executor: ThreadPoolExecutor,
) -> None:
    h = Harness(executor)
    clips = []
    for _ in range(8):
        clips += [tone(3.0), silence(0.6)]
    await h.play(*clips, silence(3.0))
    await h.listener.drain()
    [turn] = h.of(Turn)
    assert isinstance(turn, Turn)
    stats = h.listener.stats
    assert stats.cuts == 2
    assert turn.text == " ".join(["burst3"] * 8)
    # Each piece was transcribed once: nothing re-transcribed from the start.
    assert stats.transcriptions - stats.speculative_dropped == stats.cuts + 1
    assert all(d < 30 for d, _ in h.transcriber.calls)
    starts = [w.start for w in turn.words]
    assert starts == sorted(starts) and turn.words[-1].end <= turn.at
    partials = [e.text for e in h.of(Partial) if isinstance(e, Partial)]
    assert partials and all(turn.text.startswith(p) for p in partials)


async def test_odd_sized_frames_give_the_same_result(executor: ThreadPoolExecutor) -> None:
    a = Harness(executor)
    b = Harness(executor)
    clips = (silence(0.3), tone(1.2), silence(2.8))
    await a.play(*clips, chunk=512)
    pcm = float32_to_pcm16(np.concatenate(clips))
    rng = np.random.default_rng(7)
    i = 0
    while i < len(pcm):
        n = int(rng.integers(1, 3000))  # includes odd byte counts
        await b.listener.feed(pcm[i : i + n])
        i += n
    await a.listener.drain()
    await b.listener.drain()
    assert a.events == b.events and len(a.events) == 3
    assert b.listener.now == pytest.approx(4.3)


async def test_events_keep_their_order_when_transcription_is_slow(
    executor: ThreadPoolExecutor,
) -> None:
    h = Harness(executor, transcriber=FakeTranscriber(script=by_length, delay=0.3))
    await h.play(tone(1.0))
    await h.listener.done()
    await h.play(tone(1.0))  # speaks again before the first transcript is back
    await h.listener.done()
    await h.listener.drain()
    assert [type(e) for e in h.events] == [Speaking, Turn, Speaking, Turn]


async def test_recorder_gets_every_sample(executor: ThreadPoolExecutor) -> None:
    class Recorder:
        def __init__(self) -> None:
            self.samples = 0

        def write(self, samples: npt.ArrayLike) -> None:
            self.samples += np.asarray(samples).size

    recorder = Recorder()
    h = Harness(executor, recorder=recorder)
    await h.play(tone(1.0), silence(0.77))
    assert recorder.samples == round(1.77 * SAMPLE_RATE)


async def test_end_silence_setting(executor: ThreadPoolExecutor) -> None:
    h = Harness(executor, end_silence=1.0)
    assert h.listener.end_silence == 1.0
    await h.play(tone(1.0), silence(1.3))
    await h.listener.drain()
    assert len(h.of(Turn)) == 1
    h.listener.end_silence = 4.0
    await h.play(tone(1.0), silence(3.0))
    await h.listener.drain()
    assert len(h.of(Turn)) == 1
    await h.play(silence(1.2))
    await h.listener.drain()
    assert len(h.of(Turn)) == 2


async def test_rms_floor_from_config(executor: ThreadPoolExecutor) -> None:
    h = Harness(executor, config=EndpointConfig(rms_floor=0.5))
    await h.play(tone(1.0, level=0.3), silence(3.0))
    await h.listener.drain()
    assert h.events == []


async def test_a_failing_transcriber_does_not_lose_the_turn(
    executor: ThreadPoolExecutor,
) -> None:
    def explode(_audio: npt.NDArray[np.float32]) -> str:
        raise RuntimeError("model crashed")

    h = Harness(executor, transcriber=FakeTranscriber(script=explode))
    await h.play(tone(1.0))
    await h.listener.done()
    await h.listener.drain()
    [turn] = h.of(Turn)
    assert isinstance(turn, Turn) and turn.text == "" and turn.reason == "done"


async def test_aclose_stops_everything(executor: ThreadPoolExecutor) -> None:
    h = Harness(executor, transcriber=FakeTranscriber(script=by_length, delay=0.5))
    await h.play(tone(1.0))
    await h.listener.drain()
    await h.listener.done()
    await h.listener.aclose()
    await asyncio.sleep(0.7)
    assert [type(e) for e in h.events] == [Speaking]
    with pytest.raises(RuntimeError):
        await h.listener.feed(b"\x00\x00")


async def test_clock_time_maps_audio_time_across_gaps(executor: ThreadPoolExecutor) -> None:
    wall = [100.0]
    h = Harness(executor, clock=lambda: wall[0])
    for _ in range(50):  # 1.6 s of audio arriving in real time
        wall[0] += 0.032
        await h.listener.feed(float32_to_pcm16(silence(0.032)))
    wall[0] += 10.0  # the microphone was off for ten seconds
    for _ in range(50):
        wall[0] += 0.032
        await h.listener.feed(float32_to_pcm16(silence(0.032)))
    assert h.listener.now == pytest.approx(3.2)
    assert h.listener.clock_time(0.8) == pytest.approx(100.8)
    assert h.listener.clock_time(1.6) == pytest.approx(101.6)
    assert h.listener.clock_time(2.4) == pytest.approx(112.4)
    assert h.listener.clock_time(3.2) == pytest.approx(wall[0])
