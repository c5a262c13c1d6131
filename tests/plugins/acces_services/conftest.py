"""Fixtures of the acces_services tests: the demo platform, its people, its services."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts import services as accounts
from core.accounts.models import User
from core.calendar.models import Meeting
from core.demo import contact_by_email, organisation_by_name
from core.directory.models import Affiliation, Contact
from core.spaces import services as spaces
from plugins.acces_services.demo import SLUG
from plugins.acces_services.models import Figure, Service

ANIMATOR = "isabelle.moreau@example.org"
CULTURE_PROVIDER = "thomas.petit@example.org"  # Pôle Culture
ESCALE_PROVIDER = "sophie.lefevre@example.org"  # Pôle E.S.C.A.L.E.
ADMIN = "admin@example.org"


@pytest.fixture
def platform(demo: object, db: Session) -> int:
    """The demo platform's space id (the demo data is loaded)."""
    space = spaces.get_by_slug(db, SLUG)
    assert space is not None
    return space.id


def service_id(db: Session, name: str) -> int:
    """The id of a service, by exact name."""
    found = db.scalar(select(Service.id).where(Service.name == name))
    assert found is not None, name
    return found


def text(response: Any) -> str:
    """A page's text with HTML entities decoded (``l'atelier`` rather than ``l&#39;atelier``)."""
    return html.unescape(response.text)


def fresh(db: Session) -> Session:
    """End the test session's read transaction so it sees what the app committed since."""
    db.commit()
    db.expire_all()
    return db


def figure_count(db: Session) -> int:
    """How many figures are stored."""
    fresh(db)
    return int(db.scalar(select(func.count(Figure.id))) or 0)


MakeUser = Callable[..., User]


@pytest.fixture
def make_user(db: Session) -> MakeUser:
    """Create a user with the demo password, linked to a new contact of an organisation."""

    def factory(email: str, organisation: str | None = None, *, admin: bool = False) -> User:
        fresh(db)
        contact = Contact(first_name="Test", last_name=email.split("@")[0], email=email)
        db.add(contact)
        db.flush()
        if organisation is not None:
            org = organisation_by_name(db, organisation)
            assert org is not None
            db.add(Affiliation(contact_id=contact.id, organisation_id=org.id))
        user = accounts.create_user(
            db, email, "reseau-demo-2026", email, is_admin=admin, contact_id=contact.id
        )
        db.commit()
        return user

    return factory


def add_member(db: Session, email: str, role: str) -> None:
    """Give an existing contact a role in the platform."""
    fresh(db)
    space = spaces.get_by_slug(db, SLUG)
    contact = contact_by_email(db, email)
    assert space is not None and contact is not None
    spaces.add_membership(db, space, role, contact_id=contact.id)
    db.commit()


def add_meeting(db: Session, space_id: int, title: str, starts: datetime) -> int:
    """A core meeting of the platform (the meetings pages are another branch's work)."""
    fresh(db)
    meeting = Meeting(
        space_id=space_id,
        title=title,
        starts_at=starts,
        ends_at=starts.replace(hour=starts.hour + 2),
        kind="core.reunion",
    )
    db.add(meeting)
    db.commit()
    return meeting.id


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)
