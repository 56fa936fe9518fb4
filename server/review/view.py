"""What the replay page shows, built from stored rows. Pure: no IO here.

The templates only place values; every decision (what is hidden before the candidate has
scored themself, which words an evidence quote highlights, which word a timestamp
belongs to) is made here or in the modules this one gathers, where it can be tested
without a browser: `transcript` (the lines and their timed, marked segments), `rubric`
(the criteria, levels and evidence), `charts` (the timeline and the per-answer bars).
`progress` builds the progress page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from server.messages import InterviewerLine, Message, Scored, turn_seqs
from server.review import svg
from server.review.charts import Chart, charts, timeline_svg
from server.review.metrics import DeliveryMetrics, delivery, session_length
from server.review.rubric import (
    CriterionDef,
    CriterionView,
    criterion_views,
    evidence_marks,
    evidence_views,
)
from server.review.transcript import Item, transcript_items


@dataclass(frozen=True, slots=True)
class ReplayView:
    items: tuple[Item, ...]
    criteria: tuple[CriterionView, ...]
    revealed: bool
    submitted: bool
    can_assess: bool
    metrics: DeliveryMetrics
    timeline: Markup
    charts: tuple[Chart, ...]
    duration: float
    session_note: str
    voice: bool
    has_words: bool
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def scored_all(self) -> bool:
        return bool(self.criteria) and all(c.self_level is not None for c in self.criteria)


def replay_view(
    *,
    mode: str,
    status: str,
    messages: Sequence[Message],
    scores: Sequence[Scored],
    rubric: Sequence[CriterionDef],
    self_levels: Mapping[str, int],
    criterion_notes: Mapping[str, str],
    turn_notes: Mapping[str, str],
    session_note: str,
    words: Mapping[int, Sequence[Mapping[str, Any]]],
    revealed: bool,
    submitted: bool,
    line_durations: Mapping[int, float] | None = None,
) -> ReplayView:
    by_criterion = evidence_views(scores, turn_seqs(messages))
    metrics = delivery(messages, words, line_durations=line_durations)
    items = transcript_items(
        messages,
        words,
        marks=evidence_marks(by_criterion) if revealed else {},
        turn_notes=turn_notes,
        answers={a.seq: a for a in metrics.answers},
    )
    criteria = criterion_views(
        rubric,
        scores,
        by_criterion,
        self_levels=self_levels,
        notes=criterion_notes,
        revealed=revealed,
    )
    duration = session_length(messages, words)
    kinds = [m.kind for m in messages if isinstance(m, InterviewerLine)]
    counts = {
        "pushbacks": kinds.count("pushback"),
        "constraints": kinds.count("constraint"),
        "pauses": len(metrics.pauses),
    }
    return ReplayView(
        items=items,
        criteria=criteria,
        revealed=revealed,
        submitted=submitted,
        can_assess=status == "ended" and bool(rubric) and bool(scores),
        metrics=metrics,
        timeline=timeline_svg(messages, metrics, duration),
        charts=charts(metrics),
        duration=duration,
        session_note=session_note,
        voice=mode == "voice",
        has_words=metrics.voiced,
        counts=counts,
    )


# ------------------------------------------------------------------ delivery summary


@dataclass(frozen=True, slots=True)
class SummaryRow:
    label: str
    value: str
    detail: str = ""
    needs_voice: bool = False


def _top(items: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"“{text}” ×{n}" for text, n in items)


def summary_rows(metrics: DeliveryMetrics, voice: bool) -> list[SummaryRow]:
    """The session's delivery figures as label/value rows; the ones that need word
    timestamps say why they are missing."""
    m = metrics
    rows = [
        SummaryRow("Answers", str(len(m.answers))),
        SummaryRow(
            "Words per answer",
            f"{m.words_per_answer:.0f}",
            f"{m.words} words in all; the longest answer had {m.longest_answer_words}",
        ),
        SummaryRow(
            "Filler words per 100 words",
            f"{m.fillers_per_100:.1f}",
            f"{m.fillers} in all" + (f": {_top(m.top_fillers)}" if m.top_fillers else ""),
        ),
        SummaryRow(
            "Hedging per 100 words",
            f"{m.hedges_per_100:.1f}",
            f"{m.hedges} in all" + (f": {_top(m.top_hedges)}" if m.top_hedges else ""),
        ),
    ]
    if not m.voiced:
        why = (
            "needs a voice session"
            if not voice
            else "no word timestamps were stored for this session"
        )
        for label in (
            "Words per minute",
            f"Pauses over {m.pause_threshold:g} s",
            "Time to first word",
            "Talk time",
        ):
            rows.append(SummaryRow(label, "–", why, needs_voice=True))
        return rows
    rows.append(
        SummaryRow(
            "Words per minute",
            f"{m.wpm:.0f}" if m.wpm is not None else "–",
            "first to last word of each answer",
        )
    )
    longest = m.longest_pause
    rows.append(
        SummaryRow(
            f"Pauses over {m.pause_threshold:g} s",
            str(len(m.pauses)),
            f"the longest {longest:.1f} s" if longest is not None else "",
        )
    )
    rows.append(
        SummaryRow(
            "Time to first word",
            f"{m.time_to_first_word:.1f} s" if m.time_to_first_word is not None else "–",
            "median over the answers, from the end of the question",
        )
    )
    talk = m.talk
    if talk is not None:
        if talk.share_of_talk is not None:
            value = f"{100 * talk.share_of_talk:.0f}% of the talking"
            them = svg.clock(talk.interviewer or 0.0)
            detail = f"you {svg.clock(talk.candidate)}, the interviewer {them}"
        else:
            share = talk.share_of_session
            value = f"{svg.clock(talk.candidate)}"
            detail = (
                f"{100 * share:.0f}% of the session" if share is not None else ""
            ) + "; the interviewer's spoken time is not known"
        rows.append(SummaryRow("Talk time", value, detail))
    return rows
