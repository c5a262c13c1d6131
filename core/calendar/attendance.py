"""Attendance (émargement): who was invited, who came, per organisation; walk-ins; CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.audit import services as audit
from core.calendar.models import DECLINED, Attendance, Invitation, Meeting
from core.directory.models import Affiliation, Contact, Organisation
from core.directory.normalise import fold
from core.i18n import gettext as _

if TYPE_CHECKING:
    from core.accounts.models import User


class AttendanceError(ValueError):
    """Bad attendance input (French message; ``field`` names the form field)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Person:
    """Someone on the sheet: an invitee, or a walk-in recorded as present."""

    contact: Contact
    organisation: Organisation | None
    invitation: Invitation | None = None
    attendance: Attendance | None = None

    @property
    def present(self) -> bool:
        return self.attendance is not None

    @property
    def invited(self) -> bool:
        return self.invitation is not None

    @property
    def declined(self) -> bool:
        return self.invitation is not None and self.invitation.response == DECLINED


@dataclass
class OrgGroup:
    """The people of one organisation (or of none) on the sheet."""

    organisation: Organisation | None
    people: list[Person] = field(default_factory=list)

    @property
    def represented(self) -> bool:
        return any(p.present for p in self.people)

    @property
    def present_count(self) -> int:
        return sum(1 for p in self.people if p.present)


def _sort_name(contact: Contact) -> tuple[str, str]:
    return (fold(contact.last_name), fold(contact.first_name))


def sheet(db: Session, meeting: Meeting) -> list[OrgGroup]:
    """Invitees and recorded attendees, grouped by the organisation they represent (sorted by
    name, people without one last), each person once. Three queries whatever the size."""
    invitations = db.scalars(
        select(Invitation)
        .where(Invitation.meeting_id == meeting.id)
        .options(selectinload(Invitation.contact), selectinload(Invitation.organisation))
    ).all()
    attendances = db.scalars(
        select(Attendance)
        .where(Attendance.meeting_id == meeting.id)
        .options(selectinload(Attendance.contact), selectinload(Attendance.organisation))
    ).all()
    people: dict[int, Person] = {}
    for inv in invitations:
        people[inv.contact_id] = Person(inv.contact, inv.organisation, invitation=inv)
    for att in attendances:
        person = people.get(att.contact_id)
        if person is None:
            people[att.contact_id] = Person(att.contact, att.organisation, attendance=att)
        else:
            person.attendance = att
            if att.organisation is not None:
                person.organisation = att.organisation
    groups: dict[int | None, OrgGroup] = {}
    for person in people.values():
        key = person.organisation.id if person.organisation is not None else None
        groups.setdefault(key, OrgGroup(person.organisation)).people.append(person)
    for group in groups.values():
        group.people.sort(key=lambda p: _sort_name(p.contact))
    return sorted(
        groups.values(),
        key=lambda g: (g.organisation is None, fold(g.organisation.name) if g.organisation else ""),
    )


@dataclass(frozen=True)
class Summary:
    """What the meeting page says about attendance."""

    recorded: bool
    present: int
    invited: int
    groups: list[OrgGroup]
    #: signatory organisations that were invited or came, and whether someone represented them
    signatories: list[tuple[Organisation, bool]]


def summary(groups: list[OrgGroup]) -> Summary:
    """Counts and the signatories' representation, from :func:`sheet`'s groups."""
    present = sum(g.present_count for g in groups)
    invited = sum(1 for g in groups for p in g.people if p.invited)
    signatories = [
        (g.organisation, g.represented)
        for g in groups
        if g.organisation is not None and g.organisation.is_signatory
    ]
    return Summary(present > 0, present, invited, groups, signatories)


def _primary_organisation_ids(db: Session, contact_ids: set[int]) -> dict[int, int]:
    rows = db.execute(
        select(Affiliation.contact_id, Affiliation.organisation_id, Affiliation.is_primary)
        .where(Affiliation.contact_id.in_(contact_ids))
        .order_by(Affiliation.is_primary.desc(), Affiliation.id)
    ).all()
    chosen: dict[int, int] = {}
    for contact_id, organisation_id, _primary in rows:
        chosen.setdefault(contact_id, organisation_id)
    return chosen


def record(
    db: Session, meeting: Meeting, present_ids: set[int], actor: User | None, now: datetime
) -> tuple[int, int]:
    """Make the recorded attendance match ``present_ids`` (invitees and people already recorded).

    Returns (added, removed). An id that is neither invited nor recorded is refused.
    """
    groups = sheet(db, meeting)
    known = {p.contact.id: p for g in groups for p in g.people}
    unknown = present_ids - known.keys()
    if unknown:
        raise AttendanceError(_("Une des personnes cochées n'est pas sur la liste de cette réunion."))
    added = removed = 0
    for contact_id, person in known.items():
        if contact_id in present_ids and person.attendance is None:
            org = person.organisation.id if person.organisation is not None else None
            db.add(
                Attendance(
                    meeting_id=meeting.id,
                    contact_id=contact_id,
                    organisation_id=org,
                    recorded_at=now,
                    recorded_by_id=actor.id if actor else None,
                )
            )
            added += 1
        elif contact_id not in present_ids and person.attendance is not None:
            db.delete(person.attendance)
            removed += 1
    if added or removed:
        db.flush()
        audit.record(
            db,
            actor,
            "calendar.attendance.recorded",
            meeting,
            summary=_(
                "%(added)s présence(s) ajoutée(s), %(removed)s retirée(s)", added=added, removed=removed
            ),
            changes={"present": [None, sorted(present_ids)]},
        )
    return added, removed


