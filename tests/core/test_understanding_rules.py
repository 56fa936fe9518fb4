"""General listening rules, one by one, on a lexicon built in the test: requests and what
stands around them, how far a rejection reaches, questions after "can I ask", things no
fact has a word for, and a torn answer that settles."""

from __future__ import annotations

import pytest

from interviewer.answer_types import KIND_EVIDENCE
from interviewer.answer_types import gives as answer_gives
from interviewer.meta_phrases import find
from interviewer.questions import Asking
from interviewer.sentences import INVITES_QUESTIONS, is_question, normalise, phrase_regex, split
from interviewer.understanding import Lexicon, Understanding

SIGNALS: dict[str, tuple[list[str], list[str]]] = {
    "cache": (["kv cache", "key value cache", "paged attention"], []),
    "kl": (["kl penalty", "reference model"], []),
    "sandbox": (["sandbox", "container"], []),
    # (the pattern may span "response ... without the classifier", as in a scenario)
    "classifier": (["output classifier"], [r"\b(?:response)s?\b[^.,;:!?]{0,40}\bclassif\w*"]),
    "fail_closed": (["fail closed"], [r"(?P<rejected>\bfail(?:s|ing)?[- ]open\b)"]),
    "ownership": (["my call", "my decision"], []),
    "human_eval": (["human eval", "slow"], []),
    "ship": (["ship it", "release it", "releasing"], []),
    "hold": (["hold it back"], []),
    "eval": (["eval", "evals", "benchmark"], []),
}
FACTS = [
    ("gpus", ["GPUs", "GPU memory", "memory"]),
    ("model", ["base model", "model size", "parameters"]),
    ("traffic", ["traffic", "peak", "requests per second"]),
    ("overview", ["can I ask", "requirements"]),
    ("onsite", ["the onsite", "onsite"]),
]


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return Lexicon(SIGNALS, (["ship"], ["hold"], []), [], Asking(facts=FACTS))


def read(lex: Lexicon, text: str) -> Understanding:
    return lex.understand(text)


# -- requests, and what stands around them ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # what is not known is named after the request, to the end of its clause
        ("no idea how you'd lay out a paged attention cache across 512 GPUs tbh", "dont_know"),
        ("I don't know which of the models has to stay in memory.", "dont_know"),
        # an answer that starts inside the run-on sentence is still an answer
        ("not sure what the split is id use a kv cache with paged attention", None),
        # never having done it names the topic
        ("dunno. havent worked w a kv cache", "dont_know"),
        ("I've never built anything like a sandbox, so I couldn't tell you.", "dont_know"),
        ("I've never run this at scale, but I'd put a kv cache in front of every replica.", None),
        # more ways of not knowing
        ("idk tbh", "dont_know"),
        ("Haven't a clue, sorry.", "dont_know"),
        ("I used to know this. It's gone.", "dont_know"),
        # what the speaker has never done, said as "not something I've done", is no answer
        (
            "Sharding a kv cache over a cluster is not something I've ever done. So I "
            "genuinely don't know where the paged attention blocks would go.",
            "dont_know",
        ),
        (
            "Sharding is not something I've done, but I'd put a kv cache on every replica.",
            None,
        ),
        # a negative does not reach past a new subject with its own verb
        ("i wouldnt bother with tooling i'd just read the code and fix it", None),
        ("I wouldn't know, I've never read the code.", "dont_know"),
    ],
)
def test_not_knowing_and_its_topic(lex: Lexicon, text: str, intent: str | None) -> None:
    assert read(lex, text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Coming up empty, sorry.", "no_example"),
        ("Honestly there's nothing I'm really proud of.", "no_example"),
        ("I've only had the one real project, so I don't have a second one.", "no_example"),
        ("I don't think that has ever happened to me.", "no_example"),
        # explanations of the missing story are not a story
        (
            "Nothing comes to mind. My work has been on batch reports, and nothing I built "
            "ever touched a customer, let alone raised a hard question.",
            "no_example",
        ),
        (
            "Can't think of one, I worked in BI for five years and nothing like that came up.",
            "no_example",
        ),
        ("I joined my first team in March and haven't had a failure yet.", "no_example"),
        # a story that follows is told in clauses of its own
        (
            "Nothing dramatic, but there was one: our eval missed Spanish slurs, and I caught "
            "it in a sample review and rebuilt the benchmark.",
            None,
        ),
    ],
)
def test_no_story_and_what_explains_it(lex: Lexicon, text: str, intent: str | None) -> None:
    assert read(lex, text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Moment.", "need_time"),
        ("Wait a little, I want to put my ideas in order.", "need_time"),
        ("May I take a short pause?", "need_time"),
        ("Can I sit with it for a second?", "need_time"),
        ("Please give me a short moment.", "need_time"),
        # why the time is needed is not an answer
        (
            "I have a couple in mind and want to pick the right one, so give me a moment.",
            "need_time",
        ),
        # "a second" that counts is not time
        ("Hmm, a second one that went less smoothly.", None),
        ("Give me a second. I'd put a kv cache in front of every replica.", None),
    ],
)
def test_asking_for_time(lex: Lexicon, text: str, intent: str | None) -> None:
    assert read(lex, text).intent == intent


def test_asking_for_time_in_a_question_that_names_a_fact_is_still_time(lex: Lexicon) -> None:
    u = read(lex, "Can I take half a minute to decide which GPUs story to tell?")
    assert u.intent == "need_time"


def test_a_short_question_a_fact_answers_is_asked_not_a_request_to_repeat(lex: Lexicon) -> None:
    u = read(lex, "Peak traffic?")
    assert u.intent is None and u.asked == ("traffic",)


# -- how far a rejection reaches -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label", "credited"),
    [
        # the rejection covers the rest of what it names
        ("I would not include a KL penalty against the reference model.", "kl", False),
        ("I wouldn't add paged attention or a key value cache.", "cache", False),
        # and the rest of its sentence, unless the sentence turns
        ("I'd skip human eval entirely, way too slow.", "human_eval", False),
        ("No kv cache per request, but a shared kv cache across requests.", "cache", True),
        # after "was", the words are said of the skipping, not skipped
        ("Skipping the load test was my call.", "ownership", True),
        # discomfort and "against" turn down what follows
        ("I'm not comfortable with releasing it tomorrow.", "ship", False),
        # going without it is no option: kept
        ("Running without a sandbox is not an option.", "sandbox", True),
        ("A sandbox would be a mistake here.", "sandbox", False),
        # words that name the turned-down form of a signal
        ("If the classifier is down, fail open.", "fail_closed", False),
        ("I would never fail open.", "fail_closed", True),
        # the reason for leaving it out may name it again, negated
        (
            "I didn't add a sandbox, the hosts are locked down so a container won't help.",
            "sandbox",
            False,
        ),
        # weighed and set aside
        ("I thought about a kv cache, but it's memory we don't have.", "cache", False),
        ("I thought about it and I'd keep the kv cache.", "cache", True),
        # a cost said as complexity
        ("Paged attention is a lot of allocator complexity for this traffic.", "cache", False),
        # "wouldn't ... without" keeps it, and "wouldn't ... that I haven't ..." does too
        ("I wouldn't ship that checkpoint without a sandbox around it.", "sandbox", True),
        ("I wouldn't launch anything I haven't put behind a sandbox.", "sandbox", True),
        # turned down after its reason, and not named again in what is done instead
        (
            "a sandbox per task is a lot of disk every time so i'd skip that and just run "
            "it in a container",
            "sandbox",
            False,
        ),
        ("I would not drop the kv cache at peak.", "cache", True),
        # named first, then dropped after an aside
        ("The reference model, honestly, I'd get rid of it.", "kl", False),
        # "not ... without", however far apart
        ("I would not let any task run six hours without a sandbox.", "sandbox", True),
        # out of scope, said with "'s"
        ("The sandbox's out of scope for this design.", "sandbox", False),
    ],
)
def test_how_far_a_rejection_reaches(lex: Lexicon, text: str, label: str, credited: bool) -> None:
    assert (label in read(lex, text).labels) is credited


def test_a_named_rejection_is_recorded_as_rejected(lex: Lexicon) -> None:
    u = read(lex, "Classifier timeout? Fail open.")
    assert "fail_closed" in [m.label for m in u.rejected]
    assert u.asked == (), "a topic named before the speaker's own answer asks nothing"


# -- questions ------------------------------------------------------------------------


def test_a_question_after_can_i_ask_is_a_sentence_of_its_own(lex: Lexicon) -> None:
    text = "I'd start with a kv cache, which is why I wanted to ask: what's the peak traffic?"
    sentences = split(text)
    assert [s.question for s in sentences] == [False, True]
    u = read(lex, text)
    assert u.asked == ("traffic",), "the cue itself is not what is asked about"
    assert "cache" in u.labels


def test_what_someone_else_is_asked_is_quoted(lex: Lexicon) -> None:
    assert not split("The model should ask the user: what are these details for?")[0].question


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("What's the dress code at the onsite?", ""),
        ("What's the tokenizer vocabulary of the base model?", ""),
        ("What's the size of the base model?", "model"),
        ("What's the memory on each GPU?", "gpus"),
    ],
)
def test_a_thing_no_fact_has_a_word_for(lex: Lexicon, text: str, fact: str) -> None:
    assert read(lex, text).asked == (fact,)


# -- stance ---------------------------------------------------------------------------


