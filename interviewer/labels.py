"""Built-in labels: what every scenario hears without declaring it.

Hedging, reasons, concessions, the candidate's own questions and the parts of a STAR story
are phrases and patterns (`BUILTIN_PHRASES`, `BUILTIN_PATTERNS`), matched like a
scenario's own signals. The derived labels follow from the rest of a turn: a figure makes
it specific, few words make it short, all four STAR parts make a complete story.
"""

from __future__ import annotations

import re

from .sentences import Sentence, words
from .spans import Match, inside
from .stance import HELD, STANCE_LABELS

BUILTIN_PHRASES: dict[str, tuple[str, ...]] = {
    "hedging": (
        "maybe",
        "sort of",
        "kind of",
        "probably",
        "i guess",
        "i'm not sure",
        "not sure",
        "perhaps",
        "i suppose",
        "possibly",
        "might be",
        "i think maybe",
        "hopefully",
    ),
    "reasons": (
        "because",
        # typed or said short
        "bc",
        "b/c",
        "bcuz",
        "bcoz",
        "cuz",
        "coz",
        "since",
        "so that",
        "the reason",
        "which means",
        "that's why",
        "given that",
        "in order to",
        "due to",
        "otherwise",
        "the risk is",
        "the cost is",
        "the cost of",
        "the risk of",
        "the problem is",
        "the issue is",
        "the danger is",
        "the benefit is",
        "the trade-off",
        "the tradeoff",
        "that means",
        "as a result",
        "for example",
        "for instance",
        "which is why",
        "which meant",
        "that shows",
        "which shows",
        "this shows",
        "that meant",
        "meaning that",
        "that's exactly why",
        "this is why",
        "that is why",
        "means that",
        "it means",
        "which would",
        "that way",
        "in that case",
        "considering",
        "the point is",
        "leads to",
        "would lead to",
        "so we",
        "so it",
        "so the",
        "so they",
        "so you",
        "so that's",
        "hence",
        "therefore",
        "thus",
        "as long as",
        "unless",
    ),
    "concede": (
        "you're right",
        "you are right",
        "fair point",
        "good point",
        "change my mind",
        "changed my mind",
        "hadn't considered",
        "had not considered",
        "didn't think of",
        "did not think of",
        "take that back",
        "i agree with you",
        "that changes my",
        "i'll reconsider",
        "i would reconsider",
        "i'd reconsider",
        "maybe i'm wrong",
        "i was wrong",
        "you've convinced me",
        "you have convinced me",
        "ok fine",
        "okay fine",
        "i'll go with that",
        "i retract",
        "i'd switch",
        "i would switch",
    ),
    "question": (
        "can i ask",
        "do we know",
        "what is the",
        "what's the",
        "what are the",
        "how many",
        "how much",
        "is it",
        "are we",
        "should i assume",
        "can i assume",
        "i'd like to clarify",
        "to clarify",
        "clarify",
        "clarifying",
        "assume",
        "assuming",
        "what kind of",
        "who are the",
        "requirements",
        "constraints",
    ),
    "star.situation": (
        "when i was",
        "at my last",
        "at my previous",
        "at my old",
        "at my former",
        "in my last job",
        "in my previous job",
        "at my current",
        "the situation",
        "the context",
        "back in",
        "our team was",
        "i was working",
        "we were working",
        "i worked on",
        "a few years ago",
        "last year",
        "the project was",
        "we had a",
    ),
    "star.task": (
        "my job was",
        "i was responsible",
        "my role",
        "the goal was",
        "i needed to",
        "we needed to",
        "my task",
        "i was asked to",
        "the task was",
        "i owned",
        "our goal",
        "the problem was",
        "i had to",
        "we had to",
    ),
    "star.action": (
        "i did",
        "i did myself",
        "did myself",
        "i handled",
        "i took care of",
        "i fixed",
        "i trained",
        "i cleaned",
        "i debugged",
        "i decided",
        "i built",
        "i wrote",
        "i proposed",
        "i led",
        "i implemented",
        "i designed",
        "i set up",
        "i added",
        "i ran",
        "i changed",
        "i talked to",
        "i escalated",
        "so i",
        "i introduced",
        "i created",
        "i reached out",
        "i rolled back",
        "i pushed",
        "i analyzed",
        "i analysed",
        "i investigated",
        "i measured",
        "i organized",
        "i organised",
    ),
    "star.result": (
        "as a result",
        "the result",
        "reduced",
        "improved",
        "increased",
        "we shipped",
        "in the end",
        "ended up",
        "the outcome",
        "we saw",
        "led to",
        "saved",
        "dropped",
        "went down",
        "went up",
        "it worked",
        "fixed it",
        "i learned",
        "i learnt",
        "lesson",
    ),
}
_NUMBER_WORDS_RESULT = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    "forty|fifty|sixty|seventy|eighty|ninety|a\\s+hundred"
)
BUILTIN_PATTERNS: dict[str, tuple[str, ...]] = {
    "question": (r"\?",),
    # "if the reward climbs while raters disagree, then ...", "..., so ...", "given the ..."
    "reasons": (
        r"\bif\b[^.?!]{2,80}?\b(?:then|we'd|we\s+would|it\s+would|you'd|that\s+would)\b",
        # "if we slipped it the customer would walk"; not "if you would like"
        r"\bif\s+(?!you\s+would\b)[^.?!]{2,80}?\b(?:would|wouldn't|will|won't|might)\s+(?!like\b)\w+",
        # "if the last chunk is off by one thats where itll show up", "if it flags we can
        # revoke the key"
        r"\bif\b[^.?!]{2,80}?\b(?:that'?s|thats)\s+(?:where|when|why|how)\b|"
        r"\bif\b[^.?!]{2,80}?\b(?:it|that|we|you|they|this)(?:'ll|ll)\s+\w+|"
        r"\bif\b[^.?!]{2,80}?\b(?:we|they|it|that)\s+(?:can|could)\s+(?!you\b)\w+",
        r",\s*so\b(?!\s+that\b)",
        r"\b\w+\s+so\s+(?:\w+\s+){0,4}?(?:should|would|must|can|will|is|are|was|were|means|needs?|has|have)\b",
        # "Without an uplift study we don't know what it gives", "...; across nodes it would
        # crawl", "wastes days on rollouts", "big enough that the overhead is small",
        # "..., which looks like senior scope"
        r"(?:^|[.!?]\s+)without\s+[^.!?,]{2,60}?,?\s+(?:we|you|it|there|the|nobody|no\s+one)\s+"
        r"(?:don'?t|can'?t|won'?t|wouldn'?t|have\s+no|would|will|is|are)\b",
        r"[;:]\s*(?:[\w-]+\s+){0,3}?(?:it|that|this|we|you|they|everything)\s+(?:would|will|'d)\s+\w+",
        r"\b(?:wastes?|burns?)\s+(?:days|hours|weeks|time|compute|money|effort|gpu)",
        r"\b(?:big|small|large|fast|cheap|short|long|low|high)\s+enough\s+(?:that|to)\b",
        r",\s*which\s+(?:looks|seems|sounds|feels)\s+like\b",
        # "... So I think it shows the judgment part best.": a conclusion drawn
        r"(?:^|[.!?]\s+)so\s+(?:i\s+think\s+|i\s+guess\s+)?(?:it|that|this|i|we|my|they|"
        r"they're|it's|that's|there's)\s+\w+",
        # "..., which is the scope you'd expect at staff"
        r",\s*which\s+(?:is|was)\s+(?:exactly\s+)?(?:the|what|why)\b",
        r"\bso\s+(?:i'?d|we'?d|i'?ll|we'?ll|i\s+would|we\s+would|i\s+will|we\s+will)\b",
        # "If prompts leak into training, every number we report is inflated."
        r"\bif\b[^.?!,;]{2,120},\s*(?:then\s+)?(?:every|the|we|you|it|they|that|this|there|nobody|"
        r"no\s+one|i'?d|i\s+would|i'?ll|i\s+will)\b",
        # "If we ship what we can't explain, next quarter the gap is wider."
        r"\bif\b[^.?!,;]{2,120},\s*(?:\w+\s+){1,4}?(?:is|are|will|would|gets?|becomes?)\b",
        r"\b\w+\s+meant\s+(?:that\s+)?(?:we|the|you|they|real|more|less|no|a|an)\b",
        # "its reasoning not matching what it does means our evals might be measuring ...",
        # "twelve months of monitoring shows how it's misused": what follows from it
        r"\b(?!i\b|you\b)\w+\s+means\s+(?:that\s+)?(?:we|our|the|you|they|it|there|real|more|less|no|a|an)\b",
        r"\b\w+\s+(?:shows|proves|showed|proved)\s+(?:us\s+|you\s+)?(?:that|how|whether|what|why)\b",
        # "What we gave up was headroom: the transformer would have kept improving"
        r"[;:]\s*(?:the|our|their|its|a|an)\s+[\w-]+\s+(?:would|will|'d|could)\s+\w+",
        r"\bgiven\s+(?:the|that|how|our|their|its)\b|,\s*given\s+\w+",
        # "Block per category, not on the average: a flat average can hide a regression",
        # "I'd keep the queue; it soaked up every spike": a position, then a clause of its
        # own that says why (a list after a colon has no verb of its own)
        r"[;:]\s*(?:once\s+|when\s+|if\s+)?(?:(?:a|an|the|every|each|no|any|that|this|it|its|we|you|they|"
        r"[\w'-]+ing)\b[^.;:,?!]{0,40}?)\b(?:is|are|was|were|isn'?t|aren'?t|can|can'?t|could|"
        r"couldn'?t|does|doesn'?t|don'?t|did|didn'?t|has|have|had|would|wouldn'?t|will|won'?t|"
        r"'s|means|makes|costs|hides|breaks|pays|shows|gives|lets|stops|keeps|soaked|lost|took)\b",
        # "..., which lines up with senior scope", "my refactor would have cost three weeks",
        # "sampling real traffic tells us more", "reward climbing while length balloons is
        # the first sign of hacking": evidence, a cost avoided, what a thing shows
        r",\s*which\s+(?:lines\s+up|matches|fits|puts|makes|maps)\b",
        r"\bwould\s+have\s+(?:cost|taken|meant|broken|delayed|saved|caught|lost|added|burned|wasted)\b",
        r"\b(?:tells?|told)\s+(?:us|me|you)\s+(?:more|much|what|how|whether|if|that|where|when|far)\b",
        r"\b(?:is|are|was)\s+(?:usually\s+|often\s+|always\s+)?the\s+(?:first|earliest|clearest|best|surest|"
        r"only)\s+(?:sign|signal|symptom|indicator|warning|evidence)\b",
        r"(?:^|[.!?]\s+)so\s+(?:a|an|the|any|no|nothing|every|each)\s+\w+",
        # "Concentration is a real risk, yes, but ...": granted, and answered
        r"\b(?:yes|yeah|sure|true|granted|fair\s+enough|no\s+argument\s+there|i\s+agree)\W+but\b",
        # "An eval ... means nothing if rerunning it moves its score ..."
        r"\b(?:means|is\s+worth|tells\s+(?:us|you)|proves)\s+nothing\b|"
        r"\b(?:is|are)\s+(?:meaningless|useless|worthless|pointless)\s+(?:if|unless|when|while)\b",
        # "it shows i can back down", "that tells us the judge drifted": evidence drawn
        r"\b(?:it|that|this|which)\s+(?:shows|proves|tells\s+(?:me|us|you))\s+(?:that\s+)?"
        r"(?:i|we|you|they|the|it|there|our|how)\b",
        # "Waiting for the full response would add seconds to every answer": what the other
        # way would cost
        r"\b(?:waiting|doing|keeping|running|skipping|using|adding|dropping|letting|putting)\b"
        r"[^.?!]{0,60}?\bwould\s+(?:add|cost|mean|break|slow|hide|make|double|blow|miss|leak)\b",
        # "it's the easiest place for a bug to hide"
        r"\b(?:it'?s|it\s+is|that'?s|that\s+is)\s+the\s+(?:easiest|simplest|cheapest|fastest|safest|"
        r"likeliest|most\s+likely|only)\s+(?:place|way|thing|part|option|spot)\b",
        # "The best case for publishing is that ...": an argument set out
        r"\bthe\s+(?:best|strongest|main|real|whole)\s+(?:case|argument|reason)\s+(?:for|against)\s+"
        r"[^.?!]{1,40}?\bis\s+(?:that\b)?",
        # "I'd put forward that one, for three reasons. ...", "wait. reasons: ..."
        r"\bfor\s+(?:two|three|four|2|3|4|a\s+few|several|a\s+couple\s+of)\s+reasons\b|"
        r"\breasons?\s*:\s*\w|\bmy\s+reasons?\s+(?:is|are|being)\b",
        # A counter-argument is a reason too: "moving to a competitor doesn't make our model
        # any safer", "that's exactly the thing that would hide a problem", "thinner evals
        # are not a standard we should copy", "that's evidence, not a hunch".
        r"\b(?:doesn'?t|does\s+not|won'?t|wouldn'?t|will\s+not)\s+make\s+(?:\w+\s+){0,3}?(?:any\s+)?"
        r"(?:safer|better|worse|riskier|cheaper|faster|less|more)\b",
        r"\bexactly\s+(?:the\s+(?:thing|kind\s+of\s+thing|sort\s+of\s+thing|risk|problem|case|ones?)|what)\b",
        r"\b(?:is|are|isn'?t|aren'?t|is\s+not|are\s+not)\s+(?:a\s+)?(?:standard|reason|excuse|argument|"
        r"justification)\s+(?:we|to|for|i)\b",
        r"\bthat'?s\s+(?:evidence|data|a\s+fact|measured|not\s+a\s+(?:hunch|guess|feeling|preference))\b",
        # What cannot be undone, and what is still unknown beside what is known: "once it
        # is out we cannot take it back", "while the uplift is unknown".
        r"\b(?:can'?t|cannot|couldn'?t)\s+(?:\w+\s+)?(?:take|pull|call|get)\s+(?:it|them|that|those)\s+back\b|"
        r"\b(?:can'?t|cannot)\s+be\s+(?:undone|reversed|recalled)\b|\birreversibl[ey]\b|\bone-?way\s+door\b",
        r"\bwhile\s+(?:the\s+)?[\w-]+(?:\s+[\w-]+){0,4}?\s+(?:is|are|remains?|stays?)\s+(?:still\s+)?"
        r"(?:unknown|unclear|unmeasured|untested|unproven)\b",
    ),
    "star.result": (
        r"\d+(?:\.\d+)?\s*(?:%|percent|x\b)",
        # "went from one in five to one in twenty", "twelve percent", "cut it by half"
        r"\b(?:went|dropped|fell|rose|climbed|grew|moved|came\s+down|went\s+down|went\s+up)\s+from\b"
        r"[^.;!?]{1,50}?\bto\b",
        rf"\b(?:{_NUMBER_WORDS_RESULT})[\s-]+(?:percent|per\s+cent|points?|times)\b",
        r"\b(?:by|in)\s+(?:half|a\s+third|a\s+quarter|two\s+thirds)\b",
    ),
}
_UNITS = (
    r"%|percent|ms|milliseconds?|seconds?|minutes?|hours?|days?|weeks?|months?|years?|"
    r"gb|tb|mb|tokens?|qps|rps|gpus?|nodes?|users?|requests?|people|engineers|x|times|"
    r"billion|million|thousand|hundred"
)
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty|sixty|seventy|eighty|ninety|a hundred|several"
)
# A figure is specific; a spelled-out number only with a unit ("five percent", not "one").
_SPECIFIC = re.compile(
    rf"\b\d[\d,.]*\s*(?:(?:{_UNITS})\b|[kmb]\b)?|\b(?:{_NUMBER_WORDS})[\s-]+(?:{_UNITS})\b|"
    r"\b(?:hundred|thousand|million|billion|trillion)s?\b",
    re.IGNORECASE,
)
DERIVED = ("star.complete", "specific", "vague", "short", "empty", "glossary", "bare_list")
STAR_PARTS = ("star.situation", "star.task", "star.action", "star.result")
BUILTIN_LABELS = frozenset([*BUILTIN_PHRASES, *BUILTIN_PATTERNS, *DERIVED, *STANCE_LABELS, HELD])
SHORT_WORDS = 12
_LIST_SPLIT = re.compile(r"[,;/]|\band\b|\bor\b|\bthen\b|\bplus\b", re.IGNORECASE)


