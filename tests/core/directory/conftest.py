"""Fixtures for the directory tests: people with each kind of access, and helpers to arrange data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from core.accounts.models import User
from core.audit.models import AuditEntry
from core.db import transaction
from core.demo import _demo_password_hash
from core.directory import services
from core.directory.models import Contact, Organisation
from core.spaces import services as spaces
from core.spaces.models import ANIMATOR, MEMBER

PASSWORD = "reseau-demo-2026"


@dataclass(frozen=True)
class People:
    """Accounts with each level of access (all share :data:`PASSWORD`)."""

    admin: str = "admin.annuaire@example.org"
    animator: str = "animatrice.annuaire@example.org"
    member: str = "membre.annuaire@example.org"
    reader: str = "lecteur.annuaire@example.org"
    space_id: int = 0
    animator_contact_id: int = 0


def _account(db: Session, email: str, *, admin: bool = False, contact_id: int | None = None) -> User:
    user = User(
        email=email,
        display_name=email.split("@")[0],
        is_admin=admin,
        contact_id=contact_id,
        password_hash=_demo_password_hash(),
        session_version=1,
        is_active=True,
        language="fr",
    )
    db.add(user)
    db.flush()
    return user


@pytest.fixture
def people(app: Starlette) -> People:
    """An admin, the animator and a member of a space, and a signed-in reader with no role."""
    with transaction(app.state.reseau.session_factory) as db:
        space = spaces.ensure_space(db, "groupe-test", "Groupe de test", "core.espace")
        animator = services.create_contact(
            db, None, {"first_name": "Ana", "last_name": "Animatrice", "consent_listed": True}
        )
        member = services.create_contact(
            db, None, {"first_name": "Marc", "last_name": "Membre", "consent_listed": True}
        )
        spaces.add_membership(db, space, ANIMATOR, contact_id=animator.id)
        spaces.add_membership(db, space, MEMBER, contact_id=member.id)
        _account(db, People.admin, admin=True)
        _account(db, People.animator, contact_id=animator.id)
        _account(db, People.member, contact_id=member.id)
        _account(db, People.reader)
        return People(space_id=space.id, animator_contact_id=animator.id)


def make_org(db: Session, name: str, **values: Any) -> Organisation:
    """Create an organisation through the services (and commit)."""
    org = services.create_organisation(db, None, {"name": name, **values})
    db.commit()
    return org


def make_contact(
    db: Session,
    last_name: str,
    first_name: str = "",
    org: Organisation | None = None,
    role: str = "",
    **values: Any,
) -> Contact:
    """Create a contact through the services, optionally tied to ``org`` (and commit)."""
    person = services.create_contact(db, None, {"last_name": last_name, "first_name": first_name, **values})
    if org is not None:
        services.set_affiliation(db, None, person, org, role)
    db.commit()
    return person


def fresh(db: Session) -> None:
    """See what the app committed: end this session's transaction (and its SQLite snapshot) and
    forget the objects loaded so far."""
    db.commit()
    db.expire_all()


def count(db: Session, model: type[Any]) -> int:
    """Rows of a table (a fresh read)."""
    fresh(db)
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def audit_actions(db: Session) -> list[str]:
    """Actions in the audit log, oldest first (a fresh read)."""
    fresh(db)
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
