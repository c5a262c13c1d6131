"""Action items: tasks decided at a meeting, with an owner (a contact), a due date and a status.

Open items show on their owner's dashboard, on the "Mes actions" page, and – through
:func:`open_action_items` – as follow-up items on the agenda of the space's next meeting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CompoundSelect, Select, select, union
from sqlalchemy.orm import Session, selectinload

from core.audit import services as audit
from core.calendar.models import DONE, DROPPED, OPEN, ActionItem, Meeting
from core.directory.models import Contact
from core.i18n import gettext as _

if TYPE_CHECKING:
    from core.accounts.models import User

STATUSES = (OPEN, DONE, DROPPED)


class ActionError(ValueError):
    """Bad input for an action item (French message; ``field`` names the form field)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _ordered(stmt: Select[ActionItem]) -> Select[ActionItem]:
    # due date first (items without one last), then the oldest
    return stmt.order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.created_at, ActionItem.id)


def open_action_items(db: Session, space_id: int) -> list[ActionItem]:
    """The open action items of a space, soonest due first, owners loaded.

    For the meetings work: each becomes a follow-up item (``AgendaItem.action_item_id``) on the
    agenda of the space's next meeting.
    """
    stmt = select(ActionItem).where(ActionItem.space_id == space_id, ActionItem.status == OPEN)
    return list(db.scalars(_ordered(stmt).options(selectinload(ActionItem.owner))))


def open_items_of_contact(db: Session, contact_id: int) -> list[ActionItem]:
    """The open action items a contact owns (their "Mes actions à mener")."""
    stmt = select(ActionItem).where(ActionItem.owner_contact_id == contact_id, ActionItem.status == OPEN)
    return list(db.scalars(_ordered(stmt).options(selectinload(ActionItem.owner))))


def open_items_of_spaces(db: Session, space_ids: Iterable[int] | None) -> list[ActionItem]:
    """The open action items of several spaces (``None``: of every space), owners loaded."""
    stmt = select(ActionItem).where(ActionItem.status == OPEN)
    if space_ids is not None:
        ids = set(space_ids)
        if not ids:
            return []
        stmt = stmt.where(ActionItem.space_id.in_(ids))
    return list(db.scalars(_ordered(stmt).options(selectinload(ActionItem.owner)).limit(500)))


def action_items_of_meeting(db: Session, meeting_id: int) -> list[ActionItem]:
    """Every action item decided at a meeting, whatever its status."""
    stmt = select(ActionItem).where(ActionItem.meeting_id == meeting_id)
    return list(db.scalars(_ordered(stmt).options(selectinload(ActionItem.owner))))


def meetings_of(db: Session, items: Sequence[ActionItem]) -> dict[int, Meeting]:
    """The meetings the items come from, by id (one query)."""
    ids = {i.meeting_id for i in items}
    if not ids:
        return {}
    return {m.id: m for m in db.scalars(select(Meeting).where(Meeting.id.in_(ids)))}


def _check(db: Session, title: str, owner_contact_id: int | None, allowed_owners: set[int] | None) -> str:
    title = (title or "").strip()
    if not title:
        raise ActionError(_("Décrivez l'action à mener."), "title")
    if len(title) > 300:
        raise ActionError(_("L'intitulé ne doit pas dépasser 300 caractères."), "title")
    if owner_contact_id is not None:
        owner = db.get(Contact, owner_contact_id)
        if owner is None or (allowed_owners is not None and owner_contact_id not in allowed_owners):
            raise ActionError(_("Choisissez la personne responsable dans la liste."), "owner_contact_id")
    return title


def add_action_item(
    db: Session,
    meeting: Meeting,
    *,
    title: str,
    owner_contact_id: int | None,
    due_on: date | None,
    actor: User | None,
    now: datetime,
    allowed_owners: set[int] | None = None,
) -> ActionItem:
    """Record an action item decided at ``meeting`` (open)."""
    title = _check(db, title, owner_contact_id, allowed_owners)
    item = ActionItem(
        meeting_id=meeting.id,
        space_id=meeting.space_id,
        title=title,
        owner_contact_id=owner_contact_id,
        due_on=due_on,
        status=OPEN,
        created_at=now,
    )
    db.add(item)
    db.flush()
    audit.record(db, actor, "calendar.action_item.added", item, summary=title)
    return item


def set_status(db: Session, item: ActionItem, status: str, actor: User | None, now: datetime) -> None:
    """Mark an item open, done or dropped (``done_at`` follows)."""
    if status not in STATUSES:
        raise ActionError(_("État inconnu."), "status")
    if status == item.status:
        return
    changes = {"status": [item.status, status]}
    item.status = status
    item.done_at = now if status == DONE else None
    audit.record(db, actor, "calendar.action_item.status", item, summary=item.title, changes=changes)


def update_action_item(
    db: Session,
    item: ActionItem,
    *,
    title: str,
    owner_contact_id: int | None,
    due_on: date | None,
    actor: User | None,
    allowed_owners: set[int] | None = None,
) -> None:
    """Correct an item's title, owner or due date."""
    title = _check(db, title, owner_contact_id, allowed_owners)
    values = {"title": title, "owner_contact_id": owner_contact_id, "due_on": due_on}
    changes = audit.diff(item, values)
    if changes:
        for key, value in values.items():
            setattr(item, key, value)
        audit.record(db, actor, "calendar.action_item.updated", item, changes=changes)


def is_overdue(item: ActionItem, today: date) -> bool:
    """Open and past its due date."""
    return item.status == OPEN and item.due_on is not None and item.due_on < today


def owner_candidates(db: Session, meeting: Meeting) -> list[Contact]:
    """Who may own an action of this meeting: its invitees, the people who came, and the
    space's members named personally. Sorted by name."""
    from core.calendar.models import Attendance, Invitation
    from core.spaces.models import SpaceMembership

    ids: CompoundSelect[tuple[int | None]] = union(
        select(Invitation.contact_id).where(Invitation.meeting_id == meeting.id),
        select(Attendance.contact_id).where(Attendance.meeting_id == meeting.id),
        select(SpaceMembership.contact_id).where(
            SpaceMembership.space_id == meeting.space_id, SpaceMembership.contact_id.is_not(None)
        ),
    )
    stmt = select(Contact).where(Contact.id.in_(ids), Contact.anonymised_at.is_(None))
    return list(db.scalars(stmt.order_by(Contact.last_name, Contact.first_name)))
