"""A small world for the calendar tests: two spaces, their animators and members, partners.

``world`` commits, through the test's own session, everything the app then reads:

* space A (``groupe-a``) animated by Anne (user ``anne@example.org``), with member Marc and
  member organisation "Association Alpha";
* space B (``groupe-b``) animated by Bruno; Anne animates B too only when a test says so;
* a signatory organisation "Préfecture" with two contacts (one without email) and an
  association "Association Alpha" with one contact;
* an admin, and Olga, signed-in outsider with no role anywhere.

Every account has the password :data:`PASSWORD` (the demo one, which ``tests.helpers.login``
uses by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.accounts.models import User
from core.accounts.passwords import hash_password
from core.calendar import services
from core.calendar.models import Meeting
from core.calendar.services import MeetingInput
from core.directory.models import Affiliation, Contact, Organisation
from core.directory.normalise import fold, name_key
from core.spaces.models import ANIMATOR, MEMBER, Space, SpaceMembership

PASSWORD = "reseau-demo-2026"


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class World:
    """Ids of what ``world`` created (ids, not objects: each test session reloads)."""

    space_a: int
    space_b: int
    anne: int  # contact, animator of A
    bruno: int  # contact, animator of B
    marc: int  # contact, member of A
    olga: int  # contact, no role
    prefet_1: int  # contact of the signatory, with email
    prefet_2: int  # contact of the signatory, without email
    alpha_1: int  # contact of the member organisation
    prefecture: int  # organisation, signatory
    alpha: int  # organisation, member of A
    db: Session

    def meeting(
        self,
        space_id: int | None = None,
        start: datetime | None = None,
        hours: float = 2,
        **values: Any,
    ) -> Meeting:
        """Create (and commit) a meeting in a space, by default A, next week at 14:00 UTC."""
        start = start or datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
        data = MeetingInput(
            space_id=space_id or self.space_a,
            title=values.pop("title", "Réunion de test"),
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            **values,
        )
        meeting = services.create_meeting(self.db, None, data, now=start, confirm_past=True)
        self.db.commit()
        return meeting

    def add_animator(self, space_id: int, contact_id: int) -> None:
        """Give a contact the animator role in a space (committed)."""
        self.db.add(SpaceMembership(space_id=space_id, role=ANIMATOR, contact_id=contact_id))
        self.db.commit()


def _contact(db: Session, first: str, last: str, email: str, org: Organisation | None = None) -> Contact:
    contact = Contact(first_name=first, last_name=last, email=email, search_doc=fold(f"{first} {last}"))
    db.add(contact)
    db.flush()
    if org is not None:
        db.add(Affiliation(contact_id=contact.id, organisation_id=org.id, is_primary=True))
    return contact


def _user(db: Session, email: str, name: str, contact: Contact | None, *, admin: bool = False) -> User:
    user = User(
        email=email,
        password_hash=_password_hash(),
        display_name=name,
        is_admin=admin,
        contact_id=contact.id if contact else None,
        session_version=1,
        is_active=True,
    )
    db.add(user)
    return user


def _org(db: Session, name: str, *, signatory: bool = False) -> Organisation:
    org = Organisation(name=name, name_key=name_key(name), is_signatory=signatory, search_doc=fold(name))
    db.add(org)
    db.flush()
    return org


@pytest.fixture
def world(app: Any, db: Session) -> World:
    """The calendar test world (see the module docstring), committed."""
    space_a = Space(slug="groupe-a", name="Groupe A", kind="core.espace")
    space_b = Space(slug="groupe-b", name="Groupe B", kind="core.espace")
    db.add_all([space_a, space_b])
    db.flush()
    prefecture = _org(db, "Préfecture du Val-de-Marne", signatory=True)
    alpha = _org(db, "Association Alpha")
    anne = _contact(db, "Anne", "Animatrice", "anne@example.org")
    bruno = _contact(db, "Bruno", "Animateur", "bruno@example.org")
    marc = _contact(db, "Marc", "Membre", "marc@example.org")
    olga = _contact(db, "Olga", "Outsider", "olga@example.org")
    prefet_1 = _contact(db, "Paul", "Préfet", "paul@example.org", prefecture)
    prefet_2 = _contact(db, "Pia", "Sansmail", "", prefecture)
    alpha_1 = _contact(db, "Alix", "Alpha", "alix@example.org", alpha)
    db.add_all(
        [
            SpaceMembership(space_id=space_a.id, role=ANIMATOR, contact_id=anne.id),
            SpaceMembership(space_id=space_a.id, role=MEMBER, contact_id=marc.id),
            SpaceMembership(space_id=space_a.id, role=MEMBER, organisation_id=alpha.id),
            SpaceMembership(space_id=space_b.id, role=ANIMATOR, contact_id=bruno.id),
        ]
    )
    _user(db, "admin@example.org", "Admin", None, admin=True)
    _user(db, "anne@example.org", "Anne Animatrice", anne)
    _user(db, "bruno@example.org", "Bruno Animateur", bruno)
    _user(db, "marc@example.org", "Marc Membre", marc)
    _user(db, "olga@example.org", "Olga Outsider", olga)
    db.commit()
    return World(
        space_a=space_a.id,
        space_b=space_b.id,
        anne=anne.id,
        bruno=bruno.id,
        marc=marc.id,
        olga=olga.id,
        prefet_1=prefet_1.id,
        prefet_2=prefet_2.id,
        alpha_1=alpha_1.id,
        prefecture=prefecture.id,
        alpha=alpha.id,
        db=db,
    )


def reload(db: Session, model: type[Any], ident: int) -> Any:
    """The row as the app committed it (ends the test session's transaction, so SQLite's
    snapshot is fresh too)."""
    fresh(db)
    return db.get(model, ident)


def fresh(db: Session) -> Session:
    """The test session with its transaction ended, so the next query sees what the app
    committed (SQLite keeps a read snapshot for the whole transaction)."""
    db.rollback()
    db.expire_all()
    return db
