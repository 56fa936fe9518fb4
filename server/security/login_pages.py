"""The pages of the instance password, answered by the middleware before any route:
`/login` (GET the form; POST checks the password, counted as a guess, and sets the
login cookie), `/logout` (POST: the sign-in is forgotten), and the answer to a request
that has not signed in (a browser asking for a page is sent to the login page, anything
else gets 401)."""

from __future__ import annotations

import html
from urllib.parse import parse_qs, quote

from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from server.security.bodies import read_body
from server.security.guesses import client_address
from server.security.login import PasswordGate, Verdict, login_cookie, login_token, wait_text
from server.security.replies import RawHeaders, refuse, retry_after, send_response

_LOGIN_BODY_LIMIT = 4096

_LOGIN_FALLBACK = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Sign in · mockloop"
    "</title></head><body><main><h1>Sign in</h1>{error}<form method=post action=/login>"
    '<input type=hidden name=next value="{next}"><label for=password>Password</label> '
    "<input type=password id=password name=password required autofocus> "
    "<button type=submit>Sign in</button></form></main></body></html>"
)


def safe_next(target: str) -> str:
    """A local path to return to after login; anything else goes to the start page.
    Browsers drop tabs and line breaks from a Location and read a backslash as a
    slash, so `/<TAB>/host` or `/\\host` would leave the site: no control character,
    whitespace or backslash at all."""
    if (
        target.startswith("/")
        and not target.startswith("//")
        and len(target) <= 2000
        and not any(c == "\\" or c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    ):
        return target
    return "/"


class LoginPages:
    """`extra` is the security headers of the response; `secure`, whether cookies are
    made Secure (over https, or behind an https public URL)."""

    def __init__(self, gate: PasswordGate) -> None:
        self.gate = gate

    async def serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: Headers,
        extra: RawHeaders,
        secure: bool,
    ) -> None:
        """`/login` and `/logout`."""
        method = scope["method"]
        if scope["path"] == "/logout":
            await self._logout(method, send, headers, extra, secure)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        target = safe_next(query.get("next", ["/"])[0])
        if method in ("GET", "HEAD"):
            await self.page(scope, send, extra, target, "", 200)
            return
        if method != "POST":
            await send_response(send, 405, b"", [(b"allow", b"GET, POST"), *extra])
            return
        await self._sign_in(scope, receive, send, extra, secure, target)

    async def _logout(
        self, method: str, send: Send, headers: Headers, extra: RawHeaders, secure: bool
    ) -> None:
        if method != "POST":
            await send_response(send, 405, b"", [(b"allow", b"POST"), *extra])
            return
        await self.gate.sign_out(login_token(headers))
        cookie = login_cookie("", 0, secure)
        await send_response(send, 303, b"", [(b"location", b"/login"), cookie, *extra])

    async def _sign_in(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        extra: RawHeaders,
        secure: bool,
        target: str,
    ) -> None:
        """The login form's POST: a wait when the address has guessed too often, else
        the password checked (and counted when wrong), a sign-in when it is right."""
        body = await read_body(receive, _LOGIN_BODY_LIMIT)
        if body is None:
            await self.page(scope, send, extra, target, "That was not a login.", 400)
            return
        form = parse_qs(body.decode("utf-8", "replace"))
        target = safe_next(form.get("next", [target])[0])
        client = client_address(scope)
        wait = self.gate.limiter.wait(client)
        if wait > 0:
            # Before the password is looked at: the right one is refused too.
            await self.page(scope, send, extra, target, wait_text(wait), 429, [retry_after(wait)])
            return
        if self.gate.password_matches(form.get("password", [""])[0]):
            self.gate.limiter.succeeded(client)
            token = await self.gate.sign_in()
            cookie = login_cookie(token, self.gate.settings.login_max_age, secure)
            await send_response(send, 303, b"", [(b"location", target.encode()), cookie, *extra])
            return
        self.gate.limiter.failed(client)
        await self.page(scope, send, extra, target, "That password is not right.", 401)

    async def page(
        self,
        scope: Scope,
        send: Send,
        extra: RawHeaders,
        target: str,
        error: str,
        status: int,
        more: RawHeaders | None = None,
    ) -> None:
        templates = getattr(getattr(scope.get("app"), "state", None), "templates", None)
        page: str
        try:
            template = templates.get_template("login.html")  # type: ignore[union-attr]
            page = template.render(nav="", next=target, error=error)
        except Exception:
            notice = f'<p role="alert">{html.escape(error)}</p>' if error else ""
            page = _LOGIN_FALLBACK.format(error=notice, next=html.escape(target))
        body = b"" if scope["method"] == "HEAD" else page.encode("utf-8")
        # The login page alone names its own origin to the server: with no-referrer, a
        # browser sends `Origin: null` with the form, which the Origin check refuses.
        own = [(k, v) for k, v in extra if k != b"referrer-policy"]
        await send_response(
            send,
            status,
            body,
            [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"cache-control", b"no-store"),
                (b"referrer-policy", b"same-origin"),
                *(more or []),
                *own,
            ],
        )

    async def required(
        self, scope: Scope, send: Send, headers: Headers, extra: RawHeaders, verdict: Verdict
    ) -> None:
        """No sign-in: a browser asking for a page goes to the login page (and back
        here after it); anything else gets 401."""
        if (
            verdict == "none"
            and scope["method"] in ("GET", "HEAD")
            and "text/html" in headers.get("accept", "")
        ):
            path = scope["path"]
            if scope.get("query_string"):
                path += "?" + scope["query_string"].decode("latin-1")
            location = "/login?next=" + quote(path, safe="")
            await send_response(send, 303, b"", [(b"location", location.encode()), *extra])
            return
        await refuse(scope, send, 401, "login_required", "sign in first")
