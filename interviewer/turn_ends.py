"""How a turn ends: on not knowing, on having no story, or on asking for time.

A request phrase counts only when it is most of the turn (`meta.py`), but people put the
request last, after the topic, the reasons and their own history: "GPUs... right. I know
people say the kernels are nondeterministic, but I couldn't tell you where it comes from.
I don't know." Where the request comes, and what stands after and before it, decide.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .clauses import ANSWER_START, content, rest_of_turn
from .meta_phrases import Intent
from .sentences import Sentence, words

SHAPE_MAX_WORDS = 25
SHAPE_REACH = 8
_STORY_WORDS_TEXT = """
example examples story stories time times situation situations case cases experience
happened happen happens came occurred incident incidents instance project projects
failure failures disagreement disagreements conflict conflicts
"""
STORY_WORDS = frozenset(_STORY_WORDS_TEXT.split())

# "... so I don't have one beyond that" refers to the story just told.
BUT = re.compile(
    r"\b(?:but|though|although|except|beyond|besides|apart\s+from|than|else)\b",
    re.IGNORECASE,
)
QUALIFIED = re.compile(
    r"\b(?:dramatic|big|bigger|huge|major|great|perfect|better|worse|good|clean|classic|"
    r"textbook|real|proper|serious)\b",
    re.IGNORECASE,
)


def ends_not_knowing(
    text: str,
    sentences: list[Sentence],
    found: dict[Intent, list[re.Match[str]]],
    has_signal: Callable[[str], bool],
    asks_fact: Callable[[str], bool],
) -> bool:
    """ "..., and I don't really know what a sensible threshold would be. I don't know.": a
    turn whose last sentence is the speaker not knowing, with no answer after it and no
    proposal before it, spent what came before on the topic, the reasons and the speaker's
    own history ("I've never sat on a launch review"), however many of the scenario's words
    that named. "We don't know the uplift" is a claim about the world, not a request.
    After it may come the reason ("Never looked at GPU kernels.") or a short remark that
    recognises nothing ("As we say, not my circus."); before it, the question said over
    ("How did I first notice it... honestly, I couldn't tell you")."""
    matches = [m for i in ("dont_know", "no_example") for m in found.get(i, [])]
    if not matches:
        return False
    first = min(m.start() for m in matches)
    if any(s.question and (s.end > first or asks_fact(s.text)) for s in sentences):
        return False  # a question of the candidate's own decides
    said = [s for s in sentences if content(s.text)]
    while len(said) > 1 and not any(said[-1].start <= m.start() < said[-1].end for m in matches):
        tail = said[-1]
        remark = (
            len(words(tail.text)) <= _REMARK_WORDS
            and not has_signal(tail.text)
            and not _CLAIM.match(tail.text)
        )
        if not (
            _INABILITY.match(tail.text) or _WONT_GUESS.match(tail.text) or remark
        ) or _answers_after(text, tail.start, tail.end):
            return False
        said.pop()
    if not said:
        return False
    last = said[-1]
    for m in matches:
        if not last.start <= m.start() < last.end or _OTHERS_SUBJECT.search(text, 0, m.start()):
            continue
        # "I would never run PPO without a KL anchor" is a rule, not a memory; "so I don't
        # have a bigger one" offered a small one.
        if (
            _PROPOSAL.search(text, last.start, m.end())
            or _answers_after(text, m.end(), last.end)
            or QUALIFIED.search(text, m.start(), min(last.end, m.end() + _QUALIFIER_REACH))
            or _PARTIAL.search(text, m.start(), min(last.end, m.end() + _QUALIFIER_REACH))
            or _AFTER_A_STORY.search(text, m.end(), last.end)
        ):
            continue
        spans = [(o.start(), o.end()) for ms in found.values() for o in ms]
        return not _PROPOSAL.search(rest_of_turn(text, sentences, spans))
    return False


_REMARK_WORDS = 10
# "I did a bit of everything, really.": the speaker says what they did, however vaguely.
_CLAIM = re.compile(
    r"\W*(?:(?:and|so|but|well|yeah|honestly)\W+)*(?:i|we)(?:'ve)?\s+"
    r"(?!(?:don'?t|do\s+not|can'?t|cannot|never|haven'?t|have\s+not|wasn'?t|am\s+not|'m\s+not)\b)\w+",
    re.IGNORECASE,
)


def ends_without_story(
    text: str, sentences: list[Sentence], has_signal: Callable[[str], bool]
) -> bool:
    """ "Most of my work was maintaining someone else's pipeline, so there isn't really a
    project where I made the calls.": a turn that ends by saying the speaker has no story
    of the kind asked for, in words no list holds, gave its reasons before. Background may
    follow it ("I don't have an ethical dilemma from work. My projects were ranking.") if
    the scenario recognises nothing in it."""
    if any(s.question for s in sentences):
        return False
    said = [s for s in sentences if content(s.text)]
    while said and not _says_no_story(_conclusion(said[-1].text)):
        tail = said[-1]
        if (
            len(said) == 1
            or len(words(tail.text)) > SHAPE_MAX_WORDS
            or (has_signal(tail.text) and not _WONT_GUESS.match(tail.text))
            or _PROPOSAL.search(tail.text)
            or _answers_after(text, tail.start, tail.end)
        ):
            return False
        said.pop()
    if not said:
        return False
    # "I've only been working for eight months, all of it tickets, so there isn't really a
    # project I could call my own.": the conclusion is what must be short and bare, up to
    # what describes the story missing ("... one I owned start to finish").
    last = _conclusion(said[-1].text)
    m = _NONE_HAD.search(last)
    if m is not None:
        described = _DESCRIBED.search(last, m.end())
        if described is not None:
            last = last[: described.start()]
    return len(words(last)) <= SHAPE_MAX_WORDS and not has_signal(last)


def _conclusion(sentence: str) -> str:
    """What a sentence concludes after its last "so": "I was an accountant until last
    spring, so there isn't really a project ...", or the whole sentence when that part
    does not say the speaker has no story."""
    conclusion = list(_CONCLUDES.finditer(sentence))
    if conclusion and _says_no_story(sentence[conclusion[-1].end() :]):
        return sentence[conclusion[-1].end() :]
    return sentence


# After "there isn't really one", what the missing story would have been: "... where I
# was the owner", "... that I could walk you through", "... with technical decisions".
_DESCRIBED = re.compile(r"\b(?:where|that|which|who|whose|with|i|i'd|i'?ve|we)\b", re.I)


def _says_no_story(sentence: str) -> bool:
    """The speaker has no story of the kind asked for: "there isn't really a project", "I
    can't think of one", not "I haven't had one since" (after a story) nor "there isn't a
    dramatic one, but ..." (before a small one)."""
    if not _FIRST_PERSON.search(sentence) or _PROPOSAL.search(sentence) or _SINCE.search(sentence):
        return False
    for m in _NONE_HAD.finditer(sentence):
        if _CONTRAST.search(sentence, m.end()) or _COMPARED.search(
            sentence, m.end(), m.end() + _QUALIFIER_REACH
        ):
            continue
        after = words(sentence[m.end() :])[:SHAPE_REACH]
        if any(w in STORY_WORDS or w in _ONE_LIKE_IT for w in after) or _ONE.match(
            sentence, m.end()
        ):
            return True
    return False


