"""What stands beside a request and is not an answer: beside "I can't think of one", an
explanation of the missing story ("I'm usually the junior"); beside "give me a moment",
why the time is needed; beside "I don't know", the topic said aloud and its gist. These
are taken out before the rest of a turn is judged an answer (`meta.detect`)."""

from __future__ import annotations

import re

from .meta_phrases import Intent


def without_self_description(rest: str, intent: Intent | None = None) -> str:
    """Beside "I can't think of one", "I usually just do what the lead says" explains the
    missing story; it is not the story. Beside a missing story, so does a statement that
    nothing happened ("nothing like that ever came up", "I didn't notice"): a story that
    follows is told in clauses of its own."""
    parts = re.split(r"(?<=[.!?,;])\s+|\s+(?:so|but|because)\s+", rest)
    kept = [p for p in parts if not _SELF_DESCRIPTION.match(p) and not _REACTION.match(p)]
    if intent == "dont_know":
        kept = [p for p in kept if not _GIST.match(p)]
    if intent == "no_example":
        kept = [
            c
            for p in kept
            for c in re.split(r"\s+(?:and|or|which)\s+", p)
            if not _NOTHING_HAPPENED.search(c) and not _CAREER.match(c) and not _AS_A_RULE.search(c)
        ]
    return " ".join(kept)


def without_deliberation(rest: str) -> str:
    """Beside "give me a moment", "I have a couple in mind and want to pick the right one"
    says why the time is needed; beside "say that again", "I caught the reward model part
    but not the rest" says what was missed. Neither is an answer."""
    parts = re.split(r"(?<=[.!?,;])\s+|\s+(?:so|but|because)\s+", rest)
    return " ".join(
        p
        for p in parts
        if not _DELIBERATION.search(p) and not _REACTION.match(p) and not _WHAT_WAS_MISSED.search(p)
    )


