"""The chat practice pages in a real browser against a real server subprocess.

Debian's chromium is driven by Python playwright (never a downloaded browser). The server
is `python -m server.main` on a free port with its own data directory, so these tests see
exactly what a candidate sees: the pages, the CSP, the websocket, the stored session.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import LiveServer as Server
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from interviewer import load_catalog

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# A system design scenario with a timed adversarial constraint (at 14 minutes); at time
# scale 60 a minute of the script passes in a second.
SCENARIO = "design-inference-serving"
TIME_SCALE = 60


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Shared by the tests that leave the server running."""
    root = tmp_path_factory.mktemp("server")
    srv = Server(root / "data", root / "server.log")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture()
def own_server(tmp_path: Path) -> Iterator[Server]:
    """For a test that kills and restarts its server."""
    srv = Server(tmp_path / "data", tmp_path / "server.log")
    srv.start()
    yield srv
    srv.stop()


def start_from_home(page: Page, base: str, *, time_scale: float) -> str:
    """Home page -> system design -> the scenario -> chat -> drills -> Start; the id."""
    page.goto(base + "/")
    page.get_by_role("radio", name=re.compile(r"^ML system design")).check()
    page.locator(f'input[name="scenario"][value="{SCENARIO}"]').check()
    expect(page.get_by_role("radio", name=re.compile(r"^Chat"))).to_be_checked()
    page.get_by_text("Advanced / drills").click()
    page.get_by_label("Time scale").fill(str(time_scale))
    page.get_by_role("button", name="Start the interview").click()
    page.wait_for_url(re.compile(r"/practice/[0-9a-f]+$"))
    session_id = page.url.rsplit("/", 1)[1]
    stored = page.evaluate(f"sessionStorage.getItem('mockloop.session.{session_id}')")
    token = json.loads(stored)["token"]
    assert token and token not in page.url
    return session_id


def send(page: Page, text: str, *, with_keys: bool) -> None:
    """Answer one turn and wait until the server has committed it (echoed with a seq)."""
    before = page.locator(".msg.interviewer").count()
    box = page.get_by_label("Your answer")
    box.fill(text)
    if with_keys:
        box.press("Control+Enter")
    else:
        page.get_by_role("button", name="Send").click()
    expect(box).to_have_value("")
    confirmed = page.locator(".msg.candidate:not(.pending)").filter(has_text=text.split("\n")[0])
    expect(confirmed).to_have_count(1)
    expect(page.locator(".msg.interviewer")).not_to_have_count(before)


def seqs(page: Page) -> list[int]:
    values = page.eval_on_selector_all("#transcript [data-seq]", "ns => ns.map(n => n.dataset.seq)")
    return [int(v) for v in values]


