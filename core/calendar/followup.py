"""What happens after (and around) a meeting: attendance, minutes, decisions, action items,
resources – and who may read or manage them.

Rules:

* managing the follow-up (attendance, minutes, decisions, actions, resources) needs
  ``core.meeting.manage`` in the meeting's space (its animators; admins);
* the minutes, decisions and actions are read by the space's members at any time, and by
  everyone who may see the meeting (:mod:`core.calendar.visibility`) once they are published;
* the attendance (who came) is shown to those who may manage, and the per-organisation
  summary to those who may read the minutes once published.

:func:`meeting_followup` gathers everything the meeting page shows below its agenda, for the
partial ``calendar/_followup.html``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from core.calendar import actions, attendance
from core.calendar import minutes as minutes_service
from core.calendar.models import Meeting, Minutes
from core.calendar.visibility import can_see
from core.resources import services as resources

if TYPE_CHECKING:
    from core.accounts.models import User


def is_space_member(db: Session, user: User | None, space_id: int) -> bool:
    """Admins, and anyone holding a role in the space (directly or through an organisation)."""
    if user is None:
        return False
    return user.is_admin or space_id in resources.member_space_ids(db, user)


def can_read_minutes(db: Session, user: User | None, meeting: Meeting, minutes: Minutes | None) -> bool:
    """Members of the space always; the meeting's audience once the minutes are published."""
    if is_space_member(db, user, meeting.space_id):
        return True
    return minutes is not None and minutes.published_at is not None and can_see(db, user, meeting)


def meeting_followup(db: Session, meeting: Meeting, user: User | None, *, can_manage: bool) -> dict[str, Any]:
    """The context ``calendar/_followup.html`` needs for this meeting and viewer.

    The meeting page passes the result as the template variable ``followup``; ``can_manage``
    says whether the viewer holds ``core.meeting.manage`` in the meeting's space. Keys:

    * ``meeting``, ``can_manage``, ``can_read`` (minutes, decisions and actions readable);
    * ``minutes`` (:class:`Minutes` or ``None``; ``None`` too when not readable), ``published``,
      ``modified_since_publication``;
    * ``decisions`` and ``action_items`` (empty when not readable; items carry ``owner``);
    * ``attendance``: an :class:`core.calendar.attendance.Summary` (groups per organisation,
      counts, signatories represented) for managers, and for readers once published; else ``None``;
    * ``resources``: the meeting's resources the viewer may see.

    A bounded number of queries, whatever the number of people, decisions or resources.
    """
    minutes = minutes_service.get_minutes(db, meeting.id)
    can_read = can_manage or can_read_minutes(db, user, meeting, minutes)
    published = minutes is not None and minutes.published_at is not None
    summary = None
    if can_manage or (can_read and published):
        summary = attendance.summary(attendance.sheet(db, meeting))
    return {
        "meeting": meeting,
        "can_manage": can_manage,
        "can_read": can_read,
        "minutes": minutes if can_read else None,
        "published": published,
        "modified_since_publication": minutes_service.modified_since_publication(minutes),
        "decisions": list(minutes_service.list_decisions(db, meeting.id)) if can_read else [],
        "action_items": actions.action_items_of_meeting(db, meeting.id) if can_read else [],
        "attendance": summary,
        "resources": resources.visible_resources(db, user, meeting_id=meeting.id),
    }