_SELF_DESCRIPTION = re.compile(
    r"\W*(?:(?:and|honestly|tbh|maybe|to\s+be\s+honest)\W+)*"
    r"(?:(?:i|im|i'm|i\s+am|ive|i've)\s+(?:\w+\s+){0,2}?"
    r"(?:usually|tend|always|mostly|only|just|the\s+junior|a\s+junior|new|early)\b|"
    r"most\s+of\s+(?:my|our)\s+(?:work|time|career|projects?|experience)\b|"
    r"(?:like\s+)?most\s+of\s+(?:the\s+)?(?:stuff|things|work|projects?|what)\s+(?:i|we)\b|"
    r"at\s+(?:bootcamp|school|university|uni|college)\s+(?:we|i)\b|"
    r"(?:it'?s|it\s+is)\s+a\s+(?:big|large|small|huge)\s+(?:company|team|org)\b|"
    r"everything\s+(?:goes|went|was)\b|in\s+my\s+team\s+(?:was|is|we)\b|"
    r"my\s+(?:\w+\s+)?(?:models?|projects?|work)\s+(?:(?:were|was|are|have\s+been|have|has)\s+)?(?:always|usually|mostly|never|only|all|just)\b|"
    # "they just worked", "it simply did what it was told"
    r"(?:it|they|everything)\s+(?:just|always|simply)\s+(?:worked|did\s+what)\b|"
    r"in\s+my\s+(?:company|team|job|lab)\s+we\s+(?:don'?t|never|only|just)\b|"
    r"(?:it|everything|they)\s+(?:\w+\s+){0,2}?(?:always|mostly|all)\s+(?:went|gone|felt|been|behaved)\b|"
    # "Usually my manager decides", "Mostly I was fixing bugs", "I'm embarrassed to say it",
    # "My work has been on forecasting", "I worked in ad tech for four years",
    # "Everything I've trained was a toy model".
    r"(?:usually|mostly|always|normally|typically|generally|sincerely)\b|"
    r"(?:i'?m|i\s+am)\s+(?:\w+\s+){0,2}?(?:embarrassed|ashamed|afraid|sorry|nervous)\b|"
    r"my\s+(?:\w+\s+)?(?:work|job|career|experience|background|role|projects|models|tasks)\s+"
    r"(?:has\s+been|have\s+been|was|were|is|are|'s)\b|"
    # "I thought about this one before the interview": looked for, and not found
    r"i\s+(?:thought\s+about|looked\s+for|searched\s+for|went\s+through)\s+(?:this|that|it|one)\b|"
    r"(?:i|i'?ve|i\s+have)\s+(?:been\s+)?(?:worked|working|was|been)\s+(?:in|at|on|with)\b[^.,;]{0,40}\b(?:for|since)\s+(?:\w+\s+)?(?:years?|months?|\d{4})\b|"
    r"(?:everything|all|anything)\s+(?:i'?ve|i\s+have|i|we'?ve|we)\s+(?:\w+\s+)?(?:built|trained|done|worked\s+on|shipped|made)\b|"
    r"(?:all|most|everything)\s+(?:of\s+)?(?:the\s+)?(?:stuff|things|work|projects?)\s+(?:i|we)\b|"
    r"everything\s+else\s+(?:was|is|has\s+been|went)\b|(?:i\s+)?(?:already|just)\s+told\s+you\b|"
    r"there'?s\s+always\b|there\s+is\s+always\b|(?:i'?m|i\s+am)\s+(?:still\s+)?(?:trying|struggling)\s+to\b|"
    r"(?:i|i'?ve|i\s+have)\s+(?:\w+\s+)?(?:worked|work)\s+(?:in|at|on)\s+[\w\s-]{1,30}?\W*$|"
    r"(?:it|everything)\s+was\s+(?:all\s+)?(?:pretty\s+|quite\s+|fairly\s+|very\s+)?"
    r"(?:straightforward|smooth|simple|easy|fine|routine)\b|"
    # "laying things out on five hundred GPUs is not something I've ever done"
    r"[^.;!?]{0,80}?\b(?:is|was|are|were|'s)\s+not\s+(?:something|anything)\s+(?:i'?ve|i\s+have|i|we'?ve|we)\s+"
    r"(?:ever\s+|really\s+|actually\s+|personally\s+)*(?:done|seen|touched|worked\s+on|tried|built|"
    r"dealt\s+with|had\s+to\s+do|run|used)\b)",
    re.IGNORECASE,
)
# Beside "I can't tell you how", the topic said aloud while thinking ("the bottleneck...",
# "oh, GPU nondeterminism...") and the gist of it ("I know it rotates something", "I've
# heard it's a thing") are not an answer.
_GIST = re.compile(
    r"\W*(?:(?:oh|um|uh|hmm|well|so|and|yeah)\W+)*(?:"
    r"i\s+(?:know|remember)\s+(?:it|that|they|there'?s|there\s+is)\b[^.;]{0,40}$|"
    r"i(?:'ve|\s+have)\s+(?:\w+\s+)?heard\b|i\s+mean\b[^.;]{0,40}$|"
    # "I know the answer has a square root in it": the shape of an answer, not the answer
    r"i\s+(?:know|remember)\s+(?:that\s+)?(?:the\s+)?(?:answer|formula|result|solution|trick)\b[^.;]{0,60}$|"
    # "laying out four models on the cluster...": a thought trailing off
    r"(?:[\w'-]+\s+){0,9}[\w'-]+\s*(?:\.\.\.|\u2026)\s*$|"
    # "Which threshold exactly, I don't know", "The bottleneck, I'm not sure where it is":
    # the question said over, as a topic
    r"(?:which|what|the)\s+[\w-]+(?:\s+[\w-]+)?(?:\s+exactly)?\W*$|"
    # "I never had to set a number like this": what the speaker has not had to do
    r"(?:i|i'?ve|i\s+have)\s+never\s+(?:really\s+|actually\s+)?(?:had|needed|been\s+asked)\s+to\b[^.;]{0,60}$|"
    # "but I couldn't derive it", "I can't say": more of not knowing
    r"(?:but\s+)?(?:i|we)\s+(?:couldn'?t|can'?t|cannot)\s+(?:really\s+|actually\s+)?(?:derive|explain|say|tell|"
    r"remember|recall|work\s+(?:it|that|this)\s+out|figure\s+(?:it|that|this)\s+out)\b[^.;]{0,40}$)",
    re.IGNORECASE,
)
_NOTHING_HAPPENED = re.compile(
    r"\b(?:nothing|never|none|nobody|no\s+one)\b|\bnot\s+really\b|n'?t\s+really\b|"
    r"\b(?:didn'?t|did\s+not|didnt)\s+(?:\w+\s+)?(?:notice|happen|come\s+up|see)\b|"
    r"\b(?:wouldn'?t|would\s+not)\s+call\s+(?:it|that|this)\b|\blet\s+alone\b|"
    r"\bunless\s+you\s+count\b",
    re.IGNORECASE,
)
# "I joined my first team in March": where the speaker's career stands, said on its own.
_CAREER = re.compile(
    r"\W*(?:i|i'?ve|i\s+have)\s+(?:only\s+|just\s+|recently\s+)?(?:joined|started|graduated|finished|"
    r"switched|moved|been\s+(?:here|there|in\s+the\s+field|working))\b[^.;!?]{0,40}?\W*$|"
    # "Last year I was not working, I had a career break for my family"
    r"[^.;!?]{0,20}\b(?:i\s+)?(?:was\s+not|wasn'?t|wasnt)\s+working\b[^.;!?]{0,30}$|"
    r"[^.;!?]{0,20}\b(?:career\s+break|(?:took|had|on)\s+(?:a\s+)?(?:break|leave|time\s+off))\b[^.;!?]{0,40}$",
    re.IGNORECASE,
)
# Said of the question, not an answer to it: "Ooh, that's a tough one", "good question".
_REACTION = re.compile(
    r"\W*(?:(?:ooh|oh|hmm+|wow|okay|ok|right|well|so|gosh)\W+)*(?:(?:that'?s|it'?s|this\s+is|what)\s+a\s+"
    r"(?:\w+\s+)?(?:tough|hard|difficult|good|big|great|tricky|interesting)\s+(?:one|call|question)|"
    r"(?:good|great|interesting|tough|hard|fair)\s+question)\b",
    re.IGNORECASE,
)
_DELIBERATION = re.compile(
    r"\b(?:pick|choose|decide|select|find)\s+(?:\w+\s+){0,3}?(?:which|the\s+(?:best|right|better)|"
    r"between|one\s+of)\b|"
    r"\b(?:a\s+couple|a\s+few|several|two|three|some)\s+(?:\w+\s+){0,2}?(?:in\s+mind|candidates|options)\b|"
    # "Let me think about which one was actually the hardest"
    r"\b(?:think|figure\s+out|work\s+out)\s+(?:\w+\s+){0,3}?(?:which|whether)\b|"
    # how many there are to choose from: "there's a lot I'd change", "there were a few"
    r"\bthere(?:'?s|\s+is|\s+are|\s+were|\s+was)\s+(?:so\s+|quite\s+)?(?:a\s+lot|a\s+few|several|"
    r"many|too\s+many|plenty|lots)\b|"
    r"\b(?:don'?t|do\s+not)\s+want\s+to\s+(?:blurt|rush|ramble|get\s+it\s+wrong|answer\s+too)\b|"
    r"\b(?:say|put)\s+it\s+(?:properly|right|well|clearly)\b|"
    # "I'd rather get the numbers right than make them up"
    r"\b(?:get|have)\s+(?:it|this|that|them|the\s+\w+(?:\s+\w+)?)\s+right\b|"
    r"\bmake\s+(?:it|them|something|things|stuff|numbers?|\w+\s+numbers?)\s+up\b|"
    # what kept the speaker from hearing: "I was scribbling the GPU layout"
    r"\b(?:i\s+was|i\s+am|i'?m)\s+(?:still\s+|busy\s+)?(?:writing|scribbling|jotting|typing|taking\s+notes|"
    r"noting|drawing|sketching|reading|thinking\s+(?:about|of|through))\b",
    re.IGNORECASE,
)
# Beside a missing story, how things go as a rule is not a story: "everything I've led has
# basically shipped on time", "things have mostly gone okay", "I know I should have one".
_AS_A_RULE = re.compile(
    r"\b(?:everything|every\s+(?:project|launch|time)|all\s+of\s+(?:them|it)|things)\b"
    r"[^.;!?]{0,40}?\b(?:has|have|had|'ve|was|were|went|go|goes|gone|been|basically|mostly|"
    r"generally|always)\b|"
    r"\b(?:i\s+know\s+)?i\s+(?:really\s+)?should\s+(?:have|know)\s+(?:one|an?\s+\w+|something)\b",
    re.IGNORECASE,
)
# What a request to repeat says it missed: "I caught the reward model part but not the
# rest", "the part about the agent evals".
_WHAT_WAS_MISSED = re.compile(
    r"^\W*(?:(?:just|only|sorry)\W+)*(?:the\s+)?(?:part|bit|piece|half|end|beginning|start)\s+"
    r"(?:about|on|with|where|after|before|when)\b|"
    r"\b(?:i\s+)?(?:caught|heard|got|followed|understood)\s+(?:the\s+)?[^.;!?]{0,40}?"
    r"\b(?:part|bit|first\s+half|beginning|start)\b|"
    r"^\W*(?:not|but\s+not|missed)\s+the\s+(?:rest|end|(?:second|2nd|last)\s+half|last\s+(?:part|bit))\b|"
    # "only caught the words strongest case", "missed everything after seventy one percent"
    r"\b(?:only\s+)?caught\s+(?:the\s+)?words?\b|"
    r"\bmissed\s+(?:everything|anything|all|the\s+rest)\s+(?:after|before|from|past)\b",
    re.IGNORECASE,
)