def test_chat_round_in_a_real_browser(server: Server, page: Page, problems: list[str]) -> None:
    session_id = start_from_home(page, server.url, time_scale=TIME_SCALE)

    first = page.locator(".msg.interviewer").first
    expect(first).to_be_visible()
    expect(page.locator("#conn-banner")).to_be_hidden()
    expect(page.locator("#drill-badge")).to_contain_text("60")
    expect(page.locator("#round-left")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(page.locator("#phase-name")).not_to_have_text("–")
    # The newest interviewer line is announced to screen readers.
    expect(page.locator("#live")).to_contain_text("Interviewer.")

    # Enter adds a line; it does not send.
    box = page.get_by_label("Your answer")
    box.fill("How much traffic, and what latency budget?")
    box.press("End")
    box.press("Enter")
    box.press_sequentially("Which GPUs do we have?")
    assert "\n" in box.input_value()
    expect(page.locator(".msg.candidate")).to_have_count(0)
    box.fill("")

    send(
        page,
        "What traffic do we expect, 10k requests per second?\nAnd is the p99 budget 2 seconds?",
        with_keys=True,
    )
    send(
        page,
        "A gateway, a router and GPU replicas with continuous batching and a KV cache, "
        "autoscaled on queue depth.",
        with_keys=False,
    )
    multi = page.locator(".msg.candidate .msg-text").first
    assert multi.inner_text() == (
        "What traffic do we expect, 10k requests per second?\nAnd is the p99 budget 2 seconds?"
    )

    # The timed constraint arrives on its own, labelled and styled apart from a question.
    constraint = page.locator(".msg.interviewer.kind-constraint")
    expect(constraint).to_have_count(1, timeout=45_000)
    expect(constraint.locator(".msg-kind")).to_have_text("New constraint")
    plain = page.locator(".msg.interviewer.kind-question").first
    style = "n => { const s = getComputedStyle(n); return [s.borderLeftWidth, s.backgroundColor] }"
    assert constraint.evaluate(style) != plain.evaluate(style)
    assert plain.locator(".msg-kind").count() == 0

    # Every seq shows once, in order.
    shown = seqs(page)
    assert shown == sorted(set(shown))

    # End: the confirmation can be declined, then accepted.
    page.get_by_role("button", name="End round").click()
    expect(page.locator("#end-dialog")).to_be_visible()
    page.get_by_role("button", name="Keep going").click()
    expect(page.locator("#end-dialog")).to_be_hidden()
    expect(page.locator("#ended-panel")).to_be_hidden()
    page.get_by_role("button", name="End round").click()
    page.locator("#confirm-end").click()

    ended = page.locator("#ended-panel")
    expect(ended).to_be_visible()
    expect(ended).to_contain_text("You ended the round")
    expect(page.locator("#replay-link")).to_have_attribute("href", f"/sessions/{session_id}")
    expect(page.locator("#answer-form")).to_be_hidden()
    expect(page.locator(".msg-divider.ended")).to_have_count(1)
    expect(page.locator("#round-left")).to_have_text("Ended")
    # The socket is closed on purpose: no reconnect banner afterwards.
    page.wait_for_timeout(1500)
    expect(page.locator("#conn-banner")).to_be_hidden()

    # The past sessions page lists it, ended, with a link to its replay.
    page.goto(server.url + "/sessions")
    row = page.locator(f'tr[data-session-id="{session_id}"]')
    expect(row).to_contain_text(load_catalog()[SCENARIO].title)
    expect(row).to_contain_text("Ended early")
    expect(row.get_by_role("link", name="Replay")).to_have_attribute(
        "href", f"/sessions/{session_id}"
    )
    expect(row.get_by_role("link", name="Resume")).to_have_count(0)

    assert problems == []


def test_banner_when_the_server_goes_and_comes_back(
    own_server: Server, page: Page, problems: list[str]
) -> None:
    server = own_server
    # Real time: nothing fires on its own while the server is down.
    session_id = start_from_home(page, server.url, time_scale=1)
    expect(page.locator(".msg.interviewer").first).to_be_visible()
    send(page, "Could you tell me the expected traffic and the latency budget?", with_keys=True)
    before = seqs(page)
    interviewer_before = page.locator(".msg.interviewer").count()

    server.kill()
    banner = page.locator("#conn-banner")
    expect(banner).to_be_visible(timeout=10_000)
    expect(banner).to_have_attribute("data-state", re.compile("reconnecting|gone"))
    # The first retry fails too: the page says the server is gone, and keeps trying.
    expect(banner).to_have_attribute("data-state", "gone", timeout=15_000)
    expect(banner).to_contain_text("not reachable")
    expect(page.get_by_role("button", name="Retry now")).to_be_visible()

    # An answer typed while disconnected stays in the box.
    box = page.get_by_label("Your answer")
    box.fill("Typed while the server was down.")
    page.get_by_role("button", name="Send").click()
    expect(box).to_have_value("Typed while the server was down.")
    expect(banner).to_contain_text("Your answer stays in the box")
    expect(banner).to_have_attribute("data-state", "gone")
    expect(banner.locator(".countdown")).to_have_text(re.compile(r"Retrying|Connecting"))

    # "Retry now" against a server still down: one more failed try, the answer still kept.
    page.get_by_role("button", name="Retry now").click()
    expect(banner).to_have_attribute("data-state", "gone", timeout=10_000)
    expect(box).to_have_value("Typed while the server was down.")

    server.start()
    # The page's own backoff may reconnect while the server starts, which hides the
    # button; otherwise "Retry now" reconnects at once. Either way the page comes back.
    if banner.get_attribute("data-state") == "gone":
        # hidden mid-click: the backoff got there first
        with contextlib.suppress(PlaywrightTimeoutError):
            page.get_by_role("button", name="Retry now").click(timeout=5_000)
    expect(banner).to_have_attribute("data-state", "back", timeout=20_000)
    expect(banner).to_contain_text("Reconnected")
    expect(banner).to_be_hidden(timeout=10_000)
    # Resumed from the last seq: nothing shown twice, nothing lost.
    assert seqs(page) == before
    assert page.locator(".msg.interviewer").count() == interviewer_before

    # The same interview goes on.
    box.fill("")
    send(page, "Then I would put a router in front of the GPU replicas.", with_keys=False)
    after = seqs(page)
    assert after[: len(before)] == before and len(after) > len(before)
    assert after == sorted(set(after))

    # A new tab has no token in its sessionStorage: the session cookie lets it resume.
    other = page.context.new_page()
    other.goto(f"{server.url}/practice/{session_id}")
    expect(other.locator(".msg.candidate")).to_have_count(2)
    expect(other.locator("#conn-banner")).to_be_hidden()
    assert seqs(other) == after
    other.close()

    # The browser itself reports each refused connection attempt; nothing else is allowed.
    assert [p for p in problems if "WebSocket connection to" not in p] == []


def test_home_page_error_states(server: Server, page: Page, problems: list[str]) -> None:
    page.goto(server.url + "/")
    page.get_by_role("radio", name=re.compile(r"^ML system design")).check()
    page.locator(f'input[name="scenario"][value="{SCENARIO}"]').check()
    page.get_by_text("Advanced / drills").click()
    start = page.get_by_role("button", name="Start the interview")
    error = page.locator("#start-error")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/" in r.url else None)

    # Bad input is caught before anything is sent, and the field is marked.
    scale = page.get_by_label("Time scale")
    scale.fill("0")
    start.click()
    expect(error).to_be_visible()
    expect(error).to_contain_text("Time scale must be between 1 and 600")
    expect(scale).to_have_attribute("aria-invalid", "true")
    expect(scale).to_be_focused()
    assert requests == []
    scale.fill("1")

    # What the server refuses (a seed beyond its range) is reported with its reason.
    page.get_by_label("Seed").fill(str(2**63))
    start.click()
    expect(error).to_contain_text("The server did not accept these settings")
    expect(error).to_contain_text("seed")
    page.get_by_label("Seed").fill("")

    # A scenario the server no longer knows (the page is older than the catalog).
    page.eval_on_selector(
        f'input[name="scenario"][value="{SCENARIO}"]', "n => { n.value = 'no-such-scenario' }"
    )
    start.click()
    expect(error).to_contain_text("Unknown scenario")
    page.reload()

    # The server cannot be reached.
    page.route("**/api/sessions", lambda route: route.abort("connectionrefused"))
    page.get_by_role("radio", name=re.compile(r"^ML system design")).check()
    page.locator(f'input[name="scenario"][value="{SCENARIO}"]').check()
    page.get_by_role("button", name="Start the interview").click()
    expect(error).to_contain_text("cannot be reached")
    expect(page.get_by_role("button", name="Start the interview")).to_be_enabled()
    assert page.url == server.url + "/"

    # Only the browser's own reports of the refused and failed requests are expected.
    assert [p for p in problems if "Failed to load resource" not in p] == []


def test_round_ends_on_time_without_the_candidate(
    server: Server, page: Page, problems: list[str]
) -> None:
    # At the fastest time scale the whole round passes in seconds.
    scenario = load_catalog()[SCENARIO]
    minutes = scenario.minutes
    constraints = [t for t in scenario.timers if t.kind == "constraint" and t.at < minutes * 60]
    assert constraints
    start_from_home(page, server.url, time_scale=600)
    expect(page.locator(".msg.interviewer").first).to_be_visible()
    ended = page.locator("#ended-panel")
    expect(ended).to_be_visible(timeout=int(minutes * 60 / 600 * 1000) + 20_000)
    expect(ended).to_contain_text("Time is up")
    expect(page.locator("#round-left")).to_have_text("Ended")
    expect(page.locator("#answer-form")).to_be_hidden()
    # Every timed constraint of the script fired on the way, each shown once.
    expect(page.locator(".msg.interviewer.kind-constraint")).to_have_count(len(constraints))
    shown = seqs(page)
    assert shown == sorted(set(shown))
    assert problems == []
