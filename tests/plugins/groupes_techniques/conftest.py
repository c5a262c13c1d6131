"""Fixtures of the groupes_techniques tests: groups made with the services, meetings, helpers."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.calendar.models import CANCELLED, Attendance, Meeting, Minutes
from core.directory.models import Contact
from core.i18n import PARIS
from core.spaces import services as spaces
from core.spaces.models import ANIMATOR, Space
from plugins.groupes_techniques.models import Obligation
from plugins.groupes_techniques.vocab import GROUP_KIND, SEMESTER


def text(response: Any) -> str:
    """A page's text with HTML entities decoded."""
    return html.unescape(response.text)


def fresh(db: Session) -> Session:
    """End the test session's read transaction so it sees what the app committed since."""
    db.commit()
    db.expire_all()
    return db


def paris(*args: int) -> datetime:
    """An aware UTC instant from a Paris wall-clock time."""
    return datetime(*args).replace(tzinfo=PARIS).astimezone(UTC)


def make_group(
    db: Session,
    name: str,
    *,
    kind: str = GROUP_KIND,
    period: str = SEMESTER,
    min_meetings: int = 1,
    valid_from: date = date(2025, 1, 1),
    animators: tuple[str, ...] = (),
    pillar: str | None = None,
) -> Space:
    """A group with an obligation from ``valid_from`` and animators (new contacts by address)."""
    space = spaces.ensure_space(db, spaces.slugify(name), name, kind, pillar=pillar)
    db.add(Obligation(space_id=space.id, period=period, min_meetings=min_meetings, valid_from=valid_from))
    for email in animators:
        first, _dot, last = email.split("@")[0].partition(".")
        contact = Contact(first_name=first.title(), last_name=last.title() or first, email=email)
        db.add(contact)
        db.flush()
        spaces.add_membership(db, space, ANIMATOR, contact_id=contact.id)
    db.commit()
    return space


def add_meeting(
    db: Session,
    space: Space,
    starts: datetime,
    *,
    minutes: bool = False,
    attendance: Contact | None = None,
    cancelled: bool = False,
) -> Meeting:
    """A two-hour meeting of the group, with minutes and/or attendance when asked."""
    meeting = Meeting(
        space_id=space.id,
        title=f"Réunion {starts:%Y-%m-%d}",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )
    if cancelled:
        meeting.status = CANCELLED
    db.add(meeting)
    db.flush()
    if minutes:
        db.add(Minutes(meeting_id=meeting.id, body="Compte rendu", body_html="<p>Compte rendu</p>"))
    if attendance is not None:
        db.add(Attendance(meeting_id=meeting.id, contact_id=attendance.id))
    db.commit()
    return meeting
