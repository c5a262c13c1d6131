"""The annual report of the groups: for one year, per group, the meetings held, who came (by
organisation, signatories marked), the decisions taken and the action items still open – to
feed the yearly bilan and the evaluation of the contract."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.calendar.models import OPEN, ActionItem, Attendance, Decision, Meeting
from core.directory.models import Organisation
from core.i18n import format_date
from core.i18n import gettext as _
from core.spaces.models import MEMBER, Space, SpaceMembership
from plugins.groupes_techniques import compliance, csvout
from plugins.groupes_techniques.periods import utc_end, utc_start
from plugins.groupes_techniques.vocab import COMMITTEE_KIND, KINDS


@dataclass
class OrganisationPresence:
    """An organisation and the number of the group's held meetings it attended."""

    name: str
    is_signatory: bool
    meetings: int


@dataclass
class GroupReport:
    """One group's year."""

    space: Space
    cells: list[compliance.Cell]
    held: list[compliance.MeetingFact]
    presence: list[OrganisationPresence] = field(default_factory=list)
    absent_signatories: list[str] = field(default_factory=list)
    decisions: list[tuple[date, str]] = field(default_factory=list)
    open_actions: list[tuple[str, date | None]] = field(default_factory=list)


def groups_of_year(db: Session, year: int) -> list[Space]:
    """The groups open during ``year`` (those closed before it began are left out)."""
    start = utc_start(date(year, 1, 1))
    groups = db.scalars(select(Space).where(Space.kind.in_(KINDS))).all()
    kept = [s for s in groups if s.closed_at is None or s.closed_at >= start]
    return sorted(kept, key=lambda s: (s.kind != COMMITTEE_KIND, s.name.casefold(), s.id))


def build(
    db: Session, groups: Sequence[Space], year: int, *, now: datetime, horizon_days: int
) -> list[GroupReport]:
    """The report of ``year`` for these groups (a handful of queries whatever their number)."""
    rows = compliance.rows(db, groups, [year], now=now, horizon_days=horizon_days)
    reports = []
    for row in rows:
        facts = sorted({m.id: m for c in row.cells for m in c.held}.values(), key=lambda m: m.starts_at)
        reports.append(GroupReport(row.space, row.cells, facts))
    held_ids = {m.id: r for r in reports for m in r.held}
    if held_ids:
        presence = db.execute(
            select(Attendance.meeting_id, Organisation.name, Organisation.is_signatory)
            .join(Organisation, Organisation.id == Attendance.organisation_id)
            .where(Attendance.meeting_id.in_(held_ids))
        ).all()
        counts: dict[int, dict[tuple[str, bool], set[int]]] = {}
        for meeting_id, name, signatory in presence:
            report = held_ids[meeting_id]
            counts.setdefault(report.space.id, {}).setdefault((name, bool(signatory)), set()).add(meeting_id)
        for report in reports:
            found = counts.get(report.space.id, {})
            report.presence = sorted(
                (OrganisationPresence(n, s, len(ms)) for (n, s), ms in found.items()),
                key=lambda p: (-p.meetings, p.name.casefold()),
            )
        decisions = db.execute(
            select(Decision.meeting_id, Decision.text)
            .where(Decision.meeting_id.in_(held_ids))
            .order_by(Decision.meeting_id, Decision.position, Decision.id)
        ).all()
        days = {m.id: m.day for r in reports for m in r.held}
        for meeting_id, text in decisions:
            held_ids[meeting_id].decisions.append((days[meeting_id], text))
    by_space = {r.space.id: r for r in reports}
    if by_space:
        signatories = db.execute(
            select(SpaceMembership.space_id, Organisation.name)
            .join(Organisation, Organisation.id == SpaceMembership.organisation_id)
            .where(
                SpaceMembership.space_id.in_(by_space),
                SpaceMembership.role == MEMBER,
                Organisation.is_signatory.is_(True),
            )
            .order_by(func.lower(Organisation.name))
        ).all()
        for space_id, name in signatories:
            report = by_space[space_id]
            if name not in {p.name for p in report.presence}:
                report.absent_signatories.append(name)
        actions = db.execute(
            select(ActionItem.space_id, ActionItem.title, ActionItem.due_on)
            .join(Meeting, Meeting.id == ActionItem.meeting_id)
            .where(
                ActionItem.space_id.in_(by_space),
                ActionItem.status == OPEN,
                Meeting.starts_at < utc_end(date(year, 12, 31)),  # decided by the end of the year
            )
            .order_by(ActionItem.due_on, ActionItem.id)
        ).all()
        for space_id, title, due_on in actions:
            by_space[space_id].open_actions.append((title, due_on))
    return reports


def to_csv(reports: Sequence[GroupReport]) -> str:
    """The report as CSV (``;``, UTF-8 with BOM), one line per group."""
    header = [
        _("Groupe"),
        _("Obligation"),
        _("Réunions tenues"),
        _("Dates"),
        _("Organisations présentes (réunions)"),
        _("Signataires membres absents"),
        _("Décisions"),
        _("Actions ouvertes"),
    ]
    rows = [
        [
            report.space.name,
            " / ".join(f"{c.period.label} : {c.label}" for c in report.cells),
            len(report.held),
            ", ".join(format_date(m.day, "short") for m in report.held),
            ", ".join(f"{p.name} ({p.meetings})" for p in report.presence),
            ", ".join(report.absent_signatories),
            " | ".join(text for _day, text in report.decisions),
            " | ".join(
                title + (f" ({format_date(due, 'short')})" if due else "")
                for title, due in report.open_actions
            ),
        ]
        for report in reports
    ]
    return csvout.write(header, rows)
