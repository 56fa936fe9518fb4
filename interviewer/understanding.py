"""Understanding: a candidate's answer in, labels out.

Apart from the dialogue, as in Rasa's NLU/stories split: the engine never looks at words,
only at the labels this module assigns. Matching is deliberately simple and transparent
(phrases and regular expressions a scenario writer can read) so that every label can be
explained by the words that produced it; those words become the rubric's evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from . import meta
from .sentences import Sentence, is_tag_question, phrase_regex, split, words

NEGATORS = frozenset(
    {"not", "never", "no", "nor", "without", "cannot", "wouldn't", "shouldn't"}
    # typed without the apostrophe
    | {"dont", "doesnt", "didnt", "wont", "wouldnt", "shouldnt", "cant", "couldnt", "isnt"}
    | {"arent", "wasnt", "werent", "havent", "hasnt", "aint"}
)
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
    # "if the reward climbs while raters disagree, then ...", "..., so ...", "given the ..."
    "reasons": (
        r"\bif\b[^.?!]{2,80}?\b(?:then|we'd|we\s+would|it\s+would|you'd|that\s+would)\b",
        r",\s*so\b(?!\s+that\b)",
        r"\b\w+\s+so\s+(?:\w+\s+)?(?:should|would|must|can|will|is|are|needs?|has|have)\b",
        r"\bso\s+(?:i'?d|we'?d|i'?ll|we'?ll|i\s+would|we\s+would|i\s+will|we\s+will)\b",
        r"\bgiven\s+(?:the|that|how|our|their|its)\b",
    ),
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
DERIVED = ("star.complete", "specific", "vague", "short", "empty", "glossary", "bare_list")
STAR_PARTS = ("star.situation", "star.task", "star.action", "star.result")
BUILTIN_LABELS = frozenset([*BUILTIN_PHRASES, *BUILTIN_PATTERNS, *DERIVED, *STANCE_LABELS])
_MIXED_PHRASES = (
    "it depends",
    "depends on",
    "depends of",
    "on the other hand",
    "both sides",
    "torn",
    "not sure",
)
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
    # Signals named only to be turned down ("no need for a sandbox"): no credit.
    rejected: tuple[Match, ...] = ()
    # A request about the conversation (see `meta.py`); such a turn is not an answer.
    intent: meta.Intent | None = None
    term: str | None = None  # clarify_term: the definition asked for (None: not known)
    # The candidate's own questions, in order: the fact that answers each, "" for none.
    asked: tuple[str, ...] = ()
    # Besides its questions, the turn says something of substance (it is an answer too).
    substantive: bool = True


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


def _has_negation(text: str) -> bool:
    # A lookaround ("release(?! is not)") only guards the match; it is not the phrase.
    text = _LOOKAROUND.sub(" ", text)
    return any(w in NEGATORS or w.endswith("n't") for w in _WORD.findall(text.lower()))


_LOOKAROUND = re.compile(r"\(\?<?[!=](?:[^()\\]|\\.)*\)")


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
        self._stance = stance
        self._mixed = [phrase_regex(p) for p in _MIXED_PHRASES]
        self._verdicts = {
            side: [phrase_regex(p) for p in phrases] for side, phrases in _VERDICTS.items()
        }
        self._sarcasm = [phrase_regex(p) for p in _SARCASM]
        self._asking = asking or Asking()
        self._facts = [
            (fact_id, [phrase_regex(p, plural=True) for p in about])
            for fact_id, about in self._asking.facts
        ]
        self._definitions = [
            (term, [phrase_regex(t, plural=True) for t in (term, *also)])
            for term, also in self._asking.definitions
        ]

    def _add_phrases(self, label: str, phrases: Iterable[str]) -> None:
        for phrase in phrases:
            # The part before any apostrophe: "thats" is found for "that's".
            needle = phrase.lower().split()[0].split("'")[0] if phrase.split() else None
            self._matchers.append(
                _Matcher(label, phrase_regex(phrase), _has_negation(phrase), needle)
            )

    def _add_patterns(self, label: str, patterns: Iterable[str]) -> None:
        for pattern in patterns:
            regex = re.compile(pattern, re.IGNORECASE)
            self._matchers.append(_Matcher(label, regex, _has_negation(pattern)))

    # -- the whole turn -------------------------------------------------------------------

    def understand(self, text: str) -> Understanding:
        # A turn is read up to MAX_READ characters (about eight minutes of speech): the
        # matching cost grows with the text, and one turn must not hold up the others.
        # Spans stay valid, since they index the start of the stored text.
        text = text[:MAX_READ].replace("\u2019", "'").replace("\u2018", "'")
        sentences = split(text)
        # A term the scenario defines, asked about, comes first: "What means 'on a hunch'?
        # I don't know this word" wants the meaning, not help.
        term, asked_term = self._term_asked(text, sentences)
        if asked_term and (term is not None or _ABOUT_A_WORD.search(text)):
            return self._request(text, "clarify_term", term)
        intent = meta.detect(text, sentences, self._recognises)
        if intent is not None:
            return self._request(text, intent)
        if asked_term:
            return self._request(text, "clarify_term", term)

        # "Every action is allowed, right?" checks a claim: a question only if a fact of
        # the scenario answers it.
        sentences = [
            Sentence(s.start, s.end, s.text, False)
            if s.question and is_tag_question(s.text) and not self._fact_for(s.text)
            else s
            for s in sentences
        ]
        questions = [s for s in sentences if s.question]
        # "... a proper uplift study. Has anyone run one yet?": a question that names
        # nothing is read with the sentence before it.
        asked = tuple(
            self._fact_for(s.text) or (self._fact_for(sentences[i - 1].text) if i else "")
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
                if not _inside(m.start(), questions):
                    add = found.setdefault
                    add("glossary", []).append(Match("glossary", m.start(), m.end()))
                    add("specific", []).append(Match("specific", m.start(), m.end()))
        for m in _SPECIFIC.finditer(text):
            if m.end() > m.start() and not _inside(m.start(), questions):
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
            self._add_stance(text, found, rejected, labels)
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
        text = text.replace("\u2019", "'").replace("\u2018", "'")
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
                    and _inside(m.start(), questions)
                ):
                    continue
                if (
                    not matcher.negated_form
                    and label not in _NOT_NEGATED
                    and _turned_down(text, m.start(), m.end())
                ):
                    if scenario_signal:
                        rejected.append(Match(label, m.start(), m.end()))
                    continue
                found.setdefault(label, []).append(Match(label, m.start(), m.end()))
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
                found[label] = [m for m in found[label] if not _inside(m.start, retracted)]
                if not found[label]:
                    del found[label]
        wrong = [m for label in self._asking.wrong for m in found.get(label, [])]
        if wrong:
            spans = [
                s for s in sentences if any(m.start < s.end and s.start < m.end for m in wrong)
            ]
            for label in list(found):
                if label in self._signals and label not in self._asking.wrong:
                    found[label] = [m for m in found[label] if not _inside(m.start, spans)]
                    if not found[label]:
                        del found[label]
        return found, rejected

    # -- questions: facts and terms ------------------------------------------------------

    def _fact_for(self, question: str) -> str:
        best, best_score = "", 0
        for fact_id, regexes in self._facts:
            score = sum(len(r.pattern) for r in regexes if r.search(question))
            if score > best_score:
                best, best_score = fact_id, score
        return best

    def _term_asked(self, text: str, sentences: list[Sentence]) -> tuple[str | None, bool]:
        """(term, asked): the candidate asks what a term means, and which one if known."""
        for s in sentences:
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
            if not strong and self._fact_for(s.text):
                # "What's the TTFT target?" asks for a figure, not for a meaning.
                return None, False
            for term, regexes in self._definitions:
                for r in regexes:
                    m = r.search(s.text)
                    if m is None:
                        continue
                    # "What is X?" asks for a meaning only when X is nearly all it asks.
                    other = set(meta.content(s.text)) - set(meta.content(cue.group(0)))
                    other -= set(meta.content(m.group(0)))
                    if strong or len(other) <= 3:
                        return term, True
            if strong:
                # No definition, but a fact may be what they are after ("when you say
                # release, do you mean open weights?").
                return None, not self._fact_for(s.text)
        return None, False

    # -- stance -----------------------------------------------------------------------------

    def _add_stance(
        self, text: str, found: dict[str, list[Match]], rejected: list[Match], labels: set[str]
    ) -> None:
        assert self._stance is not None
        pro, con, mixed = self._stance
        pro_hits = [m for label in pro for m in found.get(label, [])]
        con_hits = [m for label in con for m in found.get(label, [])]
        # A side turned down is the other side taken: "I'm not convinced holding it back
        # helps anyone" argues for release.
        pro_hits += [m for m in rejected if m.label in con]
        con_hits += [m for m in rejected if m.label in pro]
        for regex in self._verdicts["for"]:
            pro_hits += [Match("stance.for", m.start(), m.end()) for m in regex.finditer(text)]
        for regex in self._verdicts["against"]:
            con_hits += [Match("stance.against", m.start(), m.end()) for m in regex.finditer(text)]
        # "Sure, release it, what could possibly go wrong": said to mean the opposite.
        sarcastic = [x for x in split(text) if any(r.search(x.text) for r in self._sarcasm)]
        if sarcastic:
            # Only the sarcastic sentence means the opposite ("..., what could possibly go
            # wrong. No. Not like this." ends sincerely); what it seemed to say earns nothing.
            flip_pro = [m for m in pro_hits if _inside(m.start, sarcastic)]
            flip_con = [m for m in con_hits if _inside(m.start, sarcastic)]
            pro_hits = [m for m in pro_hits if m not in flip_pro] + flip_con
            con_hits = [m for m in con_hits if m not in flip_con] + flip_pro
            for m in flip_pro + flip_con:
                if m.label in found:
                    found[m.label] = [x for x in found[m.label] if x != m]
                    if not found[m.label]:
                        del found[m.label]
                        labels.discard(m.label)
        # "The best case for releasing: ..." argues a side on request; that sentence takes
        # none ("..., but I'd still hold it back" after it does).
        reported = [s for s in split(text) if _REPORTED.search(s.text)]
        if reported:
            pro_hits = [m for m in pro_hits if not _inside(m.start, reported)]
            con_hits = [m for m in con_hits if not _inside(m.start, reported)]
        mixed_hits = [m for label in mixed for m in found.get(label, [])]
        mixed_hits += [
            Match("stance.mixed", m.start(), m.end()) for r in self._mixed for m in r.finditer(text)
        ]
        # "You're right. I change my answer: I'll raise it tonight." The side said after a
        # change of mind is the side taken.
        changes = list(_CHANGE_OF_MIND.finditer(text))
        if changes:
            after = changes[-1].end()
            later_pro = [m for m in pro_hits if m.start >= after]
            later_con = [m for m in con_hits if m.start >= after]
            if later_pro or later_con:
                pro_hits, con_hits = later_pro, later_con
        # "Part of me wants to escalate, part of me trusts her": torn, whatever sides the
        # words touch, unless the last sentence settles it.
        if _TORN.search(text):
            last = text[text.rstrip().rfind(".", 0, len(text.rstrip()) - 1) + 1 :]
            start = len(text) - len(last)
            pro_last = [m for m in pro_hits if m.start >= start]
            con_last = [m for m in con_hits if m.start >= start]
            if bool(pro_last) == bool(con_last) or not _SETTLES.search(last):
                mixed_hits += pro_hits + con_hits
                pro_hits, con_hits = [], []
            else:
                pro_hits, con_hits = pro_last, con_last
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
                found[label] = [Match(label, x.start, x.end) for x in found[label]]


_ABOUT_A_WORD = re.compile(
    r"\b(?:this|that|the)\s+(?:word|term|phrase|expression)\b", re.IGNORECASE
)
_EXPLAINS_ASKING = re.compile(
    r"\W*(?:because|since|'cause|cause|i'?m\s+asking|i\s+ask|the\s+reason\s+i\s+ask|asking\s+because|"
    r"that\s+(?:changes|matters)|it\s+(?:changes|matters))\b",
    re.IGNORECASE,
)
_REPORTED = re.compile(
    r"\b(?:best|strongest|good|fair|honest)\s+(?:case|argument)\s+(?:for|against)\b|"
    r"\bthe\s+other\s+side\s+(?:would|might|could)\b|\bsteel\s?man|\bdevil'?s\s+advocate\b|"
    r"\bthey\s+(?:would|might|could)\s+(?:say|argue)\b|\bin\s+their\s+(?:words|shoes)\b|"
    r"\bplay(?:ing)?\s+the\s+other\s+side\b",
    re.IGNORECASE,
)
_CHANGE_OF_MIND = re.compile(
    r"\b(?:i\s+(?:change|changed|switch|switched|flip|flipped)\s+(?:my\s+(?:answer|mind|view|position)|sides?)|"
    r"i'?ll\s+switch|i\s+take\s+(?:it|that)\s+back|i'?ve\s+changed\s+my\s+mind|on\s+reflection|"
    r"thinking\s+(?:about\s+it\s+)?again|actually,?\s+no\b|you'?ve\s+convinced\s+me)",
    re.IGNORECASE,
)
_TORN = re.compile(
    r"\bpart\s+of\s+me\b.*\bpart\s+of\s+me\b|\btorn\b|\bback\s+and\s+forth\b|"
    r"\bon\s+(?:the\s+)?one\s+hand\b|\beither\s+way\b|\b(?:can'?t|cannot)\s+(?:really\s+)?(?:decide|say)\b|"
    r"\bon\s+the\s+fence\b|\bgenuinely\s+(?:unsure|split)\b|\bhard\s+to\s+(?:say|call)\b",
    re.IGNORECASE,
)
_SETTLES = re.compile(
    r"\b(?:but|so|ultimately|in\s+the\s+end|on\s+balance|overall|if\s+i\s+had\s+to|"
    r"i'?d\s+go\s+with|i\s+would\s+go\s+with|i'?ll\s+go\s+with)\b",
    re.IGNORECASE,
)
MAX_READ = 8_000
_SUBSTANCE = 8  # words outside its questions that make a turn an answer as well
_STRONG_TERM_CUE = re.compile(
    r"\bmean\b|\bmeaning\b|^\W*define\b|\bdefinition\b|\bnever heard\b|\bhaven't heard\b|"
    r"\bterm\b|\bword\b|\bphrase\b|\bsame\s+(?:thing\s+)?as\b|"
    r"\bwhen\s+(?:you|u|ppl|people|they)\s+say\b|\bwhat\s+means\b|\b\w+\s+how\W*\?\W*$",
    re.IGNORECASE,
)
_ASKS_MEANING = re.compile(
    r"\bmean\b|\bmeaning\b|\bnever heard\b|\bhaven't heard\b|\bnot familiar with the\b|"
    r"\bwhen\s+(?:you|u|ppl|people|they)\s+say\b|\bsame\s+(?:thing\s+)?as\b|\bterm\b",
    re.IGNORECASE,
)
# One-word verdicts and "I'm for it / against it", in any culture round: the side the
# scenario calls `for` is always the proposal on the table.
_VERDICTS = {
    "for": (
        "i'm for it",
        "i am for it",
        "i'm in favour",
        "i'm in favor",
        "i am in favour",
        "i am in favor",
        "i support it",
        "i'd support it",
        "i would support it",
        "i'd go for it",
        "i would go for it",
        "i'm all for it",
    ),
    "against": (
        "i'm against it",
        "i am against it",
        "i'm against that",
        "i oppose it",
        "i'd oppose it",
        "i would oppose it",
        "i'm not in favour",
        "i'm not in favor",
        "i can't support it",
        "i couldn't support it",
        "i wouldn't support it",
    ),
}
_SARCASM = (
    "what could possibly go wrong",
    "what could go wrong",
    "yeah right",
    "said no one",
    "because that always works",
    "because that worked so well",
    "great idea, said",
)
# Before a signal in the same clause: words that turn it down.
_REJECT_BEFORE = re.compile(
    r"\b(?:skip|skipping|skipped|drop|dropping|ditch|ditching|avoid|avoiding|remove|removing|"
    r"forget|forgo|instead\s+of|rather\s+than|no\s+need\s+for|no\s+need\s+to|"
    r"get\s+rid\s+of|leave\s+out|leaving\s+out|rule\s+out|do\s+away\s+with|"
    r"not\s+bother\s+with|wouldn't\s+bother\s+with|don't\s+bother\s+with|"
    r"don't\s+need|do\s+not\s+need|wouldn't\s+need|won't\s+need|do\s+without|go\s+without|"
    r"no\s+point\s+(?:in|to)|don'?t\s+see\s+(?:the\s+|a\s+|any\s+)?(?:point|need|value)\s+(?:of|in|for)|"
    r"(?:not|wouldn'?t|won'?t|don'?t)\s+(?:worry|bother)\s+(?:about|with)|deprioriti[sz]e|pass\s+on|"
    r"wouldn'?t\s+(?:use|add|include|bother)|won'?t\s+(?:use|add|include))\b(?:\W+\w+){0,4}\W*$",
    re.IGNORECASE,
)
# After a signal in the same clause: "containers are overkill", "it just slows learning".
_REJECT_AFTER = re.compile(
    r"[^.,;:!?]{0,40}?\b(?:overkill|unnecessary|not\s+needed|isn't\s+needed|aren't\s+needed|"
    r"not\s+necessary|isn't\s+necessary|pointless|a\s+waste|useless|not\s+worth|overrated|"
    r"(?:just\s+)?slows?\s+(?:\w+\s+)?down|just\s+slows|gets\s+in\s+the\s+way|can\s+go|"
    r"we\s+can\s+skip|isn't\s+worth|doesn't\s+help|does\s+not\s+help|won't\s+help|"
    r"more\s+(?:complexity|trouble|hassle|cost)\s+than\s+it'?s\s+worth|not\s+needed|"
    r"isn'?t\s+needed|(?:is|are)\s+(?:a\s+)?(?:waste|luxury|nice\s+to\s+have|optional|out\s+of\s+scope)|"
    r"(?:is|are)\s+not\s+(?:a\s+)?(?:priority|important|necessary|needed)|can\s+wait)\b",
    re.IGNORECASE,
)
# "Not just the reward model, also ...", "no doubt we should", "I wouldn't hesitate to"
# negate nothing.
_NOT_REALLY_NEGATION = re.compile(
    r"\bnot\s+(?:just|only|merely|simply)\b(?:\W+\w+){0,2}\W*$|\bno\s+matter\b|\bno\s+doubt\b|\bhesitate\b|"
    r"\bno\s+question\b|\bnot\s+(?:afraid|scared|shy)\b"
)
# A reason given after a negative clause is still a reason ("they don't have it, so ...").
_NOT_NEGATED = frozenset({"reasons", "question"})
_CONDITIONAL = re.compile(
    r"(?:^|[.,;:!?]\s*)(?:without|if\s+(?:we|you|i|they|it)\s+(?:didn'?t|don'?t|did\s+not|do\s+not|"
    r"had\s+no|have\s+no|skipped|dropped|removed))\s+(?:\w+\W+){0,5}$",
    re.IGNORECASE,
)


def _turned_down(text: str, start: int, end: int) -> bool:
    """The words at [start, end) are negated or rejected within their clause.

    A negation of the whole clause ("I don't think we need ...", "I doubt ...") and a
    local one cancel out: "I don't think we should skip the KL penalty" keeps it."""
    before = text[max(0, start - 120) : start]
    clause = _CLAUSE_BREAK.split(before.lower())[-1]
    if _CONDITIONAL.search(clause) and _CONDITIONAL.search(before.lower()[-100:]):
        # "Without a KL penalty, the policy drifts" and "if we didn't scale, the scores
        # would grow" argue for the thing.
        return False
    rejected = (
        bool(_REJECT_BEFORE.search(clause))
        or bool(_REJECT_AFTER.match(text, end))
        or bool(_LEAVE.search(clause) and _OUT_AFTER.match(text, end))
    )
    if _CLAUSE_NEGATION.search(clause):
        # "I don't think we need X" turns X down; "I don't think we should skip X" keeps it.
        return not rejected
    if _DOUBLE_NEGATION.search(clause):
        # "can't skip multi-turn", "no world where I don't use batching": kept.
        return False
    ws = _WORD.findall(clause)
    window = ws[-_NEGATION_WINDOW:]
    if "or" in window or "nor" in window:
        # "I haven't read the RSP or the Constitutional AI paper": both are not read.
        window = ws[-2 * _NEGATION_WINDOW :]
    negated = any(w in NEGATORS or w.endswith("n't") for w in window)
    return rejected or (negated and not _NOT_REALLY_NEGATION.search(clause.rstrip()))


_RETRACTS = re.compile(
    r"\b(?:earlier|before|previously)\s+i\s+said\b|\bi\s+(?:said|claimed)\s+(?:earlier|before)\b|"
    r"\bi\s+(?:was\s+wrong|misspoke|got\s+(?:that|it)\s+wrong)\b|\bscratch\s+that\b|\bnot\s+(?:as|like)\s+i\s+said\b",
    re.IGNORECASE,
)
_DOUBLE_NEGATION = re.compile(
    r"\b(?:can'?t|cannot|couldn'?t|shouldn'?t|mustn'?t|wouldn'?t|won'?t|don'?t|never)\s+(?:\w+\s+)?"
    r"(?:skip|drop|ignore|avoid|remove|forget|leave\s+out|do\s+without|go\s+without)\b|"
    r"\bno\s+(?:world|way|chance|scenario)\s+(?:where\s+|that\s+|in\s+which\s+)?(?:i|we|you)\s+"
    r"(?:don'?t|wouldn'?t|won'?t|do\s+not|would\s+not)\b",
)
_CLAUSE_NEGATION = re.compile(
    r"\b(?:i\s+)?(?:don'?t|do\s+not|didn'?t)\s+(?:really\s+)?(?:think|believe|see\s+why|feel)\b|"
    r"\bi\s+doubt\b|\bnot\s+convinced\b|\bi'?m\s+not\s+sure\s+(?:we|you|it)\b",
)
_LEAVE = re.compile(r"\b(?:leave|leaving|keep|keeping)\b(?:\W+\w+){0,4}\W*$")
_OUT_AFTER = re.compile(r"\W*out\b", re.IGNORECASE)


def _inside(at: int, sentences: Sequence[Sentence]) -> bool:
    return any(s.start <= at < s.end for s in sentences)


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
