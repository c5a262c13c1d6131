"""Builders for reminder tests: spaces, contacts, accounts, meetings and invitations, made with
the models directly (the meetings' own services are another area's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from core.accounts.models import User
from core.calendar.models import ActionItem, AgendaItem, Invitation, Meeting, Minutes
from core.directory.models import Contact
from core.reminders.models import OutboxMessage
from core.reminders.rules import paris_to_utc
from core.spaces.models import ANIMATOR, Space, SpaceMembership


def paris(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A Paris wall time as aware UTC."""
    return paris_to_utc(date(y, m, d), time(hh, mm))


@dataclass
class World:
    """Arranges data for one test and reads the outbox back."""

    db: Session

    def space(self, name: str = "Groupe technique Habitat", slug: str = "gt-habitat") -> Space:
        space = Space(slug=slug, name=name, kind="core.espace")
        self.db.add(space)
        self.db.flush()
        return space

    def contact(self, first: str, last: str, email: str | None = None) -> Contact:
        contact = Contact(
            first_name=first, last_name=last, email=email or f"{first.lower()}.{last.lower()}@example.org"
        )
        self.db.add(contact)
        self.db.flush()
        return contact

    def user(
        self, contact: Contact, *, language: str = "fr", admin: bool = False, password: str | None = None
    ) -> User:
        from core.accounts.passwords import hash_password

        user = User(
            email=contact.email,
            display_name=contact.full_name,
            contact_id=contact.id,
            language=language,
            is_admin=admin,
            password_hash=hash_password(password) if password else None,
        )
        self.db.add(user)
        self.db.flush()
        return user

    def animator(self, space: Space, contact: Contact) -> None:
        self.db.add(SpaceMembership(space_id=space.id, role=ANIMATOR, contact_id=contact.id))
        self.db.flush()

    def meeting(
        self,
        space: Space,
        starts_at: datetime,
        *,
        hours: float = 2,
        title: str = "Réunion du groupe",
        created: datetime | None = None,
        **values: Any,
    ) -> Meeting:
        stamp = created or starts_at - timedelta(days=30)
        meeting = Meeting(
            space_id=space.id,
            title=title,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=hours),
            created_at=stamp,
            updated_at=stamp,
            location=values.pop("location", "Maison des associations, 12 rue de Paris"),
            **values,
        )
        self.db.add(meeting)
        self.db.flush()
        return meeting

    def agenda(self, meeting: Meeting, *titles: str) -> None:
        for position, title in enumerate(titles):
            self.db.add(
                AgendaItem(meeting_id=meeting.id, position=position, title=title, duration_minutes=20)
            )
        self.db.flush()

    def invite(
        self, meeting: Meeting, contact: Contact, at: datetime, response: str = "pending"
    ) -> Invitation:
        invitation = Invitation(
            meeting_id=meeting.id, contact_id=contact.id, invited_at=at, response=response
        )
        self.db.add(invitation)
        self.db.flush()
        return invitation

    def minutes(self, meeting: Meeting, body: str = "Compte rendu") -> None:
        self.db.add(Minutes(meeting_id=meeting.id, body=body, body_html=f"<p>{body}</p>"))
        self.db.flush()

    def action(
        self, meeting: Meeting, owner: Contact, due_on: date, title: str = "Envoyer le diagnostic"
    ) -> ActionItem:
        item = ActionItem(
            meeting_id=meeting.id,
            space_id=meeting.space_id,
            title=title,
            owner_contact_id=owner.id,
            due_on=due_on,
        )
        self.db.add(item)
        self.db.flush()
        return item

    def reschedule(self, meeting: Meeting, starts_at: datetime, at: datetime) -> None:
        """What the meetings code does: new times, SEQUENCE+1, pending reminders cancelled."""
        from core.reminders.outbox import cancel_pending_for_meeting

        length = meeting.ends_at - meeting.starts_at
        meeting.starts_at, meeting.ends_at = starts_at, starts_at + length
        meeting.sequence += 1
        meeting.updated_at = at
        cancel_pending_for_meeting(self.db, meeting.id)
        self.db.flush()

    def cancel(
        self, meeting: Meeting, at: datetime, reason: str = "Salle indisponible", *, stamp: bool = True
    ) -> None:
        from core.reminders.outbox import cancel_pending_for_meeting

        meeting.status = "cancelled"
        meeting.cancel_reason = reason
        meeting.cancelled_at = at if stamp else None
        meeting.sequence += 1
        meeting.updated_at = at
        cancel_pending_for_meeting(self.db, meeting.id)
        self.db.flush()

    def outbox(self, rule: str | None = None) -> list[OutboxMessage]:
        self.db.commit()  # a fresh snapshot: the app wrote from other connections
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if rule:
            stmt = stmt.where(OutboxMessage.rule == rule)
        return list(self.db.scalars(stmt.execution_options(populate_existing=True)))

    def commit(self) -> None:
        self.db.commit()


@pytest.fixture
def world(db: Session) -> World:
    return World(db)


@pytest.fixture
def mail_app(make_app: Any, smtp_sink: Any) -> Starlette:
    """The core alone (no plugin), sending to the SMTP sink."""
    return make_app(plugins=[], smtp_url=smtp_sink.url)


UTC_ = UTC
