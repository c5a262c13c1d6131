"""Attendance per session, recorded by the trainer as the core's attendance (émargement) of
the session's meeting, and the rate per participant.

A participant's presence is a core :class:`~core.calendar.models.Attendance` row of their
contact at the session's meeting: the core's sign-in sheet, its PDF and exports see it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import services as audit
from core.calendar.models import Attendance, Meeting
from core.i18n import gettext as _
from plugins.unite_formation.models import Cycle, CycleSession, Registration
from plugins.unite_formation.services import Access, ServiceError, live_meetings
from plugins.unite_formation.vocab import CONFIRMED


@dataclass(frozen=True)
class Rate:
    """How many of the cycle's sessions a participant attended."""

    present: int
    total: int
    meeting_ids: frozenset[int] = frozenset()

    @property
    def percent(self) -> int:
        """The share attended, rounded down (never rounded up to a threshold)."""
        return (100 * self.present) // self.total if self.total else 0

    def reaches(self, threshold: int) -> bool:
        return self.total > 0 and 100 * self.present >= threshold * self.total


def participants(db: Session, cycle: Cycle) -> list[Registration]:
    """The confirmed participants, by name."""
    return list(
        db.scalars(
            select(Registration)
            .where(Registration.cycle_id == cycle.id, Registration.status == CONFIRMED)
            .order_by(Registration.last_name, Registration.first_name, Registration.id)
        ).all()
    )


def _present(db: Session, meeting_ids: Iterable[int], contact_ids: Iterable[int]) -> set[tuple[int, int]]:
    meetings, contacts = list(meeting_ids), list(contact_ids)
    if not meetings or not contacts:
        return set()
    rows = db.execute(
        select(Attendance.meeting_id, Attendance.contact_id).where(
            Attendance.meeting_id.in_(meetings), Attendance.contact_id.in_(contacts)
        )
    ).all()
    return {(r.meeting_id, r.contact_id) for r in rows}


def rates(db: Session, cycle: Cycle, registrations: Iterable[Registration] | None = None) -> dict[int, Rate]:
    """The attendance rate of each participant (sessions not cancelled only), by registration id."""
    people = list(registrations) if registrations is not None else participants(db, cycle)
    meetings = [m.id for m in live_meetings(cycle)]
    present = _present(db, meetings, {r.contact_id for r in people})
    result = {}
    for person in people:
        attended = frozenset(m for m in meetings if (m, person.contact_id) in present)
        result[person.id] = Rate(len(attended), len(meetings), attended)
    return result


def session_of(cycle: Cycle, session_id: int) -> CycleSession:
    session = next((s for s in cycle.sessions if s.id == session_id), None)
    if session is None:
        raise ServiceError(_("Cette séance n'appartient pas au cycle."))
    return session


def sheet(db: Session, cycle: Cycle, meeting: Meeting) -> list[tuple[Registration, bool]]:
    """The participants of a session and whether each was there."""
    people = participants(db, cycle)
    present = _present(db, [meeting.id], {p.contact_id for p in people})
    return [(p, (meeting.id, p.contact_id) in present) for p in people]


def record(
    db: Session, rights: Access, cycle: Cycle, session_id: int, present_ids: set[int], *, now: datetime
) -> tuple[int, int]:
    """Make the attendance of a session match the registrations ticked; return (added, removed)."""
    if not rights.can_edit(cycle):
        raise ServiceError(_("Vous ne pouvez modifier que vos propres cycles."))
    meeting = session_of(cycle, session_id).meeting
    if meeting.starts_at > now:
        raise ServiceError(
            _("Cette séance n'a pas encore eu lieu : l'émargement se fait le jour même ou après.")
        )
    people = {p.id: p for p in participants(db, cycle)}
    if present_ids - people.keys():
        raise ServiceError(_("Une des personnes cochées n'est pas inscrite à ce cycle."))
    existing = {
        a.contact_id: a
        for a in db.scalars(
            select(Attendance).where(
                Attendance.meeting_id == meeting.id,
                Attendance.contact_id.in_([p.contact_id for p in people.values()]),
            )
        )
    }
    added = removed = 0
    for registration_id, person in people.items():
        row = existing.get(person.contact_id)
        if registration_id in present_ids and row is None:
            db.add(
                Attendance(
                    meeting_id=meeting.id,
                    contact_id=person.contact_id,
                    recorded_at=now,
                    recorded_by_id=rights.user.id if rights.user else None,
                )
            )
            added += 1
        elif registration_id not in present_ids and row is not None:
            db.delete(row)
            removed += 1
    if added or removed:
        db.flush()
        audit.record(
            db,
            rights.user,
            "calendar.attendance.recorded",
            meeting,
            summary=_(
                "%(added)s présence(s) ajoutée(s), %(removed)s retirée(s)", added=added, removed=removed
            ),
            changes={"present": [None, sorted(present_ids)]},
        )
    return added, removed


def recorded_for(db: Session, meeting_id: int) -> bool:
    """Whether any attendance was recorded for a meeting (for the trainer's reminder)."""
    return db.scalar(select(Attendance.id).where(Attendance.meeting_id == meeting_id).limit(1)) is not None
