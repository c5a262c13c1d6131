"""Space services: create, edit, close, delete, list; memberships; the holder search.

Plain functions over a SQLAlchemy ``Session`` (no web imports). Rule violations raise
:class:`SpaceError` with a French message and, when it concerns one, the form field's name;
the caller's transaction then rolls back whole. Every change is written to the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from core.audit import services as audit
from core.calendar.models import ActionItem, Meeting
from core.directory.models import Affiliation, Contact, Organisation
from core.directory.normalise import fold
from core.directory.vocab import PILLARS
from core.i18n import gettext as _
from core.resources.models import Resource
from core.spaces.models import MEMBER, Space, SpaceMembership

if TYPE_CHECKING:
    from core.accounts.models import User
    from core.declarations import SpaceKind, SpaceRole

NAME_MAX = 200
DESCRIPTION_MAX = 10_000
SLUG_MAX = 80
#: path segments of the space pages that a slug must never take
RESERVED_SLUGS = frozenset({"nouveau"})
SEARCH_MIN = 2
SEARCH_LIMIT = 25

_SLUG_BODY_MAX = SLUG_MAX - 6  # room for a "-12345" suffix


class SpaceError(ValueError):
    """A change the space rules refuse: a French ``message``, and the form ``field`` concerned."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ------------------------------------------------------------------------------------- slugs


def slugify(text: str) -> str:
    """A URL-safe slug: accents folded, lower case, words joined by ``-`` ("L'Équipe" → "l-equipe")."""
    words = fold(text).split()
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > _SLUG_BODY_MAX:
            break
        slug = candidate
    if not slug and words:  # one very long word
        slug = words[0][:_SLUG_BODY_MAX]
    return slug or "espace"


def unique_slug(db: Session, name: str) -> str:
    """A slug for ``name`` that no space uses yet (``-2``, ``-3``… appended when needed)."""
    base = slugify(name)
    taken = set(
        db.scalars(select(Space.slug).where(or_(Space.slug == base, Space.slug.startswith(f"{base}-"))))
    )
    taken |= RESERVED_SLUGS
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


# ------------------------------------------------------------------------------------ spaces


@dataclass(frozen=True)
class SpaceValues:
    """What an admin sets on a space (the slug is derived from the name, once)."""

    name: str
    kind: str
    description: str = ""
    is_permanent: bool = True
    ends_on: date | None = None
    pillar: str | None = None


def validate_values(values: SpaceValues, kinds: Collection[str], *, today: date | None = None) -> SpaceValues:
    """Check ``values`` against the rules and return them cleaned; :class:`SpaceError` otherwise.

    ``kinds`` are the declared space kinds; ``today`` (Paris) refuses an end date in the past.
    """
    name = " ".join(values.name.split())
    if not name:
        raise SpaceError(_("Ce champ est obligatoire."), "name")
    if len(name) > NAME_MAX:
        raise SpaceError(_("Le nom ne doit pas dépasser %(n)s caractères.", n=NAME_MAX), "name")
    if values.kind not in kinds:
        raise SpaceError(_("Choisissez un type d'espace de la liste."), "kind")
    description = values.description.strip()
    if len(description) > DESCRIPTION_MAX:
        raise SpaceError(
            _("La description ne doit pas dépasser %(n)s caractères.", n=DESCRIPTION_MAX), "description"
        )
    pillar = values.pillar or None
    if pillar is not None and pillar not in PILLARS:
        raise SpaceError(_("Choisissez un pilier de la liste."), "pillar")
    ends_on = None if values.is_permanent else values.ends_on
    if not values.is_permanent:
        if ends_on is None:
            raise SpaceError(_("Un espace ponctuel doit avoir une date de fin."), "ends_on")
        if today is not None and ends_on < today:
            raise SpaceError(_("La date de fin ne peut pas être passée."), "ends_on")
    return SpaceValues(name, values.kind, description, values.is_permanent, ends_on, pillar)


def create_space(
    db: Session, actor: User | None, values: SpaceValues, kinds: Collection[str], *, today: date | None = None
) -> Space:
    """Create a space after checking ``values``; its slug comes from the name and is unique."""
    clean = validate_values(values, kinds, today=today)
    space = Space(
        slug=unique_slug(db, clean.name),
        name=clean.name,
        kind=clean.kind,
        description=clean.description,
        is_permanent=clean.is_permanent,
        ends_on=clean.ends_on,
        pillar=clean.pillar,
    )
    db.add(space)
    db.flush()
    audit.record(db, actor, "spaces.space.created", space, summary=space.name)
    return space


