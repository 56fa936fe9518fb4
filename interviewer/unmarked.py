"""Questions asked inside a sentence, without a question mark: the shapes
`sentences.is_question` looks for after its own first words ("so the api side do those
callers get the same target"), and the words before one that embed it rather than ask it
("it depends on what the target is")."""

from __future__ import annotations

import re

# "when the mask is true does that mean the query can look": asks what follows means.
DOES_IT_MEAN = re.compile(r"\b(?:does|would|will)\s+(?:that|this|it)\s+mean\b", re.IGNORECASE)
SO_DOES = re.compile(
    r"\bso\s+(?:does|do|did|is|are|was|were|can|will|would|has|have)\s+"
    r"(?:the\s+\w+|it|this|that|we|they|i|he|she|mine|ours)\W*$",
    re.IGNORECASE,
)
# "so the api side do those callers get the same target": inverted after "those", anywhere.
THOSE = re.compile(
    r"\bdo\s+(?:those|these)\s+(?:[a-z]+\s+){1,2}?(?:get|have|need|see|use|expect|want|care|know)\b",
    re.IGNORECASE,
)
# "so for ties do they count as half or as wrong", "the batch traffic, does that have the
# same target or can it wait": a verb before its subject, then the choice offered, asks
# which even unmarked. Not after a subject of its own ("I'd do it properly or not at all"),
# nor "is either ... or", which says what a thing is.
INVERTED_CHOICE = re.compile(
    r"(?<!\bi\s)(?<!\bwe\s)(?<!\byou\s)(?<!\bthey\s)(?<!\bit\s)(?<!\bto\s)(?<!'d\s)(?<!'ll\s)"
    r"\b(?:(?:do|does|did|should|can|could|would|will)\s+(?:the\s+[\w-]+|both|true|false)|"
    # ("the ratio is the new probability": after "is", "the" begins what a subject is)
    r"(?:do|does|did|is|are|should|can|could|would|will)\s+"
    r"(?:i|we|you|they|it|that|this|there|those|these))\s+"
    r"[\w'-]+\b[^.!?;]{0,60}?\bor\b"
    r"(?!\s+(?:so|something|not|whatever|anything|more|less|fewer|minus|two|three|four)\b)",
    re.IGNORECASE,
)
EMBEDDED = re.compile(
    r"\b(?:depends?\s+on|know|knowing|see|decide|explain|tell\s+you|matters?|regardless\s+of|"
    r"figure\s+out|no\s+matter|about|wonder\s+if|not\s+sure)\s*$",
    re.IGNORECASE,
)
