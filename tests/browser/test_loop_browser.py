"""A full mock loop in a real browser against a real server subprocess: the home page's
"Full loop", every round by chat at a high time scale, the break screen between rounds,
and the debrief with its culture veto at the end."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import LiveServer as Server
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TEST_SCENARIO = ROOT / "tests" / "server" / "scenarios" / "server-test-chat.yaml"
# Ten minutes a round: at time scale 60 each round runs out in ten seconds.
TIME_SCALE = 60
LOOP = """\
id: short-loop
title: Short loop
summary: A culture round and a behavioral one.
rounds:
  - round: culture
  - scenario: server-test-chat
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("loop")
    scenarios = root / "scenarios"
    (scenarios / "loops").mkdir(parents=True)
    shutil.copy(TEST_SCENARIO, scenarios)
    text = TEST_SCENARIO.read_text().replace("id: server-test-chat", "id: server-test-culture")
    (scenarios / "culture.yaml").write_text(text.replace("round: behavioral", "round: culture"))
    (scenarios / "loops" / "short-loop.yaml").write_text(LOOP)
    srv = Server(root / "data", root / "server.log", scenarios=scenarios)
    srv.start()
    yield srv
    srv.stop()


def answer(page: Page, text: str) -> None:
    box = page.get_by_label("Your answer")
    box.fill(text)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".msg.candidate:not(.pending)").filter(has_text=text)).to_have_count(1)


def test_a_loop_end_to_end(server: Server, page: Page, problems: list[str]) -> None:
    page.goto(server.url + "/")
    section = page.locator("section.full-loop")
    expect(section).to_contain_text("Short loop")
    section.get_by_text("Loop drills").click()
    page.get_by_label("Every round runs this many times faster").fill(str(TIME_SCALE))
    page.get_by_role("button", name="Start the full loop").click()
    page.wait_for_url(re.compile(r"/loops/loop-[0-9a-f]+$"))
    loop_url = page.url
    expect(page.locator("#next-round")).to_have_text("Start round 1")

    answers = ["Not sure.", "We cut p99 latency from 900 to 300 ms with 8 GPUs and int8."]
    for n, text in enumerate(answers, start=1):
        page.locator("#next-round").click()
        page.wait_for_url(re.compile(r"/practice/[0-9a-f]+$"))
        answer(page, text)
        # The round runs out on its own at this time scale.
        expect(page.locator("#ended-panel")).to_be_visible(timeout=30_000)
        page.locator("#loop-link").click()
        page.wait_for_url(loop_url)
        if n < len(answers):
            expect(page.locator("#next-title")).to_have_text("Take a break")
            expect(page.locator("#next-round")).to_have_text(f"Start round {n + 1}")

    expect(page.locator("#next-title")).to_have_text("The loop is over")
    expect(page.locator("#decision")).to_have_text("No hire")
    expect(page.locator("#veto")).to_be_visible()
    expect(page.locator(".loop-round .hire-signal")).to_have_count(2)
    expect(page.locator("#recommendation")).to_contain_text("The rule:")
    # The home page offers to continue the loop.
    page.goto(server.url + "/")
    expect(page.locator(".my-loops a")).to_have_attribute("href", loop_url.removeprefix(server.url))
    assert problems == []
