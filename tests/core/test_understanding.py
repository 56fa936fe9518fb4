from __future__ import annotations

import pytest

from interviewer import Scenario, understand


@pytest.mark.parametrize(
    ("text", "stance"),
    [
        ("Yes, I would ship it with a staged rollout.", "stance.for"),
        ("I would not release it yet.", "stance.against"),
        ("No, I meant we should hold it back.", "stance.against"),
        ("I don't think we should ship it.", "stance.against"),
        ("I'm not convinced we should hold it back.", "stance.for"),
        ("I'd ship it, but honestly I'd also hold it back for a while.", "stance.mixed"),
        ("It depends on the misuse evaluation.", "stance.mixed"),
    ],
)
def test_stance(mini: Scenario, text: str, stance: str | None) -> None:
    labels = understand(mini, text).labels
    found = {x for x in labels if x.startswith("stance.")}
    assert found == ({stance} if stance else set())


def test_negation_does_not_cross_a_clause(mini: Scenario) -> None:
    labels = understand(mini, "It is not perfect, but I would ship it.").labels
    assert "stance.for" in labels


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("I guess maybe it sort of works.", {"hedging", "short"}, {"specific"}),
        ("We cut p99 latency to 120 ms for 2 million users.", {"specific"}, {"vague"}),
        (
            "We should think about it carefully and make sure everything is done well overall.",
            {"vague"},
            {"specific", "short"},
        ),
        (
            "I'd use a KV cache because prefill dominates.",
            {"glossary", "reasons", "specific"},
            set(),
        ),
        ("What is the expected QPS? Are we serving one region?", {"question"}, set()),
        ("You're right, I hadn't considered that.", {"concede"}, {"reasons"}),
        ("Fair point, but I would still ship it.", set(), {"concede"}),
        ("", {"empty", "short"}, set()),
    ],
)
def test_builtin_labels(mini: Scenario, text: str, present: set[str], absent: set[str]) -> None:
    labels = understand(mini, text).labels
    assert present <= labels, labels
    assert not (absent & labels), labels


def test_star_parts(mini: Scenario) -> None:
    story = (
        "At my last job our ranking model started favouring clickbait. My role was to own "
        "the fix. I built an offline eval and I rolled back the reward change. As a result "
        "complaints dropped by 30 percent."
    )
    labels = understand(mini, story).labels
    assert {"star.situation", "star.task", "star.action", "star.result", "star.complete"} <= labels


def test_matches_point_at_the_words(mini: Scenario) -> None:
    text = "First, continuous batching."
    u = understand(mini, text)
    (m,) = [m for m in u.matches if m.label == "batching"]
    assert text[m.start : m.end] == "continuous batching"
