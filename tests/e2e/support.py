"""Helpers of the browser tests: choosing the space, waiting for mail, reading links in it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.models import User
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
