"""Polarity: whether a signal's words are said, or said only to be turned down.

"I'd drop the KL term", "no sandbox, containers are overkill", "I don't think we need a
reference model": the words of a mechanism are there, and the candidate rejects it. Such a
signal earns no credit (the engine may challenge it). Negation and rejection reach only
within their clause, a few words back; a negation of the whole clause and a local one
cancel out ("I don't think we should skip the KL penalty" keeps it).
"""

from __future__ import annotations

import re

NEGATORS = frozenset(
    {"not", "never", "no", "nor", "without", "cannot", "wouldn't", "shouldn't"}
    # typed without the apostrophe
    | {"dont", "doesnt", "didnt", "wont", "wouldnt", "shouldnt", "cant", "couldnt", "isnt"}
    | {"arent", "wasnt", "werent", "havent", "hasnt", "aint"}
    # "nobody reads the outputs"
    | {"nobody", "noone"}
)
# Negation only reaches back this many words, and never across a clause boundary.
_NEGATION_WINDOW = 5
_CLAUSE_BREAK = re.compile(r"[.,;:!?]|\b(?:but|however|although|though|whereas|yet)\b")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def has_negation(text: str) -> bool:
    # A lookaround ("release(?! is not)") only guards the match; it is not the phrase.
    text = _LOOKAROUND.sub(" ", text)
    return any(w in NEGATORS or w.endswith("n't") for w in _WORD.findall(text.lower()))


_LOOKAROUND = re.compile(r"\(\?<?[!=](?:[^()\\]|\\.)*\)")

