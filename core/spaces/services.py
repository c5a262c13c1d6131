"""Space services: create, find, memberships."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.spaces.models import Space, SpaceMembership


def get_by_slug(db: Session, slug: str) -> Space | None:
    """The space with this slug."""
    return db.scalar(select(Space).where(Space.slug == slug))


def ensure_space(
    db: Session,
    slug: str,
    name: str,
    kind: str,
    *,
    description: str = "",
    is_permanent: bool = True,
    ends_on: date | None = None,
    pillar: str | None = None,
) -> Space:
    """The space with ``slug``, created with these values when missing (idempotent, for demo data)."""
    space = get_by_slug(db, slug)
    if space is None:
        space = Space(
            slug=slug,
            name=name,
            kind=kind,
            description=description,
            is_permanent=is_permanent,
            ends_on=ends_on,
            pillar=pillar,
        )
        db.add(space)
        db.flush()
    return space


def add_membership(
    db: Session,
    space: Space,
    role: str,
    *,
    contact_id: int | None = None,
    organisation_id: int | None = None,
) -> SpaceMembership:
    """Give a contact or an organisation a role in a space (no duplicate is created)."""
    if (contact_id is None) == (organisation_id is None):
        raise ValueError("a membership names exactly one contact or one organisation")
    existing = db.scalar(
        select(SpaceMembership).where(
            SpaceMembership.space_id == space.id,
            SpaceMembership.role == role,
            SpaceMembership.contact_id.is_(None) if contact_id is None else SpaceMembership.contact_id == contact_id,
            SpaceMembership.organisation_id.is_(None)
            if organisation_id is None
            else SpaceMembership.organisation_id == organisation_id,
        )
    )
    if existing is not None:
        return existing
    membership = SpaceMembership(
        space_id=space.id, role=role, contact_id=contact_id, organisation_id=organisation_id
    )
    db.add(membership)
    db.flush()
    return membership


def memberships(db: Session, space_id: int, role: str | None = None) -> Sequence[SpaceMembership]:
    """A space's memberships, optionally of one role."""
    stmt = select(SpaceMembership).where(SpaceMembership.space_id == space_id)
    if role is not None:
        stmt = stmt.where(SpaceMembership.role == role)
    return db.scalars(stmt.order_by(SpaceMembership.id)).all()
