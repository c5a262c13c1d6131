"""Space tables: spaces and memberships (animators, members and plugin roles)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from core.directory.models import Contact, Organisation

ANIMATOR = "core.animator"
MEMBER = "core.member"


class Space(Base):
    """A space of the network, of a kind declared by a plugin (or the core)."""

    __tablename__ = "spaces"
    # an ad hoc space (a task force, a one-off working group) always says when it ends
    __table_args__ = (CheckConstraint("is_permanent OR ends_on IS NOT NULL", name="adhoc_has_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: a declared :class:`core.declarations.SpaceKind` name, e.g. ``groupes_techniques.groupe``
    kind: Mapped[str] = mapped_column(String(80), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    is_permanent: Mapped[bool] = mapped_column(Boolean, default=True)
    #: last day of an ad hoc space
    ends_on: Mapped[date | None] = mapped_column(Date)
    #: pillar code of the contract, when the space belongs to one
    pillar: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[SpaceMembership]] = relationship(
        back_populates="space", cascade="all, delete-orphan", lazy="raise"
    )

    def __repr__(self) -> str:
        return f"<Space {self.slug}>"


class SpaceMembership(Base):
    """A contact or a whole organisation holding a role in a space."""

    __tablename__ = "space_memberships"
    __table_args__ = (
        CheckConstraint(
            "(contact_id IS NULL) <> (organisation_id IS NULL)", name="one_holder"
        ),
        Index("ix_space_memberships_space_role", "space_id", "role"),
        # one row per holder and role: a double submit cannot duplicate a membership
        UniqueConstraint("space_id", "role", "contact_id"),
        UniqueConstraint("space_id", "role", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    #: ``core.animator``, ``core.member`` or a plugin's declared role
    role: Mapped[str] = mapped_column(String(80))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    space: Mapped[Space] = relationship(back_populates="memberships", lazy="raise")
    contact: Mapped[Contact | None] = relationship(lazy="raise")
    organisation: Mapped[Organisation | None] = relationship(lazy="raise")
