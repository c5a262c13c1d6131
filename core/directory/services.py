"""Directory services: organisations, contacts, affiliations and tags.

Plain functions over a Session (no web imports), shared by the pages, the CSV import and the
command line. They validate and normalise what they are given (phone numbers to E.164,
http(s) websites only, email addresses checked and lower-cased, lengths within the columns),
keep ``name_key`` and ``search_doc`` in step, and write an audit entry for every change, all in
the caller's transaction: a failure leaves nothing half-written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from core.accounts.permissions import is_animator_somewhere
from core.audit import services as audit
from core.db import utcnow
from core.directory import vocab
from core.directory.models import Affiliation, Contact, Organisation, OrganisationTag
from core.directory.normalise import contact_name_key, fold, name_key
from core.directory.search import contact_document, organisation_document
from core.i18n import gettext as _
from core.spaces.models import Space, SpaceMembership
from core.web.forms import normalise_email_address, normalise_phone, normalise_url

if TYPE_CHECKING:
    from core.accounts.models import User

#: longest free text (description, commitments) accepted
TEXT_MAX = 10_000
#: value written in the audit log instead of a person's data (the log is append-only)
REDACTED = "***"

ORGANISATION_FIELDS = (
    "name",
    "kind",
    "is_signatory",
    "commitments",
    "address",
    "postcode",
    "city",
    "website",
    "email",
    "phone",
    "description",
)
CONTACT_FIELDS = ("first_name", "last_name", "function", "email", "phone", "consent_listed")
_MULTILINE = frozenset({"commitments", "description"})
# control characters other than tab and newlines (PostgreSQL refuses NUL in text)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRUE = frozenset({"oui", "o", "vrai", "1", "x", "yes", "y", "true", "on"})
_FALSE = frozenset({"non", "n", "faux", "0", "no", "false", "off", ""})


class InvalidInput(ValueError):
    """Bad values, as French messages keyed by field name (routes show them next to fields)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class DuplicateSuspected(InvalidInput):
    """The organisation or contact looks like one already in the directory (same folded name
    or same email); the caller asks for a confirmation before creating it anyway."""

    def __init__(self, errors: dict[str, str], duplicates: Sequence[Organisation | Contact]) -> None:
        super().__init__(errors)
        self.duplicates = list(duplicates)


# -------------------------------------------------------------------------------- cleaning


def clean_text(value: Any, *, multiline: bool = False) -> str:
    """Text without control characters; single-line text has its whitespace collapsed."""
    text = "" if value is None else str(value)
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        return " ".join(text.split())
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def parse_bool(value: Any) -> bool | None:
    """``True``/``False`` from a boolean or a French or English word ("oui", "non", "x"…);
    ``None`` when the word means neither."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    word = fold(str(value))
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


def _max_length(model: type[Any], field: str) -> int:
    length = getattr(model.__table__.c[field].type, "length", None)
    return int(length) if length else TEXT_MAX


def _too_long(limit: int) -> str:
    return _("Ce texte est trop long : %(max)s caractères au plus.", max=limit)


def _clean_fields(
    model: type[Any], values: Mapping[str, Any], fields: Sequence[str], errors: dict[str, str]
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in fields:
        raw = values.get(field)
        if model.__table__.c[field].type.python_type is bool:
            flag = parse_bool(raw)
            if flag is None:
                errors[field] = _("Répondez par « oui » ou « non ».")
            data[field] = bool(flag)
            continue
        text = clean_text(raw, multiline=field in _MULTILINE)
        try:
            if field == "email":
                text = normalise_email_address(text).lower()
            elif field == "phone":
                text = normalise_phone(text)
            elif field == "website":
                text = normalise_url(text)
        except ValueError as exc:
            errors[field] = str(exc)
        limit = _max_length(model, field)
        if field not in errors and len(text) > limit:
            errors[field] = _too_long(limit)
        data[field] = text
    return data


def _codes(raw: Any, vocabulary: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The codes named in ``raw`` (a list, or one text separated by ``|``, ``;``, ``,``) and
    the names that match none."""
    if raw is None:
        return [], []
    items = re.split(r"[|;,\n]", raw) if isinstance(raw, str) else list(raw)
    found: list[str] = []
    bad: list[str] = []
    for item in items:
        item = clean_text(item)
        if not item:
            continue
        code = vocab.lookup(vocabulary, item)
        if code is None:
            bad.append(item[:60])
        elif code not in found:
            found.append(code)
    return found, bad


