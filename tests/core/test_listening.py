"""The interviewer hears what was meant: requests, questions, rejection, wrong claims."""

from __future__ import annotations

import pytest

from interviewer import CandidateSaid, Say, Scenario, State, start, step, understand
from interviewer.engine import Step
from interviewer.facts import StateFacts


def says(result: Step) -> list[tuple[str, str]]:
    return [(a.line_id, a.kind) for a in result.actions if isinstance(a, Say)]


def answer(sc: Scenario, state: State, at: float, text: str) -> Step:
    return step(sc, state, CandidateSaid(at=at, text=text))


def at_architecture(mini: Scenario) -> State:
    s = answer(mini, start(mini, seed=1).state, 5, "How many requests per second?").state
    return answer(mini, s, 10, "Thanks, that's clear enough to start.").state


def test_questions_are_answered_from_facts_and_the_question_stays_open(mini: Scenario) -> None:
    s = start(mini, seed=1).state
    r = answer(mini, s, 5, "What latency do users expect?")
    assert says(r) == [("fact.latency", "answer")]
    r = answer(mini, r.state, 10, "and how many requests per second at peak")
    assert says(r) == [("fact.traffic", "answer")]
    r = answer(mini, r.state, 15, "Is there a budget for GPUs?")
    assert says(r) == [("meta.no_fact", "answer")]
    assert r.state.node == "opening"
    assert r.state.turns[-1].asked == ("",)
    # The candidate starts designing: the script moves on, credited with having asked.
    r = answer(mini, r.state, 20, "Okay, I'll assume we have enough of them.")
    assert says(r)[0][0].startswith("architecture")


def test_a_question_at_the_end_of_an_answer_is_answered_and_the_answer_kept(
    mini: Scenario,
) -> None:
    s = at_architecture(mini)
    r = answer(
        mini, s, 30, "I'd put a router in front and use continuous batching. What's the p99 target?"
    )
    assert says(r) == [("fact.latency", "answer")]
    # The candidate goes on; what was said before the question already counts.
    r = answer(mini, r.state, 40, "Fine, then batching it is.")
    assert says(r) == [("architecture.probe2", "follow_up")]


def test_a_question_no_fact_answers_at_the_end_of_an_answer_gets_an_honest_no(
    mini: Scenario,
) -> None:
    s = at_architecture(mini)
    r = answer(
        mini,
        s,
        30,
        "I'd put a router in front and use continuous batching. Do we know which GPUs "
        "we're on? That decides how I shard it.",
    )
    assert says(r) == [("meta.no_fact", "answer")]
    assert r.state.node == "architecture"
    # A sentence only shaped like a question, closing an answer, asks nothing either.
    r2 = answer(
        mini,
        s,
        30,
        "I'd put a router in front and use continuous batching. I'd question how much "
        "headroom is left at peak",
    )
    assert ("meta.no_fact", "answer") not in says(r2)
    # An offer to go on asks for nothing: the script goes on.
    r = answer(
        mini, s, 30, "I'd put a router in front and use continuous batching. Shall I go deeper?"
    )
    assert says(r) == [("architecture.probe2", "follow_up")]


def test_say_that_again_repeats_the_short_form_and_counts_for_nothing(mini: Scenario) -> None:
    s = start(mini, seed=1).state
    r = answer(mini, s, 5, "Sorry, can you say that again?")
    assert says(r) == [("opening.short", "repeat")]
    assert r.state.answers == () and r.state.turns[-1].meta == "repeat"
    assert not StateFacts(mini, r.state).answered("opening")


def test_a_term_is_explained_then_the_question_asked_again(mini: Scenario) -> None:
    s = at_architecture(mini)
    s = answer(mini, s, 30, "A router and continuous batching.").state  # probe2 asks about caching
    r = answer(mini, s, 40, "What do you mean by KV cache?")
    assert says(r) == [("define.kv-cache", "clarify"), ("architecture.probe2", "repeat")]
    r = answer(mini, s, 40, "What do you mean by warm pool?")
    assert says(r) == [("meta.no_definition", "clarify"), ("architecture.probe2", "repeat")]


