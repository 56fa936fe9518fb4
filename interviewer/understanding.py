"""Understanding: a candidate's answer in, labels out.

Apart from the dialogue, as in Rasa's NLU/stories split: the engine never looks at words,
only at the labels this module assigns. Matching is deliberately simple and transparent
(phrases and regular expressions a scenario writer can read) so that every label can be
explained by the words that produced it; those words become the rubric's evidence.

A turn is read in order: a term asked about and a request about the conversation first
(`questions.py`, `meta.py`), then the candidate's own questions (`questions.py`), the
signals with their polarity (`signals.py`), the built-in and derived labels (`labels.py`)
and, in a culture round, the side taken (`stance.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from . import meta
from .labels import add_derived, add_specific, backed_position
from .meta_phrases import Intent, find
from .own_questions import own_questions
from .questions import ABOUT_A_WORD, Asking, QuestionMatcher
from .sentences import Sentence, normalise, phrase_regex, split, words
from .shorthand import expand_shorthand
from .signals import SignalScanner
from .spans import Match, inside
from .stance import StanceReader

# A turn is read up to this many characters (about eight minutes of speech).
MAX_READ = 8_000


@dataclass(frozen=True, slots=True)
class Understanding:
    labels: frozenset[str]
    matches: tuple[Match, ...]
    # Signals named only to be turned down ("no need for a sandbox"): no credit.
    rejected: tuple[Match, ...] = ()
    # A request about the conversation (see `meta.py`); such a turn is not an answer.
    intent: Intent | None = None
    term: str | None = None  # clarify_term: the definition asked for (None: not known)
    # The candidate's own questions, in order: the fact that answers each, "" for none.
    asked: tuple[str, ...] = ()
    # Besides its questions, the turn says something of substance (it is an answer too).
    substantive: bool = True
    # The candidate says they have to go: the round ends after what came before it.
    leaving: bool = False


class Lexicon:
    """The compiled matchers of one scenario. Build once at load; `understand` is pure."""

    def __init__(
        self,
        signals: Mapping[str, tuple[Sequence[str], Sequence[str]]],
        stance: tuple[Sequence[str], Sequence[str], Sequence[str]] | None,
        glossary: Iterable[str],
        asking: Asking | None = None,
    ) -> None:
        asking = asking or Asking()
        # The sides of a culture round are read by the stance reader, sarcasm included.
        sides = frozenset(label for labels in stance or () for label in labels)
        self._signals = SignalScanner(signals, asking.in_questions, asking.wrong, sides)
        self._glossary = [(term, phrase_regex(term)) for term in glossary if term.strip()]
        self._stance = StanceReader(*stance) if stance is not None else None
        self._questions = QuestionMatcher(asking)

    # -- the whole turn -------------------------------------------------------------------

    def understand(self, text: str, invited: bool = False, put: str = "") -> Understanding:
        """`invited`: the interviewer has just asked for the candidate's questions, so what
        is put as a question is asked, whatever follows it; `put`: the interviewer's
        question as last put (see `own_questions`)."""
        # A turn is read up to MAX_READ characters: the matching cost grows with the text,
        # and one turn must not hold up the others. Spans stay valid, since they index the
        # start of the stored text.
        text = normalise(text[:MAX_READ])
        sentences = split(text)
        leave = meta.leaving_at(sentences)
        if leave is not None:
            # "..., and the cache goes first. Sorry, I have to stop here.": the answer
            # before it is read as any answer is; then the round ends.
            before = text[:leave]
            if not words(before):
                return Understanding(frozenset(), (), substantive=False, leaving=True)
            return replace(self.understand(before, invited, put), leaving=True)
        # The fact each sentence would call up: asked for below, more than once.
        fact_of = self._facts_of(sentences)
        # Requests are read with chat shorthand written out ("wdym by steer", "cant rly
        # think of one"); they keep no spans, so the other offsets do not matter.
        plain = expand_shorthand(text)
        plain_sentences, plain_facts = sentences, fact_of
        if plain != text:
            plain_sentences = split(plain)
            plain_facts = self._facts_of(plain_sentences)
        # A term the scenario defines, asked about, comes first: "What means 'on a hunch'?
        # I don't know this word" wants the meaning, not help.
        term, asked_term = self._questions.term_asked(plain, plain_sentences, plain_facts)
        if not asked_term:
            term = self._questions.quoted_term(plain)
            asked_term = term is not None
        if (
            asked_term
            and (term is not None or ABOUT_A_WORD.search(plain))
            and _not_a_repeat(plain, term)  # "was that 'why now'? repeat the q"
        ):
            return self._request(text, "clarify_term", term)
        recognises = self._signals.recognises
        intent = meta.detect(
            plain, plain_sentences, recognises, lambda q: bool(plain_facts[q]), self._takes_side
        )
        if intent == "repeat" and asked_term and not _HEAR_AGAIN.search(plain):
            # "I don't quite get the question, what do you mean by batch inference?": the
            # confusion is about a meaning, and no word asks to hear it again.
            return self._request(text, "clarify_term", term)
        if intent is not None:
            return self._request(text, intent)
        if asked_term:
            return self._request(text, "clarify_term", term)
        return self._answer(text, sentences, fact_of, invited, put)

    def _answer(
        self,
        text: str,
        sentences: list[Sentence],
        fact_of: Mapping[str, str],
        invited: bool,
        put: str = "",
    ) -> Understanding:
        """A turn that is no request: its questions, its labels and the words behind them."""
        sentences, asked, substantive = own_questions(
            sentences, fact_of, self._signals.recognises, invited, put
        )
        questions = [s for s in sentences if s.question]
        found, rejected = self._signals.find(text, sentences)
        for _term, regex in self._glossary:
            for m in regex.finditer(text):
                if not inside(m.start(), questions):
                    add = found.setdefault
                    add("glossary", []).append(Match("glossary", m.start(), m.end()))
                    add("specific", []).append(Match("specific", m.start(), m.end()))
        add_specific(text, found, questions)
        support = backed_position(sentences)
        if support is not None and "reasons" not in found:
            found["reasons"] = [Match("reasons", support.start, support.end)]
        if questions:
            q = questions[0]
            found.setdefault("question", []).append(Match("question", q.start, q.end))

        labels = set(found)
        add_derived(text, labels)
        if self._stance is not None:
            self._stance.read(text, sentences, found, rejected, labels)
        matches = tuple(
            sorted((m for ms in found.values() for m in ms), key=lambda m: (m.start, m.label))
        )
        return Understanding(
            frozenset(labels),
            matches,
            tuple(sorted(rejected, key=lambda m: (m.start, m.label))),
            asked=asked,
            substantive=substantive,
        )

    def _takes_side(self, text: str) -> bool:
        """A culture round's side, torn included, is taken somewhere in `text`."""
        if self._stance is None:
            return False
        sentences = split(text)
        labels = self._answer(text, sentences, self._facts_of(sentences), invited=False).labels
        return bool(labels & _SIDES)

    def _facts_of(self, sentences: list[Sentence]) -> dict[str, str]:
        """The fact each sentence would call up ("" for none), by its text."""
        return {x.text: self._questions.fact_for(x.text) for x in sentences}

    def scan(self, text: str) -> list[Match]:
        """Every phrase match in `text`, whatever the turn amounts to (for delivery metrics
        such as hedges per 100 words, which count words, not meanings)."""
        text = normalise(text)
        found, _ = self._signals.find(text, split(text))
        return sorted((m for ms in found.values() for m in ms), key=lambda m: m.start)

    def _request(self, text: str, intent: Intent, term: str | None = None) -> Understanding:
        labels = frozenset({"empty", "short"}) if not words(text) else frozenset()
        return Understanding(labels, (), intent=intent, term=term, substantive=False)


_SIDES = frozenset({"stance.for", "stance.against", "stance.mixed"})
_HEAR_AGAIN = re.compile(
    r"\b(?:again|repeat|rephrase|re-?word|say\s+(?:that|it|the)|pardon|catch|caught|hear|heard|"
    r"missed|lost\s+you|cut\s+out|froze|one\s+more\s+time|what\s+was\s+(?:that|the\s+question))\b",
    re.IGNORECASE,
)


def _not_a_repeat(text: str, term: str | None) -> bool:
    """The turn asks for no repeat, or only ends in "again?" after a known term: "whats a
    value model again?" wants the meaning."""
    m = find("repeat", text)
    return m is None or (term is not None and m.group(0).lower().startswith("again"))