_REJECT_BEFORE = re.compile(
    r"\b(?P<verb>skip|skipping|skipped|drop|dropping|ditch|ditching|avoid|avoiding|remove|removing|"
    r"forget|forgo|instead\s+of|rather\s+than|no\s+need\s+for|no\s+need\s+to|"
    r"get\s+rid\s+of|leave\s+out|leaving\s+out|rule\s+out|do\s+away\s+with|"
    r"not\s+bother\s+with|wouldn't\s+bother\s+with|don't\s+bother\s+with|"
    r"don't\s+need|do\s+not\s+need|wouldn't\s+need|won't\s+need|do\s+without|go\s+without|"
    r"no\s+point(?:\s+(?:in|to))?|don'?t\s+(?:really\s+)?see\s+(?:the\s+|a\s+|any\s+)?(?:point|need|value|reason|use)\s+(?:of|in|for|to)|"
    r"see\s+no\s+(?:point|need|reason|value)\s+(?:of|in|for|to)|"
    # "I don't really see each task needing its own sandbox"
    r"(?:don'?t|do\s+not)\s+(?:really\s+)?see\s+(?:\w+\s+){0,3}?(?:needing|requiring)|"
    r"refrain\s+from|steer\s+clear\s+of|stay\s+away\s+from|"
    # "I'm honestly not a fan of hard caps per task"
    r"not\s+(?:really\s+)?(?:a\s+)?(?:big\s+|huge\s+)?fan\s+of|"
    r"(?:not|wouldn'?t|won'?t|don'?t)\s+(?:worry|bother)\s+(?:about|with)|deprioriti[sz]e|pass\s+on|"
    r"wouldn'?t\s+(?:use|add|include|bother)|won'?t\s+(?:use|add|include)|"
    # "I wouldn't have anyone look at the diffs"
    r"(?:wouldn'?t|won'?t|don'?t|do\s+not|would\s+not)\s+have\s+(?:anyone|anybody|someone|a\s+(?:human|person)|"
    r"people|humans?)\s+(?:look\s+at|check|review|read|inspect|go\s+through)|"
    # "I'm not going to bother subtracting the max", "won't bother measuring"
    r"(?:not\s+going\s+to|not\s+gonna|won'?t|don'?t)\s+bother|"
    r"hold\s+off\s+on|put\s+off|postpone|postponing|defer|deferring|punt\s+on|punting\s+on|"
    # "just stop paying for human evaluation altogether"
    r"stop\s+paying\s+for|"
    r"leave\s+aside|stop(?:ped|ping)?\s+(?:doing|using|running)|"
    # "the vendors do their own quality control": someone else's, not the design's
    r"(?:do|does|did|run|runs|handle|handles|own|owns)\s+(?:their|its|his|her)\s+own|"
    r"(?:not|wouldn'?t|won'?t|don'?t)\s+spend\s+(?:\w+\s+)?(?:time|effort|money)\s+(?:on\s+)?)\b(?:\W+\w+){0,4}\W*$",
    re.IGNORECASE,
)
# "No point raising a false alarm to leadership": what the gerund does, to its object.
# "I wouldn't bother keeping a reference copy around for a KL term": the same, said of
# bothering.
_POINTLESS_GERUND = re.compile(
    r"\b(?:no\s+(?:point|need|reason|sense)|not\s+worth|pointless|"
    r"(?:wouldn'?t|won'?t|don'?t|didn'?t|not|never)\s+(?:even\s+|really\s+)?bother(?:ed)?(?:\s+with)?)"
    r"\s+(?:in\s+)?[a-z]+ing\b(?:\W+\w+){0,7}\W*$",
    re.IGNORECASE,
)
# After a signal in the same clause: "containers are overkill", "it just slows learning".
_REJECT_AFTER = re.compile(
    r"[^.,;:!?]{0,40}?\b(?:overkill|unnecessary|not\s+needed|isn't\s+needed|aren't\s+needed|"
    # "arent really needed", "is not strictly necessary", "isnt required"
    r"(?:is|are|was|were)(?:n'?t|\s+not)\s+(?:really\s+|strictly\s+|actually\s+|absolutely\s+|that\s+)?"
    r"(?:needed|necessary|required|essential)|"
    r"not\s+necessary|isn't\s+necessary|pointless|a\s+waste|useless|not\s+worth|overrated|"
    r"(?:just\s+)?slows?\s+(?:\w+\s+)?down|just\s+slows|gets\s+in\s+the\s+way|can\s+go|"
    r"we\s+can\s+skip|isn't\s+worth|doesn't\s+help|does\s+not\s+help|won't\s+help|"
    r"more\s+(?:complexity|trouble|hassle|cost)\s+than\s+it'?s\s+worth|not\s+needed|"
    r"isn'?t\s+needed|(?:is|are|'s)\s+(?:a\s+)?(?:waste|luxury|nice\s+to\s+have|optional|out\s+of\s+scope)|"
    r"(?:is|are)\s+not\s+(?:a\s+)?(?:priority|important|necessary|needed)|can\s+wait|"
    r"(?:is|are)\s+(?:just\s+|mostly\s+|pure\s+)?(?:theatre|theater|a\s+joke|security\s+theatre)|"
    # "continuous batching is the fashionable thing, but ...", "autoscaling won't save us"
    r"(?:is|are|'s)\s+(?:the\s+|all\s+the\s+|a\s+)?(?:fashionable|trendy|hip|hyped|in\s+vogue|buzzword)|"
    r"won'?t\s+(?:save|rescue)\s+(?:us|you|anyone|anybody)|(?:doesn'?t|won'?t)\s+buy\s+(?:us|you)\s+(?:anything|much)|"
    # "A held-out set I think we don't need.": the thing named first, the verb left without
    # an object of its own.
    r"(?:i\s+think\s+|honestly\s+)?(?:i|we)\s+(?:really\s+)?(?:don'?t|do\s+not|wouldn'?t|won'?t)\s+"
    r"(?:really\s+)?need(?:\s+(?:it|that|them|one))?(?=\s*(?:[.;!?]|$))|"
    r"(?:is|are|would\s+be)\s+(?:a\s+)?(?:maintenance\s+)?(?:nightmare|headache|burden)|"
    # "Continuous batching seems complicated to get right." (not "..., but worth it")
    r"(?:is|are|seems?|looks?|sounds?)\s+(?:\w+\s+)?(?:complicated|complex|overcomplicated|fiddly|tricky|hard)\s+"
    r"to\s+(?:get\s+right|build|run|operate|maintain|implement)\b(?![^.!?]*\b(?:but|worth)\b)|"
    # "continuous batching is a lot of scheduler complexity"
    r"(?:is|are|adds?|brings?|means?)\s+(?:a\s+lot\s+of|lots\s+of|too\s+much|a\s+ton\s+of|way\s+more)\s+"
    r"(?:[\w-]+\s+)?(?:complexity|overhead|hassle|moving\s+parts|machinery|headaches?|plumbing|"
    r"bookkeeping|work|effort)\b(?:\s+for\s+(?:not\s+much|very\s+little|little|no\s+real)\s+(?:gain|benefit|value))?|"
    r"(?:doubles|triples)\s+(?:the\s+)?(?:bookkeeping|work|effort|complexity|cost)|"
    # "Limits per account I don't think we need", "are something I'd leave out", "the KL
    # term you can honestly drop that", "is an overreaction"
    r"(?:i\s+)?don'?t\s+think\s+(?:we|you)\s+(?:really\s+)?need(?:\s+(?:it|them|that|one))?(?=\s*(?:[.;!?]|$))|"
    r"(?:is|are)\s+something\s+i'?d\s+(?:leave\s+out|skip|drop)|"
    # "Staged rollout is solving a problem we don't have", "isn't something we'd bother with"
    r"(?:is|are|'s)\s+(?:just\s+)?solving\s+a\s+problem\s+(?:we|you|i)\s+(?:don'?t|do\s+not)\s+have|"
    r"(?:is|are)(?:n'?t|\s+not)\s+(?:really\s+)?something\s+(?:we|i)(?:'d|\s+would)\s+(?:bother|worry)\s+(?:with|about)|"
    r"(?:you|we)\s+can\s+(?:honestly\s+|just\s+|safely\s+)?(?:drop|skip|remove|ditch)\s+(?:that|it|this|them)\b|"
    r"(?:is|are|would\s+be)\s+(?:an\s+|a\s+bit\s+of\s+an\s+)?overreact\w*|"
    # "profilers are a lot of ceremony", "the multi-turn stuff costs too much to grade", "I've
    # always seen it as a crutch", "I've never been convinced it's pulling its weight"
    r"(?:is|are|feels?|seems?)\s+(?:[\w,]+\s+){0,5}?(?:a\s+lot\s+of\s+|mostly\s+|just\s+)?ceremony|"
    r"costs?\s+(?:way\s+)?too\s+much(?:\s+to\s+\w+)?|"
    r"(?:is|as)\s+(?:more\s+(?:of\s+)?)?(?:as\s+)?a\s+crutch|"
    r"(?:never|not)\s+(?:been\s+)?convinced\s+(?:it'?s|it\s+is|they'?re|that)\s+(?:\w+\s+){0,2}?"
    r"(?:pulling\s+its\s+weight|worth|needed|necessary|helps?|useful)|"
    r"(?:isn'?t|is\s+not|aren'?t|are\s+not)\s+(?:[\w']+\s+){0,4}?(?:job|problem|concern|responsibility|call)|"
    # "is the safety team's problem", "is trust and safety's concern, not mine"
    r"(?:is|are|'s|belongs\s+to)\s+(?:really\s+|just\s+|more\s+|mostly\s+|entirely\s+)?(?:[\w]+\s+){0,4}?"
    r"[\w]+s?'s?\s+(?:job|problem|concern|responsibility|department|business|area)|"
    r"(?:doesn'?t|does\s+not|won'?t|will\s+not|can'?t|cannot|never)\s+scales?|"
    # "the summing order doesnt matter", "is irrelevant here", "makes no difference"
    r"(?:doesn'?t|does\s+not|don'?t|do\s+not|won'?t|shouldn'?t)\s+(?:really\s+)?matter|"
    r"(?:is|are)\s+(?:\w+\s+)?irrelevant|makes?\s+no\s+(?:real\s+)?difference|(?:is|are)\s+a\s+non-?issue|"
    # "overflow isnt a thing here", "red teaming is way more than you need", "the continuous
    # batching stuff is clever but it's complicated"
    r"(?:is|are)(?:n'?t|\s+not)\s+(?:really\s+)?(?:a\s+thing|an\s+issue|a\s+problem|a\s+concern)\s+(?:here|for\s+us|at\s+this\s+size)|"
    r"(?:is|are)\s+(?:way\s+|far\s+|much\s+)?more\s+than\s+(?:you|we|i)\s+(?:really\s+)?need|"
    r"(?:is|are)\s+(?:\w+\s+)?(?:clever|neat|nice|cool|elegant|interesting)\s+but\s+(?:it'?s\s+|they'?re\s+)?"
    r"(?:complicated|complex|overkill|not\s+worth|too\s+\w+)|"
    r"(?:would\s+be|is|was|'s)\s+(?:a\s+)?(?:big\s+|huge\s+|real\s+|serious\s+)?(?:mistake|error|bad\s+idea)|"
    r"(?:only|just|can|could|would|will|might)\s+makes?\s+(?:it|things|us|everything|the\s+\w+)\s+(?:weaker|worse|slower|harder)|"
    # "rolling a model back at scale breaks everyone's integrations"
    # ("locking down egress breaks pip installs")
    r"breaks?\s+(?:everyone'?s|everything|things|(?:the|our|their|all|every)\s+(?:\w+\s+)?(?:integrations?|clients?|workflows?|customers|users|builds?)|"
    r"(?:\w+\s+)?(?:installs?|builds?)\b)|"
    # "feels like premature optimisation", "is too expensive", "is nice in theory"
    r"(?:is|are|was|'s|feels?(?:\s+like)?|felt(?:\s+like)?|seems?(?:\s+like)?|sounds?(?:\s+like)?|looks?(?:\s+like)?|would\s+be)\s+"
    r"(?:an?\s+)?(?:bit\s+|little\s+|way\s+|far\s+|just\s+)?(?:premature(?:\s+optimi[sz]ation)?|over-?engineer\w*|too\s+(?:expensive|pricey|"
    r"costly|slow|complex|complicated|heavy|much(?:\s+(?:trouble|work|hassle|effort|overhead))?)|academic|a\s+distraction|a\s+gimmick|theoretical|"
    r"(?:nice|good|great|fine)\s+(?:in\s+theory|on\s+paper))|"
    # "feels like reopening a decision that was made"
    r"(?:feels?|seems?|sounds?|looks?|would\s+be|is)\s+(?:a\s+bit\s+)?like\s+(?:re-?opening|re-?litigating|"
    r"second-guessing|going\s+behind|undermining|overriding|relitigating)\b|"
    # "would just annoy the teams that call it": a cost to the people who use the thing
    r"(?:punish(?:es)?|annoys?|alienates?|frustrates?|irritates?|get\s+in\s+the\s+way\s+of)\s+"
    r"(?:the\s+|our\s+|every\s+|all\s+)?(?:\w+\s+)?(?:users|customers|people|teams|developers|engineers|reviewers?|operators|"
    r"researchers|clients|folks|everyone|everybody)|"
    r"hurts?\s+(?:legit|legitimate|honest|real|normal|good)\s+(?:users|customers)|"
    # "stepping in treats them like suspects"
    r"treats?\s+(?:them|users|people|customers|everyone|everybody)(?:\s+all)?\s+(?:like|as)\s+(?:\w+\s+)?"
    r"(?:suspects?|criminals?|children|kids|guilty)|"
    # The thing named first, then turned down: "the KL term I would remove", "human evals
    # I'd drop completely", "prompt caching I'd leave for later" (not "..., I'd drop the
    # other one": a new object is another thing turned down).
    r"(?:i|we)(?:'d|'ll|\s+(?:would|will|should))\s+(?:probably\s+|just\s+|honestly\s+|actually\s+)?"
    r"(?:leave\s+out|take\s+out|skip|drop|remove|cut|ditch|get\s+rid\s+of|throw\s+out|"
    r"go\s+without|do\s+without|not\s+(?:do|use|bother|include)|(?:leave|save|keep|push|park)\s+(?:(?:it|that|this|them)\s+)?"
    r"(?:for|till|until|to)\s+(?:later|v2|v3|version\s+two|phase\s+two|another\s+day|the\s+next\s+(?:version|release)))"
    r"(?!\s+(?:the|a|an|our|their|its|his|her|all|every|any)\b)|"
    # "what the model says is really a research team thing, not us"
    r"(?:is|are|'s)\s+(?:really\s+|just\s+|more\s+|mostly\s+)?(?:an?\s+|the\s+)?(?:\w+\s+){0,2}team(?:'s)?\s+thing|"
    # "the float summing order thing I'd ignore", "... nobody cares about"
    r"(?:thing\s+|part\s+|bit\s+)?(?:i'?d|we'?d|(?:i|we)(?:\s+would|'ll|\s+will|\s+can|\s+could))\s+(?:just\s+|safely\s+)?ignore|"
    # "locking down the network always ends up breaking package installs"
    r"(?:always\s+|just\s+|only\s+)?ends?\s+up\s+(?:breaking|slowing|blocking|hurting)|"
    r"(?:i|we)\s+(?:would|will|should)\s+not\W*$|(?:i|we)\s+(?:wouldn'?t|won'?t|shouldn'?t)\W*$)\b|"
    r"\s+(?:no\s+one|nobody|noone)\b",
    re.IGNORECASE,
)
# "To watch what it outputs, this was overkill for us": the verdict comes after a comma,
# on "this" standing for what was just named.
_REJECT_RESUMED = re.compile(
    # "subagents for planning and for, like, test-writing, but I think that's overkill";
    # "The KL penalty, I think it is not really necessary"
    r"(?:[^.;:!?,]{0,40}?,\s*){1,3}(?:but\s+)?(?:i\s+think\s+|honestly\s+|to\s+be\s+honest\s+|i'?d\s+say\s+)?"
    r"(?:this|that|it)(?:'s|\s+(?:is|was|would\s+be|seems|seemed|felt|feels))\s+"
    r"(?:just\s+|really\s+|way\s+|a\s+bit\s+)?(?:overkill|unnecessary|pointless|a\s+waste|not\s+needed|"
    r"not\s+(?:really\s+|strictly\s+)?(?:necessary|needed|required)|"
    r"too\s+(?:much|expensive|costly|slow|heavy))\b|"
    # "the supervised stage, I'm not convinced it earns its place"
    r"[^.;:!?,]{0,40}?,\s*(?:but\s+)?(?:honestly\s+)?(?:i'?m|i\s+am)\s+(?:really\s+|honestly\s+|still\s+)?"
    r"not\s+(?:really\s+|entirely\s+|fully\s+)?convinced\s+(?:it|that|this|they)\b|"
    # "The order of the float summing, I don't think it matters."
    r"[^.;:!?,]{0,40}?,\s*(?:but\s+)?(?:i|we)\s+(?:don'?t|do\s+not)\s+(?:really\s+)?(?:think|believe)\s+"
    r"(?:it|that|this|they|we\s+need\s+(?:it|that|them))\s*(?:(?:really\s+)?(?:matters?|helps?|is\s+needed|are\s+needed)\b|[.;!?]|$)|"
    # "the mean moving is float rounding, I would leave it", "we could cache it, but I
    # wouldn't bother"
    # "checkpointing a 70B model is terabytes every time so i'd skip that"
    r"[^.;:!?]{0,80}?\b(?:so|and)\s+(?:honestly\s+)?(?:i'?d|we'?d|i\s+would|we\s+would)\s+(?:just\s+|probably\s+)?"
    r"(?:skip|drop|ditch|get\s+rid\s+of|remove|cut|leave\s+out|not\s+bother\s+with|go\s+without|"
    r"do\s+without)\s+(?:it|that|this|them)\b|"
    # "On cost I'd leave it unconstrained", "rolling back risks breaking things for everyone"
    r"[^.;:!?,]{0,40}?\b(?:i'?d|we'?d|i\s+would|we\s+would)\s+(?:actually\s+|just\s+|probably\s+)?leave\s+"
    r"(?:it|that|this|them)\s+(?:unconstrained|uncapped|unlimited|unbounded|wide\s+open|open)\b|"
    r"risks?\s+breaking\s+(?:things|everything|stuff|it)\b|"
    # ("The value model, honestly, I'd get rid of it.")
    r"[^.;:!?,]{0,40}?,\s*(?:(?:but|honestly|frankly|personally|tbh)\W+)*"
    r"(?:i|we)(?:'d|\s+would|'ll|\s+will)\s+(?:just\s+|honestly\s+|probably\s+)?"
    r"(?:leave\s+(?:it|that|this)\b(?!\s+(?:on|in|running|as\s+a|to|for))|ignore\s+(?:it|that|this)\b|"
    r"(?:get\s+rid\s+of|drop|ditch|skip|remove|cut|scrap|kill|go\s+without|do\s+without)\s+"
    r"(?:it|that|this|them)\b)|"
    r"[^.;:!?,]{0,40}?,\s*(?:but\s+)?(?:honestly\s+|frankly\s+|personally\s+|tbh\s+)?"
    r"(?:i|we)\s+(?:wouldn'?t|won'?t)\s+(?:really\s+)?bother\b|"
    # "it's just float noise, not worth chasing", "..., i wouldnt fix that"
    r"(?:[^.;:!?,]{0,40}?,\s*){1,2}(?:(?:but|honestly|so|and)\W+)*(?:not\s+worth\s+(?:chasing|fixing|worrying|bothering|doing|touching|changing|it|the\s+(?:effort|hassle|time))\b|"
    r"(?:i|we)\s+(?:wouldn'?t|won'?t|would\s+not)\s+(?:really\s+)?(?:fix|chase|touch|change)\s+(?:it|that|this)\b|"
    r"(?:nobody|no\s+one)\s+cares\b)",
    re.IGNORECASE,
)
# "Not just the reward model, also ...", "no doubt we should", "I wouldn't hesitate to"
# negate nothing.
_NOT_REALLY_NEGATION = re.compile(
    r"\bnot\s+(?:just|only|merely|simply)\b(?:\W+\w+){0,2}\W*$|\bno\s+matter\b|\bno\s+doubt\b|\bhesitate\b|"
    r"\bno\s+question\b|\bnot\s+(?:afraid|scared|shy)\b|"
    # "not as good as the classifier" compares; "tell it not to delete tests" instructs.
    r"\bnot\s+(?:as|so|quite\s+as)\s+\w+\s+(?:as|than)(?:\s+\w+){0,2}\s*$|"
    r"\b(?:tell|tells|told|ask|asks|asked|instruct\w*|remind\w*|train\w*|teach|teaches|warn\w*)\s+"
    r"(?:it|them|him|her|the\s+\w+)\s+(?:\w+\s+){0,4}?not\s+to(?:\s+\w+){0,2}\s*$|"
    # "no production credentials in the container": what is not placed there
    r"\bno\s+(?:[\w-]+\s+){1,3}(?:in|inside|within|into|from|of)(?:\s+(?:the|a|an|its|each|their))?(?:\s+[\w-]+)?\s*$|"
    r"\b(?:is|are|runs?|sits?|lives?)\s+(?:not|never)\s+inside(?:\s+(?:the|a|an|its|each))?\s*$|"
    # "... so the softmax doesn't saturate" names what is prevented.
    r"\bso\s+(?:that\s+)?(?:\w+\s+){0,3}(?:doesn'?t|don'?t|won'?t|can'?t|isn'?t|wouldn'?t)\s*$"
)
# A reason given after a negative clause is still a reason ("they don't have it, so ...").
_CONDITIONAL = re.compile(
    r"(?:^|[.,;:!?]\s*)(?:without|if\s+(?:we|you|i|they|it)\s+(?:didn'?t|don'?t|did\s+not|do\s+not|"
    r"had\s+no|have\s+no|skipped|dropped|removed))\s+(?:\w+\W+){0,5}$",
    re.IGNORECASE,
)