def test_a_torn_answer_settles_where_the_speaker_lands(lex: Lexicon) -> None:
    u = read(lex, "I keep going back and forth, but where I land is to hold it back for now.")
    assert "stance.against" in u.labels


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # someone else knew it: the whole clause explains
        ("I'm not really sure. The kv cache was managed by another team.", "dont_know"),
        ("Honestly, a separate team owned all of that.", "dont_know"),
        # a reaction to the question is not an answer to it
        ("That's a tough one. Let me mull it over.", "need_time"),
        # reasons that conclude there is no story
        (
            "Every release I owned shipped on time and held up, so I'd struggle to name a failure.",
            "no_example",
        ),
        (
            "Closest was a batch job I wrote that dropped rows; I found it from a complaint and "
            "added checks, so I don't have a bigger one than that.",
            None,
        ),
    ],
)
def test_explanations_and_reactions_around_a_request(
    lex: Lexicon, text: str, intent: str | None
) -> None:
    assert read(lex, text).intent == intent


@pytest.mark.parametrize(
    ("text", "label", "credited"),
    [
        ("I'd hold off on the sandbox until the beta.", "sandbox", False),
        ("A kv cache feels like premature optimisation here.", "cache", False),
        ("The sandbox sounds nice in theory.", "sandbox", False),
        ("There's no way I'd ship without an output classifier.", "classifier", True),
        ("Never return a response the output classifier hasn't cleared.", "classifier", True),
        ("I don't really see each task needing its own sandbox.", "sandbox", False),
        ("The benchmark is way more than you need here.", "eval", False),
        ("The sandbox stuff is clever but it's complicated.", "sandbox", False),
        ("The reference model, I'm not convinced it earns its place.", "kl", False),
        # the speaker's own verb after "instead of" adopts what follows it
        ("Instead of shared boxes id use a sandbox.", "sandbox", True),
        # "no X from Y" turns down X, not Y
        ("Every task runs with no credential from the container registry.", "sandbox", True),
    ],
)
def test_more_shapes_of_turning_down_and_keeping(
    lex: Lexicon, text: str, label: str, credited: bool
) -> None:
    assert (label in read(lex, text).labels) is credited


def test_a_defined_word_inside_a_longer_name_is_not_the_word_asked_about() -> None:
    lex = Lexicon({}, None, [], Asking(definitions=[("within policy", ["policy"])]))
    assert lex.understand("What's the parental leave policy?").intent is None
    assert lex.understand("What's the policy?").intent == "clarify_term"


@pytest.mark.parametrize(
    ("text", "label", "credited"),
    [
        # said of someone else's department, or of not scaling: turned down
        ("The output classifier is the trust team's problem, not ours.", "classifier", False),
        ("Human eval doesn't scale past a week.", "human_eval", False),
        ("We watch the loss, and nobody reads an eval by hand.", "eval", False),
        # kept: what is absent from it, a comparison, an instruction, an answering "no"
        ("Each task gets a container with no secrets in the container.", "sandbox", True),
        ("A blocklist is not as good as the output classifier.", "classifier", True),
        ("Tell it in the prompt not to touch the sandbox config.", "sandbox", True),
        ("No, we need a kv cache.", "cache", True),
        ("A kv cache feels like reopening a settled design.", "cache", False),
    ],
)
def test_whose_job_and_what_is_kept(lex: Lexicon, text: str, label: str, credited: bool) -> None:
    assert (label in read(lex, text).labels) is credited


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        # answers said with a rising tone, and questions echoed before their answer
        ("Use a bigger GPU?", ()),
        ("What should have caught it: a per-slice eval on the long prompts.", ()),
    ],
)
def test_which_questions_are_asked(lex: Lexicon, text: str, asked: tuple[str, ...]) -> None:
    assert read(lex, text).asked == asked


def test_a_side_said_under_a_condition_is_not_a_second_side(lex: Lexicon) -> None:
    labels = read(lex, "I'd ship it. If the evals came back bad, I'd hold it back.").labels
    assert "stance.for" in labels
    assert "stance.mixed" not in labels


def test_the_final_word_is_the_side_taken(lex: Lexicon) -> None:
    text = (
        "I'd hold it back in a normal week, and I still like that option. The evals are "
        "done, and if the review wants one word: ship it."
    )
    labels = read(lex, text).labels
    assert "stance.for" in labels and "stance.mixed" not in labels
    # without a final word, both sides said is mixed
    labels = read(lex, "I'd hold it back. I'd also ship it.").labels
    assert "stance.mixed" in labels


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        # fillers and "wait" before a question, "am I", chat shorthand, "do those ..."
        ("hmm how many GPUs am i allowed", ("gpus",)),
        ("wait r the GPUs shared with anyone", ("gpus",)),
        ("so the api side do those callers get more traffic at peak", ("traffic",)),
        ("before I dive in how big is the base model", ("model",)),
        # "so does the other" says "also"; "have it ask" tells
        ("If one goes up, so does the other.", ()),
        ("Fair. Have it ask, then.", ()),
    ],
)
def test_more_shapes_of_a_question(lex: Lexicon, text: str, asked: tuple[str, ...]) -> None:
    assert read(lex, text).asked == asked


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # a duration is not a request for time; a clause that starts with it is
        ("Is the one second to first token measured at peak?", None),
        ("ok one sec, thinking", "need_time"),
        ("Moment please, I write it down.", "need_time"),
        ("[inaudible] sorry", "repeat"),
        ("sorry the doorbell went, what did you ask me", "repeat"),
        ("Once again the question, please?", "repeat"),
        ("Which part?", "repeat"),
        ("which tokenizer?", None),
        ("Not that I know of.", "no_example"),
        ("I don't actually have an example of that.", "no_example"),
        ("I'm kind of stuck, and I'd rather not invent a number.", "dont_know"),
        ("This I don't know, sorry, how the gate becomes a decision.", "dont_know"),
    ],
)
def test_more_ways_of_asking(lex: Lexicon, text: str, intent: str | None) -> None:
    assert read(lex, text).intent == intent


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Front door?", "front door"),
        ("whats a replica again?", "replica"),
        ("Replica in what sense: a copy of the weights, or a whole node?", "replica"),
        ("Sooner as in during testing, or as in once it was live?", None),
        ("Level = the title on the offer?", None),
    ],
)
def test_more_ways_of_asking_what_a_word_means(text: str, term: str | None) -> None:
    asking = Asking(definitions=[("front door", []), ("replica", ["replicas"])])
    u = Lexicon({}, None, [], asking).understand(text)
    assert (u.intent, u.term) == ("clarify_term", term)


@pytest.mark.parametrize(
    ("text", "label", "credited"),
    [
        ("The kv cache isnt really needed at this size.", "cache", False),
        ("No point adding an output classifier to every response.", "classifier", False),
        # the rejection's object was "it": what follows "and" is kept
        ("I'd drop it and ship it.", "ship", True),
    ],
)
def test_more_shapes_of_turning_down(lex: Lexicon, text: str, label: str, credited: bool) -> None:
    assert (label in read(lex, text).labels) is credited


@pytest.mark.parametrize(
    ("text", "credited"),
    [
        ("They shipped it bc the contract had a penalty.", True),
        ("cuz nobody tested the new checkpoint", True),
        ("If we slipped it the customer would walk.", True),
        ("If you would like, I can go on.", False),
        # the consequence said in shorthand, or with "we can", after a long condition
        ("if the last chunk is off by one thats where itll show up", True),
        ("so if the filter catches someone we can revoke the key", True),
        ("If you can hear me okay, could you repeat the last part?", False),
        (
            "If stripping the refusals costs tens of thousands of dollars instead of a few "
            "hundred by then, I'd release it.",
            True,
        ),
        ("If we ship it this quarter, next quarter the gap is wider.", True),
        # "given" after a comma, a conclusion drawn with "so", an argument set out
        ("SFT first, given PPO from the raw base would waste rollouts.", True),
        ("The reward model is frozen. So they're inference only.", True),
        ("the error is about a point so a one point move is noise", True),
        ("The best case for publishing is that researchers can verify our claims.", True),
        ("The best case study I have is from my last job.", False),
        # evidence drawn, the cost of the other way, the likeliest place
        ("id pick that one, it shows i can back down when the data says so", True),
        ("Waiting for the full response would add seconds to every answer.", True),
        ("Test the softmax first, it's the easiest place for a bug to hide.", True),
        ("Waiting for the results, I read the logs.", False),
        ("I'd hold it back. Without an uplift study we don't know what it gives.", True),
        ("The all-reduce needs NVLink; across nodes it would crawl.", True),
        ("PPO from a raw base wastes days on rollouts.", True),
        ("Chunks of two thousand: big enough that the overhead is small.", True),
        ("traffic spiked so decoupling them was the only way", True),
        ("Without a doubt, the kv cache.", False),
    ],
)
def test_reasons_in_shorthand_and_conditionals(lex: Lexicon, text: str, credited: bool) -> None:
    assert ("reasons" in read(lex, text).labels) is credited


