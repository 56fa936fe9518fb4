"""Which of a turn's questions the candidate really asked, and whether the turn is an
answer as well: a question put to the interviewer is asked; a tag question checking a
claim, a topic named before the speaker's own answer, a question the speaker answers at
once and a check-in gone on past are not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from .answer_types import singular
from .clauses import content
from .questions import EXPLAINS_ASKING
from .sentences import PUT_TO_YOU, Sentence, is_tag_question, is_topic, words

_SUBSTANCE = 8  # words outside its questions that make a turn an answer as well
_ECHO_WORDS = 8  # at most, in the interviewer's question said over before answering it
_ANSWER_WORDS = 3  # at least, in the answer that follows it
_NAMES_NOTHING = 3  # content words, at most, in a question read with the sentence beside it

# "What are we serving with here?", "Do we know how many groups applied?": asked of the
# interviewer about the case, not of the speaker's own answer.
_PUT_TO_THE_INTERVIEWER = re.compile(
    r"\b(?:do|does|did|are|is|have|has|can|could|would|will)\s+(?:we|you|they)\b|"
    r"\b(?:we|you)\s+(?:know|have|got|using|use|serving|running|run)\b|\bwhich\s+\w+\s+is\s+(?:this|it)\b",
    re.IGNORECASE,
)

# "... what's the latency target? I'll just assume sub-second": the speaker answers their
# own question with an assumption and goes on; nothing is left for the interviewer.
_ASSUMPTION = (
    r"(?:(?:i'?ll|i\s+will|i'?d|i\s+would|let\s+me|we'?ll|i'?m\s+(?:going\s+to|gonna))"
    r"\s+(?:just\s+|simply\s+)?assume|let'?s\s+(?:just\s+)?(?:assume|say))\b"
)
_ASSUMES = re.compile(_ASSUMPTION, re.IGNORECASE)
_ASSUMES_NEXT = re.compile(
    r"^\W*(?:(?:ok|okay|so|um|uh|well|then|fine|and|but|otherwise|for\s+now)\W+)*"
    rf"(?:{_ASSUMPTION}|assuming\b)",
    re.IGNORECASE,
)
# "How did I pick the chunk size? I measured it.", "Do I escalate? Yes.": the speaker's
# own choice, asked aloud before they answer it (not "which team would I be on?", asked
# of the interviewer).
_ASKS_ONESELF = re.compile(
    r"^\W*(?:(?:so|and|well|um|uh|ok|okay)\W+)*(?:"
    r"(?:how|why|what|when|where)\s+did\s+i\b"
    r"|(?:did|do)\s+i\s+(?!(?:need|have|get|know|start|report|work|join|hear|go)\b)[a-z]+"
    r"(?:\s+(?:it|this|that|them|up))?\W*$)",
    re.IGNORECASE,
)

# "Do you want me to go deeper on the sandbox next?" offers; it asks for no fact.
_OFFERS = re.compile(r"\b(?:want|like)\s+me\s+to\b|\bshould\s+i\b|\bshall\s+i\b", re.I)


def own_questions(
    sentences: list[Sentence],
    fact_of: Mapping[str, str],
    recognises: Callable[[str], bool],
    invited: bool = False,
    put: str = "",
) -> tuple[list[Sentence], tuple[str, ...], bool]:
    """The candidate's own questions in a turn: (the sentences, with those that only look
    like questions marked as statements; the fact each question asks for, "" for none;
    whether the turn says something of substance besides them).

    `invited`: the interviewer asked for questions ("What questions do you have for me?").
    Then "um yeah do you guys sponsor visas" is asked without its question mark, "So, I
    guess, what's the split between remote and in-office?" is no guess said rising, and a
    question followed by why it matters to the speaker is asked, not rhetorical: with
    questions in it, the turn is no answer to anything else.

    `put`: the interviewer's question as last put, which the speaker may say over to
    themselves before answering it ("Who decides? The policy team.")."""
    sentences = _put_as_questions(sentences, fact_of, recognises, invited, put)
    questions = [s for s in sentences if s.question]

    asked = _facts_asked(sentences, fact_of)
    # A turn with questions is also an answer only if it says enough besides them; a
    # question followed by more words was rhetorical unless it comes last.
    substantive = True
    if questions:
        # "Do you sponsor visas? I'm asking because of my timing" still only asks.
        # ("... It would help me size the updates." says why, after the question)
        besides = " ".join(
            s.text
            for i, s in enumerate(sentences)
            if not s.question
            and not (i and sentences[i - 1].question and EXPLAINS_ASKING.match(s.text))
        )
        # Asked for questions, what the candidate says beside them is about them ("I've
        # got a kid starting school in September, so it matters"): there is no other
        # question to answer.
        substantive = not invited and len(words(besides)) >= _SUBSTANCE and recognises(besides)
        if substantive:
            # Beside an answer, a question no fact answers was asked if it was put to the
            # interviewer about the case ("Do we know how many groups applied?"), not if
            # it offers to go on ("Do you want me to go deeper?"); one only shaped like a
            # question ("I'd question how much margin is left") was not asked. Followed by
            # more of the answer, only one the candidate marked with "?" was asked at all.
            last = sentences[-1].question
            asked = tuple(
                a
                for s, a in zip(questions, asked, strict=True)
                if (last or s.text.endswith("?"))
                and (
                    a
                    or (
                        s.text.endswith("?")
                        and _OFFERS.search(s.text) is None
                        and (last or _PUT_TO_THE_INTERVIEWER.search(s.text) is not None)
                    )
                )
            )
    # "... eighty gigabytes each, yes? I want to check this before I decide about ZeRO
    # sharding.": why the candidate asks belongs to the asking, and earns nothing either.
    sentences = [
        Sentence(s.start, s.end, s.text, True)
        if i and sentences[i - 1].question and EXPLAINS_ASKING.match(s.text)
        else s
        for i, s in enumerate(sentences)
    ]
    return sentences, asked, substantive


def _facts_asked(sentences: list[Sentence], fact_of: Mapping[str, str]) -> tuple[str, ...]:
    """The fact each of the turn's questions asks for ("" for none)."""

    # "... a proper uplift study. Has anyone run one yet?": a question that names
    # (almost) nothing is read with the sentence before it, or with the reason given
    # after it ("Is it okay if I change the names? Because of my NDA ...").
    def reason_after(i: int) -> str:
        after = sentences[i + 1] if i + 1 < len(sentences) else None
        if after is None or after.question or not EXPLAINS_ASKING.match(after.text):
            return ""
        return fact_of[after.text]

    # A question with things of its own to name ("is this running with any special
    # allocator settings?") is not about the sentence beside it: a fact that sentence
    # would call up does not answer it.
    return tuple(
        fact_of[s.text]
        or (
            ((fact_of[sentences[i - 1].text] if i else "") or reason_after(i))
            if len(content(s.text)) <= _NAMES_NOTHING
            else ""
        )
        for i, s in enumerate(sentences)
        if s.question
    )