def turned_down(text: str, start: int, end: int) -> bool:
    """The words at [start, end) are negated or rejected within their clause.

    A negation of the whole clause ("I don't think we need ...", "I doubt ...") and a
    local one cancel out: "I don't think we should skip the KL penalty" keeps it."""
    before = text[max(0, start - 120) : start]
    clause = _CLAUSE_BREAK.split(before.lower())[-1]
    if _CONDITIONAL.search(clause) and _CONDITIONAL.search(before.lower()[-100:]):
        # "Without a KL penalty, the policy drifts" and "if we didn't scale, the scores
        # would grow" argue for the thing.
        return False
    if _NOT_HAVING.search(clause) and _NOT_AN_OPTION.match(text, end):
        # "Not having a held-out split isn't an option": kept.
        return False
    verb = _REJECT_BEFORE.search(clause)
    # "Skipping the slice eval was my call": what follows the copula is said of the
    # skipping, not skipped.
    rejected = (
        bool(
            verb
            and not _COPULA.search(clause, verb.end("verb"))
            # "I'd drop it and let the launch go ahead": the object was "it".
            and not _OBJECT_DONE.match(clause, verb.end("verb"))
            # "a test that every pair skipped raises": the pairs were skipped, not the raise
            and not _DESCRIBES_NOUN.search(clause, 0, verb.end("verb"))
            # "instead of static batches id do continuous batching": what comes after the
            # speaker's own new verb is what they do.
            and not _OWN_VERB.search(clause, verb.end("verb"))
        )
        or bool(_POINTLESS_GERUND.search(clause))
        or bool(_REJECT_AFTER.match(text, end))
        or bool(_REJECT_RESUMED.match(text, end))
        or bool(_LEAVE.search(clause) and _OUT_AFTER.match(text, end))
        # "I thought about raising, but exceptions in an eval loop are a pain"
        or bool(_CONSIDERED.search(before) and _BUT_THEN.match(text, end))
    )
    if _CLAUSE_NEGATION.search(clause):
        # "I don't think we need X" turns X down; "I don't think we should skip X" keeps it.
        return not rejected
    # ("No response reaches the user without the classifier": the match may hold the
    # "without" that the "no" before it belongs with.)
    if _DOUBLE_NEGATION.search(clause + text[start:end].lower()) or _NEGATED_AFTER.match(text, end):
        # "can't skip multi-turn", "no world where I don't use batching": kept. So is
        # "never serve a response the classifier hasn't seen": the first "never" belongs
        # to another verb.
        return False
    ws = _WORD.findall(clause)
    if _NO_CHANGE.search(clause) and (
        _CHANGE_AFTER.match(text, end) or _CHANGE_AFTER.match(" " + text[start:end])
    ):
        # "no statistically significant regression" is a condition: the regression is
        # what is absent, not the statistics or the regression check.
        return rejected
    window = ws[-_NEGATION_WINDOW:]
    if "or" in window or "nor" in window:
        # "I haven't read the RSP or the Constitutional AI paper": both are not read.
        window = ws[-2 * _NEGATION_WINDOW :]
    # "no, I'd commit": a "no" before the speaker's own subject answers; it negates nothing.
    # Nor does one before a verb said with its object ("no publish the weights, that's my
    # recommendation"): a "no" negates a thing, not an order.
    seq = [*ws, *_WORD.findall(text[start : end + _AFTER_NO].lower())[:2]]
    offset = len(ws) - len(window)

    def negates(i: int, w: str) -> bool:
        if not (w in NEGATORS or w.endswith("n't")):
            return False
        at = offset + i
        nxt, then = [*seq[at + 1 : at + 3], "", ""][:2]
        ordered = nxt in _VERDICT_VERBS and then in _OBJECTS and at + 1 == len(ws)
        return not (w == "no" and (nxt in _SUBJECTS or ordered))

    negated = any(negates(i, w) for i, w in enumerate(window))
    return rejected or (negated and not _NOT_REALLY_NEGATION.search(clause.rstrip()))


