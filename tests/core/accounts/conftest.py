"""Fixtures of the accounts tests: an app with the test plugin, signed-in clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.accounts import passwords
from core.config import Settings
from tests.core.accounts import fake_plugin
from tests.core.accounts.factories import PASSWORD, make_user
from tests.helpers import FrozenClock, login

PRODUCTION_HASHER = passwords._hasher


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id still, with small parameters: these tests sign in hundreds of times.

    Tests of the hashing itself ask for :func:`real_hashing`.
    """
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def real_hashing(fast_hashing: None, monkeypatch: pytest.MonkeyPatch) -> PasswordHasher:
    """The production hasher, for the tests that check it."""
    monkeypatch.setattr(passwords, "_hasher", PRODUCTION_HASHER)
    return PRODUCTION_HASHER


@pytest.fixture
def essai_app(settings: Settings, clock: FrozenClock) -> Iterator[Starlette]:
    """The app with only the test plugin ``essai`` (its role, permission and routes)."""
    app = fake_plugin.build_app(settings, clock)
    yield app
    app.state.reseau.engine.dispose()


@pytest.fixture
def admin_client(app: Starlette, db: Session) -> Iterator[TestClient]:
    """A client signed in as an admin (``chef@example.org``)."""
    make_user(db, "chef@example.org", admin=True, name="Cheffe de projet")
    with TestClient(app) as client:
        login(client, "chef@example.org", PASSWORD)
        yield client
