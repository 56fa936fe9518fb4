"""One stored session as a file: JSON (everything, shaped as `docs/export.schema.json`),
Markdown (to read: transcript, rubric with evidence, self-scores, delivery metrics, notes)
or WebVTT (a cue per turn and one per piece of rubric evidence, beside the audio). Used by
`GET /api/sessions/{id}/export` and by `mockloop export` (server/export_cli.py):

    store = Store(settings.effective_database_url, settings.data_dir)
    export = render(store, session_id, "md", catalog)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from server.messages import (
    CandidateLine,
    CodeRunLine,
    Ended,
    InterviewerLine,
    Message,
    PhaseStarted,
    Scored,
    messages_from_stored,
    scores_from_stored,
)
from server.review.code import code_view
from server.review.metrics import delivery
from server.review.rubric import ScenarioLike, rubric_of
from server.review.transcript import align_words
from server.storage import AudioTrack, ReviewState, SessionRecord, Store

FORMATS = ("json", "md", "vtt")

_MEDIA = {
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
}


class _ScenarioLike(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def round(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Export:
    body: bytes
    media_type: str
    filename: str


def metrics(messages: Sequence[Message]) -> dict[str, Any]:
    """What was observed, in numbers: turns, words, lengths, duration."""
    candidate = [m for m in messages if isinstance(m, CandidateLine)]
    words = [len(m.text.split()) for m in candidate]
    times = [m.at for m in messages if m.at is not None]
    return {
        "candidate_turns": len(candidate),
        "candidate_words": sum(words),
        "words_per_turn": round(sum(words) / len(words), 1) if words else 0.0,
        "longest_turn_words": max(words, default=0),
        "interviewer_lines": sum(1 for m in messages if isinstance(m, InterviewerLine)),
        "duration": round(max(times), 3) if times else 0.0,
    }


DOCUMENT_FORMAT = "mockloop.session"
DOCUMENT_VERSION = 1


def session_document(
    record: SessionRecord,
    messages: Sequence[Message],
    scores: Sequence[Scored],
    scenario: _ScenarioLike | None,
    *,
    words: Mapping[int, list[dict[str, Any]]] | None = None,
    self_levels: Mapping[str, int] | None = None,
    notes: Mapping[str, Mapping[str, str]] | None = None,
    session_note: str | None = None,
    review: ReviewState | None = None,
    audio: Sequence[AudioTrack] = (),
    code: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything stored about one session, in the shape `docs/export.schema.json`
    describes (the same document the JSON export writes)."""
    words = words or {}
    notes = notes or {}
    review = review or ReviewState()
    rubric = rubric_of(cast("ScenarioLike | None", scenario), scores)
    return {
        "format": DOCUMENT_FORMAT,
        "version": DOCUMENT_VERSION,
        "id": record.id,
        "scenario": record.scenario_id,
        "scenario_title": scenario.title if scenario is not None else None,
        "round": str(scenario.round) if scenario is not None else None,
        "mode": record.mode,
        "status": record.status,
        "seed": record.seed,
        "time_scale": record.time_scale,
        "created_at": record.created_at,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "end_reason": record.end_reason,
        # What leaves is each message's and score's own wire form: as it was stored.
        "messages": [m.to_wire() for m in messages],
        "rubric": [c.to_json() for c in rubric],
        "scores": [s.to_wire() for s in scores],
        "self_assessment": {
            "levels": dict(self_levels or {}),
            "notes": dict(notes.get("criterion", {})),
            "submitted_at": review.submitted_at,
            "revealed_at": review.revealed_at,
        },
        "notes": {"session": session_note or None, "turns": dict(notes.get("turn", {}))},
        "words": {str(seq): ws for seq, ws in sorted(words.items())},
        "audio": [
            {
                "track": t.track,
                "media_type": t.media_type,
                "offset": t.offset,
                "duration": t.duration,
            }
            for t in audio
        ],
        "metrics": metrics(messages),
        "delivery": delivery(messages, words).to_json(),
        # Coding rounds: the task and the editor's snapshots (`review.code.code_view`).
        "code": dict(code) if code is not None else None,
    }


