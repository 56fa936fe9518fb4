"""Stance: which side of a culture round's dilemma a turn takes.

The scenario names the signals of each side (`stance: for / against / mixed`); this reads
them as a person would. A side turned down is the other side taken ("I'm not convinced
holding it back helps anyone"); "I'm for it" and one-word verdicts count; sarcasm means
the opposite in its own sentence; a side argued on request ("the best case for
releasing") is none; after a change of mind the later side counts; a torn answer is mixed
unless its last sentence settles it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .sentences import Sentence, phrase_regex
from .spans import Match, inside

STANCE_LABELS = ("stance.for", "stance.against", "stance.mixed")
# A turn that names no side but keeps the one taken before ("I still wait", "I stand by
# it"): the engine, which remembers the round, gives it that side.
HELD = "stance.held"
_MIXED_PHRASES = (
    "it depends",
    "depends on",
    "depends of",
    "on the other hand",
    "both sides",
    "torn",
    "not sure",
)
# One-word verdicts and "I'm for it / against it", in any culture round: the side the
# scenario calls `for` is always the proposal on the table.
_VERDICTS = {
    "for": (
        "i'm for it",
        "i am for it",
        "i'm in favour",
        "i'm in favor",
        "i am in favour",
        "i am in favor",
        "i support it",
        "i'd support it",
        "i would support it",
        "i'd go for it",
        "i would go for it",
        "i'm all for it",
    ),
    "against": (
        "i'm against it",
        "i am against it",
        "i'm against that",
        "i oppose it",
        "i'd oppose it",
        "i would oppose it",
        "i'm not in favour",
        "i'm not in favor",
        "i can't support it",
        "i couldn't support it",
        "i wouldn't support it",
    ),
}
# Verdicts said as a vote: "Still no.", "Still voting no tomorrow.", "so, yes from me".
_VOTES = {
    "for": re.compile(
        r"\b(?:still|voting|vote|it'?s\s+a|that'?s\s+a|still\s+a)\s+yes\b(?!\s+(?:or|and)\b)|"
        r"\byes\s+from\s+me\b",
        re.IGNORECASE,
    ),
    "against": re.compile(
        r"\b(?:still|voting|vote|it'?s\s+a|that'?s\s+a|still\s+a)\s+no\b(?!\s+(?:or|and)\b)"
        r"(?=\s*(?:[.,;!]|$|\s+(?:tomorrow|today|for\s+now|from\s+me|then)\b))|\bno\s+from\s+me\b",
        re.IGNORECASE,
    ),
}
_SARCASM = (
    "what could possibly go wrong",
    "what could go wrong",
    "yeah right",
    "said no one",
    "because that always works",
    "because that worked so well",
    "great idea, said",
)
# Before a signal in the same clause: words that turn it down.
_REPORTED = re.compile(
    r"\b(?:best|strongest|good|fair|honest)\s+(?:case|argument)\s+(?:for|against)\b|"
    r"\bthe\s+other\s+side\s+(?:would|might|could)\b|\bsteel\s?man|\bdevil'?s\s+advocate\b|"
    r"\bthey\s+(?:would|might|could)\s+(?:say|argue)\b|\bin\s+their\s+(?:words|shoes)\b|"
    r"\bplay(?:ing)?\s+the\s+other\s+side\b",
    re.IGNORECASE,
)
_CHANGE_OF_MIND = re.compile(
    r"\b(?:i\s+(?:change|changed|switch|switched|flip|flipped)\s+(?:my\s+(?:answer|mind|view|position)|sides?)|"
    r"i'?ll\s+switch|i\s+take\s+(?:it|that)\s+back|i'?ve\s+changed\s+my\s+mind|on\s+reflection|"
    r"i\s+change\s+my\s+(?:vote|call|decision)|you\s+(?:have\s+)?convinced\s+me|"
    r"thinking\s+(?:about\s+it\s+)?again|actually,?\s+no\b|you'?ve\s+convinced\s+me|"
    # "I'd probably sleep on it no actually I wouldn't, I'd message her manager"
    r"\bno,?\s+(?:actually|wait)\b)",
    re.IGNORECASE,
)
_TORN = re.compile(
    r"\bpart\s+of\s+me\b.*\bpart\s+of\s+me\b|\btorn\b|\bback\s+and\s+forth\b|"
    r"\bon\s+(?:the\s+)?one\s+hand\b|\beither\s+way\b|\b(?:can'?t|cannot)\s+(?:really\s+)?decide\b|"
    r"\b(?:can'?t|cannot)\s+(?:really\s+)?say\s+(?:yet|for\s+sure|which|either)\b|"
    r"\bon\s+the\s+fence\b|\bgenuinely\s+(?:unsure|split)\b|\bhard\s+to\s+(?:say|call)\b|"
    # "I can see real arguments both ways", "not ready to pick", "can't pick one yet"
    r"\b(?:arguments?|points?|merits?|a\s+case)\s+(?:on\s+|for\s+)?both\s+(?:ways|sides)\b|"
    r"\bnot\s+ready\s+to\s+(?:pick|choose|decide|commit)\b|"
    # "I don't think I can call it yet", "can't put my name on either", "flip-flopping"
    r"\b(?:can'?t|cannot)\s+(?:really\s+)?(?:call\s+it|put\s+my\s+name\s+on\s+either)\b|"
    r"\bflip[-\s]?flop\w*|\b(?:genuinely\s+|right\s+|somewhere\s+)?in\s+the\s+middle\b(?!\s+of\b)|"
    r"\b(?:not\s+comfortable|can'?t|cannot|couldn'?t)\s+recommend(?:ing)?\s+either\b|"
    # "I still can't pick", "can't pick one"; not "can't pick the model we can't explain"
    r"\b(?:can'?t|cannot)\s+(?:really\s+|yet\s+)?(?:pick|choose)\b(?!\s+(?:the|that|this|it|them)\b)",
    re.IGNORECASE,
)
_SETTLES = re.compile(
    r"\b(?:but|so|ultimately|in\s+the\s+end|on\s+balance|overall|if\s+i\s+had\s+to|"
    r"i'?d\s+go\s+with|i\s+would\s+go\s+with|i'?ll\s+go\s+with|where\s+i\s+(?:land|come\s+down)|"
    r"i\s+(?:land|come\s+down)\s+on)\b",
    re.IGNORECASE,
)
# Settles a torn answer from where it stands on: "back and forth, but where I land is ...".
_LANDS = re.compile(
    r"\b(?:where\s+i\s+(?:land|come\s+down|end\s+up)|i\s+(?:land|come\s+down)\s+on|ultimately|"
    r"on\s+balance|in\s+the\s+end|if\s+i\s+had\s+to\s+(?:choose|pick|decide))\b",
    re.IGNORECASE,
)


# Keeping one's side under pressure, without naming it again.
_HOLDS = re.compile(
    r"\b(?:i|we)(?:'?d|\s+would|'?ll|\s+will)?\s+still\s+(?!(?:think|don'?t|do\s+not|not|need|have|want)\b)\w+|"
    r"\b(?:i|we)\s+(?:still\s+)?stand\s+by\b|\bstick(?:ing)?\s+(?:with|to)\s+(?:my|our|that|it)\b|"
    r"\b(?:my|the)\s+(?:answer|position|view|call)\s+(?:stays|stands|is\s+the\s+same|doesn'?t\s+change|hasn'?t\s+changed)\b|"
    r"\bsame\s+(?:answer|position|call)\b|\bnot\s+changing\s+my\s+(?:mind|answer|position|view)\b|"
    r"\b(?:i|we)\s+(?:hold|keep)\s+(?:my|our)\s+(?:position|ground|answer|view)\b",
    re.IGNORECASE,
)


_CONDITION = re.compile(
    r"^\W*(?:(?:and|but|though|of\s+course|obviously|sure)\W+)?(?:if|unless|only\s+if|should\s+the|"
    r"in\s+case|the\s+moment|as\s+soon\s+as)\b",
    re.IGNORECASE,
)


class StanceReader:
    def __init__(self, pro: Sequence[str], con: Sequence[str], mixed: Sequence[str]) -> None:
        self._pro, self._con, self._mixed_labels = pro, con, mixed
        self._mixed = [phrase_regex(p) for p in _MIXED_PHRASES]
        self._verdicts = {
            side: [phrase_regex(p) for p in phrases] for side, phrases in _VERDICTS.items()
        }
        self._sarcasm = [phrase_regex(p) for p in _SARCASM]

    def read(
        self,
        text: str,
        sentences: Sequence[Sentence],
        found: dict[str, list[Match]],
        rejected: list[Match],
        labels: set[str],
    ) -> None:
        """Add stance.for, stance.against or stance.mixed to `labels` (and their matches to
        `found`), from the scenario's stance signals found in `text`."""
        pro, con, mixed = self._pro, self._con, self._mixed_labels
        pro_hits = [m for label in pro for m in found.get(label, [])]
        con_hits = [m for label in con for m in found.get(label, [])]
        # A side turned down is the other side taken: "I'm not convinced holding it back
        # helps anyone" argues for release.
        pro_hits += [m for m in rejected if m.label in con]
        con_hits += [m for m in rejected if m.label in pro]
        for regex in self._verdicts["for"]:
            pro_hits += [Match("stance.for", m.start(), m.end()) for m in regex.finditer(text)]
        for regex in self._verdicts["against"]:
            con_hits += [Match("stance.against", m.start(), m.end()) for m in regex.finditer(text)]
        pro_hits += [Match("stance.for", m.start(), m.end()) for m in _VOTES["for"].finditer(text)]
        con_hits += [
            Match("stance.against", m.start(), m.end()) for m in _VOTES["against"].finditer(text)
        ]
        pro_hits, con_hits = self._flip_sarcasm(sentences, found, labels, pro_hits, con_hits)
        # "The best case for releasing: ..." argues a side on request; that sentence takes
        # none ("..., but I'd still hold it back" after it does).
        reported = [s for s in sentences if _REPORTED.search(s.text)]
        if reported:
            pro_hits = [m for m in pro_hits if not inside(m.start, reported)]
            con_hits = [m for m in con_hits if not inside(m.start, reported)]
        pro_hits, con_hits = _final_word(text, pro_hits, con_hits)
        pro_hits, con_hits = _unconditional(sentences, pro_hits, con_hits)
        pro_hits, con_hits = _not_conceded(text, pro_hits, con_hits)
        mixed_hits = [m for label in mixed for m in found.get(label, [])]
        mixed_hits += [
            Match("stance.mixed", m.start(), m.end()) for r in self._mixed for m in r.finditer(text)
        ]
        pro_hits, con_hits = _after_change_of_mind(text, pro_hits, con_hits)
        pro_hits, con_hits, mixed_hits = _settle_torn(text, pro_hits, con_hits, mixed_hits)
        if pro_hits and not con_hits:
            found["stance.for"] = pro_hits
        elif con_hits and not pro_hits:
            found["stance.against"] = con_hits
        elif pro_hits and con_hits:
            found["stance.mixed"] = pro_hits + con_hits
        elif mixed_hits:
            found["stance.mixed"] = mixed_hits
            # "I don't think I can call it yet" is the scenario's undecided, in any words.
            for label in mixed:
                if label not in found:
                    found[label] = [Match(label, m.start, m.end) for m in mixed_hits]
                    labels.add(label)
        if not any(label in found for label in STANCE_LABELS):
            held = [Match(HELD, m.start(), m.end()) for m in _HOLDS.finditer(text)]
            held = [m for m in held if not inside(m.start, [s for s in sentences if s.question])]
            if held:
                found[HELD] = held
                labels.add(HELD)
        for label in STANCE_LABELS:
            if label in found:
                labels.add(label)
                found[label] = [Match(label, x.start, x.end) for x in found[label]]

    def _flip_sarcasm(
        self,
        sentences: Sequence[Sentence],
        found: dict[str, list[Match]],
        labels: set[str],
        pro_hits: list[Match],
        con_hits: list[Match],
    ) -> tuple[list[Match], list[Match]]:
        """ "Sure, release it, what could possibly go wrong": said to mean the opposite."""
        sarcastic = [x for x in sentences if any(r.search(x.text) for r in self._sarcasm)]
        if sarcastic:
            # Only the sarcastic sentence means the opposite ("..., what could possibly go
            # wrong. No. Not like this." ends sincerely); what it seemed to say earns nothing.
            flip_pro = [m for m in pro_hits if inside(m.start, sarcastic)]
            flip_con = [m for m in con_hits if inside(m.start, sarcastic)]
            pro_hits = [m for m in pro_hits if m not in flip_pro] + flip_con
            con_hits = [m for m in con_hits if m not in flip_con] + flip_pro
            for m in flip_pro + flip_con:
                if m.label in found:
                    found[m.label] = [x for x in found[m.label] if x != m]
                    if not found[m.label]:
                        del found[m.label]
                        labels.discard(m.label)
        return pro_hits, con_hits


