"""A coding round in a real browser against a real server subprocess.

Debian's chromium driven by Python playwright, as in the other browser tests: the task and
the editor beside the conversation, a solution typed into the editor, a run of the script
and of the hidden tests with their output, the interviewer's cue when everything passes,
and on the replay the run in the transcript, the code as it was at each moment and the
rubric quoting the run as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from live_server import LiveServer as Server
from playwright.sync_api import Page, expect

from interviewer import load_catalog

pytestmark = pytest.mark.slow

SCENARIO = "coding-reward-eval"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("coding-server")
    srv = Server(root / "data", root / "server.log")
    srv.start()
    yield srv
    srv.stop()


def start_session(page: Page, base: str) -> str:
    """A chat session of the scenario, created as the home page does (the answer's cookie
    lands in the browser context); real time, so no timer fires during the test."""
    page.goto(base + "/")
    response = page.request.post(
        base + "/api/sessions", data={"scenario": SCENARIO, "mode": "chat", "time_scale": 1}
    )
    assert response.ok, response.text()
    session_id = str(response.json()["id"])
    page.goto(f"{base}/practice/{session_id}")
    return session_id


def say(page: Page, text: str) -> None:
    """One chat message, confirmed by the server (echoed with a seq)."""
    box = page.get_by_label("Your answer")
    box.fill(text)
    page.get_by_role("button", name="Send").click()
    expect(box).to_have_value("")
    sent = page.locator(".msg.candidate:not(.pending)").filter(has_text=text[:40])
    expect(sent).to_have_count(1)


def editor_text(page: Page, selector: str = "#code-editor") -> str:
    """The editor's whole text (the page draws only the lines near the view)."""
    return str(
        page.evaluate(
            """async (selector) => {
                const editor = await import("/static/js/vendor/editor.js");
                const view = editor.viewOf(document.querySelector(`${selector} .cm-editor`));
                return editor.getDoc(view);
            }""",
            selector,
        )
    )


