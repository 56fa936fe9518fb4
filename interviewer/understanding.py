"""Understanding: a candidate's answer in, labels out.

Apart from the dialogue, as in Rasa's NLU/stories split: the engine never looks at words,
only at the labels this module assigns. Matching is deliberately simple and transparent
(phrases and regular expressions a scenario writer can read) so that every label can be
explained by the words that produced it; those words become the rubric's evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

NEGATORS = frozenset({"not", "never", "no", "nor", "without", "cannot", "wouldn't", "shouldn't"})
# Negation only reaches back this many words, and never across a clause boundary.
_NEGATION_WINDOW = 5
_CLAUSE_BREAK = re.compile(r"[.,;:!?]|\b(?:but|however|although|though|whereas|yet)\b")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

BUILTIN_PHRASES: dict[str, tuple[str, ...]] = {
    "hedging": (
        "maybe",
        "sort of",
        "kind of",
        "probably",
        "i guess",
        "i'm not sure",
        "not sure",
        "perhaps",
        "i suppose",
        "possibly",
        "might be",
        "i think maybe",
        "hopefully",
    ),
    "reasons": (
        "because",
        "since",
        "so that",
        "the reason",
        "which means",
        "that's why",
        "given that",
        "in order to",
        "due to",
        "otherwise",
        "the risk is",
        "the cost is",
        "the benefit is",
        "the trade-off",
        "the tradeoff",
        "that means",
        "as a result",
        "for example",
        "for instance",
    ),
    "concede": (
        "you're right",
        "you are right",
        "fair point",
        "good point",
        "change my mind",
        "changed my mind",
        "hadn't considered",
        "had not considered",
        "didn't think of",
        "did not think of",
        "take that back",
        "i agree with you",
        "that changes my",
        "i'll reconsider",
        "i would reconsider",
        "i'd reconsider",
        "maybe i'm wrong",
        "i was wrong",
        "you've convinced me",
        "you have convinced me",
        "ok fine",
        "okay fine",
        "i'll go with that",
        "i retract",
        "i'd switch",
        "i would switch",
    ),
    "question": (
        "can i ask",
        "do we know",
        "what is the",
        "what's the",
        "what are the",
        "how many",
        "how much",
        "is it",
        "are we",
        "should i assume",
        "can i assume",
        "i'd like to clarify",
        "to clarify",
        "clarify",
        "clarifying",
        "assume",
        "assuming",
        "what kind of",
        "who are the",
        "requirements",
        "constraints",
    ),
    "star.situation": (
        "when i was",
        "at my last",
        "at my previous",
        "at my current",
        "the situation",
        "the context",
        "back in",
        "our team was",
        "i was working",
        "we were working",
        "i worked on",
        "a few years ago",
        "last year",
        "the project was",
        "we had a",
    ),
    "star.task": (
        "my job was",
        "i was responsible",
        "my role",
        "the goal was",
        "i needed to",
        "we needed to",
        "my task",
        "i was asked to",
        "the task was",
        "i owned",
        "our goal",
        "the problem was",
        "i had to",
        "we had to",
    ),
    "star.action": (
        "i decided",
        "i built",
        "i wrote",
        "i proposed",
        "i led",
        "i implemented",
        "i designed",
        "i set up",
        "i added",
        "i ran",
        "i changed",
        "i talked to",
        "i escalated",
        "so i",
        "i introduced",
        "i created",
        "i reached out",
        "i rolled back",
        "i pushed",
        "i analyzed",
        "i analysed",
        "i investigated",
        "i measured",
        "i organized",
        "i organised",
    ),
    "star.result": (
        "as a result",
        "the result",
        "reduced",
        "improved",
        "increased",
        "we shipped",
        "in the end",
        "ended up",
        "the outcome",
        "we saw",
        "led to",
        "saved",
        "dropped",
        "went down",
        "went up",
        "i learned",
        "i learnt",
        "lesson",
    ),
}
BUILTIN_PATTERNS: dict[str, tuple[str, ...]] = {
    "question": (r"\?",),
    "star.result": (r"\d+(?:\.\d+)?\s*(?:%|percent|x\b)",),
}
_UNITS = (
    r"%|percent|ms|milliseconds?|seconds?|minutes?|hours?|days?|weeks?|months?|years?|"
    r"gb|tb|mb|tokens?|qps|rps|gpus?|nodes?|users?|requests?|people|engineers|x|times|"
    r"billion|million|thousand|hundred"
)
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty|sixty|seventy|eighty|ninety|a hundred|several"
)
# A figure is specific; a spelled-out number only with a unit ("five percent", not "one").
_SPECIFIC = re.compile(
    rf"\b\d[\d,.]*\s*(?:(?:{_UNITS})\b|[kmb]\b)?|\b(?:{_NUMBER_WORDS})[\s-]+(?:{_UNITS})\b|"
    r"\b(?:hundred|thousand|million|billion|trillion)s?\b",
    re.IGNORECASE,
)
STANCE_LABELS = ("stance.for", "stance.against", "stance.mixed")
DERIVED = ("star.complete", "specific", "vague", "short", "empty", "glossary")
STAR_PARTS = ("star.situation", "star.task", "star.action", "star.result")
BUILTIN_LABELS = frozenset([*BUILTIN_PHRASES, *BUILTIN_PATTERNS, *DERIVED, *STANCE_LABELS])
_MIXED_PHRASES = ("it depends", "depends on", "on the other hand", "both sides", "torn", "not sure")
SHORT_WORDS = 12
_BUT_AFTER = re.compile(
    r"[^.;!?]{0,60}?\b(?:but|however|still|that said|even so|nevertheless)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Match:
    label: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Understanding:
    labels: frozenset[str]
    matches: tuple[Match, ...]


@dataclass(frozen=True)
class _Matcher:
    label: str
    regex: re.Pattern[str]
    negated_form: bool  # the phrase itself carries a negation, so a preceding one is fine
    # A word the text must contain for the phrase to match: a substring test is far cheaper
    # than the regex, and most phrases are absent from most answers.
    needle: str | None = None


def phrase_regex(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in phrase.lower().split()]
    body = r"[\s,-]+".join(words)
    # Whole words only; a phrase that ends in punctuation cannot use a trailing \b.
    lead = r"\b" if phrase[:1].isalnum() else ""
    tail = r"\b" if phrase[-1:].isalnum() else ""
    return re.compile(lead + body + tail, re.IGNORECASE)


def _has_negation(text: str) -> bool:
    return any(w in NEGATORS or w.endswith("n't") for w in _WORD.findall(text.lower()))


class Lexicon:
    """The compiled matchers of one scenario. Build once at load; `understand` is pure."""

    def __init__(
        self,
        signals: Mapping[str, tuple[Sequence[str], Sequence[str]]],
        stance: tuple[Sequence[str], Sequence[str], Sequence[str]] | None,
        glossary: Iterable[str],
    ) -> None:
        self._matchers: list[_Matcher] = []
        for label, phrases in BUILTIN_PHRASES.items():
            self._add_phrases(label, phrases)
        for label, regexes in BUILTIN_PATTERNS.items():
            self._add_patterns(label, regexes)
        for name, (words, patterns) in signals.items():
            self._add_phrases(name, words)
            self._add_patterns(name, patterns)
        self._glossary = [(term, phrase_regex(term)) for term in glossary if term.strip()]
        self._stance = stance
        self._mixed = [phrase_regex(p) for p in _MIXED_PHRASES]

    def _add_phrases(self, label: str, phrases: Iterable[str]) -> None:
        for phrase in phrases:
            needle = phrase.lower().split()[0] if phrase.split() else None
            self._matchers.append(
                _Matcher(label, phrase_regex(phrase), _has_negation(phrase), needle)
            )

    def _add_patterns(self, label: str, patterns: Iterable[str]) -> None:
        for pattern in patterns:
            regex = re.compile(pattern, re.IGNORECASE)
            self._matchers.append(_Matcher(label, regex, _has_negation(pattern)))

    def understand(self, text: str) -> Understanding:
        text = text.replace("\u2019", "'").replace("\u2018", "'")
        found: dict[str, list[Match]] = {}

        def add(match: Match) -> None:
            found.setdefault(match.label, []).append(match)

        lowered = text.lower()
        for matcher in self._matchers:
            if matcher.needle is not None and matcher.needle not in lowered:
                continue
            for m in matcher.regex.finditer(text):
                if m.end() == m.start():
                    continue
                if not matcher.negated_form and _negated(text, m.start()):
                    continue
                add(Match(matcher.label, m.start(), m.end()))
        # "Fair point, but ..." acknowledges an argument and then holds: not a concession.
        if "concede" in found:
            kept = [m for m in found["concede"] if not _BUT_AFTER.match(text, m.end)]
            if kept:
                found["concede"] = kept
            else:
                del found["concede"]
        for _term, regex in self._glossary:
            for m in regex.finditer(text):
                add(Match("glossary", m.start(), m.end()))
                add(Match("specific", m.start(), m.end()))
        for m in _SPECIFIC.finditer(text):
            if m.end() > m.start():
                add(Match("specific", m.start(), m.end()))

        words = _WORD.findall(text.lower())
        labels = set(found)
        if not words:
            labels.add("empty")
        if len(words) < SHORT_WORDS:
            labels.add("short")
        elif "specific" not in labels:
            labels.add("vague")
        if all(part in labels for part in STAR_PARTS):
            labels.add("star.complete")
        if self._stance is not None:
            self._add_stance(text, found, labels)
        matches = tuple(
            sorted((m for ms in found.values() for m in ms), key=lambda m: (m.start, m.label))
        )
        return Understanding(frozenset(labels), matches)

    def _add_stance(self, text: str, found: dict[str, list[Match]], labels: set[str]) -> None:
        assert self._stance is not None
        pro, con, mixed = self._stance
        pro_hits = [m for label in pro for m in found.get(label, [])]
        con_hits = [m for label in con for m in found.get(label, [])]
        mixed_hits = [m for label in mixed for m in found.get(label, [])]
        mixed_hits += [
            Match("stance.mixed", m.start(), m.end()) for r in self._mixed for m in r.finditer(text)
        ]
        # Negation handling does the work for corrections ("no, I would not release it"
        # matches only the against-signal `not release`); both sides argued is mixed.
        if pro_hits and not con_hits:
            found["stance.for"] = pro_hits
        elif con_hits and not pro_hits:
            found["stance.against"] = con_hits
        elif pro_hits and con_hits:
            found["stance.mixed"] = pro_hits + con_hits
        elif mixed_hits:
            found["stance.mixed"] = mixed_hits
        for label in STANCE_LABELS:
            if label in found:
                labels.add(label)
                for m in found[label]:
                    if m.label != label:
                        found[label] = [Match(label, x.start, x.end) for x in found[label]]
                        break


def _negated(text: str, start: int) -> bool:
    before = text[max(0, start - 80) : start].lower()
    clause = _CLAUSE_BREAK.split(before)[-1]
    words = _WORD.findall(clause)[-_NEGATION_WINDOW:]
    return any(w in NEGATORS or w.endswith("n't") for w in words)
