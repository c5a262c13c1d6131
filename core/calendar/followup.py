"""What happens after (and around) a meeting: attendance, minutes, decisions, action items,
resources – the data the meeting page shows below its agenda (filled by the follow-up work)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from core.calendar.models import Meeting

if TYPE_CHECKING:
    from core.accounts.models import User


def meeting_followup(db: Session, meeting: Meeting, user: User | None, *, can_manage: bool) -> dict[str, Any]:
    """The context ``calendar/_followup.html`` needs for this meeting and viewer."""
    return {}
