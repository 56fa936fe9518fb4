"""Ending a turn early when the answer sounds finished (server/speech/turn.py)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import pytest
from speech_helpers import silence, tone

from server.speech.audio import SAMPLE_RATE, float32_to_pcm16, resample
from server.speech.endpoint import EndOfTurn, EndpointConfig, Endpointer
from server.speech.listener import Listener, ListenerEvent, Turn
from server.speech.models import SpeechModels
from server.speech.stt import FakeTranscriber, Transcript, Word
from server.speech.turn import (
    MID_PHRASE_HOLD,
    SmartTurn,
    default_smart_turn_path,
    sounds_finished,
    stops_mid_phrase,
    text_sounds_finished,
)
from server.speech.vad import EnergyVad


@pytest.mark.parametrize(
    ("text", "finished"),
    [
        ("I would hold it back for now.", True),
        ("I think we should ask the people who will be affected.", True),
        ("No.", True),
        ("I think that on balance I would.", False),
        ("So the first thing I would do is...", False),
        ("We could release the weights, but", False),
        ("My first step would be to", False),
        ("So, um.", False),
        ("I disagreed with my manager because,", False),
        # Given a prompt, Whisper often drops the last full stop of a finished answer.
        ("release it to vetted partners and measure misuse", True),
        # A clause that sets a scene and stops before its main clause.
        ("When I look at the numbers.", False),
        ("So, um, if we ship it now.", False),
        ("Personally, I lean towards.", False),
        # A subordinate clause with its subject and no verb yet.
        ("That decision was hard because the customer.", False),
        ("It was hard because the customer needed it.", True),
        ("We held it back because of the risk.", True),
        ("We set up a kill switch before we opened it up.", True),
        ("If we ship it now, we lose the chance to test it.", True),
        ("Because it leaks private data.", True),  # a whole answer to "why?"
        ("The short version is that. I would not release it yet.", True),
        ("", False),
    ],
)
def test_the_wording_of_a_finished_answer(text: str, finished: bool) -> None:
    assert text_sounds_finished(text) is finished


@pytest.mark.parametrize(
    ("text", "mid_phrase"),
    [
        ("Our plan was to...", True),
        ("Our plan was to", True),
        ("and um", True),
        # unfinished, but not stopped mid-phrase: a comma, a clause that sets the scene,
        # and a trailing "..." after a finished sentence (Whisper's, after a pause)
        ("I lean towards a slow release with monitoring,", False),
        ("Our plan was to... Wait for the audit before any public release...", False),
        ("When I looked at the numbers.", False),
        ("I would hold it back for now.", False),
        ("", False),
    ],
)
def test_words_that_stop_mid_phrase(text: str, mid_phrase: bool) -> None:
    assert stops_mid_phrase(text) is mid_phrase


def test_an_ending_heard_unsure_is_no_evidence_of_an_ending() -> None:
    # "I think the right call is to [thinking]" heard as "... is due."
    words = (Word("I", 0.0, 0.2, 0.9), Word("due.", 1.4, 1.6, 0.47))
    assert not sounds_finished(Transcript("I think the right call is due.", words))
    sure = (*words[:1], Word("due.", 1.4, 1.6, 0.93))
    assert sounds_finished(Transcript("I think the right call is due.", sure))
    assert sounds_finished(Transcript("No."))  # no word timings: the wording decides


def test_finish_ends_a_pause_as_a_silence_would_and_nothing_else() -> None:
    ep = Endpointer(EndpointConfig(end_silence=3.0))
    assert ep.finish(0.1) == []  # idle
    t = 0.0
    for _ in range(20):
        t += 0.032
        ep.frame(0.9, 0.1, t)
    assert ep.finish(t) == []  # speaking
    for _ in range(10):
        t += 0.032
        ep.frame(0.0, 0.0, t)
    [event] = ep.finish(t)
    assert isinstance(event, EndOfTurn) and event.reason == "silence"
    assert event.tail is not None and event.end < t


class Judge:
    def __init__(self, probability: float) -> None:
        self.value = probability
        self.calls = 0

    def probability(self, audio: npt.ArrayLike) -> float:
        self.calls += 1
        return self.value


async def play_paced(listener: Listener, *clips: npt.NDArray[np.float32]) -> None:
    """Feed in 32 ms frames, yielding between them so that worker results arrive."""
    pcm = float32_to_pcm16(np.concatenate(clips))
    for i in range(0, len(pcm), 1024):
        await listener.feed(pcm[i : i + 1024])
        await asyncio.sleep(0.002)


async def turn_after(
    executor: ThreadPoolExecutor,
    text: str,
    probability: float | None,
    *,
    text_silence: float | None = None,
) -> tuple[Turn, Listener]:
    events: list[ListenerEvent] = []

    async def on_event(event: ListenerEvent) -> None:
        events.append(event)

    listener = Listener(
        EnergyVad(),
        FakeTranscriber(script=lambda audio: text),
        executor,
        on_event,
        config=EndpointConfig(end_silence=3.0, speculate_after=0.3),
        turn_model=None if probability is None else Judge(probability),
        text_silence=text_silence,
    )
    await play_paced(listener, silence(0.5), tone(1.5), silence(4.5))
    await listener.drain()
    [turn] = [e for e in events if isinstance(e, Turn)]
    await listener.aclose()
    return turn, listener


async def test_a_finished_answer_ends_the_turn_early(executor: ThreadPoolExecutor) -> None:
    turn, listener = await turn_after(executor, "I would hold it back for now.", 0.9)
    assert turn.reason == "silence"
    assert 0.4 <= turn.at - turn.end < 1.0
    assert listener.stats.early_ends == 1


@pytest.mark.parametrize(
    ("text", "probability", "wait"),
    [
        # words that stop mid-phrase: the end silence and the hold after it
        ("I think that on balance I would.", 0.9, 3.0 + MID_PHRASE_HOLD),
        # finished words the sound does not agree with, and an unfinished clause that
        # does not stop mid-phrase: the end silence
        ("I would hold it back for now.", 0.2, 3.0),
        ("When I looked at the numbers.", 0.9, 3.0),
    ],
    ids=["words-mid-phrase", "sound-unfinished", "words-unfinished"],
)
async def test_either_judge_saying_unfinished_waits_for_the_end_silence(
    executor: ThreadPoolExecutor, text: str, probability: float, wait: float
) -> None:
    turn, listener = await turn_after(executor, text, probability)
    assert turn.at - turn.end == pytest.approx(wait, abs=0.05)
    assert listener.stats.early_ends == 0


@pytest.mark.parametrize("probability", [0.2, None], ids=["sound-unfinished", "no-model"])
async def test_finished_wording_alone_ends_the_turn_after_the_text_silence(
    executor: ThreadPoolExecutor, probability: float | None
) -> None:
    turn, listener = await turn_after(
        executor, "I would hold it back for now.", probability, text_silence=1.0
    )
    assert turn.reason == "silence"
    assert 1.0 <= turn.at - turn.end < 1.4
    assert listener.stats.early_ends == 1


async def test_the_sound_still_ends_a_finished_answer_before_the_text_silence(
    executor: ThreadPoolExecutor,
) -> None:
    turn, _ = await turn_after(executor, "I would hold it back for now.", 0.9, text_silence=1.0)
    assert 0.4 <= turn.at - turn.end < 1.0


async def test_unfinished_wording_waits_for_the_end_silence_whatever_the_text_silence(
    executor: ThreadPoolExecutor,
) -> None:
    turn, listener = await turn_after(
        executor, "My first step would be to...", 0.9, text_silence=1.0
    )
    assert turn.at - turn.end == pytest.approx(3.0 + MID_PHRASE_HOLD, abs=0.05)
    assert listener.stats.early_ends == 0


def test_a_held_pause_runs_past_the_end_silence_until_speech_resumes() -> None:
    ep = Endpointer(EndpointConfig(end_silence=3.0))
    ep.hold(1.0)  # outside a pause: nothing
    t = 0.0

    def run(seconds: float, prob: float) -> list[object]:
        nonlocal t
        events: list[object] = []
        for _ in range(round(seconds / 0.032)):
            t += 0.032
            events += ep.frame(prob, 0.1 if prob else 0.0, t)
        return events

    run(1.0, 0.9)
    run(0.5, 0.0)
    ep.hold(1.0)
    assert not any(isinstance(e, EndOfTurn) for e in run(3.0, 0.0))  # 3.5 s of silence
    run(0.5, 0.9)  # speech resumes: the hold is gone
    [end] = [e for e in run(3.2, 0.0) if isinstance(e, EndOfTurn)]
    assert end.at - end.end == pytest.approx(3.0, abs=0.05)


@pytest.mark.slow
def test_smart_turn_hears_a_finished_sentence_and_a_pinned_file(models: SpeechModels) -> None:
    assert default_smart_turn_path().is_file(), "make turn-model installs it"
    model = SmartTurn()
    syn = models.synthesizer

    def say(text: str) -> npt.NDArray[np.float32]:
        return resample(syn.synthesize(text), syn.sample_rate, SAMPLE_RATE)

    finished = model.probability(
        np.concatenate([say("I would hold it back for now."), silence(0.4)])
    )
    assert finished > 0.5
    assert 0.0 <= model.probability(silence(0.2)) <= 1.0
    assert models.turn is not None  # the server's models carry it when installed
