"""The security middleware (pure ASGI), in front of every route and websocket. Its steps,
in order, each refusing on its own: the Host, the Origin (unsafe methods and websocket
handshakes), the instance password when one is set (the login pages are answered here),
the body bound. A request that passes them all reaches the app with its body already
read, and its response gets the security headers and, over https, Secure cookies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from server.security.bodies import bounded_body
from server.security.guesses import client_address
from server.security.hosts import UNSAFE_METHODS, host_allowed, origin_allowed
from server.security.login import LOGIN_PATHS, PasswordGate, wait_text
from server.security.login_pages import LoginPages
from server.security.replies import RawHeaders, headers_for, refuse, with_headers
from server.settings import Settings

if TYPE_CHECKING:
    from server.storage import Store


class SecurityMiddleware:
    """Pure ASGI: Host allowlist, Origin on unsafe methods and websocket handshakes,
    the optional instance password, request bodies bounded while they are read,
    security headers, Secure cookies over https."""

    def __init__(self, app: ASGIApp, settings: Settings, store: Store | None = None) -> None:
        self.app = app
        self.settings = settings
        self.allowed_hosts = settings.effective_allowed_hosts
        password = settings.password.get_secret_value() if settings.password else ""
        if password and store is None:
            raise ValueError("the instance password needs the store (its sign-ins)")
        self.gate = PasswordGate(password, settings, store) if password and store else None
        self.login_pages = LoginPages(self.gate) if self.gate is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not await self._host_and_origin(scope, send, headers):
            return
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send, headers)
        else:
            await self._http(scope, receive, send, headers)

    async def _host_and_origin(self, scope: Scope, send: Send, headers: Headers) -> bool:
        """True when the Host is allowlisted and the Origin, where it is checked, is
        ours or allowlisted; else the refusal is sent."""
        if not host_allowed(headers.get("host"), self.allowed_hosts):
            await refuse(scope, send, 400, "bad_host", "Host header not allowed")
            return False
        scheme = str(scope.get("scheme", "http"))
        websocket = scope["type"] == "websocket"
        if (websocket or scope["method"] in UNSAFE_METHODS) and not origin_allowed(
            headers, self.settings, scheme
        ):
            what = "websocket" if websocket else "request"
            await refuse(scope, send, 403, "bad_origin", f"cross-origin {what} refused")
            return False
        return True

    async def _websocket(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers
    ) -> None:
        if self.gate is not None:
            verdict, wait = await self.gate.check(headers, client_address(scope))
            if verdict == "limited":
                await refuse(scope, send, 429, "rate_limited", wait_text(wait), wait)
                return
            if verdict != "ok":
                await refuse(scope, send, 401, "login_required", "sign in first")
                return
        await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        secure = scope.get("scheme", "http") == "https" or self.settings.public_https
        extra = headers_for(headers.get("host") or "", secure)
        if self.login_pages is not None and not await self._password(
            self.login_pages, scope, receive, send, headers, extra, secure
        ):
            return
        bounded = await bounded_body(scope, receive, self.settings.max_body)
        if bounded is None:
            await refuse(scope, send, 413, "too_large", "the request body is too large")
            return
        await self.app(scope, bounded, with_headers(send, extra, secure))

    async def _password(
        self,
        pages: LoginPages,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: Headers,
        extra: RawHeaders,
        secure: bool,
    ) -> bool:
        """True when the request may go on to the app: an open path, or signed in.
        Otherwise it is answered here: the login pages themselves, a wait after too
        many wrong passwords, or a sign-in first."""
        path: str = scope["path"]
        if path in LOGIN_PATHS:
            await pages.serve(scope, receive, send, headers, extra, secure)
            return False
        if pages.gate.open_path(path):
            return True
        verdict, wait = await pages.gate.check(headers, client_address(scope))
        if verdict == "limited":
            await refuse(scope, send, 429, "rate_limited", wait_text(wait), wait)
            return False
        if verdict != "ok":
            await pages.required(scope, send, headers, extra, verdict)
            return False
        return True
