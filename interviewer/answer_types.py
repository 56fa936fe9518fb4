"""Answer types: what a question asks for, and whether an answer holds it.

"How often is it retrained?" wants a frequency, "which customer is it?" a name, "in
gigabytes per second?" a bandwidth. A fact that shares the question's words but states
none of these does not answer it (the answer type of question answering). Only types an
answer shows on its face are checked: a cadence, a duration, a speed, a name, a share, a
sum of money, a figure in bytes, a count.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

# What a question's first words ask for, and what an answer must hold to give it.
ANSWER_KIND = re.compile(
    r"^\W*(?:(?:and|so|ok|okay|also|but|then|um|uh|hmm|right|quick\s+one)\W+)*how\s+(?:"
    r"(?P<often>often|frequently)|(?P<long>long)\s+(?:does|do|did|is|are|was|will|would|should|has|have)\b|"
    r"(?P<fast>fast|quickly)\s+(?:does|do|did|is|are|was|will|would|can)\b)",
    re.IGNORECASE,
)
# "How often do we need a new policy, and what is the success metric?" asks two things.
SECOND_QUESTION = re.compile(
    r"(?:,|\band\b|\?)\s*(?:and\s+)?(?:what|which|how|who|where|when|is|are|do|does)\b",
    re.IGNORECASE,
)
KIND_EVIDENCE = {
    "often": re.compile(
        r"\b(?:daily|weekly|monthly|hourly|nightly|every|each\s+(?:day|week|month|night|hour)|"
        r"(?:a|per|an)\s+(?:day|week|month|year|hour|night)|once|twice|times\s+a|always|never|"
        r"rarely|rare|common|often|continuous\w*|cadence|percent|few\s+in|of\s+the\s+time|out\s+of|in\s+(?:ten|a\s+hundred|a\s+thousand|"
        r"ten\s+thousand|\w+)\b(?=[^.]{0,20}\b(?:cases|tasks|requests|prompts|runs|conversations))|rate|"
        # "one bug in five", "a few in ten thousand": a ratio
        r"(?:one|two|three|a\s+few|few|some)\s+(?:\w+\s+)?in\s+(?:a\s+|ten\s+|a\s+hundred\s+)?"
        r"(?:two|three|four|five|ten|twenty|fifty|hundred|thousand|million|\d+))\b|%",
        re.IGNORECASE,
    ),
    # "how long are the contexts" asks for a length as well as a duration
    "long": re.compile(
        r"\b(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|overnight|quarter|"
        r"fortnight|tomorrow|today|tokens?|words?|characters?|lines?|pages?|long|short)\b",
        re.IGNORECASE,
    ),
    "fast": re.compile(
        r"\b(?:per|a)\s+(?:second|minute|hour|day)\b|\b(?:seconds?|milliseconds?|ms|minutes?|hours?|"
        r"faster|slower|times|quick\w*|fast|slow|latency|throughput)\b",
        re.IGNORECASE,
    ),
}


def parts(question: str) -> list[str]:
    """The questions one sentence asks ("which customer is it, and what's the penalty").
    What comes before the first of them asks nothing: "The old classifier, what is its
    false positive rate?" is one question about the classifier."""
    cuts = [0, *(m.start() for m in SECOND_QUESTION.finditer(question)), len(question)]
    if len(cuts) > 2 and cuts[1] > 0 and not _ASKS_FIRST.match(question):
        del cuts[1]
    return [question[a:b] for a, b in itertools.pairwise(cuts) if question[a:b].strip()]


_ASKS_FIRST = re.compile(
    r"\W*(?:(?:and|so|ok|okay|also|but|then|um|uh|hmm|right)\W+)*(?:what|which|how|who|where|when|"
    r"why|is|are|was|were|do|does|did|can|could|will|would|should|has|have|any)\b",
    re.IGNORECASE,
)


def gives(part: str, answer: str, about: Sequence[frozenset[str]] = ()) -> bool:
    """An answer holds what a part of a question asks for, as far as its type goes.
    `about`: the words of each phrase the fact is said to be about, in the singular."""
    return (
        all(holds(answer) for cue, holds in _ASKED_TYPES if cue.search(part))
        and _counts(part, answer, about)
        and _beyond_the_whole(part, answer)
    )


# "How many of the seven hidden tests are about masking?", "Of the twenty thousand
# prompts, how many are multi-turn?": a part of a whole the speaker already has.
_PART_OF = re.compile(
    r"\b(?:how\s+many|how\s+much|what\s+(?:share|fraction|percentage|proportion|portion|part))\s+"
    r"of\s+(?:the|those|these|our|your|its)\s+(?P<whole>[\w-]+(?:\s+[\w-]+){0,2})|"
    r"\bof\s+(?:the|those|these|our|your|its)\s+(?P<whole2>[\w-]+(?:\s+[\w-]+){0,2})[^.?!]{0,60}?"
    r"\b(?:how\s+many|how\s+much|what\s+(?:share|fraction|percentage|proportion))\b",
    re.IGNORECASE,
)


