"""Meeting services: create, edit, reschedule, cancel, reinstate, duplicate.

Plain functions over a SQLAlchemy session, called by the calendar pages, the series helper and
plugins (a training session or a group meeting is a core :class:`Meeting`). They validate
before they write, record every change in the audit log, and run inside the caller's
transaction.

**SEQUENCE.** A change is *significant* – it bumps the iCalendar SEQUENCE and cancels the
meeting's pending reminders (:func:`core.reminders.outbox.cancel_pending_for_meeting`, same
transaction) so that the reminders engine sends an update with fresh content – when it
touches what an attendee's calendar entry shows about *when* and *where* and *what*: the
times, the place, the room, the online link, the title, and the status (cancel, reinstate).
Edits of the description, the kind, the visibility or the reminders switch are not: they
would otherwise send every invitee an update notice for a typo.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.audit import services as audit
from core.calendar.models import (
    CANCELLED,
    MEMBERS,
    PUBLIC,
    SCHEDULED,
    AgendaItem,
    Invitation,
    Meeting,
)
from core.corehooks import MEETING_MANAGE
from core.i18n import gettext as _
from core.reminders.outbox import cancel_pending_for_meeting
from core.spaces.models import Space
from core.web.forms import normalise_url

if TYPE_CHECKING:
    from core.accounts.models import User
    from core.declarations import Registry

#: longest meeting accepted; it also bounds the calendar's overlap queries to an index range
MAX_DURATION = timedelta(days=31)
VISIBILITIES = (PUBLIC, MEMBERS)
#: changes that bump SEQUENCE and cancel pending reminders (see the module docstring)
SIGNIFICANT_FIELDS = ("starts_at", "ends_at", "location", "room", "online_url", "title")
#: lengths of the columns, checked here because SQLite would not
MAX_LENGTHS = {"title": 200, "location": 300, "room": 120, "online_url": 500, "kind": 80}


class MeetingValidationError(ValueError):
    """Input a meeting cannot be saved with: French messages by field name.

    Field names are those of :class:`MeetingInput` plus ``confirm_past``; forms map them back
    to their own fields.
    """

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


@dataclass(frozen=True)
class MeetingInput:
    """The values of a meeting, as a form or a plugin gives them (times aware, any zone)."""

    space_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    kind: str = "core.reunion"
    description: str = ""
    location: str = ""
    room: str = ""
    online_url: str = ""
    visibility: str = MEMBERS
    reminders_enabled: bool = True

    @classmethod
    def from_meeting(cls, meeting: Meeting, **changes: Any) -> MeetingInput:
        """The current values of ``meeting``, with ``changes`` applied."""
        values = {f.name: getattr(meeting, f.name) for f in fields(cls)}
        values.update(changes)
        return cls(**values)

    def values(self) -> dict[str, Any]:
        """The values as a dict of model attributes (``space_id`` included)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class MeetingChange:
    """What :func:`update_meeting` changed: ``{field: [old, new]}``, and its consequences."""

    changes: dict[str, list[Any]]
    significant: bool
    rescheduled: bool
    cancelled_reminders: int


# ------------------------------------------------------------------------------ validation


def clean_input(
    data: MeetingInput,
    *,
    now: datetime,
    kinds: Iterable[str] | None = None,
    confirm_past: bool = False,
    check_past: bool = True,
) -> MeetingInput:
    """``data`` trimmed and normalised, or :class:`MeetingValidationError` with every problem.

    ``kinds`` (the registry's meeting kinds) is checked when given. A meeting starting before
    ``now`` needs ``confirm_past`` (a record of a past meeting) unless ``check_past`` is off.
    """
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    data = replace(
        data,
        title=" ".join((data.title or "").split()),
        description=(data.description or "").strip(),
        location=(data.location or "").strip(),
        room=" ".join((data.room or "").split()),
        online_url=(data.online_url or "").strip(),
    )
    if not data.title:
        err("title", _("Donnez un titre à la réunion."))
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(data, name) or "") > limit:
            err(name, _("Ce champ ne doit pas dépasser %(n)s caractères.", n=limit))
    if data.online_url:
        try:
            data = replace(data, online_url=normalise_url(data.online_url))
        except ValueError as exc:
            err("online_url", str(exc))
    if data.visibility not in VISIBILITIES:
        err("visibility", _("Choisissez qui peut voir la réunion."))
    if kinds is not None and data.kind not in set(kinds):
        err("kind", _("Ce type de réunion n'existe pas."))
    if data.starts_at.tzinfo is None or data.ends_at.tzinfo is None:
        raise ValueError("meeting times must be aware datetimes")
    if data.ends_at <= data.starts_at:
        err("ends_at", _("La fin doit être après le début."))
    elif data.ends_at - data.starts_at > MAX_DURATION:
        err("ends_at", _("Une réunion ne peut pas durer plus de %(days)s jours.", days=MAX_DURATION.days))
    if check_past and data.starts_at < now and not confirm_past:
        err(
            "confirm_past",
            _(
                "Cette réunion commence dans le passé. Si vous enregistrez une réunion qui a déjà eu "
                "lieu, cochez la case de confirmation ; sinon, corrigez la date."
            ),
        )
    if errors:
        raise MeetingValidationError(errors)
    return data


