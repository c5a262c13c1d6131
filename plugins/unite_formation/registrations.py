"""Registrations: register (capacity never exceeded), the waiting list and its offers, cancel
a registration, cancel a whole cycle.

**Capacity under concurrency.** Every write locks the cycle row first (:func:`lock_cycle`:
``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writers hold the write lock from ``BEGIN
IMMEDIATE``), then counts the places taken. Two registrations for one cycle are therefore
serialised, and the count a registration sees is the committed one.

**Offers.** A place freed while people wait is *offered* to the first on the list: a
``waiting`` row gets ``offered_at`` and ``offer_expires_at``; offered places count as taken.
An offer not taken in time lapses and passes to the next. Nobody has to write for that to
happen: :func:`settle` computes, from the stored rows and an instant, the chain of offers that
lapsed and the ones made since, so the reminder rule that sends offers is read-only and exact,
and every write first stores what :func:`settle` found (:func:`settle_and_store`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.audit import services as audit
from core.calendar import services as calendar
from core.calendar.ics import meeting_event, new_calendar
from core.calendar.models import CANCELLED as MEETING_CANCELLED
from core.calendar.models import Meeting
from core.directory.models import Contact
from core.directory.normalise import fold
from core.i18n import format_datetime
from core.i18n import gettext as _
from core.reminders.outbox import enqueue
from core.reminders.rules import Attachment, Due, Recipient
from core.web.forms import normalise_email_address, normalise_phone
from plugins.unite_formation import links as signed
from plugins.unite_formation.links import Links
from plugins.unite_formation.models import Cycle, Registration
from plugins.unite_formation.services import (
    Access,
    ServiceError,
    first_start,
    live_meetings,
    lock_cycle,
    meetings_of,
)
from plugins.unite_formation.vocab import (
    CANCELLED,
    CLOSED,
    CONFIRMED,
    DRAFT,
    FULL,
    LAPSED,
    PUBLICS,
    PUBLISHED,
    UPCOMING,
    WAITING,
    WITHDRAWN,
)

TEXT_MAX = 2000


# ------------------------------------------------------------------------------ the waiting list


@dataclass(frozen=True)
class Slot:
    """What :func:`settle` needs of a registration (a copy: settling never touches ORM rows)."""

    id: int
    status: str
    queued_at: datetime
    offered_at: datetime | None = None
    offer_expires_at: datetime | None = None

    @classmethod
    def of(cls, row: Registration) -> Slot:
        return cls(row.id, row.status, row.queued_at, row.offered_at, row.offer_expires_at)

    @property
    def offered(self) -> bool:
        return self.status == WAITING and self.offer_expires_at is not None


def settle(
    capacity: int,
    offer_hours: int,
    deadline: datetime | None,
    slots: Sequence[Slot],
    now: datetime,
    *,
    fill: bool = True,
) -> list[Slot]:
    """The registrations' state at ``now``: lapsed offers passed on, in time order.

    Each offer that expired by ``now`` lapses at its expiry instant and the place goes, at that
    same instant, to the next person waiting (an offer of ``offer_hours``, never past
    ``deadline``, the first session's start). With ``fill``, places still free at ``now`` are
    offered at ``now`` (a write: a cancellation, a larger capacity); without it the function is
    a pure projection of what is stored (the reminder rule, the pages).
    """
    state = {s.id: s for s in slots}
    hours = timedelta(hours=offer_hours)

    def queue() -> list[Slot]:
        waiting = [s for s in state.values() if s.status == WAITING and s.offer_expires_at is None]
        return sorted(waiting, key=lambda s: (s.queued_at, s.id))

    def taken() -> int:
        return sum(1 for s in state.values() if s.status == CONFIRMED or s.offered)

    def offer_free_places(at: datetime) -> None:
        if deadline is not None and at >= deadline:
            return
        expires = at + hours if deadline is None else min(at + hours, deadline)
        for slot in queue()[: max(0, capacity - taken())]:
            state[slot.id] = replace(slot, offered_at=at, offer_expires_at=expires)

    while True:
        lapsing = [
            s
            for s in state.values()
            if s.offered and s.offer_expires_at is not None and s.offer_expires_at <= now
        ]
        if not lapsing:
            break
        first = min(lapsing, key=lambda s: (s.offer_expires_at, s.id))
        assert first.offer_expires_at is not None
        state[first.id] = replace(first, status=LAPSED)
        offer_free_places(first.offer_expires_at)
    if fill:
        offer_free_places(now)
    return sorted(state.values(), key=lambda s: s.id)


def registrations_of_person(
    db: Session, user_id: int, contact_id: int | None
) -> list[tuple[Registration, Cycle]]:
    """A person's active registrations (confirmed or waiting) with their cycles, by account or contact."""
    who = Registration.user_id == user_id
    if contact_id is not None:
        who = or_(who, Registration.contact_id == contact_id)
    rows = db.execute(
        select(Registration, Cycle)
        .join(Cycle, Cycle.id == Registration.cycle_id)
        .where(who, Registration.status.in_((CONFIRMED, WAITING)), Cycle.status != CANCELLED)
        .order_by(Cycle.id)
    ).all()
    return [(r[0], r[1]) for r in rows]


def registrations_of(db: Session, cycle_id: int) -> Sequence[Registration]:
    """Every registration of a cycle (any status), in waiting-list order."""
    return db.scalars(
        select(Registration)
        .where(Registration.cycle_id == cycle_id)
        .order_by(Registration.queued_at, Registration.id)
    ).all()


def projected(db: Session, cycle: Cycle, now: datetime) -> list[tuple[Registration, Slot]]:
    """Each registration with its state at ``now`` (read-only: nothing is written)."""
    rows = registrations_of(db, cycle.id)
    slots = {
        s.id: s
        for s in settle(
            cycle.capacity, cycle.offer_hours, first_start(cycle), [Slot.of(r) for r in rows], now, fill=False
        )
    }
    return [(r, slots[r.id]) for r in rows]


@dataclass(frozen=True)
class Counts:
    """Places of a cycle at an instant."""

    capacity: int
    confirmed: int
    offered: int
    waiting: int

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.confirmed - self.offered)


