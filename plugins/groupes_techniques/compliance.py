"""Compliance of each group with its meeting obligation, period by period.

A meeting *counts* (held) when it is not cancelled, has ended, and its minutes or its attendance
were recorded. A meeting not cancelled that has not ended yet is *planned*; one that ended
without minutes nor attendance is *unconfirmed*: while its period runs it counts as planned
(the core reminds the animators to write the minutes), once the period is over it does not.

Statuses of a period (see :mod:`plugins.groupes_techniques.vocab`): met, planned (enough held
or planned), to plan (not enough yet, the deadline is far), at risk (not enough and the
deadline is within the horizon: the weeks before the first reminder), missed (the period
ended without enough held), upcoming (the period has not started and not enough is planned),
none (no obligation applies). Each period is judged under the rule in force when it started.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.calendar.models import CANCELLED, Attendance, Meeting, Minutes
from core.spaces.models import Space
from plugins.groupes_techniques import services
from plugins.groupes_techniques.models import Obligation
from plugins.groupes_techniques.periods import Period, paris_day, utc_end, utc_start
from plugins.groupes_techniques.vocab import (
    AT_RISK,
    MET,
    MISSED,
    NONE,
    PLANNED,
    STATUS_LABELS,
    STATUS_SIGNS,
    TODO,
    UPCOMING,
    YEAR,
    label,
)

HELD = "held"
PLANNED_MEETING = "planned"
UNCONFIRMED = "unconfirmed"
#: the default horizon of "at risk" when the reminder timing has no offset before the deadline
DEFAULT_HORIZON_DAYS = 56


@dataclass(frozen=True)
class MeetingFact:
    """A meeting as the obligation sees it."""

    id: int
    space_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    state: str

    @property
    def day(self) -> date:
        """Its Paris date."""
        return paris_day(self.starts_at)


@dataclass
class Cell:
    """One group in one period: the rule, the meetings behind it and the verdict."""

    period: Period
    rule: Obligation | None
    status: str
    deadline: date | None
    held: list[MeetingFact] = field(default_factory=list)
    planned: list[MeetingFact] = field(default_factory=list)
    unconfirmed: list[MeetingFact] = field(default_factory=list)

    @property
    def required(self) -> int:
        """Meetings the rule asks for in this period (0 without an obligation)."""
        return self.rule.min_meetings if self.rule is not None else 0

    @property
    def missing(self) -> int:
        """Meetings still to hold."""
        return max(0, self.required - len(self.held))

    @property
    def to_plan(self) -> int:
        """Meetings still to plan (held, planned and awaiting minutes deducted)."""
        return max(0, self.required - len(self.held) - len(self.planned) - len(self.unconfirmed))

    @property
    def span(self) -> int:
        """Semester columns the cell covers (2 for a yearly obligation)."""
        return 2 if self.period.kind == YEAR else 1

    @property
    def label(self) -> str:
        """The translated status."""
        return label(STATUS_LABELS, self.status)

    @property
    def sign(self) -> str:
        """A short sign for tables (always next to the label)."""
        return STATUS_SIGNS[self.status]

    @property
    def meetings(self) -> list[MeetingFact]:
        """Every meeting counted in the period, by date."""
        return sorted([*self.held, *self.planned, *self.unconfirmed], key=lambda m: m.starts_at)

    @property
    def needs_meeting(self) -> bool:
        """Whether the animators should plan a meeting now (what the reminders look at)."""
        return self.status in (TODO, AT_RISK)


def meeting_facts(
    db: Session, space_ids: Iterable[int], first: date, last: date, now: datetime
) -> dict[int, list[MeetingFact]]:
    """The meetings (not cancelled) of these spaces starting between two Paris dates, by space."""
    ids = list(set(space_ids))
    found: dict[int, list[MeetingFact]] = {i: [] for i in ids}
    if not ids:
        return found
    has_minutes = exists().where(Minutes.meeting_id == Meeting.id, Minutes.body != "")
    has_attendance = exists().where(Attendance.meeting_id == Meeting.id)
    rows = db.execute(
        select(
            Meeting.id,
            Meeting.space_id,
            Meeting.title,
            Meeting.starts_at,
            Meeting.ends_at,
            has_minutes.label("minutes"),
            has_attendance.label("attendance"),
        )
        .where(
            Meeting.space_id.in_(ids),
            Meeting.status != CANCELLED,
            Meeting.starts_at >= utc_start(first),
            Meeting.starts_at < utc_end(last),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    for meeting_id, space_id, title, starts_at, ends_at, minutes, attendance in rows:
        if ends_at > now:
            state = PLANNED_MEETING
        elif minutes or attendance:
            state = HELD
        else:
            state = UNCONFIRMED
        found[space_id].append(MeetingFact(meeting_id, space_id, title, starts_at, ends_at, state))
    return found


def deadline_of(space: Space, period: Period) -> date | None:
    """The last day the group can meet for ``period`` (an ad hoc group's end may come first), or
    ``None`` when the group does not exist in that period (ended or closed before it)."""
    end = period.end
    if not space.is_permanent and space.ends_on is not None:
        if space.ends_on < period.start:
            return None
        end = min(end, space.ends_on)
    if space.closed_at is not None and paris_day(space.closed_at) < period.start:
        return None
    return end


def evaluate(
    space: Space,
    period: Period,
    rule: Obligation | None,
    facts: Sequence[MeetingFact],
    *,
    today: date,
    horizon_days: int,
) -> Cell:
    """The verdict for one group in one period, from its meetings and the rule of that period."""
    deadline = deadline_of(space, period)
    mine = [f for f in facts if period.contains(f.day)]
    cell = Cell(
        period,
        rule,
        NONE,
        deadline,
        held=[f for f in mine if f.state == HELD],
        planned=[f for f in mine if f.state == PLANNED_MEETING],
        unconfirmed=[f for f in mine if f.state == UNCONFIRMED],
    )
    if rule is None or rule.min_meetings == 0 or deadline is None:
        cell.rule = rule if deadline is not None else None
        return cell
    needed = rule.min_meetings
    foreseen = len(cell.held) + len(cell.planned) + len(cell.unconfirmed)
    if len(cell.held) >= needed:
        cell.status = MET
    elif today > deadline:
        cell.status = MISSED
    elif today < period.start:
        cell.status = PLANNED if foreseen >= needed else UPCOMING
    elif foreseen >= needed:
        cell.status = PLANNED
    elif (deadline - today).days <= horizon_days:
        cell.status = AT_RISK
    else:
        cell.status = TODO
    return cell


@dataclass
class GroupRow:
    """A group and its cells, in period order."""

    space: Space
    cells: list[Cell]
    rule: Obligation | None = None

    @property
    def pillar(self) -> str | None:
        """The group's pillar code."""
        return self.space.pillar


def rows(
    db: Session, groups: Sequence[Space], years: Sequence[int], *, now: datetime, horizon_days: int
) -> list[GroupRow]:
    """Each group with its cells for ``years`` (semesters, or whole years under a yearly rule),
    computed with two queries whatever the number of groups."""
    ids = [g.id for g in groups]
    history = services.obligations(db, ids)
    facts = meeting_facts(db, ids, date(min(years), 1, 1), date(max(years), 12, 31), now) if years else {}
    today = paris_day(now)
    result = []
    for space in groups:
        cells = []
        for year in years:
            for period, rule in services.periods_of_year(history[space.id], year):
                cells.append(
                    evaluate(
                        space, period, rule, facts.get(space.id, []), today=today, horizon_days=horizon_days
                    )
                )
        result.append(GroupRow(space, cells, services.rule_at(history[space.id], today)))
    return result


def current_cell(db: Session, space: Space, *, now: datetime, horizon_days: int) -> Cell:
    """The period running today for a group, with its deadline (its "next deadline")."""
    today = paris_day(now)
    row = rows(db, [space], [today.year], now=now, horizon_days=horizon_days)[0]
    return next(c for c in row.cells if c.period.contains(today))


def history(db: Session, space: Space, *, now: datetime, horizon_days: int) -> list[Cell]:
    """Every period of a group since its first obligation (or its creation), latest first."""
    today = paris_day(now)
    rules = services.obligations(db, [space.id])[space.id]
    first_year = min([r.valid_from.year for r in rules] + [paris_day(space.created_at).year, today.year])
    years = list(range(first_year, today.year + 1))
    row = rows(db, [space], years, now=now, horizon_days=horizon_days)[0]
    return [c for c in reversed(row.cells) if c.rule is not None or c.meetings]