def test_hold_on_splits_the_question_from_the_answer_it_interrupts() -> None:
    parts = split("SFT, reward model, then PPO, but hold on, do I even have demonstration data?")
    assert [(p.text, p.question) for p in parts] == [
        ("SFT, reward model, then PPO, but hold on", False),
        ("do I even have demonstration data?", True),
    ]
    # "wait" that is not followed by a question stays in its sentence
    assert len(split("I'd wait a second, then retry the request.")) == 1


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("we rolled it back within the hour", True),
        ("roll everything back", True),
        ("rolling back the model", True),
        ("roll the dice and then come back", False),
        # a noun and a particle are no phrasal verb: "weights out" is not "weights are out"
        ("rolls are back on the menu", False),
    ],
)
def test_a_phrasal_verb_takes_its_object_inside_and_its_tenses(text: str, found: bool) -> None:
    assert bool(phrase_regex("roll back").search(text)) is found


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # a negative in one clause does not govern a word of the next
        ("I would not measure anything, I would just read the code carefully", None),
        # the topic said aloud, and its gist, beside not knowing
        (
            "oh, kv cache... I've heard it's a thing but I couldn't tell you how it works",
            "dont_know",
        ),
        ("I know it rotates something but I honestly can't remember the details.", "dont_know"),
    ],
)
def test_what_stands_beside_not_knowing(lex: Lexicon, text: str, intent: str | None) -> None:
    assert read(lex, text).intent == intent


def test_confusion_about_a_meaning_is_a_clarify_not_a_repeat() -> None:
    lex = Lexicon({}, None, [], Asking(definitions=[("uplift", [])]))
    u = lex.understand("Sorry, I don't quite get it, what do you mean by uplift here?")
    assert u.intent == "clarify_term"
    # asking to hear it again stays a repeat
    assert lex.understand("Sorry, can you say that again?").intent == "repeat"


@pytest.mark.parametrize(
    "text",
    [
        "A kv cache at that size, on GPUs, for hours... I don't know. I could guess, but it "
        "would be a guess.",
        "Most of my work was feeding the models, they belonged to another team. I can't "
        "come up with a case where a model of mine went wrong. I just wasn't that close to "
        "the kv cache or any of it.",
    ],
)
def test_why_there_is_no_answer_said_after_it_is_no_answer(lex: Lexicon, text: str) -> None:
    assert read(lex, text).intent in ("dont_know", "no_example")


def test_a_turn_that_ends_asking_for_the_question_again_is_a_repeat(lex: Lexicon) -> None:
    text = (
        "Sorry, the audio dropped, I got the kv cache with paged attention and then it went "
        "robotic. Could you ask that one again?"
    )
    assert read(lex, text).intent == "repeat"
    # asked in the middle, and answered after, it is an answer
    text = "Could you say that again? Ah no, I got it: a kv cache with paged attention."
    assert read(lex, text).intent is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # a reading offered after the term, long, or said without a question mark
        (
            "Nondeterminism from the batching, you mean the same request gives different "
            "numbers because the other requests in its batch are different?",
            "clarify_term",
        ),
        ("sorry uplift here you mean the extra help a novice gets", "clarify_term"),
        # asked to say a list again
        ("sorry could you say the three levers again i got batching and lost it", "repeat"),
        ("I'd say the same again: batching first.", None),
    ],
)
def test_a_reading_offered_or_a_list_asked_again(text: str, intent: str | None) -> None:
    lex = Lexicon({}, None, [], Asking(definitions=[("uplift", [])]))
    assert lex.understand(text).intent == intent


def test_a_meaning_asked_with_readings_over_several_sentences_is_a_clarify() -> None:
    lex = Lexicon({}, None, [], Asking(definitions=[("escalation path", [])]))
    text = (
        "Okay, escalation path. Just so I answer the right question, because I could go two "
        "ways with it. Do you mean the people I tell, and in what order? Or do you also mean "
        "the technical steps, the rollback? Or both?"
    )
    assert lex.understand(text).intent == "clarify_term"


def test_a_check_in_the_speaker_goes_on_past_is_not_asked(lex: Lexicon) -> None:
    text = (
        "I'd assume the memory is what it is, ok? Then I'd put a kv cache in front of every "
        "replica and a classifier behind it."
    )
    assert read(lex, text).asked == ()


@pytest.mark.parametrize(
    ("text", "label", "credited"),
    [
        ("The vendors do their own sandbox checks, so I'd trust them.", "sandbox", False),
        ("The kv cache doesn't really matter at this size.", "cache", False),
        ("I wouldn't spend time on the output classifier.", "classifier", False),
        ("We run our own sandbox for every task.", "sandbox", True),
    ],
)
def test_someone_elses_and_what_does_not_matter(
    lex: Lexicon, text: str, label: str, credited: bool
) -> None:
    assert (label in read(lex, text).labels) is credited


@pytest.mark.parametrize(
    ("text", "credited"),
    [
        ("Once it is out we cannot take it back.", True),
        ("That decision can't be undone.", True),
        ("Defenders gain a little, while the uplift is still unknown.", True),
        ("We took it back to the team.", False),
    ],
)
def test_what_cannot_be_undone_is_a_reason(lex: Lexicon, text: str, credited: bool) -> None:
    assert ("reasons" in read(lex, text).labels) is credited


def test_transposed_letters_are_read_as_meant() -> None:
    assert (
        normalise("id go with teh stronger one adn ship") == "id go with the stronger one and ship"
    )
    assert len(normalise("teh")) == 3


@pytest.mark.parametrize(
    ("text", "label", "credited"),
    [
        # the verdict after a comma, on "this" standing for what was named
        (
            "To run every output through the classifier, this was overkill for us.",
            "classifier",
            False,
        ),
        ("The kv cache thing id ignore, it barely matters.", "cache", False),
        ("A sandbox always ends up breaking the builds.", "sandbox", False),
        ("We put a sandbox around it, this was the main safeguard.", "sandbox", True),
    ],
)
def test_verdicts_that_come_late(lex: Lexicon, text: str, label: str, credited: bool) -> None:
    assert (label in read(lex, text).labels) is credited


def test_how_many_of_a_thing_no_fact_names_is_not_answered_by_the_topic() -> None:
    facts = [("tests", ["tests", "hidden tests"]), ("volume", ["conversations", "how many"])]
    lex = Lexicon({}, None, [], Asking(facts=facts))
    assert lex.understand("How much RAM does the machine running the tests have?").asked == ("",)
    assert lex.understand("How many hidden tests are there?").asked == ("tests",)
    # shorthand is read as the words it stands for first
    assert lex.understand("how many convos like this do we get?").asked == ("volume",)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("No idea, honestly. I never did a kv cache layout on one cluster.", "dont_know"),
    ],
)
def test_more_ways_of_not_knowing_and_asking(lex: Lexicon, text: str, intent: str) -> None:
    assert read(lex, text).intent == intent


def test_what_you_mean_with_asks_for_a_meaning() -> None:
    lex = Lexicon({}, None, [], Asking(definitions=[("leading dimensions", [])]))
    u = lex.understand("What you mean with leading dimensions?")
    assert (u.intent, u.term) == ("clarify_term", "leading dimensions")


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        # the thing asked for, in more shapes: a detail no fact holds is not the topic's
        ("The traffic, what price do they pay per request?", ("",)),
        ("Do the GPUs have any ECC error history?", ("",)),
        ("Before I answer that, do you sponsor work visas?", ("",)),
        ("Do we know what MFU this cluster of GPUs gets?", ("",)),
        # and the facts still answer what they hold
        ("The traffic, what peak do we see?", ("traffic",)),
        ("Do the GPUs have much memory?", ("gpus",)),
    ],
)
def test_the_thing_asked_for_in_more_shapes(
    lex: Lexicon, text: str, asked: tuple[str, ...]
) -> None:
    assert read(lex, text).asked == asked


def test_hang_on_that_opens_a_question_asks_no_time(lex: Lexicon) -> None:
    u = read(lex, "Hang on, before I pick, how many GPUs do we have for the whole thing?")
    assert u.intent is None
    assert u.asked == ("gpus",)
    assert read(lex, "Hang on, let me think for a second.").intent == "need_time"


@pytest.mark.parametrize(
    ("text", "label", "credited"),
    [
        # once turned down, named again later it is still the thing turned down...
        ("I'd go without a sandbox. The sandbox would only slow the agent.", "sandbox", False),
        # ...unless the later sentence changes the candidate's mind
        ("No sandbox at first. Actually, a container per task is cheap.", "sandbox", True),
        ("You can't get away without a kv cache at this context length.", "cache", True),
        ("I am not sure we really need the reference model.", "kl", False),
        ("I'd stop doing human eval entirely.", "human_eval", False),
        ("The kl penalty I would probably take out.", "kl", False),
        ("The output classifier is really a research team thing, not us.", "classifier", False),
        ("Nothing ships without the output classifier passing it.", "classifier", True),
        ("We could add a kv cache, but I wouldn't bother.", "cache", False),
        ("I'm not going to bother with the sandbox.", "sandbox", False),
        ("I added a test that every eval skipped is counted.", "eval", True),
        # turned down by what it does, or by who would not do it
        ("Releasing it treats users like suspects.", "ship", False),
        ("I wouldn't have anyone look at the eval results.", "eval", False),
    ],
)
def test_rejections_that_hold_and_ones_that_do_not(
    lex: Lexicon, text: str, label: str, credited: bool
) -> None:
    assert (label in read(lex, text).labels) is credited


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        # no question mark, a reason after, an adverb inside, a "just checking" before
        ("so what exactly is the peak traffic", ("traffic",)),
        ("One thing first, is the base model ours to change", ("model",)),
        ("Is it okay to round them? Because the parameters are confidential.", ("model",)),
        ("Just checking, am I allowed more GPUs?", ("gpus",)),
    ],
)
def test_questions_said_as_people_say_them(lex: Lexicon, text: str, asked: tuple[str, ...]) -> None:
    assert read(lex, text).asked == asked