# "..., so I don't have a bigger one": compared with the story just told.
_COMPARED = re.compile(
    r"\b(?:bigger|better|worse|larger|greater|harder|clearer|cleaner|more\s+\w+)\b", re.I
)
# Stories by another name, in "I don't have an ethical dilemma from my work".
_ONE_LIKE_IT = frozenset({"dilemma", "dilemmas", "decision", "decisions", "moment", "moments"})
# "There wasn't one really.", "I cannot find one in my head": the story, as "one".
_ONE = re.compile(
    r"(?:\s+(?:really|honestly|actually|ever|even|any|a|just))*\s+(?:one|any)\b"
    r"(?=\s*(?:[.,;:!?]|$|\s+(?:really|honestly|i|that|which|where|like|in|to|from|at|either|for\s+you|"
    r"of\s+(?:those|these|them|that\s+kind)|"
    r"worth|comes|come|springs|right\s+now)\b))",
    re.IGNORECASE,
)


# Having none, in the speaker's words: "there isn't really a project", "I can't think of
# a time", "I never had a failure like that", "nothing like a real project".
_NONE_HAD = re.compile(
    r"\bthere(?:'s|\s+is|\s+was|\s+were|\s+are)?\s*(?:n'?t|not|no|never)\b|"
    r"\bthere(?:\s+)?(?:isn'?t|wasn'?t|aren'?t|weren'?t|isnt|wasnt)\b|"
    r"\b(?:don'?t|do\s+not|dont)\s+(?:really\s+)?think\s+(?:there'?s|there\s+(?:is|was|are|were)|i\s+(?:have|had))\b|"
    r"\bi(?:'ve|\s+have)?\s+(?:(?:really|honestly|just|genuinely|truly)\s+)*"
    r"(?:don'?t|didn'?t|haven'?t|hadn'?t|never|can'?t|cannot|couldn'?t|dont|didnt|havent|cant)\s+"
    r"(?:(?:really|honestly|actually|ever|even)\s+)*(?:have|had|got|think\s+of|recall|remember|"
    r"come\s+up\s+with|pick|find|point\s+to|name)\b|"
    # "Haven't built one myself.", "I've never owned a project end to end."
    r"(?:^\W*|\bi(?:'ve|\s+have)?\s+)(?:(?:really|honestly|just|genuinely|truly)\s+)*"
    r"(?:haven'?t|havent|never)\s+(?:(?:really|actually|ever|even)\s+)*"
    r"(?:built|owned|led|run|shipped|faced|experienced|encountered|been\s+in|worked\s+on)\b|"
    r"\bnothing\b|\bnone\b",
    re.IGNORECASE,
)
# "I haven't had an incident like that since": said after a story.
_AFTER_A_STORY_WORDS = r"since|anymore|any\s+more|after\s+that"
_AFTER_A_STORY = re.compile(rf"\b(?:{_AFTER_A_STORY_WORDS})\b", re.I)
# Having had none so far is not having none ("no incident like that again, so far").
_SINCE = re.compile(rf"\b(?:{_AFTER_A_STORY_WORDS}|again|these\s+days|so\s+far|yet)\b", re.I)
_CONTRAST = re.compile(r"\b(?:but|though|although|except|apart\s+from|besides|beyond)\b", re.I)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|me|my|mine|myself)\b", re.IGNORECASE)


