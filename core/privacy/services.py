"""Personal data: export a person's data, erase it everywhere, purge what outlived its retention.

Everything here walks the schema (:mod:`core.privacy.schema`): a table written tomorrow by a
plugin is covered as soon as it marks its personal columns and links its rows to a contact, a
user or an email address.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.accounts.models import User
from core.audit import services as audit
from core.config import Settings
from core.directory.models import Affiliation, Contact
from core.privacy.schema import (
    SECRET_COLUMNS,
    PersonLinks,
    is_email_column,
    personal_columns,
    retention_rules,
    walk,
)
from core.spaces.models import SpaceMembership

if TYPE_CHECKING:
    from core.db import Retention

#: what replaces a name or an address found in free text or in an audit entry
PLACEHOLDER = "[personne effacée]"
ERASED_DOMAIN = "reseau.invalid"
ERASED_CONTACT_NAME = "Personne effacée"
ERASED_USER_NAME = "Compte effacé"


class SubjectNotFound(LookupError):
    """No contact or user with that id."""


@dataclass
class Subject:
    """One person as the database knows them: their contact rows, accounts, addresses, names."""

    contact_ids: set[int] = field(default_factory=set)
    user_ids: set[int] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return ", ".join(sorted(self.names)) or ", ".join(sorted(self.emails))


def resolve(db: Session, *, contact_id: int | None = None, user_id: int | None = None) -> Subject:
    """The person behind a contact and/or a user, with the other side of the link followed."""
    subject = Subject()
    users: list[User] = []
    contacts: list[Contact] = []
    if user_id is not None:
        user = db.get(User, user_id)
        if user is None:
            raise SubjectNotFound(f"user {user_id}")
        users.append(user)
        if user.contact_id is not None:
            contacts.extend(c for c in [db.get(Contact, user.contact_id)] if c is not None)
    if contact_id is not None:
        contact = db.get(Contact, contact_id)
        if contact is None:
            raise SubjectNotFound(f"contact {contact_id}")
        if contact not in contacts:
            contacts.append(contact)
    if contacts:
        linked = db.scalars(sa.select(User).where(User.contact_id.in_([c.id for c in contacts])))
        users.extend(u for u in linked if u not in users)
    # the same person under a second contact row or account with the same address
    emails = {u.email.lower() for u in users} | {c.email.lower() for c in contacts}
    emails = {e for e in emails if e.strip() and not e.endswith("@" + ERASED_DOMAIN)}
    if emails:
        for contact in db.scalars(sa.select(Contact).where(sa.func.lower(Contact.email).in_(emails))):
            if contact not in contacts:
                contacts.append(contact)
        for user in db.scalars(sa.select(User).where(sa.func.lower(User.email).in_(emails))):
            if user not in users:
                users.append(user)
    for user in users:
        subject.user_ids.add(user.id)
        _add(subject.emails, user.email.lower())
        _add(subject.names, user.display_name)
    for contact in contacts:
        subject.contact_ids.add(contact.id)
        _add(subject.emails, contact.email.lower())
        _add(subject.names, f"{contact.first_name} {contact.last_name}".strip())
    return subject


def _add(bag: set[str], value: str) -> None:
    # very short values ("Li") would scrub unrelated text
    if len(value.strip()) >= 4 and not value.endswith("@" + ERASED_DOMAIN):
        bag.add(value.strip())


def _conditions(subject: Subject, links: PersonLinks, *, with_actors: bool) -> list[sa.ColumnElement[bool]]:
    table = links.table
    conds: list[sa.ColumnElement[bool]] = []
    for name in links.contact_columns:
        if (with_actors or name not in links.actor_columns) and subject.contact_ids:
            conds.append(table.c[name].in_(subject.contact_ids))
    for name in links.user_columns:
        if (with_actors or name not in links.actor_columns) and subject.user_ids:
            conds.append(table.c[name].in_(subject.user_ids))
    if subject.emails:
        conds.extend(sa.func.lower(table.c[n]).in_(subject.emails) for n in links.email_columns)
    if table.name == "contacts" and subject.contact_ids:
        conds.append(table.c.id.in_(subject.contact_ids))
    if table.name == "users" and subject.user_ids:
        conds.append(table.c.id.in_(subject.user_ids))
    if {"object_type", "object_id"} <= set(table.c.keys()):
        # audit references: entries about the person's contact or account
        for kind, ids in (("contacts", subject.contact_ids), ("users", subject.user_ids)):
            if ids:
                refs = [str(i) for i in ids]
                conds.append(sa.and_(table.c.object_type == kind, table.c.object_id.in_(refs)))
    return conds


# ------------------------------------------------------------------------------------- export


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} octets>"
    return value


def collect(db: Session, subject: Subject) -> dict[str, list[dict[str, Any]]]:
    """Every row about the person (actor references included), by table, secrets left out."""
    found: dict[str, list[dict[str, Any]]] = {}
    for links in walk(db):
        conds = _conditions(subject, links, with_actors=True)
        if not conds:
            continue
        table = links.table
        columns = [c for c in table.columns if c.name not in SECRET_COLUMNS]
        stmt = sa.select(*columns).where(sa.or_(*conds)).order_by(*table.primary_key.columns)
        rows = db.execute(stmt).all()
        if rows:
            found[table.name] = [
                {c.name: _jsonable(v) for c, v in zip(columns, row, strict=True)} for row in rows
            ]
    return found


def export_json(db: Session, subject: Subject, now: datetime) -> bytes:
    """The person's data as one JSON document."""
    document = {
        "generated_at": now.isoformat(),
        "subject": {
            "contact_ids": sorted(subject.contact_ids),
            "user_ids": sorted(subject.user_ids),
            "emails": sorted(subject.emails),
        },
        "tables": collect(db, subject),
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode()


def export_zip(db: Session, subject: Subject, now: datetime) -> bytes:
    """The same data as a ZIP: one CSV per table (``;``, UTF-8 with BOM, for Excel) plus the JSON."""
    tables = collect(db, subject)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in tables.items():
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=";")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
                                 for k, v in row.items()})
            archive.writestr(f"{name}.csv", "\ufeff" + out.getvalue())
        archive.writestr("donnees.json", export_json(db, subject, now))
    return buffer.getvalue()


