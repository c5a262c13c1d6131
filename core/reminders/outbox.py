"""The outbox: every email the hub sends goes through it (filled by the reminders work).

Public services other areas call, in the caller's transaction:

* :func:`cancel_pending_for_meeting` – a meeting was rescheduled or cancelled: its pending
  reminders must not go out (new ones with new keys will be swept).
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def cancel_pending_for_meeting(db: Session, meeting_id: int) -> int:
    """Cancel the meeting's pending outbox rows in the current transaction; return how many."""
    return 0