def ends_asking_time(
    text: str,
    sentences: list[Sentence],
    found: dict[Intent, list[re.Match[str]]],
    has_signal: Callable[[str], bool],
) -> bool:
    """ "..., there's the thing with a confidence of exactly one, so give me a minute to
    think it through.": the time is asked for last, and what came before named what will
    be thought about. Only reasons may follow ("I want to do it justice"), nothing the
    scenario recognises, and nothing put forward anywhere."""
    last = max(m.start() for m in found["need_time"])
    at = next((i for i, s in enumerate(sentences) if s.start <= last < s.end), None)
    if at is None or _puts_forward(text):
        return False
    after = text[last : sentences[-1].end]
    return not has_signal(after) and len(sentences) - at <= _REASONS_AFTER


_REASONS_AFTER = 2  # the sentence asking, and one more that says why


def _puts_forward(text: str) -> bool:
    """A proposal is made, not only named as what is to be worked out ("let me work out
    which numbers I'd commit to")."""
    return any(
        not _TO_WORK_OUT.search(text, max(0, m.start() - 30), m.start())
        for m in _PROPOSAL.finditer(text)
    )


_TO_WORK_OUT = re.compile(r"\b(?:what|which|how|where|whether|if)\s+(?:\w+\s+){0,2}$", re.I)


def _answers_after(text: str, start: int, end: int) -> bool:
    """Something is put forward after the phrase: "..., but my guess is sharding", "not
    sure how it was noticed, honestly somebody on support found it"."""
    for regex in (BUT, _PROPOSAL, ANSWER_START):
        m = regex.search(text, start, end)
        if m and _WHAT_IS_NOT_KNOWN.search(text, max(start, m.start() - 12), m.start()):
            m = regex.search(text, m.end(), end)  # "don't know what I'd change": still unknown
        # ("..., but nothing I could walk you through" turns to nothing)
        if (
            m
            and len(content(text[m.end() : end])) >= _ANSWER_AFTER_WORDS
            and not _NOTHING_AFTER.match(text, m.end(), end)
        ):
            return True
    return False