# -------------------------------------------------------------------------------------- erase


def _blank(column: sa.Column[Any], table: sa.Table) -> Any:
    """The value a personal column takes once erased, or ``None`` to leave it (no safe blank)."""
    pk = list(table.primary_key.columns)
    if is_email_column(column) and isinstance(column.type, sa.String) and len(pk) == 1:
        # unique per row, so unique constraints on addresses still hold
        return sa.literal("efface-") + sa.cast(pk[0], sa.String) + sa.literal("@" + ERASED_DOMAIN)
    if isinstance(column.type, sa.JSON):
        return sa.null() if column.nullable else {}
    if isinstance(column.type, sa.String):  # Text included
        return ""
    if column.nullable:
        return sa.null()
    return None


def blank_values(table: sa.Table) -> dict[str, Any]:
    """``{column: blank}`` for the table's personal columns that can be blanked."""
    values = {}
    for column in personal_columns(table):
        blank = _blank(column, table)
        if blank is not None:
            values[column.name] = blank
    return values


@dataclass(frozen=True)
class ErasureReport:
    """Rows touched per table by one erasure."""

    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def erase(db: Session, subject: Subject, *, actor: User | None, now: datetime) -> ErasureReport:
    """Erase the person everywhere, in the caller's transaction.

    Contact and accounts stay as anonymised rows (so counts of attendance, answers and
    registrations stay right), every personal column of every row about the person is blanked,
    their affiliations and space memberships end, their sessions and feed tokens stop working,
    and their names and addresses are replaced in free text and audit entries elsewhere.
    """
    counts: dict[str, int] = {}
    for links in walk(db):
        conds = _conditions(subject, links, with_actors=False)
        values = blank_values(links.table)
        if conds and values:
            result = db.execute(sa.update(links.table).where(sa.or_(*conds)).values(values))
            counts[links.table.name] = counts.get(links.table.name, 0) + int(result.rowcount or 0)  # type: ignore[attr-defined]
    _close_person_rows(db, subject, now)
    for table_name, n in _scrub_mentions(db, subject).items():
        counts[table_name] = counts.get(table_name, 0) + n
    audit.record(
        db,
        actor,
        "privacy.erased",
        object_type="contacts" if subject.contact_ids else "users",
        object_id=min(subject.contact_ids or subject.user_ids or {0}),
        summary="Données personnelles effacées",
        changes={"rows": counts},
    )
    db.flush()
    db.expire_all()
    return ErasureReport(counts)


