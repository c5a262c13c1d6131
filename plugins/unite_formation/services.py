"""Cycles and their sessions: who may do what, create, edit, publish, close, cancel, list.

Plain functions over a SQLAlchemy session (no Starlette import). They validate before they
write, raise :class:`ServiceError` with a French message, record changes in the audit log and
run inside the caller's transaction. A session is a core meeting of the unit's space, created
and changed through :mod:`core.calendar.services`, so the calendar, feeds and reminders see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import permissions
from core.audit import services as audit
from core.calendar import services as calendar
from core.calendar.models import CANCELLED as MEETING_CANCELLED
from core.calendar.models import MEMBERS, PUBLIC, Meeting
from core.calendar.services import MeetingInput, MeetingValidationError
from core.directory.models import Contact
from core.i18n import gettext as _
from core.spaces.models import Space, SpaceMembership
from plugins.unite_formation.models import Cycle, CycleSession, CycleTrainer
from plugins.unite_formation.vocab import (
    CANCELLED,
    CLOSED,
    DRAFT,
    FULL,
    MANAGE,
    PUBLICS,
    PUBLISHED,
    SESSION_KIND,
    SPACE_KIND,
    TEACH,
    THEMES,
    TRAINER,
    VISIBLE,
)

if TYPE_CHECKING:
    from core.accounts.models import User
    from core.declarations import Registry

PARIS = ZoneInfo("Europe/Paris")
#: the fields of a cycle the form edits (the rest is set by the services)
CYCLE_FIELDS = (
    "title",
    "theme",
    "public",
    "objectives",
    "programme",
    "prerequisites",
    "capacity",
    "price_cents",
    "price_details",
    "organiser",
    "registration_opens_at",
    "registration_closes_at",
    "attendance_threshold",
    "offer_hours",
)


class ServiceError(ValueError):
    """Input or an action the plugin refuses: a French message, and the form field it concerns."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ------------------------------------------------------------------------------ time helpers


def paris_today(now: datetime) -> date:
    """The Paris date of an instant."""
    return now.astimezone(PARIS).date()


def paris_instant(day: date, at: time) -> datetime:
    """The UTC instant of a Paris wall-clock time."""
    return datetime.combine(day, at).replace(tzinfo=PARIS).astimezone(UTC)


# ------------------------------------------------------------------------------ access


@dataclass(frozen=True)
class Access:
    """What a user may do with the cycles: from their roles in the units' spaces."""

    user: User | None
    teach: frozenset[int] = field(default_factory=frozenset)
    manage: frozenset[int] = field(default_factory=frozenset)

    @property
    def contact_id(self) -> int | None:
        return self.user.contact_id if self.user is not None else None

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.is_admin

    @property
    def can_create(self) -> bool:
        """May create a cycle in at least one unit."""
        return bool(self.teach or self.manage)

    @property
    def can_see_statistics(self) -> bool:
        return self.is_admin or bool(self.manage)

    def can_edit(self, cycle: Cycle) -> bool:
        """Animators and admins edit every cycle of their unit; trainers only their own."""
        if self.is_admin or cycle.space_id in self.manage:
            return True
        return (
            cycle.space_id in self.teach
            and self.contact_id is not None
            and self.contact_id in cycle.trainer_ids
        )


def access_for(db: Session, registry: Registry, user: User | None) -> Access:
    """The rights of ``user`` (``None`` for a visitor)."""
    if user is None:
        return Access(None)
    # only the units' spaces count: the core animator role grants MANAGE in every space, and an
    # animator of a groupe technique must not manage the training cycles or see their figures
    units = set(db.scalars(select(Space.id).where(Space.kind == SPACE_KIND)))
    teach = set(permissions.space_ids_with_permission(db, registry, user, TEACH)) & units
    manage = set(permissions.space_ids_with_permission(db, registry, user, MANAGE)) & units
    return Access(user, frozenset(teach), frozenset(manage))


def unit_spaces(db: Session) -> Sequence[Space]:
    """The open spaces of the unit kind, by name."""
    return db.scalars(
        select(Space).where(Space.kind == SPACE_KIND, Space.closed_at.is_(None)).order_by(Space.name)
    ).all()


