"""Sentences of an answer, and which of them are the candidate's own questions.

Spoken answers arrive from speech-to-text with little punctuation, so a question is found
by its shape as well as by its question mark: an interrogative word followed by the
inverted verb ("how many GPUs do we have", "is the model dense"), or an indirect request
("can you tell me", "I was wondering"). "What I would do is shard it" starts like a
question and is not one: after "what" or "how" comes a subject, not a verb.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .shorthand import as_read
from .unmarked import DOES_IT_MEAN, EMBEDDED, INVERTED_CHOICE, SO_DOES, THOSE

_SPLIT = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

_AUX = (
    r"(?:is|are|am|was|were|do|does|did|can|could|would|will|should|shall|may|might|must|has|have|"
    r"had|isn't|aren't|doesn't|don't|didn't|won't|wouldn't|can't|couldn't|shouldn't|hasn't|haven't)"
)
_QUESTION_SHAPES = re.compile(
    r"^(?:(?:and|so|ok|okay|right|sorry|also|then|but|um|uh|hmm+|hm|well|wait|oh|first|"
    # "yeah um what's the split ...", but not "yeah do you guys run ..." (which, unmarked
    # and uninvited, is as likely the speaker thinking aloud).
    r"(?:yeah|yes)(?=[,:\s]+(?:(?:um|uh|so|ok|okay)[,:\s]+)*(?:what|which|who|when|where|why|how)\b)|"
    r"actually|unrelated|btw|by\s+the\s+way|just\s+curious|out\s+of\s+curiosity|"
    r"quick (?:question|one)|random question|one more thing|one thing|"
    r"before\s+(?:i|we)\s+(?:\w+\s+)?\w+)[,:\s]+)*"
    # "Which is why the fix should be ...", "which is how it failed": a clause run on from
    # the sentence before, not a question.
    r"(?!which\s+(?:is|was)\s+(?:why|how|what|where|when|the\s+reason)\b)"
    r"(?:"
    rf"(?:what|which|who|whom|whose|when|where|why|how)(?:\s+(?:exactly|actually|really))?(?:'?s\b|'re\b|\s+{_AUX}\b)"
    r"|how\s+(?:many|much|long|often|big|large|fast|far|soon|old|exact|exactly|close|precise|accurate|strict)\b"
    # "what happens if both scores tie": not "what happens is that the queue fills"
    r"|what\s+(?:happens|happened)\s+(?:if|when|to|with|after|next|then|now|in)\b(?![^,.?]*\bis\s+(?:that|we|it)\b)"
    # "who approves the pull requests", "who actually reads the output"
    r"|who\s+(?:actually\s+|really\s+|usually\s+|normally\s+|else\s+)?(?!is\b|was\b|has\b|does\b|knows\b)[a-z]{3,}s\s+(?:the|this|that|it|these|those|our|your|a|an)\b"
    # "what learning rate would you use"; not "what it does is ..."
    r"|(?:what|which)\s+(?!(?:i|we|you|they|he|she|it)\b)\w+(?:\s+\w+)?\s+"
    r"(?:should|do|does|did|would|will|can|could|is|are)\s+(?:i|we|you|they|it)\b"
    # "what tools does the agent get", "which data do the raters see"; not "what we do is
    # the rollback" (a pronoun after "what" is the speaker's own clause).
    r"|(?:what|which)\s+(?!(?:i|we|you|they|he|she|it|the|this|that)\b)\w+(?:\s+\w+)?\s+"
    r"(?:do|does|did|should|would|will|can|could)\s+(?:the|this|that|our|your|each|every|a|an)\b"
    r"|(?:what|which)\s+(?:kind|sort|type|size|level|range|latency|budget|hardware|model|team|"
    r"data|scale|stage|stages|round|rounds|format|percentage|fraction|share|part)\b"
    # "which languages are the repos mostly in": "which" and its noun, then the verb before
    # the subject ("which is why ..." runs on from a statement and is set aside above).
    r"|which\s+(?!(?:i|we|you|they|he|she|it|is|was)\b)\w+(?:\s+\w+)?\s+(?:is|are|was|were)\s+"
    r"(?:the|this|that|these|those|our|your|their|its|my)\b"
    # "how cheap was it to strip the refusals", "how well does it hold up": any adjective or
    # adverb after "how", then the verb before its subject.
    r"|how\s+(?!(?:i|we|you|they|he|she|it|the|that|this)\b)[a-z]+\s+(?:is|are|was|were|does|do|did|would|will|can)\s+"
    r"(?:it|this|that|they|we|you|there|the|our|your|its|their)\b"
    r"|am\s+i\b|(?:is|are|was|were|can|could|would|will|should|shall|may|might|must|isn't|aren't|won't|"
    r"wouldn't|can't|couldn't|shouldn't)\s+(?:i|we|you|they|it|there|the|this|that|these|those|"
    r"our|your|my|his|her|their|a|an|any|users?|customers?|people|he|she|someone|somebody|"
    r"anyone|anybody|one|two|three|both|multiple|several)\b"
    # "what numpy version is installed", "which tools are available"
    r"|(?:what|which)\s+(?!(?:i|we|you|they|he|she|it|the|this|that)\b)\w+(?:\s+\w+)?\s+(?:is|are|was|were)\s+"
    r"(?:installed|available|used|supported|allowed|running|deployed|required|expected|enabled|pinned)\b"
    # "did red teaming find anything on the strong one": "does" and "did" open only
    # questions ("do" may give an order: "do the rollback first")
    r"|(?:does|did)\s+(?!not\b)[\w-]+\s+\w+"
    # "do the hidden tests also run on windows" (not "do the rollback first")
    r"|do\s+(?:the|these|those|all\s+the)\s+(?:[\w-]+\s+){0,2}?[\w-]+s\s+(?:also\s+|actually\s+|ever\s+|"
    r"still\s+|really\s+|all\s+)?(?:run|check|use|count|include|cover|have|need|get|see|expect|support|"
    r"test|allow|come|go|matter|care|know|share|apply|work|time\s+out)\b"
    r"|(?:do|does|did|don't|doesn't|didn't|has|hasn't|haven't)\s+(?:i|we|you|they|it|"
    r"there|he|she|users?|customers?|people|anyone|any|someone|somebody|anybody|my|our|your)\b"
    # "Have it ask, then." tells: after "have", "it" is no subject.
    r"|(?:have|had)\s+(?:i|we|you|they|there|he|she|users?|customers?|people|anyone|any)\b"
    r"|(?:does|doesn't|did|didn't|has|hasn't)\s+(?:the|this|that|our|your|a|an)\b"
    r"|(?:can|could|would)\s+you\s+(?:tell|say|share|explain|clarify|give)\b"
    r")",
    re.IGNORECASE,
)
_INDIRECT = re.compile(
    r"\b(?:i\s+(?:was|am|'m)\s+wondering|i'?d\s+(?:like|love)\s+to\s+know|i\s+would\s+(?:like|love)\s+to\s+know|"
    r"i\s+(?:really\s+|just\s+|also\s+)?want\s+to\s+know|i'?d\s+like\s+to\s+understand|"
    r"i'?d\s+love\s+(?:your|to\s+hear)|i\s+would\s+love\s+(?:your|to\s+hear)|"
    r"do\s+you\s+know|can\s+you\s+tell\s+me|could\s+you\s+tell\s+me|any\s+idea\s+(?:how|what|whether|if)|"
    r"is\s+there\s+any|curious\s+(?:about|whether|if|how|what))\b",
    re.IGNORECASE,
)
# "You answered what I was wondering about", "everything I was curious about": what was
# wondered about, said of the past, asks nothing now ("what I'm curious about is whether
# ..." still asks: `_ASKED_AFTER`).
_RELATIVE = re.compile(
    r"\b(?:what|everything|anything|all|most|things?|stuff)\s+(?:i(?:\s+(?:was|am|were)|'m)\s+)?$",
    re.IGNORECASE,
)
# "I'd want to know whether ...", "I'll need to understand how ...", "it would help to know
# which ...", "the thing I'd really want before deciding is how ...": what the speaker
# needs before going on, asked of the interviewer.
_NEEDS_TO_KNOW = re.compile(
    r"\b(?:(?:i|we)(?:'d|'ll|\s+would|\s+will)\s+(?:really\s+|first\s+|also\s+)?(?:want|need)\s+to\s+"
    r"(?:know|understand|find\s+out|pin\s+down|check)(?:\s+first)?|"
    r"it(?:'d|\s+would)\s+(?:really\s+)?help\s+(?:me\s+)?(?:a\s+lot\s+)?to\s+know|"
    r"(?:thing|one)\s+i'?d\s+(?:really\s+)?want(?:\s+to\s+know)?"
    r"(?:\s+(?:first|before\s+[a-z]+(?:\s+[a-z]+){0,2}))?\s+is)"
    r"(?=\s+(?:what|which|who|whose|when|where|why|how|whether|if)\b)",
    re.IGNORECASE,
)
# "I'll use scipy's softmax, unless that's a problem.", "I was going to multiprocess it,
# assuming that's allowed": a plan put up for the interviewer's leave asks for it. (An
# assumption about the case, "I'll assume H100s unless you tell me otherwise", is the
# speaker's own answer: see `own_questions`.)
_CHECKS_LEAVE = re.compile(
    r",?\s+(?:unless\s+(?:that'?s|that\s+is|it'?s|it\s+is)\s+(?:a\s+problem|an\s+issue|not\s+allowed|"
    r"against\s+the\s+rules|off\s+limits)|assuming\s+(?:that'?s|that\s+is|it'?s|it\s+is)\s+"
    r"(?:allowed|ok(?:ay)?|fine|permitted|possible))\W*$",
    re.IGNORECASE,
)
# "I'd need to know how often they get through before I could say": why the speaker is
# undecided, not a question put to the interviewer.
_UNDECIDED = re.compile(
    r"\bbefore\s+i\s+(?:could|can)\s+(?:really\s+)?(?:say|decide|pick|choose|answer|tell)\b", re.I
)
# "If the loop put me at L4 I'd want to understand why": what the speaker would want in a
# case supposed, not a question put now.
_SUPPOSED = re.compile(r"^\W*(?:(?:and|but|so|well)\W+)?(?:if|unless|should|were)\b", re.I)
_ASKED_AFTER = re.compile(r"(?:\s+(?:about|on))?\s*(?:(?:is|was)\b|:)", re.IGNORECASE)
# "Why? Because ..." and "right?" ask nothing of the interviewer.
_RHETORICAL = re.compile(
    r"^\W*(?:why|how|what|right|you know|so|ok|okay|no|yes|correct|makes sense|see|"
    r"what then|and then|why not|who knows|you see|isn't it|doesn't it|don't you think|"
    r"(?:does\s+(?:that|this)\s+)?makes?\s+sense|is\s+that\s+(?:ok|okay|fine|clear|right|reasonable)|"
    r"sound\s+(?:good|ok|okay|reasonable)|(?:shall|should)\s+i\s+(?:go\s+on|continue|keep\s+going)|"
    r"want\s+me\s+to\s+(?:go\s+(?:on|deeper)|continue)|(?:am\s+i\s+)?on\s+the\s+right\s+track|"
    r"does\s+that\s+answer\s+(?:it|your\s+question|the\s+question))\W*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str
    question: bool

    @property
    def words(self) -> list[str]:
        return _WORD.findall(self.text.lower())


def split(text: str) -> list[Sentence]:
    out: list[Sentence] = []
    for m in _SPLIT.finditer(text):
        raw = m.group(0)
        stripped = raw.strip()
        if not stripped:
            continue
        lead = len(raw) - len(raw.lstrip())
        start = m.start() + lead
        end = start + len(stripped)
        # "I'd start with the data, which is why I wanted to ask: is the cluster ours?"
        # The question after the cue is a sentence of its own.
        cue = ASK_CUE.search(text, start + 1, end)
        at = cue.start() if cue is not None else None
        if cue is None and (stop := _INTERRUPTION.search(text, start + 1, end)) is not None:
            at = stop.end()  # "hold on," stays with what it interrupted
        if at is not None and words(text[start:at]):
            head = text[start:at].rstrip(" ,;:-")
            out.append(Sentence(start, start + len(head), head, is_question(head)))
            start = at
            stripped = text[start:end]
        out.append(Sentence(start, end, stripped, is_question(stripped)))
    return out


# The speaker stops their own answer to ask: "SFT, reward model, then PPO, but hold on,
# do I even have demonstration data?" The question is a sentence of its own.
_INTERRUPTION = re.compile(
    r"\b(?:(?:but|oh|oh\s+wait|actually)\s+)?(?:hold\s+on|hang\s+on|wait(?:\s+a\s+(?:sec|second|minute))?)"
    r"\s*[,:;-]+\s*(?=(?:do|does|did|is|are|am|was|were|can|could|will|would|should|what|how|"
    r"which|who|where|when|whether)\b)",
    re.IGNORECASE,
)


# Asking the interviewer, said before the question: "can I ask: is there ...?", "which is
# why I wanted to ask, do we ...". Not "I'd want to ask the user why".
ASK_CUE = re.compile(
    r"\b(?:(?:which\s+is\s+(?:actually\s+|exactly\s+)?why\s+)?i\s+(?:want(?:ed)?|need(?:ed)?|would\s+like|'d\s+like)\s+to\s+ask"
    r"|(?:which\s+)?makes\s+me\s+want\s+to\s+ask|(?:can|could|may)\s+i\s+ask|let\s+me\s+ask"
    r"|(?:one\s+|a\s+)?quick\s+question|my\s+question\s+is"
    # "just so i know what i'm working with, is there already a classifier"
    r"|just\s+so\s+i\s+know(?:\s+what\s+i'?m\s+(?:working\s+with|dealing\s+with|up\s+against))?)"
    r"(?=\s*(?:you\b|[:,\-]|(?:is|are|do|does|did|can|could|will|would|how|what|which|who|when|where|whether|if)\b))",
    re.IGNORECASE,
)


# The interviewer's line that hands the floor over for the candidate's questions, and asks
# nothing else ("Before you start: any questions, and how do you plan to approach it?"
# also asks for a plan).
INVITES_QUESTIONS = re.compile(
    r"(?:what\s+(?:other\s+)?questions\s+do\s+you\s+have|what\s+would\s+you\s+like\s+to\s+(?:ask|know)|"
    r"do\s+you\s+have\s+any\s+(?:other\s+|more\s+)?questions|any\s+(?:other\s+|more\s+)?questions)"
    r"(?:\s+(?:for\s+)?(?:me|us))?\s*\?\s*$",
    re.IGNORECASE,
)
# What asks for a word's meaning, whatever else the sentence says ("when you say release,
# do you mean open weights?"), and the readings offered with the asking.
STRONG_TERM_CUE = re.compile(
    r"\bmean\b|\bmeaning\b|^\W*define\b|\bdefinition\b|\bnever heard\b|\bhaven't heard\b|"
    r"(?:^|[\s(])['\"‘“][a-z][^'\"’”]{1,40}['\"’”](?=[\s,.?!:;)]|$)|"
    r"\bterm\b|\bword\b|\bphrase\b|\bsame\s+(?:thing\s+)?as\b|"
    r"\bwhen\s+(?:you|u|ppl|people|they)\s+say\b|\bwhat\s+means\b|\b\w+\s+how\W*\?\W*$|"
    r"\bin\s+what\s+(?:sense|way|respect)\b|\bas\s+in\b[^.!?]{1,80}\bor\b|\s=\s|\w=\w|"
    r"\bwhat(?:'?s|\s+is|\s+are)\s+(?:it|that|they|this|those|an?\s+[^.!?]{1,40}?)\s+exactly\b|"
    # ("heard the name" is `questions._ONLY_THE_NAME`, read over the whole turn)
    r"\bfamiliar\s+with\s+(?:the|that|this)\s+name\b|"
    r"^\W*[\w'-]+(?:\s+[\w'-]+){0,3}\s+means\s+[^.!?]{2,80}\?|\btalking\s+about\s+here\b|"
    # "concentration as in power sitting with a few companies?", "are you getting at ..."
    r"\bas\s+in\b[^.!?]{1,80}\?|\b(?:are|were)\s+you\s+getting\s+at\b|"
    # "Sorry, tracemalloc, what is that?": the term named, then asked after
    r"^\W*(?:(?:sorry|um|uh|so|wait)\W+)*[\w'-]+(?:\s+[\w'-]+)?\s*,\s*what(?:'?s|\s+is)\s+(?:that|it)\W*\?\W*$",
    re.IGNORECASE,
)
# Readings offered with the asking: "X as in A, or as in B", "in what sense", "X = Y?".
OFFERS_READINGS = re.compile(
    r"\bas\s+in\b[^.!?]{1,80}\bor\b|\bin\s+what\s+(?:sense|way|respect)\b|\s=\s|\w=\w|"
    r"\b(?:do|did)\s+(?:you|u)\s+mean\b[^.!?]{1,80}\bor\b|"
    r"\bby\s+[^.!?,]{1,40}\s(?:you|u)\s+mean\b[^.!?]{1,80}\bor\b|"
    # "when you say one campaign you mean the same actor, right, not just ...", "zero as in
    # the deepspeed thing, right", "which one do you mean"
    r"\b(?:when\s+(?:you|u)\s+say|by)\b[^.!?]{1,60}?\b(?:you|u)\s+mean\b[^.!?]{1,100}"
    r"\b(?:right|rather\s+than|not\s+just|instead\s+of)\b|"
    r"\bas\s+in\b[^.!?]{1,80}\bright\b|\bwhich\s+(?:one|of\s+(?:those|these|the\s+two))\s+do\s+(?:you|u)\s+mean\b",
    re.IGNORECASE,
)
# Put to the interviewer, question mark or not: "um yeah do you guys sponsor visas".
PUT_TO_YOU = re.compile(
    r"^\W*(?:(?:um+|uh+|yeah|yes|ok|okay|so|and|well|also|oh|right|sure|actually)\W+)*"
    r"(?:do|does|did|can|could|is|are|will|would|how|what|which|who|where|when)\s+"
    r"(?:you|you\s+guys|y'?all|we|i|they|there|the|your|our|this|that|it)\b",
    re.IGNORECASE,
)


# A question that starts mid-sentence, as speech runs on: "okay so first thing whats the
# target for time to first token". Not after words that embed it in a statement
# ("it depends on how many users we have", "I know what the budget is").
_INNER_QUESTION = re.compile(
    r"(?:^|,|\bso\b|\band\b|\blike\b|\bthing\b|\bokay\b|\bok\b|\bquestion\b|\bbut\b|"
    r"\bstart\b|\bfirst\b|\bquickly\b|\bwondering\b|\bwait\b|\bhm+\b|\bgoing\b|\bthough\b|\bin\b|"
    # "in production does this run on a gpu box": a place or time said first
    r"^\W*(?:in|on|at|for|during)\s+(?:the\s+)?[a-z]+)\s*"
    r"(?:(?:actually|oh|also|and|uh+|um+)\s+)*"
    r"(?:what'?s\s+(?:the|our|your|a|an)\b|what\s+(?:is|are|do|does|would|will|should)\s+"
    r"(?:the|our|your|we|you|they|users|customers|people)\b|"
    # "..., actually what load balancer do you run": "what" or "which" and its noun, then
    # the verb before the subject
    r"(?:what|which)\s+(?!(?:i|we|you|they|he|she|it|the|this|that)\b)\w+(?:\s+\w+)?\s+"
    r"(?:do|does|did|would|will|should|can|could)\s+(?:you|we|they|the|our|your)\b|"
    # "..., who actually has the final say": who, then what the person does
    r"who\s+(?:actually\s+|really\s+|else\s+)?(?:has|gets|decides|owns|makes|signs|approves|reads|"
    r"calls|holds)\s+(?:the|this|that|it|these|those|our|your|a|an|final)\b|"
    # "busy but getting nowhere, like what does that look like"
    r"what\s+(?:does|would|will)\s+(?:that|this|it)\s+(?:look|mean|involve|cover|include)\b|"
    r"how\s+(?:many|much|long|often|big|fast)\s+"
    r"\w+\s+(?:do|does|is|are|will|would|can|should)\b|is\s+there\b|are\s+there\b|"
    r"how\s+(?:many|much|long|often|big|large|fast)\s+(?:is|are|was|does|do|did|will|would|can|should)\s+"
    r"(?:the|our|your|this|that|it|we|you|they|there)\b|"
    # "the api side do those callers get the same target": a noun or two, then the verb
    r"do\s+(?:those|these|the)\s+(?:[a-z]+\s+){1,2}?(?:get|have|need|see|use|expect|want|care|know|run|"
    r"cover|include|count|support|work|test|check|ship|allow)\b|"
    r"do\s+(?:we|you|they)\s+(?:have|know|need|get|expect|care|want|use)\b|"
    r"does\s+(?:the|it|this|that)\b|"
    r"can\s+(?:i|we)\s+(?:just\s+)?(?:assume|use|ask|get|have|buy|do|give|talk|pick|choose|skip)\b|"
    r"should\s+(?:i|we)\s+(?:start|assume|go|use|cover|focus)\b|"
    r"or\s+(?:is|are|was|do|does|will|would|should|can)\s+(?:it|there|we|you|they|i)\b|"
    # "sorry, one thing first, is our cloud account on AWS": a question let in
    r"(?:one\s+thing\s+first|sorry|quick\s+one)\s*,\s*(?:is|are|do|does|can|will|would|should)\s+"
    r"(?:our|your|the|we|you|it|there|this|that)\b)",
    re.IGNORECASE,
)
# Said with a rising tone, not asked: "I think I would escalate?"
_UPTALK = re.compile(
    r"^\W*(?:(?:um|uh|so|well|hmm|yeah|ok|okay|sorry)\W+)*"
    # "I don't know, I guess you could have people compare them?": a guess after the request
    r"(?:(?:i\s+)?(?:don'?t|do\s+not)\s+(?:really\s+)?know|(?:i'?m\s+)?not\s+(?:really\s+)?sure|no\s+idea)?\W*"
    r"(?:i\s+(?:think|guess|would|feel|believe|suppose)|"
    r"i'?d\s+(?:say|go|probably|lean|rather)|maybe|probably|probly|perhaps|my\s+guess|"
    r"(?:i'?m\s+|i\s+am\s+)?not\s+(?:really\s+)?sure\s+(?:i|we|that|if|it))\b",
    re.IGNORECASE,
)
# A question echoed and answered at once: "What should have caught it: a slice eval",
# "what was I on the hook for, I mean the gate was mine".
_ECHOED = re.compile(
    r"^\W*(?:so\W+|and\W+)?(?:what|which|who|why|how|where|when)\b[^:?]{3,80}?"
    r"(?::|,?\s+i\s+mean\b,?)\s*(?:\w+\W+){2,}\w+\W*$",
    re.IGNORECASE,
)
# An answer said with a rising tone: a bare action or a gerund, not a request
# ("Use a bigger GPU?", "look for odd commands in the logs?", "escalating?").
_PROPOSED = re.compile(
    r"^\W*(?:(?:um|uh|so|well|hmm|just|then|and)\W+)*(?:"
    r"use|add|look|check|run|rerun|re-run|flag|try|log|monitor|track|compare|retrain|roll|"
    r"block|filter|cap|limit|shard|cache|measure|sample|escalate|alert|page|watch|train|"
    r"lower|raise|increase|decrease|reduce|drop|remove|rate-limit|quarantine|revert|"
    r"scan|audit|cluster|count|split|swap|switch|throw|fall|restart|stop|kill|"
    r"(?!(?:any|some|no|every)thing\b)(?!during\b|morning\b|evening\b|nothing\b)"
    # "Just checking, am I allowed ...?" asks.
    r"(?!(?:checking|wondering|asking)\b)[a-z]{3,}ing)\b",
    re.IGNORECASE,
)
# Quoted, not asked: 'something like: "can you tell me what it's for?"'
_QUOTED = re.compile(
    # (not one quoted word: "is it okay if I say 'we' a lot?" names a word, it quotes no one)
    r"(?:\blike|\bsay|\bsays|\bsaying|\bask|\basks|\basking|\breply|\brespond)\s*(?::|,?\s*[\"“'‘])"
    r"(?![\w-]+[\"”'’](?:\W|$))\s*\w"
    r"|[\"“][^\"”]*\?\s*[\"”]"
    # "the model should ask the user: what are these details for?"
    r"|\b(?:ask|asks|asking|tell|tells|say|says)\s+(?:the\s+\w+|them|him|her|users?)\s*:\s*\w",
    re.IGNORECASE,
)
_REQUEST = re.compile(
    r"^\W*(?:(?:so|and|ok|okay|please)\W+)*(?:tell|remind|show|walk)\s+me\s+"
    r"(?:about|what|how|which|who|when|where|if|whether|again|more)\b",
    re.IGNORECASE,
)


def normalise(text: str) -> str:
    """Typographic apostrophes as plain ones, so that phrases match either, and the
    commonest transposed letters of fast typing ("teh", "adn") set right. Every change
    keeps the length, so offsets into the turn stay valid."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return _TRANSPOSED.sub(lambda m: _TRANSPOSITIONS[m.group(0).lower()], text)