def _close_person_rows(db: Session, subject: Subject, now: datetime) -> None:
    """Placeholders on the anonymised contact and account; end links and sessions."""
    from core.calendar.models import FeedToken

    if subject.contact_ids:
        db.execute(
            sa.update(Contact)
            .where(Contact.id.in_(subject.contact_ids))
            .values(last_name=ERASED_CONTACT_NAME, consent_listed=False, consent_at=None, anonymised_at=now)
        )
        db.execute(sa.delete(Affiliation).where(Affiliation.contact_id.in_(subject.contact_ids)))
        db.execute(sa.delete(SpaceMembership).where(SpaceMembership.contact_id.in_(subject.contact_ids)))
    if subject.user_ids:
        db.execute(
            sa.update(User)
            .where(User.id.in_(subject.user_ids))
            .values(
                display_name=ERASED_USER_NAME,
                password_hash=None,
                is_active=False,
                is_admin=False,
                session_version=User.session_version + 1,
            )
        )
        db.execute(
            sa.update(FeedToken)
            .where(FeedToken.user_id.in_(subject.user_ids), FeedToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    db.expire_all()


def _like(needle: str) -> str:
    escaped = needle.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _replace(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(PLACEHOLDER, value)
    if isinstance(value, list):
        return [_replace(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, pattern) for k, v in value.items()}
    return value


def _scrub_mentions(db: Session, subject: Subject) -> dict[str, int]:
    """Replace the person's names and addresses in every personal text or JSON column."""
    needles = sorted(subject.emails | subject.names, key=len, reverse=True)
    if not needles:
        return {}
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    # JSON columns hold the text escaped (``\u00e9``): look for both spellings
    forms = {form for needle in needles for form in (needle, json.dumps(needle)[1:-1])}
    counts: dict[str, int] = {}
    for links in walk(db):
        table = links.table
        pk = list(table.primary_key.columns)
        for column in personal_columns(table):
            if not pk or not isinstance(column.type, sa.String | sa.JSON):
                continue
            text = sa.func.lower(sa.cast(column, sa.Text))
            cond = sa.or_(*(text.like(_like(f), escape="\\") for f in forms))
            for row in db.execute(sa.select(*pk, column).where(cond)).all():
                new = _replace(row[-1], pattern)
                if new != row[-1]:
                    key = {c.name: v for c, v in zip(pk, row[:-1], strict=True)}
                    db.execute(sa.update(table).filter_by(**key).values({column.name: new}))
                    counts[table.name] = counts.get(table.name, 0) + 1
    return counts


# -------------------------------------------------------------------------------------- purge


@dataclass(frozen=True)
class PurgeLine:
    """One retention rule applied (or, in a dry run, measured)."""

    kind: str
    label: str
    table: str
    days: int
    action: str
    rows: int


def retention_days(settings: Settings, rule: Retention) -> int:
    """The configured period of a kind of data (``RESEAU_RETENTION``), else the declared default."""
    return settings.retention_days.get(rule.kind, rule.days)


def periods(db: Session | None, settings: Settings) -> list[tuple[Retention, int]]:
    """Each retention rule with its period in force (for the privacy page and the CLI)."""
    return [(rule, retention_days(settings, rule)) for _t, rule in retention_rules(db)]


def _still_personal(table: sa.Table) -> sa.ColumnElement[bool] | None:
    """Rows whose personal text columns are not blank yet (so an anonymised row is not counted again)."""
    conds = []
    for column in personal_columns(table):
        if isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum):
            not_blank = sa.and_(column.is_not(None), column != "")
            if is_email_column(column):
                not_blank = sa.and_(not_blank, ~column.like(f"efface-%@{ERASED_DOMAIN}"))
            conds.append(not_blank)
    return sa.or_(*conds) if conds else None


def _where(table: sa.Table, rule: Retention, cutoff: datetime) -> list[sa.ColumnElement[bool]]:
    conds: list[sa.ColumnElement[bool]] = [table.c[rule.date_column] < cutoff]
    for name, value in rule.where.items():
        values = value if isinstance(value, list | tuple | set) else [value]
        conds.append(table.c[name].in_(list(values)))
    if rule.action == "anonymise":
        pending = _still_personal(table)
        if pending is not None:
            conds.append(pending)
    return conds


def purge(db: Session, settings: Settings, now: datetime, *, dry_run: bool = False) -> list[PurgeLine]:
    """Apply every retention rule at ``now``: delete or anonymise what is older than its period.

    With ``dry_run`` nothing is written and the lines say how many rows would be.
    """
    lines: list[PurgeLine] = []
    for table, rule in retention_rules(db):
        days = retention_days(settings, rule)
        conds = _where(table, rule, now - timedelta(days=days))
        count = db.scalar(sa.select(sa.func.count()).select_from(table).where(*conds)) or 0
        if count and not dry_run:
            if rule.action == "delete":
                db.execute(sa.delete(table).where(*conds))
            else:
                db.execute(sa.update(table).where(*conds).values(blank_values(table)))
        lines.append(PurgeLine(rule.kind, rule.label, table.name, days, rule.action, count))
    if not dry_run and any(line.rows for line in lines):
        audit.record(
            db,
            None,
            "privacy.purged",
            summary="Purge des données arrivées au terme de leur durée de conservation",
            changes={line.kind: line.rows for line in lines if line.rows},
        )
    return lines


def summary(lines: Iterable[PurgeLine]) -> str:
    """A short French report, one line per rule."""
    verbs = {"delete": "à supprimer", "anonymise": "à anonymiser"}
    return "\n".join(
        f"{line.kind} ({line.table}, {line.days} jours) : {line.rows} ligne(s) {verbs[line.action]}"
        for line in lines
    )
