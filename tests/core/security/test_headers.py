"""Security headers on every response, cookie flags, HSTS, and no caching of personal pages."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.conftest import MakeApp
from tests.core.accounts.factories import PASSWORD, make_user
from tests.helpers import csrf_token, login


def _assert_secure_headers(headers: dict[str, str] | object, hsts: bool = False) -> None:
    csp = headers["content-security-policy"]  # type: ignore[index]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"  # no inline scripts
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert headers["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert headers["x-frame-options"] == "DENY"  # type: ignore[index]
    assert headers["referrer-policy"] == "same-origin"  # type: ignore[index]
    assert ("strict-transport-security" in headers) is hsts  # type: ignore[operator]


def test_every_kind_of_response_carries_the_headers(essai_app: Starlette, db: Session) -> None:
    make_user(db, "ana@example.org")
    with TestClient(essai_app, raise_server_exceptions=False) as client:
        responses = {
            "page": client.get("/"),
            "form error": client.post(
                "/compte/connexion", data={"email": "", "password": "", "csrf_token": csrf_token(client)}
            ),
            "404": client.get("/nulle-part"),
            "405": client.get("/compte/deconnexion"),
            "static": client.get("/static/css/reseau.css"),
            "csrf": client.post("/compte/connexion", data={}),
            "origin": client.post("/compte/connexion", headers={"Origin": "https://evil.example"}),
            "host": client.get("/", headers={"Host": "evil.example"}),
            "redirect": client.get("/admin/", follow_redirects=False),
            "500": client.get("/essai/panne"),
        }
    expected = {
        "page": 200,
        "form error": 400,
        "404": 404,
        "405": 405,
        "static": 200,
        "csrf": 403,
        "origin": 403,
        "host": 400,
        "redirect": 303,
        "500": 500,
    }
    for name, response in responses.items():
        assert response.status_code == expected[name], name
        _assert_secure_headers(response.headers)


def test_signed_in_pages_are_not_stored(client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org")
    login(client, "ana@example.org", PASSWORD)
    for path in ("/", "/compte/profil", "/nulle-part"):
        assert client.get(path).headers["cache-control"] == "no-store", path
    assert "no-store" not in client.get("/static/css/reseau.css").headers.get("cache-control", "")


def test_a_response_setting_the_cookie_is_never_stored(client: TestClient) -> None:
    response = client.get("/compte/connexion")
    assert "set-cookie" in response.headers
    assert response.headers["cache-control"] == "no-store"


def test_cookie_flags_in_local_development(client: TestClient) -> None:
    cookie = client.get("/compte/connexion").headers["set-cookie"]
    name = cookie.split("=", 1)[0]
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert name == "reseau_session"
    assert {"httponly", "path", "max-age", "samesite"} <= flags and "secure" not in flags
    assert "samesite=lax" in cookie.lower()


def test_cookie_flags_and_hsts_over_https(make_app: MakeApp, db: Session) -> None:
    make_user(db, "ana@example.org")
    app = make_app(base_url="https://testserver")
    with TestClient(app, base_url="https://testserver") as client:
        response = client.get("/compte/connexion")
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-reseau=")
        parts = [p.strip().lower() for p in cookie.split(";")[1:]]
        assert "secure" in parts and "httponly" in parts and "samesite=lax" in parts and "path=/" in parts
        assert not any(p.startswith("domain") for p in parts)  # __Host- forbids it
        _assert_secure_headers(response.headers, hsts=True)
        assert response.headers["strict-transport-security"] == "max-age=31536000"
        login(client, "ana@example.org", PASSWORD)
        assert client.get("/compte/profil").status_code == 200
        assert client.cookies.get("__Host-reseau")


@pytest.mark.parametrize("base_url", ["http://testserver", "http://127.0.0.1:8000"])
def test_no_hsts_without_https(make_app: MakeApp, base_url: str) -> None:
    with TestClient(make_app(base_url=base_url)) as client:
        _assert_secure_headers(client.get("/").headers, hsts=False)
