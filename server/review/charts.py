"""The replay page's charts: the session on one timeline, and the delivery figures per
answer as bars. Pure: metrics in, inline SVG markup out (`svg` draws).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from server.messages import CandidateLine, InterviewerLine, Message, PhaseStarted
from server.review import svg
from server.review.metrics import DeliveryMetrics
from server.review.transcript import KIND_LABELS, number


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    svg: Markup
    note: str = ""


def timeline_svg(
    messages: Sequence[Message],
    metrics: DeliveryMetrics,
    duration: float,
) -> Markup:
    phases: list[svg.Band] = []
    starts = [(number(m.at), m.title) for m in messages if isinstance(m, PhaseStarted)]
    for i, (start, title) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else duration
        phases.append(svg.Band(start, max(end, start), title))
    markers = [
        svg.Marker(
            number(m.at),
            m.kind,
            KIND_LABELS.get(m.kind, "Interviewer") + ": " + _short(m.text),
            f"#m-{m.seq}",
        )
        for m in messages
        if isinstance(m, InterviewerLine)
    ]
    said = {m.seq: m for m in messages if isinstance(m, CandidateLine)}
    answers = []
    for a in metrics.answers:
        message = said[a.seq]
        start = a.start if a.start is not None else number(message.start, number(message.at))
        end = a.end if a.end is not None else number(message.end, start)
        answers.append(svg.Span(start, end, f"Answer {a.turn + 1}: {a.words} words", f"#m-{a.seq}"))
    pauses = [
        svg.Span(p.start, p.end, f"Pause of {p.seconds:.1f} s", f"#m-{p.seq}")
        for p in metrics.pauses
    ]
    return svg.timeline(duration, phases=phases, markers=markers, answers=answers, pauses=pauses)


def charts(metrics: DeliveryMetrics) -> tuple[Chart, ...]:
    answers = metrics.answers
    if not answers:
        return ()
    labels = [f"A{a.turn + 1}" for a in answers]
    hrefs: list[str | None] = [f"#m-{a.seq}" for a in answers]
    out = [
        Chart(
            "Words per answer",
            svg.bars(
                [float(a.words) for a in answers],
                labels,
                title="Words per answer",
                unit="words",
                hrefs=hrefs,
            ),
        ),
        Chart(
            "Fillers per 100 words",
            svg.bars(
                [a.fillers_per_100 for a in answers],
                labels,
                title="Filler words per 100 words, per answer",
                hrefs=hrefs,
                fmt=lambda v: f"{v:.1f}",
            ),
        ),
        Chart(
            "Hedging per 100 words",
            svg.bars(
                [a.hedges_per_100 for a in answers],
                labels,
                title="Hedging phrases per 100 words, per answer",
                hrefs=hrefs,
                fmt=lambda v: f"{v:.1f}",
            ),
        ),
    ]
    if metrics.voiced:
        out += [
            Chart(
                "Words per minute",
                svg.bars(
                    [a.wpm for a in answers],
                    labels,
                    title="Words per minute, per answer",
                    unit="wpm",
                    hrefs=hrefs,
                ),
            ),
            Chart(
                "Time to first word",
                svg.bars(
                    [a.time_to_first_word for a in answers],
                    labels,
                    title="Seconds from the end of the question to the first word",
                    unit="s",
                    hrefs=hrefs,
                    fmt=lambda v: f"{v:.1f}",
                ),
            ),
        ]
        talk = metrics.talk
        if talk is not None:
            if talk.interviewer is not None:
                parts = [("You", talk.candidate, "you"), ("Interviewer", talk.interviewer, "them")]
                title = "Share of talk time"
            else:
                parts = [
                    ("You", talk.candidate, "you"),
                    ("Rest of the session", max(talk.session - talk.candidate, 0.0), "rest"),
                ]
                title = "Your talk time in the session"
            out.append(Chart(title, svg.share_bar(parts, title=title)))
    return tuple(out)


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
