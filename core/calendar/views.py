"""Calendar data for the month, week and list views, the panels and the dashboard.

Everything a view shows comes from one query over ``meetings`` joined to ``spaces`` (plus the
few queries the visibility rule needs), whatever the number of meetings: no query per meeting.
Days are Paris calendar days; a meeting spanning several days appears on each of them.
"""

from __future__ import annotations

import calendar as pycalendar
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from core.calendar.models import CANCELLED, SCHEDULED, Invitation, Meeting
from core.calendar.services import MAX_DURATION
from core.calendar.timeparse import paris_day_bounds
from core.calendar.visibility import visible_meetings
from core.i18n import PARIS
from core.spaces.models import Space

if TYPE_CHECKING:
    from core.accounts.models import User
    from core.declarations import Registry

MAX_LIST_DAYS = 366
LIST_PAGE_SIZE = 100


@dataclass(frozen=True)
class CalendarFilters:
    """What the viewer narrowed the calendar to."""

    space_id: int | None = None
    kind: str | None = None
    mine: bool = False

    def query(self) -> dict[str, Any]:
        """The filters as URL query parameters (empty ones left out)."""
        return {"space": self.space_id, "kind": self.kind, "mine": "1" if self.mine else None}

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.space_id or self.kind or self.mine)


@dataclass(frozen=True, slots=True)
class MeetingSummary:
    """The columns of a meeting the calendar views show (lighter than a full ORM object on a
    month of thousands of meetings)."""

    id: int
    space_id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    room: str
    online_url: str
    visibility: str
    status: str

    @property
    def is_cancelled(self) -> bool:
        """Whether the meeting was cancelled (it stays in the calendar, marked)."""
        return self.status == CANCELLED


SUMMARY_COLUMNS = tuple(getattr(Meeting, f.name) for f in fields(MeetingSummary))


@dataclass(frozen=True)
class Entry:
    """A meeting as the calendar shows it: with its space's name and its kind's label."""

    meeting: MeetingSummary
    space_name: str
    space_slug: str
    kind_label: str

    @property
    def start_local(self) -> datetime:
        """The start in Paris time."""
        return self.meeting.starts_at.astimezone(PARIS)

    @property
    def end_local(self) -> datetime:
        """The end in Paris time."""
        return self.meeting.ends_at.astimezone(PARIS)

    def days(self) -> list[date]:
        """The Paris days the meeting covers (an end at midnight does not touch the next day)."""
        first = self.start_local.date()
        last = (self.end_local - timedelta(microseconds=1)).date()
        return [first + timedelta(days=i) for i in range(max((last - first).days, 0) + 1)]


@dataclass
class Day:
    """A day of a month grid or a week, with the meetings on it."""

    day: date
    in_month: bool = True
    is_today: bool = False
    entries: list[Entry] = field(default_factory=list)


def kind_label(registry: Registry, kind: str) -> str:
    """The label of a meeting kind (its name when the declaring plugin is off)."""
    declared = registry.meeting_kinds.get(kind)
    return str(declared.label) if declared is not None else kind


def my_meetings_clause(db: Session, registry: Registry, user: User | None) -> ColumnElement[bool]:
    """Meetings of the spaces ``user`` holds any role in, or that they are invited to."""
    from core.accounts.permissions import spaces_with_roles

    if user is None:
        return Meeting.id.is_(None)
    clauses: list[ColumnElement[bool]] = []
    space_ids = spaces_with_roles(db, user, set(registry.space_roles))
    if space_ids:
        clauses.append(Meeting.space_id.in_(space_ids))
    if user.contact_id is not None:
        clauses.append(
            Meeting.id.in_(select(Invitation.meeting_id).where(Invitation.contact_id == user.contact_id))
        )
    return or_(*clauses) if clauses else Meeting.id.is_(None)


def _base_query(db: Session, registry: Registry, user: User | None, filters: CalendarFilters) -> Any:
    stmt = (
        select(*SUMMARY_COLUMNS, Space.name, Space.slug)
        .join(Space, Space.id == Meeting.space_id)
        .where(visible_meetings(db, user))
    )
    if filters.space_id:
        stmt = stmt.where(Meeting.space_id == filters.space_id)
    if filters.kind:
        stmt = stmt.where(Meeting.kind == filters.kind)
    if filters.mine:
        stmt = stmt.where(my_meetings_clause(db, registry, user))
    return stmt


def _overlapping(stmt: Any, start: datetime, end: datetime) -> Any:
    # the lower bound on starts_at keeps the index range short (meetings last ≤ MAX_DURATION)
    return stmt.where(
        Meeting.starts_at < end, Meeting.starts_at > start - MAX_DURATION, Meeting.ends_at > start
    )


