"""Scenario wordings the first patterns missed: wrong theory claims read as the claim they
make (the right claim in the same words is not), and what a model says named as behaviour."""

from __future__ import annotations

import pytest

from interviewer import load_catalog

CATALOG = load_catalog()


@pytest.mark.parametrize(
    ("scenario", "text", "signal", "wrong"),
    [
        (
            "ml-theory",
            "Since we average over the d k terms, the variance of the dot product stays at one.",
            "wrong_variance",
            True,
        ),
        ("ml-theory", "The variance of the dot product is d k.", "wrong_variance", False),
        (
            "ml-theory",
            "If the context doubles, the cache needs four times the memory.",
            "wrong_kv_growth",
            True,
        ),
        ("ml-theory", "If the context doubles, the cache doubles too.", "wrong_kv_growth", False),
        (
            "ml-theory",
            "After SFT we use PPO to improve the reward model with the comparisons.",
            "wrong_rlhf_order",
            True,
        ),
        (
            "ml-theory",
            "After SFT we use PPO to improve the policy against the reward model.",
            "wrong_rlhf_order",
            False,
        ),
        (
            "ml-theory-systems",
            "Pre-LN is the one that needed the long warmup to train deep.",
            "wrong_norm_swap",
            True,
        ),
        (
            "ml-theory-systems",
            "Post-LN is the one that needed the long warmup to train deep.",
            "wrong_norm_swap",
            False,
        ),
        (
            "ml-theory-systems",
            "In data parallel each GPU holds a slice of the layers.",
            "wrong_dp",
            True,
        ),
        (
            "ml-theory-systems",
            "In data parallel each GPU holds a full copy and a slice of the batch.",
            "wrong_dp",
            False,
        ),
        (
            "mlops-generation-drift",
            "I put np.random.seed(seed) at the top. Now it's deterministic.",
            "wrong_seeded",
            True,
        ),
        (
            "deep-dive-own-system",
            "Our average latency was about 120 ms, so latency was fine.",
            "wrong_mean_latency",
            True,
        ),
        (
            "deep-dive-own-system",
            "Average latency was 120 ms, but the p99 was four seconds, so we fixed the tail.",
            "wrong_mean_latency",
            False,
        ),
        # in the words of later candidates: hyphens, spelled numbers, contractions
        ("ml-theory-systems", "The clip is gradient-norm clipping.", "wrong_clip_grad", True),
        (
            "ml-theory-systems",
            "PPO clips the probability ratio, not the gradient norm.",
            "wrong_clip_grad",
            False,
        ),
        (
            "ml-theory-systems",
            "Eighty layers, eight heads, 128 dims, two bytes: a hundred and sixty kilobytes.",
            "wrong_kv_factor",
            True,
        ),
        (
            "ml-theory-systems",
            "Speculative decoding is a speed for quality trade.",
            "wrong_spec_lossy",
            True,
        ),
        (
            "ml-theory-systems",
            "Speculative decoding gives the big model's distribution exactly, only faster.",
            "wrong_spec_lossy",
            False,
        ),
        ("ml-theory", "multihead is mainly cheaper, you save params", "wrong_multihead", True),
        (
            "deep-dive-own-system",
            "Mean latency's eighty milliseconds, so latency's fine.",
            "wrong_mean_latency",
            True,
        ),
        (
            "deep-dive-own-system",
            "It's internal, behind the VPN, so nobody hostile can get at it.",
            "wrong_internal_safe",
            True,
        ),
        (
            "coding-memory-leak",
            "if we call gc collect at the end of every step it'll free the memory",
            "wrong_gc",
            True,
        ),
        # the same claims said the other way round, or in a writer's own words
        ("coding-memory-leak", "GC would've reclaimed those tensors anyway.", "wrong_gc", True),
        (
            "coding-memory-leak",
            "The GC could not free them, the list held them.",
            "wrong_gc",
            False,
        ),
        (
            "ml-theory",
            "Then PPO is the step that trains the reward model on those pairs.",
            "wrong_rlhf_order",
            True,
        ),
        (
            "ml-theory-systems",
            "The way to shrink the pipeline bubble is to add more stages.",
            "wrong_bubble",
            True,
        ),
        (
            "ml-theory-systems",
            "The way to shrink the pipeline bubble is to add more micro-batches.",
            "wrong_bubble",
            False,
        ),
        (
            "coding-attention",
            "I do the softmax first, and after that I put zero where the mask is False.",
            "wrong_mask_order",
            True,
        ),
        (
            "deep-dive-own-system",
            "Latency is fine, I think. Our average is about eighty milliseconds.",
            "wrong_mean_latency",
            True,
        ),
        (
            "deep-dive-own-system",
            "Only internal, behind the VPN, so no hostile user can reach it.",
            "wrong_internal_safe",
            True,
        ),
        (
            "mlops-generation-drift",
            "I put np.random.seed(seed) at the start, so now all the random draws are fixed.",
            "wrong_seeded",
            True,
        ),
        (
            "deep-dive-own-system",
            "It's an internal service, so an attacker isn't really part of our threat model.",
            "wrong_internal_safe",
            True,
        ),
        (
            "deep-dive-own-system",
            "It's an internal service, so we still fuzz it: a bad caller is in our threat model.",
            "wrong_internal_safe",
            False,
        ),
        (
            "deep-dive-own-system",
            "Average latency was ninety ms, so the tail was never a concern.",
            "wrong_mean_latency",
            True,
        ),
        ("deep-dive-own-system", "The mean is what we page on.", "wrong_mean_latency", True),
        (
            "deep-dive-own-system",
            "Average latency was ninety ms, but the p99 is what we page on.",
            "wrong_mean_latency",
            False,
        ),
        (
            "ml-theory",
            "The variance remains one since each term has unit variance.",
            "wrong_variance",
            True,
        ),
        (
            "ml-theory",
            "After dividing by root d k, the variance stays one.",
            "wrong_variance",
            False,
        ),
        ("ml-theory", "Summed, the variance stays around one.", "wrong_variance", True),
        (
            "ml-theory",
            "Pretrain, then run PPO to train the reward model, then SFT.",
            "wrong_rlhf_order",
            True,
        ),
        (
            "deep-dive-own-system",
            "As long as the average stays flat we know it's healthy.",
            "wrong_mean_latency",
            True,
        ),
        (
            "ml-theory-systems",
            "sixty-four heads times 128 times 80 layers times 4 bytes, about 2.6MB a token",
            "wrong_kv_heads",
            True,
        ),
    ],
)
def test_wrong_claims_in_new_words(scenario: str, text: str, signal: str, wrong: bool) -> None:
    assert (signal in CATALOG[scenario].lexicon.understand(text).labels) is wrong


