"""Meta-intents: requests about the conversation rather than answers to it.

"Say that again", "what do you mean by uplift?", "I don't know", "can I take a moment?",
"no questions from me". They are the same in every scenario, so their phrases live in one
data file (`meta.yaml`, beside this module) that anyone can extend, and the engine handles
them before the script sees the turn.

A request only counts when it is most of the turn: the clause that holds the phrase is set
aside, and if what remains has real content the turn is an answer ("I don't know the exact
figure, but I'd shard it with FSDP").
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from .sentences import Sentence, words

Intent = Literal["repeat", "clarify_term", "dont_know", "no_example", "need_time", "no_questions"]
INTENTS: tuple[Intent, ...] = Intent.__args__  # type: ignore[attr-defined]
# A request with more than this many words of other content beside it is an answer.
MAX_OTHER_WORDS = 3
_CLAUSE = re.compile(r"[,;:]|\s(?:but|and then|so|because|although|though)\s", re.IGNORECASE)
# Openers that carry nothing ("um, sorry, I ...").
_FILLER = frozenset(
    "um uh er erm hmm hm ah oh well so okay ok right sorry yeah yes no honestly actually "
    "i mean like just really to be honest".split()
)


class _Phrases(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    phrases: list[str] = []
    patterns: list[str] = []


class MetaData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    intents: dict[Intent, _Phrases]
    lines: dict[str, list[str] | str] = Field(default_factory=dict)

    def line(self, name: str) -> list[str]:
        value = self.lines[name]
        return [value] if isinstance(value, str) else list(value)


LINE_NAMES = ("no_fact", "no_definition", "dont_know", "no_example", "move_on", "need_time")


@cache
def meta_data() -> MetaData:
    """The packaged phrase file, read once (it is part of the program, like its code)."""
    text = resources.files(__package__).joinpath("meta.yaml").read_text(encoding="utf-8")
    data = MetaData.model_validate(yaml.safe_load(text))
    missing = [n for n in LINE_NAMES if n not in data.lines]
    if missing:
        raise ValueError(f"meta.yaml: missing lines: {', '.join(missing)}")
    return data


def _phrase(phrase: str) -> re.Pattern[str]:
    body = r"[\s,-]+".join(re.escape(w) for w in phrase.lower().split())
    lead = r"\b" if phrase[:1].isalnum() else ""
    tail = r"\b" if phrase[-1:].isalnum() else ""
    return re.compile(lead + body + tail, re.IGNORECASE)


@cache
def _compiled() -> dict[Intent, list[re.Pattern[str]]]:
    data = meta_data()
    out: dict[Intent, list[re.Pattern[str]]] = {}
    for intent, spec in data.intents.items():
        out[intent] = [_phrase(p) for p in spec.phrases] + [
            re.compile(p, re.IGNORECASE) for p in spec.patterns
        ]
    return out


def find(intent: Intent, text: str) -> re.Match[str] | None:
    for regex in _compiled()[intent]:
        m = regex.search(text)
        if m and m.end() > m.start():
            return m
    return None


def _content(text: str) -> int:
    return sum(w not in _FILLER for w in words(text))


def rest_of_turn(text: str, sentences: list[Sentence], start: int, end: int) -> int:
    """Words of real content in the turn once the clause holding [start, end) is set aside."""
    clause_start, clause_end = start, end
    for s in sentences:
        if s.start <= start < s.end or s.start < end <= s.end:
            # Widen to the clause around the phrase, inside its sentence.
            left = text[s.start : start]
            cuts = list(_CLAUSE.finditer(left))
            clause_start = s.start + (cuts[-1].end() if cuts else 0)
            right = _CLAUSE.search(text, end, s.end)
            clause_end = right.start() if right else s.end
            break
    # The candidate's own questions ("I don't know. What would you suggest?") are not
    # content that answers anything.
    questions = [s for s in sentences if s.question and not (s.start <= start < s.end)]
    rest = text[:clause_start] + " " + text[clause_end:]
    asked = sum(_content(q.text) for q in questions)
    return max(0, _content(rest) - asked)


def detect(text: str, sentences: list[Sentence], exclude: tuple[Intent, ...] = ()) -> Intent | None:
    """The meta-intent that the whole turn amounts to, if any (first in `INTENTS` order)."""
    # no_example before dont_know: "I don't have an example" is the more precise reading.
    order: tuple[Intent, ...] = (
        "repeat",
        "need_time",
        "no_example",
        "dont_know",
        "no_questions",
    )
    for intent in order:
        if intent in exclude:
            continue
        m = find(intent, text)
        if m is not None and rest_of_turn(text, sentences, m.start(), m.end()) <= MAX_OTHER_WORDS:
            return intent
    return None
