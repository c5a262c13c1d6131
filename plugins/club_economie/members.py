"""Members of the club: the directory (members-only and public), their choices, membership
years and renewal, and their invitation to the club's next plenary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.audit import services as audit
from core.calendar.invitations import invite_contacts
from core.calendar.models import SCHEDULED, Meeting
from core.directory.models import Contact, Organisation
from core.directory.normalise import fold
from core.i18n import PARIS
from core.i18n import gettext as _
from plugins.club_economie.models import Member, MembershipYear
from plugins.club_economie.services import open_year
from plugins.club_economie.vocab import PLENARY

if TYPE_CHECKING:
    from core.accounts.models import User

VISIBILITY_FIELDS = (
    "listed",
    "public",
    "address_visible",
    "contact_visible",
    "email_visible",
    "phone_visible",
)


@dataclass(frozen=True)
class Card:
    """What the directory shows of one member, after its choices (``None``: hidden)."""

    member: Member
    name: str
    activity: str
    naf_code: str
    size_band: str
    in_priority_area: bool
    presentation: str
    address: str | None
    contact_name: str | None
    email: str | None
    phone: str | None


def _card(member: Member, org: Organisation, contact: Contact | None) -> Card:
    usable = contact is not None and contact.anonymised_at is None
    return Card(
        member=member,
        name=org.name,
        activity=member.activity,
        naf_code=member.naf_code,
        size_band=member.size_band,
        in_priority_area=member.in_priority_area,
        presentation=member.presentation,
        address=" ".join(p for p in (org.address, org.postcode, org.city) if p)
        if member.address_visible
        else None,
        contact_name=contact.full_name if usable and member.contact_visible and contact else None,
        email=contact.email if usable and member.email_visible and contact else None,
        phone=contact.phone if usable and member.phone_visible and contact else None,
    )


@dataclass(frozen=True)
class Filters:
    """Filters of the directory: an activity, a size band, the priority neighbourhood only."""

    activity: str = ""
    size_band: str = ""
    priority_only: bool = False


def directory(db: Session, space_id: int, filters: Filters, *, public: bool) -> list[Card]:
    """The members who agreed to be listed (publicly when ``public``), filtered, by name."""
    stmt = (
        select(Member, Organisation, Contact)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .outerjoin(Contact, Contact.id == Member.contact_id)
        .where(Member.space_id == space_id, Member.left_at.is_(None), Member.listed.is_(True))
    )
    if public:
        stmt = stmt.where(Member.public.is_(True))
    if filters.activity:
        stmt = stmt.where(Member.activity == filters.activity)
    if filters.size_band:
        stmt = stmt.where(Member.size_band == filters.size_band)
    if filters.priority_only:
        stmt = stmt.where(Member.in_priority_area.is_(True))
    cards = [_card(m, o, c) for m, o, c in db.execute(stmt)]
    return sorted(cards, key=lambda c: fold(c.name))


def activities(db: Session, space_id: int, *, public: bool) -> list[str]:
    """The activities of listed members, for the filter."""
    stmt = select(Member.activity).where(
        Member.space_id == space_id, Member.left_at.is_(None), Member.listed.is_(True), Member.activity != ""
    )
    if public:
        stmt = stmt.where(Member.public.is_(True))
    return sorted(set(db.scalars(stmt)), key=fold)


def get_member(db: Session, member_id: int) -> Member | None:
    """A member by id."""
    return db.get(Member, member_id)


def member_of_contact(db: Session, space_id: int, contact_id: int | None) -> Member | None:
    """The member a person represents in the club, if any."""
    if contact_id is None:
        return None
    return db.scalar(
        select(Member).where(
            Member.space_id == space_id, Member.contact_id == contact_id, Member.left_at.is_(None)
        )
    )


def organisation_name(db: Session, member: Member) -> str:
    """The member organisation's name."""
    org = db.get(Organisation, member.organisation_id)
    return org.name if org is not None else ""


def set_visibility(
    db: Session, actor: User | None, member: Member, values: dict[str, object], *, now: datetime
) -> dict[str, list[object]]:
    """Save what a member shows; a public listing implies the members' one. Audited."""
    data = {name: bool(values.get(name)) for name in VISIBILITY_FIELDS}
    if data["public"]:
        data["listed"] = True
    data_text = {
        "presentation": str(values.get("presentation") or "")[:5000],
        "activity": str(values.get("activity") or "")[:200],
    }
    changes = audit.diff(member, {**data, **data_text})
    if not changes:
        return {}
    for key, value in {**data, **data_text}.items():
        setattr(member, key, value)
    member.updated_at = now
    db.flush()
    audit.record(
        db,
        actor,
        "club_economie.member.visibility",
        member,
        summary=organisation_name(db, member),
        changes=changes,
    )
    return changes


