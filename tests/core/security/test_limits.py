"""Request body limit while reading, and the client address only from configured proxies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.accounts.models import LoginAttempt
from core.config import Settings
from tests.conftest import MakeApp
from tests.core.accounts import fake_plugin
from tests.core.accounts.factories import PASSWORD, make_user, refresh
from tests.helpers import FrozenClock, csrf_token

LIMIT = 4096


def _chunks(total: int, size: int = 1024) -> Iterator[bytes]:
    yield b"email=x%40example.org&csrf_token=t&filler="
    sent = 0
    while sent < total:
        yield b"a" * size
        sent += size


def test_a_declared_oversize_body_is_refused(make_app: MakeApp) -> None:
    with TestClient(make_app(max_body_size=LIMIT)) as client:
        token = csrf_token(client)
        response = client.post("/compte/connexion", data={"csrf_token": token, "filler": "a" * (LIMIT + 1)})
        assert response.status_code == 413
        assert "Envoi trop volumineux" in response.text and "dépasse la taille autorisée" in response.text


def test_an_undeclared_oversize_body_is_cut_while_reading(make_app: MakeApp) -> None:
    """Chunked, no Content-Length: the limit applies as the bytes arrive."""
    with TestClient(make_app(max_body_size=LIMIT)) as client:
        csrf_token(client)
        response = client.post(
            "/compte/connexion",
            content=_chunks(LIMIT * 10),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.request.headers.get("content-length") is None
        assert response.request.headers.get("transfer-encoding") == "chunked"
        assert response.status_code == 413
        assert "Envoi trop volumineux" in response.text


def test_a_body_within_the_limit_is_read(make_app: MakeApp) -> None:
    with TestClient(make_app(max_body_size=LIMIT)) as client:
        token = csrf_token(client)
        response = client.post("/compte/connexion", data={"csrf_token": token, "email": "", "password": ""})
        assert response.status_code == 400  # read, then refused for its content


def test_an_oversize_body_to_a_page_that_does_not_read_it(make_app: MakeApp) -> None:
    with TestClient(make_app(max_body_size=LIMIT)) as client:
        response = client.post("/nulle-part", content=b"a" * (LIMIT + 1))
        assert response.status_code == 413


def test_a_route_may_accept_more(settings: Settings, clock: FrozenClock) -> None:
    """Starlette's per-route limit still works under the app-wide one (upload pages need it)."""
    app = fake_plugin.build_app(settings.with_(max_body_size=LIMIT), clock)
    try:
        with TestClient(app) as client:
            token = csrf_token(client)
            big = {"csrf_token": token, "contenu": "a" * (LIMIT * 4)}
            assert client.post("/essai/envoi", data=big).text == str(LIMIT * 4)
            assert client.post("/compte/connexion", data=big).status_code == 413
            too_big = {"csrf_token": token, "contenu": "a" * (fake_plugin.UPLOAD_LIMIT + 1)}
            response = client.post("/essai/envoi", data=too_big)
            assert response.status_code == 413 and "Envoi trop volumineux" in response.text
    finally:
        app.state.reseau.engine.dispose()


def test_a_malformed_form_is_a_french_400(client: TestClient) -> None:
    csrf_token(client)
    response = client.post(
        "/compte/connexion",
        content=b"--abc\r\nContent-Disposition: form-data\r\n\r\nvaleur\r\n--abc--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=abc"},
    )
    assert response.status_code == 400
    assert "Le formulaire envoyé est illisible" in response.text


def test_too_many_fields_is_a_french_400(client: TestClient) -> None:
    token = csrf_token(client)
    body = "&".join(f"f{i}=x" for i in range(2100)) + f"&csrf_token={token}"
    response = client.post(
        "/compte/connexion", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400
    assert "comporte trop de champs" in response.text


# -- client address -----------------------------------------------------------------------------


def _fail(client: TestClient, email: str, forwarded_for: str | None) -> int:
    client._reseau_csrf = None  # type: ignore[attr-defined]
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    data = {"email": email, "password": "faux", "csrf_token": csrf_token(client)}
    return client.post("/compte/connexion", data=data, headers=headers, follow_redirects=False).status_code


def _ip_keys(db: Session) -> set[str]:
    refresh(db)
    return set(db.scalars(select(LoginAttempt.key).where(LoginAttempt.key.like("ip:%"))))


def test_x_forwarded_for_is_ignored_without_a_configured_proxy(make_app: MakeApp, db: Session) -> None:
    """Forging the header does not give a fresh IP allowance: the TCP peer is what counts."""
    make_user(db, "ana@example.org")
    with TestClient(make_app(login_max_failures=1)) as client:  # an IP gets 4 × 1 failures
        for i in range(4):
            assert _fail(client, f"inconnu{i}@example.org", f"198.51.100.{i}") == 400
        assert _fail(client, "encore@example.org", "198.51.100.200") == 429
    assert _ip_keys(db) == {"ip:testclient"}


def test_a_listed_proxy_is_believed_only_for_its_own_peers(make_app: MakeApp, db: Session) -> None:
    make_user(db, "ana@example.org")
    with TestClient(make_app(login_max_failures=1, proxy_ips=("10.0.0.1",))) as client:
        _fail(client, "a@example.org", "198.51.100.7")  # the peer (testclient) is not the proxy
    assert _ip_keys(db) == {"ip:testclient"}


def test_x_forwarded_for_from_the_configured_proxy_names_the_client(make_app: MakeApp, db: Session) -> None:
    make_user(db, "ana@example.org")
    app = make_app(login_max_failures=1, proxy_ips=("testclient",))  # the test client's peer name
    with TestClient(app) as client:
        for i in range(4):
            assert _fail(client, f"inconnu{i}@example.org", "198.51.100.7") == 400
        assert _fail(client, "autre@example.org", "198.51.100.7") == 429
        # the proxy appends the real peer: a client-supplied first entry changes nothing
        assert _fail(client, "autre2@example.org", "203.0.113.1, 198.51.100.7") == 429
        client._reseau_csrf = None  # type: ignore[attr-defined]
        data = {"email": "ana@example.org", "password": PASSWORD, "csrf_token": csrf_token(client)}
        ok = client.post("/compte/connexion", data=data, headers={"X-Forwarded-For": "198.51.100.8"})
        assert ok.status_code == 200 and "Vous êtes connecté·e." in ok.text
    assert _ip_keys(db) == {"ip:198.51.100.7"}


def test_serve_leaves_forwarded_headers_to_the_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """uvicorn's own proxy handling trusts 127.0.0.1 by default: it is off, the app decides."""
    import uvicorn
    from click.testing import CliRunner

    from core.cli import CliState, cli

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    state = CliState(Settings(data_dir=tmp_path, secret_key="x", proxy_ips=("10.0.0.1",)))
    result = CliRunner().invoke(cli, ["serve"], obj=state)
    assert result.exit_code == 0, result.output
    assert seen["proxy_headers"] is False and "forwarded_allow_ips" not in seen
