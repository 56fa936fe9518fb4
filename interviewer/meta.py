"""Meta-intents: requests about the conversation rather than answers to it.

"Say that again", "what do you mean by uplift?", "I don't know", "can I take a moment?",
"no questions from me". They are the same in every scenario, so their phrases live in one
data file (`meta.yaml`, read by `meta_phrases.py`) that anyone can extend, and the engine
handles them before the script sees the turn.

A request only counts when it is most of the turn: the clause that holds the phrase is set
aside, and if what remains has real content the turn is an answer ("I don't know the exact
figure, but I'd shard it with FSDP"), unless the turn ends on not knowing and puts nothing
forward: then what came before was the topic and the speaker's history, in however many
words. Two rules need no phrase at all: input that cannot be
understood (emoji, keyboard mash, noise, another language) is asked again, and a short
negative turn about having or knowing ("nah, that never came up for me") asks for help.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from .beside import without_deliberation, without_self_description
from .meta_phrases import Intent, find, find_all, leaving_patterns
from .sentences import Sentence, words

_CLAUSE = re.compile(r"[,;:]|\s(?:but|and then|so|because|although|though)\s", re.IGNORECASE)
# Words that carry nothing beside a request ("um, sorry, honestly, I ...").
_FILLER_WORDS = """
um uh er erm hmm hm ah oh well so okay ok right sorry yeah yes no honestly actually i mean
like just really to be honest
"""
_FILLER = frozenset(_FILLER_WORDS.split())


def leaving_at(sentences: list[Sentence]) -> int | None:
    """Where the candidate says they have to go, in the turn's last two sentences: the
    start of that sentence, or None. Words before it are still an answer."""
    for s in sentences[-2:]:
        for r in leaving_patterns():
            m = r.search(s.text)
            # "If the rate passes one percent I have to stop": a rule, not a goodbye.
            if m and not _CONDITION.search(s.text, 0, m.start()):
                return s.start
    return None


_CONDITION = re.compile(r"\b(?:if|when|whenever|unless|once|until|as\s+soon\s+as)\b", re.I)


def content(text: str) -> list[str]:
    """The words of `text` that carry content (no fillers, no function words)."""
    return [w for w in words(text) if w not in _FILLER and w not in _STOPWORDS]


def _clause_around(text: str, s: Sentence, start: int, end: int) -> tuple[int, int]:
    """The clause holding [start, end): to the nearest break, but no further than a few
    words either way, since transcribed speech may have no punctuation at all."""
    left = text[s.start : start]
    cuts = list(_CLAUSE.finditer(left))
    clause_start = s.start + (cuts[-1].end() if cuts else 0)
    before = list(_WORD_SPAN.finditer(text, clause_start, start))
    if len(before) > _CLAUSE_REACH_BEFORE:
        clause_start = before[-_CLAUSE_REACH_BEFORE].start()
    right = _CLAUSE.search(text, end, s.end)
    clause_end = right.start() if right else s.end
    complement = _COMPLEMENT.match(text, end)
    if complement:
        # "I don't know how you'd lay four models out on that cluster": what follows names
        # what is not known, to the end of its clause, or until an answer or a new thought
        # starts ("... how it was noticed honestly somebody on support found it"). "This I
        # don't know, sorry, how it becomes a decision" names it after a filler.
        right = _CLAUSE.search(text, complement.end(), s.end)
        clause_end = right.start() if right else s.end
        after = list(_WORD_SPAN.finditer(text, end, clause_end))
        if len(after) > _COMPLEMENT_REACH:
            clause_end = after[_COMPLEMENT_REACH - 1].end()
        inner = after[2].end() if len(after) > 2 else clause_end
        stop = _ANSWER_START.search(text, inner, clause_end)
        return clause_start, stop.start() if stop else clause_end
    after = list(_WORD_SPAN.finditer(text, end, clause_end))
    if len(after) > _CLAUSE_REACH_AFTER:
        clause_end = after[_CLAUSE_REACH_AFTER - 1].end()
    return clause_start, clause_end


_WORD_SPAN = re.compile(r"[A-Za-z0-9']+")
_COMPLEMENT = re.compile(
    r"(?:[\s,;:-]*(?:sorry|um|uh|honestly|exactly|really)\b)*[\s,;:-]*"
    r"(?:how|what|which|where|who|whom|whose|whether|if|why|when|abt|about)\b",
    re.IGNORECASE,
)
# Where an answer or a new thought begins inside a run-on sentence: "no idea what the
# split is id use fsdp", "not sure how it was noticed honestly somebody found it".
_ANSWER_START = re.compile(
    r"\b(?:i'?d|i\s+would|we'?d|we\s+would|i'?ll|we'?ll|i\s+will|we\s+will|we\s+should|"
    r"i\s+think|my\s+guess|probably|maybe|honestly|basically|anyway|tbh|to\s+be\s+honest)\b",
    re.IGNORECASE,
)
_COMPLEMENT_REACH = 20
_CLAUSE_REACH_BEFORE = 4
_CLAUSE_REACH_AFTER = 8


def rest_of_turn(text: str, sentences: list[Sentence], spans: list[tuple[int, int]]) -> str:
    """The turn with the clauses holding `spans` set aside, and without the candidate's
    own questions ("I don't know. What would you suggest?" answers nothing)."""
    cut: list[tuple[int, int]] = []
    for start, end in spans:
        for s in sentences:
            if s.start <= start < s.end:
                a, b = _clause_around(text, s, start, end)
                if _BY_OTHERS.match(text, start, end):
                    # "The dashboards were made by somebody else": the whole clause.
                    left = list(_CLAUSE.finditer(text, s.start, start))
                    a = left[-1].end() if left else s.start
                cut.append((a, b))
                break
    cut += [(s.start, s.end) for s in sentences if s.question]
    kept, at = [], 0
    for a, b in sorted(cut):
        if a > at:
            kept.append(text[at:a])
        at = max(at, b)
    kept.append(text[at:])
    # What was set aside was a clause: what stood either side of it does not run on.
    return "; ".join(kept)


def is_answer(rest: str, has_signal: Callable[[str], bool]) -> bool:
    """What is left beside a request is an answer if the scenario recognises something in
    it, or if it is long enough to say something of its own."""
    said = content(rest)
    return len(said) >= MIN_ANSWER_WORDS or (bool(said) and has_signal(rest))


def unclear(text: str, sentences: list[Sentence]) -> bool:
    """Nothing to understand: no words (emoji, symbols), noise, or not English."""
    ws = words(text)
    if not ws:
        return "\U0001f937" not in text  # a shrug says "I don't know"
    heard = _INAUDIBLE.sub(" ", text)
    if heard != text and len(content(heard)) < MIN_ANSWER_WORDS:
        # "i dont know who should own that [inaudible]" was heard well enough.
        # "[inaudible] sorry" still asks to hear the question again.
        return not any(find(i, heard) for i in _ORDER if i != "repeat")
    if _OTHER_SCRIPT.search(text) and len(_OTHER_SCRIPT.findall(text)) > len(ws):
        return True
    # "Perdón, ¿puedes repetir?": accents folded, so the words are whole.
    folded = words(unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode())
    foreign = sum(w in _FOREIGN for w in folded)
    if foreign >= 2 and foreign > sum(w in _STOPWORDS for w in folded):
        return True
    # Keyboard mash ("asdfjk;; sorry cat on keyboard"); a short acronym ("SFT?") is not one.
    mashed = any(_MASH.search(w) for w in ws if w.isalpha())
    return mashed and len(content(text)) <= 5


def _by_shape(
    text: str,
    sentences: list[Sentence],
    has_signal: Callable[[str], bool],
    asks_fact: Callable[[str], bool] = lambda _: False,
) -> Intent | None:
    """A short, negative turn about having or knowing, with nothing the scenario recognises
    in it, is a request for help even in words no list holds: "Nah, that never really came
    up for me", "Honestly, nothing along those lines."."""
    ws = words(text)
    if has_signal(text):
        return None
    # "The what?", "Which part?", "Hm? Sorry?": a question with nothing in it asks again.
    only_asks = bool(sentences) and all(s.question for s in sentences)
    if (
        only_asks
        and len(content(text)) <= 1
        and len(ws) <= 5
        # "Which tokenizer?" asks for a thing; "which part?", "the what?" ask again.
        and all(w in _ABOUT_THE_TALK for w in content(text))
        and not _ASKS_WHY.match(text)
        and not any(asks_fact(s.text) for s in sentences)  # "Hypothetical okay?" asks
    ):
        return "repeat"
    if len(ws) > _SHAPE_MAX_WORDS or any(s.question for s in sentences):
        return None
    # The negative must govern the word, in its clause: "never really came up", not "a
    # small case, nothing special" or "I would not measure anything, I'd read the code".
    clauses = [words(c) for c in _CLAUSE.split(text) if c and c.strip()]

    def governed(vocabulary: frozenset[str]) -> bool:
        for cw in clauses:
            negatives = [i for i, w in enumerate(cw) if w in _NEGATIVE or w.endswith("n't")]
            if any(
                w in vocabulary
                and any(0 < j - i <= _SHAPE_REACH for i in negatives)
                # "I haven't heard back from them": no reply yet, not something unknown
                and not (w == "heard" and cw[j + 1 : j + 2] in (["back"], ["from"]))
                for j, w in enumerate(cw)
            ):
                return True
        return False

    if governed(_STORY_WORDS):
        return "no_example"
    if governed(_KNOW_WORDS):
        return "dont_know"
    return None


