"""Reporting periods: quarters (``2026-T1``), semesters (``2026-S1``) or years (``2026``).

A period is identified by a canonical code and carries its first and last day, so that the
figures table can be queried by date (the future reminder rules ask "which periods ended
before this instant and which services have no figure for them?").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from core.i18n import gettext as _
from plugins.acces_services.vocab import QUARTER, SEMESTER, YEAR

MIN_YEAR = 2000
MAX_YEAR = 2100

_QUARTER = re.compile(r"^\s*(?:(\d{4})\s*[-/ ]?\s*T\s*([1-4])|T\s*([1-4])\s*[-/ ]?\s*(\d{4}))\s*$", re.I)
_SEMESTER = re.compile(r"^\s*(?:(\d{4})\s*[-/ ]?\s*S\s*([12])|S\s*([12])\s*[-/ ]?\s*(\d{4}))\s*$", re.I)
_YEAR = re.compile(r"^\s*(\d{4})\s*$")

#: months per period of each kind
_MONTHS = {QUARTER: 3, SEMESTER: 6, YEAR: 12}


class PeriodError(ValueError):
    """A period code that cannot be read, in French."""


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: ordered by its first day."""

    start: date
    end: date
    code: str
    kind: str


def _build(year: int, index: int, kind: str) -> Period:
    months = _MONTHS[kind]
    first_month = (index - 1) * months + 1
    start = date(year, first_month, 1)
    next_start = date(year + 1, 1, 1) if first_month + months > 12 else date(year, first_month + months, 1)
    if kind == QUARTER:
        code = f"{year}-T{index}"
    elif kind == SEMESTER:
        code = f"{year}-S{index}"
    else:
        code = str(year)
    return Period(start=start, end=next_start - timedelta(days=1), code=code, kind=kind)


def example(kind: str) -> str:
    """An example code for messages and hints."""
    return {QUARTER: "2026-T1", SEMESTER: "2026-S1", YEAR: "2026"}[kind]


def parse_period(text: str, kind: str = QUARTER) -> Period:
    """Read a period of ``kind``: ``2026-T1``, ``2026 T1``, ``T1 2026`` (case and spaces ignored)."""
    value = (text or "").strip()
    if not value:
        raise PeriodError(_("Indiquez la période, par exemple %(example)s.", example=example(kind)))
    pattern = {QUARTER: _QUARTER, SEMESTER: _SEMESTER, YEAR: _YEAR}[kind]
    match = pattern.match(value) if len(value) <= 20 else None
    if match is None:
        raise PeriodError(
            _(
                "« %(value)s » n'est pas une période valide : écrivez-la comme %(example)s.",
                value=value[:20],
                example=example(kind),
            )
        )
    groups = [g for g in match.groups() if g is not None]
    if kind == YEAR:
        year, index = int(groups[0]), 1
    elif len(groups[0]) == 4:
        year, index = int(groups[0]), int(groups[1])
    else:
        index, year = int(groups[0]), int(groups[1])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(_("L'année %(year)s est hors des limites acceptées.", year=year))
    return _build(year, index, kind)


def period_containing(day: date, kind: str = QUARTER) -> Period:
    """The period of ``kind`` that contains ``day``."""
    months = _MONTHS[kind]
    return _build(day.year, (day.month - 1) // months + 1, kind)


def previous(period: Period) -> Period:
    """The period just before ``period``."""
    return period_containing(period.start - timedelta(days=1), period.kind)


def last_ended(today: date, kind: str = QUARTER) -> Period:
    """The latest period whose last day is on or before ``today`` (its figures are due)."""
    current = period_containing(today, kind)
    return current if current.end <= today else previous(current)


def recent_ended(today: date, kind: str = QUARTER, count: int = 8) -> list[Period]:
    """The ``count`` latest ended periods, newest first (choices offered in the forms)."""
    periods = [last_ended(today, kind)]
    while len(periods) < count and periods[-1].start.year > MIN_YEAR:
        periods.append(previous(periods[-1]))
    return periods