# "... But if the review asks me for one word on Friday: ship.", "my answer is ...": what
# comes after is the side taken, whatever was weighed before.
_FINAL_WORD = re.compile(
    r"\bone\s+word\b[^.!?]{0,40}?:|\b(?:my|the)\s+(?:final\s+)?(?:answer|vote|verdict)\s*(?:is\b|:)|"
    r"\bbottom\s+line\b|\bwhat\s+i'?d\s+(?:tell|say\s+to)\s+(?:the\s+)?(?:review|committee|them|board)\s*:|"
    r"\bi'?m\s+moving\s+to\b|\bfinal\s+answer\b",
    re.IGNORECASE,
)


def _final_word(text: str, pro: list[Match], con: list[Match]) -> tuple[list[Match], list[Match]]:
    cues = list(_FINAL_WORD.finditer(text))
    if not cues:
        return pro, con
    at = cues[-1].start()
    if not any(m.start >= at for m in [*pro, *con]):
        return pro, con
    return [m for m in pro if m.start >= at], [m for m in con if m.start >= at]


def _unconditional(
    sentences: Sequence[Sentence], pro_hits: list[Match], con_hits: list[Match]
) -> tuple[list[Match], list[Match]]:
    # "I would release. If the uplift study came back over the line, I'd hold it": the
    # side said under a condition is what would change the answer, not a second side.
    if pro_hits and con_hits:
        conditional = [x for x in sentences if _CONDITION.match(x.text)]
        plain_pro = [m for m in pro_hits if not inside(m.start, conditional)]
        plain_con = [m for m in con_hits if not inside(m.start, conditional)]
        if bool(plain_pro) != bool(plain_con):
            pro_hits, con_hits = plain_pro, plain_con
    return pro_hits, con_hits


