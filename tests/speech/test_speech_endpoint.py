"""The endpointer, driven by synthetic probability sequences (no audio, no model)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.speech.endpoint import (
    EndOfTurn,
    EndpointConfig,
    Endpointer,
    EndpointEvent,
    SegmentCut,
    SilenceStarted,
    SpeechResumed,
    SpeechStarted,
    State,
)

F = 0.032
LOUD = 0.1


def near(expected: float, abs: float = 1.5 * F) -> object:
    """Equal within a frame and a half: durations are rounded to whole 32 ms frames."""
    return pytest.approx(expected, abs=abs)


def frames(seconds: float, prob: float) -> list[float]:
    return [prob] * round(seconds / F)


class Driver:
    """Feeds frames at 32 ms steps and collects events with the frame index they came at."""

    def __init__(self, config: EndpointConfig | None = None) -> None:
        self.ep = Endpointer(config)
        self.index = 0
        self.events: list[EndpointEvent] = []

    @property
    def now(self) -> float:
        return self.index * F

    def feed(self, probs: Sequence[float], level: float = LOUD) -> list[EndpointEvent]:
        out: list[EndpointEvent] = []
        for p in probs:
            self.index += 1
            out.extend(self.ep.frame(p, level, self.now))
        self.events.extend(out)
        return out

    def done(self) -> list[EndpointEvent]:
        out = self.ep.done(self.now)
        self.events.extend(out)
        return out


def kinds(events: Sequence[EndpointEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_silence_and_noise_give_no_events() -> None:
    d = Driver()
    assert d.feed(frames(5, 0.02)) == []
    assert d.feed(frames(5, 0.3)) == []
    assert d.ep.state is State.IDLE


def test_answer_then_silence_ends_the_turn_after_end_silence() -> None:
    d = Driver()
    d.feed(frames(1.0, 0.02))
    d.feed(frames(2.0, 0.9))
    events = d.feed(frames(3.0, 0.05))
    assert kinds(d.events) == ["SpeechStarted", "SilenceStarted", "EndOfTurn"]
    started, silence, end = d.events
    assert isinstance(started, SpeechStarted)
    assert started.onset == near(1.0)
    assert started.start == near(0.7)  # 300 ms pre-roll
    assert started.at == near(1.0 + 3 * F)  # three voiced frames to start
    assert isinstance(silence, SilenceStarted)
    assert silence.speech_end == near(3.0)
    assert silence.at == near(3.3, abs=F)
    assert silence.span == (near(0.7), silence.at)
    assert isinstance(end, EndOfTurn)
    assert end.reason == "silence"
    assert end.at == near(3.0 + 2.5, abs=F)
    assert (end.start, end.end) == (near(1.0), near(3.0))
    # Nothing was said after the speculative span: its transcription is the answer.
    assert end.tail == silence.span
    assert not end.empty
    assert events[-1] is end
    assert d.ep.state is State.IDLE


def test_end_silence_is_a_setting() -> None:
    d = Driver(EndpointConfig(end_silence=6.0))
    d.feed(frames(1.0, 0.9))
    d.feed(frames(5.0, 0.02))
    assert not any(isinstance(e, EndOfTurn) for e in d.events)
    end = d.feed(frames(1.5, 0.02))[-1]
    assert isinstance(end, EndOfTurn)
    assert end.at == near(1.0 + 6.0, abs=F)


def test_thinking_pause_shorter_than_end_silence_keeps_the_turn() -> None:
    d = Driver()
    d.feed(frames(1.5, 0.9))
    d.feed(frames(2.0, 0.02))  # thinking
    d.feed(frames(1.0, 0.9))
    d.feed(frames(3.0, 0.02))
    assert kinds(d.events) == [
        "SpeechStarted",
        "SilenceStarted",
        "SpeechResumed",
        "SilenceStarted",
        "EndOfTurn",
    ]
    end = d.events[-1]
    assert isinstance(end, EndOfTurn)
    assert (end.start, end.end) == (near(0.0), near(4.5))
    second = d.events[3]
    assert isinstance(second, SilenceStarted)
    # The short answer was not cut: the second guess covers it all from the start.
    assert second.span[0] == near(0.0)
    assert end.tail == second.span


def test_pause_shorter_than_speculate_after_is_invisible() -> None:
    d = Driver()
    d.feed(frames(1.0, 0.9))
    d.feed(frames(0.2, 0.02))
    d.feed(frames(1.0, 0.9))
    assert kinds(d.events) == ["SpeechStarted"]


def test_short_blips_do_not_start_speech() -> None:
    d = Driver()
    for _ in range(20):
        d.feed([0.9, 0.9])  # 64 ms clicks
        d.feed(frames(0.5, 0.02))
    assert d.events == []


def test_rms_floor_ignores_quiet_noise_the_model_scores_high() -> None:
    d = Driver()
    d.feed(frames(3.0, 0.95), level=0.001)
    assert d.events == []
    d.feed(frames(1.0, 0.95), level=0.01)
    assert kinds(d.events) == ["SpeechStarted"]


def test_hysteresis_keeps_dips_inside_speech() -> None:
    d = Driver()
    d.feed(frames(0.5, 0.9))
    for _ in range(10):
        d.feed([0.4] * 15 + [0.9])  # dips to 0.4 for 480 ms: still above neg_threshold
    assert kinds(d.events) == ["SpeechStarted"]
    assert d.ep.state is State.SPEECH


def test_preroll_never_reaches_back_into_the_previous_turn() -> None:
    d = Driver(EndpointConfig(end_silence=1.0))
    d.feed([0.9] * 3)
    first = d.events[0]
    assert isinstance(first, SpeechStarted) and first.start == 0.0  # clamped at zero
    d.feed(frames(1.2, 0.02))
    end = d.events[-1]
    assert isinstance(end, EndOfTurn)
    d.feed([0.9] * 3)  # speaks again right away
    again = d.events[-1]
    assert isinstance(again, SpeechStarted)
    assert again.onset - end.at < EndpointConfig().preroll  # pre-roll would reach back...
    assert again.start == end.at  # ...but stops where the previous turn ended


def test_done_while_speaking_ends_at_once_with_the_tail_up_to_now() -> None:
    d = Driver()
    d.feed(frames(1.0, 0.02))
    d.feed(frames(2.0, 0.9))
    [end] = d.done()
    assert isinstance(end, EndOfTurn)
    assert end.reason == "done"
    assert end.at == near(3.0)
    assert end.end == near(3.0)
    assert end.tail == (near(0.7), near(3.0))
    assert d.ep.state is State.IDLE


def test_done_in_a_pause_reuses_the_speculative_span() -> None:
    d = Driver()
    d.feed(frames(2.0, 0.9))
    d.feed(frames(0.6, 0.02))
    silence = d.events[-1]
    assert isinstance(silence, SilenceStarted)
    [end] = d.done()
    assert isinstance(end, EndOfTurn)
    assert end.tail == silence.span
    assert end.end == near(2.0)


def test_done_early_in_a_pause_transcribes_up_to_now() -> None:
    d = Driver()
    d.feed(frames(2.0, 0.9))
    d.feed(frames(0.1, 0.02))
    [end] = d.done()
    assert isinstance(end, EndOfTurn)
    assert end.end == near(2.0)
    assert end.tail == (0.0, near(2.1, abs=F))


def test_done_without_speech_is_an_empty_turn() -> None:
    d = Driver()
    d.feed(frames(1.0, 0.02))
    [end] = d.done()
    assert isinstance(end, EndOfTurn)
    assert end.empty and end.tail is None
    assert end.start == end.end == end.at == near(1.0)


def test_long_answer_is_cut_at_pauses_into_final_pieces() -> None:
    d = Driver()
    for _ in range(6):
        d.feed(frames(4.0, 0.9))
        d.feed(frames(0.6, 0.02))
    d.feed(frames(3.0, 0.02))
    cuts = [e for e in d.events if isinstance(e, SegmentCut)]
    guesses = [e for e in d.events if isinstance(e, SilenceStarted)]
    assert len(cuts) == 2
    # A cut keeps the speculative span as it was: its transcription is reused.
    assert all(any(c.span == g.span for g in guesses) for c in cuts)
    end = d.events[-1]
    assert isinstance(end, EndOfTurn) and end.tail is not None
    pieces = [c.span for c in cuts] + [end.tail]
    for (_, a_end), (b_start, _) in itertools.pairwise(pieces):
        assert b_start >= a_end  # in order, no audio transcribed twice
    assert all(e - s < 30.0 for s, e in pieces)
    assert pieces[0][0] == 0.0
    assert end.start == 0.0 and end.end == near(6 * 4.6 - 0.6)


def test_speech_without_pauses_is_cut_hard_before_whisper_window() -> None:
    d = Driver()
    d.feed(frames(70.0, 0.9))
    [end] = d.done()
    cuts = [e for e in d.events if isinstance(e, SegmentCut)]
    assert len(cuts) == 2
    assert isinstance(end, EndOfTurn) and end.tail is not None
    pieces = [c.span for c in cuts] + [end.tail]
    assert pieces[0][0] == 0.0 and pieces[-1][1] == near(70.0)
    for (_, a_end), (b_start, _) in itertools.pairwise(pieces):
        assert b_start == a_end  # contiguous: no word falls between pieces
    assert all(e - s <= 25.0 + F for s, e in pieces)


def test_time_must_not_go_backwards() -> None:
    ep = Endpointer()
    ep.frame(0.1, LOUD, 1.0)
    with pytest.raises(ValueError):
        ep.frame(0.1, LOUD, 0.5)
    with pytest.raises(ValueError):
        ep.done(0.5)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 0.3, "neg_threshold": 0.5},
        {"speculate_after": 3.0, "end_silence": 2.5},
        {"cut_after": 30.0, "max_segment": 25.0},
        {"max_segment": 29.5},
        {"start_frames": 0},
    ],
)
def test_bad_configs_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        EndpointConfig(**kwargs)


step = st.one_of(
    st.tuples(st.just("speech"), st.floats(0.0, 12.0)),
    st.tuples(st.just("silence"), st.floats(0.0, 4.0)),
    st.tuples(st.just("noise"), st.floats(0.0, 2.0)),
    st.tuples(st.just("done"), st.just(0.0)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=25), st.floats(1.0, 4.0))
def test_any_input_gives_well_formed_turns(
    plan: list[tuple[str, float]], end_silence: float
) -> None:
    d = Driver(EndpointConfig(end_silence=end_silence))
    for what, seconds in plan:
        if what == "speech":
            d.feed(frames(seconds, 0.9))
        elif what == "silence":
            d.feed(frames(seconds, 0.02))
        elif what == "noise":
            d.feed([0.9 if i % 3 == 0 else 0.4 for i in range(round(seconds / F))])
        else:
            d.done()
    d.done()

    in_turn = False
    speculative = None
    pieces: list[tuple[float, float]] = []
    last_at = 0.0
    for event in d.events:
        assert event.at >= last_at
        last_at = event.at
        if isinstance(event, SpeechStarted):
            assert not in_turn
            in_turn, speculative, pieces = True, None, []
            assert event.start <= event.onset <= event.at
        elif isinstance(event, SilenceStarted):
            assert in_turn and speculative is None
            speculative = event.span
        elif isinstance(event, SpeechResumed):
            assert in_turn and speculative is not None
            speculative = None
        elif isinstance(event, SegmentCut):
            assert in_turn
            pieces.append(event.span)
            speculative = None
        else:
            assert isinstance(event, EndOfTurn)
            if event.empty:
                assert not in_turn
                continue
            assert in_turn
            if speculative is not None:
                assert event.tail == speculative
            if event.tail is not None:
                pieces.append(event.tail)
            assert pieces, "a turn with speech has something to transcribe"
            assert event.start <= event.end <= event.at
            for start, end in pieces:
                assert start < end <= event.at
                assert end - start < 30.0
            for (_, a_end), (b_start, _) in itertools.pairwise(pieces):
                assert b_start >= a_end
            in_turn = False
    assert not in_turn