def trainer_choices(db: Session, space_ids: Iterable[int]) -> list[tuple[int, str]]:
    """The contacts holding the trainer role (or animating) in these spaces, by name."""
    ids = list(space_ids)
    if not ids:
        return []
    rows = db.execute(
        select(Contact.id, Contact.first_name, Contact.last_name)
        .join(SpaceMembership, SpaceMembership.contact_id == Contact.id)
        .where(SpaceMembership.space_id.in_(ids), SpaceMembership.role.in_((TRAINER, "core.animator")))
        .distinct()
        .order_by(Contact.last_name, Contact.first_name)
    ).all()
    return [(r.id, f"{r.first_name} {r.last_name}".strip()) for r in rows]


# ------------------------------------------------------------------------------ reading


def get_cycle(db: Session, cycle_id: int) -> Cycle | None:
    """A cycle with its trainers and sessions (their meetings) loaded."""
    return db.get(Cycle, cycle_id)


def lock_cycle(db: Session, cycle_id: int) -> Cycle | None:
    """The cycle, its row locked until the transaction ends (``SELECT … FOR UPDATE``).

    On PostgreSQL this serialises registrations and cancellations of one cycle, so capacity
    holds under concurrency; SQLite writers already hold the database's write lock (``BEGIN
    IMMEDIATE``, see :func:`core.db.writer_bind`) and ignore ``FOR UPDATE``.
    """
    return db.scalar(
        select(Cycle).where(Cycle.id == cycle_id).with_for_update().execution_options(populate_existing=True)
    )


def meetings_of(cycle: Cycle) -> list[Meeting]:
    """The cycle's meetings (cancelled ones too), by start."""
    return sorted((s.meeting for s in cycle.sessions), key=lambda m: m.starts_at)


def live_meetings(cycle: Cycle) -> list[Meeting]:
    """The cycle's sessions that are not cancelled, by start."""
    return [m for m in meetings_of(cycle) if m.status != MEETING_CANCELLED]


def first_start(cycle: Cycle) -> datetime | None:
    meetings = live_meetings(cycle)
    return meetings[0].starts_at if meetings else None


def last_end(cycle: Cycle) -> datetime | None:
    meetings = live_meetings(cycle)
    return max(m.ends_at for m in meetings) if meetings else None


def trainer_names(cycle: Cycle) -> list[str]:
    return sorted(t.contact.full_name for t in cycle.trainers)


def cycles_for_editor(db: Session, access: Access) -> Sequence[Cycle]:
    """The cycles ``access`` may edit, newest first."""
    if access.user is None:
        return []
    stmt = select(Cycle).order_by(Cycle.registration_opens_at.desc(), Cycle.id.desc())
    if not access.is_admin:
        own = select(CycleTrainer.cycle_id).where(CycleTrainer.contact_id == (access.contact_id or 0))
        stmt = stmt.where(
            Cycle.space_id.in_(access.manage) | (Cycle.space_id.in_(access.teach) & Cycle.id.in_(own))
        )
    return db.scalars(stmt).all()


# ------------------------------------------------------------------------------ writing


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    return value.strip() if isinstance(value, str) else ""


def clean_cycle(values: Mapping[str, Any]) -> dict[str, Any]:
    """The cycle's values checked and normalised, or :class:`ServiceError` on the first problem."""
    data = {name: values.get(name) for name in CYCLE_FIELDS}
    for name in ("title", "objectives", "programme", "prerequisites", "price_details", "organiser"):
        data[name] = _text(values, name)
    if not data["title"]:
        raise ServiceError(_("Donnez un titre au cycle."), "title")
    if data["theme"] not in THEMES:
        raise ServiceError(_("Choisissez un thème."), "theme")
    if data["public"] not in PUBLICS:
        raise ServiceError(_("Choisissez le public visé."), "public")
    capacity = data["capacity"]
    if not isinstance(capacity, int) or not 1 <= capacity <= 500:
        raise ServiceError(_("Le nombre de places doit être compris entre 1 et 500."), "capacity")
    price = data["price_cents"] or 0
    if not isinstance(price, int) or price < 0:
        raise ServiceError(_("Le prix ne peut pas être négatif."), "price_cents")
    data["price_cents"] = price
    threshold = data["attendance_threshold"]
    if not isinstance(threshold, int) or not 1 <= threshold <= 100:
        raise ServiceError(
            _("Le seuil de présence est un pourcentage entre 1 et 100."), "attendance_threshold"
        )
    hours = data["offer_hours"]
    if not isinstance(hours, int) or not 1 <= hours <= 24 * 14:
        raise ServiceError(
            _("Le délai pour accepter une place libérée va de 1 heure à 14 jours."), "offer_hours"
        )
    opens, closes = data["registration_opens_at"], data["registration_closes_at"]
    if not isinstance(opens, datetime) or not isinstance(closes, datetime):
        raise ServiceError(
            _("Indiquez les dates d'ouverture et de clôture des inscriptions."), "registration_closes_at"
        )
    if closes <= opens:
        raise ServiceError(
            _("La clôture des inscriptions doit suivre leur ouverture."), "registration_closes_at"
        )
    return data


