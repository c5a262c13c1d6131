"""Calendar tables: every meeting of every space, and what hangs off a meeting.

A plugin whose data *is* a meeting (a training session, a group meeting) creates a core
:class:`Meeting` and points at it from its own table, so the calendar, feeds, invitations and
reminders treat every meeting alike.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import PERSONAL, Base, UTCDateTime, utcnow
from core.directory.models import Contact, Organisation
from core.spaces.models import Space

# meeting.status
SCHEDULED = "scheduled"
CANCELLED = "cancelled"

# meeting.visibility
PUBLIC = "public"
MEMBERS = "members"

# invitation.response
PENDING = "pending"
ACCEPTED = "accepted"
DECLINED = "declined"
TENTATIVE = "tentative"

# action_item.status
OPEN = "open"
DONE = "done"
DROPPED = "dropped"


def new_uid() -> str:
    """A globally unique, stable iCalendar UID."""
    return f"{uuid.uuid4()}@reseau"


class Meeting(Base):
    """A meeting of a space. Times are aware UTC; they are entered and shown in Europe/Paris."""

    __tablename__ = "meetings"
    __table_args__ = (
        Index("ix_meetings_space_starts", "space_id", "starts_at"),
        Index("ix_meetings_starts_ends", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: iCalendar UID: never changes, whatever happens to the meeting
    uid: Mapped[str] = mapped_column(String(120), unique=True, default=new_uid)
    #: iCalendar SEQUENCE: +1 on every significant change (time, place, cancellation)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="RESTRICT"))
    #: a declared :class:`core.declarations.MeetingKind` name
    kind: Mapped[str] = mapped_column(String(80), default="core.reunion")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: address or place name
    location: Mapped[str] = mapped_column(String(300), default="")
    #: room, compared for conflicts (normalised by the services)
    room: Mapped[str] = mapped_column(String(120), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    visibility: Mapped[str] = mapped_column(String(20), default=MEMBERS)
    status: Mapped[str] = mapped_column(String(20), default=SCHEDULED, index=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the reminders of this meeting can be switched off by its animators
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: shared by the meetings a series helper created together
    series_key: Mapped[str | None] = mapped_column(String(60), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    space: Mapped[Space] = relationship(lazy="raise")
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.position", lazy="raise"
    )
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", lazy="raise"
    )

    @property
    def is_cancelled(self) -> bool:
        return self.status == CANCELLED

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.title!r} {self.starts_at:%Y-%m-%d %H:%M}Z>"


class AgendaItem(Base):
    """One item of the agenda (ordre du jour)."""

    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    details: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    presenter_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    #: set when the item follows up an open action item of an earlier meeting
    action_item_id: Mapped[int | None] = mapped_column(ForeignKey("action_items.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship(back_populates="agenda_items", lazy="raise")
    presenter: Mapped[Contact | None] = relationship(lazy="raise")


class Invitation(Base):
    """A contact invited to a meeting, and their answer (RSVP)."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("meeting_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    #: the organisation the contact represents at this meeting (for "was each signatory there?")
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    response: Mapped[str] = mapped_column(String(20), default=PENDING)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str] = mapped_column(String(500), default="", info=PERSONAL)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship(back_populates="invitations", lazy="raise")
    contact: Mapped[Contact] = relationship(lazy="raise")
    organisation: Mapped[Organisation | None] = relationship(lazy="raise")


class Attendance(Base):
    """Someone who was present at a meeting (émargement), invited or not."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("meeting_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    contact: Mapped[Contact] = relationship(lazy="raise")
    organisation: Mapped[Organisation | None] = relationship(lazy="raise")


class Minutes(Base):
    """The compte rendu of a meeting, written in Markdown and stored sanitised as HTML too."""

    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    #: minutes name the people present and what they said: erasure replaces a person's name
    body: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    #: ``body`` rendered and sanitised (nh3): safe to show as is
    body_html: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Decision(Base):
    """A decision (relevé de décision) taken at a meeting."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ActionItem(Base):
    """A task decided at a meeting, with an owner and a due date, followed up until done."""

    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_status_due", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    owner_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=OPEN)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[Contact | None] = relationship(lazy="raise")


class FeedToken(Base):
    """A private calendar feed token; only its SHA-256 is stored, so a leak of the table is harmless."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
