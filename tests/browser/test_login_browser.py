"""Signing in with the instance password from a real browser (Debian's chromium) against a
real server process: the browser is the one that sends the login form, with the Origin
and Referer its policies give it, and the one that follows the redirect afterwards."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import LiveServer as Server
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("login")
    srv = Server(
        root / "data",
        root / "server.log",
        env={"MOCKLOOP_PASSWORD": PASSWORD, "MOCKLOOP_VOICE": "false"},
    )
    srv.start()
    yield srv
    srv.stop()


def sign_in(page: Page, password: str) -> None:
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_browser_signs_in_with_the_password_and_lands_home(
    server: Server, page: Page, problems: list[str]
) -> None:
    """Before: the pages' `no-referrer` made chromium post the form with `Origin: null`,
    which the Origin check refused (403): the password worked only with HTTP Basic."""
    page.goto(server.url + "/")
    expect(page).to_have_url(server.url + "/login?next=%2F")
    sign_in(page, "not the password")
    expect(page.get_by_role("alert")).to_contain_text("not right")
    sign_in(page, PASSWORD)
    expect(page).to_have_url(server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Past sessions")).to_be_visible()
    # The session cookie works for the page's own API calls too.
    assert page.evaluate("fetch('/api/scenarios').then(r => r.status)") == 200
    page.goto(server.url + "/sessions")
    expect(page).to_have_url(server.url + "/sessions")
    # Signing out (the same-origin post a page would send) ends it for this browser.
    status = page.evaluate("fetch('/logout', {method: 'POST'}).then(r => r.status)")
    assert status == 200  # the redirect to the login page, followed
    page.goto(server.url + "/sessions")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fsessions$"))
    # The wrong password's 401 page is the only resource chromium reports as failed; no
    # CSP violation, no script error.
    assert [p for p in problems if "status of 401" not in p] == []


def test_next_with_a_tab_keeps_the_browser_on_the_site(server: Server, page: Page) -> None:
    """Before: `next=/%09/host` redirected to `/<TAB>/host`, which the browser followed to
    `//host`: another site."""
    page.goto(server.url + "/login?next=/%09/evil.example")
    sign_in(page, PASSWORD)
    expect(page).to_have_url(server.url + "/")
