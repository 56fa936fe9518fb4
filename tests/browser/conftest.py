"""Debian's chromium driven by Python playwright (never a downloaded browser)."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import LiveServer
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # the machine has no network: without these chromium keeps trying to reach its services
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]


def microphone_args(microphone: Path) -> list[str]:
    """Chromium's flags for a microphone that plays `microphone` (a WAV) once, from when
    the page asks for it, with the permission prompt answered yes."""
    return [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={microphone}%noloop",
    ]


def voice_ready(base: str, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            voice = json.load(response)["voice"]
        if voice["status"] == "ready":
            return
        assert voice["status"] == "loading", voice
        time.sleep(0.25)
    raise AssertionError("the speech models did not load")


@pytest.fixture(scope="module")
def voice_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server with its speech models loaded (a process of its own)."""
    root = tmp_path_factory.mktemp("voice-server")
    srv = LiveServer(root / "data", root / "server.log")
    srv.start()
    try:
        voice_ready(srv.url)
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def problems() -> list[str]:
    """Console errors of the page: CSP violations and script errors show up there."""
    return []


@pytest.fixture()
def page(browser: Browser, problems: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    yield pg
    context.close()