def test_i_dont_know_gets_help_once_then_the_script_moves_on(mini: Scenario) -> None:
    s = start(mini, seed=1).state
    r = answer(mini, s, 5, "Honestly, I don't know.")
    assert says(r) == [("opening.hint", "hint")]
    r = answer(mini, r.state, 10, "Sorry, no idea.")
    assert says(r)[0] == ("meta.move_on", "hint")
    assert says(r)[1][0] == "nudge"  # the opening's next, with nothing credited
    assert all(t.labels == () for t in r.state.turns)


def test_an_answer_that_starts_with_i_dont_know_is_an_answer(mini: Scenario) -> None:
    s = at_architecture(mini)
    r = answer(mini, s, 30, "I don't know the exact numbers, but I'd use continuous batching.")
    assert says(r) == [("architecture.probe2", "follow_up")]


def test_asking_for_a_moment_is_acknowledged(mini: Scenario) -> None:
    r = answer(mini, start(mini, seed=1).state, 5, "Can I take a moment to think?")
    assert says(r) == [("meta.need_time", "ack")]
    assert r.state.node == "opening"


def test_a_rejected_mechanism_earns_nothing_and_is_challenged_once(mini: Scenario) -> None:
    s = at_architecture(mini)
    r = answer(mini, s, 30, "Continuous batching. No need for a KV cache, it's overkill here.")
    assert says(r) == [("challenge.cache", "challenge")]
    turn = r.state.turns[-1]
    assert "cache" not in turn.labels and [m.label for m in turn.rejected] == ["cache"]
    assert StateFacts(mini, r.state).rejected("cache")
    # The reply moves on as usual: the probe for caching is still due.
    r = answer(mini, r.state, 40, "Fair, recomputing the prefix every turn is slow.")
    assert says(r) == [("architecture.probe2", "follow_up")]


@pytest.mark.parametrize(
    "text",
    [
        "I'd skip the KV cache.",
        "Instead of a KV cache I'd just recompute.",
        "We don't need a prompt cache.",
        "A KV cache is unnecessary at this scale.",
    ],
)
def test_rejection_in_many_shapes_earns_no_credit(mini: Scenario, text: str) -> None:
    u = understand(mini, text)
    assert "cache" not in u.labels
    assert [m.label for m in u.rejected] == ["cache"]


def test_without_x_followed_by_what_goes_wrong_argues_for_x(mini: Scenario) -> None:
    assert "cache" in understand(mini, "Without a KV cache, every turn recomputes.").labels


def test_words_in_the_candidates_own_question_earn_nothing(mini: Scenario) -> None:
    u = understand(mini, "Should I use continuous batching here?")
    assert "batching" not in u.labels and u.asked == ("",)


@pytest.mark.parametrize(
    "text",
    [
        "Fine, so it drifts, which means we lose users.",
        "If the cache is cold then latency doubles.",
        "Given the traffic, batching pays for itself.",
    ],
)
def test_reasons_are_heard_without_because(mini: Scenario, text: str) -> None:
    assert "reasons" in understand(mini, text).labels