_ABOUT_THE_TALK_WORDS = """
part bit one question thing last first second again said say mean meant sense huh eh pardon come
"""
_ABOUT_THE_TALK = frozenset(_ABOUT_THE_TALK_WORDS.split())
_SHAPE_MAX_WORDS = 25
_SHAPE_REACH = 8
_ASKS_WHY = re.compile(r"\W*(?:but\s+|and\s+|so\s+)?(?:why|how\s+come|really)\b", re.IGNORECASE)
_NEGATIVE_WORDS = """
no not never nothing none nope nah cannot can't couldn't don't didn't haven't hasn't
wasn't weren't isn't dont didnt havent hasnt wasnt cant couldnt neither
"""
_STORY_WORDS_TEXT = """
example examples story stories time times situation situations case cases experience
happened happen happens came occurred incident incidents instance project projects
failure failures disagreement disagreements conflict conflicts
"""
_KNOW_WORDS_TEXT = """
know knew sure idea clue familiar remember recall understand understood heard learned
learnt studied read
"""
_NEGATIVE = frozenset(_NEGATIVE_WORDS.split())
_STORY_WORDS = frozenset(_STORY_WORDS_TEXT.split())
_KNOW_WORDS = frozenset(_KNOW_WORDS_TEXT.split())


def detect(
    text: str,
    sentences: list[Sentence],
    has_signal: Callable[[str], bool] = lambda _: False,
    asks_fact: Callable[[str], bool] = lambda _: False,
    takes_side: Callable[[str], bool] = lambda _: False,
) -> Intent | None:
    """The request the whole turn amounts to, if any. `takes_side`: the turn takes a side
    of a culture round's question ("I can't say, it could go either way" is torn, an
    answer)."""
    if unclear(text, sentences):
        return "repeat"
    if not words(text):
        return "dont_know"  # the shrug
    found = _requests_in(text)
    if not found:
        shape = _by_shape(text, sentences, has_signal, asks_fact)
        if shape is None and _ends_without_story(text, sentences, has_signal):
            return "no_example"
        return shape
    spans = [(m.start(), m.end()) for ms in found.values() for m in ms]
    rest = rest_of_turn(text, sentences, spans)
    first = next(iter(found))
    if first == "need_time" and len(found) > 1:
        # "Let me think... no, I think you answered everything. I'm all set.": the time
        # was taken in the turn, and what it concluded is the request.
        thought = max(m.end() for m in found["need_time"])
        later = [
            i for i in found if i != "need_time" and min(m.start() for m in found[i]) > thought
        ]
        if later:
            first = later[0]
            found.pop("need_time")
            spans = [(m.start(), m.end()) for ms in found.values() for m in ms]
            rest = rest_of_turn(text, sentences, spans)
    if first == "no_example" and _concludes_without_story(text, sentences, found[first]):
        return first
    if first != "repeat" and _ends_without_story(text, sentences, has_signal):
        return "no_example"  # "Let me think... [why not] So no, I can't come up with one."
    if first in ("repeat", "need_time"):
        # What comes with these is about the request ("I missed what you asked, I was
        # still writing"): an answer only if the scenario recognises something in it.
        if has_signal(without_deliberation(rest)) and not (
            first == "need_time" and _ends_asking_time(text, sentences, found, has_signal)
        ):
            return None
    elif is_answer(without_self_description(rest, first), has_signal) and not (
        first in ("dont_know", "no_example")
        and _ends_not_knowing(text, sentences, found, has_signal, asks_fact)
        and not takes_side(text)
    ):
        return None
    if (
        first in ("dont_know", "no_example")
        and _answers_in_own_clause(text, sentences, found, has_signal)
        and not _ends_not_knowing(text, sentences, found, has_signal, asks_fact)
    ):
        return None
    if set(found) == {"no_questions"} and any(s.question for s in sentences):
        return None  # "No questions about pay. But how big is the team?" asks one
    # "Not sure which level. What would six years map to?" asks. "Can I take half a minute
    # to pick a project?" only asks for the time.
    asking = [s for s in sentences if s.question and asks_fact(s.text)]
    if first in ("dont_know", "no_example"):
        # "Who decides where the line sits? No idea, honestly.": a question said before
        # "no idea", speaking to no one, is the interviewer's, said over; one after it, or
        # one put to the interviewer ("can I use DPO instead?"), is asked.
        said_at = min(m.start() for m in found[first])
        asking = [s for s in asking if s.end > said_at or _SPOKEN_TO.search(s.text)]
    if first == "need_time":
        asking = [s for s in asking if not _asks_for_time_in(text, s, spans)]
    if first != "repeat" and asking:
        return None
    return first