def _space(db: Session, space_id: int) -> Space:
    space = db.get(Space, space_id)
    if space is None or space.closed_at is not None:
        raise MeetingValidationError({"space_id": [_("Cet espace n'existe pas ou est fermé.")]})
    return space


# --------------------------------------------------------------------------------- reading


def get_meeting(db: Session, meeting_id: int) -> Meeting | None:
    """The meeting with its space loaded (for pages), or ``None``."""
    return db.scalar(select(Meeting).where(Meeting.id == meeting_id).options(joinedload(Meeting.space)))


def can_manage(db: Session, registry: Registry, user: User | None, space_id: int) -> bool:
    """Whether ``user`` may create and edit the meetings of a space."""
    from core.accounts.permissions import has_permission

    return has_permission(db, registry, user, MEETING_MANAGE, space_id)


def manageable_spaces(db: Session, registry: Registry, user: User | None) -> Sequence[Space]:
    """The open spaces where ``user`` may plan meetings, by name (every open space for admins)."""
    if user is None:
        return []
    stmt = select(Space).where(Space.closed_at.is_(None)).order_by(Space.name)
    if not user.is_admin:
        from core.accounts.permissions import spaces_with_roles

        granted = registry.permissions.get(MEETING_MANAGE)
        ids = spaces_with_roles(db, user, set(granted.roles) if granted else set())
        if not ids:
            return []
        stmt = stmt.where(Space.id.in_(ids))
    return db.scalars(stmt).all()


# --------------------------------------------------------------------------------- writing


def create_meeting(
    db: Session,
    actor: User | None,
    data: MeetingInput,
    *,
    now: datetime,
    kinds: Iterable[str] | None = None,
    confirm_past: bool = False,
    series_key: str | None = None,
    add_followups: bool = True,
) -> Meeting:
    """Create a scheduled meeting (new UID, SEQUENCE 0) and record it in the audit log.

    Raises :class:`MeetingValidationError` before writing anything. When the meeting is the
    space's next one, the open action items of earlier meetings are added to its agenda as
    follow-up items (``add_followups``).
    """
    data = clean_input(data, now=now, kinds=kinds, confirm_past=confirm_past)
    space = _space(db, data.space_id)
    meeting = Meeting(
        **data.values(),
        sequence=0,
        status=SCHEDULED,
        series_key=series_key,
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
        updated_at=now,
    )
    db.add(meeting)
    db.flush()
    audit.record(
        db,
        actor,
        "calendar.meeting.created",
        meeting,
        summary=_("Réunion « %(title)s » créée dans %(space)s", title=meeting.title, space=space.name),
        changes=audit.diff(None, data.values()),
    )
    if add_followups:
        from core.calendar import agenda

        agenda.add_followup_items(db, meeting, now=now)
    return meeting


def update_meeting(
    db: Session,
    actor: User | None,
    meeting: Meeting,
    data: MeetingInput,
    *,
    now: datetime,
    kinds: Iterable[str] | None = None,
    confirm_past: bool = False,
) -> MeetingChange:
    """Apply new values to a scheduled meeting (its space never changes).

    A significant change bumps SEQUENCE and cancels the pending reminders in this transaction.
    Moving a meeting into the past needs ``confirm_past``. A cancelled meeting must be
    reinstated first.
    """
    if meeting.status == CANCELLED:
        raise MeetingValidationError(
            {"status": [_("Cette réunion est annulée : rétablissez-la avant de la modifier.")]}
        )
    data = replace(data, space_id=meeting.space_id)
    moved = data.starts_at != meeting.starts_at or data.ends_at != meeting.ends_at
    data = clean_input(data, now=now, kinds=kinds, confirm_past=confirm_past, check_past=moved)
    changes = audit.diff(meeting, data.values())
    if not changes:
        return MeetingChange({}, significant=False, rescheduled=False, cancelled_reminders=0)
    significant = any(name in changes for name in SIGNIFICANT_FIELDS)
    for name, value in data.values().items():
        setattr(meeting, name, value)
    cancelled = 0
    if significant:
        meeting.sequence = (meeting.sequence or 0) + 1
        cancelled = cancel_pending_for_meeting(db, meeting.id)
    meeting.updated_at = now
    db.flush()
    action = "calendar.meeting.rescheduled" if moved else "calendar.meeting.updated"
    audit.record(
        db,
        actor,
        action,
        meeting,
        summary=_("Réunion « %(title)s » modifiée", title=meeting.title)
        if not moved
        else _("Réunion « %(title)s » déplacée", title=meeting.title),
        changes=changes,
    )
    return MeetingChange(changes, significant=significant, rescheduled=moved, cancelled_reminders=cancelled)