def counts(db: Session, cycle: Cycle, now: datetime) -> Counts:
    """The places taken, offered and left, and how many people wait (read-only)."""
    slots = [s for _r, s in projected(db, cycle, now)]
    return Counts(
        cycle.capacity,
        sum(1 for s in slots if s.status == CONFIRMED),
        sum(1 for s in slots if s.offered),
        sum(1 for s in slots if s.status == WAITING and not s.offered),
    )


def settle_and_store(db: Session, cycle: Cycle, now: datetime) -> list[Registration]:
    """Store what :func:`settle` finds at ``now`` (the cycle must be locked); return the rows
    newly offered a place."""
    if cycle.status == CANCELLED:
        return []
    rows = {r.id: r for r in registrations_of(db, cycle.id)}
    settled = settle(
        cycle.capacity, cycle.offer_hours, first_start(cycle), [Slot.of(r) for r in rows.values()], now
    )
    offered = []
    for slot in settled:
        row = rows[slot.id]
        if (row.status, row.offered_at, row.offer_expires_at) == (
            slot.status,
            slot.offered_at,
            slot.offer_expires_at,
        ):
            continue
        if slot.offered and row.offer_expires_at is None:
            offered.append(row)
        row.status, row.offered_at, row.offer_expires_at = slot.status, slot.offered_at, slot.offer_expires_at
    db.flush()
    refresh_status(db, cycle, now)
    return offered


