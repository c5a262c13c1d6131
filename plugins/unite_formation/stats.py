"""Statistics of the platform: cycles, sessions, registrations, attendance rate, share of
participants from the priority neighbourhood, per year and per public category; CSV export.

A cycle counts in the year (Paris time) of its first session. Participants are the
confirmed registrations; the attendance rate is presences over participants × sessions held.
Drafts are left out; cancelled cycles are counted apart.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.i18n import gettext as _
from plugins.unite_formation.attendance import rates
from plugins.unite_formation.models import Cycle, Registration
from plugins.unite_formation.services import PARIS, live_meetings, meetings_of
from plugins.unite_formation.vocab import CANCELLED, CONFIRMED, DRAFT, PUBLICS


@dataclass(eq=False)
class Line:
    """Figures of one group (a year, a public category, or everything)."""

    cycles: int = 0
    cancelled_cycles: int = 0
    sessions: int = 0
    registrations: int = 0
    priority: int = 0
    presences: int = 0
    expected: int = 0
    _cycle_ids: set[int] = field(default_factory=set, repr=False)

    @property
    def attendance_rate(self) -> float | None:
        """Percent of the expected presences, one decimal; ``None`` before any session."""
        return round(100 * self.presences / self.expected, 1) if self.expected else None

    @property
    def priority_share(self) -> float | None:
        return round(100 * self.priority / self.registrations, 1) if self.registrations else None


@dataclass(frozen=True)
class Statistics:
    total: Line
    by_year: dict[int, Line]
    by_public: dict[str, Line]
    by_year_and_public: dict[tuple[int, str], Line]


def compute(db: Session) -> Statistics:
    """Every figure, from the cycles that are not drafts."""
    total = Line()
    by_year: dict[int, Line] = defaultdict(Line)
    by_public: dict[str, Line] = defaultdict(Line)
    both: dict[tuple[int, str], Line] = defaultdict(Line)
    for cycle in db.scalars(select(Cycle).where(Cycle.status != DRAFT).order_by(Cycle.id)).all():
        meetings = meetings_of(cycle)  # cancelled sessions too: a cancelled cycle keeps its year
        if not meetings:
            continue
        year = meetings[0].starts_at.astimezone(PARIS).year
        held = len(live_meetings(cycle)) if cycle.status != CANCELLED else 0
        people = db.scalars(
            select(Registration).where(Registration.cycle_id == cycle.id, Registration.status == CONFIRMED)
        ).all()
        cycle_rates = rates(db, cycle, people) if held else {}
        for line in (total, by_year[year]):
            if cycle.status == CANCELLED:
                line.cancelled_cycles += 1
            else:
                line.cycles += 1
                line.sessions += held
        if cycle.status == CANCELLED:
            continue
        for person in people:
            rate = cycle_rates.get(person.id)
            groups = (by_public[person.public_category], both[(year, person.public_category)])
            for line in (total, by_year[year], *groups):
                line.registrations += 1
                line.priority += 1 if person.priority_area else 0
                line.presences += rate.present if rate else 0
                line.expected += held
            for line in groups:  # a cycle counts once in each group it had participants in
                if cycle.id not in line._cycle_ids:
                    line._cycle_ids.add(cycle.id)
                    line.cycles += 1
                    line.sessions += held
    return Statistics(
        total,
        dict(sorted(by_year.items())),
        {k: by_public[k] for k in PUBLICS if k in by_public},
        dict(sorted(both.items())),
    )


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}".replace(".", ",")


def csv_export(stats: Statistics) -> bytes:
    """The figures as a CSV for a spreadsheet (UTF-8 with BOM, semicolons, French decimals)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Année"),
            _("Public"),
            _("Cycles"),
            _("Cycles annulés"),
            _("Séances"),
            _("Participants"),
            _("Taux de présence (%)"),
            _("Part du quartier prioritaire (%)"),
        ]
    )

    def row(year: str, public: str, line: Line) -> None:
        writer.writerow(
            [
                year,
                public,
                line.cycles,
                line.cancelled_cycles,
                line.sessions,
                line.registrations,
                _fmt(line.attendance_rate),
                _fmt(line.priority_share),
            ]
        )

    everyone = _("Tous publics")
    for year, line in stats.by_year.items():
        row(str(year), everyone, line)
        for (y, public), sub in stats.by_year_and_public.items():
            if y == year:
                row(str(year), str(PUBLICS.get(public, public)), sub)
    for public, line in stats.by_public.items():
        row(_("Toutes années"), str(PUBLICS.get(public, public)), line)
    row(_("Toutes années"), everyone, stats.total)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
