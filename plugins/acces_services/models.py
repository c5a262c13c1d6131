"""Tables of the acces_services plugin (all named ``acces_services_…``).

* :class:`Service` – a service or prestation of the catalogue, offered by a directory
  organisation, with its publics and accessibility as tags (:class:`ServiceTag`);
* :class:`Figure` – attendance aggregates of one service for one period (no personal data);
* :class:`Proposal` – a study, opinion, proposal or recommendation of the platform, possibly
  adopted at a core :class:`~core.calendar.models.Meeting`;
* :class:`PlatformSettings` – the platform's reference share, period kind and distance bands.

Search: ``acces_services_service_fts`` (SQLite FTS5, kept in step by triggers) and the
expression index ``ix_fts_acces_services_services`` (PostgreSQL) are created by raw DDL in the
plugin's first migration; both cover :attr:`Service.search_doc`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.calendar.models import Meeting
from core.db import PERSONAL, Base, UTCDateTime, utcnow
from core.directory.models import Organisation
from plugins.acces_services.vocab import ACCESSIBILITY, DRAFT, PUBLICS, QUARTER

#: the neighbourhood's share of the city's population in the contract's diagnostic (6,250 / 27,222)
DEFAULT_SHARE = Decimal("23.00")

# column sizes, shared with the forms and the CSV import
NAME_MAX = 200
SHORT_MAX = 300
TEXT_MAX = 5000

#: the settings the platform's animators change
SETTINGS_FIELDS: tuple[str, ...] = (
    "neighbourhood_name",
    "neighbourhood_share",
    "period_kind",
    "centre_latitude",
    "centre_longitude",
    "near_km",
    "walk_km",
    "city_km",
)

#: the columns of a service its editors fill in (the services add the distance, tags and search text)
SERVICE_FIELDS: tuple[str, ...] = (
    "organisation_id",
    "name",
    "category",
    "description",
    "public_details",
    "age_min",
    "age_max",
    "address",
    "postcode",
    "city",
    "latitude",
    "longitude",
    "opening_hours",
    "is_free",
    "price_details",
    "has_social_pricing",
    "social_pricing_details",
    "registration",
    "contact_name",
    "contact_email",
    "contact_phone",
    "website",
    "is_published",
)


class Service(Base):
    """A service or prestation offered to residents by a partner organisation."""

    __tablename__ = "acces_services_services"
    __table_args__ = (
        CheckConstraint("age_min IS NULL OR age_min >= 0", name="age_min_positive"),
        CheckConstraint("age_max IS NULL OR age_min IS NULL OR age_max >= age_min", name="age_range"),
        Index("ix_acces_services_services_space_category", "space_id", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the platform space whose catalogue holds the service (permissions are checked there)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    #: one of :data:`plugins.acces_services.vocab.CATEGORIES`
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    #: free words on the public, beside the ``public:`` tags ("élèves du CP au CM2")
    public_details: Mapped[str] = mapped_column(String(SHORT_MAX), default="")
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(SHORT_MAX), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: metres from the neighbourhood's centre, when coordinates and the centre are known
    distance_m: Mapped[int | None] = mapped_column(Integer)
    #: one of :data:`plugins.acces_services.vocab.DISTANCE_BANDS` (computed or chosen)
    distance_band: Mapped[str] = mapped_column(String(20), index=True)
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    is_free: Mapped[bool] = mapped_column(Boolean, default=False)
    price_details: Mapped[str] = mapped_column(Text, default="")
    has_social_pricing: Mapped[bool] = mapped_column(Boolean, default=False)
    social_pricing_details: Mapped[str] = mapped_column(Text, default="")
    registration: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(NAME_MAX), default="", info=PERSONAL)
    contact_email: Mapped[str] = mapped_column(String(254), default="", info=PERSONAL)
    contact_phone: Mapped[str] = mapped_column(String(20), default="", info=PERSONAL)
    website: Mapped[str] = mapped_column(String(500), default="")
    #: unpublished services are seen only by those who may edit them
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    #: no longer offered: out of the catalogue, figures kept, no more figures expected
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: accent-free text the full-text index covers (kept in step by the services)
    search_doc: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="raise")
    tags: Mapped[list[ServiceTag]] = relationship(
        back_populates="service", cascade="all, delete-orphan", lazy="selectin", order_by="ServiceTag.tag"
    )

    def tag_codes(self, prefix: str) -> list[str]:
        """The codes of the tags ``<prefix>:<code>`` (e.g. ``public``, ``access``)."""
        start = prefix + ":"
        return [t.tag[len(start) :] for t in self.tags if t.tag.startswith(start)]

    @property
    def publics(self) -> list[str]:
        """The public codes, in the vocabulary's order (youngest first)."""
        codes = set(self.tag_codes("public"))
        return [code for code in PUBLICS if code in codes]

    @property
    def accessibility(self) -> list[str]:
        """The accessibility codes, in the vocabulary's order."""
        codes = set(self.tag_codes("access"))
        return [code for code in ACCESSIBILITY if code in codes]

    def __repr__(self) -> str:
        return f"<Service {self.id} {self.name!r}>"


