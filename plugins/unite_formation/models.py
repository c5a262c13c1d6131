"""Tables of the unite_formation plugin (all named ``unite_formation_…``).

* :class:`Cycle` – a short training cycle of a unit (a core space), with its trainers
  (:class:`CycleTrainer`, directory contacts) and its sessions (:class:`CycleSession`, each a
  core :class:`~core.calendar.models.Meeting`);
* :class:`Registration` – a person registered for the whole cycle (confirmed, on the waiting
  list, cancelled, or whose offer of a place lapsed); attendance is the core's
  :class:`~core.calendar.models.Attendance` of the registration's contact at each session;
* :class:`Evaluation` – the answers of a participant to the satisfaction questionnaire.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.calendar.models import Meeting
from core.db import PERSONAL, Base, UTCDateTime, utcnow
from core.directory.models import Contact
from plugins.unite_formation.vocab import (
    CONFIRMED,
    DEFAULT_OFFER_HOURS,
    DEFAULT_THRESHOLD,
    DRAFT,
)

TITLE_MAX = 200
SHORT_MAX = 200
TEXT_MAX = 5000


class Cycle(Base):
    """A training cycle: what it teaches, for whom, how many places, when people may register."""

    __tablename__ = "unite_formation_cycles"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("attendance_threshold BETWEEN 1 AND 100", name="threshold_percent"),
        Index("ix_unite_formation_cycles_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    theme: Mapped[str] = mapped_column(String(40))
    public: Mapped[str] = mapped_column(String(40))
    objectives: Mapped[str] = mapped_column(Text, default="")
    programme: Mapped[str] = mapped_column(Text, default="")
    prerequisites: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int] = mapped_column(Integer)
    #: 0 means free
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    price_details: Mapped[str] = mapped_column(String(SHORT_MAX), default="")
    #: who organises it (shown on the attestations)
    organiser: Mapped[str] = mapped_column(String(SHORT_MAX), default="")
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: share of the sessions (percent) a participant must attend to get an attestation
    attendance_threshold: Mapped[int] = mapped_column(Integer, default=DEFAULT_THRESHOLD)
    #: hours a person promoted from the waiting list has to take the place
    offer_hours: Mapped[int] = mapped_column(Integer, default=DEFAULT_OFFER_HOURS)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    trainers: Mapped[list[CycleTrainer]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan", lazy="selectin"
    )
    sessions: Mapped[list[CycleSession]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan", lazy="selectin", order_by="CycleSession.id"
    )

    @property
    def is_free(self) -> bool:
        return self.price_cents == 0

    @property
    def trainer_ids(self) -> set[int]:
        """The directory contacts who train this cycle."""
        return {t.contact_id for t in self.trainers}


class CycleTrainer(Base):
    """A trainer (a directory contact) of a cycle."""

    __tablename__ = "unite_formation_cycle_trainers"
    __table_args__ = (UniqueConstraint("cycle_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("unite_formation_cycles.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)

    cycle: Mapped[Cycle] = relationship(back_populates="trainers", lazy="raise")
    contact: Mapped[Contact] = relationship(lazy="selectin")


class CycleSession(Base):
    """A session of a cycle: a core meeting (date, place or online link) of the unit's space."""

    __tablename__ = "unite_formation_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("unite_formation_cycles.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="RESTRICT"), unique=True)

    cycle: Mapped[Cycle] = relationship(back_populates="sessions", lazy="raise")
    meeting: Mapped[Meeting] = relationship(lazy="selectin")


class Registration(Base):
    """A person registered for a whole cycle, with or without an account.

    The person is also a directory contact (unlisted when created here), so that the core's
    attendance records (émargement) can name them. Rows are kept when the person or the cycle
    cancels: ``status`` says what happened and ``created_at`` dates the row for the retention
    purge.
    """

    __tablename__ = "unite_formation_registrations"
    __table_args__ = (
        UniqueConstraint("cycle_id", "email"),
        Index("ix_unite_formation_registrations_cycle_status", "cycle_id", "status"),
        Index("ix_unite_formation_registrations_offer", "offer_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("unite_formation_cycles.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    first_name: Mapped[str] = mapped_column(String(100), default="", info=PERSONAL)
    last_name: Mapped[str] = mapped_column(String(100), info=PERSONAL)
    #: lower-cased, one registration per address and cycle
    email: Mapped[str] = mapped_column(String(254), info=PERSONAL)
    phone: Mapped[str] = mapped_column(String(20), default="", info=PERSONAL)
    organisation: Mapped[str] = mapped_column(String(SHORT_MAX), default="", info=PERSONAL)
    #: a :data:`~plugins.unite_formation.vocab.PUBLICS` code
    public_category: Mapped[str] = mapped_column(String(40))
    #: lives or works in the priority neighbourhood (Les Hautes-Noues), for the statistics
    priority_area: Mapped[bool] = mapped_column(Boolean, default=False, info=PERSONAL)
    accessibility_needs: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    status: Mapped[str] = mapped_column(String(20), default=CONFIRMED)
    #: the waiting-list order (the instant the person joined the list)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: a place was offered from the waiting list, to take before this instant
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cycle: Mapped[Cycle] = relationship(lazy="raise")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Evaluation(Base):
    """A participant's answers to the satisfaction questionnaire (one per registration)."""

    __tablename__ = "unite_formation_evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("unite_formation_registrations.id", ondelete="CASCADE"), unique=True
    )
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("unite_formation_cycles.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    overall: Mapped[int] = mapped_column(Integer, info=PERSONAL)
    content: Mapped[int] = mapped_column(Integer, info=PERSONAL)
    trainer: Mapped[int] = mapped_column(Integer, info=PERSONAL)
    useful: Mapped[int] = mapped_column(Integer, info=PERSONAL)
    organisation: Mapped[int] = mapped_column(Integer, info=PERSONAL)
    comment: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
