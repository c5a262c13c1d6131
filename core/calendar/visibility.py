"""Which meetings a user may see: the one rule the calendar views, feeds and API all share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from core.calendar.models import PUBLIC, Invitation, Meeting
from core.spaces.models import ANIMATOR, MEMBER

if TYPE_CHECKING:
    from core.accounts.models import User


def visible_meetings(db: Session, user: User | None) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Meeting`: public meetings for everyone; for a signed-in user
    also the members-only meetings of spaces they belong to and the meetings they are invited
    to; admins see everything."""
    if user is None:
        return Meeting.visibility == PUBLIC
    if user.is_admin:
        return true()
    from core.accounts.permissions import spaces_with_roles

    space_ids = spaces_with_roles(db, user, {ANIMATOR, MEMBER})
    clauses: list[ColumnElement[bool]] = [Meeting.visibility == PUBLIC]
    if space_ids:
        clauses.append(Meeting.space_id.in_(space_ids))
    if user.contact_id is not None:
        clauses.append(
            Meeting.id.in_(select(Invitation.meeting_id).where(Invitation.contact_id == user.contact_id))
        )
    return or_(*clauses)


def can_see(db: Session, user: User | None, meeting: Meeting) -> bool:
    """Whether ``user`` may see this meeting."""
    # what visible_meetings() decides without the database: no query on most page views
    if meeting.visibility == PUBLIC or (user is not None and user.is_admin):
        return True
    if user is None:
        return False
    return bool(db.scalar(select(Meeting.id).where(Meeting.id == meeting.id, visible_meetings(db, user))))
