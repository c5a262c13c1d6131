"""Signing in: argon2id off the event loop, throttling in the database, what the cookie holds."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.accounts import passwords
from core.accounts.models import LoginAttempt, User
from tests.conftest import MakeApp
from tests.core.accounts.factories import PASSWORD, make_user, refresh, session_data, signed_in
from tests.helpers import FrozenClock, csrf_token, login, post_form


def _post_login(client: TestClient, email: str, password: str, **extra: Any) -> Any:
    client._reseau_csrf = None  # type: ignore[attr-defined]
    return post_form(
        client, "/compte/connexion", {"email": email, "password": password, **extra}, follow_redirects=False
    )


class SpyHasher:
    """Wraps the real hasher and notes, for each call, whether an event loop runs in its thread."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.calls: list[tuple[str, bool]] = []

    def _note(self, name: str) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.calls.append((name, False))
        else:
            self.calls.append((name, True))

    def hash(self, password: str) -> str:
        self._note("hash")
        return self.real.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        self._note("verify")
        return self.real.verify(password_hash, password)

    def check_needs_rehash(self, password_hash: str) -> bool:
        return self.real.check_needs_rehash(password_hash)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> SpyHasher:
    hasher = SpyHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    return hasher


def test_passwords_are_argon2id_with_the_rfc_9106_profile(real_hashing: PasswordHasher, db: Session) -> None:
    user = make_user(db, "ana@example.org")
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # RFC 9106 low-memory
    assert PASSWORD not in user.password_hash
    assert passwords.verify_password(user.password_hash, PASSWORD)
    assert not passwords.verify_password(user.password_hash, PASSWORD + " ")
    assert not passwords.verify_password("pas un hash", PASSWORD)