def _beyond_the_whole(part: str, answer: str) -> bool:
    """Asked for a part of a whole the question already quotes, an answer gives it only if
    it holds a figure besides the whole's: "seven hidden tests" does not say how many of
    the seven are about masking."""
    m = _PART_OF.search(part)
    if m is None:
        return True
    whole = _figures(m.group("whole") or m.group("whole2"))
    return not whole or bool(_figures(answer) - whole)


def _figures(text: str) -> set[str]:
    return {f.lower() for f in re.findall(_NUMBER, text, re.IGNORECASE)}


def singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


# "How many tool calls does a task make?" counts tool calls: the things counted are the
# words after "how many", up to the verb or preposition that ends them.
_COUNTED = re.compile(
    r"\bhow\s+many\s+(?P<things>(?:(?!(?:are|is|was|were|do|does|did|can|could|will|would|"
    r"should|have|has|in|of|on|at|per|for|we|you|they|i|there|the|a|an|it|get|go|make|take)\b)"
    r"[\w-]+\s*){1,3})",
    re.IGNORECASE,
)


def _counts(part: str, answer: str, about: Sequence[frozenset[str]]) -> bool:
    """A count asked for is a count of those things: "about a hundred thousand responses a
    day" does not say how many raters there are, though it holds a number. A fact said to
    be about "demonstration examples" counts examples when it counts demonstrations."""
    asked = _COUNTED.search(part)
    if asked is None:
        return True
    things = {singular(w.lower()) for w in re.findall(r"[\w-]+", asked.group("things"))}
    things |= {w for phrase in about if phrase & things for w in phrase}
    # ("a few hundred flagged conversations", "flagged conversations, a few hundred a day")
    thing = "|".join(map(re.escape, sorted(things)))
    near = re.compile(
        rf"(?:{_NUMBER})(?:\W+\w+){{0,4}}?\W+(?:{thing})|\b(?:{thing})\w*(?:\W+\w+){{0,3}}?\W+(?:{_NUMBER})",
        re.IGNORECASE,
    )
    return near.search(answer) is not None or re.search(_NO_FIGURE, answer, re.I) is not None


def asks_for_type(phrase: str) -> bool:
    """A fact's own phrase asks for a type ("how many tests"): its writer says it answers."""
    return _ASKS.match(phrase) is not None and any(cue.search(phrase) for cue, _ in _ASKED_TYPES)


_ASKS = re.compile(r"\s*(?:how|what|which|who)\b", re.IGNORECASE)


def _names_one(answer: str) -> bool:
    """The answer names someone: a capitalised word inside a sentence ("We think it's
    Northwind"), not an acronym such as API or GPU."""
    for sentence in re.split(r"(?<=[.!?])\s+", answer):
        for word in re.findall(r"[\w'-]+", sentence)[1:]:
            if word[0].isupper() and not word.isupper() and word.lower() not in _NOT_NAMES:
                return True
    return False


# Capitalised inside a sentence, yet naming no one.
_NOT_NAMES = frozenset(
    {"i", "january", "february", "march", "april", "may", "june", "july", "august"}
    | {"september", "october", "november", "december", "monday", "tuesday", "wednesday"}
    | {"thursday", "friday", "saturday", "sunday"}
)


def _holds(pattern: str) -> Callable[[str], bool]:
    regex = re.compile(pattern, re.IGNORECASE)
    return lambda answer: regex.search(answer) is not None


