"""Clauses of a turn: its content words, the clause around a phrase, and what is left of
the turn with some clauses set aside.

The requests about the conversation (`meta.py`) and the way a turn ends (`turn_ends.py`)
both read a turn this way: a phrase counts together with its clause, and what stands
beside it is an answer only if it says something of its own.
"""

from __future__ import annotations

import re

from .sentences import Sentence, words

CLAUSE = re.compile(r"[,;:]|\s(?:but|and then|so|because|although|though)\s", re.IGNORECASE)
# Words that carry nothing beside a request ("um, sorry, honestly, I ...").
_FILLER_WORDS = """
um uh er erm hmm hm ah oh well so okay ok right sorry yeah yes no honestly actually i mean
like just really to be honest
"""
_FILLER = frozenset(_FILLER_WORDS.split())


def content(text: str) -> list[str]:
    """The words of `text` that carry content (no fillers, no function words)."""
    return [w for w in words(text) if w not in _FILLER and w not in STOPWORDS]


def clause_around(text: str, s: Sentence, start: int, end: int) -> tuple[int, int]:
    """The clause holding [start, end): to the nearest break, but no further than a few
    words either way, since transcribed speech may have no punctuation at all."""
    left = text[s.start : start]
    cuts = list(CLAUSE.finditer(left))
    clause_start = s.start + (cuts[-1].end() if cuts else 0)
    before = list(_WORD_SPAN.finditer(text, clause_start, start))
    if len(before) > _CLAUSE_REACH_BEFORE:
        clause_start = before[-_CLAUSE_REACH_BEFORE].start()
    right = CLAUSE.search(text, end, s.end)
    clause_end = right.start() if right else s.end
    complement = _COMPLEMENT.match(text, end)
    if complement:
        # "I don't know how you'd lay four models out on that cluster": what follows names
        # what is not known, to the end of its clause, or until an answer or a new thought
        # starts ("... how it was noticed honestly somebody on support found it"). "This I
        # don't know, sorry, how it becomes a decision" names it after a filler.
        right = CLAUSE.search(text, complement.end(), s.end)
        clause_end = right.start() if right else s.end
        after = list(_WORD_SPAN.finditer(text, end, clause_end))
        if len(after) > _COMPLEMENT_REACH:
            clause_end = after[_COMPLEMENT_REACH - 1].end()
        inner = after[2].end() if len(after) > 2 else clause_end
        stop = ANSWER_START.search(text, inner, clause_end)
        return clause_start, stop.start() if stop else clause_end
    after = list(_WORD_SPAN.finditer(text, end, clause_end))
    if len(after) > _CLAUSE_REACH_AFTER:
        clause_end = after[_CLAUSE_REACH_AFTER - 1].end()
    return clause_start, clause_end


_WORD_SPAN = re.compile(r"[A-Za-z0-9']+")
_COMPLEMENT = re.compile(
    r"(?:[\s,;:-]*(?:sorry|um|uh|honestly|exactly|really|tbh|lol|frankly|to\s+be\s+honest)\b)*[\s,;:-]*"
    r"(?:how|what|which|where|who|whom|whose|whether|if|why|when|abt|about)\b",
    re.IGNORECASE,
)
# Where an answer or a new thought begins inside a run-on sentence: "no idea what the
# split is id use fsdp", "not sure how it was noticed honestly somebody found it".
ANSWER_START = re.compile(
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
                a, b = clause_around(text, s, start, end)
                if BY_OTHERS.match(text, start, end):
                    # "The dashboards were made by somebody else": the whole clause.
                    left = list(CLAUSE.finditer(text, s.start, start))
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


BY_OTHERS = re.compile(r"\w+(?:\s+care\s+of|\s+up)?\s+by\b", re.IGNORECASE)
_STOPWORDS_TEXT = """
a an the i me my we our you your it its this that these those is are was were be been am
do does did have has had to of in on at for with about from by as if or and but not no
it's i'm i've i'd i'll that's there there's here what which who how when where why can
could would should will just really very too also maybe much more some any all
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