_WHAT_IS_NOT_KNOWN = re.compile(r"\b(?:what|how|where|which|why|whether|if)\s+$", re.I)
_NOTHING_AFTER = re.compile(
    r"\W*(?:\w+\W+)?(?:nothing|none|no|not|never|i\s+(?:can'?t|cannot|couldn'?t|don'?t))\b", re.I
)


_ANSWER_AFTER_WORDS = 3
# A sentence that says what the speaker never did or cannot do: "Never looked at GPU
# kernels.", "I can't think what would separate them." ("I don't think X" is an opinion.)
_INABILITY = re.compile(
    r"\W*(?:(?:um+|uh+|hmm+|honestly|and|so|but|sorry|well|yeah|i\s+mean)\W+)*"
    r"(?:i\s+|i'?ve\s+|i\s+have\s+)?(?:(?:really|honestly|just|genuinely|actually|ever)\s+)*"
    r"(?:(?:can'?t|cannot|couldn'?t)\s+(?:(?:really|even|honestly)\s+)*(?:think|come\s+up|"
    r"picture|imagine|see|remember|recall|say)|(?:never|haven'?t|didn'?t|don'?t)\s+"
    r"(?:(?:really|even|ever|actually|honestly)\s+)*(?:looked|look|seen|worked|touched|used|"
    r"dealt|had|have\s+(?:an?\s+)?(?:answer|clue|idea|example|story)|come\s+across|"
    r"thought|read|studied|learned|learnt|done))\b",
    re.IGNORECASE,
)
# "I could guess, but it would be a guess.", "I'd rather tell you that than invent one.":
# why there is no answer, said after not having one.
_WONT_GUESS = re.compile(
    r"\W*(?:(?:and|so|but|honestly|look)\W+)*(?:i\s+could\s+(?:guess|make\s+something\s+up)|"
    r"it\s+would\s+(?:just\s+)?be\s+a\s+guess|i'?d\s+(?:just\s+)?be\s+(?:making|guessing|inventing)|"
    r"anything\s+i\s+(?:said|say)|i'?d\s+rather\s+(?:tell\s+you\s+(?:that|so)|say\s+so|be\s+honest)|"
    r"i\s+(?:don'?t|wouldn'?t)\s+want\s+to\s+(?:guess|make\s+(?:something|one|it)\s+up|invent)|"
    r"i'?m\s+drawing\s+a\s+blank|i\s+(?:just\s+)?wasn'?t\s+(?:that\s+|very\s+)?close)\b",
    re.IGNORECASE,
)
_CONCLUDES = re.compile(r"(?:,|\band)\s+so\b|\bwhich\s+is\s+why\b|\bthat'?s\s+why\b", re.I)
_QUALIFIER_REACH = 20
# "I'm stuck on the rest, so that's my solution": what came before was an answer.
_PARTIAL = re.compile(r"\b(?:the\s+rest|further|more\s+than\s+that|past\s+that)\b", re.I)
# The subject right before the phrase is someone or something else: "we simply don't know
# the risk", "the KV cache never failed us".
_OTHERS_SUBJECT = re.compile(
    r"\b(?:we|they|you|people|nobody|no\s+one|anyone|everyone|he|she)\s+(?:\w+\s+)?$|"
    r"\b(?:the|a|an|our|their|its|this|that)\s+(?:(?!(?:i|um|uh|hmm|so|and|but)\b)[\w-]+\s+){1,3}$",
    re.IGNORECASE,
)
# Words that put something forward: what they stand in is an answer, however hedged.
_PROPOSAL = re.compile(
    r"\b(?:i'?d|i\s+would|we'?d|we\s+would|we\s+should|i\s+should|you\s+could|we\s+could|"
    r"i\s+guess|my\s+guess|i\s+think\s+(?:we|it|the|you|that|they)|probably|maybe|perhaps|"
    r"i'?ll|i\s+will|we'?ll|we\s+will|i'?d\s+say)\b",
    re.IGNORECASE,
)
