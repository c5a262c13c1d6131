"""Arranging accounts, directory entries and spaces directly in the database."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.accounts import passwords, services
from core.accounts.models import User
from core.accounts.passwords import hash_password
from core.directory.models import Affiliation, Contact, Organisation
from core.spaces.models import Space, SpaceMembership

PASSWORD = "un mot de passe solide"
COOKIE = "reseau_session"


_HASHES: dict[tuple[int, str], str] = {}


def hashed(password: str) -> str:
    """The argon2id hash of ``password``, computed once per hasher in use."""
    key = (id(passwords._hasher), password)
    if key not in _HASHES:
        _HASHES[key] = hash_password(password)
    return _HASHES[key]


def make_user(
    db: Session,
    email: str,
    *,
    password: str | None = PASSWORD,
    admin: bool = False,
    active: bool = True,
    contact_id: int | None = None,
    name: str | None = None,
) -> User:
    """A committed account (argon2id-hashed password, hashed once per test run: it is slow on purpose)."""
    user = services.create_user(
        db, email, None, name or email.partition("@")[0], is_admin=admin, contact_id=contact_id
    )
    user.password_hash = hashed(password) if password else None
    user.is_active = active
    db.commit()
    return user


def make_contact(db: Session, first: str, last: str, email: str = "") -> Contact:
    """A committed directory contact."""
    contact = Contact(first_name=first, last_name=last, email=email, search_doc=f"{first} {last}".lower())
    db.add(contact)
    db.commit()
    return contact


def make_organisation(db: Session, name: str) -> Organisation:
    """A committed organisation."""
    org = Organisation(name=name, name_key=name.lower(), kind="association", search_doc=name.lower())
    db.add(org)
    db.commit()
    return org


def affiliate(db: Session, contact: Contact, org: Organisation) -> None:
    """Make the contact a person of the organisation."""
    db.add(Affiliation(contact_id=contact.id, organisation_id=org.id, role="salariée"))
    db.commit()


def make_space(db: Session, slug: str, kind: str = "core.espace") -> Space:
    """A committed space."""
    space = Space(slug=slug, name=slug.replace("-", " ").title(), kind=kind)
    db.add(space)
    db.commit()
    return space


def add_member(
    db: Session, space: Space, role: str, *, contact: Contact | None = None, org: Organisation | None = None
) -> None:
    """Give a contact or an organisation a role in a space."""
    db.add(
        SpaceMembership(
            space_id=space.id,
            role=role,
            contact_id=contact.id if contact else None,
            organisation_id=org.id if org else None,
        )
    )
    db.commit()


def session_data(client: TestClient, cookie: str = COOKIE) -> dict[str, Any]:
    """What the (signed, not encrypted) session cookie holds: anyone can read it, so we check it."""
    value = client.cookies.get(cookie)
    assert value, f"no {cookie} cookie"
    payload = value.split(".")[0]
    return dict(json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4))))


def copy_of_cookie(client: TestClient, app: Any, cookie: str = COOKIE, **kwargs: Any) -> TestClient:
    """A second browser holding a copy of this client's session cookie (e.g. a stolen one)."""
    other = TestClient(app, **kwargs)
    other.cookies.set(cookie, client.cookies.get(cookie) or "")
    return other


def signed_in(client: TestClient) -> bool:
    """Whether the client's session still opens the profile page."""
    response = client.get("/compte/profil", follow_redirects=False)
    return response.status_code == 200


def refresh(db: Session) -> None:
    """Read what the app committed: end this session's transaction (SQLite readers keep their
    snapshot until then) and forget loaded values."""
    db.rollback()
    db.expire_all()