def update_space(
    db: Session, actor: User | None, space: Space, values: SpaceValues, kinds: Collection[str]
) -> dict[str, list[Any]]:
    """Change a space (the slug stays, so links keep working); returns the audited changes.

    An end date already in the past is kept: an old ad hoc space may be edited after its end.
    """
    clean = validate_values(values, kinds)
    new = {
        "name": clean.name,
        "kind": clean.kind,
        "description": clean.description,
        "is_permanent": clean.is_permanent,
        "ends_on": clean.ends_on,
        "pillar": clean.pillar,
    }
    changes = audit.diff(space, new)
    if changes:
        for key, value in new.items():
            setattr(space, key, value)
        db.flush()
        audit.record(db, actor, "spaces.space.updated", space, summary=space.name, changes=changes)
    return changes


def close_space(db: Session, actor: User | None, space: Space, now: datetime) -> None:
    """Close a space: it leaves the list of open spaces, keeps its history, can be reopened."""
    if space.closed_at is None:
        space.closed_at = now
        db.flush()
        audit.record(db, actor, "spaces.space.closed", space, summary=space.name)


def reopen_space(db: Session, actor: User | None, space: Space) -> None:
    """Reopen a closed space."""
    if space.closed_at is not None:
        space.closed_at = None
        db.flush()
        audit.record(db, actor, "spaces.space.reopened", space, summary=space.name)


def deletion_blocker(db: Session, space_id: int) -> str | None:
    """Why a space cannot be deleted (it has meetings, documents or actions), or ``None``."""
    if db.scalar(select(Meeting.id).where(Meeting.space_id == space_id).limit(1)) is not None:
        return _("Cet espace a des réunions : il ne peut pas être supprimé. Fermez-le plutôt.")
    if (
        db.scalar(select(Resource.id).where(Resource.space_id == space_id).limit(1)) is not None
        or db.scalar(select(ActionItem.id).where(ActionItem.space_id == space_id).limit(1)) is not None
    ):
        return _(
            "Cet espace a des documents ou des actions : il ne peut pas être supprimé. Fermez-le plutôt."
        )
    return None


def delete_space(db: Session, actor: User | None, space: Space) -> None:
    """Delete a space created by mistake, with its memberships; refused once it has a history."""
    blocker = deletion_blocker(db, space.id)
    if blocker:
        raise SpaceError(blocker)
    space_id, name, slug = space.id, space.name, space.slug
    try:
        with db.begin_nested():
            db.execute(delete(SpaceMembership).where(SpaceMembership.space_id == space_id))
            db.execute(delete(Space).where(Space.id == space_id))
    except IntegrityError as exc:  # a plugin's row points at the space
        message = _(
            "Des données d'un module dépendent de cet espace : il ne peut pas être supprimé. "
            "Fermez-le plutôt."
        )
        raise SpaceError(message) from exc
    audit.record(
        db,
        actor,
        "spaces.space.deleted",
        object_type="spaces",
        object_id=space_id,
        summary=f"{name} ({slug})",
    )


def get_by_slug(db: Session, slug: str) -> Space | None:
    """The space with this slug."""
    return db.scalar(select(Space).where(Space.slug == slug))


def list_spaces(db: Session, *, closed: bool = False) -> Sequence[Space]:
    """Open spaces (or, with ``closed``, closed ones), by name."""
    condition = Space.closed_at.is_not(None) if closed else Space.closed_at.is_(None)
    return db.scalars(select(Space).where(condition).order_by(Space.name, Space.id)).all()


def member_counts(db: Session, space_ids: Collection[int]) -> dict[int, int]:
    """How many distinct holders (contacts and organisations) each space has, in one query."""
    if not space_ids:
        return {}
    holders = func.count(func.distinct(SpaceMembership.contact_id)) + func.count(
        func.distinct(SpaceMembership.organisation_id)
    )
    rows = db.execute(
        select(SpaceMembership.space_id, holders)
        .where(SpaceMembership.space_id.in_(space_ids))
        .group_by(SpaceMembership.space_id)
    ).all()
    return {space_id: count for space_id, count in rows}


@dataclass
class KindGroup:
    """The spaces of one kind, for the list page."""

    kind: str
    label: str
    description: str
    spaces: list[Space] = field(default_factory=list)


def group_by_kind(spaces: Sequence[Space], kinds: Mapping[str, SpaceKind]) -> list[KindGroup]:
    """Spaces grouped by kind, in the order the kinds were declared; undeclared kinds last."""
    groups = {name: KindGroup(name, str(k.label), str(k.description)) for name, k in kinds.items()}
    other = KindGroup("", _("Autres espaces"), "")
    for space in spaces:
        groups.get(space.kind, other).spaces.append(space)
    return [g for g in [*groups.values(), other] if g.spaces]


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


