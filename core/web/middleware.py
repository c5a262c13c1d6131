"""Pure-ASGI middleware: Origin check on unsafe methods, trusted hosts, body limit, security headers.

The Host check and the body limit are Starlette's; client addresses behind a reverse proxy
come from uvicorn's ``ProxyHeadersMiddleware``, only for the proxies in ``RESEAU_PROXY_IPS``.
Refusals made here (foreign origin, unknown host, oversize body) are rendered by an
``error_page`` callable given by the app, so they get the same French page as the rest of the
site.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.body_limit import RequestBodyLimitMiddleware as _StarletteBodyLimit
from starlette.middleware.trustedhost import TrustedHostMiddleware as _StarletteTrustedHost
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.i18n import N_

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: ``error_page(scope, status, message)`` builds the response for a refusal
ErrorPage = Callable[[Scope, int, str], Response]


def plain_error_page(scope: Scope, status: int, message: str) -> Response:
    """The fallback when no app-level error page is given (a plain French text)."""
    return PlainTextResponse(message, status_code=status)


class OriginCheckMiddleware:
    """Refuse unsafe requests that a browser says come from another site.

    ``Sec-Fetch-Site`` must be ``same-origin`` (or ``none``: typed by the user) and ``Origin``,
    when sent, must be the site's own (``RESEAU_BASE_URL``, or the trusted Host it was reached
    at). Requests with neither header (old browsers, scripts) fall through to the per-session
    token that every form carries, checked in :func:`core.web.context.page`.
    """

    def __init__(
        self, app: ASGIApp, allowed_origins: tuple[str, ...], error_page: ErrorPage = plain_error_page
    ) -> None:
        self.app = app
        self.allowed = frozenset(o.rstrip("/").lower() for o in allowed_origins)
        self.error_page = error_page

    def _own_origin(self, scope: Scope, headers: Headers) -> str:
        # the Host header was already checked by TrustedHostMiddleware
        return f"{scope.get('scheme', 'http')}://{headers.get('host', '')}".lower()

    def refuses(self, scope: Scope) -> bool:
        """Whether the request is an unsafe one coming from another site."""
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            return False
        headers = Headers(scope=scope)
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site.strip().lower() not in ("same-origin", "none"):
            return True
        origin = headers.get("origin")
        if origin is not None:
            origin = origin.strip().rstrip("/").lower()
            return origin not in self.allowed and origin != self._own_origin(scope, headers)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.refuses(scope):
            message = N_("Requête refusée : elle ne vient pas d'une page de Réseau.")
            await self.error_page(scope, 403, message)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _replacing_send(
    scope: Scope, receive: Receive, send: Send, replace: Callable[[Message], Response | None]
) -> Send:
    """A ``send`` that swaps a library's plain-text refusal for our page.

    ``replace(start_message)`` returns the response to send instead, or ``None`` to pass the
    original through; once replaced, the original's remaining body messages are dropped.
    """
    replaced = False

    async def send_or_replace(message: Message) -> None:
        nonlocal replaced
        if replaced:
            return
        if message["type"] == "http.response.start":
            response = replace(message)
            if response is not None:
                replaced = True
                await response(scope, receive, send)
                return
        await send(message)

    return send_or_replace


class TrustedHostMiddleware(_StarletteTrustedHost):
    """Starlette's Host check (no ``www`` redirect), answering 400 with the French error page.

    Starlette's class decides; a marker in the scope tells whether the request got through, so
    its plain-text refusal is swapped for ours without re-implementing the host matching.
    """

    _PASSED = "reseau.trusted_host"

    def __init__(
        self, app: ASGIApp, allowed_hosts: list[str], error_page: ErrorPage = plain_error_page
    ) -> None:
        async def passed(scope: Scope, receive: Receive, send: Send) -> None:
            scope[self._PASSED] = True
            await app(scope, receive, send)

        super().__init__(passed, allowed_hosts=allowed_hosts, www_redirect=False)
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return

        def replace(start: Message) -> Response | None:
            if scope.get(self._PASSED):
                return None
            return self.error_page(scope, 400, N_("Adresse de site inconnue : la requête a été refusée."))

        await super().__call__(scope, receive, _replacing_send(scope, receive, send, replace))


_TOO_LARGE = N_("Le fichier ou le formulaire envoyé dépasse la taille autorisée.")


class RequestBodyLimitMiddleware(_StarletteBodyLimit):
    """Starlette's body limit, enforced while reading (routes may set their own ``max_body_size``).

    When the body is too large Starlette raises an ``HTTPException(413)``, which the app renders
    as the French page; when the declared ``Content-Length`` alone exceeds the limit it sends a
    plain-text 413 itself, swapped here for the French page.
    """

    def __init__(self, app: ASGIApp, max_body_size: int, error_page: ErrorPage = plain_error_page) -> None:
        super().__init__(app, max_body_size=max_body_size)
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return

        def replace(start: Message) -> Response | None:
            content_type = Headers(raw=start.get("headers", [])).get("content-type", "")
            if start["status"] != 413 or not content_type.startswith("text/plain"):
                return None
            return self.error_page(scope, 413, _TOO_LARGE)

        await super().__call__(scope, receive, _replacing_send(scope, receive, send, replace))


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def security_headers(hsts: bool) -> dict[str, str]:
    """The headers every response carries (also used by the 500 page, sent outside the stack)."""
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if hsts:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


class SecurityHeadersMiddleware:
    """Adds CSP (no inline scripts), nosniff, frame and referrer policies to every response.

    It also marks as ``Cache-Control: no-store`` every page of a signed-in visitor and every
    response that sets the session cookie, so that neither a shared cache nor the browser's
    back-forward cache keeps a personal page or hands a session to someone else.
    Placed outside the session middleware, so it sees the session and the cookie being set.
    """

    def __init__(self, app: ASGIApp, hsts: bool, static_prefix: str = "/static/") -> None:
        self.app = app
        self.headers = security_headers(hsts)
        self.static_prefix = static_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                session = scope.get("session") or {}
                signed_in = "uid" in session and not scope["path"].startswith(self.static_prefix)
                if signed_in or "set-cookie" in headers:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