def clean_organisation(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validated, normalised organisation values, plus ``tags``; :class:`InvalidInput` otherwise.

    ``values`` holds the fields of :data:`ORGANISATION_FIELDS` (missing ones are empty) and
    ``pillars`` / ``themes``: codes or French labels, as a list or one text separated by
    ``|``, ``;`` or ``,``. ``kind`` too takes a code or a label; empty means "autre".
    """
    errors: dict[str, str] = {}
    data = _clean_fields(Organisation, values, ORGANISATION_FIELDS, errors)
    if not data["name"] and "name" not in errors:
        errors["name"] = _("Le nom est obligatoire.")
    kind = data["kind"]
    if not kind:
        data["kind"] = "autre"
    elif "kind" not in errors:
        code = vocab.lookup(vocab.ORGANISATION_KINDS, kind)
        if code is None:
            errors["kind"] = _("Type d'organisation inconnu : « %(value)s ».", value=kind[:60])
        else:
            data["kind"] = code
    pillars, bad = _codes(values.get("pillars"), vocab.PILLARS)
    if bad:
        errors["pillars"] = _("Pilier inconnu : %(values)s.", values=", ".join(bad))
    themes, bad = _codes(values.get("themes"), vocab.THEMES)
    if bad:
        errors["themes"] = _("Thème inconnu : %(values)s.", values=", ".join(bad))
    if errors:
        raise InvalidInput(errors)
    data["tags"] = [vocab.pillar_tag(p) for p in pillars] + [vocab.theme_tag(t) for t in themes]
    return data


def clean_contact(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validated, normalised contact values (:data:`CONTACT_FIELDS`); :class:`InvalidInput` otherwise."""
    errors: dict[str, str] = {}
    data = _clean_fields(Contact, values, CONTACT_FIELDS, errors)
    if not data["last_name"] and "last_name" not in errors:
        errors["last_name"] = _("Le nom de famille est obligatoire.")
    if errors:
        raise InvalidInput(errors)
    return data


def clean_role(value: Any) -> str:
    """A role in an organisation: one line, within the column; :class:`InvalidInput` otherwise."""
    role = clean_text(value)
    limit = _max_length(Affiliation, "role")
    if len(role) > limit:
        raise InvalidInput({"role": _too_long(limit)})
    return role


# ---------------------------------------------------------------------------------- audit


def _created_changes(data: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {k: [None, v] for k, v in data.items() if v not in ("", None, [], False)}


def _redact(changes: dict[str, list[Any]], model: type[Any]) -> dict[str, list[Any]]:
    """Keep which personal fields changed, not their values: the audit log is never erased."""
    columns = model.__table__.c
    return {
        key: [REDACTED, REDACTED] if key in columns and columns[key].info.get("personal") else value
        for key, value in changes.items()
    }


# ---------------------------------------------------------------------------- organisations


def _set_tags(org: Organisation, tags: Iterable[str]) -> None:
    existing = {t.tag: t for t in org.tags}
    org.tags = [existing.get(tag) or OrganisationTag(tag=tag) for tag in tags]


def _refuse_duplicate_organisation(db: Session, data: Mapping[str, Any], exclude_id: int | None) -> None:
    found = organisation_duplicates(db, data["name"], data["email"], exclude_id=exclude_id)
    if found:
        names = ", ".join(f"« {o.name} »" for o in found[:3])
        raise DuplicateSuspected(
            {
                "name": _(
                    "Une organisation semblable existe déjà (même nom ou même adresse électronique) : "
                    "%(names)s.",
                    names=names,
                )
            },
            found,
        )


def create_organisation(
    db: Session, actor: User | None, values: Mapping[str, Any], *, refuse_duplicates: bool = False
) -> Organisation:
    """Create an organisation from raw values (see :func:`clean_organisation`).

    With ``refuse_duplicates``, raise :class:`DuplicateSuspected` when one with the same
    folded name or email exists.
    """
    data = clean_organisation(values)
    if refuse_duplicates:
        _refuse_duplicate_organisation(db, data, None)
    tags = data.pop("tags")
    org = Organisation(**data, name_key=name_key(data["name"])[:200])
    _set_tags(org, tags)
    org.search_doc = organisation_document(org)
    db.add(org)
    db.flush()
    audit.record(
        db,
        actor,
        "directory.organisation.created",
        org,
        summary=org.name,
        changes=_created_changes({**data, "tags": tags}),
    )
    return org


def update_organisation(
    db: Session,
    actor: User | None,
    org: Organisation,
    values: Mapping[str, Any],
    *,
    refuse_duplicates: bool = False,
) -> dict[str, list[Any]]:
    """Change an organisation; return the changes recorded (empty when nothing changed).

    With ``refuse_duplicates``, a new name or email that another organisation already has
    raises :class:`DuplicateSuspected`.
    """
    data = clean_organisation(values)
    if refuse_duplicates and (name_key(data["name"])[:200] != org.name_key or data["email"] != org.email):
        _refuse_duplicate_organisation(db, data, org.id)
    tags = data.pop("tags")
    changes = audit.diff(org, data)
    old_tags = sorted(t.tag for t in org.tags)
    if sorted(tags) != old_tags:
        changes["tags"] = [old_tags, sorted(tags)]
    if not changes:
        return {}
    for key, value in data.items():
        setattr(org, key, value)
    org.name_key = name_key(org.name)[:200]
    _set_tags(org, tags)
    org.search_doc = organisation_document(org)
    db.flush()
    if "name" in changes:
        # the contacts' documents carry their organisations' names
        refresh_contact_documents(db, _contacts_of([org.id], db))
    audit.record(db, actor, "directory.organisation.updated", org, summary=org.name, changes=changes)
    return changes


def delete_organisation(db: Session, actor: User | None, org: Organisation) -> None:
    """Delete an organisation with its affiliations, tags and space memberships."""
    contacts = _contacts_of([org.id], db)
    audit.record(db, actor, "directory.organisation.deleted", org, summary=org.name)
    db.delete(org)
    db.flush()
    refresh_contact_documents(db, contacts)


def get_organisation(db: Session, organisation_id: int) -> Organisation | None:
    """An organisation with its tags."""
    return db.get(Organisation, organisation_id)


def organisation_duplicates(
    db: Session, name: str, email: str = "", *, exclude_id: int | None = None
) -> list[Organisation]:
    """Existing organisations that are probably the same: same folded name, or same email."""
    conditions = [Organisation.name_key == name_key(name)[:200]]
    if email.strip():
        conditions.append(Organisation.email == email.strip().lower())
    stmt = select(Organisation).where(or_(*conditions))
    if exclude_id is not None:
        stmt = stmt.where(Organisation.id != exclude_id)
    return list(db.scalars(stmt.order_by(Organisation.name_key).limit(10)))


def organisation_choices(db: Session) -> list[tuple[int, str]]:
    """``(id, name)`` of every organisation, by name (for affiliation forms)."""
    stmt = select(Organisation.id, Organisation.name).order_by(Organisation.name_key, Organisation.id)
    rows = db.execute(stmt)
    return [(row.id, row.name) for row in rows]


@dataclass(frozen=True)
class SpaceTie:
    """A space an organisation or a contact takes part in, and how."""

    space: Space
    role: str
    #: the name of the contact through whom an organisation takes part (``None``: directly)
    through: str | None = None


def organisation_spaces(db: Session, organisation_id: int, *, with_people: bool) -> list[SpaceTie]:
    """The open spaces an organisation takes part in, directly or (``with_people``) through
    its contacts, by space name."""
    stmt = (
        select(Space, SpaceMembership.role)
        .join(SpaceMembership, SpaceMembership.space_id == Space.id)
        .where(SpaceMembership.organisation_id == organisation_id, Space.closed_at.is_(None))
    )
    ties = [SpaceTie(space, role) for space, role in db.execute(stmt)]
    if with_people:
        via = (
            select(Space, SpaceMembership.role, Contact)
            .join(SpaceMembership, SpaceMembership.space_id == Space.id)
            .join(Contact, Contact.id == SpaceMembership.contact_id)
            .join(Affiliation, Affiliation.contact_id == Contact.id)
            .where(Affiliation.organisation_id == organisation_id, Space.closed_at.is_(None))
        )
        ties += [SpaceTie(space, role, contact.full_name) for space, role, contact in db.execute(via)]
    return sorted(ties, key=lambda t: (fold(t.space.name), t.through or ""))


def organisation_contacts(
    db: Session, organisation_id: int, *, include_unlisted: bool, viewer_contact_id: int | None = None
) -> list[Affiliation]:
    """An organisation's affiliations (with their contacts) that the viewer may see, by name."""
    stmt = (
        select(Affiliation)
        .join(Contact, Contact.id == Affiliation.contact_id)
        .options(selectinload(Affiliation.contact))
        .where(Affiliation.organisation_id == organisation_id, Contact.anonymised_at.is_(None))
        .order_by(Contact.name_key, Contact.id)
    )
    if not include_unlisted:
        visible: ColumnElement[bool] = Contact.consent_listed.is_(True)
        if viewer_contact_id is not None:
            visible = or_(visible, Contact.id == viewer_contact_id)
        stmt = stmt.where(visible)
    return list(db.scalars(stmt))


# ---------------------------------------------------------------------------------- contacts


def _contacts_of(organisation_ids: list[int], db: Session) -> list[Contact]:
    ids = select(Affiliation.contact_id).where(Affiliation.organisation_id.in_(organisation_ids))
    return list(db.scalars(select(Contact).where(Contact.id.in_(ids))))


def refresh_contact_documents(db: Session, contacts: Sequence[Contact]) -> None:
    """Recompute the search documents of ``contacts`` (their organisations' names included)."""
    if not contacts:
        return
    db.flush()
    ties: dict[int, list[tuple[str, str]]] = {c.id: [] for c in contacts}
    for chunk_start in range(0, len(contacts), 500):
        ids = [c.id for c in contacts[chunk_start : chunk_start + 500]]
        rows = db.execute(
            select(Affiliation.contact_id, Organisation.name, Affiliation.role)
            .join(Organisation, Organisation.id == Affiliation.organisation_id)
            .where(Affiliation.contact_id.in_(ids))
            .order_by(Affiliation.id)
        )
        for contact_id, org_name, role in rows:
            ties[contact_id].append((org_name, role))
    for contact in contacts:
        contact.name_key = contact_name_key(contact.first_name, contact.last_name)[:200]
        contact.search_doc = contact_document(contact, ties[contact.id])


def _consent_moment(contact: Contact, consent: bool, now: datetime) -> datetime | None:
    if not consent:
        return None
    return contact.consent_at if contact.consent_listed and contact.consent_at else now


def _refuse_duplicate_contact(db: Session, data: Mapping[str, Any], exclude_id: int | None) -> None:
    found = contact_duplicates(
        db, data["first_name"], data["last_name"], data["email"], exclude_id=exclude_id
    )
    if found:
        names = ", ".join(f"« {c.full_name} »" for c in found[:3])
        raise DuplicateSuspected(
            {
                "last_name": _(
                    "Une personne semblable est déjà dans l'annuaire (même nom ou même adresse "
                    "électronique) : %(names)s.",
                    names=names,
                )
            },
            found,
        )


def create_contact(
    db: Session,
    actor: User | None,
    values: Mapping[str, Any],
    *,
    now: datetime | None = None,
    refuse_duplicates: bool = False,
) -> Contact:
    """Create a contact from raw values (see :func:`clean_contact`).

    With ``refuse_duplicates``, raise :class:`DuplicateSuspected` when a contact with the same
    folded name or email exists.
    """
    data = clean_contact(values)
    if refuse_duplicates:
        _refuse_duplicate_contact(db, data, None)
    contact = Contact(**data)
    contact.consent_at = (now or utcnow()) if data["consent_listed"] else None
    db.add(contact)
    db.flush()
    refresh_contact_documents(db, [contact])
    audit.record(
        db,
        actor,
        "directory.contact.created",
        contact,
        changes=_redact(_created_changes(data), Contact),
    )
    return contact


def update_contact(
    db: Session,
    actor: User | None,
    contact: Contact,
    values: Mapping[str, Any],
    *,
    now: datetime | None = None,
    refuse_duplicates: bool = False,
) -> dict[str, list[Any]]:
    """Change a contact; return the (redacted) changes recorded, empty when nothing changed.

    With ``refuse_duplicates``, a new name or email that another contact already has raises
    :class:`DuplicateSuspected`.
    """
    data = clean_contact(values)
    new_key = contact_name_key(data["first_name"], data["last_name"])[:200]
    if refuse_duplicates and (new_key != contact.name_key or data["email"] != contact.email):
        _refuse_duplicate_contact(db, data, contact.id)
    changes = audit.diff(contact, data)
    if not changes:
        return {}
    contact.consent_at = _consent_moment(contact, data["consent_listed"], now or utcnow())
    for key, value in data.items():
        setattr(contact, key, value)
    refresh_contact_documents(db, [contact])
    changes = _redact(changes, Contact)
    audit.record(db, actor, "directory.contact.updated", contact, changes=changes)
    return changes


def delete_contact(db: Session, actor: User | None, contact: Contact) -> None:
    """Delete a contact with their affiliations and space memberships (accounts keep existing)."""
    audit.record(db, actor, "directory.contact.deleted", contact)
    db.delete(contact)
    db.flush()


def get_contact(db: Session, contact_id: int) -> Contact | None:
    """A contact, with their affiliations and organisations loaded."""
    return db.scalar(
        select(Contact)
        .where(Contact.id == contact_id)
        .options(selectinload(Contact.affiliations).selectinload(Affiliation.organisation))
    )


def contact_duplicates(
    db: Session, first_name: str, last_name: str, email: str = "", *, exclude_id: int | None = None
) -> list[Contact]:
    """Existing contacts that are probably the same person: same folded name, or same email."""
    conditions = [Contact.name_key == contact_name_key(first_name, last_name)[:200]]
    if email.strip():
        conditions.append(Contact.email == email.strip().lower())
    stmt = select(Contact).where(or_(*conditions), Contact.anonymised_at.is_(None))
    if exclude_id is not None:
        stmt = stmt.where(Contact.id != exclude_id)
    return list(db.scalars(stmt.order_by(Contact.name_key).limit(10)))


def contact_spaces(db: Session, contact_id: int) -> list[SpaceTie]:
    """The open spaces a contact takes part in personally, by space name."""
    stmt = (
        select(Space, SpaceMembership.role)
        .join(SpaceMembership, SpaceMembership.space_id == Space.id)
        .where(SpaceMembership.contact_id == contact_id, Space.closed_at.is_(None))
    )
    ties = [SpaceTie(space, role) for space, role in db.execute(stmt)]
    return sorted(ties, key=lambda t: fold(t.space.name))


# ------------------------------------------------------------------------------ affiliations


def set_affiliation(
    db: Session,
    actor: User | None,
    contact: Contact,
    organisation: Organisation,
    role: str = "",
    *,
    is_primary: bool = False,
) -> Affiliation:
    """Tie a contact to an organisation with a role (or change the role of an existing tie).

    The first affiliation of a contact is their primary one; ``is_primary`` makes this one
    primary and the others not.
    """
    role = clean_role(role)
    existing = list(db.scalars(select(Affiliation).where(Affiliation.contact_id == contact.id)))
    affiliation = next((a for a in existing if a.organisation_id == organisation.id), None)
    primary = is_primary or not [a for a in existing if a is not affiliation]
    if affiliation is None:
        affiliation = Affiliation(
            contact_id=contact.id, organisation_id=organisation.id, role=role, is_primary=primary
        )
        db.add(affiliation)
        action = "directory.affiliation.added"
        changes: dict[str, list[Any]] = {"organisation": [None, organisation.name], "role": [None, role]}
    else:
        changes = audit.diff(affiliation, {"role": role, "is_primary": primary or affiliation.is_primary})
        affiliation.role = role
        affiliation.is_primary = primary or affiliation.is_primary
        action = "directory.affiliation.updated"
        changes["organisation"] = [organisation.name, organisation.name]
    if primary:
        for other in existing:
            if other is not affiliation:
                other.is_primary = False
    db.flush()
    refresh_contact_documents(db, [contact])
    audit.record(db, actor, action, contact, summary=organisation.name, changes=changes)
    return affiliation


def remove_affiliation(db: Session, actor: User | None, affiliation: Affiliation) -> None:
    """Untie a contact from an organisation (another tie becomes primary when needed)."""
    contact = db.get(Contact, affiliation.contact_id)
    organisation = db.get(Organisation, affiliation.organisation_id)
    assert contact is not None and organisation is not None
    was_primary = affiliation.is_primary
    db.delete(affiliation)
    db.flush()
    if was_primary:
        remaining = db.scalars(
            select(Affiliation).where(Affiliation.contact_id == contact.id).order_by(Affiliation.id)
        ).first()
        if remaining is not None:
            remaining.is_primary = True
    refresh_contact_documents(db, [contact])
    audit.record(
        db,
        actor,
        "directory.affiliation.removed",
        contact,
        summary=organisation.name,
        changes={"organisation": [organisation.name, None], "role": [affiliation.role, None]},
    )


def get_affiliation(db: Session, affiliation_id: int) -> Affiliation | None:
    """An affiliation by id."""
    return db.get(Affiliation, affiliation_id)


# ----------------------------------------------------------------------------- permissions


def may_edit(db: Session, user: User | None) -> bool:
    """Admins and the animators of any space edit the shared directory."""
    return is_animator_somewhere(db, user)


def may_see_unlisted(db: Session, user: User | None) -> bool:
    """Admins and animators also see the contacts who did not consent to be listed."""
    return is_animator_somewhere(db, user)


def may_see_contact(db: Session, user: User | None, contact: Contact) -> bool:
    """Whether ``user`` may open a contact's page: signed in, and the contact is listed, is
    the user, or the user is an admin or animator. Erased contacts are shown to nobody."""
    if user is None or contact.anonymised_at is not None:
        return False
    return contact.consent_listed or user.contact_id == contact.id or may_see_unlisted(db, user)


# --------------------------------------------------------------------------------- upkeep


def reindex(db: Session) -> tuple[int, int]:
    """Recompute every name key and search document (after a change of how they are built);
    return the numbers of organisations and contacts."""
    orgs = list(db.scalars(select(Organisation).options(selectinload(Organisation.tags))))
    for org in orgs:
        org.name_key = name_key(org.name)[:200]
        org.search_doc = organisation_document(org)
    contacts = list(db.scalars(select(Contact).where(Contact.anonymised_at.is_(None))))
    for start in range(0, len(contacts), 500):
        refresh_contact_documents(db, contacts[start : start + 500])
    db.flush()
    return len(orgs), len(contacts)
