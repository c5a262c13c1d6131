"""Tables of the groupes_techniques plugin: a group's profile and its meeting obligations.

A group *is* a core space (kind ``groupes_techniques.groupe`` or ``groupes_techniques.comite``):
its animators, members, meetings, minutes and documents are the core's. The plugin adds what
the core does not know: the theme of an ad hoc group, and the obligation history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


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
