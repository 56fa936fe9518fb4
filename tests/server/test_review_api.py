"""The review routes: the replay page, self-assessment and notes, replay audio, progress,
and the exports (JSON against its schema, WebVTT parsed, the transcript round-tripped)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
import webvtt
import yaml
from fastapi.testclient import TestClient
from server_testing import new_session

from interviewer import load_catalog
from server.app import create_app
from server.export_cli import export
from server.security import cookie_name
from server.settings import Settings
from server.speech.audio import SAMPLE_RATE, decode_audio, wav_bytes
from server.storage import Store

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "export.schema.json").read_text())
OWN = "http://testserver"


def bearer(s: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {s['token']}"}


def play(client: TestClient, s: dict[str, Any], answers: list[str]) -> list[dict[str, Any]]:
    """A chat round over the websocket: every answer, then `end`; every seq'd message."""
    got: list[dict[str, Any]] = []
    with client.websocket_connect(s["ws"]) as ws:
        ws.send_json({"type": "hello", "token": s["token"], "last_seq": 0})
        for text in answers:
            ws.send_json({"type": "say", "text": text})
        ws.send_json({"type": "end"})
        while True:
            message = ws.receive_json()
            if "seq" in message:
                got.append(message)
            if message["type"] == "ended":
                break
    return got