# ------------------------------------------------------------------------------- memberships


def add_membership(
    db: Session,
    space: Space,
    role: str,
    *,
    contact_id: int | None = None,
    organisation_id: int | None = None,
) -> SpaceMembership:
    """Give a contact or an organisation a role in a space (no duplicate is created, no audit).

    For demo data and plugins' own services; pages use :func:`add_member`.
    """
    if (contact_id is None) == (organisation_id is None):
        raise ValueError("a membership names exactly one contact or one organisation")
    existing = _find_membership(db, space.id, role, contact_id, organisation_id)
    if existing is not None:
        return existing
    membership = SpaceMembership(
        space_id=space.id, role=role, contact_id=contact_id, organisation_id=organisation_id
    )
    db.add(membership)
    db.flush()
    return membership


def _find_membership(
    db: Session, space_id: int, role: str, contact_id: int | None, organisation_id: int | None
) -> SpaceMembership | None:
    holder = (
        SpaceMembership.contact_id == contact_id
        if contact_id is not None
        else SpaceMembership.organisation_id == organisation_id
    )
    return db.scalar(
        select(SpaceMembership).where(
            SpaceMembership.space_id == space_id, SpaceMembership.role == role, holder
        )
    )


def memberships(db: Session, space_id: int, role: str | None = None) -> Sequence[SpaceMembership]:
    """A space's memberships, optionally of one role (holders not loaded)."""
    stmt = select(SpaceMembership).where(SpaceMembership.space_id == space_id)
    if role is not None:
        stmt = stmt.where(SpaceMembership.role == role)
    return db.scalars(stmt.order_by(SpaceMembership.id)).all()


def holder_name(membership: SpaceMembership) -> str:
    """The name of who holds a membership (its holder must be loaded)."""
    if membership.contact is not None:
        return membership.contact.full_name
    return membership.organisation.name if membership.organisation is not None else ""


def holder_label(db: Session, contact_id: int | None, organisation_id: int | None) -> str:
    """The name of a contact or an organisation, by id (empty when it does not exist)."""
    if contact_id is not None:
        contact = db.get(Contact, contact_id)
        return contact.full_name if contact else ""
    organisation = db.get(Organisation, organisation_id) if organisation_id is not None else None
    return organisation.name if organisation else ""


def members(db: Session, space_id: int) -> list[SpaceMembership]:
    """A space's memberships with their holders (and a contact's organisations) loaded, by name."""
    rows = db.scalars(
        select(SpaceMembership)
        .where(SpaceMembership.space_id == space_id)
        .options(
            selectinload(SpaceMembership.contact)
            .selectinload(Contact.affiliations)
            .selectinload(Affiliation.organisation),
            selectinload(SpaceMembership.organisation),
        )
    ).all()
    return sorted(rows, key=lambda m: (m.contact is None, fold(_sort_name(m)), m.id))


def _sort_name(membership: SpaceMembership) -> str:
    if membership.contact is not None:
        return f"{membership.contact.last_name} {membership.contact.first_name}"
    return holder_name(membership)


@dataclass
class RoleGroup:
    """The holders of one role in a space, for the space and members pages."""

    role: str
    label: str
    memberships: list[SpaceMembership] = field(default_factory=list)


def group_by_role(items: Sequence[SpaceMembership], roles: Mapping[str, SpaceRole]) -> list[RoleGroup]:
    """Memberships grouped by role, in the order roles were declared; unknown roles last, by code."""
    groups = {name: RoleGroup(name, str(r.label)) for name, r in roles.items()}
    for membership in items:
        if membership.role not in groups:
            groups[membership.role] = RoleGroup(membership.role, membership.role)
        groups[membership.role].memberships.append(membership)
    return [g for g in groups.values() if g.memberships]


def held_roles(groups: Sequence[RoleGroup]) -> dict[str, list[str]]:
    """Role labels by holder key (``contact:12``, ``organisation:5``), to mark search results."""
    held: dict[str, list[str]] = {}
    for group in groups:
        for membership in group.memberships:
            key = _holder_key(membership.contact_id, membership.organisation_id)
            held.setdefault(key, []).append(group.label)
    return held


def parse_holder(value: str) -> tuple[int | None, int | None]:
    """``"contact:12"`` → ``(12, None)``, ``"organisation:5"`` → ``(None, 5)``; SpaceError otherwise."""
    match = re.fullmatch(r"(contact|organisation):([0-9]{1,18})", (value or "").strip())
    if match is None:
        raise SpaceError(_("Choisissez une personne ou une organisation dans les résultats."), "holder")
    number = int(match.group(2))
    return (number, None) if match.group(1) == "contact" else (None, number)


