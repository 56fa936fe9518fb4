"""Delivery metrics: pure numbers from messages and word timestamps."""

from __future__ import annotations

from typing import Any

import pytest

from server.messages import messages_from_stored
from server.review.metrics import (
    PAUSE_THRESHOLD,
    count_words,
    delivery,
    find_fillers,
    find_hedges,
    session_length,
)


def line(seq: int, at: float, text: str = "Tell me more.", **extra: Any) -> dict[str, Any]:
    return {"type": "interviewer", "seq": seq, "text": text, "kind": "question", "at": at, **extra}


def answer(seq: int, text: str, start: float, end: float | None = None) -> dict[str, Any]:
    end = start if end is None else end
    return {"type": "candidate", "seq": seq, "text": text, "start": start, "end": end, "at": end}


def timed(
    text: str, start: float, step: float = 0.5, gaps: dict[int, float] | None = None
) -> list[dict[str, Any]]:
    """Words of `text` each `step` long, back to back, plus extra silence before word i."""
    out, t = [], start
    for i, word in enumerate(text.split()):
        t += (gaps or {}).get(i, 0.0)
        out.append({"text": word, "start": t, "end": t + step})
        t += step
    return out


def test_words_are_letters_and_digits_with_inner_apostrophes() -> None:
    assert count_words("Don't stop: it's 30 ms, the p99 -- really!") == 8
    assert count_words("") == 0
    assert count_words("... --- !!!") == 0


def test_fillers_count_disfluencies_and_set_off_like_only() -> None:
    text = (
        "Um, so it was, like, slow. I'd like to add, you know, basically a cache. Uh. Like, fine."
    )
    assert [f for _, _, f in find_fillers(text)] == [
        "um",
        "like",
        "you know",
        "basically",
        "uh",
        "like",
    ]
    assert find_fillers("I would like to use a system like this one.") == []
    assert find_fillers("umbrella, erase, ahead") == []
    span = find_fillers("well, you   know, it")[0]
    assert span[2] == "you know"


def test_hedges_use_the_understanding_label_and_count_overlaps_once() -> None:
    text = "I think maybe we could. I'm not sure it scales; probably not. I guess."
    assert [h for _, _, h in find_hedges(text)] == [
        "i think maybe",
        "i'm not sure",
        "probably",
        "i guess",
    ]
    assert find_hedges("It is certain and measured.") == []
    assert [h for _, _, h in find_hedges("I\u2019m not sure")] == ["i'm not sure"]


def test_chat_session_has_text_metrics_and_no_timing() -> None:
    messages = [
        line(1, 0.0),
        answer(2, "Um, maybe we cache it, like, at the edge.", 5.0),
        line(3, 5.0),
        answer(4, "We cut p99 from 900 ms to 300 ms by batching requests.", 20.0),
    ]
    m = delivery(messages_from_stored(messages))
    assert not m.voiced
    assert m.wpm is None and m.talk is None and m.time_to_first_word is None and m.pauses == ()
    assert [a.words for a in m.answers] == [9, 12]
    assert m.words == 21 and m.words_per_answer == 10.5 and m.longest_answer_words == 12
    assert m.fillers == 2 and dict(m.top_fillers) == {"um": 1, "like": 1}
    assert m.hedges == 1 and m.top_hedges == (("maybe", 1),)
    assert m.fillers_per_100 == pytest.approx(200 / 21)
    assert m.answers[0].fillers_per_100 == pytest.approx(200 / 9)
    assert m.answers[1].hedges_per_100 == 0.0
    assert [a.question_seq for a in m.answers] == [1, 3]
    assert all(a.wpm is None and a.time_to_first_word is None for a in m.answers)


def test_voice_answer_rate_pauses_and_time_to_first_word() -> None:
    # Ten words of 0.5 s from 12.0 s, with 2.0 s of silence before word 3 and 3.0 s
    # before word 6: 10 s from first to last word, so 10 / (10 / 60) = 60 words a minute;
    # only the 3.0 s gap is over the threshold.
    text = "one two three four five six seven eight nine ten"
    words = timed(text, 12.0, gaps={3: 2.0, 6: 3.0})
    messages = [line(1, 4.0, duration=6.0), answer(2, text, 12.0, 20.0)]
    m = delivery(messages_from_stored(messages), {2: words})
    a = m.answers[0]
    assert a.voiced and m.voiced
    assert (a.start, a.end) == (12.0, 22.0)
    assert a.speaking_seconds == 10.0
    assert a.wpm == pytest.approx(60.0)
    assert [(p.start, p.end) for p in a.pauses] == [(17.0, 20.0)]
    assert a.pauses[0].seconds == pytest.approx(3.0) and a.pauses[0].seq == 2
    # The question ended at 4.0 + 6.0 s; the first word came at 12.0 s.
    assert a.time_to_first_word == pytest.approx(2.0)
    assert m.time_to_first_word == pytest.approx(2.0)
    assert m.wpm == pytest.approx(60.0)
    assert m.talk is not None
    assert m.talk.candidate == 10.0 and m.talk.interviewer == 6.0
    assert m.talk.share_of_talk == pytest.approx(10 / 16)
    assert m.talk.session == 22.0 and m.talk.share_of_session == pytest.approx(10 / 22)


