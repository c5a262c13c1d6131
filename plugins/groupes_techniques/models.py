"""Tables of the groupes_techniques plugin: a group's profile, its meeting obligations, date polls.

A group *is* a core space (kind ``groupes_techniques.groupe`` or ``groupes_techniques.comite``):
its animators, members, meetings, minutes and documents are the core's. The plugin adds what
the core does not know: the theme of an ad hoc group, and the obligation history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import NOT_PERSONAL, PERSONAL, Base, UTCDateTime, utcnow


class GroupProfile(Base):
    """What the plugin knows about a group beyond the core space: its theme."""

    __tablename__ = "groupes_techniques_groups"

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True)
    #: the defined theme of the group (an ad hoc group always has one)
    theme: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Obligation(Base):
    """A meeting obligation of a group, in force from ``valid_from`` until the next row's date.

    Rows are never updated: a change adds a row dated from the start of a period that has not
    ended, so the compliance of past periods is always computed from the rule that applied then.
    ``min_meetings`` 0 means the group has no obligation from that date.
    """

    __tablename__ = "groupes_techniques_obligations"
    __table_args__ = (Index("ix_groupes_techniques_obligations_space_from", "space_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    #: ``semester`` or ``year``
    period: Mapped[str] = mapped_column(String(10))
    min_meetings: Mapped[int] = mapped_column(Integer)
    #: first day the rule applies: 1 January, or 1 July for a semester rule
    valid_from: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Poll(Base):
    """A date poll: an animator proposes several dates to the group's members before fixing one."""

    __tablename__ = "groupes_techniques_polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    #: the title of the meeting it will become
    title: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(300), default="")
    #: the animators' note to the members about the meeting (not about a person)
    message: Mapped[str] = mapped_column(Text, default="", info=NOT_PERSONAL)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the meeting the chosen date became
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))


class PollOption(Base):
    """One proposed date (start in UTC; the end follows from the poll's duration)."""

    __tablename__ = "groupes_techniques_poll_options"
    __table_args__ = (UniqueConstraint("poll_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(
        ForeignKey("groupes_techniques_polls.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PollParticipant(Base):
    """A person asked to answer, on behalf of an organisation when known."""

    __tablename__ = "groupes_techniques_poll_participants"
    __table_args__ = (UniqueConstraint("poll_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(
        ForeignKey("groupes_techniques_polls.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PollAnswer(Base):
    """A participant's answer for one date: yes, if need be, no."""

    __tablename__ = "groupes_techniques_poll_answers"
    __table_args__ = (UniqueConstraint("participant_id", "option_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("groupes_techniques_poll_participants.id", ondelete="CASCADE"), index=True
    )
    option_id: Mapped[int] = mapped_column(
        ForeignKey("groupes_techniques_poll_options.id", ondelete="CASCADE")
    )
    #: who answered (the participant's contact): the export and erasure of personal data find it
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    #: ``yes``, ``maybe`` or ``no``: what the person said of their availability (personal data)
    answer: Mapped[str] = mapped_column(String(10), info=PERSONAL)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