# Same length on both sides: evidence spans are offsets into what the candidate typed.
_TRANSPOSITIONS = {
    "teh": "the",
    "hte": "the",
    "adn": "and",
    "taht": "that",
    "waht": "what",
    "whta": "what",
    "jsut": "just",
    "wiht": "with",
    "thier": "their",
    "becuase": "because",
    "modle": "model",
}
_TRANSPOSED = re.compile(r"\b(?:" + "|".join(_TRANSPOSITIONS) + r")\b", re.IGNORECASE)


def is_question(sentence: str) -> bool:
    s = normalise(sentence.strip())
    s = as_read(s)
    cue = ASK_CUE.match(s)
    if cue is not None and len(words(s[cue.end() :])) >= 2:
        return True  # "can I ask: is the cluster ours?"
    if _RHETORICAL.match(s) or _QUOTED.search(s):
        return False
    if any(
        not _RELATIVE.search(s[: m.start()]) or _ASKED_AFTER.match(s, m.end())
        for m in _INDIRECT.finditer(s)
    ) or any(
        not _UNDECIDED.search(s, m.end()) and not _SUPPOSED.search(s, 0, m.start())
        for m in _NEEDS_TO_KNOW.finditer(s)
    ):
        return True
    if _REQUEST.match(s) or _CHECKS_LEAVE.search(s):
        return True
    if _UPTALK.match(s) or (_ECHOED.match(s) and not s.endswith("?")):
        return False
    if s.endswith("?") and _PROPOSED.match(s) and len(words(s)) >= 2:
        return False
    if s.endswith("?"):
        return True
    if _QUESTION_SHAPES.match(s):
        return True
    # "if one goes up, so does the other" says "also"; it asks nothing.
    s = SO_DOES.sub("", s)
    inner = [
        *_INNER_QUESTION.finditer(s),
        *THOSE.finditer(s),
        *DOES_IT_MEAN.finditer(s),
        *INVERTED_CHOICE.finditer(s),
    ]
    return any(not EMBEDDED.search(s[: m.start()]) for m in inner)


