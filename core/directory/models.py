"""Directory tables: organisations, contacts, affiliations and tags."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import PERSONAL, Base, UTCDateTime, utcnow


class Organisation(Base):
    """A partner organisation: a signatory, an association, a company, a municipal service…"""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: lower-case, accent-free, punctuation-free name used to spot duplicates
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    #: one of :data:`core.directory.vocab.ORGANISATION_KINDS`
    kind: Mapped[str] = mapped_column(String(40), default="autre")
    is_signatory: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the written commitments (engagements) of a signatory
    commitments: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    #: indexed to spot probable duplicates on import
    email: Mapped[str] = mapped_column(String(254), default="", index=True)
    #: E.164, e.g. +33149410000
    phone: Mapped[str] = mapped_column(String(20), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    #: accent-free text the full-text index covers (kept in step by the services)
    search_doc: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    tags: Mapped[list[OrganisationTag]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", lazy="selectin"
    )
    affiliations: Mapped[list[Affiliation]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", lazy="raise"
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class OrganisationTag(Base):
    """A pillar or cross-cutting theme of the contract attached to an organisation."""

    __tablename__ = "organisation_tags"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    #: "pillar:<code>" or "theme:<code>" (see :mod:`core.directory.vocab`)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)

    organisation: Mapped[Organisation] = relationship(back_populates="tags")


class Contact(Base):
    """A person of the network (invented in the demo data, real in production: personal data)."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100), default="", info=PERSONAL)
    last_name: Mapped[str] = mapped_column(String(100), info=PERSONAL)
    #: folded "last first" name: sort order and duplicate detection
    name_key: Mapped[str] = mapped_column(String(200), default="", index=True, info=PERSONAL)
    function: Mapped[str] = mapped_column(String(200), default="", info=PERSONAL)
    email: Mapped[str] = mapped_column(String(254), default="", index=True, info=PERSONAL)
    phone: Mapped[str] = mapped_column(String(20), default="", info=PERSONAL)
    #: the person agreed to appear in the directory's lists
    consent_listed: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    search_doc: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: set when the person's data was erased (GDPR); the row stays so references hold
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    affiliations: Mapped[list[Affiliation]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", lazy="raise"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.full_name!r}>"


class Affiliation(Base):
    """A contact's place in an organisation, with their role there."""

    __tablename__ = "affiliations"
    __table_args__ = (UniqueConstraint("contact_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(200), default="")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)

    contact: Mapped[Contact] = relationship(back_populates="affiliations", lazy="raise")
    organisation: Mapped[Organisation] = relationship(back_populates="affiliations", lazy="raise")


Index("ix_contacts_last_first", Contact.last_name, Contact.first_name)