def test_a_bare_list_of_terms_is_marked(mini: Scenario) -> None:
    assert "bare_list" in understand(mini, "Batching, caching, sharding, quantisation.").labels
    assert "bare_list" not in understand(mini, "Batching, because GPUs idle otherwise.").labels


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "🙂🙂🙂",
        "Je pense qu'il faut d'abord mesurer la latence.",
        "batching " * 10_000,
        "why? " * 2_000,
        "\x00\x01 what?",
    ],
)
def test_bad_input_gets_a_line_and_never_an_exception(mini: Scenario, text: str) -> None:
    s = start(mini, seed=1).state
    r = answer(mini, s, 5, text)
    assert says(r), "the interviewer always says something back"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Sorry, I missed the question.", "repeat"),
        ("I lost track, can you say it again?", "repeat"),
        ("I forgot how the derivation goes.", "dont_know"),
        ("Nothing comes to mind, honestly.", "no_example"),
        ("Let me gather my thoughts.", "need_time"),
        ("Second answer.", None),
        ("We missed the regression because we only looked at aggregate accuracy.", None),
        ("I'm not sure we should add a KV cache at all.", None),
    ],
)
def test_requests_are_told_from_answers(mini: Scenario, text: str, intent: str | None) -> None:
    assert understand(mini, text).intent == intent


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("I would not worry about a KV cache here.", False),
        ("I don't think we need a KV cache.", False),
        ("I'd leave the KV cache out.", False),
        ("I don't think we should skip the KV cache.", True),
        ("If we didn't have a KV cache, every turn would recompute.", True),
        ("Not only a KV cache: continuous batching too.", True),
    ],
)
def test_a_clause_negated_as_a_whole_and_double_negation(
    mini: Scenario, text: str, kept: bool
) -> None:
    assert ("cache" in understand(mini, text).labels) is kept


def test_an_argument_made_on_request_takes_no_side(mini: Scenario) -> None:
    assert "stance.for" not in understand(mini, "The best case for it: ship it now.").labels
    held = understand(mini, "The strongest case against is the risk. But I'd still ship it.")
    assert "stance.for" in held.labels


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("could you run that by me once more", "repeat"),
        ("I didn't quite get that.", "repeat"),
        ("Sorry, what exactly are you asking?", "repeat"),
        ("We would run the evals again after retraining.", None),
        ("I'd ask her to look again.", None),
    ],
)
def test_asking_to_hear_it_again_in_other_words(
    mini: Scenario, text: str, intent: str | None
) -> None:
    assert understand(mini, text).intent == intent


def test_the_side_after_a_change_of_mind_is_the_side_taken(mini: Scenario) -> None:
    u = understand(mini, "You're right, I'd hold it back. I change my answer: ship it.")
    assert "stance.for" in u.labels


def test_a_request_in_unpunctuated_speech_does_not_swallow_the_answer(mini: Scenario) -> None:
    text = (
        "uh i don't really know how it was first noticed honestly somebody on the support "
        "team found it and told us i wasn't part of that bit"
    )
    assert understand(mini, text).intent is None


@pytest.mark.parametrize(
    "text",
    [
        "KV cache? Wouldn't bother.",
        "I'd take the prompt cache out.",
        "A KV cache isn't our problem at this scale.",
        "The KV cache I would leave out.",
    ],
)
def test_turned_down_across_sentences_and_after_the_name(mini: Scenario, text: str) -> None:
    u = understand(mini, text)
    assert "cache" not in u.labels and "cache" in [m.label for m in u.rejected]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Nah, that never really came up for me.", "no_example"),
        ("Honestly, no clue on that one.", "dont_know"),
        ("No, the KV cache never failed us; latency stayed flat.", None),
        ("Sorry, what?", "repeat"),
    ],
)
def test_a_short_negative_turn_asks_for_help_in_any_words(
    mini: Scenario, text: str, intent: str | None
) -> None:
    assert understand(mini, text).intent == intent


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("I would never ship without a KV cache.", True),
        ("I don't really see the need for a KV cache.", False),
        ("I'd refrain from a prompt cache.", False),
        ("A KV cache would be a maintenance nightmare.", False),
    ],
)
def test_more_ways_to_turn_down_and_to_keep(mini: Scenario, text: str, kept: bool) -> None:
    assert ("cache" in understand(mini, text).labels) is kept


def test_fillers_and_noise_do_not_hide_what_was_asked(mini: Scenario) -> None:
    u = understand(
        mini, "how many um requests per second do we [inaudible] expect at the evening peak"
    )
    assert u.asked == ("traffic",)


