"""``reseau create-admin``: creates an admin, or restores an existing account as an active admin."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.accounts import passwords
from core.accounts.models import User
from core.audit.models import AuditEntry
from core.cli import CliState, cli
from core.config import Settings
from tests.core.accounts.factories import make_user, refresh, signed_in
from tests.helpers import login

Run = Callable[..., Result]


@pytest.fixture
def run(settings: Settings) -> Iterator[Run]:
    states: list[CliState] = []

    def invoke(*args: str, input: str | None = None) -> Result:
        state = CliState(settings)
        states.append(state)
        return CliRunner().invoke(cli, list(args), obj=state, input=input)

    yield invoke
    for state in states:
        if state._engine is not None:
            state._engine.dispose()


def _user(db: Session, email: str) -> User | None:
    refresh(db)
    return db.scalar(select(User).where(User.email == email))


def test_create_an_admin_then_sign_in(run: Run, client: TestClient, db: Session) -> None:
    result = run(
        "create-admin",
        "--email",
        "Maire.Adjointe@Example.org",
        "--name",
        "Maire adjointe",
        input="une phrase longue\nune phrase longue\n",
    )
    assert result.exit_code == 0, result.output
    assert "Administrateur créé : maire.adjointe@example.org" in result.output
    assert "une phrase longue" not in result.output  # the prompt hides it
    user = _user(db, "maire.adjointe@example.org")
    assert user is not None and user.is_admin and user.is_active and user.display_name == "Maire adjointe"
    assert (user.password_hash or "").startswith("$argon2id$")
    assert (
        db.scalar(select(AuditEntry.action).where(AuditEntry.object_id == str(user.id)))
        == "accounts.user.created"
    )
    login(client, "maire.adjointe@example.org", "une phrase longue")
    assert client.get("/admin/").status_code == 200


def test_an_existing_account_becomes_an_active_admin(run: Run, app: Starlette, db: Session) -> None:
    make_user(db, "ana@example.org", active=False)
    with TestClient(app) as before:
        result = run("create-admin", "--email", "ana@example.org", "--password", "nouvelle phrase")
        assert result.exit_code == 0, result.output
        assert "ana@example.org est désormais administrateur." in result.output
        login(before, "ana@example.org", "nouvelle phrase")
        assert signed_in(before)
    user = _user(db, "ana@example.org")
    assert user is not None and user.is_admin and user.is_active
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(user.id))))
    assert {"accounts.user.made_admin", "accounts.user.password_changed"} <= actions


def test_sessions_of_an_existing_account_end(run: Run, app: Starlette, db: Session) -> None:
    make_user(db, "ana@example.org")
    with TestClient(app) as ana:
        login(ana, "ana@example.org", "un mot de passe solide")
        run("create-admin", "--email", "ana@example.org", "--password", "nouvelle phrase")
        assert not signed_in(ana)


@pytest.mark.parametrize(
    ("args", "input", "message"),
    [
        (["--email", "pas une adresse", "--password", "0123456789"], None, "Adresse électronique invalide"),
        (["--email", "x@example.org", "--password", "court"], None, "au moins 10 caractères"),
        (
            ["--email", "x@example.org", "--password", "0123456789", "--name", "N" * 201],
            None,
            "200 caractères",
        ),
        (["--email", "x@example.org"], "0123456789\nautre-chose\n0123456789\n0123456789\n", None),
    ],
)
def test_refusals(run: Run, db: Session, args: list[str], input: str | None, message: str | None) -> None:
    result = run("create-admin", *args, input=input)
    if message is None:  # the confirmation differed once: asked again, then accepted
        assert result.exit_code == 0, result.output
        assert _user(db, "x@example.org") is not None
        return
    assert result.exit_code != 0
    assert message in result.output
    assert _user(db, "x@example.org") is None


def test_hashing_runs_without_an_event_loop(run: Run, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real = passwords._hasher

    class Spy:
        def hash(self, password: str) -> str:
            try:
                asyncio.get_running_loop()
                seen.append(True)
            except RuntimeError:
                seen.append(False)
            return real.hash(password)

    monkeypatch.setattr(passwords, "_hasher", Spy())
    assert run("create-admin", "--email", "x@example.org", "--password", "0123456789").exit_code == 0
    assert seen == [False]
