"""Who may do what in which space: roles from memberships, permissions from declarations.

A user holds roles in a space through their directory contact: the roles of the contact's own
memberships, plus ``core.member`` when an organisation they are affiliated to is a member
(organisations only ever hold membership). Every role implies membership. A permission
(declared by the core or a plugin, see :class:`core.declarations.Permission`) is granted in a
space to the holders of its roles; admins hold every permission everywhere. Deactivated
accounts hold nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.directory.models import Affiliation
from core.spaces.models import ANIMATOR, MEMBER, Space, SpaceMembership

if TYPE_CHECKING:
    from core.accounts.models import User
    from core.declarations import Registry
    from core.declarations import Permission


def _contact_of(user: User | None) -> int | None:
    """The contact whose memberships count for ``user`` (none when signed out or deactivated)."""
    if user is None or not user.is_active:
        return None
    return user.contact_id


def roles_in_space(db: Session, user: User | None, space_id: int) -> set[str]:
    """The roles ``user`` holds in a space: directly through their contact, or as a member
    through an organisation they are affiliated to."""
    contact_id = _contact_of(user)
    if contact_id is None:
        return set()
    org_ids = select(Affiliation.organisation_id).where(Affiliation.contact_id == contact_id)
    rows = db.execute(
        select(SpaceMembership.role, SpaceMembership.contact_id).where(
            SpaceMembership.space_id == space_id,
            or_(
                SpaceMembership.contact_id == contact_id,
                SpaceMembership.organisation_id.in_(org_ids),
            ),
        )
    ).all()
    roles = {role for role, member_contact in rows if member_contact is not None}
    if rows:
        roles.add(MEMBER)  # an organisation's membership, or any role: both make a member
    return roles


def _declared(registry: Registry, permission: str) -> Permission:
    granted = registry.permissions.get(permission)
    if granted is None:
        raise KeyError(f"undeclared permission {permission!r}")
    return granted


def has_permission(
    db: Session, registry: Registry, user: User | None, permission: str, space_id: int | None
) -> bool:
    """Whether ``user`` holds ``permission`` in the space (admins hold every permission).

    With ``space_id`` ``None`` the question is "in at least one space". An undeclared
    permission raises ``KeyError`` for everyone, admins included, so a typo fails in tests.
    """
    granted = _declared(registry, permission)
    if user is None or not user.is_active:
        return False
    if user.is_admin:
        return True
    if space_id is None:
        return bool(spaces_with_roles(db, user, set(granted.roles)))
    return bool(roles_in_space(db, user, space_id) & set(granted.roles))


def spaces_with_roles(db: Session, user: User | None, roles: set[str]) -> set[int]:
    """Ids of the spaces where ``user`` holds one of ``roles`` (same rules as :func:`roles_in_space`)."""
    contact_id = _contact_of(user)
    if contact_id is None or not roles:
        return set()
    if MEMBER in roles:
        # any membership of the contact, or of one of their organisations, makes a member
        org_ids = select(Affiliation.organisation_id).where(Affiliation.contact_id == contact_id)
        stmt = select(SpaceMembership.space_id).where(
            or_(SpaceMembership.contact_id == contact_id, SpaceMembership.organisation_id.in_(org_ids))
        )
    else:
        stmt = select(SpaceMembership.space_id).where(
            SpaceMembership.contact_id == contact_id, SpaceMembership.role.in_(roles)
        )
    return set(db.scalars(stmt))


def space_ids_with_permission(
    db: Session, registry: Registry, user: User | None, permission: str
) -> set[int]:
    """Ids of every space where ``user`` holds ``permission`` (for lists: one query, not one per row)."""
    granted = _declared(registry, permission)
    if user is None or not user.is_active:
        return set()
    if user.is_admin:
        return set(db.scalars(select(Space.id)))
    return spaces_with_roles(db, user, set(granted.roles))


def is_animator_somewhere(db: Session, user: User | None) -> bool:
    """Animators of any space may edit the shared directory."""
    if user is None or not user.is_active:
        return False
    return user.is_admin or bool(spaces_with_roles(db, user, {ANIMATOR}))
