"""Tables of the club: applications, members, membership years, opinions.

An accepted application is linked to the core directory's organisation and contact it created
or matched; the club's meetings are core meetings (kinds in :mod:`vocab`), its resources core
resources with a ``club_economie.*`` category. Columns holding personal data carry
``info=PERSONAL`` (export, erasure, the anonymisation of declined applications).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import NOT_PERSONAL, PERSONAL, Base, Retention, UTCDateTime, utcnow
from plugins.club_economie.vocab import DECLINED_RETENTION

#: the rows the partial unique index on ``siret`` covers (the statuses of ``vocab.PENDING``)
PENDING_SIRET = "status IN ('new', 'info_requested') AND siret <> ''"


class Application(Base):
    """An entrepreneur's or project carrier's application to join the club (no account needed)."""

    __tablename__ = "club_economie_applications"
    __table_args__ = (
        Index("ix_club_economie_applications_space_status", "space_id", "status"),
        # one pending application per SIRET, enforced by the database (see services.submit)
        Index(
            "uq_club_economie_applications_pending_siret",
            "siret",
            unique=True,
            sqlite_where=text(PENDING_SIRET),
            postgresql_where=text(PENDING_SIRET),
        ),
        {
            "info": {
                "retention": [
                    # kept with its reason for a year after the refusal, then anonymised
                    Retention(
                        "club_economie.declined_applications",
                        "Candidatures refusées au Club des acteurs de l'économie",
                        "decided_at",
                        days=DECLINED_RETENTION.days,
                        where={"status": "declined"},
                    )
                ]
            }
        },
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    #: one of :data:`vocab.STATUSES`
    status: Mapped[str] = mapped_column(String(20), default="new")
    #: company or project name (an auto-entrepreneur's may be their own name)
    name: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    #: folded name, to spot similar applications and organisations
    name_key: Mapped[str] = mapped_column(String(200), default="", index=True, info=PERSONAL)
    #: 14 digits, empty for a project not yet registered
    siret: Mapped[str] = mapped_column(String(14), default="", index=True)
    legal_form: Mapped[str] = mapped_column(String(20), default="autre")
    #: NAF/APE code such as ``47.11B`` (empty when the activity is given as free text)
    naf_code: Mapped[str] = mapped_column(String(6), default="")
    activity: Mapped[str] = mapped_column(String(200), default="")
    size_band: Mapped[str] = mapped_column(String(10), default="0")
    address: Mapped[str] = mapped_column(String(300), default="", info=PERSONAL)
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    #: the address is in the priority neighbourhood (Portes de Paris – Hautes-Noues)
    in_priority_area: Mapped[bool] = mapped_column(Boolean, default=False)
    first_name: Mapped[str] = mapped_column(String(100), default="", info=PERSONAL)
    last_name: Mapped[str] = mapped_column(String(100), info=PERSONAL)
    function: Mapped[str] = mapped_column(String(200), default="", info=PERSONAL)
    email: Mapped[str] = mapped_column(String(254), index=True, info=PERSONAL)
    phone: Mapped[str] = mapped_column(String(20), default="", info=PERSONAL)
    #: what they bring to the club
    contribution: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    #: what they expect from the club
    expectations: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: keyed hash of the client address, for the rate limit only
    ip_hash: Mapped[str] = mapped_column(String(64), default="", index=True, info=PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: since when it waits for the animators (creation, or the applicant's answer)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: how many times more information was asked (numbers the signed links and reminders)
    info_requests: Mapped[int] = mapped_column(Integer, default=0)
    info_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    info_question: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    info_answer: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    info_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: the animators' message to the applicant (the reason of a refusal)
    decision_message: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    #: set when a declined application's personal data was erased after the retention period
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Member(Base):
    """An organisation member of the club, its representative and what it agrees to show."""

    __tablename__ = "club_economie_members"
    __table_args__ = (UniqueConstraint("space_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: the person who represents the organisation in the club
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("club_economie_applications.id", ondelete="SET NULL")
    )
    siret: Mapped[str] = mapped_column(String(14), default="", index=True)
    naf_code: Mapped[str] = mapped_column(String(6), default="")
    activity: Mapped[str] = mapped_column(String(200), default="", index=True)
    size_band: Mapped[str] = mapped_column(String(10), default="0")
    in_priority_area: Mapped[bool] = mapped_column(Boolean, default=False)
    #: what the company offers, in its own words (shown in the directory)
    presentation: Mapped[str] = mapped_column(Text, default="")
    joined_on: Mapped[date] = mapped_column(Date)
    # what the member agrees to show: to the club's members, and publicly
    listed: Mapped[bool] = mapped_column(Boolean, default=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    address_visible: Mapped[bool] = mapped_column(Boolean, info=NOT_PERSONAL, default=True)
    contact_visible: Mapped[bool] = mapped_column(Boolean, default=True)
    email_visible: Mapped[bool] = mapped_column(Boolean, info=NOT_PERSONAL, default=False)
    phone_visible: Mapped[bool] = mapped_column(Boolean, info=NOT_PERSONAL, default=False)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MembershipYear(Base):
    """A calendar year of membership (1 January – 31 December) a member joined or renewed for."""

    __tablename__ = "club_economie_membership_years"
    __table_args__ = (UniqueConstraint("member_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("club_economie_members.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Opinion(Base):
    """An opinion, proposal or recommendation of the club to the city, and what became of it."""

    __tablename__ = "club_economie_opinions"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    #: one of :data:`vocab.OPINION_KINDS`
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    #: one of :data:`vocab.OPINION_STATUSES`
    status: Mapped[str] = mapped_column(String(20), default="draft")
    #: the club meeting where it was adopted
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the city's official answer (not a person's data)
    answer: Mapped[str] = mapped_column(Text, default="", info=NOT_PERSONAL)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