_NUMBER = (
    r"\d[\d,.]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|"
    r"thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|"
    r"dozen|dozens|half|a\s+few|several|single|double|twice)\b"
)
# "There is no agreed number yet" answers "what's the threshold?" as well as a figure would.
_NO_FIGURE = (
    r"\bno\s+(?:\w+\s+)?(?:number|figure|count|measure\w*|rate|estimate|limit|threshold|target)s?\b|"
    r"\bnot\s+(?:yet\s+)?(?:measured|counted|known|set|agreed|decided)\b"
)
# What a part of a question asks for, and what an answer must hold to give it. Only kinds
# whose answer can be told on its face: a name, a share, a sum of money, a bandwidth, a
# figure in bytes, a count.
_ASKED_TYPES: list[tuple[re.Pattern[str], Callable[[str], bool]]] = [
    (
        re.compile(
            r"\b(?:which|what)\s+(?:[\w-]+\s+)?(?:customers?|competitors?|compan(?:y|ies)|clients?|"
            r"vendors?|partners?|providers?|firms?|startups?|labs?|governments?|countr(?:y|ies)|"
            r"regulators?|agenc(?:y|ies)|universit(?:y|ies)|institutions?|organi[sz]ations?)\b(?!\s+(?:do|does|did|is|are)\s+(?:you|we)\b)|"
            r"\bwho\s+(?:is|are|'s)\s+(?:the|that|this)\s+(?:customer|competitor|client|vendor|partner)\b|"
            r"\bname\s+of\s+(?:the|that|this)\s+(?:customer|competitor|company|client|vendor|partner)\b",
            re.IGNORECASE,
        ),
        _names_one,
    ),
    (
        re.compile(
            r"\bwhat\s+(?:percent(?:age)?|fraction|share|proportion|portion|ratio)\b|"
            r"\bhow\s+many\s+percent\b|\bpercent(?:age)?\s+of\b|"
            # "the agreement rate between two raters", "the classifier's precision"
            r"\b(?:hit|agreement|error|failure|success|acceptance|refusal|pass|win|miss|detection|"
            r"flag(?:ging)?|false[\s-]+(?:positive|negative)|true[\s-]+positive|churn|adoption|retention|"
            r"conversion)\s+rates?\b|"
            r"\bwhat(?:'?s|\s+is|\s+does)\s+(?:the\s+)?(?:[\w'-]+\s+){0,3}?(?:precision|recall|accuracy)\b",
            re.IGNORECASE,
        ),
        _holds(
            r"%|\bper\s*cent|\bpercent|\b(?:\d+|one|two|three|four|five|nine)\s+(?:in|out\s+of)\s+\w+|"
            r"\b(?:half|third|quarter|most|majority|minority|rate|fraction|all|none)\b"
        ),
    ),
    (
        re.compile(
            # (not "is there a cost budget per token?", which a fact may answer in words)
            r"\bwhat(?:'?s|\s+is|\s+are)\s+(?:the\s+|our\s+)?(?:[\w-]+\s+)?(?:costs?|price)\b|"
            r"\bhow\s+much\b[^?]{0,40}\bcost|\bin\s+dollars\b|\bwhat\s+price\b|"
            # "what does one human grade cost us", "what would a million tokens cost"
            r"\bwhat\s+(?:does|do|did|would|will)\b[^?.]{0,40}\bcost\b|\bin\s+\$",
            re.IGNORECASE,
        ),
        _holds(
            r"\$|€|£|\bdollars?\b|\bcents?\b|\bper\s+(?:token|million|hour|month|call|request)\b|"
            r"\b\d+\s*x\b|\btimes\s+(?:more|less|as|the)\b|\bcheaper\b|\b(?:more|less)\s+expensive\b|"
            r"\bcosts?\s+(?:about|around|roughly|under|over|nearly|\d)"
        ),
    ),
    # "in gigabytes per second" asks for a bandwidth: "eighty gigabytes" of memory is no answer
    (
        re.compile(
            r"\b(?:giga|tera|mega)(?:bytes?|bits?)\s+(?:per|a)\s+second\b|\b[GTM]B/s\b|\b[GT]bps\b|"
            # "what memory bandwidth should I assume?"
            r"\bwhat\s+(?:[\w-]+\s+)?bandwidth\b|\bbandwidth\s+(?:should|do|does|can|would)\b",
            re.IGNORECASE,
        ),
        _holds(
            r"\b(?:giga|tera|mega)(?:bytes?|bits?)\s+(?:per|a)\s+second\b|[GTM]B/s\b|\b[GT]bps\b"
        ),
    ),
    # "how much activation memory per request?": a figure in bytes
    (
        re.compile(
            r"\b(?:giga|tera|mega)(?:bytes?|bits?)\b|\b[GTM]B\b|"
            r"\bhow\s+much\s+(?:[\w-]+\s+)?(?:memory|ram|vram|disk|storage)\b",
            re.IGNORECASE,
        ),
        _holds(
            r"\b(?:giga|tera|mega)(?:bytes?|bits?)\b|\bgigs\b|\b\d+\s*[GTM]B\b|[GTM]B/s\b|\b[GT]bps\b|"
            + _NO_FIGURE
        ),
    ),
    # "how many params is it?", "what's the context length?": a figure
    (
        re.compile(
            r"\bhow\s+many\b|\bwhat(?:'?s|\s+is|\s+are)\s+the\s+(?:[\w-]+\s+)?"
            r"(?:length|size|count|number|limit|cap|threshold|thresholds)\b|"
            # "what temperature does it run at", "what's the abuse-report volume today"
            r"\bwhat(?:'?s|\s+is|\s+are)?\s+(?:the\s+|its\s+|our\s+|your\s+)?(?:[\w'-]+\s+){0,2}?"
            r"(?:temperature|volume|headcount|overhead)\b",
            re.IGNORECASE,
        ),
        _holds(_NUMBER + "|" + _NO_FIGURE),
    ),
]