def test_sign_in_opens_a_session_and_records_the_time(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    user = make_user(db, "ana@example.org")
    response = _post_login(client, "  ANA@example.org ", PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert signed_in(client)
    refresh(db)
    assert db.get(User, user.id).last_login_at == clock()  # type: ignore[union-attr]


def test_hashing_and_verifying_happen_in_worker_threads(
    client: TestClient, db: Session, spy: SpyHasher
) -> None:
    make_user(db, "ana@example.org")
    spy.calls.clear()
    login(client, "ana@example.org", PASSWORD)
    post_form(
        client,
        "/compte/mot-de-passe",
        {
            "current_password": PASSWORD,
            "password": "encore plus solide",
            "confirm": "encore plus solide",
        },
    )
    names = [name for name, _ in spy.calls]
    assert "verify" in names and "hash" in names
    assert all(on_loop is False for _, on_loop in spy.calls), spy.calls


def test_an_unknown_address_still_costs_a_verification(
    client: TestClient, db: Session, spy: SpyHasher
) -> None:
    make_user(db, "ana@example.org")
    csrf_token(client)
    spy.calls.clear()
    response = _post_login(client, "personne@example.org", PASSWORD)
    assert response.status_code == 400
    assert "Adresse ou mot de passe incorrect" in response.text
    assert ("verify", False) in spy.calls  # (the dummy hash itself is made on first use)
    assert all(on_loop is False for _, on_loop in spy.calls)


@pytest.mark.parametrize("case", ["wrong password", "deactivated", "no password"])
def test_refusals_say_the_same_thing(client: TestClient, db: Session, case: str) -> None:
    make_user(
        db,
        "ana@example.org",
        active=case != "deactivated",
        password=None if case == "no password" else PASSWORD,
    )
    response = _post_login(client, "ana@example.org", "faux" if case == "wrong password" else PASSWORD)
    assert response.status_code == 400
    assert "Adresse ou mot de passe incorrect" in response.text
    assert not signed_in(client)


def test_the_session_cookie_holds_only_the_user_id_version_and_token(client: TestClient, db: Session) -> None:
    user = make_user(db, "ana@example.org")
    client.post("/compte/langue", data={"language": "en", "next": "/", "csrf_token": csrf_token(client)})
    login(client, "ana@example.org", PASSWORD)
    client.get("/")  # the flash message is shown, and so leaves the cookie
    data = session_data(client)
    assert set(data) == {"uid", "ver", "csrf", "lang"}
    assert data["uid"] == user.id and data["ver"] == 1 and data["lang"] == "en"
    assert "ana@example.org" not in str(data)


def test_sign_in_replaces_the_csrf_token(client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org")
    before = csrf_token(client)
    login(client, "ana@example.org", PASSWORD)
    assert csrf_token(client) != before


def test_an_old_hash_is_upgraded_at_sign_in(
    real_hashing: PasswordHasher, client: TestClient, db: Session
) -> None:
    user = make_user(db, "ana@example.org", password=None)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    user.password_hash = weak
    db.commit()
    assert passwords.needs_rehash(weak)
    login(client, "ana@example.org", PASSWORD)
    refresh(db)
    upgraded = db.get(User, user.id).password_hash  # type: ignore[union-attr]
    assert upgraded != weak and upgraded.startswith("$argon2id$")  # type: ignore[union-attr]
    assert not passwords.needs_rehash(upgraded or "")


# -- throttling ---------------------------------------------------------------------------------


def _attempts(db: Session, key: str) -> int:
    refresh(db)
    return int(db.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.key == key)) or 0)


def test_throttling_holds_across_two_workers(make_app: MakeApp, db: Session, clock: FrozenClock) -> None:
    """Two app instances on one database, as two worker processes would be."""
    make_user(db, "ana@example.org")
    worker_a, worker_b = make_app(), make_app()
    with TestClient(worker_a) as a, TestClient(worker_b) as b:
        for i in range(5):  # the fifth failure reaches the limit
            response = _post_login(a if i % 2 == 0 else b, "ana@example.org", f"mauvais {i}")
            assert response.status_code == 400
        assert _attempts(db, "email:ana@example.org") == 5
        for browser in (a, b):  # even the right password is refused now, by either worker
            response = _post_login(browser, "ana@example.org", PASSWORD)
            assert response.status_code == 429
            assert "Trop de tentatives de connexion" in response.text
            assert response.headers["retry-after"] == "900"
            assert not signed_in(browser)
        assert _attempts(db, "email:ana@example.org") == 5  # refusals while throttled do not extend it
        clock.advance(minutes=15, seconds=1)
        assert _post_login(b, "ana@example.org", PASSWORD).status_code == 303
        assert signed_in(b)


def test_a_success_clears_the_address_counter(client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org")
    for i in range(4):
        _post_login(client, "ana@example.org", f"mauvais {i}")
    assert _post_login(client, "ana@example.org", PASSWORD).status_code == 303
    assert _attempts(db, "email:ana@example.org") == 0
    assert _attempts(db, "ip:testclient") == 4  # the IP's count stays


def test_an_ip_is_throttled_across_addresses(make_app: MakeApp, db: Session) -> None:
    make_user(db, "ana@example.org")
    with TestClient(make_app(login_max_failures=2)) as client:
        for i in range(8):  # 4 × 2 failures from one IP, each on a different address
            assert _post_login(client, f"inconnu{i}@example.org", "faux").status_code == 400
        assert _post_login(client, "ana@example.org", PASSWORD).status_code == 429


def test_old_attempts_are_forgotten(client: TestClient, db: Session, clock: FrozenClock) -> None:
    make_user(db, "ana@example.org")
    _post_login(client, "ana@example.org", "faux")
    clock.advance(hours=1)
    _post_login(client, "bob@example.org", "faux")
    assert _attempts(db, "email:ana@example.org") == 0
    assert _attempts(db, "email:bob@example.org") == 1


# -- bad input ----------------------------------------------------------------------------------


def test_empty_fields_get_french_messages(client: TestClient, db: Session) -> None:
    response = _post_login(client, "", "")
    assert response.status_code == 400
    assert response.text.count("Ce champ est obligatoire.") >= 2
    assert _attempts(db, "ip:testclient") == 0  # nothing counted, nothing written


def test_overlong_fields_are_refused_in_french(client: TestClient, db: Session) -> None:
    long_email = "a" * 300 + "@example.org"
    response = _post_login(client, long_email, "x" * 2000)
    assert response.status_code == 400
    assert "ne peut pas contenir plus de 254 caractères" in response.text
    assert "ne peut pas contenir plus de 1000 caractères" in response.text
    assert f'value="{long_email}"' in response.text  # kept, to be corrected
    assert "x" * 2000 not in response.text  # passwords never come back
    refresh(db)
    assert db.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_html_in_the_address_is_shown_escaped(client: TestClient, db: Session) -> None:
    hostile = '"><script>alert(1)</script>@example.org'
    response = _post_login(client, hostile, "un mot de passe")
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "un mot de passe" not in response.text


def test_a_wrong_password_is_not_sent_back(client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org")
    response = _post_login(client, "ana@example.org", "mon-secret-faux")
    assert response.status_code == 400
    assert "mon-secret-faux" not in response.text
    assert 'value="ana@example.org"' in response.text


def test_an_account_can_sign_in_on_a_second_app(make_app: MakeApp, db: Session) -> None:
    make_user(db, "ana@example.org")
    app: Starlette = make_app(plugins=[])
    with TestClient(app) as browser:
        login(browser, "ana@example.org", PASSWORD)
        assert signed_in(browser)


def test_throttling_is_configured_from_the_environment() -> None:
    from core.config import load_settings

    settings = load_settings(
        {"RESEAU_LOGIN_MAX_FAILURES": "3", "RESEAU_LOGIN_WINDOW": "60", "RESEAU_SECRET_KEY": "x"}
    )
    assert (settings.login_max_failures, settings.login_window_seconds) == (3, 60)
    defaults = load_settings({"RESEAU_SECRET_KEY": "x"})
    assert (defaults.login_max_failures, defaults.login_window_seconds) == (5, 900)