def refresh_status(db: Session, cycle: Cycle, now: datetime) -> None:
    """Published ⇄ full, from the places taken (other statuses are left as they are)."""
    if cycle.status not in (PUBLISHED, FULL):
        return
    taken = db.scalars(
        select(Registration).where(
            Registration.cycle_id == cycle.id, Registration.status.in_((CONFIRMED, WAITING))
        )
    ).all()
    used = sum(1 for r in taken if r.status == CONFIRMED or r.offer_expires_at is not None)
    cycle.status = FULL if used >= cycle.capacity else PUBLISHED


# ------------------------------------------------------------------------------ registering


@dataclass(frozen=True)
class Person:
    """Who registers, as the form gives it."""

    first_name: str
    last_name: str
    email: str
    phone: str = ""
    organisation: str = ""
    public_category: str = ""
    priority_area: bool = False
    accessibility_needs: str = ""


def clean_person(person: Person) -> Person:
    """The person's details checked and normalised, or :class:`ServiceError`."""
    first, last = " ".join(person.first_name.split()), " ".join(person.last_name.split())
    if not last:
        raise ServiceError(_("Indiquez votre nom."), "last_name")
    if len(first) > 100 or len(last) > 100:
        raise ServiceError(_("Le nom et le prénom ne doivent pas dépasser 100 caractères."), "last_name")
    try:
        email = normalise_email_address(person.email).lower()
    except ValueError as exc:
        raise ServiceError(str(exc), "email") from exc
    if not email:
        raise ServiceError(
            _("Indiquez votre adresse électronique : la confirmation y sera envoyée."), "email"
        )
    try:
        phone = normalise_phone(person.phone)
    except ValueError as exc:
        raise ServiceError(str(exc), "phone") from exc
    organisation = " ".join(person.organisation.split())
    if len(organisation) > 200:
        raise ServiceError(_("Ce champ ne doit pas dépasser %(n)s caractères.", n=200), "organisation")
    if person.public_category not in PUBLICS:
        raise ServiceError(_("Dites-nous à quel titre vous venez."), "public_category")
    needs = person.accessibility_needs.strip()
    if len(needs) > TEXT_MAX:
        raise ServiceError(
            _("Ce champ ne doit pas dépasser %(n)s caractères.", n=TEXT_MAX), "accessibility_needs"
        )
    return Person(
        first, last, email, phone, organisation, person.public_category, bool(person.priority_area), needs
    )


def shown_status(cycle: Cycle, now: datetime) -> str:
    """The status to show: a published cycle outside its registration window reads as
    upcoming or closed (the stored status changes only by an action)."""
    if cycle.status in (PUBLISHED, FULL):
        if now < cycle.registration_opens_at:
            return UPCOMING
        if now >= cycle.registration_closes_at:
            return CLOSED
    return cycle.status


def window_error(cycle: Cycle, now: datetime) -> str | None:
    """Why nobody can register now, in French, or ``None``."""
    if cycle.status == CANCELLED:
        return _("Ce cycle a été annulé : il n'est plus possible de s'y inscrire.")
    if cycle.status == DRAFT:
        return _("Ce cycle n'est pas encore publié.")
    if cycle.status == CLOSED:
        return _("Les inscriptions à ce cycle sont closes.")
    if now < cycle.registration_opens_at:
        return _(
            "Les inscriptions à ce cycle ouvriront le %(when)s.",
            when=format_datetime(cycle.registration_opens_at, "d MMMM yyyy 'à' HH:mm"),
        )
    if now >= cycle.registration_closes_at:
        return _(
            "Les inscriptions à ce cycle sont closes depuis le %(when)s.",
            when=format_datetime(cycle.registration_closes_at, "d MMMM yyyy 'à' HH:mm"),
        )
    return None


