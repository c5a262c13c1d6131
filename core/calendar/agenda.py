"""The agenda (ordre du jour) of a meeting: ordered items, and follow-up of open action items.

**Follow-up rule.** An open action item decided at a meeting of a space belongs on the agenda
of the space's *next* meeting – the first scheduled meeting of the space that has not ended
yet and starts after the meeting that decided it. It gets there two ways:

* when a meeting is created (or duplicated) and is that next meeting, an agenda item pointing
  at the action item (``AgendaItem.action_item_id``) is added for each open action item of
  earlier meetings of the space;
* when the agenda of the next meeting is shown, open action items that are not on it yet
  (decided after it was created) are listed as follow-up items computed on the fly; an
  animator can pin them to the agenda (a POST), nothing is written on GET.

An action item that stays open after that meeting simply moves on to the following one. Action
items themselves (create, close) belong to the follow-up pages (:mod:`core.calendar.followup`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from core.audit import services as audit
from core.calendar.models import (
    CANCELLED,
    OPEN,
    SCHEDULED,
    ActionItem,
    AgendaItem,
    Meeting,
)
from core.i18n import gettext as _

if TYPE_CHECKING:
    from core.accounts.models import User

MAX_ITEMS = 200
MAX_DURATION_MINUTES = 24 * 60


class AgendaError(ValueError):
    """An agenda change refused, with French messages by field name."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


@dataclass(frozen=True)
class AgendaView:
    """What a page shows of an agenda: the stored items (presenters loaded), the action items
    they follow up (by id), open action items to follow up not yet on it, the total duration."""

    items: Sequence[AgendaItem]
    actions: dict[int, ActionItem]
    pending_followups: Sequence[ActionItem]
    total_minutes: int


def items_of(db: Session, meeting_id: int) -> Sequence[AgendaItem]:
    """The agenda items of a meeting in order, with their presenter loaded."""
    return db.scalars(
        select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting_id)
        .options(selectinload(AgendaItem.presenter))
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()


def next_meeting_id(db: Session, space_id: int, *, now: datetime) -> int | None:
    """The space's next meeting: the first scheduled one that has not ended at ``now``."""
    return db.scalar(
        select(Meeting.id)
        .where(Meeting.space_id == space_id, Meeting.status == SCHEDULED, Meeting.ends_at > now)
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(1)
    )


def followup_candidates(db: Session, meeting: Meeting, *, now: datetime) -> Sequence[ActionItem]:
    """Open action items of earlier meetings of the space not on ``meeting``'s agenda yet –
    empty unless ``meeting`` is the space's next meeting (see the module docstring)."""
    if meeting.status == CANCELLED or next_meeting_id(db, meeting.space_id, now=now) != meeting.id:
        return []
    source = aliased(Meeting)
    linked = select(AgendaItem.action_item_id).where(
        AgendaItem.meeting_id == meeting.id, AgendaItem.action_item_id.is_not(None)
    )
    return db.scalars(
        select(ActionItem)
        .join(source, source.id == ActionItem.meeting_id)
        .where(
            ActionItem.space_id == meeting.space_id,
            ActionItem.status == OPEN,
            ActionItem.meeting_id != meeting.id,
            source.starts_at < meeting.starts_at,
            ActionItem.id.not_in(linked),
        )
        .options(selectinload(ActionItem.owner))
        .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
    ).all()


def _next_position(db: Session, meeting_id: int) -> int:
    current = db.scalar(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting_id))
    return 0 if current is None else current + 1


def add_followup_items(
    db: Session,
    meeting: Meeting,
    *,
    now: datetime,
    actor: User | None = None,
    only: Sequence[int] | None = None,
) -> list[AgendaItem]:
    """Put the open action items to follow up on ``meeting``'s agenda (all of them, or those
    whose ids are in ``only``); return the new items."""
    candidates = [a for a in followup_candidates(db, meeting, now=now) if only is None or a.id in set(only)]
    if not candidates:
        return []
    position = _next_position(db, meeting.id)
    added = []
    for offset, action in enumerate(candidates):
        item = AgendaItem(
            meeting_id=meeting.id,
            position=position + offset,
            title=action.title[:300],
            action_item_id=action.id,
        )
        db.add(item)
        added.append(item)
    db.flush()
    audit.record(
        db,
        actor,
        "calendar.agenda.followups_added",
        meeting,
        summary=_("%(n)s action(s) à suivre ajoutée(s) à l'ordre du jour", n=len(added)),
        changes={"action_item_ids": [None, [a.id for a in candidates]]},
    )
    return added


