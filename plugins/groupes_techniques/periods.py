"""Calendar periods of the obligations: semesters (1 January – 30 June, 1 July – 31 December)
and years, counted on Europe/Paris dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.i18n import PARIS
from core.i18n import gettext as _
from plugins.groupes_techniques.vocab import SEMESTER, YEAR


@dataclass(frozen=True, order=True)
class Period:
    """One period: a semester (``half`` 1 or 2) or a whole year (``half`` 0)."""

    year: int
    half: int

    @property
    def kind(self) -> str:
        """``semester`` or ``year``."""
        return YEAR if self.half == 0 else SEMESTER

    @property
    def start(self) -> date:
        """First day."""
        return date(self.year, 7 if self.half == 2 else 1, 1)

    @property
    def end(self) -> date:
        """Last day (inclusive)."""
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    @property
    def code(self) -> str:
        """A stable code for keys and URLs: ``2026-S1``, ``2026``."""
        return str(self.year) if self.half == 0 else f"{self.year}-S{self.half}"

    @property
    def label(self) -> str:
        """``1er semestre 2026``, ``2e semestre 2026``, ``année 2026``."""
        if self.half == 1:
            return _("1er semestre %(year)s", year=self.year)
        if self.half == 2:
            return _("2e semestre %(year)s", year=self.year)
        return _("année %(year)s", year=self.year)

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls in the period."""
        return self.start <= day <= self.end

    def next(self) -> Period:
        """The period of the same kind that follows."""
        if self.half == 1:
            return Period(self.year, 2)
        if self.half == 2:
            return Period(self.year + 1, 1)
        return Period(self.year + 1, 0)


def semester_of(day: date) -> Period:
    """The semester holding ``day``."""
    return Period(day.year, 1 if day.month <= 6 else 2)


def period_of(kind: str, day: date) -> Period:
    """The period of ``kind`` holding ``day``."""
    return Period(day.year, 0) if kind == YEAR else semester_of(day)


def parse_code(code: str) -> Period | None:
    """``"2026-S1"`` → the first semester of 2026, ``"2026"`` → the year; ``None`` if unreadable."""
    text = (code or "").strip()
    try:
        if "-S" in text:
            year, half = text.split("-S", 1)
            if half in ("1", "2"):
                return Period(int(year), int(half))
            return None
        if text.isdigit() and len(text) == 4:
            return Period(int(text), 0)
    except ValueError:
        return None
    return None


def is_period_start(kind: str, day: date) -> bool:
    """Whether an obligation of ``kind`` can start on ``day`` (1 January, or 1 July for semesters)."""
    return day.day == 1 and (day.month == 1 or (kind == SEMESTER and day.month == 7))


def utc_start(day: date) -> datetime:
    """Midnight (Paris) at the start of ``day``, in UTC."""
    return datetime.combine(day, time(0)).replace(tzinfo=PARIS).astimezone(UTC)


def utc_end(day: date) -> datetime:
    """Midnight (Paris) at the end of ``day``, in UTC (exclusive bound)."""
    return utc_start(day + timedelta(days=1))


def paris_day(instant: datetime) -> date:
    """The Paris calendar date of an aware instant."""
    return instant.astimezone(PARIS).date()
