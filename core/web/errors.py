"""Error pages (French, accessible, never a traceback) and the redirect to the login page.

``http_error`` renders every ``HTTPException`` (views raise them with a French ``detail``);
``server_error`` renders the 500 page for any unexpected exception; ``error_page`` lets the
pure-ASGI middleware (foreign origin, unknown host) answer with the same page.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.types import Scope

from core import i18n
from core.i18n import N_
from core.web.context import choose_language, login_redirect
from core.web.middleware import security_headers

logger = logging.getLogger(__name__)

_TITLES = {
    400: N_("Requête incorrecte"),
    403: N_("Accès refusé"),
    404: N_("Page introuvable"),
    405: N_("Méthode non autorisée"),
    409: N_("Conflit"),
    410: N_("Lien expiré"),
    413: N_("Envoi trop volumineux"),
    422: N_("Données invalides"),
    429: N_("Trop de tentatives"),
    500: N_("Erreur du serveur"),
}

_MESSAGES = {
    400: N_(
        "La requête envoyée est incorrecte. Revenez à la page précédente et vérifiez ce que vous "
        "avez saisi."
    ),
    403: N_(
        "Vous n'avez pas accès à cette page. Si vous pensez que c'est une erreur, contactez "
        "l'équipe qui anime le réseau."
    ),
    404: N_("Cette page n'existe pas ou plus. Vérifiez l'adresse, ou revenez à l'accueil."),
    405: N_("Cette adresse ne peut pas être utilisée de cette façon. Revenez à la page précédente."),
    413: N_("Le fichier ou le formulaire envoyé dépasse la taille autorisée."),
    429: N_("Trop de tentatives en peu de temps. Patientez quelques minutes avant de réessayer."),
    500: N_(
        "Une erreur inattendue est survenue de notre côté. Réessayez dans un instant ; si le "
        "problème continue, prévenez l'équipe qui anime le réseau."
    ),
}

_CSRF_MESSAGE = N_(
    "Le formulaire a expiré ou n'a pas été envoyé depuis Réseau. Revenez à la page précédente, "
    "rechargez-la et envoyez-la de nouveau."
)

_FALLBACK_TITLE = N_("Erreur")
_FALLBACK_MESSAGE = N_("Une erreur est survenue.")

#: statuses whose ``detail`` comes from Starlette (English), never from our views
_LIBRARY_DETAIL_STATUSES = frozenset({405, 413})


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _message(status: int, detail: str) -> str:
    """The French text of the page: the view's own ``detail`` when it gave one."""
    if detail == "csrf":
        return i18n.gettext(_CSRF_MESSAGE)
    if detail and detail != _phrase(status) and status not in _LIBRARY_DETAIL_STATUSES:
        return detail
    return i18n.gettext(_MESSAGES.get(status, _FALLBACK_MESSAGE))


def _request_language(request: Request) -> str:
    """The language of the page that failed: the view's, else ``?lang=``/the session's choice.

    Exception handlers run outside the view's thread, where the language was set, so it is
    looked up again here (no database: an account's saved language reaches the session at
    sign-in and with the language switch).
    """
    ctx = getattr(request.state, "ctx", None)
    if ctx is not None:
        return str(ctx.language)
    state = getattr(request.app.state, "reseau", None) if "app" in request.scope else None
    default = state.settings.default_language if state is not None else i18n.DEFAULT_LANGUAGE
    return choose_language(request, None, default)


def render_error(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """The French error page (JSON under ``/api/``), rendered without the database.

    The view's session is gone (rolled back) when this runs, so the page shows no user.
    """
    title = i18n.gettext(_TITLES.get(status, _FALLBACK_TITLE))
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message or title}, status_code=status, headers=headers)
    state = request.app.state.reseau
    template = state.templates.get_template("error.html")
    html = template.render(
        request=request, ctx=None, user=None, csrf_token="", settings=state.settings,
        lang=i18n.current_language(), status=status, title=title, message=message,
    )
    return HTMLResponse(html, status_code=status, headers=headers)


def http_error(request: Request, exc: Exception) -> Response:
    """Render an ``HTTPException`` as a French page (or JSON under ``/api/``)."""
    assert isinstance(exc, HTTPException)
    with i18n.language(_request_language(request)):
        return _http_error(request, exc)


def _http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status in (204, 304):
        return Response(status_code=status, headers=headers)
    detail = exc.detail if isinstance(exc.detail, str) else ""
    if request.url.path.startswith("/api/") and (not detail or detail == _phrase(status)):
        # API clients get the short French title, not Starlette's English reason phrase
        return render_error(request, status, "", headers)
    return render_error(request, status, _message(status, detail), headers)


def server_error(request: Request, exc: Exception) -> Response:
    """The 500 page: French, no traceback. Starlette re-raises afterwards, so the server logs it.

    It is sent outside the middleware stack, hence the security headers added here.
    """
    state = request.app.state.reseau
    headers = {**security_headers(state.settings.secure_cookies), "Cache-Control": "no-store"}
    try:
        with i18n.language(_request_language(request)):
            return render_error(request, 500, i18n.gettext(_MESSAGES[500]), headers)
    except Exception:  # the page itself failed: still no traceback to the visitor
        logger.exception("the 500 page could not be rendered")
        return PlainTextResponse("Erreur du serveur.", status_code=500, headers=headers)


def error_page(scope: Scope, status: int, message: str) -> Response:
    """An error page for the pure-ASGI middleware (``scope["app"]`` is set by Starlette)."""
    request = Request(scope)
    with i18n.language(_request_language(request)):
        return render_error(request, status, i18n.gettext(message))


def login_required(request: Request, exc: Exception) -> Response:
    """Send the visitor to the login page, coming back afterwards."""
    return login_redirect(request)
