"""The replay page's model and its SVG charts, without a server."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from server.messages import messages_from_stored, scores_from_stored
from server.review import svg
from server.review.progress import weakest
from server.review.rubric import CriterionDef
from server.review.transcript import align_words, segments
from server.review.view import replay_view

SPEC = CriterionDef(
    "specificity", "Specific answers", ((1, "Vague."), (3, "Some."), (5, "Numbers.")), (1, 5)
)
STAR = CriterionDef("star", "STAR structure", ((1, "None."), (4, "All parts.")), (1, 4))


def parse(markup: str) -> ET.Element:
    """Every chart must be well-formed XML (inline SVG is parsed as such)."""
    return ET.fromstring(str(markup))


def test_align_words_tolerates_case_punctuation_and_missing_words() -> None:
    text = "Well, I'd cut P99 latency—by 30 ms."
    words = [
        {"text": " well", "start": 0.0, "end": 0.2},
        {"text": "I'd", "start": 0.3, "end": 0.5},
        {"text": "cut,", "start": 0.5, "end": 0.7},
        {"text": "absent", "start": 0.7, "end": 0.8},
        {"text": "p99", "start": 0.8, "end": 1.0},
        {"text": "30", "start": 1.5, "end": 1.7},
        {"text": "ms.", "start": 1.7, "end": 1.9},
    ]
    spans = align_words(text, words)
    found = [text[s[0] : s[1]] if s else None for s in spans]
    assert found == ["Well,", "I'd", "cut", None, "P99", "30", "ms."]


def test_segments_cover_the_text_and_carry_words_and_marks() -> None:
    text = "We cut latency by 30 ms overall."
    words = [{"text": w, "start": float(i), "end": i + 0.5} for i, w in enumerate(text.split())]
    marks = [
        (text.index("30"), text.index("ms") + 2, 7),
        (text.index("latency"), text.index("latency") + 7, 2),
    ]
    segs = segments(text, words, marks)
    assert "".join(s.text for s in segs) == text
    marked = {k: "".join(s.text for s in segs if k in s.evidence) for k in (2, 7)}
    assert marked == {2: "latency", 7: "30 ms"}
    timed = [(s.text, s.start) for s in segs if s.word is not None]
    assert ("30", 4.0) in timed and ("overall.", 6.0) in timed
    # Spaces between words belong to no word.
    assert all(s.word is None for s in segs if s.text.isspace())


def test_segments_without_words_or_marks_is_the_text() -> None:
    assert [s.text for s in segments("<b>hi</b>")] == ["<b>hi</b>"]
    assert segments("") == ()


def _messages() -> list[dict[str, Any]]:
    return [
        {"type": "phase", "seq": 1, "phase": "p", "title": "Warm-up", "until": 60, "at": 0.0},
        {"type": "interviewer", "seq": 2, "text": "Tell me.", "kind": "question", "at": 0.0},
        {
            "type": "candidate",
            "seq": 3,
            "text": "It took 30 ms, maybe.",
            "start": 4.0,
            "end": 6.0,
            "at": 6.0,
        },
        {"type": "interviewer", "seq": 4, "text": "Are you sure?", "kind": "pushback", "at": 6.0},
        {
            "type": "interviewer",
            "seq": 5,
            "text": "Now halve the budget.",
            "kind": "constraint",
            "at": 7.0,
        },
        {
            "type": "candidate",
            "seq": 6,
            "text": "Yes, I'd batch it.",
            "start": 9.0,
            "end": 10.0,
            "at": 10.0,
        },
        {"type": "ended", "seq": 7, "reason": "completed", "at": 11.0},
    ]


SCORES = [
    {
        "criterion": "specificity",
        "level": 3,
        "evidence": [
            {
                "turn": 0,
                "label": "specific",
                "quote": "It took 30 ms, maybe.",
                "start": 8,
                "end": 13,
                "seq": 3,
            }
        ],
    },
    # An older stored score without `seq`: the turn gives it.
    {
        "criterion": "star",
        "level": 2,
        "evidence": [
            {
                "turn": 1,
                "label": "star.action",
                "quote": "Yes, I'd batch it.",
                "start": 5,
                "end": 14,
            }
        ],
    },
]


def build(revealed: bool, self_levels: dict[str, int] | None = None) -> Any:
    return replay_view(
        mode="chat",
        status="ended",
        messages=messages_from_stored(_messages()),
        scores=scores_from_stored(SCORES),
        rubric=[SPEC, STAR],
        self_levels=self_levels or {},
        criterion_notes={"star": "practise the result part"},
        turn_notes={"3": "too short"},
        session_note="",
        words={},
        revealed=revealed,
        submitted=revealed,
    )


def test_automatic_levels_and_evidence_stay_hidden_until_revealed() -> None:
    hidden = build(False, {"specificity": 4})
    assert [c.auto for c in hidden.criteria] == [None, None]
    assert all(c.evidence == () for c in hidden.criteria)
    assert all(not s.evidence for item in hidden.items for s in item.segments)
    assert hidden.criteria[0].self_level == 4 and hidden.criteria[0].gap is None
    assert hidden.criteria[1].note == "practise the result part"
    assert not hidden.scored_all and hidden.can_assess


def test_revealed_view_links_evidence_to_the_quoted_turn_and_shows_the_gap() -> None:
    v = build(True, {"specificity": 4, "star": 2})
    spec, star = v.criteria
    assert (spec.auto, spec.self_level, spec.gap) == (3, 4, 1)
    assert spec.gap_text == "You scored yourself 1 level higher than the automatic level."
    assert star.gap == 0 and "matches" in star.gap_text
    assert [e.href for e in spec.evidence] == ["#m-3"]
    assert [e.href for e in star.evidence] == ["#m-6"]
    items = {i.seq: i for i in v.items}
    marked = "".join(s.text for s in items[3].segments if spec.evidence[0].key in s.evidence)
    assert marked == "30 ms"
    assert (
        "".join(s.text for s in items[6].segments if star.evidence[0].key in s.evidence)
        == "I'd batch"
    )
    assert items[3].note == "too short" and items[3].turn == 0 and items[6].turn == 1
    assert v.counts == {"pushbacks": 1, "constraints": 1, "pauses": 0}
    assert v.scored_all


def test_timeline_and_charts_are_well_formed_svg_with_links_to_turns() -> None:
    v = build(True)
    root = parse(v.timeline)
    assert root.tag.endswith("svg")
    hrefs = {a.get("href") for a in root.iter("{http://www.w3.org/2000/svg}a")}
    assert {"#m-2", "#m-3", "#m-4", "#m-5", "#m-6"} <= hrefs
    classes = {g.get("class") for g in root.iter("{http://www.w3.org/2000/svg}g")}
    assert {"mark mark-pushback", "mark mark-constraint", "band band-0", "answer"} <= classes
    titles = [c.title for c in v.charts]
    assert titles == ["Words per answer", "Fillers per 100 words", "Hedging per 100 words"]
    for chart in v.charts:
        parse(chart.svg)


def test_svg_text_is_escaped() -> None:
    evil = '<script>alert("x")</script> & </svg>'
    markup = svg.timeline(
        30.0,
        phases=[svg.Band(0, 30, evil)],
        markers=[svg.Marker(1.0, "pushback", evil, '#m-1" onclick="x')],
    )
    root = parse(markup)
    assert "<script>" not in str(markup)
    texts = "".join(root.itertext())
    assert evil in texts
    link = next(root.iter("{http://www.w3.org/2000/svg}a"))
    assert link.get("href") == '#m-1" onclick="x' and link.get("onclick") is None
    parse(svg.bars([1.0, None], [evil, "b"], title=evil))
    parse(svg.share_bar([(evil, 3.0, "you"), ("b", 1.0, "them")], title=evil))
    parse(svg.levels_chart([svg.Attempt(evil, 2, 3, "/sessions/x")], (1, 5), title=evil))


def test_bars_mark_missing_values_and_scale_to_the_largest() -> None:
    root = parse(svg.bars([10.0, None, 40.0], ["A1", "A2", "A3"], title="t"))
    bars = [
        g
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if (g.get("class") or "").startswith("bar")
    ]
    assert [g.get("class") for g in bars] == ["bar", "bar missing", "bar"]
    heights = [
        float(r.get("height", 0)) for g in bars for r in g.iter("{http://www.w3.org/2000/svg}rect")
    ]
    assert heights[1] == 4 * heights[0]


def test_levels_chart_draws_both_series() -> None:
    attempts = [svg.Attempt("#1", 1, 3), svg.Attempt("#2", 3, 3), svg.Attempt("#3", None, 4)]
    root = parse(svg.levels_chart(attempts, (1, 5), title="t"))
    lines = {
        p.get("class"): p.get("points") for p in root.iter("{http://www.w3.org/2000/svg}polyline")
    }
    assert set(lines) == {"auto-line", "self-line"}
    assert (
        len((lines["auto-line"] or "").split()) == 2
        and len((lines["self-line"] or "").split()) == 3
    )


def test_weakest_pools_criteria_on_their_own_scale() -> None:
    latest = [("a", SPEC, 3), ("b", SPEC, 1), ("a", STAR, 4), ("c", STAR, 2)]
    trainers = {"specificity": [("a", "Scenario A"), ("b", "Scenario B")], "star": [("c", "C")]}
    weak = weakest(latest, trainers)
    # specificity: mean 2 on 1-5 (0.25); star: mean 3 on 1-4 (0.67).
    assert [w.criterion for w in weak] == ["specificity", "star"]
    assert weak[0].level_text == "2 of 5" and weak[0].scenarios == (
        ("a", "Scenario A"),
        ("b", "Scenario B"),
    )
    # A criterion at the top of its scale everywhere is not a weakness.
    assert weakest([("a", SPEC, 5)], trainers) == []
