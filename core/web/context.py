"""The per-request context handed to every page, and the ``page`` decorator that builds it.

A route endpoint is a plain synchronous function ``def view(ctx: RequestContext) -> Response``
wrapped with :func:`page`. The wrapper reads (and CSRF-checks) the form of unsafe requests on
the event loop, then runs the view in a worker thread inside one database transaction: commit
when it returns, roll back whole when it raises. After-commit callbacks run only on success.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from core import i18n
from core.db import writer_bind
from core.i18n import N_

if TYPE_CHECKING:
    from core.accounts.models import User
    from core.app import AppState

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_FIELD = "csrf_token"
_UNREADABLE_FORM = N_(
    "Le formulaire envoyé est illisible ou comporte trop de champs. Rechargez la page et réessayez."
)


class LoginRequired(Exception):
    """Raised by a view when the visitor must sign in first; the app redirects to the login."""


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token, created on first use."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf_token(request: Request, form: FormData) -> None:
    """Refuse an unsafe request whose form (or X-CSRF-Token header) lacks the session's token."""
    expected = request.session.get("csrf")
    given = form.get(CSRF_FIELD) or request.headers.get("x-csrf-token") or ""
    if not isinstance(expected, str) or not isinstance(given, str) or not hmac.compare_digest(
        expected.encode(), given.encode()
    ):
        raise HTTPException(403, detail="csrf")


@dataclass
class RequestContext:
    """Everything a view needs: the request, the app's state, a session, the user, the form."""

    request: Request
    state: AppState
    db: Session
    user: User | None
    form: FormData | None
    language: str
    _after_commit: list[Callable[[], None]] = field(default_factory=list)

    # -- time and translations ---------------------------------------------------------------

    def now(self) -> datetime:
        """The current instant (the app's clock, which tests can move)."""
        return self.state.clock()

    @staticmethod
    def _(message: str, **variables: object) -> str:
        """Translate into the request's language."""
        return i18n.gettext(message, **variables)

    @cached_property
    def nav_items(self) -> list[Any]:
        """The main navigation for this request, from every plugin's ``reseau_nav_items``."""
        return self.state.hooks.nav_items(self)

    # -- URLs ---------------------------------------------------------------------------------

    def url_for(self, name: str, /, query: dict[str, Any] | None = None, **params: Any) -> str:
        """The path of a named route (``"directory:organisation"``), with an optional query."""
        path = self.state.path_for(name, **params)
        if query:
            path += "?" + urlencode({k: v for k, v in query.items() if v not in (None, "")}, doseq=True)
        return path

    @property
    def here(self) -> str:
        """This page's path and query without ``?lang=`` (where the language switch comes back)."""
        query = [(k, v) for k, v in self.request.query_params.multi_items() if k != LANGUAGE_PARAMETER]
        return self.request.url.path + ("?" + urlencode(query) if query else "")

    def absolute_url(self, name: str, /, **params: Any) -> str:
        """An absolute URL built from ``RESEAU_BASE_URL`` (never from the Host header)."""
        return self.state.settings.base_url + self.url_for(name, **params)

    # -- responses ----------------------------------------------------------------------------

    def template_context(self, **context: Any) -> dict[str, Any]:
        """The variables every template sees, plus ``context``."""
        return {
            "request": self.request,
            "ctx": self,
            "user": self.user,
            "csrf_token": self.csrf_token,
            "settings": self.state.settings,
            "lang": self.language,
            **context,
        }

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """Render a page template to a response (inside the transaction, so data is loaded)."""
        html = self.render_string(template, **context)
        return HTMLResponse(html, status_code=status_code)

    def render_string(self, template: str, **context: Any) -> Markup:
        """Render a template fragment, e.g. a plugin's panel."""
        tpl = self.state.templates.get_template(template)
        return Markup(tpl.render(self.template_context(**context)))  # noqa: S704 - autoescaped template

    def redirect(self, url: str, *, flash: str | None = None, category: str = "success") -> RedirectResponse:
        """A 303 redirect (after a POST), with an optional message shown on the next page."""
        if flash:
            self.flash(flash, category)
        return RedirectResponse(url, status_code=303)

    def flash(self, message: str, category: str = "success") -> None:
        """Queue a message for the next page the user sees."""
        self.request.session.setdefault("flash", []).append([category, message])

    def pop_flashes(self) -> list[tuple[str, str]]:
        """Take the queued messages (templates call this once per page)."""
        items = self.request.session.pop("flash", [])
        return [(c, m) for c, m in items]

    @property
    def csrf_token(self) -> str:
        """The token every form posts back in its ``csrf_token`` field."""
        return csrf_token(self.request.session)

    # -- access -------------------------------------------------------------------------------

    def require_user(self) -> User:
        """The signed-in user, or a redirect to the login page."""
        if self.user is None:
            raise LoginRequired()
        return self.user

    def require_admin(self) -> User:
        """The signed-in admin, or 403."""
        user = self.require_user()
        if not user.is_admin:
            raise HTTPException(403)
        return user

    def can(self, permission: str, space_id: int | None) -> bool:
        """Whether the user holds ``permission`` in the space (admins hold them all)."""
        from core.accounts import permissions

        return permissions.has_permission(self.db, self.state.registry, self.user, permission, space_id)

    def require(self, permission: str, space_id: int | None) -> User:
        """The user if they hold ``permission`` in the space; sign-in or 403 otherwise."""
        user = self.require_user()
        if not self.can(permission, space_id):
            raise HTTPException(403)
        return user

    # -- transaction --------------------------------------------------------------------------

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the request's transaction has committed (events, wake-ups)."""
        self._after_commit.append(callback)


