"""Fast checks of the browser pages without a browser: they render, escape, carry no inline
script or style (the CSP forbids both), load nothing from another host, and show only the
sessions this browser holds a valid cookie for."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from interviewer import load_catalog
from server import pages
from server.security import cookie_name, hash_token, new_session_id, new_token
from server.storage import SessionRecord, Store

WEB = Path(__file__).resolve().parents[2] / "web"
NASTY = '<script>alert("x")</script>&"\''


class _Audit(HTMLParser):
    """Collects what the CSP and the offline rule care about."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"inline handler {name} on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name in ("src", "href", "action", "formaction") and value is not None:
                self.urls.append(value)
                if value.strip().lower().startswith("javascript:"):
                    self.problems.append(f"javascript: url on <{tag}>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            # A JSON data block is not run (nor does the CSP govern it); a script is.
            data_block = dict(attrs).get("type") == "application/json"
            if "src" not in names and not data_block:
                self.problems.append("<script> without src")
            if not data_block:
                self.scripts.append(dict(attrs).get("src") or "")
                self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("inline script body")


def audit(html: str) -> _Audit:
    parser = _Audit()
    parser.feed(html)
    parser.close()
    assert parser.problems == []
    for url in parser.urls:
        # Same-origin paths or fragments only: the pages must work with no network.
        assert url.startswith(("/", "#")) and not url.startswith("//"), url
    return parser


# One store and app for the module (migrations take a while); tests add their own sessions
# and the sessions page only lists those the client holds cookies for.
@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    data = tmp_path_factory.mktemp("data")
    s = Store(f"sqlite:///{(data / 'test.db').as_posix()}", data)
    yield s
    s.close()


@pytest.fixture(scope="module")
def app(store: Store) -> FastAPI:
    app = FastAPI()
    catalog: dict[str, Any] = dict(load_catalog())
    catalog["nasty"] = SimpleNamespace(
        id="nasty", title=NASTY, round="behavioral", minutes=12.5, summary=NASTY
    )
    app.state.catalog = catalog
    app.state.store = store
    pages.install(app)
    return app


@pytest.fixture()
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def add_session(
    store: Store, scenario: str, *, status: str = "live", started_ago: float | None = 30.0
) -> tuple[str, str]:
    sid, token = new_session_id(), new_token()
    now = time.time()
    store.write(
        store.write_session,
        SessionRecord(
            id=sid,
            scenario_id=scenario,
            mode="chat",
            seed=1,
            time_scale=60.0,
            token_hash=hash_token(token),
            status=status,
            created_at=now - 40,
            started_at=None if started_ago is None else now - started_ago,
        ),
    )
    return sid, token


def system_design_id(app: FastAPI) -> str:
    ids = [s.id for s in app.state.catalog.values() if s.round == "system_design"]
    assert ids, "the repository ships at least one system design scenario"
    return str(ids[0])


def test_home_lists_every_round_and_scenario_escaped(client: TestClient, app: FastAPI) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    parsed = audit(html)
    assert NASTY not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    for label in pages.ROUND_LABELS.values():
        assert label.replace("&", "&amp;") in html
    for scenario in app.state.catalog.values():
        assert f'value="{scenario.id}"' in html
    assert "12.5 min" in html
    assert any(src.startswith("/static/js/home.js?v=") for src in parsed.scripts)
    # This app runs without speech models: voice is shown, disabled and marked unavailable.
    assert 'value="voice" disabled' in html and '<span class="tag">unavailable</span>' in html


def test_practice_page_renders_clock_data(client: TestClient, app: FastAPI, store: Store) -> None:
    sid, token = add_session(store, system_design_id(app), started_ago=30.0)
    client.cookies.set(cookie_name(sid), token)
    response = client.get(f"/practice/{sid}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    audit(html)
    elapsed = float(re.search(r'data-elapsed="([0-9.]+)"', html).group(1))  # type: ignore[union-attr]
    assert 29.0 <= elapsed <= 40.0
    assert 'data-time-scale="60"' in html
    assert f'data-session-id="{sid}"' in html
    assert 'data-status="live"' in html
    assert 'id="answer"' in html and 'id="end-button"' in html and 'aria-live="polite"' in html


def test_practice_page_escapes_scenario_title(client: TestClient, store: Store) -> None:
    sid, token = add_session(store, "nasty", status="created", started_ago=None)
    html = client.get(f"/practice/{sid}", headers={"Authorization": f"Bearer {token}"}).text
    audit(html)
    assert NASTY not in html
    assert 'data-elapsed=""' in html
    assert 'data-minutes="12.5"' in html


@pytest.mark.parametrize("path", ["/practice/0123456789abcdef", "/practice/bad%20id%3Cx%3E"])
def test_practice_page_unknown_session_is_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "Session not found" in response.text
    audit(response.text)


def test_practice_page_needs_the_sessions_key(
    client: TestClient, app: FastAPI, store: Store
) -> None:
    sid, token = add_session(store, system_design_id(app))
    other, other_token = add_session(store, system_design_id(app))
    response = client.get(f"/practice/{sid}")
    assert response.status_code == 401 and "no key to this session" in response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert "data-session-id" not in response.text
    client.cookies.set(cookie_name(sid), other_token)
    response = client.get(f"/practice/{sid}")
    assert response.status_code == 403 and "does not open this session" in response.text
    audit(response.text)
    client.cookies.set(cookie_name(sid), token)
    assert client.get(f"/practice/{sid}").status_code == 200
    assert client.get(f"/practice/{other}").status_code == 401


def test_sessions_lists_only_sessions_with_a_valid_cookie(
    client: TestClient, app: FastAPI, store: Store
) -> None:
    mine, token = add_session(store, system_design_id(app))
    forged, _ = add_session(store, "nasty")
    other, _ = add_session(store, "nasty")
    client.cookies.set(cookie_name(mine), token)
    client.cookies.set(cookie_name(forged), "not-the-token")
    html = client.get("/sessions").text
    audit(html)
    assert f'href="/sessions/{mine}"' in html
    assert f'href="/practice/{mine}"' in html  # live: can be resumed
    assert forged not in html
    assert other not in html


def test_sessions_empty_state(client: TestClient, app: FastAPI, store: Store) -> None:
    add_session(store, system_design_id(app))  # someone else's: not listed
    html = client.get("/sessions").text
    audit(html)
    assert "No sessions yet" in html


def test_static_files_are_served_and_offline(client: TestClient) -> None:
    files = sorted(p for p in (WEB / "static").rglob("*") if p.is_file())
    assert {p.suffix for p in files} >= {".js", ".css", ".svg"}
    for file in files:
        rel = file.relative_to(WEB / "static").as_posix()
        response = client.get(f"/static/{rel}")
        assert response.status_code == 200, rel
        text = file.read_text("utf-8")
        # The only absolute URL allowed is the SVG namespace (an identifier, never fetched).
        urls = re.findall(r"[a-z]+://[^\s\"')]+", text)
        assert [u for u in urls if u != "http://www.w3.org/2000/svg"] == [], rel
        if file.suffix == ".js":
            assert "innerHTML" not in text and "eval(" not in text, rel
            for target in re.findall(r'from "(\./[^"]+)"', text):
                assert (file.parent / target).is_file(), (rel, target)
        if file.suffix == ".css":
            assert "@import" not in text and "url(" not in text, rel


def test_every_template_is_autoescaped() -> None:
    templates = pages.make_templates(WEB)
    rendered = templates.env.from_string("{{ x }}").render(x="<b>")
    assert rendered == "&lt;b&gt;"
    autoescape = templates.env.autoescape
    assert callable(autoescape)
    for file in (WEB / "templates").iterdir():
        assert autoescape(file.name) is True, file.name
