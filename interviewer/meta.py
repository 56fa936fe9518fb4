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
from .clauses import BY_OTHERS, CLAUSE, STOPWORDS, clause_around, content, rest_of_turn
from .meta_phrases import Intent, find, find_all, leaving_patterns
from .sentences import Sentence, words
from .turn_ends import (
    BUT,
    QUALIFIED,
    SHAPE_MAX_WORDS,
    SHAPE_REACH,
    STORY_WORDS,
    ends_asking_time,
    ends_not_knowing,
    ends_without_story,
)


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
    if foreign >= 2 and foreign > sum(w in STOPWORDS for w in folded):
        return True
    # Keyboard mash ("asdfjk;; sorry cat on keyboard"); a short acronym ("SFT?") is not one.
    mashed = any(_MASH.search(_CLUSTERS.sub("", w)) for w in ws if w.isalpha())
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
    if len(ws) > SHAPE_MAX_WORDS or any(s.question for s in sentences):
        return None
    # The negative must govern the word, in its clause: "never really came up", not "a
    # small case, nothing special" or "I would not measure anything, I'd read the code".
    clauses = [words(c) for c in CLAUSE.split(text) if c and c.strip()]

    def governed(vocabulary: frozenset[str]) -> bool:
        for cw in clauses:
            negatives = [i for i, w in enumerate(cw) if w in _NEGATIVE or w.endswith("n't")]
            if any(
                w in vocabulary
                and any(
                    0 < j - i <= SHAPE_REACH and not _NEW_SUBJECT.intersection(cw[i + 1 : j])
                    for i in negatives
                )
                # "I haven't heard back from them": no reply yet, not something unknown
                and not (w == "heard" and cw[j + 1 : j + 2] in (["back"], ["from"]))
                for j, w in enumerate(cw)
            ):
                return True
        return False

    if governed(STORY_WORDS):
        return "no_example"
    if governed(_KNOW_WORDS):
        return "dont_know"
    return None