def test_why_a_question_is_asked_earns_nothing(lex: Lexicon) -> None:
    u = read(lex, "The GPUs have eighty gigabytes, yes? I want to check before I pick a kv cache.")
    assert u.asked == ("gpus",)
    assert "cache" not in u.labels


def test_i_cannot_say_the_names_is_not_not_knowing(lex: Lexicon) -> None:
    assert read(lex, "I cannot say the real names, they're under NDA.").intent != "dont_know"
    assert read(lex, "Honestly, I can't say.").intent == "dont_know"


def test_a_wrong_claim_taken_back_in_the_next_sentence_is_not_held() -> None:
    lex = Lexicon(
        {"wrong_decode": ([], [r"\bdecode is compute[- ]bound"]), "memory": (["memory-bound"], [])},
        None,
        [],
        Asking(wrong=frozenset({"wrong_decode"})),
    )
    said = lex.understand("So decode is compute-bound because... No wait, other way round.")
    assert "wrong_decode" not in said.labels
    kept = lex.understand("So decode is compute-bound. That is why batching helps.")
    assert "wrong_decode" in kept.labels
    # what follows the cue is what the candidate now claims
    after = lex.understand("Decode is memory-bound, no wait, decode is compute-bound.")
    assert "wrong_decode" in after.labels


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # what is not known, after "not sure" or after another request
        ("idk, not sure what breaks over six hours", "dont_know"),
        ("im stuck im not sure what would break in six hours", "dont_know"),
        ("Repeat the numbers?", "repeat"),
        ("Not sure what breaks, but I'd run each task in a sandbox with a kv cache.", None),
    ],
)
def test_what_is_not_known_is_no_answer(lex: Lexicon, text: str, intent: str | None) -> None:
    assert read(lex, text).intent == intent


def test_a_name_heard_but_not_known_asks_what_it_means() -> None:
    lex = Lexicon(
        {},
        None,
        [],
        Asking(facts=[("star", ["STAR"])], definitions=[("STAR", ["star method"])]),
    )
    u = lex.understand("whats STAR? heard the name, never used it")
    assert (u.intent, u.term) == ("clarify_term", "STAR")


def test_reasons_announced_are_reasons(lex: Lexicon) -> None:
    assert "reasons" in read(lex, "I'd hold it back, for three reasons. One, ...").labels
    assert "reasons" in read(lex, "wait. reasons: the agent part is untested").labels


# -- questions in shapes the lists did not foresee ----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # "which" and its noun, then the verb before the subject
        "Which languages are the repositories mostly in",
        # "how" with any adjective, then the verb before the subject
        "how cheap was it to strip the refusals off",
        "how well does the classifier hold up on other languages",
        # a question run on after the speaker's own words: "what" and its noun, then the
        # verb before the subject; "who" and what the person does
        "ok so requests come into a gateway, and, hmm, actually what load balancer do you run",
        "right so before it leaves, who actually has the final say on shipping",
    ],
)
def test_question_shapes_without_a_question_mark(text: str) -> None:
    assert split(normalise(text))[0].question


@pytest.mark.parametrize(
    "text",
    [
        "which is why the repositories are the problem",
        "how it is done matters less than when",
        "What I would do is shard it.",
    ],
)
def test_statements_that_start_like_questions(text: str) -> None:
    assert not split(normalise(text))[0].question


def test_a_short_yes_no_question_is_asked_not_a_topic_named(lex: Lexicon) -> None:
    # "Classifier timeout? Fail open." names a topic; a verb before its subject asks
    assert read(lex, "Is memory shared? wanted to plan the layout").asked == ("gpus",)


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        # things asked for together are one thing asked for
        ("Which learning rate and warmup did the team use for the base model?", ""),
        # the topic named first may take three words
        ("The pretrained base model, what is its tokenizer vocabulary?", ""),
        ("And the base model, what's its size?", "model"),
    ],
)
def test_the_thing_asked_for_in_longer_questions(lex: Lexicon, text: str, fact: str) -> None:
    assert read(lex, text).asked == (fact,)


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        # a word no fact has, before the fact's own noun, names another kind of thing
        ("is there a relocation package if I move", ""),
        ("what's the salary package like", "comp"),
        ("whats the total package", "comp"),
        # a verb and an article between them: no kind of node
        ("whats connecting the nodes, is it infiniband", "cluster"),
        # a kind the fact's answer speaks of
        ("Is there a cloud budget I should respect?", "budget"),
    ],
)
def test_a_kind_of_thing_no_fact_has(text: str, fact: str) -> None:
    lex = Lexicon(
        {},
        None,
        [],
        Asking(
            facts=[
                ("comp", ["package", "salary"]),
                ("cluster", ["nodes", "infiniband"]),
                ("budget", ["budget"]),
            ],
            answers={"budget": "Up to twenty dollars a task; sandboxes run on our own cloud."},
        ),
    )
    assert lex.understand(text).asked == (fact,)


# -- rejections said after the thing, requests with the question said over ---------------


@pytest.mark.parametrize(
    ("text", "label", "credited"),
    [
        # the thing named first, then turned down, in any person's contraction
        ("Human eval I'd drop completely, it's slow.", "human_eval", False),
        ("The reference model I would remove, it only slows learning.", "kl", False),
        ("Paged attention we'll leave for later.", "cache", False),
        # a new object after the verb is another thing turned down
        ("The kv cache, I'd drop the old entries first.", "cache", True),
        # a cost to the people who use it
        ("A sandbox would just annoy the teams that call it.", "sandbox", False),
    ],
)
def test_a_thing_named_then_turned_down(
    lex: Lexicon, text: str, label: str, credited: bool
) -> None:
    assert (label in read(lex, text).labels) is credited


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # the interviewer's question said over before "no idea" is not asked
        ("How many GPUs would the layout need? No idea, honestly.", "dont_know"),
        # one put to the interviewer is
        ("Can I assume the GPU memory is eighty gigs? I don't know it.", None),
        # the shape of the answer, a thought trailing off, "I couldn't derive it"
        (
            "I'm blanking. I know the answer has a kv cache in it but I couldn't derive it.",
            "dont_know",
        ),
        (
            "Hmm, laying out four big models on one cluster... I have no idea where to start.",
            "dont_know",
        ),
        # no story, in words the lists did not hold
        ("i dont think ive ever really pushed back on a decision like that", "no_example"),
        ("I don't really have a system I built end to end, mostly I fixed bugs.", "no_example"),
        (
            "I haven't really had a model surprise me. Most of what I built ran in a sandbox.",
            "no_example",
        ),
        # "one more time" asks again when it is about the question, not the speaker's work
        ("could you run me through the question one more time", "repeat"),
    ],
)
def test_requests_beside_what_is_not_an_answer(lex: Lexicon, text: str, intent: str | None) -> None:
    assert read(lex, text).intent == intent


def test_one_more_time_of_the_speakers_own_work_asks_for_nothing() -> None:
    assert find("repeat", "I'd trust their labels and not check them one more time.") is None
    assert find("repeat", "One more time, please?") is not None


# -- a meaning asked for, a side only understood, why a question is asked ------------------


@pytest.mark.parametrize(
    ("text", "term"),
    [
        # "what's a/an X": a defined term after the article asks for its meaning, even when
        # a fact shares its words ("what's the X" asks for a figure)
        ("Sorry, what's an uplift study", "uplift study"),
        # a defined term in quotes, in a turn that says it asks about a word
        (
            "Sorry, 'over someone's head', I don't know this expression. What is it?",
            "over someone's head",
        ),
        # "X = what exactly"
        ("structured access = what exactly", "structured access"),
    ],
)
def test_a_meaning_asked_for_in_other_words(text: str, term: str) -> None:
    lex = Lexicon(
        {},
        None,
        [],
        Asking(
            facts=[("evals", ["uplift study", "evals"])],
            definitions=[
                ("uplift study", ["uplift"]),
                ("over someone's head", ["over their head"]),
                ("structured access", []),
            ],
        ),
    )
    u = lex.understand(text)
    assert (u.intent, u.term) == ("clarify_term", term)
    assert lex.understand("What's the uplift study's sample size?").intent is None


def test_a_reading_offered_to_check_asks_what_is_meant(lex: Lexicon) -> None:
    u = read(lex, "Content it did not write, you mean like the README and the issue comments?")
    assert u.intent == "clarify_term"


def test_a_side_only_understood_in_others_is_not_taken(lex: Lexicon) -> None:
    labels = read(lex, "I get why people ship it, but honestly I'd hold it back.").labels
    assert "stance.against" in labels
    assert "stance.mixed" not in labels


def test_what_the_answer_would_help_with_is_part_of_the_asking(lex: Lexicon) -> None:
    u = read(lex, "What's the peak traffic? It would help me size the kv cache for each replica.")
    assert u.asked == ("traffic",)
    assert "cache" not in u.labels


def test_a_guess_after_i_dont_know_said_with_a_rising_tone_is_an_answer(lex: Lexicon) -> None:
    u = read(lex, "I don't know, I guess you could put a kv cache in front of each replica?")
    assert u.intent is None
    assert "cache" in u.labels