# Weighed and set aside: "I thought about X, but ...", "we considered X but".
_CONSIDERED = re.compile(
    r"\b(?:i|we)\s+(?:did\s+)?(?:thought\s+about|think\s+about|considered|consider|toyed\s+with|"
    r"looked\s+at|was\s+tempted\s+(?:by|to)|were\s+tempted\s+(?:by|to))\s+(?:\w+\W+){0,3}$",
    re.IGNORECASE,
)
_BUT_THEN = re.compile(r"[^.;!?]{0,40}?(?:,\s*|\s)(?:but|though|however)\b", re.IGNORECASE)
_DOUBLE_NEGATION = re.compile(
    r"\b(?:can'?t|cannot|couldn'?t|shouldn'?t|mustn'?t|wouldn'?t|won'?t|don'?t|never|not)\s+(?:\w+\s+)?"
    r"(?:skip|drop|ignore|avoid|remove|forget|leave\s+out|do\s+without|go\s+without|"
    r"(?:get|getting)\s+away\s+without|manage\s+without|live\s+without)\b|"
    r"\b(?:never|nothing)\s+(?:[\w']+\s+){0,5}?without\b|\bnot\s+(?:\w+\s+){0,6}?without\b|"
    # "I wouldn't ship that checkpoint without a red teaming pass", "I wouldn't start PPO
    # against a reward model I haven't scored on held-out comparisons"
    r"n'?t\s+(?:[\w-]+\s+){0,6}?without\b|\bno\s+[\w-]+\s+(?:[\w'-]+\s+){0,5}?without\b|"
    r"n'?t\s+(?:[\w-]+\s+){1,8}?(?:i|we)\s+(?:haven'?t|hasn'?t|didn'?t|have\s+not)\s+(?:\w+\s+){0,2}|"
    r"\bno\s+(?:way|world|chance|scenario)\s+(?:[\w']+\s+){0,6}?without\b|"
    r"\bno\s+(?:world|way|chance|scenario)\s+(?:where\s+|that\s+|in\s+which\s+)?(?:i|we|you)\s+"
    r"(?:don'?t|wouldn'?t|won'?t|do\s+not|would\s+not)\b",
)
_NEGATED_AFTER = re.compile(
    r"\s+(?:has|had|did|does|is|was|have)(?:n'?t|\s+not)\s+(?:already\s+|yet\s+)?(?:seen|checked|approved|"
    r"passed|cleared|scored|flagged|reviewed|read)\b",
    re.IGNORECASE,
)
_CLAUSE_NEGATION = re.compile(
    r"\b(?:i\s+)?(?:don'?t|do\s+not|didn'?t)\s+(?:really\s+)?(?:think|believe|see\s+why|feel)\b|"
    r"\bi\s+doubt\b|\bnot\s+convinced\b|\b(?:i'?m|i\s+am)\s+not\s+sure\s+(?:we|you|it)\b(?!\s+(?:can|could)\b)|"
    r"\bnot\s+(?:comfortable|happy|ok|okay|fine)\s+with\b|\buncomfortable\s+with\b|"
    r"\b(?:i'?m|i\s+am|i'?d\s+be|i\s+would\s+be)\s+against\b",
)
_NO_CHANGE = re.compile(
    r"\bno\s+(?:\w+ly\s+)?(?:(?:significant|measurable|meaningful|noticeable)\s+)?$"
)
_AFTER_NO = 20  # characters read past a match for the word after its first
# The verbs a verdict is given in, said as an order ("no, ship it").
_VERDICT_VERBS = frozenset(
    {"publish", "ship", "release", "hold", "launch", "escalate", "commit", "intervene", "ask"}
    | {"refuse", "block", "delay", "withhold", "wait", "open", "keep", "share", "flag", "pull"}
)
_OBJECTS = frozenset({"it", "them", "the", "this", "that", "now", "back"})
_SUBJECTS = frozenset({"i", "id", "i'd", "ill", "i'll", "im", "i'm", "i've", "we", "we'd", "we'll"})
_CHANGE_AFTER = re.compile(
    r"\s+(?:regressions?|differences?|changes?|drops?|gaps?|effects?|improvements?|increases?|"
    r"decreases?|degradation|shift)\b",
    re.IGNORECASE,
)
_OBJECT_DONE = re.compile(r"\W+(?:it|them|that|this|those)\b(?:\s+\w+){0,3}?,?\s+(?:and|then)\s")
_DESCRIBES_NOUN = re.compile(
    r"\b(?:every|each|all|any|the)\s+[a-z]+\s+(?:skipped|dropped|removed|ignored|avoided)$"
)
_OWN_VERB = re.compile(
    r"\b(?:i'?d|id|i'?ll|we'?d|we'?ll|(?:i|we)\s+(?:would|will|should))\s+(?:just\s+|probably\s+|rather\s+)?"
    r"(?:do|use|go\s+with|run|add|pick|take|switch\s+to|move\s+to|have)\b",
    re.IGNORECASE,
)
_COPULA = re.compile(r"\b(?:is|was|are|were)\b")
_NOT_HAVING = re.compile(
    r"(?:^|\W)(?:not\s+(?:having|using|doing|running)|without|skipping|dropping)\s+(?:\w+\W+){0,3}$"
)
_NOT_AN_OPTION = re.compile(
    r"[^.;!?]{0,40}?\b(?:(?:isn'?t|isnt|is\s+not|wasn'?t|was\s+not)\s+(?:an?\s+)?"
    r"(?:option|acceptable|ok|okay|possible|negotiable)|(?:is|would\s+be)\s+(?:out\s+of\s+the\s+question|"
    r"a\s+non-?starter|unacceptable))\b",
    re.IGNORECASE,
)