class ServiceTag(Base):
    """A public (``public:<code>``) or an accessibility category (``access:<code>``) of a service."""

    __tablename__ = "acces_services_service_tags"

    service_id: Mapped[int] = mapped_column(
        # named by hand: the conventional name would pass PostgreSQL's 63 characters
        ForeignKey(
            "acces_services_services.id", ondelete="CASCADE", name="fk_acces_services_service_tags_service"
        ),
        primary_key=True,
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)

    service: Mapped[Service] = relationship(back_populates="tags")


class Figure(Base):
    """How many people used a service during one period, and how many of them live in the
    priority neighbourhood. Aggregates only: never a person."""

    __tablename__ = "acces_services_figures"
    __table_args__ = (
        UniqueConstraint("service_id", "period"),
        CheckConstraint("users_total >= 0", name="total_positive"),
        CheckConstraint("users_neighbourhood >= 0", name="neighbourhood_positive"),
        CheckConstraint("users_neighbourhood <= users_total", name="neighbourhood_within_total"),
        CheckConstraint("period_end >= period_start", name="period_order"),
        Index("ix_acces_services_figures_period_end", "period_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("acces_services_services.id", ondelete="RESTRICT"))
    #: canonical code, e.g. ``2026-T1`` (see :mod:`plugins.acces_services.periods`)
    period: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    users_total: Mapped[int] = mapped_column(Integer)
    users_neighbourhood: Mapped[int] = mapped_column(Integer)
    #: ``form``, ``csv`` or ``demo``
    source: Mapped[str] = mapped_column(String(10), default="form")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    service: Mapped[Service] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"<Figure {self.service_id} {self.period} {self.users_neighbourhood}/{self.users_total}>"


proposal_services = Table(
    "acces_services_proposal_services",
    Base.metadata,
    Column(
        "proposal_id",
        ForeignKey("acces_services_proposals.id", ondelete="CASCADE", name="fk_acces_services_ps_proposal"),
        primary_key=True,
    ),
    Column(
        "service_id",
        ForeignKey("acces_services_services.id", ondelete="CASCADE", name="fk_acces_services_ps_service"),
        primary_key=True,
        index=True,
    ),
)


class Proposal(Base):
    """A study, opinion, proposal or recommendation of the platform to the elected officials."""

    __tablename__ = "acces_services_proposals"
    __table_args__ = (Index("ix_acces_services_proposals_space_status", "space_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="RESTRICT"))
    #: one of :data:`plugins.acces_services.vocab.PROPOSAL_KINDS`
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(NAME_MAX))
    body: Mapped[str] = mapped_column(Text, default="")
    #: one of :data:`plugins.acces_services.vocab.PROPOSAL_STATUSES`
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    #: the elected officials' answer
    answer: Mapped[str] = mapped_column(Text, default="")
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the platform meeting where the proposal was adopted
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    #: when it was sent to the elected officials (the "no answer after 3 months" rule starts here)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    meeting: Mapped[Meeting | None] = relationship(lazy="raise")
    services: Mapped[list[Service]] = relationship(
        secondary=proposal_services, lazy="raise", order_by="Service.name"
    )

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.title!r} {self.status}>"


class PlatformSettings(Base):
    """Settings of one platform space, edited by its animators (a missing row means defaults)."""

    __tablename__ = "acces_services_settings"
    __table_args__ = (
        CheckConstraint("neighbourhood_share > 0 AND neighbourhood_share < 100", name="share_range"),
        CheckConstraint("near_km > 0 AND walk_km > near_km AND city_km > walk_km", name="band_order"),
    )

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True)
    neighbourhood_name: Mapped[str] = mapped_column(String(120), default="Les Hautes-Noues")
    #: percentage of the city's population living in the priority neighbourhood
    neighbourhood_share: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=DEFAULT_SHARE)
    #: ``quarter``, ``semester`` or ``year``
    period_kind: Mapped[str] = mapped_column(String(10), default=QUARTER)
    #: the neighbourhood's centre, from which distances are computed
    centre_latitude: Mapped[float | None] = mapped_column(Float)
    centre_longitude: Mapped[float | None] = mapped_column(Float)
    #: upper limits (km) of the ``quartier``, ``proche`` and ``commune`` bands
    near_km: Mapped[float] = mapped_column(Float, default=0.5)
    walk_km: Mapped[float] = mapped_column(Float, default=1.2)
    city_km: Mapped[float] = mapped_column(Float, default=4.0)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def has_centre(self) -> bool:
        return self.centre_latitude is not None and self.centre_longitude is not None