def _set_trainers(db: Session, cycle: Cycle, contact_ids: Iterable[int]) -> None:
    wanted = set(contact_ids)
    for trainer in list(cycle.trainers):
        if trainer.contact_id not in wanted:
            cycle.trainers.remove(trainer)
    for contact_id in sorted(wanted - cycle.trainer_ids):
        if db.get(Contact, contact_id) is None:
            raise ServiceError(_("Cette personne n'est pas dans l'annuaire."), "trainer_ids")
        cycle.trainers.append(CycleTrainer(contact_id=contact_id))


def save_cycle(
    db: Session,
    access: Access,
    space_id: int,
    values: Mapping[str, Any],
    trainer_ids: Iterable[int],
    cycle: Cycle | None,
    *,
    now: datetime,
) -> Cycle:
    """Create a cycle (as a draft) or update one. A trainer is always among their own cycle's trainers."""
    data = clean_cycle(values)
    trainers = set(trainer_ids)
    if cycle is None:
        space = db.get(Space, space_id)
        if space is None or space.kind != SPACE_KIND or space.closed_at is not None:
            raise ServiceError(_("Choisissez une unité de formation ouverte."), "space_id")
        if not (access.is_admin or space_id in access.manage or space_id in access.teach):
            raise ServiceError(_("Vous ne pouvez pas publier de cycle dans cette unité."), "space_id")
    elif not access.can_edit(cycle):
        raise ServiceError(_("Vous ne pouvez modifier que vos propres cycles."))
    if not (access.is_admin or (cycle or Cycle(space_id=space_id)).space_id in access.manage):
        if access.contact_id is None:
            raise ServiceError(_("Votre compte n'est lié à aucune fiche de l'annuaire."))
        trainers.add(access.contact_id)
    if not trainers:
        raise ServiceError(_("Choisissez au moins un formateur ou une formatrice."), "trainer_ids")
    if cycle is not None and cycle.status == CANCELLED:
        raise ServiceError(_("Ce cycle est annulé : il ne peut plus être modifié."))
    actor = access.user
    if cycle is None:
        cycle = Cycle(
            space_id=space_id, status=DRAFT, created_by_id=actor.id if actor else None, created_at=now
        )
        db.add(cycle)
        for name, value in data.items():
            setattr(cycle, name, value)
        _set_trainers(db, cycle, trainers)
        cycle.updated_at = now
        db.flush()
        audit.record(db, actor, "unite_formation.cycle.created", cycle, summary=cycle.title)
        return cycle
    changes = audit.diff(cycle, data)
    for name, value in data.items():
        setattr(cycle, name, value)
    _set_trainers(db, cycle, trainers)
    cycle.updated_at = now
    db.flush()
    if cycle.status in (PUBLISHED, FULL):
        from plugins.unite_formation.registrations import refresh_status

        refresh_status(db, cycle, now)
    audit.record(db, actor, "unite_formation.cycle.updated", cycle, summary=cycle.title, changes=changes)
    return cycle


@dataclass(frozen=True)
class SessionInput:
    """A session as the form gives it: a Paris day and times, a place or an online link."""

    day: date
    starts: time
    ends: time
    location: str = ""
    online_url: str = ""


def _meeting_input(cycle: Cycle, data: SessionInput, number: int) -> MeetingInput:
    return MeetingInput(
        space_id=cycle.space_id,
        title=_("%(title)s – séance %(n)s", title=cycle.title, n=number)[:200],
        starts_at=paris_instant(data.day, data.starts),
        ends_at=paris_instant(data.day, data.ends),
        kind=SESSION_KIND,
        description=cycle.objectives[:2000],
        location=data.location,
        online_url=data.online_url,
        visibility=PUBLIC if cycle.status != DRAFT else MEMBERS,
    )