# --------------------------------------------------------------------------- membership years


def year_end(year: int) -> date:
    """The last day of a membership year."""
    return date(year, 12, 31)


def current_year(now: datetime) -> int:
    """The membership year running at ``now`` (Paris calendar year)."""
    return now.astimezone(PARIS).year


def renew(db: Session, actor: User | None, member: Member, year: int, *, now: datetime) -> bool:
    """Record the member's membership for ``year``; ``False`` when already recorded."""
    return open_year(db, actor, member, year, now=now)


@dataclass(frozen=True)
class YearRow:
    """A member, whether they hold the year and the next one."""

    member: Member
    name: str
    contact_name: str
    has_year: bool
    has_next: bool


def years_overview(db: Session, space_id: int, year: int) -> list[YearRow]:
    """Every current member with their membership of ``year`` and ``year + 1``; those who held
    ``year`` and not the next (not renewed) first."""
    held = {
        (m, y)
        for m, y in db.execute(
            select(MembershipYear.member_id, MembershipYear.year).where(
                MembershipYear.year.in_((year, year + 1))
            )
        )
    }
    rows = []
    for member, org, contact in db.execute(
        select(Member, Organisation, Contact)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .outerjoin(Contact, Contact.id == Member.contact_id)
        .where(Member.space_id == space_id, Member.left_at.is_(None))
    ):
        rows.append(
            YearRow(
                member,
                org.name,
                contact.full_name if contact is not None else "",
                (member.id, year) in held,
                (member.id, year + 1) in held,
            )
        )
    return sorted(rows, key=lambda r: (not (r.has_year and not r.has_next), fold(r.name)))


def not_renewed(db: Session, space_id: int, year: int) -> Sequence[Member]:
    """Members who held ``year`` and have not renewed for ``year + 1``."""
    next_year = select(MembershipYear.id).where(
        MembershipYear.member_id == Member.id, MembershipYear.year == year + 1
    )
    return db.scalars(
        select(Member)
        .join(MembershipYear, MembershipYear.member_id == Member.id)
        .where(
            Member.space_id == space_id,
            Member.left_at.is_(None),
            MembershipYear.year == year,
            ~exists(next_year),
        )
        .order_by(Member.id)
    ).all()


# ------------------------------------------------------------------------------- club meetings


def next_plenary(db: Session, space_id: int, now: datetime) -> Meeting | None:
    """The club's next scheduled plenary."""
    return db.scalar(
        select(Meeting)
        .where(
            Meeting.space_id == space_id,
            Meeting.kind == PLENARY,
            Meeting.status == SCHEDULED,
            Meeting.starts_at > now,
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )


def invite_to_next_plenary(
    db: Session, actor: User | None, member: Member, *, now: datetime
) -> Meeting | None:
    """Invite a new member's contact to the club's next plenary (the core invitation email
    follows); the meeting, or ``None`` when none is planned or no one could be invited."""
    meeting = next_plenary(db, member.space_id, now)
    if meeting is None or member.contact_id is None:
        return None
    report = invite_contacts(db, actor, meeting, [member.contact_id], now=now)
    return meeting if report.invited or report.already else None


def upcoming_meetings(db: Session, space_id: int, now: datetime, limit: int = 10) -> Sequence[Meeting]:
    """The club's next meetings (every kind), soonest first."""
    return db.scalars(
        select(Meeting)
        .where(Meeting.space_id == space_id, Meeting.status == SCHEDULED, Meeting.ends_at > now)
        .order_by(Meeting.starts_at)
        .limit(limit)
    ).all()


def describe_year(year: int) -> str:
    """``2026 (1 janvier – 31 décembre)``."""
    return _("%(year)s (du 1er janvier au 31 décembre)", year=year)


def has_year(db: Session, member_id: int, year: int) -> bool:
    """Whether the member holds the membership of ``year``."""
    return (
        db.scalar(
            select(MembershipYear.id).where(
                MembershipYear.member_id == member_id, MembershipYear.year == year
            )
        )
        is not None
    )
