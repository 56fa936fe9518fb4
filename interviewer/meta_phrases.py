"""The phrases of requests about the conversation: `meta.yaml`, loaded once and compiled.

The file beside this module lists, for each request (`Intent`), its phrases and patterns,
the phrases of a candidate who has to leave, and the interviewer's built-in lines (what it
says when there is no fact, no definition, or help to give). It is part of the program,
like its code; `meta.py` decides what a turn amounts to.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from .sentences import phrase_regex

Intent = Literal["repeat", "clarify_term", "dont_know", "no_example", "need_time", "no_questions"]


class _Phrases(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    phrases: list[str] = []
    patterns: list[str] = []


class MetaData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    intents: dict[Intent, _Phrases]
    leaving: _Phrases = _Phrases()
    lines: dict[str, list[str] | str] = Field(default_factory=dict)

    def line(self, name: str) -> list[str]:
        value = self.lines[name]
        return [value] if isinstance(value, str) else list(value)


LINE_NAMES = (
    "no_fact",
    "no_definition",
    "dont_know",
    "no_example",
    "move_on",
    "need_time",
    "unsure_side",
)


@cache
def meta_data() -> MetaData:
    """The packaged phrase file, read once (it is part of the program, like its code)."""
    text = resources.files(__package__).joinpath("meta.yaml").read_text(encoding="utf-8")
    data = MetaData.model_validate(yaml.safe_load(text))
    missing = [n for n in LINE_NAMES if n not in data.lines]
    if missing:
        raise ValueError(f"meta.yaml: missing lines: {', '.join(missing)}")
    return data


@cache
def _compiled() -> dict[Intent, list[tuple[re.Pattern[str], str]]]:
    """Each intent's regexes, a phrase's with the start of its first word: a substring test
    is far cheaper than the regex, and most phrases are absent from most turns."""
    data = meta_data()
    out: dict[Intent, list[tuple[re.Pattern[str], str]]] = {}
    for intent, spec in data.intents.items():
        out[intent] = [
            (phrase_regex(p), p.lower().split()[0].split("'")[0]) for p in spec.phrases
        ] + [(re.compile(p, re.IGNORECASE), "") for p in spec.patterns]
    return out


@cache
def leaving_patterns() -> list[re.Pattern[str]]:
    """The phrases and patterns of a candidate who has to go, compiled."""
    spec = meta_data().leaving
    return [phrase_regex(p) for p in spec.phrases] + [
        re.compile(p, re.IGNORECASE) for p in spec.patterns
    ]


def find(intent: Intent, text: str) -> re.Match[str] | None:
    """The first place one of the intent's phrases occurs in `text`, or None."""
    lowered = text.lower()
    for regex, needle in _compiled()[intent]:
        if needle not in lowered:
            continue
        m = regex.search(text)
        if m and m.end() > m.start():
            return m
    return None


def find_all(intent: Intent, text: str) -> list[re.Match[str]]:
    """Every place the intent's phrases occur: a turn may say "I don't know" twice over."""
    lowered = text.lower()
    return [
        m
        for r, needle in _compiled()[intent]
        if needle in lowered
        for m in r.finditer(text)
        if m.end() > m.start()
    ]
