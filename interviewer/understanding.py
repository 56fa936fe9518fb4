"""Understanding: a candidate's answer in, labels out.

Apart from the dialogue, as in Rasa's NLU/stories split: the engine never looks at words,
only at the labels this module assigns. Matching is deliberately simple and transparent
(phrases and regular expressions a scenario writer can read) so that every label can be
explained by the words that produced it; those words become the rubric's evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

from . import meta
from .polarity import BARE_REJECTION, has_negation, turned_down
from .sentences import (
    ASK_CUE,
    Sentence,
    is_tag_question,
    is_topic,
    normalise,
    phrase_regex,
    split,
    words,
)
from .spans import Match, inside
from .stance import STANCE_LABELS, StanceReader

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
        "the cost of",
        "the risk of",
        "the problem is",
        "the issue is",
        "the danger is",
        "the benefit is",
        "the trade-off",
        "the tradeoff",
        "that means",
        "as a result",
        "for example",
        "for instance",
        "which is why",
        "which meant",
        "that shows",
        "which shows",
        "this shows",
        "that meant",
        "meaning that",
        "that's exactly why",
        "this is why",
        "that is why",
        "means that",
        "it means",
        "which would",
        "that way",
        "in that case",
        "considering",
        "the point is",
        "leads to",
        "would lead to",
        "so we",
        "so it",
        "so the",
        "so they",
        "so you",
        "so that's",
        "hence",
        "therefore",
        "thus",
        "as long as",
        "unless",
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
        "at my old",
        "at my former",
        "in my last job",
        "in my previous job",
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
        "i did",
        "i did myself",
        "did myself",
        "i handled",
        "i took care of",
        "i fixed",
        "i trained",
        "i cleaned",
        "i debugged",
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
        "it worked",
        "fixed it",
        "i learned",
        "i learnt",
        "lesson",
    ),
}
_NUMBER_WORDS_RESULT = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    "forty|fifty|sixty|seventy|eighty|ninety|a\\s+hundred"
)
BUILTIN_PATTERNS: dict[str, tuple[str, ...]] = {
    "question": (r"\?",),
    # "if the reward climbs while raters disagree, then ...", "..., so ...", "given the ..."
    "reasons": (
        r"\bif\b[^.?!]{2,80}?\b(?:then|we'd|we\s+would|it\s+would|you'd|that\s+would)\b",
        r",\s*so\b(?!\s+that\b)",
        r"\b\w+\s+so\s+(?:\w+\s+)?(?:should|would|must|can|will|is|are|needs?|has|have)\b",
        r"\bso\s+(?:i'?d|we'?d|i'?ll|we'?ll|i\s+would|we\s+would|i\s+will|we\s+will)\b",
        # "If prompts leak into training, every number we report is inflated."
        r"\bif\b[^.?!,;]{2,80},\s*(?:then\s+)?(?:every|the|we|you|it|they|that|this|there|nobody|no\s+one)\b",
        r"\b\w+\s+meant\s+(?:that\s+)?(?:we|the|you|they|real|more|less|no|a|an)\b",
        r"\bgiven\s+(?:the|that|how|our|their|its)\b",
    ),
    "star.result": (
        r"\d+(?:\.\d+)?\s*(?:%|percent|x\b)",
        # "went from one in five to one in twenty", "twelve percent", "cut it by half"
        r"\b(?:went|dropped|fell|rose|climbed|grew|moved|came\s+down|went\s+down|went\s+up)\s+from\b"
        r"[^.;!?]{1,50}?\bto\b",
        rf"\b(?:{_NUMBER_WORDS_RESULT})[\s-]+(?:percent|per\s+cent|points?|times)\b",
        r"\b(?:by|in)\s+(?:half|a\s+third|a\s+quarter|two\s+thirds)\b",
    ),
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
DERIVED = ("star.complete", "specific", "vague", "short", "empty", "glossary", "bare_list")
STAR_PARTS = ("star.situation", "star.task", "star.action", "star.result")
BUILTIN_LABELS = frozenset([*BUILTIN_PHRASES, *BUILTIN_PATTERNS, *DERIVED, *STANCE_LABELS])
SHORT_WORDS = 12
_BUT_AFTER = re.compile(
    r"[^.;!?]{0,60}?\b(?:but|however|still|that said|even so|nevertheless)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Understanding:
    labels: frozenset[str]
    matches: tuple[Match, ...]
    # Signals named only to be turned down ("no need for a sandbox"): no credit.
    rejected: tuple[Match, ...] = ()
    # A request about the conversation (see `meta.py`); such a turn is not an answer.
    intent: meta.Intent | None = None
    term: str | None = None  # clarify_term: the definition asked for (None: not known)
    # The candidate's own questions, in order: the fact that answers each, "" for none.
    asked: tuple[str, ...] = ()
    # Besides its questions, the turn says something of substance (it is an answer too).
    substantive: bool = True
    # The candidate says they have to go: the round ends after what came before it.
    leaving: bool = False


@dataclass(frozen=True)
class Asking:
    """What a scenario can answer: its facts and its definitions, as matchers."""

    facts: Sequence[tuple[str, Sequence[str]]] = ()  # (fact id, phrases it is about)
    definitions: Sequence[tuple[str, Sequence[str]]] = ()  # (term, its spellings)
    in_questions: frozenset[str] = field(default_factory=frozenset)
    wrong: frozenset[str] = field(default_factory=frozenset)  # signals of wrong claims


@dataclass(frozen=True)
class _Matcher:
    label: str
    regex: re.Pattern[str]
    negated_form: bool  # the phrase itself carries a negation, so a preceding one is fine
    # A word the text must contain for the phrase to match: a substring test is far cheaper
    # than the regex, and most phrases are absent from most answers.
    needle: str | None = None
    rejects: bool = False  # the pattern has a `rejected` group (see `_signals_in`)


class Lexicon:
    """The compiled matchers of one scenario. Build once at load; `understand` is pure."""

    def __init__(
        self,
        signals: Mapping[str, tuple[Sequence[str], Sequence[str]]],
        stance: tuple[Sequence[str], Sequence[str], Sequence[str]] | None,
        glossary: Iterable[str],
        asking: Asking | None = None,
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
        self._glossary = [(term, phrase_regex(term)) for term in glossary if term.strip()]
        self._stance = StanceReader(*stance) if stance is not None else None
        self._asking = asking or Asking()
        self._facts = [
            (fact_id, [phrase_regex(p, plural=True) for p in about])
            for fact_id, about in self._asking.facts
        ]
        # Every word the facts are asked about in, to tell a thing they have no word for.
        self._fact_words = frozenset(
            _singular(w) for _, about in self._asking.facts for p in about for w in words(p)
        )
        self._definitions = [
            (term, [phrase_regex(t, plural=True) for t in (term, *also)])
            for term, also in self._asking.definitions
        ]

    def _add_phrases(self, label: str, phrases: Iterable[str]) -> None:
        for phrase in phrases:
            # The part before any apostrophe: "thats" is found for "that's".
            needle = phrase.lower().split()[0].split("'")[0] if phrase.split() else None
            self._matchers.append(
                _Matcher(label, phrase_regex(phrase), has_negation(phrase), needle)
            )

    def _add_patterns(self, label: str, patterns: Iterable[str]) -> None:
        for pattern in patterns:
            regex = re.compile(pattern, re.IGNORECASE)
            rejects = _REJECTED_GROUP in regex.groupindex
            self._matchers.append(_Matcher(label, regex, has_negation(pattern), rejects=rejects))

    # -- the whole turn -------------------------------------------------------------------

    def understand(self, text: str) -> Understanding:
        # A turn is read up to MAX_READ characters (about eight minutes of speech): the
        # matching cost grows with the text, and one turn must not hold up the others.
        # Spans stay valid, since they index the start of the stored text.
        text = normalise(text[:MAX_READ])
        sentences = split(text)
        leave = meta.leaving_at(sentences)
        if leave is not None:
            # "..., and the cache goes first. Sorry, I have to stop here.": the answer
            # before it is read as any answer is; then the round ends.
            before = text[:leave]
            if not words(before):
                return Understanding(frozenset(), (), substantive=False, leaving=True)
            return replace(self.understand(before), leaving=True)
        # The fact each sentence would call up: asked for below, more than once.
        fact_of = {x.text: self._fact_for(x.text) for x in sentences}
        # A term the scenario defines, asked about, comes first: "What means 'on a hunch'?
        # I don't know this word" wants the meaning, not help.
        term, asked_term = self._term_asked(text, sentences, fact_of)
        if (
            asked_term
            and (term is not None or _ABOUT_A_WORD.search(text))
            and meta.find("repeat", text) is None  # "was that 'why now'? repeat the q"
        ):
            return self._request(text, "clarify_term", term)
        intent = meta.detect(text, sentences, self._recognises, lambda q: bool(fact_of[q]))
        if intent is not None:
            return self._request(text, intent)
        if asked_term:
            return self._request(text, "clarify_term", term)

        # "Every action is allowed, right?" checks a claim: a question only if a fact of
        # the scenario answers it.
        sentences = [
            Sentence(s.start, s.end, s.text, False)
            if s.question and is_tag_question(s.text) and not fact_of[s.text]
            else s
            for s in sentences
        ]
        # "Classifier timeout? Fail open.": a topic named, then the speaker's own answer.
        sentences = [
            Sentence(s.start, s.end, s.text, False)
            if s.question and nxt is not None and not nxt.question and is_topic(s.text)
            else s
            for s, nxt in zip(sentences, [*sentences[1:], None], strict=True)
        ]
        questions = [s for s in sentences if s.question]
        # "... a proper uplift study. Has anyone run one yet?": a question that names
        # nothing is read with the sentence before it.
        asked = tuple(
            fact_of[s.text] or (fact_of[sentences[i - 1].text] if i else "")
            for i, s in enumerate(sentences)
            if s.question
        )
        # A turn with questions is also an answer only if it says enough besides them; a
        # question followed by more words was rhetorical unless it comes last.
        substantive = True
        if questions:
            # "Do you sponsor visas? I'm asking because of my timing" still only asks.
            besides = " ".join(s.text for s in sentences if not s.question)
            substantive = len(words(besides)) >= _SUBSTANCE and self._recognises(besides)
            if substantive and not sentences[-1].question:
                # Followed by more of the answer: only a question the candidate marked
                # with "?" and that a fact answers was really asked.
                asked = tuple(
                    a for s, a in zip(questions, asked, strict=True) if a and s.text.endswith("?")
                )

        found, rejected = self._signals_in(text, sentences)
        for _term, regex in self._glossary:
            for m in regex.finditer(text):
                if not inside(m.start(), questions):
                    add = found.setdefault
                    add("glossary", []).append(Match("glossary", m.start(), m.end()))
                    add("specific", []).append(Match("specific", m.start(), m.end()))
        for m in _SPECIFIC.finditer(text):
            if m.end() > m.start() and not inside(m.start(), questions):
                found.setdefault("specific", []).append(Match("specific", m.start(), m.end()))
        if questions:
            q = questions[0]
            found.setdefault("question", []).append(Match("question", q.start, q.end))

        all_words = words(text)
        labels = set(found)
        if not all_words:
            labels.add("empty")
        if len(all_words) < SHORT_WORDS:
            labels.add("short")
        elif "specific" not in labels:
            labels.add("vague")
        if all(part in labels for part in STAR_PARTS):
            labels.add("star.complete")
        if _bare_list(text, labels):
            labels.add("bare_list")
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

    def _recognises(self, text: str) -> bool:
        """Some signal of the scenario (not a built-in label) is in `text`."""
        lowered = text.lower()
        return any(
            m.label in self._signals
            and (m.needle is None or m.needle in lowered)
            and m.regex.search(text) is not None
            for m in self._matchers
        )

    def scan(self, text: str) -> list[Match]:
        """Every phrase match in `text`, whatever the turn amounts to (for delivery metrics
        such as hedges per 100 words, which count words, not meanings)."""
        text = normalise(text)
        found, _ = self._signals_in(text, split(text))
        return sorted((m for ms in found.values() for m in ms), key=lambda m: m.start)

    def _request(self, text: str, intent: meta.Intent, term: str | None = None) -> Understanding:
        labels = frozenset({"empty", "short"}) if not words(text) else frozenset()
        return Understanding(labels, (), intent=intent, term=term, substantive=False)

    # -- signals, with their polarity ----------------------------------------------------

    def _signals_in(
        self, text: str, sentences: list[Sentence]
    ) -> tuple[dict[str, list[Match]], list[Match]]:
        found: dict[str, list[Match]] = {}
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
                    and label not in self._asking.in_questions
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

        # "I would not include a KL term against the reference model": the rejection
        # covers the rest of what it names, and the rest of its sentence unless that turns
        # ("I'd skip human eval entirely, way too slow" gives the reason for skipping it).
        def spreads(r: Match, m: Match) -> bool:
            if m in self_negated or m.start < r.start:
                return False
            if m.start < r.end or _SAME_THING.fullmatch(text, r.end, m.start):
                return not _BREAK.search(text, r.start, m.start)
            same = any(s.start <= r.start and m.start < s.end for s in sentences)
            return same and not _TURN.search(text, r.end, m.start)

        for r in list(rejected):
            kept = found.get(r.label, [])
            spread = [m for m in kept if spreads(r, m)]
            if spread:
                rejected += spread
                found[r.label] = [m for m in kept if m not in spread]
                if not found[r.label]:
                    del found[r.label]
        # "KL penalty? Wouldn't bother.": a sentence that only turns down what the one
        # before it named.
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
        # "Fair point, but ..." acknowledges an argument and then holds: not a concession.
        if "concede" in found:
            kept = [m for m in found["concede"] if not _BUT_AFTER.match(text, m.end)]
            if kept:
                found["concede"] = kept
            else:
                del found["concede"]
        # A sentence that states a wrong claim earns nothing else: its words are not
        # knowledge ("the variance of q.k is one, so no scaling is needed").
        # "Earlier I said the cache grows quadratically. It's linear." takes the claim back.
        retracted = [s for s in sentences if _RETRACTS.search(s.text)]
        for label in self._asking.wrong:
            if label in found:
                found[label] = [m for m in found[label] if not inside(m.start, retracted)]
                if not found[label]:
                    del found[label]
        wrong = [m for label in self._asking.wrong for m in found.get(label, [])]
        if wrong:
            spans = [
                s for s in sentences if any(m.start < s.end and s.start < m.end for m in wrong)
            ]
            for label in list(found):
                if label in self._signals and label not in self._asking.wrong:
                    found[label] = [m for m in found[label] if not inside(m.start, spans)]
                    if not found[label]:
                        del found[label]
        return found, rejected

    # -- questions: facts and terms ------------------------------------------------------

    def _fact_for(self, question: str) -> str:
        # "how many um raters do we [inaudible] in house": fillers and noise aside, and "can
        # I ask," before the question, which is not what it asks about.
        question = _NOISE.sub(" ", question)
        cue = ASK_CUE.match(question.strip())
        if cue is not None and len(words(question.strip()[cue.end() :])) >= 2:
            question = question.strip()[cue.end() :]
        best, best_score, best_regexes = "", 0, []
        for fact_id, regexes in self._facts:
            score = sum(len(r.pattern) for r in regexes if r.search(question))
            if score > best_score:
                best, best_score, best_regexes = fact_id, score, regexes
        # "What's the dress code at the onsite?" asks about the dress code: a fact about the
        # onsite does not answer it. The thing asked for comes first; when the facts have
        # no word for it and the fact matched only what it is said of, no fact answers.
        head = _ASKED_THING.match(question)
        if best and head:
            a, b = head.span("head")
            unknown = [
                w
                for w in meta.content(head.group("head"))
                if w not in _ANY_THING and _singular(w) not in self._fact_words
            ]
            within = any(
                m.start() < b and a < m.end() for r in best_regexes for m in r.finditer(question)
            )
            if unknown and not within:
                return ""
        return best

    def _term_asked(
        self, text: str, sentences: list[Sentence], fact_of: Mapping[str, str]
    ) -> tuple[str | None, bool]:
        """(term, asked): the candidate asks what a term means, and which one if known."""
        for i, s in enumerate(sentences):
            cue = meta.find("clarify_term", s.text)
            if cue is None:
                continue
            if not s.question and not _ASKS_MEANING.search(s.text):
                continue  # "the owners would define the pattern" asks nothing
            spans = [(s.start + cue.start(), s.start + cue.end())]
            # "..., do you mean X? Because that changes what I'd gate on." explains the asking.
            spans += [(x.start, x.end) for x in sentences if _EXPLAINS_ASKING.match(x.text)]
            rest = meta.rest_of_turn(text, sentences, spans)
            if meta.is_answer(rest, lambda _: False):
                return None, False  # the question comes with an answer around it
            strong = _STRONG_TERM_CUE.search(s.text) is not None
            if not strong and fact_of[s.text]:
                # "What's the TTFT target?" asks for a figure, not for a meaning.
                return None, False
            # "Deciding vote. Meaning I alone decide?" names the term just before.
            where = [s.text] if i == 0 else [s.text, sentences[i - 1].text]
            # "What's the tokenizer vocabulary of the base model?" asks for the vocabulary:
            # a term after the thing asked for is not the term asked about.
            head = None if strong else _ASKED_THING.match(s.text)
            for term, regexes in self._definitions:
                for r in regexes:
                    m = next((x for x in (r.search(w) for w in where) if x), None)
                    if m is None or (head is not None and _names_another(s.text, head, m)):
                        continue
                    # "What is X?" asks for a meaning only when X is nearly all it asks.
                    other = set(meta.content(s.text)) - set(meta.content(cue.group(0)))
                    other -= set(meta.content(m.group(0)))
                    if strong or len(other) <= 3:
                        return term, True
            if strong:
                # No definition, but a fact may be what they are after ("when you say
                # release, do you mean open weights?").
                return None, not fact_of[s.text]
        return None, False

    # -- stance -----------------------------------------------------------------------------


def _names_another(text: str, head: re.Match[str], term: re.Match[str]) -> bool:
    """The term is not what the question asks about: it comes after the thing asked for
    ("the tokenizer vocabulary of the base model"), or words of their own come before it
    in that thing ("the parental leave policy" is not "policy")."""
    if term.start() >= head.end("head"):
        return True
    before = text[head.start("head") : term.start()] if term.start() > head.start("head") else ""
    return any(w not in _ANY_THING for w in meta.content(before))


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


# What a question asks for, before what it is said of: "what's the dress code at the
# onsite", "which vocabulary size has the tokenizer of the base model".
# A bare "what" asks for the noun after it ("what learning rate did ..."), not for a verb
# or a pronoun ("what do you mean", "what happens if", "what we need").
_NOT_A_THING = (
    r"(?:do|does|did|is|are|was|were|would|will|can|could|should|happens|happened|if|about|"
    r"you|we|i|they|he|she|it|that|this|else|exactly|kind\s+of)\b"
)
_ASKED_THING = re.compile(
    r"^\W*(?:(?:and|so|ok|okay|also|but|then|quick\s+question)\W+)*"
    r"(?:what(?:'?s|\s+is|\s+are|\s+was|\s+were|\s+would\s+be|(?=\s+(?!" + _NOT_A_THING + r")))"
    r"|which|how(?:'?s|\s+is|\s+are))\s+"
    r"(?:(?:the|a|an|your|our|their|its)\s+)?(?P<head>[\w-]+(?:\s+[\w-]+){0,2}?)"
    r"(?:\s+(?:of|at|for|in|on|during|with|has|have|does|do|did|is|are|was|were|will|would|like)\b|\W*$)",
    re.IGNORECASE,
)
# Words that name an aspect of whatever follows, not a thing of their own.
_ANY_THING_WORDS = """
size number count kind type sort amount shape length scale format setup situation status
breakdown split mix share ratio percentage fraction makeup composition details detail deal
story plan state structure nature range level rate volume quality source sources timeline
schedule capacity limit limits spec specs current exact rough overall typical usual main
latest full total average idea point thing things part parts process best whole actual called
"""
_ANY_THING = frozenset(_ANY_THING_WORDS.split())


_ABOUT_A_WORD = re.compile(
    r"\b(?:this|that|the)\s+(?:word|term|phrase|expression)\b", re.IGNORECASE
)
_EXPLAINS_ASKING = re.compile(
    r"\W*(?:because|since|'cause|cause|i'?m\s+asking|i\s+ask|the\s+reason\s+i\s+ask|asking\s+because|"
    r"that\s+(?:changes|matters)|it\s+(?:changes|matters))\b",
    re.IGNORECASE,
)
_NOISE = re.compile(
    r"\[[a-z ]+\]|\b(?:um+|uh+|erm+|er|hmm+|ah+)\b[,.]?|\byou\s+know\b|\bi\s+mean\b", re.IGNORECASE
)
MAX_READ = 8_000
_REJECTED_GROUP = "rejected"
_BREAK = re.compile(r"[.,;:!?]|\b(?:but|only|just|however|instead)\b", re.IGNORECASE)
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
_RETRACTS = re.compile(
    r"\b(?:earlier|before|previously)\s+i\s+said\b|\bi\s+(?:said|claimed)\s+(?:earlier|before)\b|"
    r"\bi\s+(?:was\s+wrong|misspoke|got\s+(?:that|it)\s+wrong)\b|\bscratch\s+that\b|\bnot\s+(?:as|like)\s+i\s+said\b",
    re.IGNORECASE,
)
_SUBSTANCE = 8  # words outside its questions that make a turn an answer as well
_STRONG_TERM_CUE = re.compile(
    r"\bmean\b|\bmeaning\b|^\W*define\b|\bdefinition\b|\bnever heard\b|\bhaven't heard\b|"
    r"(?:^|[\s(])['\"‘“][a-z][^'\"’”]{1,40}['\"’”](?=[\s,.?!:;)]|$)|"
    r"\bterm\b|\bword\b|\bphrase\b|\bsame\s+(?:thing\s+)?as\b|"
    r"\bwhen\s+(?:you|u|ppl|people|they)\s+say\b|\bwhat\s+means\b|\b\w+\s+how\W*\?\W*$",
    re.IGNORECASE,
)
_ASKS_MEANING = re.compile(
    r"^\W*define\b|\bmean\b|\bmeaning\b|\bnever heard\b|\bhaven't heard\b|"
    r"\bnot familiar with the\b|"
    r"\bwhen\s+(?:you|u|ppl|people|they)\s+say\b|\bsame\s+(?:thing\s+)?as\b|\bterm\b",
    re.IGNORECASE,
)
# One-word verdicts and "I'm for it / against it", in any culture round: the side the
# scenario calls `for` is always the proposal on the table.
_LIST_SPLIT = re.compile(r"[,;/]|\band\b|\bor\b|\bthen\b|\bplus\b", re.IGNORECASE)


def _bare_list(text: str, labels: set[str]) -> bool:
    """Terms named one after another with nothing said about any of them."""
    if "reasons" in labels:
        return False
    items = [words(x) for x in _LIST_SPLIT.split(text)]
    items = [x for x in items if x]
    if len(items) < 3 or sum(len(x) for x in items) > 30:
        return False
    return sum(len(x) for x in items) / len(items) <= 3.0