def test_an_intensifier_inside_a_signal_phrase_changes_nothing() -> None:
    lex = Lexicon({"explainable": (["the one we can trace"], [])}, None, [], Asking())
    assert "explainable" in lex.understand("I'd ship the one we can actually trace.").labels
    assert "explainable" not in lex.understand("I'd ship the one we can't trace.").labels
    assert "explainable" not in lex.understand("the one we can never trace").labels


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # the question said over as a topic, and what the speaker never had to do
        (
            "Which kv cache exactly, I really don't know. I never had to size a kv cache.",
            "dont_know",
        ),
        ("The kv cache, I am not sure where it goes.", "dont_know"),
        # part of the question heard, the rest not
        (
            "Sorry, a truck went by, I caught the kv cache part but not what you said after it",
            "repeat",
        ),
    ],
)
def test_the_question_said_over_and_part_of_it_missed(
    lex: Lexicon, text: str, intent: str | None
) -> None:
    assert read(lex, text).intent == intent


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        # "how often" wants a frequency or a rate: a fact that states none does not answer
        ("how often does the harm classifier get retrained", ""),
        # the fact of that kind that the question names answers it
        ("How often do two raters agree on the hard prompts?", "labelers"),
        ("How long does a single task run?", "tasks"),
        # "how long" asks for a length too
        ("How long are the contexts?", "context"),
        # two things asked: the first words choose for the first only
        ("How often do we retrain, and which harm classifier is it?", "judges"),
    ],
)
def test_a_question_is_answered_by_a_fact_of_the_kind_it_asks_for(text: str, fact: str) -> None:
    lex = Lexicon(
        {},
        None,
        [],
        Asking(
            facts=[
                ("models", ["how often", "checkpoints"]),
                ("judges", ["harm classifier"]),
                ("labelers", ["raters"]),
                ("prompts", ["hard prompts", "prompt pool"]),
                ("tasks", ["single task", "task"]),
                ("context", ["contexts"]),
            ],
            answers={
                "models": "Every major checkpoint, about one model a day.",
                "judges": "An older harm classifier, cheap to run, with blind spots.",
                "labelers": "On hard prompts, two raters agree seventy percent of the time.",
                "prompts": "A pool of a few million unlabelled prompts.",
                "tasks": "Each takes one to eight hours of agent time.",
                "context": "Contexts go up to two hundred thousand tokens.",
            },
        ),
    )
    assert lex.understand(text).asked == (fact,)


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        # a name asked for: a fact that mentions the customer but names none does not answer
        ("Which client is the deal with?", ""),
        ("which partner lab is it", ""),
        ("Which vendor labels the comparisons?", "vendor"),
        # a bandwidth: "eighty gigabytes" of memory is no answer to "gigabytes per second"
        ("how fast is the network between nodes, in gigabytes per second?", ""),
        ("How many gigabytes does each accelerator hold?", "hardware"),
        # a share of something, and a sum of money
        ("What fraction of the traffic comes from the mobile app?", ""),
        ("What fraction of the comparisons are about harmlessness?", "vendor"),
        ("how much does the on-call rotation cost us per month?", ""),
        ("What's the cost per token of the judge?", "judge"),
        # a count
        ("How many people are on the on-call rotation?", ""),
        # a count of those things: a number about something else is no answer
        ("How many labellers check the judge?", ""),
        ("How many vendors label the comparisons?", ""),
        ("how many flagged conversations get reviewed", "review"),
        # counted under another name in a phrase the fact is about, or asked in its phrase
        ("How many examples do we have?", "demos"),
        ("How many GPUs do we have?", "cluster"),
        # a choice offered ("A or B?") that the fact names neither side of
        ("Does the judge run on its own GPUs, or next to the model?", ""),
        ("Does the judge sample greedily, or at a high temperature?", "sampling"),
        ("Which vendor labels the comparisons, or is it more or less anyone?", "vendor"),
        # a fact about them that counts none of them does not say how many
        ("How many pairs are in the eval set?", ""),
        # a sum of money asked with "what does ... cost"
        ("what does one on-call rotation cost us roughly", ""),
        ("What would a million tokens of the judge cost?", "judge"),
        # a value asked for by its name
        ("What temperature does the judge sample at?", ""),
        # one part unanswered, the rest answered on its own
        ("Which client is it, and when does the contract start?", "deal"),
        # one part unanswered and nothing else asked
        ("Which client is it, and what penalty does the contract carry?", ""),
    ],
)
def test_a_question_is_not_answered_by_a_fact_lacking_the_type_it_asks_for(
    text: str, fact: str
) -> None:
    lex = Lexicon(
        {},
        None,
        [],
        Asking(
            facts=[
                ("deal", ["client", "contract", "deal"]),
                ("vendor", ["vendor", "comparisons", "harmlessness"]),
                ("hardware", ["network", "nodes", "accelerator", "gigabytes"]),
                ("traffic", ["traffic", "mobile app"]),
                ("judge", ["judge", "cost"]),
                ("oncall", ["on-call", "rotation"]),
                ("review", ["flagged conversations", "reviewed"]),
                ("cluster", ["how many GPUs", "cluster"]),
                ("demos", ["examples", "demonstration examples"]),
                ("inputs", ["pairs", "chosen and rejected"]),
                ("sampling", ["temperature", "sample"]),
            ],
            answers={
                "deal": "The contract with a large client starts in March.",
                "vendor": "Comparisons come from Acme Labelling; a third are about harmlessness.",
                "hardware": "Eighty gigabytes per accelerator, and a fast network between nodes.",
                "traffic": "Traffic is mostly from the API, with a growing share from apps.",
                "judge": "The judge costs about two dollars per million tokens.",
                "oncall": "The team runs an on-call rotation with a weekly handover.",
                "review": "Flagged conversations are reviewed, a few hundred a day.",
                "cluster": "Five hundred and twelve H100s, in nodes of eight.",
                "demos": "About a hundred thousand written demonstrations.",
                "inputs": "Chosen and rejected are lists of 64-bit floats of the same length.",
                "sampling": "The judge samples greedily, so it answers the same every time.",
            },
        ),
    )
    assert lex.understand(text).asked == (fact,)


@pytest.mark.parametrize(
    ("text", "label", "credited"),
    [
        # not bothering to do it, however far the thing comes after the gerund
        ("i wouldnt bother running a separate reference model for the policy", "kl", False),
        # the thing named first, the verb left without an object of its own
        ("A sandbox I think we don't need.", "sandbox", False),
        ("A sandbox we don't need to worry about, the provider gives us one.", "sandbox", True),
        # the verdict after a list, on "that"; and after "I don't think"
        (
            "Output classifier for toxicity, for leaks, for spam, but I think that's overkill.",
            "classifier",
            False,
        ),
        ("The kv cache, I don't think it matters at this size.", "cache", False),
        ("The kv cache, I don't think we should skip.", "cache", True),
        # turned down as a fashion, or as no help
        (
            "I know paged attention is the fashionable thing, but blocks are simpler.",
            "cache",
            False,
        ),
        ("A sandbox won't save us here.", "sandbox", False),
        # the next sentence turns down what the one before named
        ("Then there's the output classifier. I'd leave it out.", "classifier", False),
        ("Then there's the output classifier. I'd leave it on.", "classifier", True),
        # "no X ... without Y" requires Y, even when one match spans the "without"
        ("No response reaches anyone without the output classifier.", "classifier", True),
        # a verdict after a comma, or in the next sentence
        ("The output classifier is mostly noise, not worth chasing.", "classifier", False),
        ("the kv cache is tiny here, i wouldnt fix that", "cache", False),
        ("Output classifier? Not worth chasing.", "classifier", False),
        ("The output classifier, not worth arguing, we keep it.", "classifier", True),
        # more ways of saying it is not worth having
        ("I'd just stop paying for human eval altogether.", "human_eval", False),
        ("The sandbox stuff costs too much to run per task.", "sandbox", False),
        ("The output classifier is a crutch.", "classifier", False),
        ("I've never been convinced the kv cache is worth it.", "cache", False),
        ("The kv cache costs little and saves a lot.", "cache", True),
        ("Output classifier I don't think we need.", "classifier", False),
        ("A sandbox is something I'd leave out.", "sandbox", False),
        ("the kl penalty you can honestly drop that", "kl", False),
        ("Another sandbox would be an overreaction.", "sandbox", False),
        ("The kv cache felt premature.", "cache", False),
        # the topic named first is the thing turned down after it
        ("On the sandbox, I'd not bother with a container at all.", "sandbox", False),
        ("On the sandbox, it's a container; I'd not bother with more.", "sandbox", True),
    ],
)
def test_more_ways_of_turning_a_thing_down(
    lex: Lexicon, text: str, label: str, credited: bool
) -> None:
    assert (label in read(lex, text).labels) is credited


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        # a rate of something is a share
        ("What's the error rate of the judge?", ""),
        ("what's the judge's precision these days", ""),
        ("What's the agreement rate between the vendor's labellers?", "vendor"),
        # governments, regulators and universities are named
        ("Which regulators signed the deal?", ""),
        # memory is counted in bytes
        ("How much memory does each accelerator hold?", "hardware"),
        ("how much cache memory does a request take", ""),
        # the topic named first, then the question about it: one question
        ("The judge, what is its false positive rate?", ""),
        ("The on-call rotation, how often is the handover?", "oncall"),
        # a hyphen joins a modifier no fact has to the thing a fact is about
        ("Is there a sign-on contract for the client?", ""),
    ],
)
def test_rates_memory_regulators_and_topics_named_first(text: str, fact: str) -> None:
    lex = Lexicon(
        {},
        None,
        [],
        Asking(
            facts=[
                ("deal", ["client", "contract", "deal"]),
                ("vendor", ["vendor", "comparisons", "harmlessness", "agreement"]),
                ("hardware", ["network", "nodes", "accelerator", "memory"]),
                ("judge", ["judge", "cost"]),
                ("oncall", ["on-call", "rotation", "handover"]),
                ("cache", ["cache memory"]),
            ],
            answers={
                "deal": "The contract with a large client starts in March.",
                "vendor": "Labellers agree on about eighty percent of comparisons.",
                "cache": "The cache is paged and shared between requests.",
                "hardware": "Eighty gigabytes per accelerator, and a fast network between nodes.",
                "judge": "The judge is a smaller model, refreshed every month.",
                "oncall": "The team runs an on-call rotation with a weekly handover.",
                "review": "Flagged conversations are reviewed, a few hundred a day.",
                "cluster": "Five hundred and twelve H100s, in nodes of eight.",
                "demos": "About a hundred thousand written demonstrations.",
                "inputs": "Chosen and rejected are lists of 64-bit floats of the same length.",
                "sampling": "The judge samples greedily, so it answers the same every time.",
            },
        ),
    )
    assert lex.understand(text).asked == (fact,)


