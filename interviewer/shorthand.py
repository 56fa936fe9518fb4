"""Chat shorthand and transcription slips, read as the words they stand for.

Two readings: `expand_shorthand` writes a whole turn out for what it asks of the
conversation (a request, a term asked about), with other offsets than the turn; `as_read`
gives one sentence's words for judging its shape ("r the weights in bf16", "what what
numpy version is installed"). Neither is used for evidence spans.
"""

from __future__ import annotations

import re


def expand_shorthand(text: str) -> str:
    """Chat shorthand and dropped apostrophes written out ("wdym by steer", "cant rly think
    of one", "idk tbh"), for reading what a turn asks of the conversation. The result has
    other offsets than `text`: only what is read as a whole (a request, a term asked
    about) may use it, never evidence spans."""
    return _EXPANDABLE.sub(lambda m: _EXPANSIONS[m.group(0).lower()], text)


# Read as the words they stand for. Listed as text: add a pair where it belongs.
_EXPANSIONS_TEXT = """
wdym=what do you mean|wym=what you mean|sry=sorry|rly=really|realy=really|relly=really|u=you|ur=your
pls=please|plz=please|rn=right now|atm=at the moment|abt=about|bc=because|cuz=because
cant=can't|dont=don't|didnt=didn't|doesnt=doesn't|wont=won't|wouldnt=wouldn't|couldnt=couldn't
havent=haven't|hasnt=hasn't|isnt=isn't|wasnt=wasn't|im=I'm|ive=I've|thats=that's
whats=what's|theres=there's|gonna=going to|wanna=want to|gotta=got to|kinda=kind of
sorta=sort of|dunno=don't know|nvm=never mind|ngl=not going to lie|w/=with|smth=something
shld=should|shd=should|wld=would|cld=could|b4=before|yrs=years|convo=conversation|convos=conversations|msgs=messages|msg=message|params=parameters
"""
_EXPANSIONS = {
    short: long
    for line in _EXPANSIONS_TEXT.strip().splitlines()
    for pair in line.split("|")
    for short, long in [pair.split("=", 1)]
}
_EXPANDABLE = re.compile(
    r"(?<![\w'])(?:" + "|".join(re.escape(k) for k in _EXPANSIONS) + r")(?![\w'-])",
    re.IGNORECASE,
)


# Chat shorthand, read as the words it stands for when judging a sentence's shape: "r the
# weights in bf16", "what lr wd u use", "n how many rounds r there".
_SHORTHAND = {
    "u": "you",
    "r": "are",
    "ur": "your",
    "wd": "would",
    "n": "and",
    "1st": "first",
    "b4": "before",
    "shld": "should",
}
_SHORT_WORD = re.compile(r"\b(?:u|r|ur|wd|n|1st|b4|shld)\b", re.IGNORECASE)
# A word said twice in a row, as transcribed ("what what numpy version is installed").
_STUTTER = re.compile(r"\b([a-z']+)(?:\s+\1\b)+", re.IGNORECASE)


def as_read(sentence: str) -> str:
    """The sentence with chat shorthand written out and a word said twice in a row said
    once, for judging whether it asks."""
    sentence = _SHORT_WORD.sub(lambda m: _SHORTHAND[m.group(0).lower()], sentence)
    return _STUTTER.sub(r"\1", sentence)