def add_specific(text: str, found: dict[str, list[Match]], questions: list[Sentence]) -> None:
    """Every figure outside the candidate's own questions, as a `specific` match."""
    for m in _SPECIFIC.finditer(text):
        if m.end() > m.start() and not inside(m.start(), questions):
            found.setdefault("specific", []).append(Match("specific", m.start(), m.end()))


def add_derived(text: str, labels: set[str]) -> None:
    """The labels that follow from the turn as a whole and the labels found in it."""
    all_words = words(text)
    if not all_words:
        labels.add("empty")
    if len(all_words) < SHORT_WORDS:
        labels.add("short")
    elif "specific" not in labels:
        labels.add("vague")
    if all(part in labels for part in STAR_PARTS):
        labels.add("star.complete")
    if _bare_list(text, labels):
        labels.add("bare_list")


def _bare_list(text: str, labels: set[str]) -> bool:
    """Terms named one after another with nothing said about any of them."""
    if "reasons" in labels:
        return False
    items = [words(x) for x in _LIST_SPLIT.split(text)]
    items = [x for x in items if x]
    if len(items) < 3 or sum(len(x) for x in items) > 30:
        return False
    return sum(len(x) for x in items) / len(items) <= 3.0


def backed_position(sentences: list[Sentence]) -> Sentence | None:
    """ "I'd keep the batch scorer as it is. It has run every night for two years without
    paging anyone.": a position, then a sentence that backs it (not a further step)."""
    if len(sentences) < 2 or sentences[0].question:
        return None
    # ... or a short answer said first ("The judge. Every number the review sees rolls up
    # through it.")
    # ("You're right. ..." concedes: what follows backs the other side, not an answer.)
    first = sentences[0].text
    if not _POSITION.search(first) and (len(words(first)) > _SHORT_ANSWER or _AGREES.search(first)):
        return None
    return next(
        (
            s
            for s in sentences[1:]
            if not s.question and len(words(s.text)) >= _BACKING and not _STEP.match(s.text)
        ),
        None,
    )


_SHORT_ANSWER = 5  # words, at most, in an answer named before what backs it
_BACKING = 8  # words, at least, in a sentence that backs it ("Safety matters, obviously." does not)
_AGREES = re.compile(
    r"\b(?:right|agree\w*|fair|true|ok(?:ay)?|yes|yeah|yep|sure|point|correct|fine|convinced|"
    r"maybe|guess|hmm+|well)\b",
    re.IGNORECASE,
)
_POSITION = re.compile(
    r"\b(?:i'?d|i\s+would|i'?m\s+aiming|i\s+(?:pick|choose|vote|recommend|prefer)|first\s+move|"
    r"my\s+(?:pick|choice|vote|call|answer)|hold|ship|wait|keep|drop|release|publish|escalate)\b",
    re.IGNORECASE,
)
_STEP = re.compile(
    r"\W*(?:then|next|after\s+that|also|and|finally|second|third|plus|i'?d\s+also|i\s+would\s+also|"
    r"first|step)\b",
    re.IGNORECASE,
)