def _meeting_error(exc: MeetingValidationError) -> ServiceError:
    names = {"starts_at": "starts", "ends_at": "ends", "confirm_past": "day"}
    name, messages = next(iter(exc.errors.items()))
    return ServiceError(messages[0], names.get(name, name))


def add_session(
    db: Session, access: Access, cycle: Cycle, data: SessionInput, *, now: datetime, kinds: Iterable[str]
) -> CycleSession:
    """Add a session (a new core meeting of the unit's space) to a cycle."""
    if not access.can_edit(cycle):
        raise ServiceError(_("Vous ne pouvez modifier que vos propres cycles."))
    if cycle.status == CANCELLED:
        raise ServiceError(_("Ce cycle est annulé : il ne peut plus être modifié."))
    if not data.location.strip() and not data.online_url.strip():
        raise ServiceError(_("Indiquez le lieu de la séance ou le lien de la visioconférence."), "location")
    try:
        meeting = calendar.create_meeting(
            db,
            access.user,
            _meeting_input(cycle, data, len(cycle.sessions) + 1),
            now=now,
            kinds=kinds,
            add_followups=False,
        )
    except MeetingValidationError as exc:
        raise _meeting_error(exc) from exc
    session = CycleSession(cycle_id=cycle.id, meeting_id=meeting.id, meeting=meeting)
    cycle.sessions.append(session)
    db.flush()
    return session


def remove_session(
    db: Session, access: Access, cycle: Cycle, session_id: int, *, now: datetime, page_url: str
) -> None:
    """Cancel a session: its meeting is cancelled (kept, with attendance) and leaves the cycle's
    count; the participants are told."""
    if not access.can_edit(cycle):
        raise ServiceError(_("Vous ne pouvez modifier que vos propres cycles."))
    session = next((s for s in cycle.sessions if s.id == session_id), None)
    if session is None:
        raise ServiceError(_("Cette séance n'appartient pas au cycle."))
    if session.meeting.status == MEETING_CANCELLED:
        return
    calendar.cancel_meeting(db, access.user, session.meeting, _("Séance retirée du cycle"), now=now)
    if cycle.status != DRAFT:
        from plugins.unite_formation.registrations import notify_session_cancelled

        notify_session_cancelled(db, cycle, session.meeting, now=now, page_url=page_url)


def publish(db: Session, access: Access, cycle: Cycle, *, now: datetime) -> None:
    """Publish a draft (or reopen a closed cycle): it appears in the catalogue; its sessions become public."""
    if not access.can_edit(cycle):
        raise ServiceError(_("Vous ne pouvez modifier que vos propres cycles."))
    if cycle.status not in (DRAFT, CLOSED):
        raise ServiceError(_("Seul un brouillon ou un cycle clos peut être publié."))
    if not live_meetings(cycle):
        raise ServiceError(_("Ajoutez au moins une séance avant de publier le cycle."))
    for meeting in live_meetings(cycle):
        if meeting.visibility != PUBLIC:
            calendar.update_meeting(
                db, access.user, meeting, MeetingInput.from_meeting(meeting, visibility=PUBLIC), now=now
            )
    cycle.status = PUBLISHED
    cycle.published_at = cycle.published_at or now
    cycle.updated_at = now
    from plugins.unite_formation.registrations import refresh_status

    refresh_status(db, cycle, now)
    audit.record(db, access.user, "unite_formation.cycle.published", cycle, summary=cycle.title)


def close_registrations(db: Session, access: Access, cycle: Cycle, *, now: datetime) -> None:
    """Close registrations before the end of the window (the cycle stays in the catalogue)."""
    if not access.can_edit(cycle):
        raise ServiceError(_("Vous ne pouvez modifier que vos propres cycles."))
    if cycle.status not in (PUBLISHED, FULL):
        raise ServiceError(_("Les inscriptions de ce cycle ne sont pas ouvertes."))
    cycle.status = CLOSED
    cycle.updated_at = now
    audit.record(db, access.user, "unite_formation.cycle.closed", cycle, summary=cycle.title)


def is_visible(cycle: Cycle, access: Access) -> bool:
    """Published cycles are public; drafts only for those who may edit them."""
    return cycle.status in VISIBLE or access.can_edit(cycle)