def _contact_for(db: Session, person: Person, contact_id: int | None) -> int:
    """The directory contact of the person: theirs when signed in, one with the same address,
    or a new one kept out of the directory's lists (``consent_listed`` off)."""
    if contact_id is not None:
        return contact_id
    found = db.scalar(
        select(Contact.id)
        .where(Contact.email == person.email, Contact.anonymised_at.is_(None))
        .order_by(Contact.id)
        .limit(1)
    )
    if found is not None:
        return found
    contact = Contact(
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        phone=person.phone,
        consent_listed=False,
        name_key=fold(f"{person.last_name} {person.first_name}"),
        search_doc=fold(f"{person.first_name} {person.last_name}"),
    )
    db.add(contact)
    db.flush()
    return contact.id


def register(
    db: Session,
    cycle_id: int,
    person: Person,
    *,
    now: datetime,
    links: Links,
    user_id: int | None = None,
    contact_id: int | None = None,
) -> Registration:
    """Register a person for a whole cycle: confirmed while places are left, else on the
    waiting list; the confirmation email is queued in the same transaction."""
    person = clean_person(person)
    cycle = lock_cycle(db, cycle_id)
    if cycle is None:
        raise ServiceError(_("Ce cycle n'existe pas."))
    problem = window_error(cycle, now)
    if problem is not None:
        raise ServiceError(problem)
    settle_and_store(db, cycle, now)
    existing = db.scalar(
        select(Registration).where(Registration.cycle_id == cycle.id, Registration.email == person.email)
    )
    if existing is not None and existing.status in (CONFIRMED, WAITING):
        raise ServiceError(
            _(
                "L'adresse %(email)s est déjà inscrite à ce cycle. Pour annuler, suivez le lien reçu "
                "dans le courriel de confirmation.",
                email=person.email,
            ),
            "email",
        )
    rows = registrations_of(db, cycle.id)
    used = sum(
        1 for r in rows if r.status == CONFIRMED or (r.status == WAITING and r.offer_expires_at is not None)
    )
    queue = [r for r in rows if r.status == WAITING and r.offer_expires_at is None]
    status = CONFIRMED if used < cycle.capacity and not queue else WAITING
    registration = existing or Registration(cycle_id=cycle.id, created_at=now)
    registration.contact_id = _contact_for(db, person, contact_id)
    registration.user_id = user_id
    for name in (
        "first_name",
        "last_name",
        "email",
        "phone",
        "organisation",
        "public_category",
        "priority_area",
        "accessibility_needs",
    ):
        setattr(registration, name, getattr(person, name))
    registration.status = status
    registration.queued_at = now
    registration.offered_at = registration.offer_expires_at = registration.cancelled_at = None
    registration.confirmed_at = now if status == CONFIRMED else None
    if existing is None:
        db.add(registration)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:  # the same address, registered by a concurrent request
        raise ServiceError(
            _("L'adresse %(email)s est déjà inscrite à ce cycle.", email=person.email), "email"
        ) from exc
    refresh_status(db, cycle, now)
    audit.record(
        db, None, "unite_formation.registration.created", registration, summary=f"{cycle.title}: {status}"
    )
    if status == CONFIRMED:
        notify_confirmed(db, cycle, registration, now=now, links=links)
    else:
        _mail(
            db,
            cycle,
            registration,
            "waiting",
            now,
            context={"cancel_url": links.link(signed.CANCEL, registration.id)},
        )
    return registration


# ------------------------------------------------------------------------------ emails


def sessions_calendar(cycle: Cycle, url: str, space_name: str = "") -> bytes:
    """The ``.ics`` of every session of the cycle (METHOD:PUBLISH; cancelled ones say so)."""
    cal = new_calendar(cycle.title, method="PUBLISH")
    for meeting in meetings_of(cycle):
        cal.add_component(meeting_event(meeting, url, space_name=space_name))
    data: bytes = cal.to_ical()
    return data


def session_lines(cycle: Cycle) -> list[dict[str, object]]:
    """The sessions as JSON-safe email context."""
    return [
        {"starts_at": m.starts_at, "ends_at": m.ends_at, "location": m.location, "online_url": m.online_url}
        for m in live_meetings(cycle)
    ]