def test_a_conditional_is_a_reason(mini: Scenario) -> None:
    assert "reasons" in understand(mini, "If the cache is cold, every turn is slow.").labels


def test_keyboard_mash_with_an_apology_is_asked_again(mini: Scenario) -> None:
    assert understand(mini, "asdfjk;; sorry cat on keyboard").intent == "repeat"


@pytest.mark.parametrize(
    "text",
    [
        "I stand by that.",
        "Same answer. The risk is what it is.",
        # reasons under pushback, with no side named and nothing conceded
        "Because the evals are not done. That's evidence enough.",
    ],
)
def test_a_side_kept_under_pushback_without_naming_it_is_still_that_side(
    mini: Scenario, text: str
) -> None:
    s = answer(mini, start(mini, seed=1, node="decide").state, 5, "No, I'd hold it back.").state
    assert s.node == "push_against"
    turn = answer(mini, s, 10, text).state.turns[-1]
    assert "stance.against" in turn.labels
    assert "stance.for" not in turn.labels


def test_a_concession_under_pushback_is_not_a_side_kept(mini: Scenario) -> None:
    s = answer(mini, start(mini, seed=1, node="decide").state, 5, "No, I'd hold it back.").state
    turn = answer(mini, s, 10, "Fair point, you're right, I'd ship it.").state.turns[-1]
    assert "stance.against" not in turn.labels


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("wdym by kv cache", "clarify_term"),
        ("cant rly think of one", "no_example"),
        ("pls say that again", "repeat"),
        ("im gonna need a sec to think", "need_time"),
    ],
)
def test_chat_shorthand_is_read_as_the_words_it_stands_for(
    mini: Scenario, text: str, intent: str
) -> None:
    assert understand(mini, text).intent == intent


def test_torn_without_either_side_is_mixed(mini: Scenario) -> None:
    labels = understand(mini, "I can see arguments both ways, I'm not ready to pick.").labels
    assert "stance.mixed" in labels


def test_a_question_that_interrupts_an_answer_is_asked_and_the_answer_kept(
    mini: Scenario,
) -> None:
    u = understand(mini, "I'd put a kv cache in front, but hang on, how fast does it need to be?")
    assert u.asked == ("latency",)
    assert "cache" in u.labels


def test_still_cant_pick_is_torn(mini: Scenario) -> None:
    assert "stance.mixed" in understand(mini, "Honestly I still can't pick.").labels
    assert "stance.mixed" not in understand(mini, "I can't pick the risk over the cost.").labels


def test_a_side_heard_unclearly_is_asked_for_again_once(mini: Scenario) -> None:
    s = start(mini, seed=1, node="decide").state
    # "hold" was heard with low confidence: "fold it back" and "hold it back" differ
    r = step(mini, s, CandidateSaid(at=5, text="No, I'd hold it back.", unsure=("hold",)))
    assert says(r) == [("meta.unsure_side", "repeat")]
    assert r.state.node == "decide"
    assert r.state.turns[-1].labels == ()
    assert r.state.answers == ()
    # what they say next is read as usual, even if unsure again: asked once
    r = step(mini, r.state, CandidateSaid(at=10, text="Ship it.", unsure=("ship",)))
    assert r.state.node == "push_for"
    assert "stance.for" in r.state.turns[-1].labels


def test_an_unsure_word_outside_the_side_changes_nothing(mini: Scenario) -> None:
    s = start(mini, seed=1, node="decide").state
    said = CandidateSaid(at=5, text="No, I'd hold it back for now.", unsure=("now",))
    r = step(mini, s, said)
    assert r.state.node == "push_against"
    assert "stance.against" in r.state.turns[-1].labels


def test_a_side_also_said_in_clearly_heard_words_is_not_asked_again(mini: Scenario) -> None:
    s = start(mini, seed=1, node="decide").state
    said = CandidateSaid(at=5, text="I'd ship it, yes, release it now.", unsure=("release",))
    r = step(mini, s, said)
    assert r.state.node == "push_for"
