"""Helpers for tests that drive the app over HTTP like a browser would (forms, CSRF, login)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class FrozenClock:
    """A clock the test moves by hand; pass it to the app as ``clock``."""

    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        """Jump to ``at`` (aware)."""
        assert at.tzinfo is not None
        self.at = at

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)``."""
        self.at = self.at + timedelta(**delta)
        return self.at


def csrf_from(html: str) -> str:
    """The CSRF token in a page's first form."""
    match = _CSRF.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def csrf_token(client: TestClient) -> str:
    """This client's session token (fetched once from the login page, which always has a form)."""
    token = getattr(client, "_reseau_csrf", None)
    if token is None:
        token = csrf_from(client.get("/compte/connexion").text)
        client._reseau_csrf = token  # type: ignore[attr-defined]
    return token


def post_form(client: TestClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST a form with this session's CSRF token, like the browser would."""
    payload = dict(data or {})
    payload.setdefault("csrf_token", csrf_token(client))
    return client.post(url, data=payload, **kwargs)


def login(client: TestClient, email: str, password: str = "reseau-demo-2026") -> None:
    """Sign in; the session (and so the CSRF token) changes with the login."""
    client._reseau_csrf = None  # type: ignore[attr-defined]
    response = post_form(client, "/compte/connexion", {"email": email, "password": password})
    assert response.status_code in (200, 303), response.text[:500]
    assert "Adresse ou mot de passe incorrect" not in response.text
    client._reseau_csrf = None  # type: ignore[attr-defined]


def logout(client: TestClient) -> None:
    """Sign out."""
    post_form(client, "/compte/deconnexion")
    client._reseau_csrf = None  # type: ignore[attr-defined]