class Page(HTMLParser):
    """Just enough of the replay page: elements by id with their text, links, classes."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, Any]] = {}
        self.links: list[dict[str, str]] = []
        self._open: list[tuple[str, dict[str, Any] | None, dict[str, str]]] = []
        self.feed(text)

    def _node(self, tag: str, a: dict[str, str]) -> dict[str, Any] | None:
        if "id" not in a:
            return None
        node: dict[str, Any] = {"tag": tag, "attrs": a, "text": "", "marks": []}
        self.by_id[a["id"]] = node
        return node

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        node = self._node(tag, a)
        if tag in ("br", "img", "input", "meta", "link"):
            return
        if tag == "a":
            a["_text"] = ""
            self.links.append(a)
        self._open.append((tag, node, a))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._node(tag, {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag: str) -> None:
        if all(t != tag for t, _, _ in self._open):
            return
        while self._open:
            t, _, _ = self._open.pop()
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        for tag, node, a in self._open:
            if node is not None:
                node["text"] += data
            if tag == "a":
                a["_text"] += data
        for tag, _, a in self._open:
            if tag == "span" and "ev" in a.get("class", "").split():
                for _, node, _ in self._open:
                    if node is not None:
                        node["marks"].append((a.get("data-ev", ""), data))
                break


# ------------------------------------------------------------------ the page and its auth


def test_replay_page_answers_401_403_404_as_html(client: TestClient) -> None:
    s = new_session(client)
    url = f"/sessions/{s['id']}"
    r = client.get(url)
    assert r.status_code == 401 and r.headers["content-type"].startswith("text/html")
    assert "no key to this session" in r.text and r.headers["www-authenticate"] == "Bearer"
    r = client.get(url, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 403 and "<html" in r.text
    r = client.get("/sessions/" + "f" * 32, headers=bearer(s))
    assert r.status_code == 404 and "Session not found" in r.text
    r = client.get(url, headers=bearer(s))
    assert r.status_code == 200 and "Server test chat" in r.text
    assert r.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    client.cookies.set(cookie_name(s["id"]), s["token"])
    assert client.get(url).status_code == 200
    client.cookies.set(cookie_name(s["id"]), "forged")
    assert client.get(url).status_code == 403


def test_a_running_round_replays_without_a_rubric(client: TestClient) -> None:
    s = new_session(client)
    with client.websocket_connect(s["ws"]) as ws:
        ws.send_json({"type": "hello", "token": s["token"], "last_seq": 0})
        ws.receive_json(), ws.receive_json()
        ws.send_json({"type": "say", "text": "A first answer of mine."})
        ws.receive_json(), ws.receive_json()
        r = client.get(f"/sessions/{s['id']}", headers=bearer(s))
        assert r.status_code == 200
        assert "still running" in r.text and "A first answer of mine." in r.text
        assert 'id="self-form"' not in r.text
        r = client.put(f"/api/sessions/{s['id']}/review", headers=bearer(s), json={"levels": {}})
        assert r.status_code == 409 and r.json()["error"]["code"] == "not_ended"


# ------------------------------------------------------------------ evidence on a real round


@pytest.fixture
def real_client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path / "data"), catalog=load_catalog())
    with TestClient(app) as c:
        yield c


def strong_answers() -> list[str]:
    plans = yaml.safe_load((ROOT / "scenarios/behavioral/behavioral-star.plans.yaml").read_text())
    plan = next(p for p in plans["plans"] if p["name"].startswith("a strong candidate"))
    return [step["say"] for step in plan["steps"] if "say" in step]


def test_evidence_links_point_at_the_answer_that_holds_the_quote(real_client: TestClient) -> None:
    c = real_client
    s = new_session(c, scenario="behavioral-star", seed=3)
    answers = strong_answers()
    messages = play(c, s, answers)
    candidates = {m["seq"]: m["text"] for m in messages if m["type"] == "candidate"}
    assert list(candidates.values()) == answers

    body = c.get(f"/api/sessions/{s['id']}", headers=bearer(s)).json()
    evidence = [(sc["criterion"], e) for sc in body["scores"] for e in sc["evidence"]]
    assert len(evidence) >= 8, "a strong round should carry evidence for every criterion"
    seqs = list(candidates)
    for _, e in evidence:
        text = candidates[e["seq"]]
        assert seqs.index(e["seq"]) == e["turn"]
        assert e["quote"].strip("…") in text
        assert text[e["start"] : e["end"]].lower() in e["quote"].lower()

    # Before the candidate scores themself, the page shows neither levels nor evidence.
    page = c.get(f"/sessions/{s['id']}", headers=bearer(s)).text
    assert "evidence-link" not in page and "Automatic level" not in page
    assert 'class=" ev"' not in page and "Score yourself first" in page

    r = c.post(f"/api/sessions/{s['id']}/review/reveal", headers=bearer(s), json={})
    assert r.status_code == 200 and r.json()["revealed"] is True
    doc = Page(c.get(f"/sessions/{s['id']}", headers=bearer(s)).text)
    # Page keys number the evidence in the stored order of the scores, as the API lists it.
    links = sorted(
        (a for a in doc.links if "evidence-link" in a.get("class", "")),
        key=lambda a: int(a["data-ev"]),
    )
    assert len(links) == len(evidence)
    for link, (_, e) in zip(links, evidence, strict=True):
        target = doc.by_id[link["href"].removeprefix("#")]
        assert link["href"] == f"#m-{e['seq']}"
        assert "candidate" in target["attrs"]["class"].split()
        said = " ".join(target["text"].split())
        quote = " ".join(html.unescape(link["_text"]).strip("“”").strip("…").split())
        assert quote in said
        # The quoted words are highlighted inside that very answer.
        marked = "".join(t for k, t in target["marks"] if link["data-ev"] in k.split())
        assert marked == candidates[e["seq"]][e["start"] : e["end"]]


def test_what_the_round_never_reached_is_not_shown_rather_than_scored(
    real_client: TestClient,
) -> None:
    c = real_client
    s = new_session(c, scenario="culture-dual-use-release", seed=1)
    messages = play(c, s, ["I would release it, because defenders need it more than attackers."])
    assert any(m.get("kind") == "pushback" for m in messages)  # put, then the candidate left
    auth = bearer(s)

    scores = {
        sc["criterion"]: sc["level"]
        for sc in c.get(f"/api/sessions/{s['id']}", headers=auth).json()["scores"]
    }
    # No pushback answered, no mechanism asked for or named: only the first answer's
    # criterion (two concerns in tension) has a level.
    not_shown = {"independence", "engagement", "specificity"}
    assert {cid for cid, level in scores.items() if level is None} == not_shown
    assert scores["tension"] is not None

    c.post(f"/api/sessions/{s['id']}/review/reveal", headers=auth, json={})
    review = c.get(f"/api/sessions/{s['id']}/review", headers=auth).json()
    assert review["automatic"]["independence"] is None
    page = c.get(f"/sessions/{s['id']}", headers=auth).text
    assert page.count("Automatic level: <strong>not shown</strong>") == len(not_shown)
    assert page.count("Automatic level <strong>") == len(scores) - len(not_shown)

    export = f"/api/sessions/{s['id']}/export"
    doc = json.loads(c.get(export, headers=auth).content)
    jsonschema.validate(doc, SCHEMA)
    markdown = c.get(export, params={"format": "md"}, headers=auth).text
    assert markdown.count("Automatic level: not shown in this round") == len(not_shown)
    # Progress charts levels shown; "not shown" is neither a level nor a weakness.
    c.cookies.set(cookie_name(s["id"]), s["token"])
    progress = c.get("/progress", params={"scenario": "culture-dual-use-release"}).text
    assert "Holds two concerns in tension</strong>" in progress
    assert "Holds a view under pressure, or updates for a reason</strong>" not in progress
    assert "Engages with the opposing view</strong>" not in progress


# ------------------------------------------------------------------ self-assessment


def ended(client: TestClient, answers: list[str] | None = None) -> dict[str, Any]:
    s = new_session(client)
    play(client, s, answers or ["I cut latency by 30 ms with a cache.", "Um, maybe I would batch."])
    return s


def test_self_scores_validate_save_reveal_and_show_the_gap(client: TestClient) -> None:
    s = ended(client)
    url = f"/api/sessions/{s['id']}/review"
    auth = bearer(s)
    assert client.get(url).status_code == 401
    state = client.get(url, headers=auth).json()
    assert state["revealed"] is False and state["automatic"] is None and state["levels"] == {}

    bad = [
        ({"levels": {"specificity": 6}}, "bad_level"),
        ({"levels": {"specificity": 0}}, "bad_level"),
        ({"levels": {"nope": 3}}, "unknown_criterion"),
        ({"notes": {"nope": "x"}}, "unknown_criterion"),
        ({"levels": {"specificity": "3"}}, "invalid_request"),
        ({"levels": {"specificity": 3}, "extra": 1}, "invalid_request"),
        ({"notes": {"specificity": "x" * 10_001}}, "invalid_request"),
        ({"submit": True}, "incomplete"),
    ]
    for body, code in bad:
        r = client.put(url, headers=auth, json=body)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, (body, r.text)

    r = client.put(
        url,
        headers=auth,
        json={"levels": {"specificity": 2}, "notes": {"specificity": "<b>hm</b>"}},
    )
    assert r.status_code == 200
    assert r.json()["revealed"] is False and r.json()["levels"] == {"specificity": 2}
    page = client.get(f"/sessions/{s['id']}", headers=auth).text
    assert "Automatic level" not in page and "&lt;b&gt;hm&lt;/b&gt;" in page

    r = client.put(url, headers=auth, json={"levels": {"specificity": 2}, "submit": True})
    state = r.json()
    assert state["revealed"] is True and state["submitted_at"] is not None
    assert state["automatic"] == {"specificity": 5}
    page = client.get(f"/sessions/{s['id']}", headers=auth).text
    assert "Automatic level <strong>5</strong> of 5" in page
    assert "You scored yourself 3 levels lower than the automatic level." in page
    assert re.search(r'name="level-1" value="2" checked', page)

    # Still editable after submitting.
    client.put(url, headers=auth, json={"levels": {"specificity": 5}})
    page = client.get(f"/sessions/{s['id']}", headers=auth).text
    assert "Your score matches the automatic level." in page


def test_show_without_scoring_reveals_and_keeps_no_self_score(client: TestClient) -> None:
    s = ended(client)
    r = client.post(f"/api/sessions/{s['id']}/review/reveal", headers=bearer(s), json={})
    assert r.status_code == 200
    assert r.json()["revealed_at"] is not None and r.json()["submitted_at"] is None
    page = client.get(f"/sessions/{s['id']}", headers=bearer(s)).text
    assert "Automatic level <strong>5</strong>" in page and "Shown without your own scores" in page


def test_writes_are_safe_from_other_sites(client: TestClient) -> None:
    s = ended(client)
    url = f"/api/sessions/{s['id']}/review"
    body = json.dumps({"levels": {"specificity": 3}})
    client.cookies.set(cookie_name(s["id"]), s["token"])
    json_type = {"Content-Type": "application/json"}
    # A form post (what a cross-site page can send without asking) is refused.
    r = client.put(
        url,
        content="levels=3",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": OWN},
    )
    assert r.status_code == 415
    r = client.put(url, content=body, headers={"Content-Type": "text/plain", "Origin": OWN})
    assert r.status_code == 415
    # The cookie alone, without an Origin, is not enough.
    r = client.put(url, content=body, headers=json_type)
    assert r.status_code == 403 and r.json()["error"]["code"] == "bad_origin"
    # Another site's Origin is refused before the route runs.
    r = client.put(url, content=body, headers={**json_type, "Origin": "http://evil.example"})
    assert r.status_code == 403
    r = client.post(
        f"{url}/reveal", content="{}", headers={**json_type, "Origin": "http://evil.example"}
    )
    assert r.status_code == 403
    assert client.get(url).json()["levels"] == {} and client.get(url).json()["revealed"] is False
    # The page's own fetch: cookie, JSON and our Origin.
    r = client.put(url, content=body, headers={**json_type, "Origin": OWN})
    assert r.status_code == 200 and r.json()["levels"] == {"specificity": 3}
    # A bearer token is proof enough without an Origin (no browser sends it on its own).
    client.cookies.clear()
    r = client.put(url, content=body, headers={**json_type, **bearer(s)})
    assert r.status_code == 200
    r = client.put(url, content=b"{not json", headers={**json_type, **bearer(s)})
    assert r.status_code == 422


def test_notes_on_answers_and_the_round(client: TestClient) -> None:
    s = ended(client)
    auth = bearer(s)
    messages = client.get(f"/api/sessions/{s['id']}", headers=auth).json()["messages"]
    answer = next(m["seq"] for m in messages if m["type"] == "candidate")
    line = next(m["seq"] for m in messages if m["type"] == "interviewer")
    base = f"/api/sessions/{s['id']}/notes"
    assert client.put(f"{base}/{answer}", json={"text": "x"}).status_code == 401
    assert (
        client.put(
            f"{base}/{answer}", headers=auth, json={"text": "say the number first"}
        ).status_code
        == 200
    )
    assert (
        client.put(
            f"{base}/session", headers=auth, json={"text": "</textarea><script>x</script>"}
        ).status_code
        == 200
    )
    assert client.put(f"{base}/{line}", headers=auth, json={"text": "x"}).status_code == 404
    assert client.put(f"{base}/999", headers=auth, json={"text": "x"}).status_code == 404
    assert (
        client.put(f"{base}/{answer}", headers=auth, json={"text": "x" * 10_001}).status_code == 422
    )
    assert client.put(f"{base}/{answer}", headers=auth, json={"note": "x"}).status_code == 422
    state = client.get(f"/api/sessions/{s['id']}/review", headers=auth).json()
    assert state["notes"]["turn"] == {str(answer): "say the number first"}
    assert state["notes"]["session"] == "</textarea><script>x</script>"
    page = client.get(f"/sessions/{s['id']}", headers=auth).text
    assert "say the number first</textarea>" in page
    assert "&lt;/textarea&gt;&lt;script&gt;x&lt;/script&gt;</textarea>" in page
    # An empty note removes it.
    client.put(f"{base}/{answer}", headers=auth, json={"text": "  "})
    assert client.get(f"/api/sessions/{s['id']}/review", headers=auth).json()["notes"]["turn"] == {}


# ------------------------------------------------------------------ voice data and audio


def tone(seconds: float, freq: float = 440.0) -> np.ndarray[Any, np.dtype[np.float32]]:
    t = np.arange(int(seconds * SAMPLE_RATE), dtype=np.float32) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_words_and_recordings_feed_the_page_the_audio_and_the_metrics(
    app: Any, client: TestClient
) -> None:
    s = new_session(client, mode="voice")
    store: Store = app.state.store
    messages = play(client, s, ["one two three four"])
    answer = next(m for m in messages if m["type"] == "candidate")
    words = [
        {"text": w, "start": 1.0 + i, "end": 1.5 + i, "probability": 0.9}
        for i, w in enumerate(["one", "two", "three"])
    ]
    words.append({"text": "four", "start": 7.0, "end": 7.4})
    store.save_words(s["id"], answer["seq"], words)
    with pytest.raises(ValueError):
        store.save_words(s["id"], answer["seq"], [{"text": "x", "start": 2.0, "end": 1.0}])
    store.save_audio(s["id"], "candidate", wav_bytes(tone(2.0)), media_type="audio/wav", offset=1.0)
    path = store.audio_path(s["id"], "interviewer", "audio/wav")
    path.write_bytes(wav_bytes(tone(1.0, 220.0)))
    assert store.save_audio(s["id"], "interviewer", path, media_type="audio/wav") == path
    with pytest.raises(ValueError):
        store.audio_path(s["id"], "../x")
    assert [t.track for t in store.audio_tracks(s["id"])] == ["candidate", "interviewer"]

    page = client.get(f"/sessions/{s['id']}", headers=bearer(s)).text
    assert 'id="replay-audio"' in page and 'data-audio="yes"' in page
    assert 'data-w="3" data-s="7.0" data-e="7.4">four</span>' in page
    assert "Pauses over 2.5 s" in page and "needs a voice session" not in page

    url = f"/api/sessions/{s['id']}/audio"
    assert client.get(url).status_code == 401
    r = client.get(url, headers=bearer(s))
    assert r.status_code == 200 and r.headers["content-type"] == "audio/ogg"
    mixed = decode_audio(r.content)
    # The candidate's 2 s placed at 1 s: 3 s of audio on the session clock.
    assert abs(mixed.size / SAMPLE_RATE - 3.0) < 0.1
    assert float(np.abs(mixed[: int(0.9 * SAMPLE_RATE)]).max()) > 0.1  # the interviewer at 0 s
    r = client.get(url, headers={**bearer(s), "Range": "bytes=0-99"})
    assert r.status_code == 206 and len(r.content) == 100
    assert len(list(store.audio_dir(s["id"]).glob("replay-*.ogg"))) == 1

    doc = json.loads(client.get(f"/api/sessions/{s['id']}/export", headers=bearer(s)).content)
    jsonschema.validate(doc, SCHEMA)
    assert doc["words"][str(answer["seq"])][3] == {"text": "four", "start": 7.0, "end": 7.4}
    assert [a["track"] for a in doc["audio"]] == ["candidate", "interviewer"]
    assert doc["delivery"]["voiced"] is True
    assert doc["delivery"]["pauses"][0]["seconds"] == 3.5

    assert client.delete(f"/api/sessions/{s['id']}", headers=bearer(s)).status_code == 204
    assert not store.audio_dir(s["id"]).exists()
    assert store.load_words(s["id"]) == {} and store.audio_tracks(s["id"]) == []


def test_chat_sessions_say_which_metrics_need_a_voice_session(client: TestClient) -> None:
    s = ended(client)
    page = client.get(f"/sessions/{s['id']}", headers=bearer(s)).text
    assert page.count("needs a voice session") == 4
    assert "Filler words per 100 words" in page and "Hedging per 100 words" in page
    assert 'id="replay-audio"' not in page
    assert client.get(f"/api/sessions/{s['id']}/audio", headers=bearer(s)).status_code == 404


# ------------------------------------------------------------------ exports

TRICKY = [
    "I cut <latency> by 30 ms --> fast & cheap.",
    "A line with *stars*, _underscores_, [links](x) and `ticks`\nover two lines.",
    "WEBVTT\n\n00:00:00.000 --> 00:00:09.000\nfake cue, um, like, maybe",
]


def _norm(text: str) -> str:
    return " ".join(text.split())


def test_exports_parse_and_round_trip_the_transcript(client: TestClient) -> None:
    s = ended(client, TRICKY)
    auth = bearer(s)
    client.put(
        f"/api/sessions/{s['id']}/review",
        headers=auth,
        json={
            "levels": {"specificity": 3},
            "notes": {"specificity": "more numbers"},
            "submit": True,
        },
    )
    spoken = [
        m
        for m in client.get(f"/api/sessions/{s['id']}", headers=auth).json()["messages"]
        if m["type"] in ("interviewer", "candidate")
    ]
    texts = [m["text"] for m in spoken]
    url = f"/api/sessions/{s['id']}/export"

    doc = json.loads(client.get(url, params={"format": "json"}, headers=auth).content)
    jsonschema.validate(doc, SCHEMA)
    assert [
        m["text"] for m in doc["messages"] if m["type"] in ("interviewer", "candidate")
    ] == texts
    assert doc["self_assessment"]["levels"] == {"specificity": 3}
    assert doc["self_assessment"]["notes"] == {"specificity": "more numbers"}
    assert doc["rubric"][0]["anchors"]["5"] == "Numbers, units or named techniques."
    assert doc["delivery"]["voiced"] is False and doc["delivery"]["fillers"] == 2

    vtt = client.get(url, params={"format": "vtt"}, headers=auth).text
    captions = webvtt.from_string(vtt).captions
    turns = [c for c in captions if c.identifier and c.identifier.startswith("m-")]
    assert [c.identifier for c in turns] == [f"m-{m['seq']}" for m in spoken]
    assert [_norm(html.unescape(c.text)) for c in turns] == [_norm(t) for t in texts]
    assert [c.voice for c in turns] == [
        "Interviewer" if m["type"] == "interviewer" else "Candidate" for m in spoken
    ]
    evidence = [c for c in captions if c.identifier and c.identifier.startswith("ev-")]
    assert evidence and all(
        c.voice == "Rubric" and "Gives specific answers" in c.text for c in evidence
    )
    starts = [c.start_in_seconds for c in captions]
    assert starts == sorted(starts)

    md = client.get(url, params={"format": "md"}, headers=auth).text
    unescaped = re.sub(r"\\(.)", r"\1", md)
    positions = [unescaped.find(_norm(t)) for t in texts]
    assert -1 not in positions and positions == sorted(positions)
    assert "Automatic level: 5 of 5 · Your score: 3 (gap -2)" in md
    assert "Your note: more numbers" in md and "needs a voice session" in md
    # Transcript text never becomes Markdown structure.
    assert "\n00:00:00.000 --> " not in md and "\\<latency\\>" in md


def test_export_command_prints_each_format(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from server_testing import TEST_SCENARIOS

    settings = Settings(data_dir=tmp_path / "data", scenarios_dir=TEST_SCENARIOS)
    with TestClient(create_app(settings, catalog=load_catalog(TEST_SCENARIOS))) as c:
        s = ended(c, TRICKY)
        from_api = c.get(
            f"/api/sessions/{s['id']}/export", params={"format": "md"}, headers=bearer(s)
        ).text

    capfd.readouterr()
    for fmt in ("json", "md", "vtt"):
        assert export(s["id"], fmt, tmp_path / "data") == 0
        printed = capfd.readouterr().out
        if fmt == "json":
            doc = json.loads(printed)
            jsonschema.validate(doc, SCHEMA)
            assert doc["id"] == s["id"] and len(doc["messages"]) >= 6
        elif fmt == "vtt":
            assert len(webvtt.from_string(printed).captions) >= 5
        else:
            # The command reads the installed scenarios, which lack the test scenario, so
            # the title falls back to the id; the transcript is the same as the API's.
            assert printed.startswith("# server-test-chat\n")

            def transcript(md: str) -> str:
                return md.split("## Transcript", 1)[1].split("## Rubric", 1)[0]

            assert transcript(printed) == transcript(from_api)
    assert export("f" * 32, "md", tmp_path / "data") == 1
    assert export(s["id"], "pdf", tmp_path / "data") == 2
    assert export("../etc", "md", tmp_path / "data") == 2
    assert export(s["id"], "md", tmp_path / "nowhere") == 1
    assert not (tmp_path / "nowhere").exists()


# ------------------------------------------------------------------ progress


def test_progress_shows_only_this_browsers_finished_rounds(client: TestClient) -> None:
    mine = [ended(client, ["I cut it by 30 ms."]), ended(client, ["It was fine."])]
    other = ended(client, ["Someone else's round."])
    page = client.get("/progress").text
    assert "No finished rounds yet" in page
    for s in mine:
        client.cookies.set(cookie_name(s["id"]), s["token"])
    client.cookies.set(cookie_name(other["id"]), "forged")
    page = client.get("/progress").text
    assert 'Server test chat <span class="count">(2)</span>' in page
    assert f"/sessions/{other['id']}" not in page
    assert "2 attempts still hide the automatic levels" in page
    assert "Nothing to show yet" in page

    origin = {"Origin": OWN}
    client.put(
        f"/api/sessions/{mine[0]['id']}/review",
        headers=origin,
        json={"levels": {"specificity": 4}, "submit": True},
    )
    client.post(f"/api/sessions/{mine[1]['id']}/review/reveal", headers=origin, json={})
    page = client.get("/progress").text
    assert "still hide" not in page
    # The newest attempt (vague: level 1) is the latest level of the criterion.
    assert re.search(
        r"<strong>Gives specific answers</strong> <span class=\"muted\">level 1 of 5", page
    )
    assert 'href="/?scenario=server-test-chat"' in page
    assert page.count('class="auto-point"') == 2 and page.count('class="self-point"') == 1
    assert client.get("/progress", params={"scenario": "<script>"}).status_code == 200