def _mail(
    db: Session,
    cycle: Cycle,
    registration: Registration,
    template: str,
    now: datetime,
    *,
    context: dict[str, object] | None = None,
    attachments: tuple[Attachment, ...] = (),
    key: str | None = None,
) -> None:
    enqueue(
        db,
        Due(
            key=key or f"unite_formation.{template}:{registration.id}:{now:%Y%m%dT%H%M%S}",
            recipient=Recipient(
                email=registration.email,
                name=registration.full_name,
                user_id=registration.user_id,
                contact_id=registration.contact_id,
            ),
            template=f"unite_formation/emails/{template}",
            context={"cycle": cycle.title, "sessions": session_lines(cycle), **(context or {})},
            due_at=now,
            attachments=attachments,
            space_id=cycle.space_id,
        ),
        rule=f"unite_formation.{template}",
        now=now,
    )


def notify_confirmed(
    db: Session, cycle: Cycle, registration: Registration, *, now: datetime, links: Links
) -> None:
    """Queue the confirmation, with the sessions' ``.ics`` and the cancellation link."""
    page = links.url("unite_formation:cycle", cycle_id=cycle.id)
    ics = sessions_calendar(cycle, page)
    _mail(
        db,
        cycle,
        registration,
        "confirmed",
        now,
        context={"cancel_url": links.link(signed.CANCEL, registration.id), "cycle_url": page},
        attachments=(Attachment("formation.ics", ics, "text/calendar", {"charset": "utf-8"}),),
        key=f"unite_formation.confirmed:{registration.id}:{now:%Y%m%dT%H%M%S}",
    )


def notify_session_cancelled(
    db: Session, cycle: Cycle, meeting: Meeting, *, now: datetime, page_url: str
) -> None:
    """Tell the participants that one session will not take place (the others stay);
    ``page_url`` is the cycle's absolute page URL, for the calendar entry."""
    ics = new_calendar(cycle.title, method="PUBLISH")
    ics.add_component(meeting_event(meeting, page_url))
    for registration in registrations_of(db, cycle.id):
        if registration.status != CONFIRMED:
            continue
        _mail(
            db,
            cycle,
            registration,
            "session_cancelled",
            now,
            context={"session": {"starts_at": meeting.starts_at, "ends_at": meeting.ends_at}},
            attachments=(
                Attachment("seance-annulee.ics", ics.to_ical(), "text/calendar", {"charset": "utf-8"}),
            ),
            key=f"unite_formation.session_cancelled:{meeting.id}:{registration.id}",
        )


# ------------------------------------------------------------------------------ cancelling, offers


def get_registration(db: Session, registration_id: int) -> Registration | None:
    return db.get(Registration, registration_id)


def cancel_registration(db: Session, registration_id: int, *, now: datetime, links: Links) -> Registration:
    """The person withdraws (signed link): the row stays, cancelled; a freed place is offered
    to the first on the waiting list. Cancelling twice changes nothing."""
    registration = db.get(Registration, registration_id)
    if registration is None:
        raise ServiceError(_("Cette inscription n'existe plus."))
    cycle = lock_cycle(db, registration.cycle_id)
    assert cycle is not None
    db.refresh(registration)
    if registration.status in (WITHDRAWN, LAPSED) or cycle.status == CANCELLED:
        return registration
    end = first_start(cycle)
    if end is not None and now >= end:
        raise ServiceError(_("Le cycle a commencé : prévenez directement la formatrice ou le formateur."))
    registration.status = WITHDRAWN
    registration.cancelled_at = now
    registration.offered_at = registration.offer_expires_at = None
    db.flush()
    audit.record(db, None, "unite_formation.registration.cancelled", registration, summary=cycle.title)
    _mail(
        db,
        cycle,
        registration,
        "withdrawn",
        now,
        context={"cycle_url": links.url("unite_formation:cycle", cycle_id=cycle.id)},
    )
    settle_and_store(db, cycle, now)
    return registration


