"""What the replay and progress pages show, built from stored rows. Pure: no IO here.

The templates only place values; every decision (what is hidden before the candidate has
scored themself, which words an evidence quote highlights, which word a timestamp
belongs to) is made here, where it can be tested without a browser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from markupsafe import Markup

from server.review import svg
from server.review.metrics import AnswerMetrics, DeliveryMetrics, as_words, delivery, session_length

KIND_LABELS = {
    "question": "Question",
    "follow_up": "Follow-up",
    "pushback": "Pushback",
    "constraint": "New constraint",
    "nudge": "Nudge",
    "time_check": "Time check",
    "closing": "Closing",
    "answer": "Answer",
    "repeat": "Repeat",
    "clarify": "Clarification",
    "hint": "Hint",
    "ack": "Pause",
    "challenge": "Challenge",
    "correction": "Correction",
}
END_REASONS = {
    "completed": "The round ran to its end.",
    "time": "Time ran out.",
    "left": "The round was ended early.",
}
DEFAULT_SCALE = (1, 5)


class CriterionLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def anchors(self) -> Mapping[int, str]: ...
    @property
    def scale(self) -> tuple[int, int]: ...


class ScenarioLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def round(self) -> str: ...
    @property
    def rubric(self) -> Sequence[CriterionLike]: ...


# ------------------------------------------------------------------ rubric definitions


@dataclass(frozen=True, slots=True)
class CriterionDef:
    id: str
    title: str
    anchors: tuple[tuple[int, str], ...]
    scale: tuple[int, int]

    @property
    def levels(self) -> list[int]:
        return list(range(self.scale[0], self.scale[1] + 1))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "scale": list(self.scale),
            "anchors": {str(level): text for level, text in self.anchors},
        }


def rubric_of(
    scenario: ScenarioLike | None, scores: Sequence[Mapping[str, Any]] = ()
) -> list[CriterionDef]:
    """The scenario's criteria in its order; criteria scored but no longer in the scenario
    file (or a scenario gone from the catalog) follow with the default scale."""
    out: list[CriterionDef] = []
    if scenario is not None:
        for c in scenario.rubric:
            anchors = tuple(sorted((int(k), str(v)) for k, v in c.anchors.items()))
            out.append(CriterionDef(c.id, c.title, anchors, tuple(c.scale)))  # type: ignore[arg-type]
    known = {c.id for c in out}
    for s in scores:
        cid = str(s["criterion"])
        if cid not in known:
            known.add(cid)
            low, high = DEFAULT_SCALE
            if s["level"] is not None:
                low, high = min(low, int(s["level"])), max(high, int(s["level"]))
            out.append(CriterionDef(cid, cid, (), (low, high)))
    return out


# ------------------------------------------------------------------ transcript


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    word: int | None = None
    start: float | None = None
    end: float | None = None
    evidence: tuple[int, ...] = ()

    @property
    def evidence_attr(self) -> str:
        return " ".join(str(k) for k in self.evidence)


@dataclass(frozen=True, slots=True)
class Item:
    type: str  # interviewer, candidate, phase, ended
    seq: int
    at: float
    seek: float  # where the audio goes when the line is clicked
    end: float | None
    text: str
    segments: tuple[Segment, ...] = ()
    kind: str = ""
    turn: int | None = None
    note: str = ""
    answer: AnswerMetrics | None = None

    @property
    def anchor(self) -> str:
        return f"m-{self.seq}"

    @property
    def at_text(self) -> str:
        return svg.clock(self.at)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())

    @property
    def timed(self) -> bool:
        return any(s.word is not None for s in self.segments)


_TOKEN = re.compile(r"\S+")
_NORMAL = re.compile(r"[^a-z0-9']+")


def _norm(text: str) -> str:
    return _NORMAL.sub("", text.lower().replace("\u2019", "'"))


def align_words(text: str, words: Sequence[Mapping[str, Any]]) -> list[tuple[int, int] | None]:
    """For each timed word, the character span of the same word in `text` (None when it
    cannot be found a few tokens ahead: the transcript and the words disagree)."""
    tokens = [(m.start(), m.end(), _norm(m.group(0))) for m in _TOKEN.finditer(text)]
    out: list[tuple[int, int] | None] = []
    cursor = 0
    for w in words:
        target = _norm(str(w.get("text", "")))
        found = None
        if target:
            for i in range(cursor, min(cursor + 6, len(tokens))):
                if tokens[i][2] == target:
                    found = i
                    break
        if found is None:
            out.append(None)
            continue
        out.append((tokens[found][0], tokens[found][1]))
        cursor = found + 1
    return out


def segments(
    text: str,
    words: Sequence[Mapping[str, Any]] = (),
    marks: Sequence[tuple[int, int, int]] = (),
) -> tuple[Segment, ...]:
    """Cut `text` into runs that share one timed word and one set of evidence marks
    (`marks`: (start, end, key) character spans)."""
    spans = align_words(text, words) if words else []
    word_at: list[int | None] = [None] * len(text)
    for index, span in enumerate(spans):
        if span is not None:
            for pos in range(span[0], span[1]):
                word_at[pos] = index
    marks_at: list[tuple[int, ...]] = [()] * len(text)
    for start, end, key in marks:
        for pos in range(max(0, start), min(len(text), end)):
            marks_at[pos] = (*marks_at[pos], key)
    out: list[Segment] = []
    begin = 0
    for pos in range(1, len(text) + 1):
        if pos == len(text) or word_at[pos] != word_at[begin] or marks_at[pos] != marks_at[begin]:
            at = word_at[begin]
            w = words[at] if at is not None else None
            out.append(
                Segment(
                    text[begin:pos],
                    at,
                    float(w["start"]) if w is not None else None,
                    float(w["end"]) if w is not None else None,
                    marks_at[begin],
                )
            )
            begin = pos
    return tuple(out)


# ------------------------------------------------------------------ rubric view


@dataclass(frozen=True, slots=True)
class EvidenceView:
    key: int
    criterion: str
    seq: int | None
    turn: int
    label: str
    quote: str
    start: int
    end: int

    @property
    def href(self) -> str | None:
        return f"#m-{self.seq}" if self.seq is not None else None

    @property
    def label_text(self) -> str:
        return self.label.replace("_", " ").replace(".", ": ")


@dataclass(frozen=True, slots=True)
class CriterionView:
    definition: CriterionDef
    auto: int | None
    self_level: int | None
    note: str
    evidence: tuple[EvidenceView, ...]
    # Scored without a level: what the criterion looks for never came up in the round.
    not_shown: bool = False

    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def title(self) -> str:
        return self.definition.title

    @property
    def levels(self) -> list[int]:
        return self.definition.levels

    @property
    def anchors(self) -> tuple[tuple[int, str], ...]:
        return self.definition.anchors

    @property
    def gap(self) -> int | None:
        if self.auto is None or self.self_level is None:
            return None
        return self.self_level - self.auto

    @property
    def gap_text(self) -> str:
        gap = self.gap
        if gap is None:
            return ""
        if gap == 0:
            return "Your score matches the automatic level."
        more = "higher" if gap > 0 else "lower"
        step = "level" if abs(gap) == 1 else "levels"
        return f"You scored yourself {abs(gap)} {step} {more} than the automatic level."


def evidence_views(
    scores: Sequence[Mapping[str, Any]], candidate_seqs: Sequence[int]
) -> dict[str, tuple[EvidenceView, ...]]:
    """Evidence per criterion with a page-wide key; `seq` filled from the turn when an
    older stored score lacks it."""
    out: dict[str, tuple[EvidenceView, ...]] = {}
    key = 0
    for s in scores:
        views = []
        for e in s.get("evidence", []):
            turn = int(e.get("turn", -1))
            seq = e.get("seq")
            if seq is None and 0 <= turn < len(candidate_seqs):
                seq = candidate_seqs[turn]
            views.append(
                EvidenceView(
                    key=key,
                    criterion=str(s["criterion"]),
                    seq=int(seq) if seq is not None else None,
                    turn=turn,
                    label=str(e.get("label", "")),
                    quote=str(e.get("quote", "")),
                    start=int(e.get("start", 0)),
                    end=int(e.get("end", 0)),
                )
            )
            key += 1
        out[str(s["criterion"])] = tuple(views)
    return out


# ------------------------------------------------------------------ the page


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    svg: Markup
    note: str = ""


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
    messages: Sequence[Mapping[str, Any]],
    scores: Sequence[Mapping[str, Any]],
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
    candidate_seqs = [int(m["seq"]) for m in messages if m.get("type") == "candidate"]
    turn_of = {seq: i for i, seq in enumerate(candidate_seqs)}
    by_criterion = evidence_views(scores, candidate_seqs)
    auto = {str(s["criterion"]): int(s["level"]) for s in scores if s["level"] is not None}
    not_shown = {str(s["criterion"]) for s in scores if s["level"] is None}
    metrics = delivery(messages, words, line_durations=line_durations)
    answers = {a.seq: a for a in metrics.answers}

    marks: dict[int, list[tuple[int, int, int]]] = {}
    if revealed:
        for views in by_criterion.values():
            for ev in views:
                if ev.seq is not None and ev.end > ev.start:
                    marks.setdefault(ev.seq, []).append((ev.start, ev.end, ev.key))

    items: list[Item] = []
    for m in messages:
        kind = str(m.get("type", ""))
        seq = int(m["seq"])
        at = _num(m.get("at"))
        text = str(m.get("text", ""))
        if kind == "candidate":
            timed = list(as_words(words.get(seq, ())))
            timed_dicts = [{"text": w.text, "start": w.start, "end": w.end} for w in timed]
            seek = timed[0].start if timed else _num(m.get("start"), at)
            items.append(
                Item(
                    type=kind,
                    seq=seq,
                    at=_num(m.get("start"), at),
                    seek=seek,
                    end=timed[-1].end if timed else _num(m.get("end"), at),
                    text=text,
                    segments=segments(text, timed_dicts, marks.get(seq, ())),
                    turn=turn_of[seq],
                    note=turn_notes.get(str(seq), ""),
                    answer=answers.get(seq),
                )
            )
        elif kind == "interviewer":
            items.append(
                Item(
                    type=kind,
                    seq=seq,
                    at=at,
                    seek=at,
                    end=None,
                    text=text,
                    segments=(Segment(text),),
                    kind=str(m.get("kind", "")),
                )
            )
        elif kind == "phase":
            items.append(
                Item(type=kind, seq=seq, at=at, seek=at, end=None, text=str(m.get("title", "")))
            )
        elif kind == "ended":
            reason = str(m.get("reason", ""))
            items.append(
                Item(
                    type=kind,
                    seq=seq,
                    at=at,
                    seek=at,
                    end=None,
                    text=END_REASONS.get(reason, reason),
                )
            )

    criteria = tuple(
        CriterionView(
            definition=c,
            auto=auto.get(c.id) if revealed else None,
            self_level=self_levels.get(c.id),
            note=criterion_notes.get(c.id, ""),
            evidence=by_criterion.get(c.id, ()) if revealed else (),
            not_shown=revealed and c.id in not_shown,
        )
        for c in rubric
    )
    duration = session_length(messages, words)
    counts = {
        "pushbacks": sum(1 for m in messages if m.get("kind") == "pushback"),
        "constraints": sum(1 for m in messages if m.get("kind") == "constraint"),
        "pauses": len(metrics.pauses),
    }
    return ReplayView(
        items=tuple(items),
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


def timeline_svg(
    messages: Sequence[Mapping[str, Any]],
    metrics: DeliveryMetrics,
    duration: float,
) -> Markup:
    phases: list[svg.Band] = []
    starts = [
        (_num(m.get("at")), str(m.get("title", ""))) for m in messages if m.get("type") == "phase"
    ]
    for i, (start, title) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else duration
        phases.append(svg.Band(start, max(end, start), title))
    markers = [
        svg.Marker(
            _num(m.get("at")),
            str(m.get("kind", "")),
            KIND_LABELS.get(str(m.get("kind")), "Interviewer")
            + ": "
            + _short(str(m.get("text", ""))),
            f"#m-{m['seq']}",
        )
        for m in messages
        if m.get("type") == "interviewer"
    ]
    said = {int(m["seq"]): m for m in messages if m.get("type") == "candidate"}
    answers = []
    for a in metrics.answers:
        message = said[a.seq]
        start = (
            a.start if a.start is not None else _num(message.get("start"), _num(message.get("at")))
        )
        end = a.end if a.end is not None else _num(message.get("end"), start)
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


def _num(value: Any, default: float = 0.0) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return default


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------ progress


@dataclass(frozen=True, slots=True)
class AttemptScores:
    session_id: str
    created_at: float
    auto: Mapping[str, int]  # empty when not revealed
    self_levels: Mapping[str, int]
    revealed: bool


@dataclass(frozen=True, slots=True)
class CriterionProgress:
    definition: CriterionDef
    chart: Markup
    latest_auto: int | None
    latest_self: int | None


@dataclass(frozen=True, slots=True)
class Weak:
    criterion: str
    title: str
    level: float  # mean of the latest levels, on the criterion's own scale
    scale: tuple[int, int]
    normalised: float
    scenarios: tuple[tuple[str, str], ...]  # (id, title) that train it

    @property
    def level_text(self) -> str:
        text = f"{self.level:.1f}".rstrip("0").rstrip(".")
        return f"{text} of {self.scale[1]}"


def date_label(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%b %d")


def scenario_progress(
    rubric: Sequence[CriterionDef], attempts: Sequence[AttemptScores]
) -> list[CriterionProgress]:
    ordered = sorted(attempts, key=lambda a: a.created_at)
    out = []
    for c in rubric:
        points = [
            svg.Attempt(
                label=f"{date_label(a.created_at)} #{i + 1}",
                auto=a.auto.get(c.id) if a.revealed else None,
                self_level=a.self_levels.get(c.id),
                href=f"/sessions/{a.session_id}",
            )
            for i, a in enumerate(ordered)
        ]
        chart = svg.levels_chart(points, c.scale, title=f"{c.title}: level per attempt")
        autos = [p.auto for p in points if p.auto is not None]
        selfs = [p.self_level for p in points if p.self_level is not None]
        out.append(
            CriterionProgress(c, chart, autos[-1] if autos else None, selfs[-1] if selfs else None)
        )
    return out


def weakest(
    latest: Sequence[tuple[str, CriterionDef, int]],
    trainers: Mapping[str, Sequence[tuple[str, str]]],
    limit: int = 5,
) -> list[Weak]:
    """`latest`: (scenario id, criterion, its latest revealed automatic level) per
    scenario and criterion. Criteria sharing an id across scenarios pool together; the
    lowest on their own scale come first."""
    pooled: dict[str, list[tuple[CriterionDef, int]]] = {}
    for _scenario, c, level in latest:
        pooled.setdefault(c.id, []).append((c, level))
    out = []
    for cid, items in pooled.items():
        c = items[0][0]
        low, high = c.scale
        mean = sum(level for _, level in items) / len(items)
        norm = (mean - low) / (high - low) if high > low else 1.0
        out.append(Weak(cid, c.title, mean, c.scale, norm, tuple(trainers.get(cid, ()))))
    out.sort(key=lambda w: (w.normalised, w.title))
    return [w for w in out if w.normalised < 1.0][:limit]


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
