"""A spoken round in a real browser: the candidate's answer goes through the page's
microphone and comes back as a transcript and the interviewer's pushback.

Chromium's fake capture device plays a WAV file (48 kHz mono PCM16, synthesized here with
piper) as the microphone, once (`%noloop`), from the moment the page asks for it. Echo
cancellation and noise suppression are turned off on the page, as a candidate would with
headphones, so the file reaches the AudioWorklet unaltered.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import CHROMIUM, microphone_args
from live_server import LiveServer
from playwright.sync_api import (
    Browser,
    BrowserType,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from server.speech.audio import resample, write_wav
from server.speech.models import SpeechModels

pytestmark = pytest.mark.slow

SCENARIO = "culture-dual-use-release"
ANSWER = "I would release it with a staged rollout because defenders benefit."
RATE = 48_000


@pytest.fixture(scope="module")
def microphone(tmp_path_factory: pytest.TempPathFactory, speech_models: SpeechModels) -> Path:
    """The spoken answer: a second of quiet, the words, then silence well past the
    scenario's end silence (3 s)."""
    voice = speech_models.synthesizer
    speech = resample(voice.synthesize(ANSWER), voice.sample_rate, RATE)
    quiet = np.zeros(RATE, dtype=np.float32)
    path = tmp_path_factory.mktemp("mic") / "answer.wav"
    write_wav(path, np.concatenate([quiet, speech, np.zeros(8 * RATE, dtype=np.float32)]), RATE)
    return path


@pytest.fixture(scope="module")
def chromium() -> Iterator[BrowserType]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as p:
        yield p.chromium


@pytest.fixture(scope="module")
def browser(chromium: BrowserType, microphone: Path) -> Iterator[Browser]:
    b = chromium.launch(executable_path=CHROMIUM, args=microphone_args(microphone))
    yield b
    b.close()


@pytest.fixture()
def page(browser: Browser, voice_server: LiveServer) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.grant_permissions(["microphone"], origin=voice_server.url)
    pg = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    yield pg, problems
    context.close()


def test_a_spoken_answer_gets_a_transcript_and_a_pushback(
    voice_server: LiveServer, page: tuple[Page, list[str]]
) -> None:
    pg, problems = page
    pg.goto(voice_server.url + "/")
    pg.get_by_role("radio", name=re.compile(r"^Values & culture")).check()
    pg.locator(f'input[name="scenario"][value="{SCENARIO}"]').check()
    voice = pg.get_by_role("radio", name=re.compile(r"^Voice"))
    expect(voice).to_be_enabled()
    voice.check()
    pg.get_by_role("button", name="Start the interview").click()
    pg.wait_for_url(re.compile(r"/practice/[0-9a-f]+$"))

    # Headphones: the file must reach the page as it is.
    pg.get_by_text("Microphone settings").click()
    pg.get_by_label(re.compile("Echo cancellation")).uncheck()
    pg.get_by_label(re.compile("Noise suppression")).uncheck()
    expect(pg.get_by_label(re.compile("Reply as soon as I sound finished"))).to_be_checked()
    pg.get_by_role("button", name="Start the interview").click()

    opening = pg.locator(".msg.interviewer").first
    expect(opening).to_contain_text("Walk me through how you would decide", timeout=60_000)
    expect(pg.locator("#voice-state")).not_to_have_attribute("data-state", "idle")

    said = pg.locator(".msg.candidate")
    expect(said).to_have_count(1, timeout=60_000)
    heard = said.first.locator(".msg-text").inner_text().lower()
    # tiny.en hears "defenders benefit" as "defender's benefit" at times.
    for word in ("would release", "staged", "rollout", "defender"):
        assert word in heard, heard
    pushback = pg.locator(".msg.interviewer.kind-pushback")
    expect(pushback).to_have_count(1, timeout=30_000)
    expect(pushback).to_contain_text("So you would release it")
    # The answer began while the 13 s opening question was still playing: the opening
    # stopped (barge-in), and the pushback plays now rather than queued behind it.
    expect(pushback).to_have_class(re.compile(r"\bspeaking-now\b"), timeout=15_000)
    expect(opening).not_to_have_class(re.compile(r"\bspeaking-now\b"))
    expect(pg.locator("#voice-state")).to_have_attribute("data-state", "speaking")

    # The interviewer's voice: every line has its clip, and the page played them.
    urls = pg.evaluate(
        """async () => {
            const r = await fetch(location.pathname.replace('/practice/', '/api/sessions/'));
            const body = await r.json();
            return body.messages.filter((m) => m.type === 'interviewer').map((m) => m.audio);
        }"""
    )
    assert len(urls) == 2 and all(u.startswith("/speech/") for u in urls), urls
    for url in urls:
        with urllib.request.urlopen(voice_server.url + url, timeout=30) as response:
            assert response.headers["Content-Type"] == "audio/mpeg"
            assert len(response.read()) > 5_000
    assert pg.locator(".msg.interviewer .play-line").count() == 2
    assert problems == []