def build_document(
    store: Store, session_id: str, catalog: Mapping[str, _ScenarioLike] | None = None
) -> dict[str, Any] | None:
    """The session's full document from the store; None when it does not exist."""
    record = store.get_session(session_id)
    if record is None:
        return None
    scenario = (catalog or {}).get(record.scenario_id)
    task = getattr(scenario, "code", None)
    code = None
    if task is not None:
        code = code_view(task, store.load_events(session_id), record.time_scale)
    return session_document(
        record,
        store.load_transcript(session_id),
        store.load_scored(session_id),
        (catalog or {}).get(record.scenario_id),
        words=store.load_words(session_id),
        self_levels=store.load_self_assessment(session_id),
        notes=store.load_review_notes(session_id),
        session_note=store.load_note(session_id),
        review=store.load_review(session_id),
        audio=store.audio_tracks(session_id),
        code=code,
    )


def render(
    store: Store,
    session_id: str,
    fmt: str,
    catalog: Mapping[str, _ScenarioLike] | None = None,
) -> Export | None:
    """None when the session does not exist."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    doc = build_document(store, session_id, catalog)
    if doc is None:
        return None
    if fmt == "json":
        body = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    else:
        # The document's messages and scores, typed again for the readable formats.
        typed = _Typed(messages_from_stored(doc["messages"]), scores_from_stored(doc["scores"]))
        body = _markdown(doc, typed) if fmt == "md" else _vtt(doc, typed)
    return Export(body.encode("utf-8"), _MEDIA[fmt], f"mockloop-{session_id}.{fmt}")


@dataclass(frozen=True, slots=True)
class _Typed:
    messages: list[Message]
    scores: list[Scored]


def _clock(seconds: float) -> str:
    seconds = max(0.0, seconds)
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def _md_text(text: str) -> str:
    # Keep transcript text from turning into Markdown structure.
    out = text.replace("\\", "\\\\")
    for ch in "`*_[]<>#|":
        out = out.replace(ch, "\\" + ch)
    return " ".join(out.split())


def _md_level(value: int | None) -> str:
    return "–" if value is None else str(value)


def _markdown(doc: dict[str, Any], typed: _Typed) -> str:
    lines = _md_header(doc) + _md_transcript(doc, typed.messages)
    if doc["rubric"]:
        lines += _md_rubric(doc, typed)
    lines += _md_delivery(doc)
    if doc["code"] is not None and doc["code"]["latest"] is not None:
        # The code as the round left it, fenced so that Markdown leaves it alone.
        fence = "~~~~" if "~~~" in doc["code"]["latest"] else "~~~"
        lines += ["## Your code at the end", "", f"{fence}python", doc["code"]["latest"].rstrip()]
        lines += [fence, ""]
    if doc["notes"]["session"]:
        lines += ["## Notes", "", _md_text(doc["notes"]["session"]), ""]
    return "\n".join(lines)


def _md_header(doc: dict[str, Any]) -> list[str]:
    title = doc["scenario_title"] or doc["scenario"]
    when = (
        datetime.fromtimestamp(doc["created_at"], tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
        if doc["created_at"]
        else ""
    )
    return [
        f"# {_md_text(title)}",
        "",
        f"- Session: `{doc['id']}`",
        f"- Scenario: `{doc['scenario']}`",
        f"- Mode: {doc['mode']}",
        f"- Date: {when}",
        f"- Status: {doc['status']}" + (f" ({doc['end_reason']})" if doc["end_reason"] else ""),
        f"- Length: {_clock(doc['metrics']['duration'])}",
        "",
    ]


def _said_at(m: Message, default: float = 0.0) -> float:
    """When a message's words began: a candidate turn's start, else when it was sent."""
    if isinstance(m, CandidateLine) and m.start is not None:
        return m.start
    return m.at if m.at is not None else default


def _md_transcript(doc: dict[str, Any], messages: Sequence[Message]) -> list[str]:
    lines = ["## Transcript", ""]
    turn_notes = doc["notes"]["turns"]
    for m in messages:
        at = _clock(_said_at(m))
        if isinstance(m, InterviewerLine):
            kind = m.kind or None
            lines += [f"**[{at}] Interviewer** ({kind}): {_md_text(m.text)}", ""]
        elif isinstance(m, CandidateLine):
            lines += [f"**[{at}] You:** {_md_text(m.text)}", ""]
            note = turn_notes.get(str(m.seq))
            if note:
                lines += [f"> Your note: {_md_text(note)}", ""]
        elif isinstance(m, CodeRunLine):
            lines += [f"**[{at}] Code run:** {_md_text(m.summary)}", ""]
        elif isinstance(m, PhaseStarted):
            lines += [f"*[{at}] Phase: {_md_text(m.title)}*", ""]
        elif isinstance(m, Ended):
            lines += [f"*[{at}] The round ended ({m.reason}).*", ""]
    return lines


def _md_rubric(doc: dict[str, Any], typed: _Typed) -> list[str]:
    scores = {s.criterion: s for s in typed.scores}
    assessment = doc["self_assessment"]
    lines = ["## Rubric", ""]
    times = {m.seq: _clock(_said_at(m)) for m in typed.messages if isinstance(m, CandidateLine)}
    for c in doc["rubric"]:
        score = scores.get(c["id"])
        auto = score.level if score is not None else None
        mine = assessment["levels"].get(c["id"])
        top = c["scale"][1]
        if score is not None and auto is None:
            line = f"- Automatic level: not shown in this round · Your score: {_md_level(mine)}"
        else:
            line = f"- Automatic level: {_md_level(auto)} of {top} · Your score: {_md_level(mine)}"
        if auto is not None and mine is not None:
            line += f" (gap {mine - auto:+d})"
        lines += [f"### {_md_text(c['title'])}", "", line]
        if c["anchors"]:
            anchors = "; ".join(f"{k}: {_md_text(v)}" for k, v in c["anchors"].items())
            lines.append(f"- Anchors: {anchors}")
        evidence = score.evidence if score is not None else ()
        if evidence:
            lines.append("- Evidence:")
            for e in evidence:
                where = times.get(e.seq, "") if e.seq is not None else ""
                answer = "?" if e.turn is None else e.turn + 1
                lines.append(
                    f"  - “{_md_text(e.quote)}” ({_md_text(e.label)}, "
                    f"answer {answer}{', ' + where if where else ''})"
                )
        note = assessment["notes"].get(c["id"])
        if note:
            lines.append(f"- Your note: {_md_text(note)}")
        lines.append("")
    return lines


def _md_delivery(doc: dict[str, Any]) -> list[str]:
    delivery_doc = doc["delivery"]
    lines = [
        "## Delivery",
        "",
        f"- Answers: {delivery_doc['answers']}",
        f"- Words: {delivery_doc['words']} ({delivery_doc['words_per_answer']} per answer, "
        f"the longest {delivery_doc['longest_answer_words']})",
        f"- Filler words per 100 words: {delivery_doc['fillers_per_100_words']}"
        + _md_top(delivery_doc["top_fillers"]),
        f"- Hedging per 100 words: {delivery_doc['hedges_per_100_words']}"
        + _md_top(delivery_doc["top_hedges"]),
    ]
    if delivery_doc["voiced"]:
        talk = delivery_doc["talk_time"] or {}
        ttfw = delivery_doc["time_to_first_word_median"]
        lines += [
            f"- Words per minute: {delivery_doc['words_per_minute']}",
            f"- Pauses over {delivery_doc['pause_threshold']:g} s: {len(delivery_doc['pauses'])}",
            f"- Time to first word (median): {ttfw if ttfw is not None else '–'} s",
            f"- Talk time: {_clock(talk.get('candidate_seconds') or 0.0)}"
            + (
                f" ({round(100 * talk['share_of_talk'])}% of the talking)"
                if talk.get("share_of_talk") is not None
                else ""
            ),
        ]
    else:
        lines.append(
            "- Words per minute, pauses, time to first word, talk time: "
            + ("needs a voice session" if doc["mode"] != "voice" else "no word timestamps stored")
        )
    if delivery_doc["per_answer"]:
        lines += [
            "",
            "| answer | words | fillers /100 | hedging /100 | wpm | pauses | first word (s) |",
            "|---|---|---|---|---|---|---|",
        ]
        for a in delivery_doc["per_answer"]:
            lines.append(
                f"| {a['turn'] + 1} | {a['words']} | {a['fillers_per_100_words']} | "
                f"{a['hedges_per_100_words']} | {_md_opt(a['words_per_minute'])} | "
                f"{len(a['pauses']) if a['voiced'] else '–'} | "
                f"{_md_opt(a['time_to_first_word'])} |"
            )
    lines.append("")
    return lines


def _md_top(items: list[dict[str, Any]]) -> str:
    if not items:
        return ""
    return " (" + ", ".join(f"“{_md_text(i['text'])}” ×{i['count']}" for i in items) + ")"


def _md_opt(value: Any) -> str:
    return "–" if value is None else str(value)


def _vtt_time(seconds: float) -> str:
    ms = round(max(0.0, seconds) * 1000)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _vtt_text(text: str) -> str:
    # Escaping ">" also keeps "-->" out of the cue, and joining the whitespace keeps out
    # the blank line that would end it; an unescaping reader gets the words back.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.split())


def _vtt(doc: dict[str, Any], typed: _Typed) -> str:
    """One cue per turn (`m-<seq>`, voiced by `Interviewer` or `Candidate`), then one per
    piece of rubric evidence (`ev-<n>`, voiced by `Rubric`) over the words it quotes."""
    words = {int(k): v for k, v in doc["words"].items()}
    spoken = [m for m in typed.messages if isinstance(m, InterviewerLine | CandidateLine)]
    cues: list[tuple[float, int, str, float, str]] = []  # start, order, id, end, text
    span_of: dict[int, tuple[float, float]] = {}
    for i, m in enumerate(spoken):
        if isinstance(m, CandidateLine):
            timed = words.get(m.seq)
            if timed:
                start, end = float(timed[0]["start"]), float(timed[-1]["end"])
            else:
                start = _said_at(m)
                end = m.end if m.end is not None else start
            speaker = "Candidate"
            span_of[m.seq] = (start, end)
        else:
            start = m.at if m.at is not None else 0.0
            nxt = spoken[i + 1] if i + 1 < len(spoken) else None
            next_at = _said_at(nxt, start) if nxt else start + 5.0
            end = max(next_at, start)
            speaker = "Interviewer"
        if end - start < 1.0:
            end = start + 1.0
        cues.append((start, 0, f"m-{m.seq}", end, f"<v {speaker}>{_vtt_text(m.text)}"))
    titles = {c["id"]: c["title"] for c in doc["rubric"]}
    texts = {m.seq: m.text for m in typed.messages if isinstance(m, CandidateLine)}
    key = 0
    for score in typed.scores:
        for e in score.evidence:
            if e.seq is None or e.seq not in span_of:
                key += 1
                continue
            start, end = span_of[e.seq]
            timed = words.get(e.seq)
            if timed:
                start, end = _quoted_time(
                    texts[e.seq], timed, e.start or 0, e.end or 0, (start, end)
                )
            if end - start < 1.0:
                end = start + 1.0
            title = titles.get(score.criterion, score.criterion)
            level = "not shown" if score.level is None else f"level {score.level}"
            text = (
                f"<v Rubric>{_vtt_text(title)} ({level}, {_vtt_text(e.label)}): "
                f"“{_vtt_text(e.quote)}”"
            )
            cues.append((start, 1, f"ev-{key}", end, text))
            key += 1
    cues.sort(key=lambda c: (c[0], c[1]))
    out = ["WEBVTT", ""]
    for start, _order, ident, end, text in cues:
        out += [ident, f"{_vtt_time(start)} --> {_vtt_time(end)}", text, ""]
    return "\n".join(out)


def _quoted_time(
    text: str,
    timed: list[dict[str, Any]],
    start: int,
    end: int,
    fallback: tuple[float, float],
) -> tuple[float, float]:
    """When the quoted characters were spoken, from the words they fall in."""
    spans = align_words(text, timed)
    hit = [
        w
        for w, span in zip(timed, spans, strict=True)
        if span and span[0] < end and span[1] > start
    ]
    if not hit:
        return fallback
    return float(hit[0]["start"]), float(hit[-1]["end"])