# "I get why people escalate, but ...": the other side understood, not taken.
_CONCEDED = re.compile(
    r"\b(?:i|we)\s+(?:totally\s+|fully\s+|do\s+|really\s+|can\s+)?(?:get|understand|see|appreciate|"
    r"know|hear|sympathi[sz]e\s+with)\s+why\s+(?:people|someone|others|some\s+\w+|you|they|folks|"
    r"teams?|a\s+lot\s+of\s+\w+|many\s+\w+|the\s+\w+)\b[^.,;!?]{0,60}",
    re.IGNORECASE,
)


def _not_conceded(
    text: str, pro_hits: list[Match], con_hits: list[Match]
) -> tuple[list[Match], list[Match]]:
    # "I get why people escalate, but I'd commit": when both sides are named, the one
    # only named as understood in others is not the speaker's.
    if pro_hits and con_hits:
        spans = [(m.start(), m.end()) for m in _CONCEDED.finditer(text)]

        def conceded(m: Match) -> bool:
            return any(a <= m.start < b for a, b in spans)

        plain_pro = [m for m in pro_hits if not conceded(m)]
        plain_con = [m for m in con_hits if not conceded(m)]
        if bool(plain_pro) != bool(plain_con):
            pro_hits, con_hits = plain_pro, plain_con
    return pro_hits, con_hits