_ABOUT_THE_TALK_WORDS = """
part bit one question thing last first second again said say mean meant sense huh eh pardon come
"""
_ABOUT_THE_TALK = frozenset(_ABOUT_THE_TALK_WORDS.split())
_ASKS_WHY = re.compile(r"\W*(?:but\s+|and\s+|so\s+)?(?:why|how\s+come|really)\b", re.IGNORECASE)
_NEGATIVE_WORDS = """
no not never nothing none nope nah cannot can't couldn't don't didn't haven't hasn't
wasn't weren't isn't dont didnt havent hasnt wasnt cant couldnt neither
"""
_KNOW_WORDS_TEXT = """
know knew sure idea clue familiar remember recall understand understood heard learned
learnt studied read
"""
_NEGATIVE = frozenset(_NEGATIVE_WORDS.split())
# A subject with its own verb starts a new clause, out of the negative's reach: "I wouldn't
# bother profiling, I'd just read the code" does not say "I didn't read".
_NEW_SUBJECT = frozenset(["i'd", "i'll", "i'm", "we'd", "we'll", "we're", "you'd", "you'll"])
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
        if shape is None and ends_without_story(text, sentences, has_signal):
            return "no_example"
        return shape
    first = _conclusion_of_time_taken(found) or next(iter(found))
    spans = [(m.start(), m.end()) for ms in found.values() for m in ms]
    rest = rest_of_turn(text, sentences, spans)
    if first == "no_example" and _concludes_without_story(text, sentences, found[first]):
        return first
    if first not in ("repeat", "no_questions") and ends_without_story(text, sentences, has_signal):
        return "no_example"  # "Let me think... [why not] So no, I can't come up with one."
    # "... I got 'plain data parallelism' and then it went robotic. Could you ask that one
    # again?": a turn that ends by asking for the question again wants it again, whatever
    # it caught before.
    if first == "repeat" and _ends_asking_again(sentences, found["repeat"]):
        return first
    if set(found) == {"repeat"} and _asks_a_figure_again(sentences, found["repeat"], asks_fact):
        return None
    # What comes with "say that again" or "a moment" is about the request ("I missed what
    # you asked, I was still writing"): an answer only if the scenario recognises
    # something in it.
    if (
        first in ("repeat", "need_time")
        and has_signal(without_deliberation(rest))
        and not (first == "need_time" and ends_asking_time(text, sentences, found, has_signal))
    ):
        return None
    # Read once: both checks below give way to a turn that ends on not knowing.
    unknowing = first in ("dont_know", "no_example") and ends_not_knowing(
        text, sentences, found, has_signal, asks_fact
    )
    if (
        first not in ("repeat", "need_time")
        and is_answer(without_self_description(rest, first), has_signal)
        and not (unknowing and not takes_side(text))
        and not (
            first == "no_example"
            and _opens_without_story(text, sentences, found[first], rest, has_signal)
        )
    ):
        return None
    if (
        first in ("dont_know", "no_example")
        and not unknowing
        and _answers_in_own_clause(text, sentences, found, has_signal)
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


def _asks_a_figure_again(
    sentences: list[Sentence], again: list[re.Match[str]], asks_fact: Callable[[str], bool]
) -> bool:
    """ "How many KV heads was it again?" asks for a figure of the question, which a fact
    holds; "what was the question again?" asks for the question."""
    return all(_BARE_AGAIN.fullmatch(m.group(0)) for m in again) and any(
        s.question and asks_fact(s.text) for s in sentences
    )


def _conclusion_of_time_taken(found: dict[Intent, list[re.Match[str]]]) -> Intent | None:
    """ "Let me think... no, I think you answered everything. I'm all set.": the time was
    taken in the turn, and what it concluded is the request (dropped from `found`)."""
    if next(iter(found)) != "need_time" or len(found) == 1:
        return None
    thought = max(m.end() for m in found["need_time"])
    later = [i for i in found if i != "need_time" and min(m.start() for m in found[i]) > thought]
    if later:
        found.pop("need_time")
    return later[0] if later else None


def _ends_asking_again(sentences: list[Sentence], asked: list[re.Match[str]]) -> bool:
    last = sentences[-1] if sentences else None
    return (
        last is not None
        and len(sentences) > 1
        and last.text.rstrip().endswith("?")
        and any(last.start <= m.start() < last.end for m in asked)
    )


def _requests_in(text: str) -> dict[Intent, list[re.Match[str]]]:
    """Every request phrase of the turn, by intent, in the order intents are tried."""
    found: dict[Intent, list[re.Match[str]]] = {}
    for intent in _ORDER:
        ms = find_all(intent, text)
        if intent == "no_example":
            # "we never really had to worry about that": nothing was needed, which says
            # nothing of having a story.
            ms = [m for m in ms if not _NEEDED.match(text, m.end())]
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
                clause_start, _ = clause_around(text, s, m.start(), m.end())
                # "im stuck im not sure what ...": another request is no subject.
                subject = _blank(text, [o for o in matches if o is not m])[clause_start : m.start()]
                # "I finished my degree in May and haven't had a job": after "and" the
                # phrase has its own clause, whose subject is the speaker. "The GPUs
                # were managed by another team" says who knew them, not what they did.
                if (
                    not _AFTER_CONJUNCTION.search(subject)
                    and not BY_OTHERS.match(m.group(0))
                    and has_signal(subject)
                ):
                    return True
    for m in matches:
        after = text[m.end() : m.end() + 200]
        if _OWN_CLAUSE.match(after):
            clause_end = CLAUSE.search(after)
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


def _opens_without_story(
    text: str,
    sentences: list[Sentence],
    matches: list[re.Match[str]],
    rest: str,
    has_signal: Callable[[str], bool],
) -> bool:
    """ "I don't have one. I've mostly done ETL jobs, there was never a model in the loop":
    said first, having no story is what the turn is about, and what follows is the
    speaker's background however much of the scenario it names, unless it goes on to an
    episode of its own ("but a small one: ...", "once, ...", "I found ...") or to what
    they would do ("if it did, I'd notice ...")."""
    # The opening: up to the first sentence of some length ("A failure. Hm. I don't want
    # this to sound arrogant, but ...") ...
    opening = next((s for s in sentences if len(words(s.text)) > _ECHO), None)
    said_at = min(m.start() for m in matches)
    if opening is None or said_at >= opening.end or _STORY.search(rest) is not None:
        return False
    # ... with nothing of an answer before it in that sentence: a pass bar of "ninety five
    # percent on the long tasks and no severe failures" said its answer first.
    lead = text[opening.start : said_at] if said_at > opening.start else ""
    return len(words(lead)) <= _ECHO or not has_signal(without_self_description(lead))


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
        if last.start <= m.start() < last.end and not QUALIFIED.search(m.group(0)):
            lead = text[last.start : m.start()]
            if _SO.search(lead) and not BUT.search(text, m.end(), last.end):
                return True
    return False


# Which request a turn is when it holds several: "sorry, I didn't catch that, I'm not sure
# what you asked" wants the question again before it wants help.
_ORDER: tuple[Intent, ...] = ("repeat", "need_time", "no_example", "dont_know", "no_questions")
_NEEDED = re.compile(r"(?:(?<=had)|(?<=have)|(?<=need)|(?<=needed))\s+to\b", re.IGNORECASE)
_SPOKEN_TO = re.compile(r"\b(?:i|me|my|you|your|u|ur)\b", re.IGNORECASE)
_SO = re.compile(r"(?:^|\W)(?:so|which\s+is\s+why|that'?s\s+why|hence)\W+(?:\w+\W+){0,4}$", re.I)
MIN_ANSWER_WORDS = 6
_ECHO = 6  # words, at most, in a sentence that only says the question over ("A failure. Hm.")
_STORY = re.compile(
    r"\bbut\s+(?:a|one|there\s+(?:was|is)|in\s+my|at\s+my|on\s+my|for\s+(?:a|my|our|the)|i|we|once|the\s+closest)\b|"
    r"\b(?:closest|nearest)\b|\bone\s+time\b|\bonce\b|\bat\s+one\s+point\b|:\s|"
    r"\b(?:i|we)\s+(?:found|noticed|caught|realised|realized|discovered|fixed|shipped|pushed|argued|"
    r"escalated|flagged|raised|told|decided|wrote|built|owned|led|designed|ran|made|traced|rolled|"
    r"trained|saw|spotted|changed|added|dropped|replaced|measured|learned|learnt)\b|"
    r"\bhypothetical\w*|\bif\s+(?:it|i|that|this|we|one)\s+(?:did|were|was|had|happened|ever)\b|"
    r"\b(?:i'?d|i\s+would|i'?ll)\s+(?:notice|catch|see|do|check|keep|stop|raise|answer|say|look|start|"
    r"flag|escalate|push|ask|talk|go|use|run|want)\b|\breminds\s+me\b|\bhappened\s+at\b|"
    r"\b(?:i|we)\s+just\s+\w+ed\s+(?:it|them|that)\b|"
    # a view offered in its place ("I think safety is really important, so I always test
    # my models"): an answer, however thin, and the rubric weighs it
    r"\bi\s+(?:really\s+)?(?:think|believe|feel)\s+(?:that\s+)?(?!i\b|it\s+(?:was|is)\s+(?:fine|ok))",
    re.IGNORECASE,
)
_BARE_AGAIN = re.compile(r"again\W*\?\W*", re.IGNORECASE)
_INAUDIBLE = re.compile(r"\[(?:inaudible|unintelligible|crosstalk|noise|silence)\]", re.I)
_VOWEL = re.compile(r"[aeiouy]")
_MASH = re.compile(r"[bcdfghjklmnpqrstvwxz]{5,}")  # "asdfjkl": no word runs five consonants
# ... except around these: "lengths", "strengths", "twelfths", "matchsticks".
_CLUSTERS = re.compile(r"ngths?|fths?|tchs")
_INTERJECTION = re.compile(r"\W*(?:wait|hang\s+on|hold\s+on|one\s+sec(?:ond)?)\W*", re.I)
_AFTER_CONJUNCTION = re.compile(r"\b(?:and|but|or|so)\s*$", re.IGNORECASE)
_OWN_CLAUSE = re.compile(
    r"\W*(?:that\s+|if\s+|whether\s+)?(?:we|i|it|they|you|he|she|this|that|the\s+\w+)\s+"
    r"(?:should|would|could|can|must|need|will|is|are|'d|'ll|do|does)\b(?!'t|n't)",
    re.IGNORECASE,
)
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
_FOREIGN = frozenset(_FOREIGN_WORDS.split()) - STOPWORDS
_OTHER_SCRIPT = re.compile(
    r"[\u0400-\u04ff\u0590-\u06ff\u0900-\u097f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]"
)
