"""Questions: which fact answers a candidate's question, and which term they want defined.

A scenario lists its facts with the phrases they are about and its definitions with their
spellings (`Asking`). A question is answered by the fact whose phrases it holds most of,
unless the thing it asks for is one the facts have no word for ("the dress code at the
onsite" is not answered by a fact about the onsite), or its answer is not of the type asked
for (`answer_types`: "which customer" is not answered by a fact that names none). A term
counts as asked about when the question is nearly all about it, or says so ("what do you
mean by ...").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from . import meta
from .answer_types import (
    ANSWER_KIND,
    KIND_EVIDENCE,
    SECOND_QUESTION,
    asks_for_type,
    gives,
    parts,
    singular,
)
from .clauses import content, rest_of_turn
from .meta_phrases import find
from .sentences import (
    ASK_CUE,
    OFFERS_READINGS,
    STRONG_TERM_CUE,
    Sentence,
    phrase_regex,
    words,
)
from .shorthand import expand_shorthand


@dataclass(frozen=True)
class Asking:
    """What a scenario can answer: its facts and its definitions, as matchers."""

    facts: Sequence[tuple[str, Sequence[str]]] = ()  # (fact id, phrases it is about)
    answers: Mapping[str, str] = field(default_factory=dict)  # fact id: what it says
    definitions: Sequence[tuple[str, Sequence[str]]] = ()  # (term, its spellings)
    in_questions: frozenset[str] = field(default_factory=frozenset)
    wrong: frozenset[str] = field(default_factory=frozenset)  # signals of wrong claims


class QuestionMatcher:
    """The facts and definitions of one scenario, compiled: built once, then pure."""

    def __init__(self, asking: Asking) -> None:
        self._facts = [
            (fact_id, [phrase_regex(p, plural=True) for p in about])
            for fact_id, about in asking.facts
        ]
        # Phrases that ask for a type themselves ("how many tests"): the fact answers them,
        # whatever its answer looks like.
        self._typed = {
            fact_id: [r for p, r in zip(about, regexes, strict=True) if asks_for_type(p)]
            for (fact_id, about), (_, regexes) in zip(asking.facts, self._facts, strict=True)
        }
        self._answers = dict(asking.answers)
        # The words of each phrase a fact is about, in the singular.
        self._about = {
            fact_id: [frozenset(singular(w) for w in words(p)) for p in about]
            for fact_id, about in asking.facts
        }
        # Every word the facts are asked about in, to tell a thing they have no word for.
        self._fact_words = frozenset(w for ps in self._about.values() for p in ps for w in p)
        # What each fact says, for the words that tell which kind of thing is asked for.
        self._said = {
            fact_id: frozenset(singular(w) for w in words(text))
            for fact_id, text in asking.answers.items()
        }
        # What a fact names, said or asked about, hyphened words in parts too: the things
        # a question offering a choice may find in it.
        self._known = {
            fact_id: _with_parts(
                self._said.get(fact_id, frozenset()).union(*self._about.get(fact_id, ()))
            )
            for fact_id, _ in asking.facts
        }
        self._definitions = [
            (term, [phrase_regex(t, plural=True) for t in (term, *also)])
            for term, also in asking.definitions
        ]

    def fact_for(self, question: str) -> str:
        """The fact that answers `question`, "" for none."""
        # "how many um raters do we [inaudible] in house": fillers and noise aside, and "can
        # I ask," before the question, which is not what it asks about.
        question = _NOISE.sub(" ", expand_shorthand(question))
        cue = ASK_CUE.match(question.strip())
        if cue is not None and len(words(question.strip()[cue.end() :])) >= 2:
            question = question.strip()[cue.end() :]
        # "How often does the old classifier get retrained?" wants a frequency: a fact
        # whose answer states none does not answer it (the answer type, as in QA).
        kind = ANSWER_KIND.match(question)
        needed = None
        if kind is not None and self._answers and not SECOND_QUESTION.search(question, kind.end()):
            needed = KIND_EVIDENCE[next(k for k, v in kind.groupdict().items() if v)]
        best, best_regexes = self._best(question)
        if best and needed is not None and not needed.search(self._answers.get(best, "")):
            # Another fact of that kind may answer it, chosen by what the question names
            # besides its own first words ("how often do two raters agree ...").
            best, best_regexes = self._best(
                question,
                kind.end() if kind else 0,
                lambda f: bool(needed.search(self._answers.get(f, ""))),
            )
        # "Which customer is it?", "how fast is the link, in gigabytes per second?": a
        # part of the question that asks for a name, a share or a figure in some unit is
        # not answered by a fact that states none, however many words they share. The
        # rest of the question, if it asks anything, is matched on its own.
        if best and self._answers:
            unanswered = [part for part in parts(question) if not self._gives(best, part)]
            if unanswered:
                rest = question
                for part in unanswered:
                    rest = rest.replace(part, " ")
                if len(content(rest)) < 2:
                    return ""
                best, best_regexes = self._best(rest)
                if not best or not all(self._gives(best, p) for p in parts(rest)):
                    return ""
                question = rest
        # "What's the dress code at the onsite?" asks about the dress code: a fact about the
        # onsite does not answer it. The thing asked for comes first; when the facts have
        # no word for it and the fact matched only what it is said of, no fact answers.
        head = _ASKED_THING.match(question)
        if best and head:
            a, b = head.span("head")
            unknown = [
                w
                for w in content(head.group("head"))
                if singular(w) not in _ANY_THING and singular(w) not in self._fact_words
            ]
            inside = [
                m.start()
                for r in best_regexes
                for m in r.finditer(question)
                if m.start() < b and a < m.end()
            ]
            # "a relocation package": a word of the fact ("package") inside the thing asked
            # for does not answer for a word before it, one that no fact has, that says
            # which kind of that thing is meant.
            before = question[a : min(inside)] if inside else ""
            # ("a sign-on bonus": a hyphen joins the modifier, it does not part it)
            joined = before.replace("-", "")
            modifiers = [] if _NOT_A_MODIFIER.search(joined) else content(before)
            # ("a cloud budget" is answered by a fact about a budget that mentions the cloud)
            said = self._said.get(best, frozenset())
            if unknown and (
                not inside or any(w in unknown and singular(w) not in said for w in modifiers)
            ):
                return ""
        if best and not self._offers_a_choice(best, question, best_regexes):
            return ""
        if best and not self._does_what_is_asked(best, question):
            # Another fact may say who does it ("Who owns the launch review?").
            best, _ = self._best(question, 0, lambda f: self._does_what_is_asked(f, question))
        return best

    def _does_what_is_asked(self, fact_id: str, question: str) -> bool:
        """ "Who chairs the launch review?" asks who does one thing: a fact about the
        launch review that never says who chairs it does not answer it."""
        m = _WHO_DOES.search(question)
        if m is None or _DECLINES.search(self._answers.get(fact_id, "")):
            return True
        verb = m.group("verb").lower()
        stem = verb[:-1] if verb.endswith("s") else verb
        known = self._known.get(fact_id, frozenset())
        return any(k.startswith(stem[:5]) for k in known if len(k) >= 4) or stem in known

    def _offers_a_choice(self, fact_id: str, question: str, regexes: list[re.Pattern[str]]) -> bool:
        """ "Do the tests check runtime too, or only memory?" asks which of two: a fact
        that names neither, only the tests, does not answer it."""
        if _DECLINES.search(self._answers.get(fact_id, "")):
            return True  # "I can't go into our production models" answers any of them
        known = self._known.get(fact_id, frozenset())

        def names(w: str) -> bool:
            # (or the stem said longer: "repo" for "repository")
            return w in known or (
                len(w) >= 4
                and any(len(k) >= 4 and (k.startswith(w) or w.startswith(k)) for k in known)
            )

        for m in _ALTERNATIVES.finditer(question):
            if _NOT_A_CHOICE.match(m.group("b")):
                continue
            # The thing asked about ("do the tests check runtime, or only memory?") is not
            # one of the things to choose between.
            named = [
                singular(w)
                for side in ("a", "b")
                for w in content(m.group(side).replace("-", " "))
                if not any(r.search(w) for r in regexes)
            ]
            if named and not any(names(w) for w in named):
                return False
        return True

    def _gives(self, fact_id: str, part: str) -> bool:
        """The fact gives what this part of a question asks for (see `answer_types`)."""
        answer = self._answers.get(fact_id, "")
        return gives(part, answer, self._about.get(fact_id, ())) or any(
            r.search(part) for r in self._typed.get(fact_id, ())
        )

    def _best(
        self, question: str, after: int = 0, allowed: Callable[[str], bool] = lambda _: True
    ) -> tuple[str, list[re.Pattern[str]]]:
        """The fact whose phrases the question holds most of (matches ending after `after`)."""
        best, best_score, best_regexes = "", 0, []
        for fact_id, regexes in self._facts:
            if not allowed(fact_id):
                continue
            score = sum(
                len(r.pattern)
                for r in regexes
                if any(m.end() > after for m in r.finditer(question))
            )
            if score > best_score:
                best, best_score, best_regexes = fact_id, score, regexes
        return best, best_regexes

    def term_asked(
        self, text: str, sentences: list[Sentence], fact_of: Mapping[str, str]
    ) -> tuple[str | None, bool]:
        """(term, asked): the candidate asks what a term means, and which one if known."""
        # "What is STAR? I don't know this word.", "whats STAR? heard the name, never used
        # it": said of the word anywhere in the turn.
        only_the_name = _ONLY_THE_NAME.search(text) is not None
        if only_the_name and not any(s.question for s in sentences):
            # "Don't know ZeRO. Only heard the name." asks nothing: it says what they do
            # not know, and gets the help for not knowing.
            return None, False
        of_a_word = ABOUT_A_WORD.search(text) is not None or only_the_name
        for i, s in enumerate(sentences):
            cue = find("clarify_term", s.text)
            if cue is None:
                # "Front door?": the term said back ("Vesting?" asks for a fact).
                echoed = self._echoed(s.text) if len(sentences) == 1 else None
                if echoed is not None and not fact_of[s.text]:
                    return echoed, True
                continue
            if not s.question and not _ASKS_MEANING.search(s.text):
                continue  # "the owners would define the pattern" asks nothing
            strong = of_a_word or STRONG_TERM_CUE.search(s.text) is not None
            # "Sooner as in testing, or as in once it was live?": the readings offered are
            # part of the asking, not an answer.
            offers = OFFERS_READINGS.search(s.text) is not None
            whole = strong and (offers or s.text.rstrip().endswith("?"))
            spans = [(s.start, s.end) if whole else (s.start + cue.start(), s.start + cue.end())]
            # "..., do you mean X? Because that changes what I'd gate on." explains the asking.
            spans += [(x.start, x.end) for x in sentences if EXPLAINS_ASKING.match(x.text)]
            # "Just so I answer the right question, ... Do you mean A? Or do you mean B? Is
            # that the kind of thing you mean?": announced, and read on, it is still asking.
            spans += [
                (x.start, x.end)
                for x in sentences
                if _ANNOUNCES_ASKING.search(x.text)
                or (x.start > s.start and _ASKS_ON.match(x.text))
            ]
            rest = rest_of_turn(text, sentences, spans)
            if meta.is_answer(rest, lambda _: False):
                return None, False  # the question comes with an answer around it
            if not strong and fact_of[s.text]:
                # "What's an uplift study" asks for a meaning: a defined term after "a" or
                # "an" and nothing else names a kind of thing, not a figure of this round.
                term = self._indefinite(s.text)
                if term is not None:
                    return term, True
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
                    other = set(content(s.text)) - set(content(cue.group(0)))
                    other -= set(content(m.group(0)))
                    if strong or len(other) <= 3:
                        return term, True
            if strong:
                # No definition, but a fact may be what they are after ("when you say
                # release, do you mean open weights?"); not when the meaning is plainly
                # what is asked ("escalation path in what sense?", "level = the title?").
                return None, offers or of_a_word or not fact_of[s.text]
        return None, False

    def _indefinite(self, sentence: str) -> str | None:
        """The term of "what's a/an X", when X is all of a defined term."""
        m = _WHAT_IS_A.fullmatch(sentence.strip())
        if m is None:
            return None
        return self._defined(m.group("term") or m.group("term2") or m.group("term3"))

    def quoted_term(self, text: str) -> str | None:
        """A defined term in quotes, in a turn that says it asks about a word ("'over
        someone's head', I don't know this expression")."""
        if ABOUT_A_WORD.search(text) is None:
            return None
        for q in _QUOTED_TERM.finditer(text):
            term = self._defined(q.group("term"))
            if term is not None:
                return term
        return None

    def _echoed(self, sentence: str) -> str | None:
        """A defined term said back on its own ("Front door?", "the replica?"): the
        candidate asks what it means."""
        bare = _ECHO.fullmatch(sentence.strip())
        return None if bare is None else self._defined(bare.group("term"))

    def _defined(self, phrase: str) -> str | None:
        """The defined term `phrase` is all of (a spelling of it), if any."""
        for term, regexes in self._definitions:
            if any(r.fullmatch(phrase) for r in regexes):
                return term
        return None


def _names_another(text: str, head: re.Match[str], term: re.Match[str]) -> bool:
    """The term is not what the question asks about: it comes after the thing asked for
    ("the tokenizer vocabulary of the base model"), or words of their own come before it
    in that thing ("the parental leave policy" is not "policy")."""
    if term.start() >= head.end("head"):
        return True
    before = text[head.start("head") : term.start()] if term.start() > head.start("head") else ""
    return any(w not in _ANY_THING for w in content(before))


# What a question asks for, before what it is said of: "what's the dress code at the
# onsite", "which vocabulary size has the tokenizer of the base model".
# A bare "what" asks for the noun after it ("what learning rate did ..."), not for a verb
# or a pronoun ("what do you mean", "what happens if", "what we need").
_NOT_A_THING = (
    r"(?:do|does|did|is|are|was|were|would|will|can|could|should|happens|happened|if|about|"
    r"you|we|i|they|he|she|it|that|this|else|exactly|kind\s+of)\b"
)
_ASKED_THING = re.compile(
    r"^\W*(?:(?:and|so|ok|okay|also|but|then|quick\s+(?:question|one)|one\s+more|roughly|"
    r"do\s+(?:we|you)\s+know|any\s+idea|before\s+i\s+(?:start|begin|answer|go\s+on)(?:\s+(?:that|this|it))?|"
    # "The competitor, what price will they charge?": the topic named first
    r"the\s+[\w-]+(?:\s+[\w-]+){0,2}(?=\s*,\s*(?:what|which|how)\b))\W+)*"
    r"(?:what(?:'?s|\s+is|\s+are|\s+was|\s+were|\s+would\s+be|(?=\s+(?!" + _NOT_A_THING + r")))"
    r"|which|how(?:'?s|\s+is|\s+are)|how\s+(?:many|much)"
    # "what does the GPU budget for eval runs look like"
    r"|what\s+(?:does|do|would|will)(?=\s+(?:the\s+|your\s+|our\s+)?[\w-]+(?:\s+[\w-]+){0,5}\s+looks?\s+like\b)"
    # "are there data residency rules, like ...?", "do we have a privacy review?"
    r"|(?:are|is)\s+there(?:\s+any)?|(?:do|does)\s+(?:we|you|it|the\s+[\w-]+(?:\s+[\w-]+)?)\s+have(?:\s+any)?"
    # "do you sponsor work visas?", "does the company offer relocation?"
    r"|(?:do|does)\s+(?:you|we|the\s+(?:company|team|lab))\s+(?:sponsor|offer|provide|cover|pay\s+for)(?:\s+any)?)\s+"
    # "which learning rate and warmup did ...": things asked for together are one head
    r"(?:(?:the|a|an|your|our|their|its)\s+)?(?P<head>[\w-]+(?:\s+[\w-]+){0,2}?"
    r"(?:\s+(?:and|or)\s+(?!(?:r|u|i|we|you|they|it|is|are|do|does|did|can|should|just)\b)[\w-]+(?:\s+[\w-]+)?)?)"
    r"(?:\s+(?:of|at|for|in|on|during|with|this|these|those|our|your|we|you|they|has|have|does|do|did|is|are|was|were|will|would|like|"
    # "is there a relocation package if I move", "... exactly?"
    r"if|when|since|because|from|i|exactly|here|today)\b|\s*[,;:]|\W*$)",
    re.IGNORECASE,
)
# Between a modifier and its noun there is no article, preposition or verb: "connecting
# the nodes" is no kind of node.
_NOT_A_MODIFIER = re.compile(
    r"\b(?:the|a|an|of|to|for|in|on|at|is|are|was|were|it|that|this)\b", re.IGNORECASE
)
# Words that name an aspect of whatever follows, not a thing of their own.
_ANY_THING_WORDS = """
size number count kind type sort amount shape length scale format setup situation status
breakdown split mix share ratio percentage fraction makeup composition details detail deal
story plan state structure nature range level rate volume quality source sources timeline
schedule capacity limit limits spec specs current exact rough overall typical usual main
latest full total average idea point thing things part parts process best whole actual called
figure data info information stat statistic estimate existing specific particular certain
given available concrete precise
"""
_ANY_THING = frozenset(_ANY_THING_WORDS.split())

_WHAT_IS_A = re.compile(
    r"\W*(?:(?:sorry|so|and|um|uh|ok|okay|wait)\W+)*what(?:'?s|\s+is|\s+are)\s+an?\s+"
    r"(?P<term>[\w'-]+(?:\s+[\w'-]+){0,3}?)(?:\s+(?:exactly|again|here))?\W*|"
    # "What's structured access, exactly?", "what exactly is the value model", "whats STAR
    # again": the meaning, however the term is introduced, when nothing else is asked.
    r"\W*(?:(?:sorry|so|and|um|uh|ok|okay|wait)\W+)*what(?:'?s|\s+is|\s+are)\s+(?:the\s+)?"
    r"(?P<term2>[\w'-]+(?:\s+[\w'-]+){0,3}?)\W*\s(?:exactly|again|actually|precisely)\W*|"
    r"\W*(?:(?:sorry|so|and|um|uh|ok|okay|wait)\W+)*what\s+(?:exactly|actually|precisely)\s+"
    r"(?:is|are|'s)\s+(?:an?\s+|the\s+)?(?P<term3>[\w'-]+(?:\s+[\w'-]+){0,3}?)\W*",
    re.IGNORECASE,
)
_QUOTED_TERM = re.compile(
    r"(?:^|[\s(,])['\"‘“](?P<term>[a-z][^'\"’”]{1,40}?(?:'s[^'\"’”]{0,30})?)['\"’”](?=[\s,.?!:;)]|$)",
    re.IGNORECASE,
)
# "What does this word mean?": a term asked about, even one the scenario does not define.
ABOUT_A_WORD = re.compile(r"\b(?:this|that|the)\s+(?:word|term|phrase|expression)\b", re.IGNORECASE)
_ONLY_THE_NAME = re.compile(
    r"\b(?:(?:heard|know|recogni[sz]e)\s+(?:the|that|this)\s+name|never\s+heard\s+(?:of\s+)?(?:it|that|this|the\s+term)|"
    r"haven'?t\s+heard\s+(?:of\s+)?(?:it|that|this|the\s+term))\b",
    re.IGNORECASE,
)


def _with_parts(known: frozenset[str]) -> frozenset[str]:
    """The words, and the parts of hyphened ones ("grouped-query": "grouped", "query")."""
    return known | {part for w in known for part in w.split("-")}


# "who chairs", "who owns", "who signed off": who does something (not "who is", "who do
# I talk to").
_WHO_DOES = re.compile(
    r"(?:^\W*|[,;:?]\s*|\b(?:and|so|but|then)\s+)(?:(?:um|uh|so|and|ok|okay)\W+)*"
    r"who\s+(?:(?:actually|really|usually|currently|normally|else)\s+)?"
    r"(?P<verb>(?!(?:is|are|was|were|'s|do|does|did|would|will|can|could|should|has|have|had|gets?|got|"
    r"else|exactly|actually|i|we|you|they|the|a|an)\b)[a-z]+)\b",
    re.IGNORECASE,
)
# "A or B?": the words either side of "or", to the nearest break.
_ALTERNATIVES = re.compile(
    r"(?P<a>(?:[\w'-]+[ \t]+){0,3}[\w'-]+)(?<!\bmore)[ \t,]+or[ \t]+"
    r"(?:(?:is|are|do|does|only|just|the|a|an|it|they|we|some|is\s+it|are\s+they|do\s+they|"
    r"does\s+it)[ \t]+)*"
    r"(?P<b>[\w'-]+(?:[ \t]+[\w'-]+){0,3})\W*$",
    re.IGNORECASE,
)
_DECLINES = re.compile(
    r"\b(?:can'?t|cannot|won'?t|will\s+not)\s+(?:go\s+into|share|quote|discuss|disclose|get\s+into)\b",
    re.I,
)
# "... or something", "more or less", "or not": no second thing offered.
_NOT_A_CHOICE = re.compile(
    r"(?:something|smth|sth|anything|whatever|so|not|less|other|similar|the\s+like|"
    r"(?:still\s+)?(?:open|unknown|undecided|unclear|tbd))\b",
    re.I,
)
_ANNOUNCES_ASKING = re.compile(
    r"\b(?:just\s+so\s+i\s+(?:answer|get|understand)|so\s+i\s+answer\s+the\s+right|"
    r"(?:want|like)\s+to\s+(?:make\s+sure|check)\s+i(?:'ve|\s+have)?\s+(?:got|understood|understand)|"
    r"i\s+could\s+(?:go|take\s+it|read\s+it)\s+(?:two|a\s+couple\s+of|several|different)\s+ways)\b",
    re.IGNORECASE,
)
_ASKS_ON = re.compile(
    r"\W*(?:or\b[^.!?]*\?|is\s+that\s+(?:the\s+(?:kind|sort)\s+of\s+thing|what|roughly\s+what)\s+you\s+mean)",
    re.IGNORECASE,
)
EXPLAINS_ASKING = re.compile(
    r"\W*(?:because|since|'cause|cause|i'?m\s+asking|i\s+ask|the\s+reason\s+i\s+ask|asking\s+because|"
    r"that\s+(?:changes|matters)|it\s+(?:changes|matters)|"
    r"i\s+(?:want|wanted|need|needed)\s+to\s+(?:check|confirm|make\s+sure|be\s+sure|know)\b|"
    # "It would help me size the PPO updates": what the answer is wanted for
    r"(?:it|that|this|knowing\s+(?:it|that|this))\s+(?:would|will|'d|'ll|could|might)\s+(?:really\s+)?help\s+(?:me|us)\b|"
    # "If it's three times the compute, that changes how widely I'd roll it out", "This
    # decides if I can put it on the same GPUs", "I want to work out the cache per token"
    r"if\b[^.!?]{2,80}?,?\s+(?:that|it|this)\s+(?:changes|matters|decides|means\s+i)|"
    r"(?:this|that|it|the\s+answer)\s+(?:decides|determines|affects|changes)\b|"
    r"i(?:'d|\s+would)?\s+(?:want|like|need)\s+to\s+(?:work\s+out|figure\s+out|plan|size|estimate|pace|"
    r"sanity[\s-]check|watch|decide|pick|choose)\b)\b",
    re.IGNORECASE,
)
# Fillers and the adverbs that only colour a question ("who actually reads", "does anyone
# even watch it"): set aside before the facts' phrases are looked for.
_NOISE = re.compile(
    r"\[[a-z ]+\]|\b(?:um+|uh+|erm+|er|hmm+|ah+)\b[,.]?|\byou\s+know\b|\bi\s+mean\b|"
    r"\b(?:actually|really|even|basically|currently|already)\s+(?=\w)",
    re.IGNORECASE,
)
_ECHO = re.compile(
    r"\W*(?:(?:sorry|um|uh|hmm|the)\W+)*(?P<term>[\w'-]+(?:\s+[\w'-]+){0,2})\s*\?+\W*",
    re.IGNORECASE,
)
_ASKS_MEANING = re.compile(
    r"^\W*define\b|\bmean\b|\bmeaning\b|\bnever heard\b|\bhaven't heard\b|"
    r"\bnot familiar with the\b|"
    r"\bwhen\s+(?:you|u|ppl|people|they)\s+say\b|\bsame\s+(?:thing\s+)?as\b|\bterm\b|"
    r"\bin\s+what\s+(?:sense|way|respect)\b|\bas\s+in\b[^.!?]{1,80}\bor\b|\s=\s|"
    r"\bexactly\W*\?|\bthe\s+name\b|\s+means\s+[^.!?]{2,80}\?|\btalking\s+about\b",
    re.IGNORECASE,
)
