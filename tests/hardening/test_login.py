"""The instance password, attacked from outside: real server processes, plain HTTP from
several source addresses. Guessing is limited per address and overall, for the login
form and HTTP Basic alike, before the password is looked at; the login cookie is a random
sign-in the server keeps with an expiry and forgets at sign-out; an https public URL makes
every cookie Secure, sends HSTS and is the only origin accepted; behind a trusted proxy
the forwarded address is the one counted."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable

import pytest
from hardening_support import CHAT, ForkedServer
from outside import PASSWORD, Answer, basic, call, form_login

from server.security import LOGIN_COOKIE, login_key

pytestmark = pytest.mark.slow

Serve = Callable[..., ForkedServer]


def api(server: ForkedServer, headers: dict[str, str], source: str = "127.0.0.1") -> Answer:
    return call(server.port, "GET", "/api/scenarios", headers=headers, source=source)


def with_cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"{LOGIN_COOKIE}={value}"}


def retry_after(answer: Answer) -> float:
    value = answer.headers.get("retry-after")
    assert value is not None and value.isdigit(), answer.headers
    return float(value)


# ------------------------------------------------------------------ guessing


def test_guessing_is_limited_per_address_before_the_password_form_and_basic_alike(
    serve: Serve,
) -> None:
    server = serve(MOCKLOOP_PASSWORD=PASSWORD)
    guesser, neighbour = "127.0.0.2", "127.0.0.3"
    codes = [form_login(server, f"guess {i}", source=guesser).status for i in range(5)]
    assert codes == [401] * 5
    # Limited now: the right password is refused too, by the form and by Basic.
    refused = form_login(server, PASSWORD, source=guesser)
    assert refused.status == 429 and not refused.cookies()
    assert b"try again" in refused.body
    wait = retry_after(refused)
    assert 1 <= wait <= 2
    assert api(server, basic(PASSWORD), guesser).status == 429
    # Another address is not held back by this one's guesses.
    assert api(server, basic(PASSWORD), neighbour).status == 200
    # Once the wait is over the right password signs in; a wrong one doubles the wait.
    time.sleep(wait + 0.2)
    assert form_login(server, PASSWORD, source=guesser).status == 303
    for i in range(5):
        assert api(server, basic(f"basic guess {i}"), guesser).status == 401
    limited = api(server, basic(PASSWORD), guesser)
    assert limited.status == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert form_login(server, PASSWORD, source=guesser).status == 429


def test_a_basic_auth_flood_gets_a_handful_of_tries(serve: Serve) -> None:
    """Before: 9,416 guesses in 4 s were all checked, and the right one then got 200."""
    server = serve(MOCKLOOP_PASSWORD=PASSWORD)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    checked = limited = 0
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < 3.0:
        n += 1
        status = api_on(conn, basic(f"flood {n}"))
        checked += status == 401
        limited += status == 429
        assert status in (401, 429), status
    conn.close()
    # 5 free tries, one after the 1 s wait, perhaps one more as the 2 s wait ends.
    assert checked <= 7, (checked, n)
    assert limited == n - checked and limited > 50
    assert api(server, basic(PASSWORD)).status == 429
    print(f"flood: {n} guesses in 3 s, {checked} checked")


def api_on(conn: http.client.HTTPConnection, headers: dict[str, str]) -> int:
    conn.request("GET", "/api/scenarios", headers=headers)
    r = conn.getresponse()
    r.read()
    return int(r.status)


def test_guesses_from_many_addresses_meet_the_overall_limit(serve: Serve) -> None:
    server = serve(MOCKLOOP_PASSWORD=PASSWORD, MOCKLOOP_LOGIN_TRIES_OVERALL="12")
    # Three wrong tries from each of four addresses: none of them is limited on its own.
    for host in range(10, 14):
        for i in range(3):
            r = form_login(server, f"spread {i}", source=f"127.0.0.{host}")
            assert r.status == 401
    fresh = "127.0.0.20"
    refused = form_login(server, PASSWORD, source=fresh)
    assert refused.status == 429 and not refused.cookies()
    assert api(server, basic(PASSWORD), fresh).status == 429
    time.sleep(retry_after(refused) + 0.2)
    assert api(server, basic(PASSWORD), fresh).status == 200


# ------------------------------------------------------------------ the login cookie


def test_the_login_cookie_is_random_expires_and_dies_at_sign_out(serve: Serve) -> None:
    server = serve(MOCKLOOP_PASSWORD=PASSWORD, MOCKLOOP_LOGIN_MAX_AGE="4")
    first, second = form_login(server, PASSWORD), form_login(server, PASSWORD)
    signed_in_at = time.monotonic()
    a, b = first.cookie(LOGIN_COOKIE), second.cookie(LOGIN_COOKIE)
    assert a != b and len(a) >= 40
    assert "Max-Age=4" in first.cookies()[0]
    # Before: the cookie was PBKDF2(password) with a fixed salt, the same for everyone,
    # forever; anyone who knew the password could make one.
    forged = login_key(PASSWORD)
    assert forged not in (a, b)
    assert api(server, with_cookie(forged)).status == 401
    assert api(server, with_cookie(a)).status == 200
    assert api(server, with_cookie(b)).status == 200
    # Signing out ends that sign-in on the server, not only in the browser.
    out = call(server.port, "POST", "/logout", headers={**with_cookie(a), "Origin": server.url})
    assert out.status == 303 and out.cookie(LOGIN_COOKIE) == ""
    assert api(server, with_cookie(a)).status == 401
    assert api(server, with_cookie(b)).status == 200
    # ... and every sign-in ends when it expires.
    time.sleep(max(0.0, signed_in_at + 4.3 - time.monotonic()))
    assert api(server, with_cookie(b)).status == 401


def test_sign_ins_outlive_a_restart_but_not_a_new_password(serve: Serve) -> None:
    server = serve(MOCKLOOP_PASSWORD=PASSWORD)
    cookie = form_login(server, PASSWORD).cookie(LOGIN_COOKIE)
    server.stop()
    server.start()
    assert api(server, with_cookie(cookie)).status == 200
    server.stop()
    server.env["MOCKLOOP_PASSWORD"] = "a new password"
    server.start()
    assert api(server, with_cookie(cookie)).status == 401
    assert api(server, basic("a new password")).status == 200


# ------------------------------------------------------------------ the public URL


def test_an_https_public_url_makes_cookies_secure_sends_hsts_and_is_the_origin(
    serve: Serve,
) -> None:
    public = "https://mock.example.org"
    server = serve(
        MOCKLOOP_PASSWORD=PASSWORD,
        MOCKLOOP_PUBLIC_URL=public + "/",
        MOCKLOOP_ALLOWED_HOSTS="mock.example.org,localhost,127.0.0.1",
    )
    host = {"Host": "mock.example.org"}
    signed = form_login(server, PASSWORD, headers={**host, "Origin": public})
    assert signed.status == 303
    assert "; Secure" in signed.cookies()[0]
    assert signed.headers["strict-transport-security"].startswith("max-age=")
    cookie = with_cookie(signed.cookie(LOGIN_COOKIE))
    created = call(
        server.port,
        "POST",
        "/api/sessions",
        body=b'{"scenario": "%s"}' % CHAT.encode(),
        headers={**host, **cookie, "Origin": public, "Content-Type": "application/json"},
    )
    assert created.status == 201
    session_cookie = [c for c in created.cookies() if c.startswith("mockloop_")]
    assert len(session_cookie) == 1 and "; Secure" in session_cookie[0]
    assert "strict-transport-security" in created.headers
    health = call(server.port, "GET", "/healthz", headers=host)
    assert "strict-transport-security" in health.headers
    # Only the public origin: not the same name over http, not the loopback origin.
    for origin, headers in (
        ("http://mock.example.org", host),
        (server.url, {}),
        ("https://mock.example.org:8443", host),
    ):
        r = call(
            server.port,
            "POST",
            "/api/sessions",
            body=b'{"scenario": "%s"}' % CHAT.encode(),
            headers={**headers, **cookie, "Origin": origin, "Content-Type": "application/json"},
        )
        assert r.status == 403 and r.json()["error"]["code"] == "bad_origin", origin


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(serve: Serve) -> None:
    server = serve(MOCKLOOP_PASSWORD=PASSWORD, MOCKLOOP_FORWARDED_ALLOW_IPS="127.0.0.1")

    def via_proxy(client: str, password: str, proxy: str = "127.0.0.1") -> int:
        headers = {**basic(password), "X-Forwarded-For": client}
        return api(server, headers, proxy).status

    for i in range(5):
        assert via_proxy("198.51.100.7", f"guess {i}") == 401
    assert via_proxy("198.51.100.7", PASSWORD) == 429
    # Another client behind the same proxy is not held back.
    assert via_proxy("198.51.100.8", PASSWORD) == 200
    # X-Forwarded-For from a host that is not the trusted proxy is not believed: its
    # guesses count against its own address, whatever client it names.
    for i in range(5):
        assert via_proxy(f"203.0.113.{i}", f"other {i}", proxy="127.0.0.5") == 401
    assert via_proxy("203.0.113.99", PASSWORD, proxy="127.0.0.5") == 429
    # The scheme the proxy reports counts as well: https, so the cookie is Secure and
    # the page's https origin is our own.
    https = {"X-Forwarded-Proto": "https", "Origin": server.url.replace("http:", "https:")}
    signed = form_login(server, PASSWORD, headers=https)
    assert signed.status == 303 and "; Secure" in signed.cookies()[0]
    assert "strict-transport-security" in signed.headers
