"""Trusted hosts (links never come from the Host header) and ``next=`` kept to local paths."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.web.redirects import safe_next
from tests.core.accounts.factories import PASSWORD, make_user
from tests.helpers import csrf_token

HOSTILE_NEXT = [
    "//evil.com",
    "///evil.com",
    "////evil.com/x",
    "/\\evil.com",
    "\\\\evil.com",
    "/\\/evil.com",
    "https://evil.com",
    "http:evil.com",
    "HTTPS://evil.com/",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.com",
    "/%2F/evil.com",
    "/%2f%2fevil.com",
    "/%5Cevil.com",
    "/%5cevil.com",
    "/%252F%252Fevil.com",
    "/%25252F%25252Fevil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "/\r\n/evil.com",
    "/%09/evil.com",
    "/%0a/evil.com",
    "/%0D%0A/evil.com",
    "/\x00/evil.com",
    "/\u200b/evil.com",
    "/\u2028/evil.com",
    " //evil.com",
    "\t//evil.com",
    "evil.com",
    "./evil",
    "",
    "/" + "a" * 2001,
]
LOCAL_NEXT = [
    "/",
    "/annuaire/",
    "/annuaire/?q=%C3%A9cole&page=2",
    "/espaces/jardin#membres",
    "/admin/comptes?q=a%2Fb",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_safe_next_refuses(target: str) -> None:
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", LOCAL_NEXT)
def test_safe_next_keeps_local_paths(target: str) -> None:
    assert safe_next(target) == target


def test_login_redirects_only_to_local_paths(client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org")
    for target in [*HOSTILE_NEXT, *LOCAL_NEXT]:
        client.cookies.clear()
        data = {"email": "ana@example.org", "password": PASSWORD, "next": target}
        response = client.post(
            "/compte/connexion", data={**data, "csrf_token": csrf_token_fresh(client)}, follow_redirects=False
        )
        assert response.status_code == 303, target
        location = response.headers["location"]
        assert location == (target if target in LOCAL_NEXT else "/"), target


def csrf_token_fresh(client: TestClient) -> str:
    client._reseau_csrf = None  # type: ignore[attr-defined]
    return csrf_token(client)


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "javascript:alert(1)", "/\\evil.com"])
def test_the_login_form_does_not_carry_a_hostile_next(client: TestClient, target: str) -> None:
    page = client.get("/compte/connexion", params={"next": target})
    assert 'name="next" type="hidden" value=""' in page.text


def test_the_login_form_carries_a_local_next(client: TestClient) -> None:
    page = client.get("/compte/connexion", params={"next": "/annuaire/?q=a"})
    assert 'value="/annuaire/?q=a"' in page.text


def test_language_switch_redirects_only_to_local_paths(client: TestClient) -> None:
    token = csrf_token(client)
    for target in [*HOSTILE_NEXT, *LOCAL_NEXT]:
        response = client.post(
            "/compte/langue",
            data={"language": "fr", "next": target, "csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303, target
        assert response.headers["location"] == (target if target in LOCAL_NEXT else "/"), target


# -- hosts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "testserver.evil.example", "evil.example:80", "", "[::1"])
def test_a_poisoned_host_gets_400(client: TestClient, host: str) -> None:
    response = client.get("/compte/connexion", headers={"Host": host})
    assert response.status_code == 400
    assert "Requête incorrecte" in response.text and "Adresse de site inconnue" in response.text
    if host:
        assert host not in response.text
    assert "set-cookie" not in response.headers


def test_trusted_hosts_are_served(client: TestClient) -> None:
    for host in ("testserver", "localhost", "127.0.0.1", "TESTSERVER", "testserver:8000"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host


def test_links_never_use_the_host_header(client: TestClient, db: Session) -> None:
    """Redirects and page links are paths; forwarded host headers are ignored."""
    page = client.get("/", headers={"Host": "localhost", "X-Forwarded-Host": "evil.example"})
    assert "evil.example" not in page.text and "localhost" not in page.text
    response = client.get("/admin/", headers={"Host": "localhost"}, follow_redirects=False)
    assert response.headers["location"].startswith("/compte/connexion?next=")


def test_absolute_urls_come_from_the_base_url(make_app, db: Session) -> None:  # type: ignore[no-untyped-def]
    from starlette.requests import Request

    from core.web.context import RequestContext

    app = make_app(base_url="https://reseau.example.org")
    scope = {
        "type": "http",
        "app": app,
        "headers": [(b"host", b"evil.example")],
        "path": "/",
        "method": "GET",
        "query_string": b"",
        "router": app.router,
    }
    ctx = RequestContext(
        request=Request(scope), state=app.state.reseau, db=db, user=None, form=None, language="fr"
    )
    assert ctx.absolute_url("accounts:login") == "https://reseau.example.org/compte/connexion"
