"""Helpers of the browser tests: choosing the space, waiting for mail, reading links in it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.accounts.models import User
from core.calendar import actions, invitations, minutes, rsvp
from core.calendar.services import MeetingInput, create_meeting
from core.config import Settings
from core.db import transaction
from core.directory.models import Contact, Organisation
from core.spaces.models import ANIMATOR, Space, SpaceMembership
from tests.smtp import Received, SmtpSink

PARIS = ZoneInfo("Europe/Paris")
#: the space kind preferred for the meeting journey, when its plugin is installed
GROUP_KIND_PREFIX = "groupes_techniques."
CORE_SPACE = "equipe-projet"
#: how long the browser tests wait for the app's mail to reach the sink (the sender runs each second)
MAIL_TIMEOUT = 30.0

_RSVP = re.compile(r"https?://[^\s<>\"]+/agenda/reponse/[A-Za-z0-9._-]+")


def space_for_meeting(db: Session, animator_email: str) -> Space:
    """The space the animator plans the meeting in: a groupe technique they animate when the
    plugin is there, else the core's project-team space."""
    user = db.scalar(select(User).where(User.email == animator_email))
    assert user is not None and user.contact_id is not None, animator_email
    groups = db.scalars(
        select(Space)
        .join(SpaceMembership, SpaceMembership.space_id == Space.id)
        .where(
            Space.kind.startswith(GROUP_KIND_PREFIX),
            Space.closed_at.is_(None),
            SpaceMembership.contact_id == user.contact_id,
            SpaceMembership.role == ANIMATOR,
        )
        .order_by(Space.name)
    ).first()
    if groups is not None:
        return groups
    space = db.scalar(select(Space).where(Space.slug == CORE_SPACE))
    assert space is not None, "the core demo space is missing"
    return space


def next_weekday(days_ahead: int, weekday: int = 1) -> date:
    """A day at least ``days_ahead`` days from today (Paris), moved to ``weekday`` (0 = Monday)
    and past any French public holiday risk by being a Tuesday by default."""
    day = datetime.now(PARIS).date() + timedelta(days=days_ahead)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def meeting_later_today(lead: timedelta = timedelta(minutes=10)) -> tuple[datetime, datetime]:
    """Paris start and end of a two-hour meeting starting soon (whole 5 minutes, at least
    ``lead`` ahead) on today's date. Close to midnight it first waits for the next day (at most
    a quarter of an hour), so that start and "today" agree."""
    now = datetime.now(PARIS)
    start = (now + lead + timedelta(minutes=5)).replace(second=0, microsecond=0)
    start -= timedelta(minutes=start.minute % 5)
    if start.date() != now.date():
        midnight = datetime.combine(start.date(), wall_time(0, 0, 30), PARIS)
        time.sleep(max(0.0, (midnight - now).total_seconds()))
        return meeting_later_today(lead)
    return start, start + timedelta(hours=2)


def paris_instant(day: date, hour: int, minute: int = 0) -> datetime:
    """``day`` at ``hour:minute`` in Paris, in UTC."""
    return datetime.combine(day, wall_time(hour, minute), PARIS).astimezone(UTC)


def wait_for_mail(
    sink: SmtpSink,
    address: str,
    matches: Callable[[Received], bool] = lambda _m: True,
    timeout: float = MAIL_TIMEOUT,
) -> Received:
    """The first message to ``address`` that ``matches``, waiting for the app's sender."""
    deadline = time.monotonic() + timeout
    while True:
        for message in sink.to(address):
            if matches(message):
                return message
        if time.monotonic() > deadline:
            seen = [(m.rcpt_tos, m.message["Subject"]) for m in sink.messages]
            raise AssertionError(f"no matching mail to {address} within {timeout:.0f} s; the sink has {seen}")
        time.sleep(0.2)


def subject_contains(words: str) -> Callable[[Received], bool]:
    """A :func:`wait_for_mail` filter on the subject."""
    return lambda received: words in str(received.message["Subject"])


def text_body(received: Received) -> str:
    """The plain-text part of a message."""
    part = received.message.get_body(preferencelist=("plain",))
    assert part is not None, "the message has no text part"
    return str(part.get_content())


def rsvp_link(received: Received) -> str:
    """The first RSVP link of an invitation email (« J'accepte » : it opens the answer page with
    that answer suggested; nothing is recorded until the button is pressed)."""
    links = _RSVP.findall(text_body(received))
    assert links, "no RSVP link in the invitation"
    return str(links[0])


def _contact(db: Session, email: str) -> Contact:
    contact = db.scalar(select(Contact).where(Contact.email == email))
    assert contact is not None, email
    return contact


def seed_meeting(factory: sessionmaker[Session], settings: Settings, animator_email: str) -> dict[str, Any]:
    """A meeting (in six weeks) made through the services, as the animator, for the pages that
    need one: Pôle E.S.C.A.L.E. (Sophie Lefèvre, who has an account), Claire Dubois (CAF) and
    Mehdi Saïdi (Valophis) invited, minutes and an action item written. Returns the ids and the
    RSVP paths of Claire (``rsvp_path``) and Mehdi (``keyboard_rsvp_path``)."""
    now = datetime.now(UTC)
    day = next_weekday(40, weekday=3)
    with transaction(factory) as db:
        animator = db.scalar(select(User).where(User.email == animator_email))
        space = space_for_meeting(db, animator_email)
        meeting = create_meeting(
            db,
            animator,
            MeetingInput(
                space_id=space.id,
                title="Point d'étape accessibilité",
                starts_at=paris_instant(day, 14),
                ends_at=paris_instant(day, 16),
                location="Maison de quartier des Hautes-Noues",
                room="Salle 2",
                description="Revue des **actions** en cours.",
            ),
            now=now,
        )
        escale = db.scalar(select(Organisation).where(Organisation.name == "Pôle E.S.C.A.L.E."))
        assert escale is not None
        invitations.invite_organisations(db, animator, meeting, [escale.id], now=now)
        claire, mehdi = _contact(db, "claire.dubois@example.org"), _contact(db, "mehdi.saidi@example.org")
        invitations.invite_contacts(db, animator, meeting, [claire.id, mehdi.id], now=now)
        minutes.save_minutes(db, meeting, "## Points abordés\n\n- Calendrier des rencontres", animator, now)
        actions.add_action_item(
            db, meeting, title="Envoyer la synthèse", owner_contact_id=claire.id,
            due_on=day + timedelta(days=14), actor=animator, now=now,
        )

        def rsvp_path(contact: Contact) -> str:
            invitation = invitations.invitation_for_contact(db, meeting.id, contact.id)
            assert invitation is not None
            return rsvp.rsvp_url(settings, invitation.id).removeprefix(settings.base_url)

        return {
            "meeting_id": meeting.id,
            "meeting_title": meeting.title,
            "meeting_uid": meeting.uid,
            "meeting_month": day.strftime("%Y-%m"),
            "meeting_date": day.isoformat(),
            "meeting_starts_at": meeting.starts_at,
            "space_slug": space.slug,
            "space_id": space.id,
            "rsvp_path": rsvp_path(claire),
            "keyboard_rsvp_path": rsvp_path(mehdi),
        }