# "..., right?" and "..., yes?" check a claim rather than ask for something.
_TAG = re.compile(
    r",?\s*(?:right|yeah|yes|no|correct|ok|okay|isn't\s+it|aren't\s+they|don't\s+you\s+think|"
    r"you\s+know)\W*\?\W*$",
    re.IGNORECASE,
)


def is_tag_question(sentence: str) -> bool:
    return bool(_TAG.search(sentence)) and len(words(sentence)) > 3


def is_topic(sentence: str) -> bool:
    """A few words with a question mark and no question shape: "Classifier timeout?" said
    before the speaker's own answer ("Fail open.") names the topic; it asks nothing."""
    s = normalise(sentence.strip())
    ws = words(s)
    return (
        s.endswith("?")
        and 0 < len(ws) <= _TOPIC_WORDS
        # ("The GPUs have eighty gigabytes, yes?" checks a claim: it has its verb)
        and (len(ws) <= _BARE_TOPIC_WORDS or not (set(ws) & _AUX_WORDS or _TAG.search(s)))
        and ws[0] not in _WH
        # "Is scipy available?": a verb before its subject asks yes or no.
        and ws[0] not in _AUX_WORDS
        and not _QUESTION_SHAPES.match(s)
        and not _INDIRECT.search(s)
        and not _NEEDS_TO_KNOW.search(s)
        and not _ASKS_LEAVE.search(s)
    )


