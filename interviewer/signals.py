"""Signals: the phrases and patterns of a turn, and whether they are said or turned down.

Each of a scenario's signals (and each built-in label, see `labels.py`) is a list of
phrases and regular expressions. A match counts only with its polarity right (see
`polarity.py`): words turned down earn no credit and are kept apart as rejected, so that
the engine may challenge them. A rejection reaches over the rest of what it names and the
rest of its sentence; words in the candidate's own question earn nothing; a sentence that
states a wrong claim earns nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from .labels import BUILTIN_PATTERNS, BUILTIN_PHRASES
from .polarity import BARE_REJECTION, has_negation, turned_down
from .sentences import Sentence, phrase_regex
from .spans import Match, inside

Found = dict[str, list[Match]]


@dataclass(frozen=True)
class _Matcher:
    label: str
    regex: re.Pattern[str]
    negated_form: bool  # the phrase itself carries a negation, so a preceding one is fine
    # A word the text must contain for the phrase to match: a substring test is far cheaper
    # than the regex, and most phrases are absent from most answers.
    needle: str | None = None
    rejects: bool = False  # the pattern has a `rejected` group (see `_matches`)


class SignalScanner:
    """The compiled matchers of one scenario: the built-in labels first, then its signals.
    `in_questions`: signals that count inside the candidate's own questions; `wrong`:
    signals of wrong claims."""

    def __init__(
        self,
        signals: Mapping[str, tuple[Sequence[str], Sequence[str]]],
        in_questions: frozenset[str] = frozenset(),
        wrong: frozenset[str] = frozenset(),
        sides: frozenset[str] = frozenset(),
    ) -> None:
        self._matchers: list[_Matcher] = []
        for label, phrases in BUILTIN_PHRASES.items():
            self._add_phrases(label, phrases)
        for label, regexes in BUILTIN_PATTERNS.items():
            self._add_patterns(label, regexes)
        for name, (words_, patterns) in signals.items():
            self._add_phrases(name, words_)
            self._add_patterns(name, patterns)
        self._signals = frozenset(signals)
        self._in_questions = in_questions
        self._wrong = wrong
        self._sides = sides

    def _add_phrases(self, label: str, phrases: Iterable[str]) -> None:
        for phrase in phrases:
            # The part before any apostrophe: "thats" is found for "that's".
            needle = phrase.lower().split()[0].split("'")[0] if phrase.split() else None
            self._matchers.append(
                _Matcher(label, phrase_regex(phrase, loose=True), has_negation(phrase), needle)
            )

    def _add_patterns(self, label: str, patterns: Iterable[str]) -> None:
        for pattern in patterns:
            regex = re.compile(pattern, re.IGNORECASE)
            rejects = _REJECTED_GROUP in regex.groupindex
            self._matchers.append(_Matcher(label, regex, has_negation(pattern), rejects=rejects))

    def recognises(self, text: str) -> bool:
        """Some signal of the scenario (not a built-in label) is in `text`."""
        lowered = text.lower()
        return any(
            m.label in self._signals
            and (m.needle is None or m.needle in lowered)
            and m.regex.search(text) is not None
            for m in self._matchers
        )

    def find(self, text: str, sentences: list[Sentence]) -> tuple[Found, list[Match]]:
        """The labels said in `text` with their matches, and the signals turned down."""
        found, rejected, asked_about, self_negated = self._matches(text, sentences)
        _inside_rejections(found, rejected)
        _spread_rejections(text, sentences, found, rejected, self_negated)
        self._bare_rejections(sentences, found, rejected, asked_about)
        self._mocked(sentences, found, rejected)
        _hold_rejections(sentences, found, rejected)
        _hold_concessions(text, found)
        self._drop_wrong_claims(sentences, found)
        return found, rejected

    def _matches(
        self, text: str, sentences: list[Sentence]
    ) -> tuple[Found, list[Match], list[Match], set[Match]]:
        """Every matcher over the text: (found, rejected, named in the candidate's own
        question, negated by the phrase itself)."""
        found: Found = {}
        rejected: list[Match] = []
        asked_about: list[Match] = []  # named in the candidate's own question
        self_negated: set[Match] = set()  # "no secrets in the sandbox": negation is the phrase
        questions = [s for s in sentences if s.question]
        lowered = text.lower()
        for matcher in self._matchers:
            if matcher.needle is not None and matcher.needle not in lowered:
                continue
            for m in matcher.regex.finditer(text):
                if m.end() == m.start():
                    continue
                label = matcher.label
                scenario_signal = label in self._signals
                # Words inside the candidate's own question earn nothing.
                if (
                    scenario_signal
                    and label not in self._in_questions
                    and inside(m.start(), questions)
                ):
                    asked_about.append(Match(label, m.start(), m.end()))
                    continue
                # A pattern may name the turned-down form of its signal in a group called
                # `rejected`: "fail open" says no to failing closed.
                # "I'd never fail open" turns the rejection down in turn: credit.
                down = (
                    not matcher.negated_form
                    and label not in _NOT_NEGATED
                    and turned_down(text, m.start(), m.end())
                )
                if matcher.rejects and m.group(_REJECTED_GROUP) is not None:
                    down = not down
                if down:
                    if scenario_signal:
                        rejected.append(Match(label, m.start(), m.end()))
                    continue
                hit = Match(label, m.start(), m.end())
                if matcher.negated_form:
                    self_negated.add(hit)
                found.setdefault(label, []).append(hit)
        return found, rejected, asked_about, self_negated

    def _bare_rejections(
        self,
        sentences: list[Sentence],
        found: Found,
        rejected: list[Match],
        asked_about: list[Match],
    ) -> None:
        """ "KL penalty? Wouldn't bother.": a sentence that only turns down what the one
        before it named."""
        for before, after in pairwise(sentences):
            if BARE_REJECTION.match(after.text):
                named = [*asked_about, *(x for xs in found.values() for x in xs)]
                for hit in named:
                    if hit.label in self._signals and before.start <= hit.start < before.end:
                        rejected.append(hit)
                        if hit in found.get(hit.label, []):
                            found[hit.label].remove(hit)
                            if not found[hit.label]:
                                del found[hit.label]

    def _mocked(self, sentences: list[Sentence], found: Found, rejected: list[Match]) -> None:
        """ "Oh sure, let's have someone read ten thousand samples by hand.": what a
        mocking sentence proposes is turned down."""
        mocking = [s for s in sentences if _MOCKS.match(s.text)]
        for label in [x for x in found if x in self._signals and x not in self._sides]:
            mocked = [m for m in found[label] if inside(m.start, mocking)]
            if mocked:
                rejected += mocked
                found[label] = [m for m in found[label] if m not in mocked]
                if not found[label]:
                    del found[label]

    def _drop_wrong_claims(self, sentences: list[Sentence], found: Found) -> None:
        """A sentence that states a wrong claim earns nothing else: its words are not
        knowledge ("the variance of q.k is one, so no scaling is needed").
        "Earlier I said the cache grows quadratically. It's linear." takes the claim back."""
        retracted = [s for s in sentences if _RETRACTS.search(s.text)]
        # "Decode is compute-bound because... No wait, other way round.": the sentence
        # before is taken back, and what came before the cue in its own sentence.
        retracted += [b for b, a in pairwise(sentences) if _RETRACTS_BEFORE.match(a.text)]
        taken_back = [
            Sentence(s.start, s.start + cue.start(), s.text[: cue.start()], s.question)
            for s in sentences
            if (cue := _TAKES_BACK.search(s.text)) is not None
        ]
        for label in self._wrong:
            if label in found:
                found[label] = [
                    m for m in found[label] if not inside(m.start, [*retracted, *taken_back])
                ]
                if not found[label]:
                    del found[label]
        wrong = [m for label in self._wrong for m in found.get(label, [])]
        if wrong:
            spans = [
                s for s in sentences if any(m.start < s.end and s.start < m.end for m in wrong)
            ]
            for label in list(found):
                if label in self._signals and label not in self._wrong:
                    found[label] = [m for m in found[label] if not inside(m.start, spans)]
                    if not found[label]:
                        del found[label]


def _inside_rejections(found: Found, rejected: list[Match]) -> None:
    """ "if a node dies we just restart": a phrase of the signal ("restart") inside the
    words that turn it down is turned down with them."""
    for r in rejected:
        kept = [m for m in found.get(r.label, []) if not (r.start <= m.start and m.end <= r.end)]
        if r.label in found and len(kept) < len(found[r.label]):
            if kept:
                found[r.label] = kept
            else:
                del found[r.label]


def _spread_rejections(
    text: str,
    sentences: list[Sentence],
    found: Found,
    rejected: list[Match],
    self_negated: set[Match],
) -> None:
    """ "I would not include a KL term against the reference model": the rejection covers
    the rest of what it names, and the rest of its sentence unless that turns ("I'd skip
    human eval entirely, way too slow" gives the reason for skipping it)."""

    def spreads(r: Match, m: Match) -> bool:
        if m in self_negated:
            return False
        if m.start < r.start:
            # "On contamination, I'd not bother keeping a hidden set": the topic named
            # first is the thing turned down after it.
            s = next((s for s in sentences if s.start <= m.start < s.end), None)
            return (
                s is not None
                and r.start < s.end
                and _TOPIC_OPENING.fullmatch(text, s.start, m.start) is not None
                and _TOPIC_CLOSING.match(text, m.end) is not None
                and not _TURN.search(text, m.end, r.start)
            )
        if m.start < r.end or _SAME_THING.fullmatch(text, r.end, m.start):
            return not _BREAK.search(text, r.start, m.start)
        same = any(s.start <= r.start and m.start < s.end for s in sentences)
        turn = _TURN.search(text, r.end, m.start)
        # "I didn't subtract the max, float64 has the range so exp won't overflow": the
        # reason for leaving it out names it again, negated; no turn of mind.
        if (
            turn
            and _REASON.fullmatch(turn.group(0))
            and not _TURN.search(text, turn.end(), m.start)
        ):
            said = text[turn.end() : m.start]
            return same and (has_negation(said) or _LEAVES_OUT.search(said) is not None)
        return same and not turn

    for r in list(rejected):
        kept = found.get(r.label, [])
        spread = [m for m in kept if spreads(r, m)]
        if spread:
            rejected += spread
            found[r.label] = [m for m in kept if m not in spread]
            if not found[r.label]:
                del found[r.label]


def _hold_rejections(sentences: list[Sentence], found: Found, rejected: list[Match]) -> None:
    """ "I'd go straight into PPO without a supervised stage. The supervised step can
    reduce diversity.": once turned down, a thing named again in a later sentence is still
    the thing turned down, unless that sentence changes the candidate's mind ("Actually,
    ...")"""
    for label in {r.label for r in rejected}:
        first = min(r.start for r in rejected if r.label == label)
        held = [s for s in sentences if s.start > first and not _changes_mind(s.text)]
        kept = [m for m in found.get(label, []) if not inside(m.start, held)]
        if label in found:
            moved = [m for m in found[label] if m not in kept]
            rejected += moved
            if kept:
                found[label] = kept
            else:
                del found[label]


def _changes_mind(text: str) -> bool:
    """The sentence turns from what was said before it. "I know that sounds scary, but
    ..." grants the listener's doubt and goes on holding: its "but" turns nothing."""
    return _CHANGE_OF_MIND.search(_GRANTED.sub(" ", text)) is not None


_GRANTED = re.compile(
    r"^\W*(?:(?:and|so|look|yeah|now)\W+)*i\s+(?:know|get|realise|realize|understand)\s+"
    r"(?:that\s+|it\s+|this\s+|how\s+)?[^.;!?]{0,50}?\b(?:sounds?|seems?|looks?|people|some|most|"
    r"you|others?|folks|everyone|the\s+usual|the\s+standard|it'?s\s+(?:usual|standard|common))"
    r"[^.;!?]{0,50}?,?\s+but\b",
    re.IGNORECASE,
)
# "Oh sure, let's ...", "Yeah, great idea, let's just ...": a proposal said to mock it.
_MOCKS = re.compile(
    r"\W*(?:oh\s+)?(?:sure|yeah|yes|right|great|brilliant|perfect)(?:\s+(?:idea|plan))?\W+"
    r"(?:(?:great|brilliant|good)\s+(?:idea|plan)\W+)?let'?s\s+(?:just\s+|all\s+)?\w+",
    re.IGNORECASE,
)
_CHANGE_OF_MIND = re.compile(
    r"\b(?:actually|on\s+second\s+thought|then\s+again|wait|scratch\s+that|"
    r"i\s+take\s+(?:that|it)\s+back|but|though|although|that\s+said|still|except|unless|"
    r"fair|okay|ok|you'?re\s+right|good\s+point)\b",
    re.IGNORECASE,
)


def _hold_concessions(text: str, found: Found) -> None:
    """ "Fair point, but ..." acknowledges an argument and then holds: not a concession."""
    if "concede" in found:
        kept = [m for m in found["concede"] if not _BUT_AFTER.match(text, m.end)]
        if kept:
            found["concede"] = kept
        else:
            del found["concede"]


_BUT_AFTER = re.compile(
    r"[^.;!?]{0,60}?\b(?:but|however|still|that said|even so|nevertheless)\b", re.IGNORECASE
)

_REJECTED_GROUP = "rejected"
_TOPIC_OPENING = re.compile(
    r"\W*(?:(?:and|so|now|then|okay|ok|right)\W+)?(?:on|for|as\s+for|about|regarding|re|with)"
    r"\s+(?:the\s+)?",
    re.IGNORECASE,
)
_TOPIC_CLOSING = re.compile(r"[\w-]*\s*(?:,|-|:)")
_BREAK = re.compile(r"[.,;:!?]|\b(?:but|only|just|however|instead)\b", re.IGNORECASE)
_LEAVES_OUT = re.compile(r"\b(?:skip|drop|ditch|remove|get\s+rid\s+of|leave\s+out)\b", re.I)
_REASON = re.compile(r"so|because|since|which|therefore|hence|thus", re.IGNORECASE)
_TURN = re.compile(
    r"[.;!?]|\b(?:but|however|instead|rather|only|except|although|though|whereas|yet|still|also|"
    r"unless|if|then|later|once|so|because|since|which|therefore|hence|thus|that's\s+why)\b",
    re.IGNORECASE,
)
# Between two phrases of one thing: "KL term against the reference model".
_SAME_THING = re.compile(
    r"\W*(?:(?:against|to|with|for|on|of|and|or|the|a|an|its|their|our|any|as|in)\W+){1,4}",
    re.IGNORECASE,
)
_NOT_NEGATED = frozenset({"reasons", "question"})
# "decode is compute-bound because... no wait, other way round, it's memory-bound": what
# came before the cue is taken back, not what follows it.
_TAKE_BACK_CUE = (
    r"(?:no\s+wait|wait\s+no|(?:the\s+)?other\s+way\s+a?round|i\s+mean\s+the\s+opposite)"
)
_TAKES_BACK = re.compile(rf"\b{_TAKE_BACK_CUE}\b", re.IGNORECASE)
_RETRACTS_BEFORE = re.compile(
    rf"^\W*(?:(?:no|wait|hmm+|sorry|oh|um+|uh+)\W+)*(?:{_TAKE_BACK_CUE}|scratch\s+that|"
    r"i\s+got\s+(?:that|it)\s+backwards|that'?s\s+(?:wrong|backwards))\b",
    re.IGNORECASE,
)
_RETRACTS = re.compile(
    r"\b(?:earlier|before|previously)\s+i\s+said\b|\bi\s+(?:said|claimed)\s+(?:earlier|before)\b|"
    r"\bi\s+(?:was\s+wrong|misspoke|got\s+(?:that|it)\s+wrong)\b|\bscratch\s+that\b|\bnot\s+(?:as|like)\s+i\s+said\b",
    re.IGNORECASE,
)
