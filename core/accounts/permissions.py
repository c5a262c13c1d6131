"""Who may do what in which space: roles from memberships, permissions from declarations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.directory.models import Affiliation
from core.spaces.models import ANIMATOR, MEMBER, SpaceMembership

if TYPE_CHECKING:
    from core.accounts.models import User
    from core.app import Registry


def roles_in_space(db: Session, user: User | None, space_id: int) -> set[str]:
    """The roles ``user`` holds in a space: directly through their contact, or as a member
    through an organisation they are affiliated to (organisations only ever hold membership)."""
    if user is None or user.contact_id is None:
        return set()
    org_ids = select(Affiliation.organisation_id).where(Affiliation.contact_id == user.contact_id)
    rows = db.execute(
        select(SpaceMembership.role, SpaceMembership.contact_id).where(
            SpaceMembership.space_id == space_id,
            or_(
                SpaceMembership.contact_id == user.contact_id,
                SpaceMembership.organisation_id.in_(org_ids),
            ),
        )
    ).all()
    roles = {role for role, contact_id in rows if contact_id is not None}
    if any(contact_id is None for _, contact_id in rows):
        roles.add(MEMBER)
    if roles - {MEMBER}:
        roles.add(MEMBER)  # every role in a space implies membership
    return roles


def has_permission(
    db: Session, registry: Registry, user: User | None, permission: str, space_id: int | None
) -> bool:
    """Whether ``user`` holds ``permission`` in the space (admins hold every permission).

    With ``space_id`` ``None`` the question is "in at least one space".
    """
    if user is None:
        return False
    if user.is_admin:
        return True
    granted = registry.permissions.get(permission)
    if granted is None:
        raise KeyError(f"undeclared permission {permission!r}")
    if space_id is None:
        return bool(spaces_with_roles(db, user, set(granted.roles)))
    return bool(roles_in_space(db, user, space_id) & set(granted.roles))


def spaces_with_roles(db: Session, user: User | None, roles: set[str]) -> set[int]:
    """Ids of the spaces where ``user`` holds one of ``roles`` directly through their contact."""
    if user is None or user.contact_id is None:
        return set()
    stmt = select(SpaceMembership.space_id).where(
        SpaceMembership.contact_id == user.contact_id, SpaceMembership.role.in_(roles)
    )
    ids = set(db.scalars(stmt))
    if MEMBER in roles:
        org_ids = select(Affiliation.organisation_id).where(Affiliation.contact_id == user.contact_id)
        ids |= set(db.scalars(select(SpaceMembership.space_id).where(SpaceMembership.organisation_id.in_(org_ids))))
    return ids


def is_animator_somewhere(db: Session, user: User | None) -> bool:
    """Animators of any space may edit the shared directory."""
    return bool(user and (user.is_admin or spaces_with_roles(db, user, {ANIMATOR})))