# "Classifier down at peak? Serve anyway.": a topic said back can take a few words.
_TOPIC_WORDS = 6
_BARE_TOPIC_WORDS = 3
_WH = frozenset(["what", "which", "who", "whom", "whose", "when", "where", "why", "how"])
_AUX_WORDS = frozenset(re.findall(r"[a-z']+", _AUX))
# "Hypothetical okay?", "notes fine?" ask for leave; they are questions.
_ASKS_LEAVE = re.compile(
    r"\b(?:ok|okay|fine|allowed|alright|possible|right|good|enough|too)\b", re.IGNORECASE
)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


_PARTICLES = frozenset({"back", "off", "down", "out"})
_OBJECT = (
    r"(?:it|them|this|that|these|those|everything|something|anything|all|"
    r"(?:the|a|an|our|their|its|my|your|his|her|every|each)(?:\s+[\w'-]+){1,2}?)"
)


def phrase_regex(phrase: str, plural: bool = False, loose: bool = False) -> re.Pattern[str]:
    """A phrase as a whole-word, case-insensitive regex. Typed and transcribed answers drop
    apostrophes ("dont", "im"), so an apostrophe in the phrase is optional; `plural` also
    matches a trailing s/es ("GPU" finds "GPUs")."""
    parts = [re.escape(w).replace("'", "'?") for w in phrase.lower().split()]
    if len(parts) == 2 and parts[1] in _PARTICLES and parts[0].isalpha():
        # A phrasal verb takes its object inside and its tenses: "roll back" is said as
        # "roll it back", "rolled everything back", "switching the feature off".
        verb = parts[0] + r"(?:s|es|ed|d|ing|" + parts[0][-1:] + r"ed|" + parts[0][-1:] + r"ing)?"
        # The object is a pronoun or a noun phrase that starts with a determiner: not
        # "the weights are out" for "weights out".
        return re.compile(rf"\b{verb}(?:\s+{_OBJECT}\s+|[\s-]+){parts[1]}\b", re.IGNORECASE)
    # "the one we can actually trace" is "the one we can trace": an intensifier said
    # between a phrase's words changes nothing (a negation would, and is not let in).
    # (`loose`: for a scenario's signals; a fact's phrases keep their exact words.)
    gap = r"[\s,-]+"
    if loose and len(parts) >= 3:
        gap += r"(?:(?:actually|really|still|just|even|also|honestly)\s+)?"
    body = gap.join(parts)
    # Whole words only; a phrase that ends in punctuation cannot use a trailing \b.
    lead = r"\b" if phrase[:1].isalnum() else ""
    tail = (r"(?:s|es)?\b" if plural else r"\b") if phrase[-1:].isalnum() else ""
    return re.compile(lead + body + tail, re.IGNORECASE)