def agenda_view(db: Session, meeting: Meeting, *, now: datetime) -> AgendaView:
    """Everything the meeting and agenda pages show of the agenda, in a fixed number of queries."""
    items = items_of(db, meeting.id)
    action_ids = [i.action_item_id for i in items if i.action_item_id is not None]
    actions: dict[int, ActionItem] = {}
    if action_ids:
        actions = {
            a.id: a
            for a in db.scalars(
                select(ActionItem)
                .where(ActionItem.id.in_(action_ids))
                .options(selectinload(ActionItem.owner))
            )
        }
    pending = followup_candidates(db, meeting, now=now)
    total = sum(i.duration_minutes or 0 for i in items)
    return AgendaView(items=items, actions=actions, pending_followups=pending, total_minutes=total)


# ------------------------------------------------------------------------------- editing


def _clean(
    title: str, details: str, duration_minutes: int | None, presenter_contact_id: int | None
) -> tuple[str, str, int | None, int | None]:
    errors: dict[str, list[str]] = {}
    title = " ".join((title or "").split())
    details = (details or "").strip()
    if not title:
        errors["title"] = [_("Donnez un intitulé au point.")]
    elif len(title) > 300:
        errors["title"] = [_("Ce champ ne doit pas dépasser %(n)s caractères.", n=300)]
    if len(details) > 5000:
        errors["details"] = [_("Ce champ ne doit pas dépasser %(n)s caractères.", n=5000)]
    if duration_minutes is not None and not (0 < duration_minutes <= MAX_DURATION_MINUTES):
        errors["duration_minutes"] = [
            _("Indiquez une durée entre 1 et %(n)s minutes.", n=MAX_DURATION_MINUTES)
        ]
    if errors:
        raise AgendaError(errors)
    return title, details, duration_minutes, presenter_contact_id


def add_item(
    db: Session,
    actor: User | None,
    meeting: Meeting,
    title: str,
    *,
    details: str = "",
    duration_minutes: int | None = None,
    presenter_contact_id: int | None = None,
) -> AgendaItem:
    """Append an item to the agenda."""
    title, details, duration_minutes, presenter_contact_id = _clean(
        title, details, duration_minutes, presenter_contact_id
    )
    count = db.scalar(select(func.count()).select_from(AgendaItem).where(AgendaItem.meeting_id == meeting.id))
    if (count or 0) >= MAX_ITEMS:
        raise AgendaError({"title": [_("L'ordre du jour compte déjà %(n)s points.", n=MAX_ITEMS)]})
    item = AgendaItem(
        meeting_id=meeting.id,
        position=_next_position(db, meeting.id),
        title=title,
        details=details,
        duration_minutes=duration_minutes,
        presenter_contact_id=presenter_contact_id,
    )
    db.add(item)
    db.flush()
    audit.record(
        db,
        actor,
        "calendar.agenda.item_added",
        item,
        summary=_("Point « %(title)s » ajouté à l'ordre du jour", title=title),
        changes={"meeting_id": [None, meeting.id], "title": [None, title]},
    )
    return item


def update_item(
    db: Session,
    actor: User | None,
    item: AgendaItem,
    title: str,
    *,
    details: str = "",
    duration_minutes: int | None = None,
    presenter_contact_id: int | None = None,
) -> dict[str, list[Any]]:
    """Change an item; return what changed."""
    title, details, duration_minutes, presenter_contact_id = _clean(
        title, details, duration_minutes, presenter_contact_id
    )
    values = {
        "title": title,
        "details": details,
        "duration_minutes": duration_minutes,
        "presenter_contact_id": presenter_contact_id,
    }
    changes = audit.diff(item, values)
    if changes:
        for name, value in values.items():
            setattr(item, name, value)
        db.flush()
        audit.record(
            db, actor, "calendar.agenda.item_updated", item, summary=_("Point modifié"), changes=changes
        )
    return changes


def remove_item(db: Session, actor: User | None, item: AgendaItem) -> None:
    """Remove an item and close the gap in the numbering."""
    meeting_id, title = item.meeting_id, item.title
    db.delete(item)
    db.flush()
    _renumber(db, meeting_id)
    audit.record(
        db,
        actor,
        "calendar.agenda.item_removed",
        object_type="agenda_items",
        object_id=item.id,
        summary=_("Point « %(title)s » retiré de l'ordre du jour", title=title),
        changes={"meeting_id": [meeting_id, None]},
    )


def move_item(db: Session, actor: User | None, item: AgendaItem, offset: int) -> bool:
    """Move an item up (``-1``) or down (``+1``); ``False`` when it is already at that end."""
    items = list(
        db.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == item.meeting_id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )
    index = next(i for i, other in enumerate(items) if other.id == item.id)
    target = index + (1 if offset > 0 else -1)
    if not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    for position, other in enumerate(items):
        other.position = position
    db.flush()
    audit.record(
        db,
        actor,
        "calendar.agenda.item_moved",
        item,
        summary=_("Point « %(title)s » déplacé", title=item.title),
        changes={"position": [index, target]},
    )
    return True


def _renumber(db: Session, meeting_id: int) -> None:
    items = db.scalars(
        select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting_id)
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()
    for position, other in enumerate(items):
        other.position = position
    db.flush()
