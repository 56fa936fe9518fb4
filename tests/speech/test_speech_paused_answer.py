"""An answer with a thinking pause, heard once: no repeated half, no garbage after the pause.

The shape of the defect: "I think that on balance I would", 1.5 s of silence, "release
it to vetted partners and measure misuse", spoken by the project's piper voice, with the
culture round's glossary as hotwords. With hotwords and the shortened encoder input,
Whisper repeated the second half a dozen times. Fed here through the real VAD, Listener
and Whisper, clean and with room noise at 20 dB SNR.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import jiwer
import numpy as np
import numpy.typing as npt
import pytest
from speech_helpers import REPO_ROOT, normalise, silence, stream

from interviewer import load_catalog
from server.speech.audio import SAMPLE_RATE, resample
from server.speech.listener import Listener, ListenerEvent, Turn
from server.speech.models import SpeechModels
from server.speech.stt import Word, hotwords_from_glossary, without_repeats
from server.voice_channel import endpoint_config

FIRST = "I think that on balance I would"
SECOND = "release it to vetted partners and measure misuse."
SAID = normalise(f"{FIRST} {SECOND}")
PAUSE = 1.5


def culture_hotwords() -> str | None:
    catalog = load_catalog(REPO_ROOT / "scenarios")
    return hotwords_from_glossary(catalog["culture-dual-use-release"].glossary)


def paused_answer(models: SpeechModels, noise_db: float | None) -> npt.NDArray[np.float32]:
    syn = models.synthesizer

    def say(text: str) -> npt.NDArray[np.float32]:
        return resample(syn.synthesize(text), syn.sample_rate, SAMPLE_RATE)

    audio = np.concatenate([silence(0.5), say(FIRST), silence(PAUSE), say(SECOND)])
    if noise_db is not None:
        # Room noise: pink-ish (white, smoothed), steady through the pause and after.
        rng = np.random.default_rng(12)
        tail = silence(3.5)
        audio = np.concatenate([audio, tail])
        speech_level = float(np.sqrt(np.mean(audio[np.abs(audio) > 0.01] ** 2)))
        noise = np.convolve(rng.standard_normal(audio.size), np.ones(4) / 2, mode="same")
        noise *= speech_level / 10 ** (noise_db / 20) / float(np.sqrt(np.mean(noise**2)))
        return (audio + noise).astype(np.float32)
    return np.concatenate([audio, silence(3.5)])


def assert_heard_once(text: str) -> None:
    heard = normalise(text)
    assert heard.count("release") == 1, text
    assert heard.count("partner") == 1, text
    assert jiwer.wer(SAID, heard) <= 0.2, text


@pytest.mark.slow
@pytest.mark.parametrize("noise_db", [None, 20.0], ids=["clean", "room-noise-20db"])
async def test_a_thinking_pause_is_heard_once_through_the_listener(
    models: SpeechModels, executor: ThreadPoolExecutor, noise_db: float | None
) -> None:
    events: list[ListenerEvent] = []

    async def on_event(event: ListenerEvent) -> None:
        events.append(event)

    listener = Listener(
        models.vad,
        models.transcriber,
        executor,
        on_event,
        config=endpoint_config(3.0),  # the culture rounds' end silence, as the server has it
        hotwords=culture_hotwords(),
    )
    await stream(listener.feed, paused_answer(models, noise_db), pace=4.0)
    await listener.drain()
    turns = [e for e in events if isinstance(e, Turn)]
    assert len(turns) == 1, events
    assert_heard_once(turns[0].text)
    # The turn spans both halves: the pause did not end it.
    assert turns[0].end - turns[0].start > PAUSE + 2.0
    await listener.aclose()


@pytest.mark.slow
@pytest.mark.parametrize("noise_db", [None, 20.0], ids=["clean", "room-noise-20db"])
def test_a_thinking_pause_is_transcribed_once(models: SpeechModels, noise_db: float | None) -> None:
    """The piece as the Listener hands it over (up to 0.6 s after the last word)."""
    audio = paused_answer(models, noise_db)
    piece = audio[: audio.size - round(2.9 * SAMPLE_RATE)]
    assert_heard_once(models.transcriber.transcribe(piece, culture_hotwords()).text)


def words(text: str) -> list[Word]:
    return [Word(w, i, i + 1.0, 1.0) for i, w in enumerate(text.split())]


def test_a_phrase_said_twice_back_to_back_is_kept_once() -> None:
    looped = "I would, release it to partners, release it to partners, release it to partners"
    assert [w.text for w in without_repeats(words(looped))] == (
        ["I", "would,", "release", "it", "to", "partners,"]
    )
    # People repeat short phrases; only a known loop loses them.
    said = "no, no, I think, I think we should"
    assert [w.text for w in without_repeats(words(said))] == said.split()
    stutter = "release, release, release, release it"
    assert [w.text for w in without_repeats(words(stutter), loop=True)] == [
        "release,",
        "release,",
        "it",
    ]
    assert [w.text for w in without_repeats(words(stutter))] == stutter.split()
