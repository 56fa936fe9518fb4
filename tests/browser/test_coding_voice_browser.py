"""A coding round by voice in a real browser: the candidate says they are ready through the
page's microphone, writes the solution in the editor, runs the tests, and hears the
interviewer's solved cue; narration spoken while coding gets no reply.

The microphone is Chromium's fake capture device playing a WAV synthesized here with piper
(as in test_voice_browser.py): the spoken answer, then a narrated sentence a while later.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import CHROMIUM, microphone_args
from live_server import LiveServer
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from test_voice_browser import RATE

from interviewer import load_catalog
from server.speech.audio import resample, write_wav
from server.speech.models import SpeechModels

pytestmark = pytest.mark.slow

SCENARIO = "coding-reward-eval"
READY = "Yes, I'm ready. I will start with the accuracy."
NARRATION = "Now I am counting the ties as half of a win."


@pytest.fixture(scope="module")
def microphone(tmp_path_factory: pytest.TempPathFactory, speech_models: SpeechModels) -> Path:
    """Quiet while the opening plays, the answer, silence past the round's end silence (3 s),
    the narrated sentence, then silence."""
    voice = speech_models.synthesizer

    def spoken(text: str) -> np.ndarray:
        return resample(voice.synthesize(text), voice.sample_rate, RATE)

    def quiet(seconds: float) -> np.ndarray:
        return np.zeros(int(seconds * RATE), dtype=np.float32)

    audio = np.concatenate([quiet(1), spoken(READY), quiet(8), spoken(NARRATION), quiet(30)])
    path = tmp_path_factory.mktemp("mic") / "coding.wav"
    write_wav(path, audio, RATE)
    return path


@pytest.fixture(scope="module")
def browser(microphone: Path) -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=microphone_args(microphone))
        yield b
        b.close()


def test_a_coding_round_by_voice(browser: Browser, voice_server: LiveServer) -> None:
    task = load_catalog()[SCENARIO].code
    assert task is not None
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["microphone"], origin=voice_server.url)
    pg: Page = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    pg.goto(voice_server.url + "/")
    pg.get_by_role("radio", name=re.compile(r"^Technical phone screen")).check()
    pg.locator(f'input[name="scenario"][value="{SCENARIO}"]').check()
    voice = pg.get_by_role("radio", name=re.compile(r"^Voice"))
    expect(voice).to_be_enabled()
    voice.check()
    pg.get_by_role("button", name="Start the interview").click()
    pg.wait_for_url(re.compile(r"/practice/[0-9a-f]+$"))
    pg.get_by_text("Microphone settings").click()
    pg.get_by_label(re.compile("Echo cancellation")).uncheck()
    pg.get_by_label(re.compile("Noise suppression")).uncheck()
    pg.get_by_role("button", name="Start the interview").click()

    # The editor is there beside the voice panel; the spoken "ready" opens the task.
    expect(pg.locator("#code-editor .cm-content")).to_be_visible()
    said = pg.locator(".msg.candidate")
    expect(said).to_have_count(1, timeout=90_000)
    assert "ready" in said.first.locator(".msg-text").inner_text().lower()
    task_line = pg.locator(".msg.interviewer").nth(1)
    expect(task_line).to_contain_text("Go ahead", timeout=30_000)

    # Narration while coding: heard, and answered by nothing.
    expect(said).to_have_count(2, timeout=90_000)
    assert "ties" in said.nth(1).locator(".msg-text").inner_text().lower()
    pg.wait_for_timeout(2_000)
    expect(pg.locator(".msg.interviewer")).to_have_count(2)

    # The solution, typed into the editor, and the tests run.
    pg.locator("#code-editor .cm-content").click()
    pg.keyboard.press("Control+a")
    pg.keyboard.press("Delete")
    pg.keyboard.insert_text(task.reference)
    pg.locator("#test-button").click()
    expect(pg.locator(".msg.code-run")).to_have_count(1, timeout=60_000)
    expect(pg.locator(".msg.code-run")).to_contain_text("passed")
    solved = pg.locator(".msg.interviewer.kind-follow_up").first
    expect(solved).to_be_visible(timeout=30_000)
    # The cue is spoken like every other line: it has its clip.
    urls = pg.evaluate(
        """async () => {
            const r = await fetch(location.pathname.replace('/practice/', '/api/sessions/'));
            const body = await r.json();
            return body.messages.filter((m) => m.type === 'interviewer').map((m) => m.audio);
        }"""
    )
    assert len(urls) >= 3 and all(u and u.startswith("/speech/") for u in urls), urls
    assert problems == []
    context.close()