def _ends_not_knowing(
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
        if not (_INABILITY.match(tail.text) or remark) or _answers_after(
            text, tail.start, tail.end
        ):
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
            or _QUALIFIED.search(text, m.start(), min(last.end, m.end() + _QUALIFIER_REACH))
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


def _ends_without_story(
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
    while said and not _says_no_story(said[-1].text):
        tail = said[-1]
        if (
            len(said) == 1
            or len(words(tail.text)) > _SHAPE_MAX_WORDS
            or has_signal(tail.text)
            or _PROPOSAL.search(tail.text)
            or _answers_after(text, tail.start, tail.end)
        ):
            return False
        said.pop()
    if not said:
        return False
    last = said[-1]
    return len(words(last.text)) <= _SHAPE_MAX_WORDS and not has_signal(last.text)


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
        after = words(sentence[m.end() :])[:_SHAPE_REACH]
        if any(w in _STORY_WORDS or w in _ONE_LIKE_IT for w in after) or _ONE.match(
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
    r"(?=\s*(?:[.,;:!?]|$|\s+(?:really|honestly|i|that|which|where|like|in|to|from|at|either|"
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
    r"come\s+up\s+with|pick|find|point\s+to|name)\b|\bnothing\b|\bnone\b",
    re.IGNORECASE,
)
# "I haven't had an incident like that since": said after a story.
_AFTER_A_STORY = re.compile(r"\b(?:since|anymore|any\s+more|after\s+that)\b", re.I)
_SINCE = re.compile(
    r"\b(?:since|again|anymore|any\s+more|after\s+that|these\s+days|so\s+far|yet)\b", re.I
)
_CONTRAST = re.compile(r"\b(?:but|though|although|except|apart\s+from|besides|beyond)\b", re.I)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|me|my|mine)\b", re.IGNORECASE)


def _ends_asking_time(
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
    if at is None or _PROPOSAL.search(text):
        return False
    after = text[last : sentences[-1].end]
    return not has_signal(after) and len(sentences) - at <= _REASONS_AFTER


_REASONS_AFTER = 2  # the sentence asking, and one more that says why


def _answers_after(text: str, start: int, end: int) -> bool:
    """Something is put forward after the phrase: "..., but my guess is sharding", "not
    sure how it was noticed, honestly somebody on support found it"."""
    for regex in (_BUT, _PROPOSAL, _ANSWER_START):
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


def _requests_in(text: str) -> dict[Intent, list[re.Match[str]]]:
    """Every request phrase of the turn, by intent, in the order intents are tried."""
    found: dict[Intent, list[re.Match[str]]] = {}
    for intent in _ORDER:
        ms = find_all(intent, text)
        if ms:
            found[intent] = ms
    if "no_questions" in found and "dont_know" in found:
        # "I don't know, I think that's enough to start with": done asking, not stuck.
        found.pop("dont_know")
    if "no_questions" in found:
        # "I don't have any question" says no questions, not that there is no story.
        done = [(m.start(), m.end()) for m in found["no_questions"]]
        for intent in ("no_example", "dont_know"):
            kept = [
                m
                for m in found.get(intent, [])
                if not any(a < m.end() and m.start() < b for a, b in done)
            ]
            if kept:
                found[intent] = kept
            else:
                found.pop(intent, None)
    return found


def _answers_in_own_clause(
    text: str,
    sentences: list[Sentence],
    found: dict[Intent, list[re.Match[str]]],
    has_signal: Callable[[str], bool],
) -> bool:
    """ "I'm not sure we should release it": after the request comes a clause of its own
    (a subject, then the answer) that the scenario recognises. "I haven't thought about
    safety" or "I'm not sure how to check the grader" only name the topic."""
    matches = [m for ms in found.values() for m in ms]
    # "The KV cache never failed us": what the clause is about comes before the phrase
    # and the scenario knows it; "I've never used a KV cache" names it after, as a topic.
    for m in matches:
        for s in sentences:
            if s.start <= m.start() < s.end:
                clause_start, _ = _clause_around(text, s, m.start(), m.end())
                # "im stuck im not sure what ...": another request is no subject.
                subject = _blank(text, [o for o in matches if o is not m])[clause_start : m.start()]
                # "I finished my degree in May and haven't had a job": after "and" the
                # phrase has its own clause, whose subject is the speaker. "The GPUs
                # were managed by another team" says who knew them, not what they did.
                if (
                    not _AFTER_CONJUNCTION.search(subject)
                    and not _BY_OTHERS.match(m.group(0))
                    and has_signal(subject)
                ):
                    return True
    for m in matches:
        after = text[m.end() : m.end() + 200]
        if _OWN_CLAUSE.match(after):
            clause_end = _CLAUSE.search(after)
            if has_signal(after[: clause_end.start()] if clause_end else after):
                return True
    return False


def _blank(text: str, matches: list[re.Match[str]]) -> str:
    """`text` with the words of `matches` blanked out, offsets kept."""
    for m in matches:
        text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]
    return text


def _asks_for_time_in(text: str, s: Sentence, spans: list[tuple[int, int]]) -> bool:
    """The question holds the request for time ("can I take a minute to pick one?"). A
    "hang on" that opens a question stops the speaker to ask ("Hang on, before I pick, is
    the eval required by the policy?"); it asks for no time."""
    return any(
        s.start <= a < s.end
        and not (_INTERJECTION.fullmatch(text[a:b]) and len(words(text[b : s.end])) >= 6)
        for a, b in spans
    )


def _concludes_without_story(
    text: str, sentences: list[Sentence], matches: list[re.Match[str]]
) -> bool:
    """ "..., so I don't really have a second one to walk you through.": a turn whose last
    sentence concludes that there is no story gave its reasons before, not a story. Not
    "..., so I don't have a dramatic one", which offered a small one."""
    if not sentences:
        return False
    last = sentences[-1]
    for m in matches:
        if last.start <= m.start() < last.end and not _QUALIFIED.search(m.group(0)):
            lead = text[last.start : m.start()]
            if _SO.search(lead) and not _BUT.search(text, m.end(), last.end):
                return True
    return False


_SPOKEN_TO = re.compile(r"\b(?:i|me|my|you|your|u|ur)\b", re.IGNORECASE)
_SO = re.compile(r"(?:^|\W)(?:so|which\s+is\s+why|that'?s\s+why|hence)\W+(?:\w+\W+){0,4}$", re.I)
# "... so I don't have one beyond that" refers to the story just told.
_BUT = re.compile(
    r"\b(?:but|though|although|except|beyond|besides|apart\s+from|than|else)\b",
    re.IGNORECASE,
)
_QUALIFIED = re.compile(
    r"\b(?:dramatic|big|bigger|huge|major|great|perfect|better|worse|good|clean|classic|"
    r"textbook|real|proper|serious)\b",
    re.IGNORECASE,
)


# Which request a turn is when it holds several: "sorry, I didn't catch that, I'm not sure
# what you asked" wants the question again before it wants help.
_ORDER: tuple[Intent, ...] = ("repeat", "need_time", "no_example", "dont_know", "no_questions")
MIN_ANSWER_WORDS = 6
_INAUDIBLE = re.compile(r"\[(?:inaudible|unintelligible|crosstalk|noise|silence)\]", re.I)
_VOWEL = re.compile(r"[aeiouy]")
_MASH = re.compile(r"[bcdfghjklmnpqrstvwxz]{5,}")  # "asdfjkl": no word runs five consonants
_INTERJECTION = re.compile(r"\W*(?:wait|hang\s+on|hold\s+on|one\s+sec(?:ond)?)\W*", re.I)
_BY_OTHERS = re.compile(r"\w+(?:\s+care\s+of|\s+up)?\s+by\b", re.IGNORECASE)
_AFTER_CONJUNCTION = re.compile(r"\b(?:and|but|or|so)\s*$", re.IGNORECASE)
_OWN_CLAUSE = re.compile(
    r"\W*(?:that\s+|if\s+|whether\s+)?(?:we|i|it|they|you|he|she|this|that|the\s+\w+)\s+"
    r"(?:should|would|could|can|must|need|will|is|are|'d|'ll|do|does)\b(?!'t|n't)",
    re.IGNORECASE,
)
_STOPWORDS_TEXT = """
a an the i me my we our you your it its this that these those is are was were be been am
do does did have has had to of in on at for with about from by as if or and but not no
it's i'm i've i'd i'll that's there there's here what which who how when where why can
could would should will just really very too also maybe much more some any all
"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
# Function words of the languages candidates most often slip into: positive evidence of
# another language (a bare list of technical terms has no English function words either).
# Listed as text, not code: add a word where it belongs.
_FOREIGN_WORDS = """
le la les des une un de est et je il elle nous vous que qui pour avec dans sur pas du au
mon ma mes ce ces sont c'était c'est j'ai alors vais parler chez
el los las una es y yo que para con por del al muy pero como
der die das und ist ich nicht mit zu den dem sie eine ein auf auch wir dann aus oder
wenn weil dass zuerst
o os um uma eu não com mas
perdon puedes puede podrias repetir pregunta favor otra vez pouvez repeter encore fois
bitte noch einmal nochmal wiederholen frage desculpe pode pergunta
"""
_FOREIGN = frozenset(_FOREIGN_WORDS.split()) - _STOPWORDS
_OTHER_SCRIPT = re.compile(
    r"[\u0400-\u04ff\u0590-\u06ff\u0900-\u097f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]"
)
