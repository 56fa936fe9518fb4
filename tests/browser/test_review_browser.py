"""The replay page in a real browser: Debian's chromium through Python playwright, against
a real `python -m server.main` subprocess with its own data directory.

- A stored voice session (real speech: piper says the lines, faster-whisper times the
  words) replays with click-to-seek and the current line and word highlighted, and a
  self-assessment survives a reload.
- Script and markup typed as answers in a chat round stay inert text on the replay page:
  no dialog, no request anywhere but this server's page, static files and review routes.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
from live_server import LiveServer as Server
from playwright.sync_api import Page, Request, expect
from websockets.sync.client import connect

from interviewer import CandidateSaid, Tick, event_to_json
from server.messages import messages_from_stored, scores_from_stored
from server.security import hash_token, new_session_id, new_token
from server.speech.audio import SAMPLE_RATE, resample, wav_bytes
from server.speech.stt import FasterWhisperTranscriber
from server.speech.tts import PiperSynthesizer
from server.storage import Ending, SessionRecord, Store

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "behavioral-star"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("review-server")
    srv = Server(root / "data", root / "server.log")
    srv.start()
    yield srv
    srv.stop()


def authorise(page: Page, base: str, session_id: str, token: str) -> None:
    """What the browser that created the session holds: its HttpOnly, SameSite cookie."""
    page.context.add_cookies(
        [
            {
                "name": f"mockloop_{session_id}",
                "value": token,
                "url": base,
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )


# ------------------------------------------------------------------ a stored voice session

LINES = [
    "Tell me about a time you had to push back on your team.",
    "What would you do differently next time?",
]
ANSWERS = [
    "Last year I argued against shipping a model early. "
    "I ran an evaluation and we waited two weeks.",
    "I would write the evaluation plan first and share the numbers sooner.",
]


def speech(voice: PiperSynthesizer, text: str) -> np.ndarray[Any, np.dtype[np.float32]]:
    return resample(voice.synthesize(text), voice.sample_rate, SAMPLE_RATE)


@pytest.fixture(scope="module")
def voice_session(server: Server) -> dict[str, Any]:
    """A finished voice round stored through the store, as the voice pipeline stores one:
    messages, word timestamps on the session clock, and two recordings."""
    voice = PiperSynthesizer()
    whisper = FasterWhisperTranscriber(cpu_threads=1)
    store = Store(f"sqlite:///{(server.data_dir / 'mockloop.db').as_posix()}", server.data_dir)
    session_id, token = new_session_id(), new_token()
    started = time.time() - 600
    store.write(
        store.write_session,
        SessionRecord(
            id=session_id,
            scenario_id=SCENARIO,
            mode="voice",
            seed=1,
            time_scale=1.0,
            token_hash=hash_token(token),
            status="created",
            created_at=started - 5,
        ),
    )
    # Interviewer and candidate alternate on one clock, with a second of quiet between.
    interviewer = np.zeros(0, dtype=np.float32)
    candidate = np.zeros(0, dtype=np.float32)
    t = 0.5
    messages: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    seq = 0
    for line, answer in zip(LINES, ANSWERS, strict=True):
        said = speech(voice, line)
        seq += 1
        messages.append(
            {
                "type": "interviewer",
                "seq": seq,
                "text": line,
                "kind": "question" if seq == 1 else "follow_up",
                "line_id": f"l{seq}",
                "audio": None,
                "node": "opening",
                "at": round(t, 3),
                "duration": round(said.size / SAMPLE_RATE, 3),
            }
        )
        start = round(t * SAMPLE_RATE)
        interviewer = np.concatenate(
            [interviewer, np.zeros(start - interviewer.size, np.float32), said]
        )
        t += said.size / SAMPLE_RATE + 1.0
        spoken = speech(voice, answer)
        heard = whisper.transcribe(spoken)
        assert heard.words, "whisper heard nothing in piper's speech"
        offset = t
        words = [
            {"text": w.text, "start": round(w.start + offset, 3), "end": round(w.end + offset, 3)}
            for w in heard.words
        ]
        start = round(t * SAMPLE_RATE)
        candidate = np.concatenate(
            [candidate, np.zeros(start - candidate.size, np.float32), spoken]
        )
        seq += 1
        messages.append(
            {
                "type": "candidate",
                "seq": seq,
                "text": heard.text,
                "start": words[0]["start"],
                "end": words[-1]["end"],
                "at": words[-1]["end"],
            }
        )
        answers.append({"seq": seq, "text": heard.text, "words": words})
        t += spoken.size / SAMPLE_RATE + 1.0
    seq += 1
    messages.append(
        {
            "type": "ended",
            "seq": seq,
            "reason": "completed",
            "replay": f"/sessions/{session_id}",
            "at": round(t, 3),
        }
    )

    first = answers[0]
    hit = re.search(r"evaluation", first["text"], re.I) or re.search(r"\w+", first["text"])
    assert hit is not None
    scores = [
        {
            "criterion": "specificity",
            "level": 3,
            "evidence": [
                {
                    "turn": 0,
                    "label": "specific",
                    "quote": first["text"],
                    "start": hit.start(),
                    "end": hit.end(),
                    "seq": first["seq"],
                }
            ],
        }
    ]
    store.write(store.write_begin, session_id, started, messages_from_stored(messages[:1]))
    store.write(
        store.write_step,
        session_id,
        1,
        event_to_json(CandidateSaid(at=messages[1]["at"], text=answers[0]["text"])),
        messages[1]["at"],
        messages_from_stored(messages[1:3]),
    )
    store.write(
        store.write_step,
        session_id,
        2,
        event_to_json(CandidateSaid(at=messages[3]["at"], text=answers[1]["text"])),
        messages[3]["at"],
        messages_from_stored(messages[3:4]),
    )
    store.write(
        store.write_step,
        session_id,
        3,
        event_to_json(Tick(at=t)),
        t,
        messages_from_stored(messages[4:]),
        scores_from_stored(scores),
        Ending("completed", started + t),
    )
    for a in answers:
        store.save_words(session_id, a["seq"], a["words"])
    store.save_audio(
        session_id, "interviewer", wav_bytes(interviewer), media_type="audio/wav", offset=0.0
    )
    # The microphone recording starts when the first answer does, as a reconnecting
    # client's would: its offset puts it back on the session clock.
    mic_offset = answers[0]["words"][0]["start"] - 0.3
    cut = round(mic_offset * SAMPLE_RATE)
    store.save_audio(
        session_id,
        "candidate",
        wav_bytes(candidate[cut:]),
        media_type="audio/wav",
        offset=cut / SAMPLE_RATE,
    )
    store.close()
    return {"id": session_id, "token": token, "answers": answers, "messages": messages, "length": t}


def current_time(page: Page) -> float:
    return float(page.eval_on_selector("#replay-audio", "a => a.currentTime"))


def test_voice_replay_seeks_highlights_and_keeps_self_scores(
    server: Server, page: Page, problems: list[str], voice_session: dict[str, Any]
) -> None:
    s = voice_session
    authorise(page, server.url, s["id"], s["token"])
    page.goto(f"{server.url}/sessions/{s['id']}")
    audio = page.locator("#replay-audio")
    expect(audio).to_be_visible()
    page.wait_for_function(
        """() => {
            const a = document.getElementById('replay-audio');
            return a.readyState >= 1 && a.duration > 0;
        }""",
        timeout=60_000,
    )
    # The mixed replay track runs on the session clock: it ends with the last answer.
    duration = float(audio.evaluate("a => a.duration"))
    last_word = s["answers"][-1]["words"][-1]["end"]
    assert last_word - 0.5 < duration < s["length"] + 0.5

    # The automatic level is not on the page before the candidate has scored themself.
    expect(page.locator(".auto-level")).to_have_count(0)
    expect(page.locator(".evidence-link")).to_have_count(0)

    # Clicking a line (its speaker label) seeks to the line's first word and plays.
    second = s["answers"][1]
    line = page.locator(f"#m-{second['seq']}")
    line.locator(".msg-who").click()
    first_word = second["words"][0]["start"]
    page.wait_for_function(
        f"() => document.getElementById('replay-audio').currentTime >= {first_word - 0.01}"
    )
    assert first_word - 0.01 <= current_time(page) < first_word + 1.5
    expect(line).to_have_class(re.compile(r"\bcurrent\b"))
    expect(line).to_have_attribute("aria-current", "true")

    # Playing lights the word being said, then the next ones, in the line being said.
    page.wait_for_function("() => !document.getElementById('replay-audio').paused", timeout=10_000)
    seen: list[tuple[float, float, float]] = []
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and len({w[0] for w in seen}) < 3:
        state = page.evaluate(
            """() => {
                const a = document.getElementById('replay-audio');
                const w = document.querySelector('.w.current-word');
                return w ? [Number(w.dataset.s), Number(w.dataset.e), a.currentTime,
                            w.closest('li').id] : null;
            }"""
        )
        if state is not None:
            start, end, now, owner = state
            assert owner == f"m-{second['seq']}"
            assert start - 0.05 <= now <= end + 0.45, state
            seen.append((start, end, now))
        page.wait_for_timeout(60)
    starts = [w[0] for w in seen]
    assert len(set(starts)) >= 3, f"the highlight did not follow the audio: {seen}"
    assert starts == sorted(starts)
    page.evaluate("document.getElementById('replay-audio').pause()")

    # A word seeks to itself; an interviewer line's time button seeks to the line.
    word = page.locator(f"#m-{s['answers'][0]['seq']} .w").nth(3)
    word_start = float(word.get_attribute("data-s") or "nan")
    word.click()
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('replay-audio').currentTime - {word_start}) < 0.6"
    )
    expect(page.locator(f"#m-{s['answers'][0]['seq']}")).to_have_class(re.compile(r"\bcurrent\b"))
    page.evaluate("document.getElementById('replay-audio').pause()")
    question = s["messages"][2]
    page.locator(f"#m-{question['seq']} button.seek").click()
    page.evaluate("document.getElementById('replay-audio').pause()")
    assert abs(current_time(page) - question["at"]) < 0.6
    expect(page.locator(f"#m-{question['seq']}")).to_have_class(re.compile(r"\bcurrent\b"))

    # Self-assessment: every criterion scored, a note, submit; the page comes back with
    # the automatic levels beside mine.
    criteria = page.locator("fieldset.criterion")
    count = criteria.count()
    assert count >= 3
    mine = {}
    for i in range(count):
        box = criteria.nth(i)
        level = 2 if i % 2 else 4
        box.locator("label.level-pill", has_text=str(level)).click()
        mine[box.get_attribute("data-criterion")] = level
    page.locator("fieldset.criterion").first.locator("summary", has_text="Note").click()
    page.locator("fieldset.criterion").first.locator("textarea").fill("Say the numbers first.")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit my scores").click()
    expect(page.locator(".auto-level")).to_have_count(count)
    page.reload()
    for i in range(count):
        box = page.locator("fieldset.criterion").nth(i)
        level = mine[box.get_attribute("data-criterion")]
        expect(box.locator(f'input[type="radio"][value="{level}"]')).to_be_checked()
    spec = page.locator('fieldset.criterion[data-criterion="specificity"]')
    expect(spec.locator(".auto-level strong")).to_have_text("3")
    expect(spec.locator(".gap")).to_have_text(
        re.compile(r"You scored yourself 1 level (higher|lower)")
    )
    expect(page.locator("fieldset.criterion").first.locator("textarea")).to_have_value(
        "Say the numbers first."
    )
    # The evidence now links to the answer it quotes, and highlights the quoted word.
    link = spec.locator("a.evidence-link").first
    link.click()
    assert page.url.endswith(f"#m-{s['answers'][0]['seq']}")
    expect(page.locator(f"#m-{s['answers'][0]['seq']} .ev.ev-active").first).to_be_visible()
    assert problems == []


# ------------------------------------------------------------------ injection payloads

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "<svg onload=alert(3)>",
    '"><script>alert(document.cookie)</script>',
    "'><img src=//evil.example/x.png>",
    '<iframe src="javascript:alert(4)"></iframe>',
    "javascript:alert(5)",
    '<a href="javascript:alert(6)">click me</a>',
    "{{ 7*7 }} {% if 1 %}jinja{% endif %} ${alert(7)}",
    "</textarea><script>alert(8)</script>",
    "</title><script>alert(9)</script>",
    "<style>body{display:none}</style>",
    '<link rel="stylesheet" href="http://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=http://evil.example/">',
    '<object data="http://evil.example/x.swf"></object>',
    '<embed src="http://evil.example/x">',
    '<base href="http://evil.example/">',
    '<form action="http://evil.example/"><button>go</button></form>',
    '<video><source onerror="alert(10)"></video>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(11)>",
    "<details open ontoggle=alert(12)>",
    "&lt;script&gt;alert(13)&lt;/script&gt; &amp; &#60;b&#62;",
    '<svg><a xlink:href="javascript:alert(14)"><text>x</text></a></svg>',
    '" onmouseover="alert(15)" data-x="',
    "]]><![CDATA[<script>alert(16)</script>]]> <!-- comment",
    "`${alert(17)}` \\u003cscript\\u003e",
]


def test_script_and_markup_in_answers_stay_inert(
    server: Server, page: Page, problems: list[str]
) -> None:
    assert len(PAYLOADS) >= 20
    request = urllib.request.Request(
        server.url + "/api/sessions",
        data=json.dumps({"scenario": SCENARIO, "mode": "chat", "seed": 5}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        created = json.load(response)
    session_id, token = created["id"], created["token"]

    # Two payloads an answer, with a figure in each so the rubric has words to quote.
    answers = [
        f"{a} In 2023 we cut latency by 30 ms. {b}"
        for a, b in zip(PAYLOADS[::2], PAYLOADS[1::2], strict=False)
    ]
    committed: list[str] = []
    ws_url = server.url.replace("http://", "ws://") + created["ws"]
    with connect(ws_url, origin=server.url) as ws:
        ws.send(json.dumps({"type": "hello", "token": token, "last_seq": 0}))
        for text in answers:
            ws.send(json.dumps({"type": "say", "text": text}))
            while True:
                message = json.loads(ws.recv(timeout=20))
                assert message["type"] != "error", message
                if message["type"] == "candidate":
                    committed.append(message["text"])
                    break
            time.sleep(0.25)  # within the message rate limit
        ws.send(json.dumps({"type": "end"}))
        while json.loads(ws.recv(timeout=20))["type"] != "ended":
            pass
    assert committed == answers

    authorise(page, server.url, session_id, token)
    dialogs: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    def on_request(req: Request) -> None:
        requests.append(req.url)

    page.on("request", on_request)
    replay = f"/sessions/{session_id}"

    def check_page() -> None:
        shown = page.locator("#transcript .msg.candidate .msg-text").all_inner_texts()
        assert [" ".join(t.split()) for t in shown] == [" ".join(a.split()) for a in answers]
        injected = page.evaluate(
            """() => document.querySelectorAll(
                '.msg-text *:not(span), .evidence-link *, .anchors script, main script'
            ).length"""
        )
        assert injected == 0
        # Nothing from the payloads runs or styles the page.
        assert page.evaluate("() => typeof window.alert") == "function"
        expect(page.locator("body")).to_be_visible()
        page.locator("#transcript .msg.candidate").first.hover()
        page.wait_for_timeout(300)

    page.goto(server.url + replay)
    check_page()
    expect(page.locator(".evidence-link")).to_have_count(0)
    with page.expect_navigation():
        page.get_by_role("button", name="Show without scoring").click()
    check_page()
    links = page.locator(".evidence-link")
    assert links.count() >= 1
    # The quotes in the rubric are the payloads' words, as text.
    rubric_text = page.locator(".rubric-col").inner_text()
    assert (
        "<script>alert(1)</script>" in rubric_text or "<img src=x onerror=alert(2)>" in rubric_text
    )
    links.first.click()
    target = urlsplit(page.url).fragment
    assert target.startswith("m-")
    expect(page.locator(f"#{target} .ev.ev-active").first).to_be_visible()
    # Notes with markup go back into their boxes as text.
    note = page.locator("#transcript .msg.candidate").first.locator("details.turn-note")
    note.locator("summary").click()
    note.locator("textarea").fill(PAYLOADS[9])
    note.get_by_role("button", name="Save note").click()
    expect(note.locator(".save-status")).to_have_text("Saved.")
    page.reload()
    expect(page.locator("#transcript .msg.candidate").first.locator("textarea")).to_have_value(
        PAYLOADS[9]
    )
    check_page()

    assert dialogs == []
    allowed = re.compile(
        rf"^(/static/.+|{re.escape(replay)}|/api/sessions/{session_id}/(review(/reveal)?|notes/\d+))$"
    )
    for url in requests:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == server.url, url
        assert allowed.match(parts.path), url
    assert problems == []

    # Deleting asks first; keeping it changes nothing, deleting removes the session.
    page.get_by_role("button", name="Delete…").click()
    page.get_by_role("button", name="Keep it").click()
    expect(page.locator("#delete-dialog")).not_to_be_visible()
    page.get_by_role("button", name="Delete…").click()
    with page.expect_navigation():
        page.locator("#confirm-delete").click()
    assert urlsplit(page.url).path == "/sessions"
    response = page.goto(server.url + replay)
    assert response is not None and response.status == 404
