"""Booking conflicts: the same room, or an animator of both spaces, at an overlapping time.

A conflict is a warning, not a refusal: the animator sees it and confirms. It is found with
one query that the index on ``(starts_at, ends_at)`` serves: meetings last at most
:data:`core.calendar.services.MAX_DURATION`, so an overlapping meeting starts within that much
before the new one – a bounded index range, never a scan of the whole calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, aliased

from core.calendar.models import SCHEDULED, Meeting
from core.calendar.services import MAX_DURATION
from core.calendar.visibility import visible_meetings
from core.directory.models import Contact
from core.directory.normalise import fold
from core.spaces.models import ANIMATOR, Space, SpaceMembership

if TYPE_CHECKING:
    from core.accounts.models import User


def room_key(room: str | None) -> str:
    """The form under which two room names are the same room: "Salle  A-1" ≡ "salle a 1"."""
    return fold(room or "")


@dataclass
class Conflict:
    """A meeting that overlaps the one being saved, and why it matters."""

    meeting: Meeting
    space_name: str
    same_room: bool = False
    animators: list[Contact] = field(default_factory=list)
    #: whether the person saving may see that meeting (else only its space and times are shown)
    visible: bool = True


def find_conflicts(
    db: Session,
    *,
    space_id: int,
    starts_at: datetime,
    ends_at: datetime,
    room: str = "",
    exclude_meeting_id: int | None = None,
) -> list[Conflict]:
    """Scheduled meetings overlapping ``[starts_at, ends_at)`` that use the same room (names
    compared by :func:`room_key`) or whose space shares an animator with ``space_id``."""
    key = room_key(room)
    mine = aliased(SpaceMembership)
    theirs = aliased(SpaceMembership)
    # (space, contact) pairs: a contact animating both ``space_id`` and that space
    shared = (
        select(theirs.space_id.label("space_id"), theirs.contact_id.label("contact_id"))
        .join(
            mine, and_(mine.contact_id == theirs.contact_id, mine.space_id == space_id, mine.role == ANIMATOR)
        )
        .where(theirs.role == ANIMATOR, theirs.contact_id.is_not(None))
        .subquery()
    )
    reasons: list[ColumnElement[bool]] = [shared.c.contact_id.is_not(None)]
    if key:
        reasons.append(Meeting.room != "")
    stmt = (
        select(Meeting, Space.name, Contact)
        .join(Space, Space.id == Meeting.space_id)
        .outerjoin(shared, shared.c.space_id == Meeting.space_id)
        .outerjoin(Contact, Contact.id == shared.c.contact_id)
        .where(
            Meeting.status == SCHEDULED,
            Meeting.starts_at < ends_at,
            Meeting.starts_at > starts_at - MAX_DURATION,
            Meeting.ends_at > starts_at,
            or_(*reasons),
        )
        .order_by(Meeting.starts_at, Meeting.id, Contact.last_name, Contact.id)
    )
    if exclude_meeting_id is not None:
        stmt = stmt.where(Meeting.id != exclude_meeting_id)
    found: dict[int, Conflict] = {}
    for meeting, space_name, animator in db.execute(stmt).all():
        conflict = found.get(meeting.id)
        if conflict is None:
            conflict = Conflict(meeting, space_name, same_room=bool(key) and room_key(meeting.room) == key)
            found[meeting.id] = conflict
        if animator is not None and all(a.id != animator.id for a in conflict.animators):
            conflict.animators.append(animator)
    return [c for c in found.values() if c.same_room or c.animators]


def mark_visible(db: Session, user: User | None, conflicts: Sequence[Conflict]) -> None:
    """Flag the conflicting meetings ``user`` may not see, so a page shows only their space and
    times, never their title (one query)."""
    if not conflicts:
        return
    ids = [c.meeting.id for c in conflicts]
    seen = set(db.scalars(select(Meeting.id).where(Meeting.id.in_(ids), visible_meetings(db, user))))
    for conflict in conflicts:
        conflict.visible = conflict.meeting.id in seen
