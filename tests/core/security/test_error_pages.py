"""Error pages: French, accessible, the same layout, never a traceback."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.conftest import MakeApp
from tests.core.accounts.factories import PASSWORD, make_user
from tests.helpers import csrf_token, login, post_form


def _french_page(text: str, title: str) -> None:
    assert '<html lang="fr">' in text
    assert f"<h1>{title}</h1>" in text
    assert "Aller au contenu principal" in text and "Revenir à l'accueil" in text


def test_400(client: TestClient) -> None:
    csrf_token(client)
    response = client.post(
        "/compte/connexion",
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\n\r\n--x--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 400
    _french_page(response.text, "Requête incorrecte")
    assert "Rechargez la page" in response.text


def test_403(client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org")
    login(client, "ana@example.org", PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 403
    _french_page(response.text, "Accès refusé")
    assert "Vous n&#39;avez pas accès à cette page." in response.text
    assert "Forbidden" not in response.text


def test_403_with_the_views_own_message(essai_app: Starlette) -> None:
    with TestClient(essai_app) as client:
        response = client.get("/essai/refus")
        assert response.status_code == 403
        assert "Réservé aux trésorier·es de l&#39;espace." in response.text


def test_403_for_a_forged_form(client: TestClient) -> None:
    csrf_token(client)
    response = client.post("/compte/connexion", data={"email": "a@example.org", "password": "x"})
    assert response.status_code == 403
    _french_page(response.text, "Accès refusé")
    assert "Le formulaire a expiré" in response.text


def test_404(client: TestClient) -> None:
    response = client.get("/annuaire/nulle-part/<script>")
    assert response.status_code == 404
    _french_page(response.text, "Page introuvable")
    assert "Not Found" not in response.text and "<script>" not in response.text


def test_405(client: TestClient) -> None:
    response = client.get("/compte/deconnexion")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    _french_page(response.text, "Méthode non autorisée")
    assert "Method Not Allowed" not in response.text


def test_413(make_app: MakeApp) -> None:
    with TestClient(make_app(max_body_size=1000)) as client:
        response = client.post("/compte/connexion", data={"csrf_token": csrf_token(client), "x": "y" * 2000})
        assert response.status_code == 413
        _french_page(response.text, "Envoi trop volumineux")


def test_429(client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org")
    for _ in range(6):
        response = post_form(client, "/compte/connexion", {"email": "ana@example.org", "password": "faux"})
    assert response.status_code == 429
    assert "Trop de tentatives de connexion. Réessayez dans quelques minutes." in response.text
    assert 'value="ana@example.org"' in response.text  # the form is still there, with what was typed


def test_500_shows_nothing_of_the_failure(essai_app: Starlette) -> None:
    with TestClient(essai_app, raise_server_exceptions=False) as client:
        for response in (client.get("/essai/panne"), post_form(client, "/essai/panne")):
            assert response.status_code == 500
            _french_page(response.text, "Erreur du serveur")
            assert "Une erreur inattendue est survenue" in response.text
            for leak in ("Traceback", "RuntimeError", "secret-detail", "hunter2", "/srv/reseau", "app.py"):
                assert leak not in response.text
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["cache-control"] == "no-store"


def test_500_still_reaches_the_server_log(essai_app: Starlette) -> None:
    """Starlette re-raises after sending the page, so the server logs the traceback."""
    with TestClient(essai_app, raise_server_exceptions=True) as client:
        try:
            client.get("/essai/panne")
        except RuntimeError as exc:
            assert "secret-detail" in str(exc)
        else:
            raise AssertionError("the error was swallowed")


@pytest.mark.parametrize(
    ("status", "title"),
    [
        (400, "Requête incorrecte"),
        (403, "Accès refusé"),
        (404, "Page introuvable"),
        (405, "Méthode non autorisée"),
        (413, "Envoi trop volumineux"),
        (429, "Trop de tentatives"),
    ],
)
def test_a_bare_http_error_is_a_french_page(essai_app: Starlette, status: int, title: str) -> None:
    with TestClient(essai_app) as client:
        response = client.get(f"/essai/erreur/{status}")
        assert response.status_code == status
        _french_page(response.text, title)
        assert HTTPStatus(status).phrase not in response.text  # no English reason


def test_api_errors_are_json(client: TestClient) -> None:
    response = client.get("/api/v1/nulle-part")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