def test_solve_a_task_and_see_it_on_the_replay(
    server: Server, page: Page, problems: list[str]
) -> None:
    task = load_catalog()[SCENARIO].code
    assert task is not None
    session_id = start_session(page, server.url)

    # The task, the editor with the starter, the buttons and an empty output pane, beside
    # the conversation on a wide screen.
    panel = page.locator("#code-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#code-task")).to_contain_text(task.task.splitlines()[0].strip())
    expect(page.locator("#code-editor .cm-content")).to_be_visible()
    first_line = task.starter.strip().splitlines()[0]
    expect(page.locator("#code-editor .cm-line").first).to_have_text(first_line)
    # By id: a running button says so ("Running the tests…").
    run_button = page.locator("#run-button")
    test_button = page.locator("#test-button")
    expect(run_button).to_have_text("Run")
    expect(test_button).to_have_text("Run tests")
    expect(run_button).to_be_enabled()
    expect(test_button).to_be_enabled()
    expect(page.locator(".run-status")).to_have_text("Nothing has run yet.")
    code_box = panel.bounding_box()
    talk_box = page.locator("#transcript").bounding_box()
    assert code_box and talk_box and code_box["x"] + code_box["width"] <= talk_box["x"]
    expect(page.locator(".msg.interviewer").first).to_be_visible()

    # The plan, then the code.
    say(page, "First I'll validate the input and drop NaN pairs, then count ties as half.")
    editor = page.locator("#code-editor .cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(task.reference.rstrip() + "\n\n")
    # Typed keys too: the editor indents after a colon by itself (4 spaces).
    page.keyboard.type("def test_one_tie():\n")
    page.keyboard.type("assert evaluate_reward_model([1.0], [1.0])['accuracy'] == 0.5\n")
    page.keyboard.press("Shift+Tab")
    page.keyboard.type('\nif __name__ == "__main__":\n')
    page.keyboard.type("print(evaluate_reward_model([2.0, 0.0], [1.0, 1.0]))\n")
    typed = editor_text(page)
    assert "def test_one_tie():\n    assert evaluate_reward_model" in typed
    assert "\n    print(evaluate_reward_model([2.0, 0.0], [1.0, 1.0]))" in typed
    say(page, "The accuracy counts a tie as half a point; now I'll run it on a small example.")

    # Run the script: its output and exit code.
    run_button.click()
    status = page.locator(".run-status")
    expect(status).to_have_attribute("data-state", "ok", timeout=30_000)
    expect(status).to_contain_text("exit code 0")
    expect(page.locator(".run-stream.stdout pre")).to_contain_text("accuracy")
    expect(page.locator("#transcript .msg.code-run")).to_have_count(1)

    # A run the network drops loses nothing: a clear line, the code stays.
    page.route("**/code/run", lambda route: route.abort("connectionrefused"))
    test_button.click()
    expect(status).to_contain_text("could not be reached")
    expect(test_button).to_be_enabled()
    assert editor_text(page) == typed
    page.unroute("**/code/run")

    # Ctrl+Enter in the editor runs the tests; the buttons wait while they run.
    editor.click()
    page.keyboard.press("Control+Enter")
    expect(test_button).to_be_disabled()
    expect(test_button).to_have_text("Running the tests…")
    expect(run_button).to_be_disabled()
    expect(status).to_have_attribute("data-state", "ok", timeout=60_000)
    expect(status).to_contain_text(re.compile(r"Tests: \d+ passed, 0 failed, 0 errors"))
    expect(page.locator(".run-tests")).to_contain_text("0 failed")
    expect(test_button).to_be_enabled()
    cards = page.locator("#transcript .msg.code-run")
    expect(cards).to_have_count(2)
    expect(cards.last).to_contain_text("Ran the tests")

    # The interviewer notices: every hidden test passes.
    assert task.cues.solved is not None
    # One of its variants, whichever the seed picked.
    cue = re.compile("|".join(re.escape(line[:30]) for line in task.cues.solved.say))
    expect(page.locator(".msg.interviewer").filter(has_text=cue)).to_have_count(1, timeout=20_000)

    # A reload opens the editor with the code as last stored.
    page.reload()
    expect(page.locator("#code-editor .cm-content")).to_be_visible()
    expect(page.locator("#transcript .msg.code-run")).to_have_count(2)
    assert editor_text(page) == typed

    # End the round; the editor becomes read-only.
    page.get_by_role("button", name="End round").click()
    page.locator("#confirm-end").click()
    expect(page.locator("#ended-panel")).to_be_visible()
    expect(test_button).to_be_disabled()
    expect(page.locator("#code-editor .cm-content")).to_have_attribute("contenteditable", "false")

    # The replay: the runs in the transcript, the code of each moment, the evidence.
    page.goto(f"{server.url}/sessions/{session_id}")
    runs = page.locator("#transcript .msg.code-run")
    expect(runs).to_have_count(2)
    expect(runs.last).to_contain_text("Ran the tests")
    viewer = page.locator("#replay-editor .cm-content")
    expect(viewer).to_be_visible()
    expect(viewer).to_have_attribute("contenteditable", "false")
    # The first candidate line came before any code was written; the test run after it.
    page.locator("#transcript .msg.candidate .msg-text").first.click()
    assert "def test_one_tie" not in editor_text(page, "#replay-editor")
    runs.last.locator(".msg-text").click()
    expect(page.locator("#code-when")).to_contain_text("version")
    assert "def test_one_tie():" in editor_text(page, "#replay-editor")

    page.get_by_role("button", name="Show without scoring").click()
    evidence = page.locator("a.evidence-link")
    expect(evidence.first).to_be_visible()
    run_seqs = set(runs.evaluate_all("ns => ns.map(n => n.dataset.seq)"))
    linked = set(evidence.evaluate_all("ns => ns.map(n => n.dataset.seq)"))
    assert run_seqs & linked, (run_seqs, linked)

    # Only the browser's own report of the run the test cut off.
    assert [p for p in problems if "ERR_CONNECTION_REFUSED" not in p] == []


@pytest.fixture()
def narrow_page(page: Page) -> Page:
    page.set_viewport_size({"width": 420, "height": 860})
    return page


def test_narrow_screen_stacks_the_code_above_the_conversation(
    server: Server, narrow_page: Page, problems: list[str]
) -> None:
    page = narrow_page
    start_session(page, server.url)
    panel = page.locator("#code-panel")
    expect(page.locator("#code-editor .cm-content")).to_be_visible()
    code_box = panel.bounding_box()
    talk_box = page.locator("#transcript").bounding_box()
    assert code_box and talk_box
    assert code_box["y"] + code_box["height"] <= talk_box["y"] + 1
    # The keyboard reaches the buttons after the editor (Esc, then Tab leaves it).
    page.locator("#code-editor .cm-content").click()
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(page.locator("#run-button")).to_be_focused()
    assert problems == []
