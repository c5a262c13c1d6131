"""Meetings, spaces and people made directly with the models, for the feed and API tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import icalendar
import vobject
from sqlalchemy.orm import Session

from core.accounts.models import User
from core.accounts.passwords import hash_password
from core.calendar.models import MEMBERS, PUBLIC, Invitation, Meeting
from core.directory.models import Contact
from core.spaces.models import MEMBER, Space
from core.spaces.services import add_membership

PASSWORD = "mot-de-passe-de-test"


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


def make_space(db: Session, slug: str, name: str | None = None) -> Space:
    """A space of the core kind."""
    space = Space(slug=slug, name=name or slug.replace("-", " ").capitalize(), kind="core.espace")
    db.add(space)
    db.flush()
    return space


def make_meeting(
    db: Session,
    space: Space,
    starts_at: datetime,
    *,
    title: str = "Réunion",
    hours: float = 2,
    visibility: str = PUBLIC,
    **values: Any,
) -> Meeting:
    """A meeting of ``space`` starting at ``starts_at`` (aware)."""
    meeting = Meeting(
        space_id=space.id,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        visibility=visibility,
        **values,
    )
    db.add(meeting)
    db.flush()
    return meeting


def make_person(
    db: Session, email: str, *, member_of: tuple[Space, ...] = (), is_admin: bool = False
) -> User:
    """A contact with a user account (password :data:`PASSWORD`), member of some spaces."""
    first, _, last = email.partition("@")[0].partition(".")
    contact = Contact(first_name=first.capitalize(), last_name=(last or first).capitalize(), email=email)
    db.add(contact)
    db.flush()
    user = User(
        email=email,
        password_hash=_password_hash(),
        display_name=f"{contact.first_name} {contact.last_name}",
        contact_id=contact.id,
        is_admin=is_admin,
        is_active=True,
        session_version=1,
    )
    db.add(user)
    for space in member_of:
        add_membership(db, space, MEMBER, contact_id=contact.id)
    db.flush()
    return user


def invite(db: Session, meeting: Meeting, user: User) -> Invitation:
    """Invite the user's contact to a meeting."""
    assert user.contact_id is not None
    invitation = Invitation(meeting_id=meeting.id, contact_id=user.contact_id)
    db.add(invitation)
    db.flush()
    return invitation


def many_meetings(
    db: Session, space: Space, count: int, first: datetime, *, visibility: str = MEMBERS
) -> list[Meeting]:
    """``count`` meetings one day apart from ``first``."""
    return [
        make_meeting(
            db,
            space,
            first + timedelta(days=i),
            title=f"Réunion n° {i}",
            visibility=visibility,
            location="Hôtel de ville",
            room=f"Salle {i % 5}",
        )
        for i in range(count)
    ]



# ------------------------------------------------------------------------- reading ICS back


@dataclass(frozen=True)
class ParsedEvent:
    """What both parsers agree an event says."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    start_tzid: str | None
    status: str
    url: str
    summary: str
    location: str
    description: str
    raw: Any


def parse_feed(data: bytes) -> tuple[Any, dict[str, ParsedEvent]]:
    """Parse an ICS document with ``icalendar`` and ``vobject``; check they agree on every event."""
    calendar = icalendar.Calendar.from_ical(data)
    events: dict[str, ParsedEvent] = {}
    for ev in calendar.walk("VEVENT"):
        uid = str(ev["UID"])
        events[uid] = ParsedEvent(
            uid=uid,
            sequence=int(ev["SEQUENCE"]),
            start=ev.decoded("DTSTART").astimezone(UTC),
            end=ev.decoded("DTEND").astimezone(UTC),
            start_tzid=ev["DTSTART"].params.get("TZID"),
            status=str(ev["STATUS"]),
            url=str(ev["URL"]),
            summary=str(ev["SUMMARY"]),
            location=str(ev.get("LOCATION", "")),
            description=str(ev.get("DESCRIPTION", "")),
            raw=ev,
        )
    parsed = vobject.readOne(data.decode("utf-8"))
    others = {ev.uid.value: ev for ev in getattr(parsed, "vevent_list", [])}
    assert set(others) == set(events), "the two parsers do not see the same events"
    for uid, ev in others.items():
        mine = events[uid]
        assert ev.dtstart.value.astimezone(UTC) == mine.start, (uid, ev.dtstart.value, mine.start)
        assert ev.dtend.value.astimezone(UTC) == mine.end, (uid, ev.dtend.value, mine.end)
        assert int(ev.sequence.value) == mine.sequence
        assert ev.status.value == mine.status
        assert ev.url.value == mine.url
        assert ev.summary.value == mine.summary
    return calendar, events