def test_what_the_model_says_is_its_behaviour_and_can_be_turned_down() -> None:
    lex = CATALOG["design-inference-serving"].lexicon
    u = lex.understand("What the model actually says isn't really the serving team's job.")
    assert "behavioural_drift" in [m.label for m in u.rejected]
    assert "behavioural_drift" in lex.understand("I'd watch what the model says per topic.").labels


@pytest.mark.parametrize(
    ("scenario", "text", "signal", "turned_down"),
    [
        # the opposite of a mechanism, said in its own words, turns the mechanism down
        ("design-harmlessness-evals", "I'd count every refusal as a pass.", "over_refusal", True),
        ("design-harmlessness-evals", "A refusal is always safe.", "over_refusal", True),
        (
            "design-harmlessness-evals",
            "Helpfulness is someone else's problem here.",
            "over_refusal",
            True,
        ),
        (
            "design-harmlessness-evals",
            "I wouldn't count refusals as a pass: over-refusal is a failure too.",
            "over_refusal",
            False,
        ),
        ("hiring-manager", "I'd keep it inside the team for now.", "notify", True),
        ("recruiter-screen", "No. You're the only company I'm talking to.", "other_process", True),
        ("recruiter-screen", "I'm also talking to two labs.", "other_process", False),
        ("hiring-manager", "I wouldn't loop anyone in until I'm sure.", "notify", True),
        ("hiring-manager", "I'd leave it serving while I dig in.", "mitigate", True),
        ("hiring-manager", "I'd page the on-call and roll it back.", "mitigate", False),
        (
            "design-inference-serving",
            "I'd recompute attention over the whole history each step.",
            "kv_cache",
            True,
        ),
        (
            "design-inference-serving",
            "Each request computes its own system prompt from zero.",
            "prompt_caching",
            True,
        ),
        (
            "design-harmlessness-evals",
            "All prompts in one shared set, training included.",
            "held_out",
            True,
        ),
        (
            "design-agent-orchestration",
            "File contents just go straight into the context like everything else.",
            "injection_defense",
            True,
        ),
        (
            "design-agent-orchestration",
            "I'm honestly not a fan of hard caps per task.",
            "budgets",
            True,
        ),
        (
            "design-rlhf-pipeline",
            "No checkpoints: if a node dies we just restart.",
            "checkpointing",
            True,
        ),
        (
            "coding-reward-eval",
            "Raising feels like a lot, I'd hand back zeros.",
            "errors",
            True,
        ),
    ],
)
def test_the_opposite_of_a_mechanism_turns_it_down(
    scenario: str, text: str, signal: str, turned_down: bool
) -> None:
    u = CATALOG[scenario].lexicon.understand(text)
    assert (signal in [m.label for m in u.rejected]) is turned_down
    assert (signal in u.labels) is not turned_down


def test_a_pass_bar_with_no_failures_in_it_is_an_answer() -> None:
    # "no severe failures" is part of the bar, said after the answer began: no request
    # for help (read as one, it had left a strong round's steelman unasked)
    said = (
        "Agent evals with a pass bar set before we look, ninety five percent on the long "
        "tasks and no severe failures, owned by me as the eval owner with the safety lead's "
        "sign-off. Red team in parallel. Then a staged rollout starting at ten percent."
    )
    assert CATALOG["culture-ship-before-evals"].lexicon.understand(said).intent is None