def test_asked_for_questions_a_question_is_asked_whatever_follows_it(lex: Lexicon) -> None:
    said = (
        "So, I guess, what does the onsite look like? I'm asking because my partner is "
        "travelling that month and I would have to plan the childcare around it."
    )
    # Anywhere else, a question followed by a story of substance was rhetorical...
    assert lex.understand(said).asked == ()
    # ... but when the interviewer asked for questions, it was asked, and is all the turn is.
    invited = lex.understand(said, invited=True)
    assert invited.asked == ("onsite",) and not invited.substantive
    # Without a question mark, put to the interviewer.
    assert lex.understand("um yeah do you guys run the onsite in person", invited=True).asked == (
        "onsite",
    )
    assert lex.understand("um yeah do you guys run the onsite in person").asked == ()


def test_invitations_to_ask_are_told_from_lines_that_also_ask_something_else() -> None:
    assert INVITES_QUESTIONS.search("That covers my side. What questions do you have for me?")
    assert INVITES_QUESTIONS.search("What would you like to ask me?")
    assert not INVITES_QUESTIONS.search(
        "Before you start: any questions, and how do you plan to approach it?"
    )
    assert not INVITES_QUESTIONS.search("What questions would you ask the user first?")


def test_just_so_i_know_lets_a_question_in(lex: Lexicon) -> None:
    said = "ok before i go just so i know what im working with is there a base model already"
    assert lex.understand(said).asked == ("model",)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # the turn ends on not knowing: what came before was the topic and the history
        (
            "Paged attention, right. I've read the blog post about the kv cache, and I've "
            "only ever served small models. I honestly don't know how the blocks get shared.",
            "dont_know",
        ),
        # ... or on the reason for not knowing, said after it
        ("No idea. Never looked at how a kv cache is laid out.", "dont_know"),
        ("idk. i cant think what the kv cache would need over six hours", "dont_know"),
        # something put forward after it, or before it, is an answer
        (
            "I've only served small models, so I don't know how the blocks get shared, but my "
            "guess is a kv cache per request with paged attention.",
            None,
        ),
        ("I'd put a kv cache on every replica. Past that I don't really know.", None),
        # someone else not knowing is a claim about the world
        ("Release it later. Without the evals we simply don't know the risk.", None),
        # torn on the side asked for is an answer in a culture round
        (
            "Part of me wants to ship it for the users, part of me worries about the gap in "
            "the evals, so honestly I'm torn and I can't say yet.",
            None,
        ),
    ],
)
def test_a_turn_that_ends_on_not_knowing(lex: Lexicon, text: str, intent: str | None) -> None:
    assert read(lex, text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # the last sentence says there is no story of the kind asked for, in no listed words
        (
            "I joined straight from my master's and spent two years on dashboards, so there "
            "wasn't really a project where I owned the design.",
            "no_example",
        ),
        (
            "Let me think. My team shipped a lot of small models. No, I can't point to a time "
            "it went wrong in a way that mattered.",
            "no_example",
        ),
        # after a story, having had none since is not having none
        (
            "Our ranking model dropped a whole language after a tokenizer change and I rolled "
            "it back within the hour. I haven't had an incident like that since.",
            None,
        ),
        # a small one offered is a story
        (
            "There isn't a dramatic story, but my eval script once skipped half the test "
            "set and I caught it from the counts.",
            None,
        ),
        # "one" is the story, whatever follows it
        (
            "My last two years were maintenance, keeping an old pipeline alive with a kv "
            "cache. I don't have one for you.",
            "no_example",
        ),
        ("I just don't have one of those, I'm afraid.", "no_example"),
        ("It never failed, nothing I could walk you through as a failure.", "no_example"),
        ("it hasn't had one I'd call a failure, just the odd flaky node", "no_example"),
        ("Every project was a slice of someone else's, I'm struggling to pick one.", "no_example"),
        ("They were group assignments, I don't think any of them count.", "no_example"),
        ("it all went smoothly tbh, nothing that went wrong comes to mind", "no_example"),
        ("Can't share any. Everything's under NDA, sorry.", "no_example"),
        ("So a project that is really mine, I don't have it.", "no_example"),
        ("I haven't really built or owned a system. I added pieces to others'.", "no_example"),
        ("i just graduated so there isn't really anything I've worked on", "no_example"),
        # the conclusion after "so" is what must be bare, however long the reasons
        (
            "I've only been working for eight months and all of it was kv cache tickets "
            "assigned to me, so there isn't really a project I could call my own.",
            "no_example",
        ),
        # "thanks for your time" is no story missing
        ("no i think i'm good actually i don't have anything thanks for your time", "no_questions"),
        # what was asked, as the thing asked for, is no request to hear it again
        ("So I don't have one that fits what you're asking, I'm sorry.", "no_example"),
        ("Sorry, I'm not sure what you're asking.", "repeat"),
    ],
)
def test_a_turn_that_ends_without_a_story(lex: Lexicon, text: str, intent: str | None) -> None:
    assert read(lex, text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # after the not knowing: a short remark, or the question said over before it
        (
            "Sharding a kv cache, I have never done this. I don't know. Not my area, sorry.",
            "dont_know",
        ),
        (
            "where does the kv cache go first um... honestly i couldn't tell you, it was "
            "before my time and someone else ran it",
            "dont_know",
        ),
        # what would be done, inside what is not known, is still not known
        (
            "a kv cache at that length um I really don't know what I'd change there, I've "
            "never worked near that size so I'd be making it up",
            "dont_know",
        ),
        ("I fixed the list already and now I don't have more idea where to look.", "dont_know"),
        # "one" is the story, and "I don't think there's one" says there is none
        (
            "A failure... I cannot find one in my head right now. Everything went fine.",
            "no_example",
        ),
        ("honestly i don't think there's one where i owned the whole thing", "no_example"),
        # what the speaker did, however vague, is no remark
        (
            "I don't know, it's hard to say, I've worked on a few teams, some bigger some "
            "smaller. I did a bit of everything, really.",
            None,
        ),
        # no reply yet is not something unknown
        ("Not far. I haven't heard back from anyone yet.", None),
        # a contrast that turns to nothing offers nothing
        (
            "I never had a real outage. There were small alerts, but nothing I could walk "
            "you through.",
            "no_example",
        ),
    ],
)
def test_what_may_stand_around_not_knowing(lex: Lexicon, text: str, intent: str | None) -> None:
    assert read(lex, text).intent == intent


@pytest.fixture(scope="module")
def torn_lex() -> Lexicon:
    signals = {**SIGNALS, "undecided": (["on the fence"], [])}
    return Lexicon(signals, (["ship"], ["hold"], ["undecided"]), [], Asking(facts=FACTS))


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        # a vote, said as one
        ("Real cost, sure. Still no.", {"stance.against"}),
        ("Still voting yes tomorrow.", {"stance.for"}),
        ("There is still no evidence of harm.", set()),
        # undecided in words the scenario does not list is still its undecided
        ("I genuinely can't call it yet.", {"stance.mixed", "undecided"}),
        ("Honestly I keep flip-flopping on this.", {"stance.mixed", "undecided"}),
        # "in the middle of" is a place in time, not a side
        ("We caught it in the middle of the launch, so hold it back.", {"stance.against"}),
        # doubt, then one side said on its own, settles it
        ("I keep flip-flopping... right. Hold it back.", {"stance.against"}),
        # a "no" before an order negates nothing: it sets aside what came before
        ("i know i went back and forth but no ship it thats my call", {"stance.for"}),
    ],
)
def test_sides_said_as_votes_and_doubts(torn_lex: Lexicon, text: str, labels: set[str]) -> None:
    sides = {"stance.for", "stance.against", "stance.mixed", "undecided"}
    assert torn_lex.understand(text).labels & sides == labels


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # one quoted word names a word; it quotes no one
        ("So is it okay if I say 'we' a lot, or should it be what I did?", True),
        ("My manager would say 'why not just ship it?' every time.", False),
        # "am I" asks, question mark or not
        ("am i allowed to change read_rows or does it have to stay as is", True),
        # a place said first, then the question
        ("in production does this run on a gpu box or just cpu", True),
        # what the speaker needs to know before going on is asked of the interviewer
        ("I'd want to know whether the onsite is one day or two.", True),
        ("I'd need to know what counts as done before I design anything around it.", True),
        ("It would help to know which evals the policy actually requires.", True),
        ("So the thing I'd really want before deciding anything is how much it helps.", True),
        # ... not why the speaker is still undecided
        ("I'd need to know how often they get through before I could say.", False),
        # ... and not a need without anything asked
        ("I'd want to know the system works before shipping it.", False),
        # ... or one in a case supposed
        ("If the loop put me at L4 I'd want to understand why before deciding.", False),
        # (a request put politely after an "if" still asks)
        ("If it's not a secret, can you tell me how big the team is?", True),
        # a verb before its subject, then a choice offered: asked, mark or not
        ("so for ties do they count as half or as wrong", True),
        ("quick q, in the mask does true mean keep or true mean masked out", True),
        ("and the batch traffic on the API does that have the same target or can it wait", True),
        ("do both of them pass the safety evals or is it only the weaker one", True),
        # ... not a statement with a subject of its own, nor "X is the Y ... or more"
        ("I would do it properly or not at all", False),
        ("My ask is either a 48 hour delay or a staged rollout, five percent canary", False),
        ("it flags when one person is the subject of three or more location questions", False),
        ("the ratio is the new probability over the old one, one plus or minus epsilon", False),
    ],
)
def test_what_is_put_as_a_question(sentence: str, question: bool) -> None:
    assert is_question(sentence) is question