def add_walk_in(
    db: Session,
    meeting: Meeting,
    actor: User | None,
    now: datetime,
    *,
    contact_id: int | None = None,
    first_name: str = "",
    last_name: str = "",
    organisation_id: int | None = None,
) -> Attendance:
    """Record someone who came without an invitation: an existing contact, or a new one
    (first and last name, optional organisation) added to the directory, unlisted."""
    organisation: Organisation | None = None
    if organisation_id is not None:
        organisation = db.get(Organisation, organisation_id)
        if organisation is None:
            raise AttendanceError(_("Cette organisation n'existe pas."), "organisation_id")
    if contact_id is not None:
        contact = db.get(Contact, contact_id)
        if contact is None or contact.anonymised_at is not None:
            raise AttendanceError(_("Cette personne n'existe pas dans l'annuaire."), "contact_id")
    else:
        first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
        if not last_name:
            raise AttendanceError(_("Indiquez au moins le nom de la personne."), "last_name")
        if len(first_name) > 100 or len(last_name) > 100:
            raise AttendanceError(
                _("Le nom et le prénom ne doivent pas dépasser 100 caractères."), "last_name"
            )
        contact = Contact(
            first_name=first_name,
            last_name=last_name,
            consent_listed=False,
            search_doc=fold(f"{first_name} {last_name}"),
        )
        db.add(contact)
        db.flush()
        if organisation is not None:
            db.add(Affiliation(contact_id=contact.id, organisation_id=organisation.id, is_primary=True))
        audit.record(db, actor, "directory.contact.created", contact, summary=_("Ajout lors de l'émargement"))
    existing = db.scalar(
        select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.contact_id == contact.id)
    )
    if existing is not None:
        return existing
    if organisation is None:
        invitation = db.scalar(
            select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.contact_id == contact.id)
        )
        org_id = invitation.organisation_id if invitation is not None else None
        if org_id is None:
            org_id = _primary_organisation_ids(db, {contact.id}).get(contact.id)
    else:
        org_id = organisation.id
    attendance = Attendance(
        meeting_id=meeting.id,
        contact_id=contact.id,
        organisation_id=org_id,
        recorded_at=now,
        recorded_by_id=actor.id if actor else None,
    )
    db.add(attendance)
    db.flush()
    audit.record(db, actor, "calendar.attendance.walk_in", meeting, summary=contact.full_name)
    return attendance


@dataclass(frozen=True)
class Candidate:
    """A directory contact offered as a walk-in."""

    contact: Contact
    organisation: Organisation | None


def search_contacts(db: Session, meeting: Meeting, query: str, limit: int = 20) -> list[Candidate]:
    """Contacts whose name matches ``query`` (case and accents ignored), not yet on the sheet."""
    words = fold(query).split()
    if not words:
        return []
    on_sheet = (
        select(Attendance.contact_id)
        .where(Attendance.meeting_id == meeting.id)
        .union(select(Invitation.contact_id).where(Invitation.meeting_id == meeting.id))
    )
    stmt = select(Contact).where(Contact.anonymised_at.is_(None), Contact.id.not_in(on_sheet))
    for word in words[:5]:
        stmt = stmt.where(Contact.search_doc.contains(word, autoescape=True))
    contacts = db.scalars(stmt.order_by(Contact.last_name, Contact.first_name).limit(limit)).all()
    org_ids = _primary_organisation_ids(db, {c.id for c in contacts})
    orgs = {
        o.id: o for o in db.scalars(select(Organisation).where(Organisation.id.in_(set(org_ids.values()))))
    }
    return [Candidate(c, orgs.get(org_ids.get(c.id, -1))) for c in contacts]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_export(groups: list[OrgGroup]) -> str:
    """The attendance as CSV for French spreadsheets: ``;`` separated, UTF-8 with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Nom"),
            _("Prénom"),
            _("Fonction"),
            _("Organisation"),
            _("Signataire"),
            _("Invité·e"),
            _("Réponse"),
            _("Présent·e"),
        ]
    )
    yes, no = _("oui"), _("non")
    answers = {
        "accepted": _("accepte"),
        "declined": _("décline"),
        "tentative": _("peut-être"),
        "pending": _("sans réponse"),
    }
    for group in groups:
        org = group.organisation
        for p in group.people:
            writer.writerow(
                [
                    _cell(p.contact.last_name),
                    _cell(p.contact.first_name),
                    _cell(p.contact.function),
                    _cell(org.name if org else ""),
                    yes if org is not None and org.is_signatory else no,
                    yes if p.invited else no,
                    answers.get(p.invitation.response, "") if p.invitation is not None else "",
                    yes if p.present else no,
                ]
            )
    return "\ufeff" + buffer.getvalue()