def reschedule_meeting(
    db: Session,
    actor: User | None,
    meeting: Meeting,
    starts_at: datetime,
    ends_at: datetime,
    *,
    now: datetime,
    confirm_past: bool = False,
) -> MeetingChange:
    """Move a meeting to new times: same UID, SEQUENCE + 1, pending reminders cancelled."""
    return update_meeting(
        db,
        actor,
        meeting,
        MeetingInput.from_meeting(meeting, starts_at=starts_at, ends_at=ends_at),
        now=now,
        confirm_past=confirm_past,
    )


def cancel_meeting(
    db: Session, actor: User | None, meeting: Meeting, reason: str, *, now: datetime
) -> Meeting:
    """Cancel a meeting with a reason: it stays (and so do its invitations and answers), with
    status ``cancelled``, SEQUENCE + 1 and its pending reminders cancelled."""
    reason = (reason or "").strip()
    if not reason:
        raise MeetingValidationError({"reason": [_("Indiquez la raison de l'annulation.")]})
    if len(reason) > 2000:
        raise MeetingValidationError(
            {"reason": [_("Ce champ ne doit pas dépasser %(n)s caractères.", n=2000)]}
        )
    if meeting.status == CANCELLED:
        raise MeetingValidationError({"reason": [_("Cette réunion est déjà annulée.")]})
    meeting.status = CANCELLED
    meeting.cancel_reason = reason
    meeting.cancelled_at = now
    meeting.sequence = (meeting.sequence or 0) + 1
    meeting.updated_at = now
    cancel_pending_for_meeting(db, meeting.id)
    db.flush()
    audit.record(
        db,
        actor,
        "calendar.meeting.cancelled",
        meeting,
        summary=_("Réunion « %(title)s » annulée : %(reason)s", title=meeting.title, reason=reason),
        changes={"status": [SCHEDULED, CANCELLED], "cancel_reason": ["", reason]},
    )
    return meeting


def reinstate_meeting(db: Session, actor: User | None, meeting: Meeting, *, now: datetime) -> Meeting:
    """Undo a cancellation (SEQUENCE + 1 again, so calendars show the meeting back)."""
    if meeting.status != CANCELLED:
        raise MeetingValidationError({"status": [_("Cette réunion n'est pas annulée.")]})
    old_reason = meeting.cancel_reason
    meeting.status = SCHEDULED
    meeting.cancel_reason = ""
    meeting.cancelled_at = None
    meeting.sequence = (meeting.sequence or 0) + 1
    meeting.updated_at = now
    cancel_pending_for_meeting(db, meeting.id)
    db.flush()
    audit.record(
        db,
        actor,
        "calendar.meeting.reinstated",
        meeting,
        summary=_("Réunion « %(title)s » rétablie", title=meeting.title),
        changes={"status": [CANCELLED, SCHEDULED], "cancel_reason": [old_reason, ""]},
    )
    return meeting


def duplicate_meeting(
    db: Session,
    actor: User | None,
    source: Meeting,
    data: MeetingInput,
    *,
    now: datetime,
    kinds: Iterable[str] | None = None,
    confirm_past: bool = False,
    copy_agenda: bool = True,
    copy_invitations: bool = False,
) -> Meeting:
    """A new, independent meeting from ``data`` (usually ``source``'s values with new times),
    in ``source``'s space, optionally with a copy of its agenda (follow-up items excepted:
    they are recomputed) and of its invitees (answers start over)."""
    data = replace(data, space_id=source.space_id)
    meeting = create_meeting(
        db, actor, data, now=now, kinds=kinds, confirm_past=confirm_past, add_followups=False
    )
    if copy_agenda:
        items = db.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == source.id, AgendaItem.action_item_id.is_(None))
            .order_by(AgendaItem.position, AgendaItem.id)
        ).all()
        for position, item in enumerate(items):
            db.add(
                AgendaItem(
                    meeting_id=meeting.id,
                    position=position,
                    title=item.title,
                    details=item.details,
                    duration_minutes=item.duration_minutes,
                    presenter_contact_id=item.presenter_contact_id,
                )
            )
    if copy_invitations:
        rows = db.execute(
            select(Invitation.contact_id, Invitation.organisation_id)
            .where(Invitation.meeting_id == source.id)
            .order_by(Invitation.id)
        ).all()
        for contact_id, organisation_id in rows:
            db.add(
                Invitation(
                    meeting_id=meeting.id,
                    contact_id=contact_id,
                    organisation_id=organisation_id,
                    invited_at=now,
                    invited_by_id=actor.id if actor is not None else None,
                )
            )
    db.flush()
    from core.calendar import agenda

    agenda.add_followup_items(db, meeting, now=now)
    audit.record(
        db,
        actor,
        "calendar.meeting.duplicated",
        meeting,
        summary=_("Réunion dupliquée depuis la réunion n° %(id)s", id=source.id),
        changes={"source_meeting_id": [None, source.id]},
    )
    return meeting