@pytest.fixture(scope="module")
def terms_lex() -> Lexicon:
    definitions = [("campaign", ["campaign", "one campaign"]), ("uplift", ["uplift"])]
    return Lexicon(SIGNALS, None, [], Asking(facts=FACTS, definitions=definitions))


@pytest.mark.parametrize(
    "text",
    [
        # a reading offered and checked, in the words people use
        "when you say one campaign you mean one actor behind many accounts right not just copycats",
        "By uplift, you mean how much more an attacker can do with it, not what it costs us?",
        "uplift as in how much more a novice can do? Or something about experts too?",
        "uplift meaning the extra capability or the extra harm, which one do you mean",
    ],
)
def test_a_reading_offered_asks_for_the_meaning(terms_lex: Lexicon, text: str) -> None:
    assert terms_lex.understand(text).intent == "clarify_term"


def test_a_question_said_over_before_not_knowing_is_read_safely(lex: Lexicon) -> None:
    # The side check reads the whole turn, its question included.
    said = (
        "Who would even check the kv cache in practice? I don't know, the review process "
        "belonged to a separate policy group with its own tooling, budget and meetings."
    )
    assert read(lex, said).intent == "dont_know"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # what kept the speaker from hearing, or the words caught, are no answer
        (
            "Sorry, I was scribbling the kv cache layout and missed what you asked. Could you "
            "go again?",
            "repeat",
        ),
        ("Could you say that last one again? I only caught the words paged attention.", "repeat"),
        # what is to be worked out, named, is no proposal
        (
            "Paged attention, okay. Give me a minute to work out which size I'd "
            "actually commit to.",
            "need_time",
        ),
    ],
)
def test_beside_a_request_what_was_missed_and_what_is_to_be_worked_out(
    lex: Lexicon, text: str, intent: str
) -> None:
    assert read(lex, text).intent == intent


def test_a_topic_said_back_before_the_answer_asks_nothing(lex: Lexicon) -> None:
    # A few words with a question mark, then the speaker's own verdict: the topic.
    assert lex.understand("Kv cache down at peak? Serve anyway.").asked == ()
    # After a question of its own, the same shape narrows that question: asked.
    narrowed = lex.understand(
        "Can I see the traffic numbers? Even just the peak hour? I'd size from it."
    )
    assert narrowed.asked != ()


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # not knowing a term, said without a question: help, not the meaning
        ("Don't know uplift. Only heard the name.", "dont_know"),
        ("uplift um i've heard the name but i honestly don't know what it does", "dont_know"),
        # with a question it still asks for the meaning
        ("Uplift, what is it exactly? I've only heard the name.", "clarify_term"),
    ],
)
def test_only_the_name_asks_for_a_meaning_only_with_a_question(
    terms_lex: Lexicon, text: str, intent: str
) -> None:
    assert terms_lex.understand(text).intent == intent


def test_what_was_wondered_about_asks_nothing(lex: Lexicon) -> None:
    said = "You answered most of what I was wondering about along the way, so nothing from me."
    assert read(lex, said).intent == "no_questions"
    assert read(lex, "I'm curious about how big the onsite is").asked == ("onsite",)
    # said as what is asked next, it asks
    assert read(lex, "What I was wondering about is how the onsite works").asked == ("onsite",)


def test_a_half_not_heard_is_asked_again(lex: Lexicon) -> None:
    assert read(lex, "Sorry, what was the second half of that?").intent == "repeat"


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        # the speaker answers their own question with an assumption and goes on
        ("What's the peak traffic? I'll assume a few thousand requests a second.", ()),
        ("so first thing whats the peak traffic um but ill just assume a few thousand", ()),
        ("How much GPU memory is there? Assuming eighty gigabytes, the cache fits.", ()),
        # asking whether one may assume is still asking
        ("Can I assume the GPU memory is eighty gigabytes?", ("gpus",)),
        # an assumption said first does not take back the question after it
        ("I'll assume a single region. What's the peak traffic?", ("traffic",)),
    ],
)
def test_a_question_answered_by_an_assumption_asks_nothing(
    lex: Lexicon, text: str, asked: tuple[str, ...]
) -> None:
    assert read(lex, text).asked == asked


def test_the_speakers_own_choice_asked_aloud_asks_nothing(lex: Lexicon) -> None:
    # "How did I pick it? I measured it.": the interviewer's question said back and answered
    said = "How did I size the kv cache? I measured the GPU memory left after the weights."
    assert read(lex, said).asked == ()
    assert read(lex, "Do I ship it? Yes, with the evals done first.").asked == ()
    # a question about the speaker's own future is put to the interviewer
    assert read(lex, "Which team would I be on after the onsite?").asked != ()


def test_a_question_naming_things_of_its_own_is_not_read_with_the_one_before(
    lex: Lexicon,
) -> None:
    before = "I'd shard the weights over the GPUs. "
    assert read(lex, before + "Has anyone tried that yet?").asked == ("gpus",)
    said = before + "Is this running with special allocator settings or default ones?"
    assert read(lex, said).asked == ("",)


def test_the_interviewers_question_said_over_asks_nothing(lex: Lexicon) -> None:
    put = "Who owns the GPU budget for the onsite, and how would you split it?"
    said = "Who owns the GPU budget? The infra lead, and I'd split it by traffic."
    assert lex.understand(said, put=put).asked == ()
    assert lex.understand(said).asked == ("",)  # (without the question put, it is asked)
    # ... but asked with words of its own, it is asked
    assert lex.understand("What's the GPU memory? I'd split by traffic.", put=put).asked == (
        "gpus",
    )
    # ... and said over with no answer after it, it is asked
    assert lex.understand("Who owns the GPU budget?", put=put).asked == ("",)


@pytest.mark.parametrize(
    ("text", "credited"),
    [
        # a control left undone: open, unrestricted, unchecked
        ("I'd leave the sandbox wide open, the agent needs pip.", False),
        ("Honestly I'd keep the container unrestricted for the beta.", False),
        # left in place is kept
        ("I'd leave the sandbox in place for every task.", True),
    ],
)
def test_a_control_left_open_is_turned_down(lex: Lexicon, text: str, credited: bool) -> None:
    assert ("sandbox" in read(lex, text).labels) is credited


@pytest.mark.parametrize(
    ("answer", "gives"),
    [
        ("It writes a working exploit for maybe one bug in five.", True),
        ("They are rare, a few in ten thousand conversations.", True),
        ("It explains the bug and sketches a proof of concept.", False),
    ],
)
def test_a_ratio_says_how_often(answer: str, gives: bool) -> None:
    # what an answer must hold to answer "how often ...?"
    assert bool(KIND_EVIDENCE["often"].search(answer)) is gives


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # why the time is needed is no answer
        ("Can I take a minute? I'd rather get the numbers right than make them up.", "need_time"),
        # what was missed, in chat shorthand
        ("sry can u repeat that, missed the 2nd half", "repeat"),
        # no answer, no argument, no explanation to give
        ("yeah i mean i i don't have a good answer to that one", "dont_know"),
        ("Honestly I can't think of a good argument for it.", "no_example"),
        (
            "I know roughly what a kv cache is, but paged attention I couldn't explain properly.",
            "dont_know",
        ),
        # an answer that says it has one is an answer
        (
            "I don't have a good answer for every case, but I'd put a kv cache on each replica.",
            None,
        ),
        # counted, not asked for: "a second person", "the gap I missed that time"
        ("Now I get a second person to look over the evals before any launch.", None),
        ("So the gap I missed that time can't hide in my blind spot again.", None),
        ("Sorry, missed that.", "repeat"),
        # what is not known, named after "tbh"
        ("no idea tbh what the kv cache even holds once the context is full", "dont_know"),
        # not having built the thing, said after not knowing, is the reason for it
        (
            "I don't know what changes at that scale. I have not built a kv cache before.",
            "dont_know",
        ),
        # a qualification in a relative clause is no request
        ("Senior fits; staff would mean leading across teams, which I haven't done yet.", None),
        # what the speaker was busy thinking about beside "run that by me again"
        ("Hang on, run that by me again? I was still thinking about the sandbox.", "repeat"),
    ],
)
def test_more_requests_in_people_words(lex: Lexicon, text: str, intent: str | None) -> None:
    assert read(lex, text).intent == intent