def offer_state(db: Session, registration: Registration, now: datetime) -> Slot:
    """The registration's state at ``now`` (an offer may have lapsed or been made since stored)."""
    cycle = db.get(Cycle, registration.cycle_id)
    assert cycle is not None
    return next(s for r, s in projected(db, cycle, now) if r.id == registration.id)


def accept_offer(db: Session, registration_id: int, *, now: datetime, links: Links) -> Registration:
    """Take an offered place (signed link) before the offer lapses."""
    registration = db.get(Registration, registration_id)
    if registration is None:
        raise ServiceError(_("Cette inscription n'existe plus."))
    cycle = lock_cycle(db, registration.cycle_id)
    assert cycle is not None
    if cycle.status == CANCELLED:
        raise ServiceError(_("Ce cycle a été annulé."))
    settle_and_store(db, cycle, now)
    db.refresh(registration)
    if registration.status == CONFIRMED:
        return registration
    if registration.status == LAPSED:
        raise ServiceError(
            _("Le délai pour accepter cette place est passé : elle a été proposée à la personne suivante.")
        )
    if registration.status != WAITING or registration.offer_expires_at is None:
        raise ServiceError(
            _("Aucune place ne vous est proposée pour l'instant : vous restez sur la liste d'attente.")
        )
    registration.status = CONFIRMED
    registration.confirmed_at = now
    registration.offered_at = registration.offer_expires_at = None
    db.flush()
    refresh_status(db, cycle, now)
    audit.record(db, None, "unite_formation.registration.promoted", registration, summary=cycle.title)
    notify_confirmed(db, cycle, registration, now=now, links=links)
    return registration


def cancel_cycle(
    db: Session, actor_access: Access, cycle_id: int, reason: str, *, now: datetime, links: Links
) -> Cycle:
    """Cancel a cycle: its sessions are cancelled (core meetings, kept), every participant and
    everyone waiting is told; registrations and attendance stay as they were."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            _("Indiquez la raison de l'annulation : elle sera envoyée aux participants."), "reason"
        )
    if len(reason) > TEXT_MAX:
        raise ServiceError(_("Ce champ ne doit pas dépasser %(n)s caractères.", n=TEXT_MAX), "reason")
    cycle = lock_cycle(db, cycle_id)
    if cycle is None:
        raise ServiceError(_("Ce cycle n'existe pas."))
    if not actor_access.can_edit(cycle):
        raise ServiceError(_("Vous ne pouvez modifier que vos propres cycles."))
    if cycle.status == CANCELLED:
        raise ServiceError(_("Ce cycle est déjà annulé."))
    settle_and_store(db, cycle, now)
    for meeting in live_meetings(cycle):
        if meeting.status != MEETING_CANCELLED and meeting.ends_at > now:
            calendar.cancel_meeting(db, actor_access.user, meeting, reason, now=now)
    cycle.status = CANCELLED
    cycle.cancel_reason = reason
    cycle.cancelled_at = now
    cycle.updated_at = now
    db.flush()
    audit.record(db, actor_access.user, "unite_formation.cycle.cancelled", cycle, summary=reason)
    page = links.url("unite_formation:cycle", cycle_id=cycle.id)
    ics = sessions_calendar(cycle, page)
    for registration in registrations_of(db, cycle.id):
        if registration.status in (CONFIRMED, WAITING):
            _mail(
                db,
                cycle,
                registration,
                "cycle_cancelled",
                now,
                context={"reason": reason, "was_confirmed": registration.status == CONFIRMED},
                attachments=(Attachment("formation-annulee.ics", ics, "text/calendar", {"charset": "utf-8"}),)
                if registration.status == CONFIRMED
                else (),
                key=f"unite_formation.cycle_cancelled:{registration.id}",
            )
    return cycle