def _entries(registry: Registry, rows: Sequence[Any]) -> list[Entry]:
    width = len(SUMMARY_COLUMNS)
    entries = []
    for row in rows:
        meeting = MeetingSummary(*row[:width])
        entries.append(Entry(meeting, row[width], row[width + 1], kind_label(registry, meeting.kind)))
    return entries


def meetings_between(
    db: Session,
    registry: Registry,
    user: User | None,
    start: datetime,
    end: datetime,
    filters: CalendarFilters | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[Entry]:
    """Visible meetings overlapping ``[start, end)``, in start order."""
    stmt = _overlapping(_base_query(db, registry, user, filters or CalendarFilters()), start, end)
    stmt = stmt.order_by(Meeting.starts_at, Meeting.id)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return _entries(registry, db.execute(stmt).all())


def count_between(
    db: Session,
    registry: Registry,
    user: User | None,
    start: datetime,
    end: datetime,
    filters: CalendarFilters | None = None,
) -> int:
    """How many visible meetings overlap ``[start, end)``."""
    stmt = _overlapping(_base_query(db, registry, user, filters or CalendarFilters()), start, end)
    return int(
        db.scalar(select(func.count()).select_from(stmt.with_only_columns(Meeting.id).subquery())) or 0
    )


def upcoming(
    db: Session,
    registry: Registry,
    user: User | None,
    *,
    now: datetime,
    limit: int = 5,
    space_id: int | None = None,
    mine: bool = False,
) -> list[Entry]:
    """The next scheduled meetings (not ended at ``now``) the user may see."""
    stmt = _base_query(db, registry, user, CalendarFilters(space_id=space_id, mine=mine))
    stmt = (
        stmt.where(Meeting.status == SCHEDULED, Meeting.ends_at > now, Meeting.starts_at > now - MAX_DURATION)
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    )
    return _entries(registry, db.execute(stmt).all())


# ----------------------------------------------------------------------------- date ranges


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The first Monday on or before the 1st and the Monday after the last Sunday of the grid."""
    first = date(year, month, 1)
    last = date(year, month, pycalendar.monthrange(year, month)[1])
    grid_start = first - timedelta(days=first.weekday())
    grid_end = last + timedelta(days=7 - last.weekday())
    return grid_start, grid_end


def utc_range(first_day: date, end_day: date) -> tuple[datetime, datetime]:
    """The UTC instants of Paris midnight at the start of ``first_day`` and of ``end_day``."""
    return paris_day_bounds(first_day)[0], paris_day_bounds(end_day)[0]


def _days(first: date, end: date, entries: Sequence[Entry], today: date, month: int | None) -> list[Day]:
    days = {first + timedelta(days=i): Day(first + timedelta(days=i)) for i in range((end - first).days)}
    for cell in days.values():
        cell.is_today = cell.day == today
        cell.in_month = month is None or cell.day.month == month
    for entry in entries:
        for day in entry.days():
            if day in days:
                days[day].entries.append(entry)
    return list(days.values())


def month_grid(year: int, month: int, entries: Sequence[Entry], today: date) -> list[list[Day]]:
    """The weeks (Monday first) of a month, each day with its meetings."""
    first, end = month_bounds(year, month)
    days = _days(first, end, entries, today, month)
    return [days[i : i + 7] for i in range(0, len(days), 7)]


def week_days(monday: date, entries: Sequence[Entry], today: date) -> list[Day]:
    """The seven days of the week starting ``monday``, each with its meetings."""
    return _days(monday, monday + timedelta(days=7), entries, today, None)


def group_by_start_day(entries: Sequence[Entry]) -> list[tuple[date, list[Entry]]]:
    """Entries grouped under the Paris day they start on (the list view)."""
    groups: dict[date, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.start_local.date(), []).append(entry)
    return list(groups.items())


def parse_month(value: str | None, today: date) -> tuple[int, int]:
    """``2026-03`` → (2026, 3); anything else → the current month."""
    try:
        year_s, month_s = (value or "").split("-")
        year, month = int(year_s), int(month_s)
        if 1900 < year < 2200 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return today.year, today.month


def parse_day(value: str | None, default: date) -> date:
    """``2026-03-02`` → a date; anything else → ``default``."""
    try:
        parsed = date.fromisoformat(value or "")
    except ValueError:
        return default
    return parsed if 1900 < parsed.year < 2200 else default


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    """The month ``delta`` months away."""
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1