def test_a_pause_must_be_longer_than_the_threshold() -> None:
    words = timed("a b c", 0.0, step=0.5, gaps={1: PAUSE_THRESHOLD, 2: PAUSE_THRESHOLD + 0.01})
    m = delivery(messages_from_stored([line(1, 0.0), answer(2, "a b c", 0.0)]), {2: words})
    assert len(m.pauses) == 1
    assert m.pauses[0].seconds == pytest.approx(PAUSE_THRESHOLD + 0.01)
    assert len(delivery([answer(2, "a b c", 0.0)], {2: words}, pause_threshold=1.0).pauses) == 2


def test_time_to_first_word_without_a_known_line_length_counts_from_the_line() -> None:
    m = delivery(
        messages_from_stored([line(1, 3.0), answer(2, "yes", 4.5)]), {2: timed("yes", 4.5)}
    )
    assert m.answers[0].time_to_first_word == pytest.approx(1.5)
    assert m.talk is not None and m.talk.interviewer is None and m.talk.share_of_talk is None
    # A line length given by the caller wins over none at all.
    m = delivery(
        messages_from_stored([line(1, 3.0), answer(2, "yes", 4.5)]),
        {2: timed("yes", 4.5)},
        line_durations={1: 1.0},
    )
    assert m.answers[0].time_to_first_word == pytest.approx(0.5)
    # Speaking over the end of the line counts as zero, not as a negative time.
    m = delivery(
        messages_from_stored([line(1, 3.0, duration=5.0), answer(2, "yes", 4.5)]),
        {2: timed("yes", 4.5)},
    )
    assert m.answers[0].time_to_first_word == 0.0


def test_session_rate_pools_voiced_answers_and_skips_unvoiced_ones() -> None:
    messages = [
        line(1, 0.0),
        answer(2, "a b c d", 1.0),
        line(3, 10.0),
        answer(4, "typed because the transcript was lost", 11.0),
        line(5, 20.0),
        answer(6, "e f", 21.0),
    ]
    words = {2: timed("a b c d", 1.0, step=1.0), 6: timed("e f", 21.0, step=1.0)}
    m = delivery(messages_from_stored(messages), words)
    # 6 timed words over 4 s + 2 s of speech.
    assert m.wpm == pytest.approx(60.0)
    assert [a.voiced for a in m.answers] == [True, False, True]
    assert m.answers[1].wpm is None
    assert m.time_to_first_word == pytest.approx(1.0)


def test_unusable_words_are_dropped_and_order_is_by_time() -> None:
    words = [
        {"text": "b", "start": 2.0, "end": 2.5},
        {"text": "broken", "start": "x", "end": 1},
        {"text": "backwards", "start": 5.0, "end": 4.0},
        {"text": "a", "start": 1.0, "end": 1.5},
    ]
    m = delivery(messages_from_stored([answer(1, "a b", 1.0)]), {1: words})
    assert (m.answers[0].start, m.answers[0].end) == (1.0, 2.5)


def test_json_shape_is_rounded_and_has_no_inferred_traits() -> None:
    words = timed("one two three", 1.0, step=0.333)
    doc = delivery(
        messages_from_stored([line(1, 0.0), answer(2, "um one two three", 1.0)]), {2: words}
    ).to_json()
    assert doc["voiced"] is True and doc["answers"] == 1
    assert doc["words_per_minute"] == round(3 / (0.999 / 60), 1)
    assert doc["top_fillers"] == [{"text": "um", "count": 1}]
    assert doc["per_answer"][0]["seq"] == 2
    flat = repr(doc).lower()
    for trait in ("confiden", "nervous", "emotion", "anxious", "sentiment"):
        assert trait not in flat


def test_session_length_is_the_last_thing_that_happened() -> None:
    messages = [line(1, 0.0), answer(2, "a", 5.0, 9.0), {"type": "ended", "seq": 3, "at": 8.0}]
    assert session_length(messages) == 9.0
    assert session_length(messages, {2: [{"text": "a", "start": 9.0, "end": 11.5}]}) == 11.5
    assert session_length([]) == 0.0
