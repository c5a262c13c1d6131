"""Error pages (French, accessible) and the redirect to the login page."""

from __future__ import annotations

from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from core import i18n
from core.web.context import login_redirect

_TITLES = {
    400: "Requête incorrecte",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    409: "Conflit",
    410: "Lien expiré",
    413: "Envoi trop volumineux",
    422: "Données invalides",
    429: "Trop de requêtes",
}

_MESSAGES = {
    403: "Vous n'avez pas accès à cette page. Si vous pensez que c'est une erreur, contactez l'équipe "
    "qui anime le réseau.",
    404: "Cette page n'existe pas ou plus. Vérifiez l'adresse, ou revenez à l'accueil.",
    413: "Le fichier ou le formulaire envoyé dépasse la taille autorisée.",
}

_CSRF_MESSAGE = (
    "Le formulaire a expiré ou n'a pas été envoyé depuis Réseau. Revenez à la page précédente, "
    "rechargez-la et envoyez-la de nouveau."
)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def http_error(request: Request, exc: Exception) -> Response:
    """Render an ``HTTPException`` as a French page (or JSON under ``/api/``)."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else ""
    headers = dict(exc.headers or {})
    if request.url.path.startswith("/api/"):
        if not detail or detail == _phrase(status):  # Starlette's English default ("Not Found")
            detail = i18n.gettext(_TITLES.get(status, "Erreur"))
        return JSONResponse({"error": detail}, status_code=status, headers=headers)
    if status in (204, 304):
        return Response(status_code=status, headers=headers)
    title = i18n.gettext(_TITLES.get(status, "Erreur"))
    if detail == "csrf":
        message = i18n.gettext(_CSRF_MESSAGE)
    elif detail and detail != title and status not in (404, 405) and not detail.startswith(("Not Found", "Method")):
        message = detail
    else:
        message = i18n.gettext(_MESSAGES.get(status, "Une erreur est survenue."))
    state = request.app.state.reseau
    # the view's session is gone (rolled back): the error page renders without the database
    template = state.templates.get_template("error.html")
    html = template.render(
        request=request, ctx=None, user=None, csrf_token="", settings=state.settings,
        lang=i18n.current_language(), status=status, title=title, message=message,
    )
    return HTMLResponse(html, status_code=status, headers=headers)


def login_required(request: Request, exc: Exception) -> Response:
    """Send the visitor to the login page, coming back afterwards."""
    return login_redirect(request)
