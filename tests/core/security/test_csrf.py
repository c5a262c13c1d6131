"""CSRF: the Origin / Sec-Fetch-Site check and the per-session token, on every unsafe request."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.accounts.models import User
from tests.conftest import MakeApp
from tests.core.accounts.factories import PASSWORD, make_user, refresh, signed_in
from tests.helpers import csrf_token, login

LOGIN = {"email": "ana@example.org", "password": PASSWORD}


@pytest.fixture
def ana(db: Session) -> User:
    return make_user(db, "ana@example.org", name="Ana")


def _login_post(client: TestClient, token: str | None, **headers: str) -> int:
    data = dict(LOGIN)
    if token is not None:
        data["csrf_token"] = token
    return client.post("/compte/connexion", data=data, headers=headers, follow_redirects=False).status_code


def test_login_needs_the_session_token(client: TestClient, ana: User) -> None:
    token = csrf_token(client)
    assert _login_post(client, None) == 403
    assert _login_post(client, "") == 403
    assert _login_post(client, token[:-1] + ("A" if token[-1] != "A" else "B")) == 403
    assert not signed_in(client)
    assert _login_post(client, token) == 303


def test_another_sessions_token_is_refused(app: Starlette, client: TestClient, ana: User) -> None:
    with TestClient(app) as other:
        foreign = csrf_token(other)
        csrf_token(client)  # this browser has a session too, with its own token
        assert _login_post(client, foreign) == 403
        response = client.post("/compte/connexion", data={**LOGIN, "csrf_token": foreign})
        assert "formulaire a expiré" in response.text


def test_a_post_without_any_session_is_refused(client: TestClient, ana: User) -> None:
    assert _login_post(client, "n-importe-quoi") == 403


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "https://evil.example"}, 403),
        ({"Origin": "http://testserver.evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "same-site"}, 403),
        ({"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"}, 403),
        ({"Sec-Fetch-Site": "same-origin"}, 303),
        ({"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}, 303),
        ({"Origin": "http://testserver"}, 303),
        ({"Origin": "HTTP://TESTSERVER/"}, 303),
        ({}, 303),  # neither header (old browsers, scripts): the token alone decides
    ],
)
def test_origin_and_fetch_metadata(
    client: TestClient, ana: User, headers: dict[str, str], status: int
) -> None:
    token = csrf_token(client)  # even with the right token
    assert _login_post(client, token, **headers) == status
    assert signed_in(client) is (status == 303)


def test_the_origin_refusal_is_a_french_page(client: TestClient, ana: User) -> None:
    response = client.post("/compte/connexion", data=LOGIN, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert "Accès refusé" in response.text and "ne vient pas d&#39;une page de Réseau" in response.text
    assert response.headers["x-frame-options"] == "DENY"


def test_the_base_url_origin_is_accepted_on_another_trusted_host(make_app: MakeApp, db: Session) -> None:
    """Behind a proxy the Host may differ from RESEAU_BASE_URL; the configured origin is ours."""
    make_user(db, "ana@example.org")
    app = make_app(base_url="https://reseau.example.org", trusted_hosts=("testserver", "reseau.example.org"))
    with TestClient(app, base_url="https://testserver") as client:
        token = csrf_token(client)
        assert _login_post(client, token, Origin="https://reseau.example.org") == 303
        assert _login_post(client, token, Origin="https://autre.example.org") == 403


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/compte/deconnexion", {}),
        ("/compte/profil", {"display_name": "Pirate", "language": "en"}),
        (
            "/compte/mot-de-passe",
            {"current_password": PASSWORD, "password": "piratepirate", "confirm": "piratepirate"},
        ),
        ("/compte/langue", {"language": "en"}),
        (
            "/admin/comptes/nouveau",
            {"email": "pirate@example.org", "display_name": "P", "password": "0123456789"},
        ),
    ],
)
def test_every_form_of_a_signed_in_user_is_protected(
    client: TestClient, db: Session, ana: User, path: str, data: dict[str, str]
) -> None:
    ana.is_admin = True
    db.commit()
    login(client, "ana@example.org", PASSWORD)
    assert client.post(path, data=data, follow_redirects=False).status_code == 403  # no token
    forged = {**data, "csrf_token": csrf_token(client)}
    response = client.post(
        path, data=forged, headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False
    )
    assert response.status_code == 403  # right token, but sent from another site
    assert signed_in(client)
    refresh(db)
    user = db.get(User, ana.id)
    assert user is not None and user.display_name == "Ana" and user.language == "fr"
    assert db.scalar(select(User).where(User.email == "pirate@example.org")) is None


def test_the_token_may_come_in_a_header(client: TestClient, ana: User) -> None:
    token = csrf_token(client)
    response = client.post(
        "/compte/connexion", data=LOGIN, headers={"X-CSRF-Token": token}, follow_redirects=False
    )
    assert response.status_code == 303