# "leave the KL penalty out", "take the classifier off the critical path", "leave the
# outbound network open", "leave spend per task uncapped": the control left undone.
_LEAVE = re.compile(
    r"\b(?:leave|leaving|keep|keeping|take|taking|rip|strip|cut)\b(?:\W+\w+){0,4}\W*$"
)
_OUT_AFTER = re.compile(
    r"\W*(?:out|off|away|(?:fully\s+|wide\s+|completely\s+)?(?:open|unrestricted|unlimited|uncapped|"
    r"unconstrained|unchecked|unmonitored))\b",
    re.IGNORECASE,
)
# A sentence that only turns down what the one before named: "KL penalty? Wouldn't bother."
BARE_REJECTION = re.compile(
    r"^\W*(?:(?:honestly|frankly|personally|tbh|so|but|nah|no|meh|eh)\W+)*(?:i\s+)?(?:wouldn'?t|won'?t|don'?t|do\s+not|would\s+not)\s+"
    r"(?:bother|need\s+(?:it|that|one|them)|use\s+(?:it|that|one|them)|go\s+there|"
    # "The mean moving with the batch size is float noise. I wouldn't worry about it."
    r"(?:worry|care)\s+(?:about\s+)?(?:it|that|them|this)(?:\s+(?:one|part|bit))?|"
    # "I wouldn't bother holding any back", "... keeping one around"
    r"bother\s+(?:with\s+)?\w+ing\s+(?:any|one|it|them|that)(?:\s+(?:back|around|aside|at\s+all))?)\W*$|"
    # "I'd honestly leave that one alone", "I left that part alone"
    r"^\W*(?:(?:honestly|frankly|personally|tbh|so|but|and)\W+)*(?:i'?d|i\s+would|we'?d|i|we)\s+"
    r"(?:\w+\s+)?(?:leave|left)\s+(?:it|that|them|this|that\s+(?:one|part|bit)|this\s+(?:one|part|bit))\s+"
    r"alone\b[^.!?]*[.!?]*\W*$|"
    r"^\W*(?:(?:honestly|frankly|personally|tbh|so|but)\W+)*"
    r"(?:(?:i'?d|i\s+would|we'?d|we\s+would)\s+(?:just\s+|probably\s+)?(?:leave|take)\s+(?:it|that|them)\s+out|"
    r"(?:i'?d|we'?d|i\s+would|we\s+would)\s+(?:just\s+|probably\s+)?(?:skip|drop)\s+(?:it|that|them))"
    # "I'd drop it entirely and let model judges do everything."
    r"(?:\s+(?:entirely|completely|altogether|for\s+now))?(?:\W*$|,?\s+and\s+(?:just\s+)?"
    r"(?:let|use|rely|go|put|have|do|trust)\b)|"
    r"^\W*(?:not\s+needed|no\s+need|overkill|skip\s+(?:it|that)|nah|pointless|not\s+worth\s+it|"
    r"not\s+worth\s+(?:chasing|fixing|the\s+(?:effort|hassle|time))|"
    r"(?:it'?s|that'?s)\s+(?:overkill|pointless|not\s+needed|unnecessary))\W*$",
    re.IGNORECASE,
)
