"""One stored session as a file: JSON (everything), Markdown (to read) or WebVTT (captions
beside the audio). Used by `GET /api/sessions/{id}/export` and usable from the CLI:

    store = Store(settings.effective_database_url, settings.data_dir)
    export = render(store, session_id, "md", catalog)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from server.storage.store import SessionRecord, Store

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


def metrics(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What was observed, in numbers: turns, words, lengths, duration."""
    candidate = [m for m in messages if m.get("type") == "candidate"]
    words = [len(str(m.get("text", "")).split()) for m in candidate]
    times = [float(m["at"]) for m in messages if isinstance(m.get("at"), int | float)]
    return {
        "candidate_turns": len(candidate),
        "candidate_words": sum(words),
        "words_per_turn": round(sum(words) / len(words), 1) if words else 0.0,
        "longest_turn_words": max(words, default=0),
        "interviewer_lines": sum(1 for m in messages if m.get("type") == "interviewer"),
        "duration": round(max(times), 3) if times else 0.0,
    }


def session_document(
    record: SessionRecord,
    messages: list[dict[str, Any]],
    scores: list[dict[str, Any]],
    scenario: _ScenarioLike | None,
) -> dict[str, Any]:
    return {
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
        "messages": messages,
        "scores": scores,
        "metrics": metrics(messages),
    }


def render(
    store: Store,
    session_id: str,
    fmt: str,
    catalog: Mapping[str, _ScenarioLike] | None = None,
) -> Export | None:
    """None when the session does not exist."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    record = store.get_session(session_id)
    if record is None:
        return None
    messages = store.load_messages(session_id)
    scores = store.load_scores(session_id)
    scenario = (catalog or {}).get(record.scenario_id)
    doc = session_document(record, messages, scores, scenario)
    if fmt == "json":
        body = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    elif fmt == "md":
        body = _markdown(doc)
    else:
        body = _vtt(messages)
    return Export(body.encode("utf-8"), _MEDIA[fmt], f"mockloop-{session_id}.{fmt}")


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


def _markdown(doc: dict[str, Any]) -> str:
    title = doc["scenario_title"] or doc["scenario"]
    lines = [f"# {_md_text(title)}", ""]
    when = (
        datetime.fromtimestamp(doc["created_at"], tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
        if doc["created_at"]
        else ""
    )
    lines += [
        f"- Session: `{doc['id']}`",
        f"- Scenario: `{doc['scenario']}`",
        f"- Mode: {doc['mode']}",
        f"- Date: {when}",
        f"- Status: {doc['status']}" + (f" ({doc['end_reason']})" if doc["end_reason"] else ""),
        "",
        "## Transcript",
        "",
    ]
    for m in doc["messages"]:
        at = _clock(float(m.get("at", 0.0)))
        if m["type"] == "interviewer":
            lines += [f"**[{at}] Interviewer** ({m.get('kind')}): {_md_text(m['text'])}", ""]
        elif m["type"] == "candidate":
            lines += [f"**[{at}] You:** {_md_text(m['text'])}", ""]
        elif m["type"] == "phase":
            lines += [f"*[{at}] Phase: {_md_text(m['title'])}*", ""]
        elif m["type"] == "ended":
            lines += [f"*[{at}] The round ended ({m['reason']}).*", ""]
    if doc["scores"]:
        lines += ["## Rubric", "", "| criterion | level | evidence |", "|---|---|---|"]
        for s in doc["scores"]:
            quotes = "; ".join(f"“{_md_text(e['quote'])}”" for e in s["evidence"] if e.get("quote"))
            lines.append(f"| {_md_text(s['criterion'])} | {s['level']} | {quotes} |")
        lines.append("")
    met = doc["metrics"]
    lines += [
        "## Observed",
        "",
        f"- Answers: {met['candidate_turns']}",
        f"- Words: {met['candidate_words']} ({met['words_per_turn']} per answer)",
        f"- Duration: {_clock(met['duration'])}",
        "",
    ]
    return "\n".join(lines)


def _vtt_time(seconds: float) -> str:
    ms = round(max(0.0, seconds) * 1000)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _vtt_text(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A blank line or "-->" inside a cue would end or corrupt it.
    return " ".join(text.replace("-->", "→").split())


def _vtt(messages: list[dict[str, Any]]) -> str:
    spoken = [m for m in messages if m["type"] in ("interviewer", "candidate")]
    out = ["WEBVTT", ""]
    for i, m in enumerate(spoken):
        if m["type"] == "candidate":
            start = float(m.get("start", m.get("at", 0.0)))
            end = float(m.get("end", start))
            speaker = "Candidate"
        else:
            start = float(m.get("at", 0.0))
            nxt = spoken[i + 1] if i + 1 < len(spoken) else None
            next_at = float(nxt.get("start", nxt.get("at", start))) if nxt else start + 5.0
            end = max(next_at, start)
            speaker = "Interviewer"
        if end - start < 1.0:
            end = start + 1.0
        out += [
            str(m["seq"]),
            f"{_vtt_time(start)} --> {_vtt_time(end)}",
            f"<v {speaker}>{_vtt_text(str(m['text']))}",
            "",
        ]
    return "\n".join(out)