View = Callable[[RequestContext], Response]


def page(view: View) -> Callable[[Request], Awaitable[Response]]:
    """Turn ``view(ctx)`` into a Starlette endpoint (see the module docstring)."""

    async def endpoint(request: Request) -> Response:
        state: AppState = request.app.state.reseau
        form: FormData | None = None
        if request.method not in SAFE_METHODS:
            # a route may allow more than the app (Starlette's per-route ``max_body_size``)
            limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY, state.settings.max_body_size)
            try:
                form = await request.form(max_files=20, max_fields=2000, max_part_size=limit)
            except HTTPException as exc:
                if exc.status_code != 400:
                    raise
                # the multipart parser's English reason is not for the visitor
                raise HTTPException(400, detail=i18n.gettext(_UNREADABLE_FORM)) from exc
            check_csrf_token(request, form)
        try:
            return await run_in_threadpool(_run_view, view, request, state, form)
        finally:
            if form is not None:
                await form.close()

    endpoint.__name__ = view.__name__
    endpoint.__doc__ = view.__doc__
    endpoint.__reseau_page__ = True  # type: ignore[attr-defined]
    endpoint.__wrapped__ = view  # type: ignore[attr-defined]
    return endpoint


def _run_view(view: View, request: Request, state: AppState, form: FormData | None) -> Response:
    from core.accounts.services import user_from_session

    bind = writer_bind(state.engine) if form is not None else state.engine
    with state.session_factory(bind=bind) as db:
        user = user_from_session(db, request.session)
        language = choose_language(request, user, state.settings.default_language)
        i18n.set_language(language)
        ctx = RequestContext(request=request, state=state, db=db, user=user, form=form, language=language)
        request.state.ctx = ctx
        try:
            response = view(ctx)
            db.commit()
        except BaseException:
            db.rollback()
            raise
    if user is not None:
        # personal pages must not be kept by shared caches or the browser's back-forward cache
        response.headers.setdefault("Cache-Control", "no-store")
    for callback in ctx._after_commit:
        callback()
    return response


LANGUAGE_PARAMETER = "lang"


def choose_language(request: Request, user: User | None, default: str) -> str:
    """``?lang=`` for this page, else the user's saved language, else the visitor's choice kept
    in the session (the header's switch), else the site's default (French).

    ``?lang=en`` changes nothing stored (a GET has no side effect): it serves links such as "this
    page in English" and checks; the switch and the account page are how one keeps a language.
    The browser's Accept-Language is deliberately not followed: the hub is French first (many
    French officials browse with an English-language browser), and English is an explicit choice.
    """
    asked = request.query_params.get(LANGUAGE_PARAMETER)
    if asked in i18n.LANGUAGES:
        return str(asked)
    if user is not None and user.language in i18n.LANGUAGES:
        return user.language
    chosen = request.session.get("lang") if "session" in request.scope else None
    if chosen in i18n.LANGUAGES:
        return str(chosen)
    return default if default in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE


def login_redirect(request: Request) -> RedirectResponse:
    """Redirect to the login page, coming back here afterwards (in the same ``?lang=``)."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = {"next": target}
    if request.query_params.get(LANGUAGE_PARAMETER) in i18n.LANGUAGES:
        query[LANGUAGE_PARAMETER] = request.query_params[LANGUAGE_PARAMETER]
    url = str(request.app.url_path_for("accounts:login")) + "?" + urlencode(query)
    return RedirectResponse(url, status_code=303)