def test_the_worklet_resamples_a_48_khz_context_to_16_khz_frames(
    voice_server: LiveServer, page: tuple[Page, list[str]]
) -> None:
    """Where a browser will not run the microphone at 16 kHz, the worklet resamples: a
    440 Hz tone at 48 kHz comes out as 512-sample PCM16 frames at 16 kHz, same pitch."""
    pg, problems = page
    pg.goto(voice_server.url + "/")
    url = "/static/js/mic-worklet.js"
    result = pg.evaluate(
        """async (url) => {
            const ctx = new OfflineAudioContext(1, 48000 * 2, 48000);
            await ctx.audioWorklet.addModule(url);
            const node = new AudioWorkletNode(ctx, "mic-capture");
            const frames = [];
            node.port.onmessage = (e) =>
                frames.push({ pcm: new Int16Array(e.data.pcm), level: e.data.level });
            const osc = new OscillatorNode(ctx, { frequency: 440 });
            const gain = new GainNode(ctx, { gain: 0.5 });
            osc.connect(gain).connect(node).connect(ctx.destination);
            osc.start();
            await ctx.startRendering();
            await new Promise((r) => setTimeout(r, 200));  // the last posts
            const all = frames.flatMap((f) => Array.from(f.pcm));
            let crossings = 0;
            for (let i = 1; i < all.length; i++) if ((all[i - 1] < 0) !== (all[i] < 0)) crossings++;
            const peak = all.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
            return { frames: frames.length, sizes: [...new Set(frames.map((f) => f.pcm.length))],
                     samples: all.length, crossings, peak, level: frames[10].level };
        }""",
        url,
    )
    assert result["sizes"] == [512]
    # 2 s at 16 kHz is 62.5 frames of 512: every whole frame is there.
    assert result["frames"] in (61, 62), result
    seconds = result["samples"] / 16_000
    assert result["crossings"] / 2 / seconds == pytest.approx(440, rel=0.02), result
    # 0.5 full scale through the anti-alias filters, RMS 0.5 / sqrt(2)
    assert 0.45 * 32767 < result["peak"] < 0.55 * 32767, result
    assert result["level"] == pytest.approx(0.5 / 2**0.5, rel=0.05), result
    assert problems == []


def test_a_refused_microphone_is_explained_and_the_round_goes_on_typed(
    voice_server: LiveServer, chromium: BrowserType
) -> None:
    """Without the fake consent flag the browser refuses the microphone, as for a
    candidate who clicks Block: the page says so, and the answer box takes over."""
    b = chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream"],
    )
    try:
        pg = b.new_context().new_page()
        problems: list[str] = []
        pg.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        s = pg.request.post(
            voice_server.url + "/api/sessions", data={"scenario": SCENARIO, "mode": "voice"}
        ).json()
        pg.goto(voice_server.url + s["practice"])
        pg.get_by_role("button", name="Start the interview").click()
        notice = pg.locator("#voice-notice")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("Microphone access was refused")
        # typing (or the interviewer's line playing meanwhile)
        state = pg.locator("#voice-state")
        expect(state).to_have_attribute("data-state", re.compile(r"^(typed|speaking)$"))
        expect(pg.locator("#done-button")).to_be_hidden()
        expect(pg.locator(".msg.interviewer")).to_have_count(1, timeout=60_000)
        box = pg.get_by_label("Your answer")
        box.fill("I would hold it back until an uplift study is done.")
        box.press("Control+Enter")
        expect(pg.locator(".msg.candidate:not(.pending)")).to_have_count(1)
        expect(pg.locator(".msg.interviewer")).to_have_count(2, timeout=30_000)
        assert problems == []
    finally:
        b.close()