def add_member(
    db: Session,
    actor: User | None,
    space: Space,
    role: str,
    roles: Collection[str],
    *,
    contact_id: int | None = None,
    organisation_id: int | None = None,
) -> tuple[SpaceMembership, bool]:
    """Give a contact or an organisation a declared role; returns ``(membership, created)``.

    Organisations only ever hold membership (``core.member``); a person holds any declared
    role. Adding what exists already changes nothing and is not audited.
    """
    if role not in roles:
        raise SpaceError(_("Choisissez un rôle de la liste."), "role")
    if (contact_id is None) == (organisation_id is None):
        raise SpaceError(_("Choisissez une personne ou une organisation dans les résultats."), "holder")
    if contact_id is not None:
        contact = db.get(Contact, contact_id)
        if contact is None or contact.anonymised_at is not None:
            raise SpaceError(_("Cette personne n'existe pas ou plus dans l'annuaire."), "holder")
        name = contact.full_name
    else:
        organisation = db.get(Organisation, organisation_id)
        if organisation is None:
            raise SpaceError(_("Cette organisation n'existe pas ou plus dans l'annuaire."), "holder")
        if role != MEMBER:
            raise SpaceError(
                _("Une organisation ne peut être que membre : choisissez le rôle « Membre »."), "role"
            )
        name = organisation.name
    existing = _find_membership(db, space.id, role, contact_id, organisation_id)
    if existing is not None:
        return existing, False
    membership = add_membership(db, space, role, contact_id=contact_id, organisation_id=organisation_id)
    audit.record(
        db,
        actor,
        "spaces.membership.added",
        space,
        summary=f"{name} : {role}",
        changes={"role": [None, role], "holder": [None, _holder_key(contact_id, organisation_id)]},
    )
    return membership, True


def remove_member(db: Session, actor: User | None, space: Space, membership_id: int) -> SpaceMembership:
    """Remove one membership of ``space``; ``LookupError`` when it is not one of its memberships."""
    membership = db.scalar(
        select(SpaceMembership)
        .where(SpaceMembership.id == membership_id, SpaceMembership.space_id == space.id)
        .options(selectinload(SpaceMembership.contact), selectinload(SpaceMembership.organisation))
    )
    if membership is None:
        raise LookupError(membership_id)
    name = holder_name(membership)
    holder = _holder_key(membership.contact_id, membership.organisation_id)
    db.delete(membership)
    db.flush()
    audit.record(
        db,
        actor,
        "spaces.membership.removed",
        space,
        summary=f"{name} : {membership.role}",
        changes={"role": [membership.role, None], "holder": [holder, None]},
    )
    return membership


def _holder_key(contact_id: int | None, organisation_id: int | None) -> str:
    return f"contact:{contact_id}" if contact_id is not None else f"organisation:{organisation_id}"


# ------------------------------------------------------------------------------ holder search


@dataclass
class HolderResults:
    """Who a search for a new member found."""

    query: str
    too_short: bool = False
    contacts: list[Contact] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.contacts and not self.organisations


def search_holders(db: Session, query: str, limit: int = SEARCH_LIMIT) -> HolderResults:
    """Contacts and organisations whose name (or a contact's function/address) holds every word.

    Case and accents are ignored (both sides are folded). Queries shorter than
    :data:`SEARCH_MIN` characters find nothing. Erased (anonymised) contacts are never found.
    """
    query = " ".join((query or "").split())[:100]
    words = fold(query).split()[:8]
    results = HolderResults(query)
    if len(fold(query).replace(" ", "")) < SEARCH_MIN:
        results.too_short = True
        return results
    contact_terms = [
        or_(
            Contact.search_doc.contains(w, autoescape=True),
            func.lower(Contact.email).contains(w, autoescape=True),
        )
        for w in words
    ]
    results.contacts = list(
        db.scalars(
            select(Contact)
            .where(Contact.anonymised_at.is_(None), and_(*contact_terms))
            .options(selectinload(Contact.affiliations).selectinload(Affiliation.organisation))
            .order_by(Contact.last_name, Contact.first_name, Contact.id)
            .limit(limit)
        )
    )
    results.organisations = list(
        db.scalars(
            select(Organisation)
            .where(and_(*[Organisation.name_key.contains(w, autoescape=True) for w in words]))
            .order_by(Organisation.name_key, Organisation.id)
            .limit(limit)
        )
    )
    return results