def test_not_worrying_about_what_was_just_named_turns_it_down(lex: Lexicon) -> None:
    said = "The reference model is just there for form. I wouldn't worry about it."
    assert "kl" not in read(lex, said).labels
    assert "kl" in read(lex, "The reference model is there to stop drift. I'd keep it.").labels
    left = "The reference model is just there for form. I'd honestly leave that one alone."
    assert "kl" not in read(lex, left).labels


@pytest.mark.parametrize(
    ("question", "answer", "gives"),
    [
        # a part of a whole the question quotes: the whole's own figure says nothing of it
        (
            "How many of the seven hidden tests are about masking?",
            "Seven hidden tests check shapes and masking.",
            False,
        ),
        (
            "Of the twenty thousand prompts, how many are multi-turn?",
            "About twenty thousand prompts in twenty languages.",
            False,
        ),
        (
            "Of the twenty thousand prompts, how many are multi-turn?",
            "Twenty thousand prompts, three thousand of them multi-turn.",
            True,
        ),
        # no whole quoted: the figure may be the answer
        ("How many of the tests are about masking?", "Two of the seven tests mask.", True),
    ],
)
def test_a_part_of_a_quoted_whole(question: str, answer: str, gives: bool) -> None:
    assert answer_gives(question, answer) is gives


@pytest.mark.parametrize(
    ("text", "credited"),
    [
        ("Human eval is slow. I'd drop it entirely and let model judges do everything.", False),
        ("The sandbox seems complicated to get right.", False),
        ("The sandbox is complicated to get right, but worth it.", True),
        ("Human eval? Honestly I wouldn't bother keeping any around.", False),
    ],
)
def test_more_ways_of_turning_down(lex: Lexicon, text: str, credited: bool) -> None:
    label = "sandbox" if "sandbox" in text else "human_eval"
    assert (label in read(lex, text).labels) is credited


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("Its reasoning not matching its actions means our evals might be wrong.", True),
        ("A year of monitoring shows how it is actually misused.", True),
        ("What we gave up was headroom: the transformer would have kept improving.", True),
        ("I mean the cache.", False),
    ],
)
def test_reasons_said_as_consequences(lex: Lexicon, text: str, reasons: bool) -> None:
    assert ("reasons" in read(lex, text).labels) is reasons


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # opening on having no story, then the speaker's background: no story
        (
            "I don't have one. My whole career has been ETL jobs, the output classifier "
            "was another team's.",
            "no_example",
        ),
        ("Can't think of one. My models have always done what I built them to do.", "no_example"),
        ("Hardest one? There wasn't one really.", "no_example"),
        # what the speaker just did, as a rule, is background, not an episode
        ("Honestly, I can't think of a time. I just moved data around for the team.", "no_example"),
        ("There wasn't really a hard one.", "no_example"),
        # ... unless an episode, or what they would do, follows
        (
            "I don't have a big one, but a small one: I found the output classifier "
            "scoring cached replies.",
            None,
        ),
        (
            "Nothing like that has happened to me, but if it did, I'd notice it on the "
            "eval dashboard first.",
            None,
        ),
        # a view offered in its place is an answer, however thin (the rubric weighs it)
        (
            "Hmm, I can't think of one really. I think evals matter a lot, so I'm always "
            "careful to test my models.",
            None,
        ),
        # nothing was needed: no word about having a story
        ("It's behind the VPN so nobody can reach the kv cache, we never really had to.", None),
    ],
)
def test_a_turn_that_opens_on_having_no_story(lex: Lexicon, text: str, intent: str | None) -> None:
    assert read(lex, text).intent == intent


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("Block per category, not on the average: a flat average can hide a regression.", True),
        ("I'd keep the container; it soaked up every spike we had.", True),
        ("Concentration is a real risk, yes, but audits answer it.", True),
        ("An eval means nothing if a rerun moves it more than the gap.", True),
        ("I'd aim for senior, which lines up with what I owned.", True),
        ("The refactor would have cost three weeks.", True),
        ("Reward climbing with length is the first sign of hacking.", True),
        ("Three things: the sandbox, the kv cache and the evals.", False),
    ],
)
def test_reasons_said_with_a_colon_a_concession_or_evidence(
    lex: Lexicon, text: str, reasons: bool
) -> None:
    assert ("reasons" in read(lex, text).labels) is reasons


@pytest.mark.parametrize(
    ("text", "credited"),
    [
        ("The sandbox, honestly I'd go without it.", False),
        ("A sandbox is solving a problem we don't have.", False),
        ("A sandbox isn't something we'd bother with.", False),
        ("Oh sure, let's put every task in its own sandbox.", False),
        ("Sure, I'd put every task in its own sandbox.", True),
        # conceding how it sounds holds the turn-down that came before
        ("I'd drop the sandbox. I know that sounds scary, but the sandbox costs minutes.", False),
    ],
)
def test_turned_down_by_going_without_or_mocking(lex: Lexicon, text: str, credited: bool) -> None:
    assert ("sandbox" in read(lex, text).labels) is credited


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("I'll use scipy's softmax for this, unless that's a problem.", True),
        ("I was going to multiprocess it across the cores, assuming that's allowed.", True),
        ("I'll assume H100s unless you tell me otherwise.", False),
    ],
)
def test_a_plan_put_up_for_leave_asks(sentence: str, question: bool) -> None:
    assert is_question(sentence) is question


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        # why the answer matters, said after the question, belongs to the asking
        ("How big is the base model? This decides if I can share the GPUs.", ("model",)),
        ("What's the peak traffic? If it's ten times the mean, that changes it.", ("traffic",)),
        ("How many GPUs? I want to work out the cache per token.", ("gpus",)),
        # unmarked questions in people's words: a stutter, a thing installed, tests that run
        ("what what numpy version is installed", ("",)),
        ("do the hidden tests also run on windows", ("",)),
    ],
)
def test_more_questions_asked(lex: Lexicon, text: str, asked: tuple[str, ...]) -> None:
    assert read(lex, text).asked == asked


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("which tools are available", True),
        ("b4 i start how long shld i talk for", True),
        ("did red teaming find anything on the strong one", True),
        ("so what i really want to know is whether anyone ran it", True),
        ("Did not matter in the end, we shipped.", False),
        ("do the rollback first then page the team", False),
        ("what we do is the rollback", False),
    ],
)
def test_what_is_and_is_not_an_unmarked_question(sentence: str, question: bool) -> None:
    assert is_question(sentence) is question


def test_who_does_something_is_answered_only_by_a_fact_that_says_who_does_it() -> None:
    asking = Asking(
        facts=[("review", ["launch review"]), ("owner", ["who owns"])],
        answers={
            "review": "The launch review reads the results before every release.",
            "owner": "Nobody owns it today; trust and safety and policy share it.",
        },
    )
    lex = Lexicon(SIGNALS, None, [], asking)
    assert lex.understand("Who chairs the launch review today?").asked == ("",)
    assert lex.understand("Who owns the launch review?").asked == ("owner",)


@pytest.mark.parametrize(
    ("question", "answer", "gives"),
    [
        ("What memory bandwidth should I assume?", "Eighty gigabytes per GPU.", False),
        ("What memory bandwidth should I assume?", "About three terabytes per second.", True),
    ],
)
def test_a_bandwidth_asked_for_is_a_figure_per_second(
    question: str, answer: str, gives: bool
) -> None:
    assert answer_gives(question, answer) is gives


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("The kv cache for that many contexts? Not sure. Never had to.", "dont_know"),
        ("sorry could you read that task again the part after the sandbox", "repeat"),
        # the problem not understood is not knowing, not a request to hear the question
        ("I don't understand why it fails.", "dont_know"),
        ("Sorry, I don't understand the question.", "repeat"),
    ],
)
def test_not_sure_and_not_understanding(lex: Lexicon, text: str, intent: str | None) -> None:
    assert read(lex, text).intent == intent


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        # a position, then a sentence that backs it
        (
            "I'd keep the container as it is. It has run every night for two years "
            "without paging anyone.",
            True,
        ),
        ("Hold it back. The uplift on novices has never been measured by anyone.", True),
        # a short answer first, then what backs it
        ("The sandbox. Every tool call the agent makes goes through it, untrusted.", True),
        # a position and further steps are no reasons; nor a platitude; nor giving way
        ("I'd add a sandbox. Then I'd put an output classifier after the model.", False),
        ("I'd add a sandbox.", False),
        ("It ships when it's good. Safety matters, obviously.", False),
        ("You're right. I had not thought about the kv cache as a cost at all.", False),
    ],
)
def test_a_position_backed_by_the_sentence_after_it(lex: Lexicon, text: str, reasons: bool) -> None:
    assert ("reasons" in read(lex, text).labels) is reasons


def test_a_term_named_then_asked_after_wants_its_meaning() -> None:
    # a fact that names the term does not answer what the term means
    asking = Asking(
        facts=[("study", ["uplift"])],
        answers={"study": "The uplift study takes six weeks."},
        definitions=[("uplift", ["uplift"])],
    )
    u = Lexicon(SIGNALS, None, [], asking).understand("Sorry, uplift, what is that?")
    assert (u.intent, u.term) == ("clarify_term", "uplift")


def test_what_a_thing_looks_like_is_asked_of_that_thing() -> None:
    asking = Asking(facts=[("size", ["team"])], answers={"size": "The team is twelve people."})
    lex = Lexicon(SIGNALS, None, [], asking)
    budget = "What does the GPU budget for eval runs look like on the team?"
    assert lex.understand(budget).asked == ("",)
    assert lex.understand("What does the team look like?").asked == ("size",)