def _put_as_questions(
    sentences: list[Sentence],
    fact_of: Mapping[str, str],
    recognises: Callable[[str], bool],
    invited: bool,
    put: str,
) -> list[Sentence]:
    """The sentences, marked as questions when they are put to the interviewer."""
    if invited:
        sentences = [
            Sentence(s.start, s.end, s.text, True)
            if s.text.endswith("?") or PUT_TO_YOU.match(s.text)
            else s
            for s in sentences
        ]
    # "Every action is allowed, right?" checks a claim: a question only if a fact of
    # the scenario answers it.
    # "This is hypothetical, ok? Say I own a launch ...": a check-in the speaker goes on
    # past without waiting is not asked either, even when a fact would answer it.
    sentences = [
        Sentence(s.start, s.end, s.text, False)
        if s.question
        and is_tag_question(s.text)
        and (not fact_of[s.text] or _goes_on(sentences[i + 1 :], recognises))
        else s
        for i, s in enumerate(sentences)
    ]
    return [
        Sentence(s.start, s.end, s.text, False)
        if s.question and (_answered_by_oneself(b, s, n) or _said_over(s, n, put))
        else s
        for b, s, n in zip([None, *sentences[:-1]], sentences, [*sentences[1:], None], strict=True)
    ]


def _answered_by_oneself(before: Sentence | None, s: Sentence, after: Sentence | None) -> bool:
    """A question the speaker answers at once, with nothing left for the interviewer."""
    if not s.text.endswith("?") and _assumed_within(s.text):
        return True  # "... what's the latency target but i'll just assume sub second"
    if after is None or after.question:
        return False
    # "How did I pick it? I measured." asks oneself; "What's the target? I'll assume one
    # second." is answered by the speaker's assumption.
    if _ASKS_ONESELF.match(s.text) or _ASSUMES_NEXT.match(after.text):
        return True
    # "Classifier timeout? Fail open.": a topic named, then the speaker's own answer (not
    # "Can I get data from production? Even just flagged chats?", a question narrowed).
    return not (before is not None and before.question) and is_topic(s.text)


def _said_over(s: Sentence, after: Sentence | None, put: str) -> bool:
    """The interviewer's question said over, then answered: "Who decides? The policy team,
    ...", "Why now? Honestly, the sabotage paper." A short question all of whose words
    are the interviewer's asks nothing of them."""
    if after is None or after.question or len(words(after.text)) < _ANSWER_WORDS:
        return False
    said = content(s.text)
    if not said or len(words(s.text)) > _ECHO_WORDS:
        return False
    theirs = {singular(w) for w in content(put)}
    return all(singular(w) in theirs for w in said)


def _assumed_within(text: str) -> bool:
    """An assumption said after the question in the same unmarked sentence ("so the
    first thing i'd ask is what's the latency target but i'll just assume sub second")."""
    m = _ASSUMES.search(text)
    return m is not None and m.start() > 0


def _goes_on(after: list[Sentence], recognises: Callable[[str], bool]) -> bool:
    """What follows is an answer of its own, with no question in it ("I want to check
    this before I decide" only says why the candidate asks)."""
    after = [s for s in after if not EXPLAINS_ASKING.match(s.text)]
    if not after or any(s.question for s in after):
        return False
    rest = " ".join(s.text for s in after)
    return len(words(rest)) >= _SUBSTANCE and recognises(rest)
