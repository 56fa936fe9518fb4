"""Delivery metrics: what was observed in the candidate's answers, as numbers.

Pure: messages (the types of `server.messages`) and word timestamps in, frozen values
out. Nothing here guesses at confidence, nerves or emotion; every number is a count or a
duration that can be checked against the transcript and the recording.

Definitions (docs/REVIEW.md repeats them for readers):

- words: tokens of letters and digits (an apostrophe inside a word keeps it one word)
  in the answer's text.
- fillers per 100 words: occurrences of `FILLERS` (um, uh, "you know", ...; "like" only
  where punctuation sets it off, as in "it was, like, slow") per 100 words of text.
- hedging per 100 words: the spans the interviewer's own understanding labels `hedging`
  ("maybe", "I guess", "probably", ...), overlapping spans counted once.
- words per minute (voice): timed words / minutes from the first word's start to the last
  word's end of the answer (pauses included, as a listener hears them). The session
  figure pools every voiced answer.
- pauses: gaps between consecutive words of one answer longer than `PAUSE_THRESHOLD`.
- time to first word (voice): the first word's start minus the end of the interviewer
  line before the answer (its `at` plus the spoken length when known, else its `at`).
- talk time (voice): the candidate's seconds are the answers' first-to-last-word spans;
  the interviewer's are the spoken lengths of its lines when known. The share of talk is
  candidate / (candidate + interviewer); the share of the session is candidate / the
  session's length.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from interviewer.understanding import Lexicon
from server.messages import CandidateLine, InterviewerLine, Message, from_stored

PAUSE_THRESHOLD = 2.5
"""Seconds of silence inside an answer that count as a long pause."""

FILLERS: tuple[str, ...] = (
    "um",
    "umm",
    "uh",
    "uhm",
    "er",
    "erm",
    "ah",
    "hmm",
    "mm",
    "you know",
    "i mean",
    "basically",
    "literally",
    "actually",
    "like",
)

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")
_FILLER_RE = re.compile(
    r"\b(?:"
    + "|".join(
        r"[\s,-]+".join(re.escape(part) for part in f.split())
        for f in sorted(FILLERS, key=len, reverse=True)
        if f != "like"
    )
    + r")\b",
    re.IGNORECASE,
)
# "like" is a filler only where punctuation sets it off ("it was, like, slow", "Like, we");
# "I'd like to" and "a system like this" are not.
_LIKE_RE = re.compile(r"(?:^|(?<=[,;:.!?…—–-]))\s*(like)\b|\b(like)\s*(?=[,…—–]|\.\.\.)", re.I)


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Pause:
    seq: int
    """The candidate message it happened in."""
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class AnswerMetrics:
    seq: int
    turn: int
    """0-based index among the candidate's answers."""
    question_seq: int | None
    """The interviewer line the answer followed."""
    words: int
    fillers: int
    filler_counts: tuple[tuple[str, int], ...]
    hedges: int
    hedge_counts: tuple[tuple[str, int], ...]
    voiced: bool
    """Word timestamps exist for this answer: the timing metrics below are set."""
    start: float | None
    end: float | None
    wpm: float | None
    pauses: tuple[Pause, ...]
    time_to_first_word: float | None

    @property
    def fillers_per_100(self) -> float:
        return _per_100(self.fillers, self.words)

    @property
    def hedges_per_100(self) -> float:
        return _per_100(self.hedges, self.words)

    @property
    def speaking_seconds(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class TalkTime:
    candidate: float
    interviewer: float | None
    session: float

    @property
    def share_of_talk(self) -> float | None:
        if self.interviewer is None or self.candidate + self.interviewer <= 0:
            return None
        return self.candidate / (self.candidate + self.interviewer)

    @property
    def share_of_session(self) -> float | None:
        return self.candidate / self.session if self.session > 0 else None


@dataclass(frozen=True, slots=True)
class DeliveryMetrics:
    answers: tuple[AnswerMetrics, ...]
    voiced: bool
    """At least one answer has word timestamps."""
    words: int
    fillers: int
    top_fillers: tuple[tuple[str, int], ...]
    hedges: int
    top_hedges: tuple[tuple[str, int], ...]
    wpm: float | None
    pauses: tuple[Pause, ...]
    time_to_first_word: float | None
    """The median over the answers that have one."""
    talk: TalkTime | None
    pause_threshold: float = PAUSE_THRESHOLD

    @property
    def words_per_answer(self) -> float:
        return self.words / len(self.answers) if self.answers else 0.0

    @property
    def longest_answer_words(self) -> int:
        return max((a.words for a in self.answers), default=0)

    @property
    def fillers_per_100(self) -> float:
        return _per_100(self.fillers, self.words)

    @property
    def hedges_per_100(self) -> float:
        return _per_100(self.hedges, self.words)

    @property
    def longest_pause(self) -> float | None:
        return max((p.seconds for p in self.pauses), default=None)

    def to_json(self) -> dict[str, Any]:
        talk = self.talk
        return {
            "voiced": self.voiced,
            "pause_threshold": self.pause_threshold,
            "answers": len(self.answers),
            "words": self.words,
            "words_per_answer": _r(self.words_per_answer, 1),
            "longest_answer_words": self.longest_answer_words,
            "fillers": self.fillers,
            "fillers_per_100_words": _r(self.fillers_per_100, 2),
            "top_fillers": [{"text": t, "count": n} for t, n in self.top_fillers],
            "hedges": self.hedges,
            "hedges_per_100_words": _r(self.hedges_per_100, 2),
            "top_hedges": [{"text": t, "count": n} for t, n in self.top_hedges],
            "words_per_minute": _r(self.wpm, 1),
            "pauses": [_pause_json(p) for p in self.pauses],
            "longest_pause": _r(self.longest_pause, 2),
            "time_to_first_word_median": _r(self.time_to_first_word, 2),
            "talk_time": None
            if talk is None
            else {
                "candidate_seconds": _r(talk.candidate, 2),
                "interviewer_seconds": _r(talk.interviewer, 2),
                "session_seconds": _r(talk.session, 2),
                "share_of_talk": _r(talk.share_of_talk, 3),
                "share_of_session": _r(talk.share_of_session, 3),
            },
            "per_answer": [_answer_json(a) for a in self.answers],
        }


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def find_fillers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, filler) spans, in order; the filler is lower-case, spaces normalised."""
    spans = [
        (m.start(), m.end(), " ".join(m.group(0).lower().split()))
        for m in _FILLER_RE.finditer(text)
    ]
    for m in _LIKE_RE.finditer(text):
        group = 1 if m.group(1) is not None else 2
        spans.append((m.start(group), m.end(group), "like"))
    spans = [(s, e, re.sub(r"[\s,-]+", " ", f)) for s, e, f in spans]
    return _non_overlapping(spans)


@cache
def _hedge_lexicon() -> Lexicon:
    return Lexicon({}, None, ())


def find_hedges(text: str) -> list[tuple[int, int, str]]:
    """(start, end, phrase) spans the understanding labels `hedging`, overlaps merged."""
    normalised = text.replace("\u2019", "'").replace("\u2018", "'")
    spans = [
        (m.start, m.end, " ".join(normalised[m.start : m.end].lower().split()))
        for m in _hedge_lexicon().scan(normalised)
        if m.label == "hedging"
    ]
    return _non_overlapping(spans)


def _non_overlapping(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    # Longest first, so "i think maybe" wins over the "maybe" inside it.
    chosen: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    return sorted(chosen)


def as_words(raw: Sequence[Mapping[str, Any] | Word]) -> tuple[Word, ...]:
    """Stored word dicts (or `Word`s) as `Word`s, in time order; unusable ones dropped."""
    out: list[Word] = []
    for w in raw:
        if isinstance(w, Word):
            out.append(w)
            continue
        try:
            start, end = float(w["start"]), float(w["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if end >= start:
            out.append(Word(str(w.get("text", "")), start, end))
    return tuple(sorted(out, key=lambda w: (w.start, w.end)))


def line_duration(message: InterviewerLine) -> float | None:
    """The spoken length of an interviewer line, when the message carries it."""
    value = message.duration
    return value if value is not None and value >= 0 else None


StoredOrMessage = Message | Mapping[str, Any]


def _typed(messages: Iterable[StoredOrMessage]) -> list[Message]:
    # `delivery` and `session_length` also take messages as stored (mappings), read here:
    # their tests state figures over such rows directly.
    return [from_stored(m) if isinstance(m, Mapping) else m for m in messages]


def delivery(
    messages: Sequence[StoredOrMessage],
    words: Mapping[int, Sequence[Mapping[str, Any] | Word]] | None = None,
    *,
    line_durations: Mapping[int, float] | None = None,
    pause_threshold: float = PAUSE_THRESHOLD,
    top: int = 3,
) -> DeliveryMetrics:
    """The metrics of one session. `words` maps a candidate message's seq to its word
    timestamps (session seconds); `line_durations` maps an interviewer line's seq to its
    spoken length in seconds (else the message's own `duration`, when it has one)."""
    typed = _typed(messages)
    words = words or {}
    durations: dict[int, float] = {}
    for m in typed:
        if isinstance(m, InterviewerLine):
            d = line_duration(m)
            if d is not None:
                durations[m.seq] = d
    durations.update({int(k): float(v) for k, v in (line_durations or {}).items()})

    answers: list[AnswerMetrics] = []
    last_line: InterviewerLine | None = None
    filler_total: Counter[str] = Counter()
    hedge_total: Counter[str] = Counter()
    for m in typed:
        if isinstance(m, InterviewerLine):
            last_line = m
            continue
        if not isinstance(m, CandidateLine):
            continue
        answer, fillers, hedges = _answer(
            m, len(answers), last_line, words, durations, pause_threshold
        )
        filler_total.update(fillers)
        hedge_total.update(hedges)
        answers.append(answer)

    voiced = [a for a in answers if a.voiced]
    talk: TalkTime | None = None
    wpm_all: float | None = None
    if voiced:
        spoken = sum(a.speaking_seconds or 0.0 for a in voiced)
        timed_words = sum(len(as_words(words.get(a.seq, ()))) for a in voiced)
        wpm_all = timed_words / (spoken / 60.0) if spoken > 0 else None
        lines = [m.seq for m in typed if isinstance(m, InterviewerLine)]
        known = [durations[s] for s in lines if s in durations]
        talk = TalkTime(
            candidate=spoken,
            interviewer=sum(known) if known else None,
            session=session_length(typed, words),
        )
    ttfws = [a.time_to_first_word for a in answers if a.time_to_first_word is not None]
    return DeliveryMetrics(
        answers=tuple(answers),
        voiced=bool(voiced),
        words=sum(a.words for a in answers),
        fillers=sum(filler_total.values()),
        top_fillers=tuple(filler_total.most_common(top)),
        hedges=sum(hedge_total.values()),
        top_hedges=tuple(hedge_total.most_common(top)),
        wpm=wpm_all,
        pauses=tuple(p for a in answers for p in a.pauses),
        time_to_first_word=statistics.median(ttfws) if ttfws else None,
        talk=talk,
        pause_threshold=pause_threshold,
    )


def _answer(
    m: CandidateLine,
    turn: int,
    last_line: InterviewerLine | None,
    words: Mapping[int, Sequence[Mapping[str, Any] | Word]],
    durations: Mapping[int, float],
    pause_threshold: float,
) -> tuple[AnswerMetrics, Counter[str], Counter[str]]:
    """One candidate message's metrics (`last_line`: the interviewer line it followed),
    and its fillers and hedges counted in the order first said: the session's totals
    keep that order, which breaks ties among their most common."""
    seq = m.seq
    text = m.text
    fillers = Counter(f for _, _, f in find_fillers(text))
    hedges = Counter(h for _, _, h in find_hedges(text))
    timed = as_words(words.get(seq, ()))
    start = end = wpm = ttfw = None
    pauses: tuple[Pause, ...] = ()
    if timed:
        start, end = timed[0].start, max(w.end for w in timed)
        span = end - start
        wpm = len(timed) / (span / 60.0) if span > 0 else None
        pauses = tuple(
            Pause(seq, a.end, b.start)
            for a, b in itertools.pairwise(timed)
            if b.start - a.end > pause_threshold
        )
        if last_line is not None and last_line.at is not None:
            line_end = last_line.at + durations.get(last_line.seq, 0.0)
            ttfw = max(0.0, start - line_end)
    answer = AnswerMetrics(
        seq=seq,
        turn=turn,
        question_seq=last_line.seq if last_line is not None else None,
        words=count_words(text),
        fillers=sum(fillers.values()),
        filler_counts=tuple(fillers.most_common()),
        hedges=sum(hedges.values()),
        hedge_counts=tuple(hedges.most_common()),
        voiced=bool(timed),
        start=start,
        end=end,
        wpm=wpm,
        pauses=pauses,
        time_to_first_word=ttfw,
    )
    return answer, fillers, hedges


def session_length(
    messages: Sequence[StoredOrMessage],
    words: Mapping[int, Sequence[Mapping[str, Any] | Word]] | None = None,
) -> float:
    """Seconds from the session's start to the last thing that happened in it."""
    times = [0.0]
    for m in _typed(messages):
        if m.at is not None:
            times.append(m.at)
        if isinstance(m, CandidateLine) and m.end is not None:
            times.append(m.end)
    for raw in (words or {}).values():
        times += [w.end for w in as_words(raw)]
    return max(times)


def _per_100(count: int, words: int) -> float:
    return 100.0 * count / words if words else 0.0


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _pause_json(p: Pause) -> dict[str, Any]:
    return {"seq": p.seq, "start": _r(p.start, 3), "end": _r(p.end, 3), "seconds": _r(p.seconds, 2)}


def _answer_json(a: AnswerMetrics) -> dict[str, Any]:
    return {
        "seq": a.seq,
        "turn": a.turn,
        "question_seq": a.question_seq,
        "words": a.words,
        "fillers": a.fillers,
        "fillers_per_100_words": _r(a.fillers_per_100, 2),
        "filler_counts": [{"text": t, "count": n} for t, n in a.filler_counts],
        "hedges": a.hedges,
        "hedges_per_100_words": _r(a.hedges_per_100, 2),
        "hedge_counts": [{"text": t, "count": n} for t, n in a.hedge_counts],
        "voiced": a.voiced,
        "start": _r(a.start, 3),
        "end": _r(a.end, 3),
        "speaking_seconds": _r(a.speaking_seconds, 2),
        "words_per_minute": _r(a.wpm, 1),
        "pauses": [_pause_json(p) for p in a.pauses],
        "time_to_first_word": _r(a.time_to_first_word, 2),
    }