def _after_change_of_mind(
    text: str, pro_hits: list[Match], con_hits: list[Match]
) -> tuple[list[Match], list[Match]]:
    # "You're right. I change my answer: I'll raise it tonight." The side said after a
    # change of mind is the side taken.
    changes = list(_CHANGE_OF_MIND.finditer(text))
    if changes:
        after = changes[-1].end()
        later_pro = [m for m in pro_hits if m.start >= after]
        later_con = [m for m in con_hits if m.start >= after]
        if later_pro or later_con:
            pro_hits, con_hits = later_pro, later_con
    return pro_hits, con_hits


_SENTENCE_START = re.compile(r"[.!?]\s+(?:(?:right|ok|okay|so|well)\W+)*")


def _settle_torn(
    text: str, pro_hits: list[Match], con_hits: list[Match], mixed_hits: list[Match]
) -> tuple[list[Match], list[Match], list[Match]]:
    # "Part of me wants to escalate, part of me trusts her": torn, whatever sides the
    # words touch, unless the last sentence settles it.
    torn = _TORN.search(text)
    if torn:
        last = text[text.rstrip().rfind(".", 0, len(text.rstrip()) - 1) + 1 :]
        start = len(text) - len(last)
        lands = [m for m in _LANDS.finditer(text) if m.start() >= torn.end()]
        if lands:
            last, start = text[lands[-1].start() :], lands[-1].start()
        pro_last = [m for m in pro_hits if m.start >= start]
        con_last = [m for m in con_hits if m.start >= start]
        # "I keep flip-flopping... right. The one we can explain.": one side, said on its
        # own right after the doubt, and nothing of the other anywhere.
        alone = _SENTENCE_START.search(text, torn.end())
        hits = [*pro_hits, *con_hits]
        if (
            alone
            and bool(pro_hits) != bool(con_hits)
            and all(m.start >= torn.end() for m in hits)
            and any(m.start == alone.end() for m in hits)
        ):
            return pro_hits, con_hits, mixed_hits
        if bool(pro_last) == bool(con_last) or not _SETTLES.search(last):
            # "I can't pick one yet" is torn in itself, with or without a side's words.
            mixed_hits += [*pro_hits, *con_hits, Match("stance.mixed", torn.start(), torn.end())]
            pro_hits, con_hits = [], []
        else:
            pro_hits, con_hits = pro_last, con_last
    return pro_hits, con_hits, mixed_hits
