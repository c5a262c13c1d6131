"""Indicators: the share of users living in the neighbourhood, against its share of the population.

Pure functions over :class:`~plugins.acces_services.services.FigureFact` rows: the pages, the
charts and the CSV export all read the same :class:`Series`, so a chart and its data table can
never disagree. Shares are percentages (0–100); a gap is in percentage points (negative: the
neighbourhood's residents are under-represented among the users).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.numbers import format_decimal

from core.i18n import current_language
from core.i18n import gettext as _
from plugins.acces_services.services import FigureFact
from plugins.acces_services.vocab import CATEGORIES, label

#: a change smaller than this (in points) is "stable"
STABLE_POINTS = 1.0


@dataclass(frozen=True)
class Point:
    """The users of one period."""

    period: str
    start: date
    total: int
    neighbourhood: int

    @property
    def share(self) -> float | None:
        """Percentage of users living in the neighbourhood (``None`` without any user)."""
        return 100 * self.neighbourhood / self.total if self.total else None


@dataclass(frozen=True)
class Series:
    """One service, one category or the whole catalogue over the periods."""

    key: str
    label: str
    points: tuple[Point, ...]
    #: the neighbourhood's share of the population, in %
    reference: float
    category: str = ""
    organisation: str = ""
    service_id: int | None = None

    @property
    def measured(self) -> tuple[Point, ...]:
        """The periods with at least one user."""
        return tuple(p for p in self.points if p.share is not None)

    @property
    def latest(self) -> Point | None:
        measured = self.measured
        return measured[-1] if measured else None

    @property
    def gap(self) -> float | None:
        """Latest share minus the reference, in points."""
        latest = self.latest
        return None if latest is None or latest.share is None else latest.share - self.reference

    @property
    def trend(self) -> float | None:
        """Change of the share between the two latest measured periods, in points."""
        measured = self.measured
        if len(measured) < 2:
            return None
        last, before = measured[-1].share, measured[-2].share
        assert last is not None and before is not None
        return last - before

    def gap_of(self, point: Point) -> float | None:
        """A period's gap to the reference, in points."""
        return None if point.share is None else point.share - self.reference


def _sum_points(facts: Iterable[FigureFact]) -> tuple[Point, ...]:
    totals: dict[tuple[date, str], list[int]] = {}
    for fact in facts:
        pair = totals.setdefault((fact.period_start, fact.period), [0, 0])
        pair[0] += fact.total
        pair[1] += fact.neighbourhood
    return tuple(
        Point(period=code, start=start, total=t, neighbourhood=n)
        for (start, code), (t, n) in sorted(totals.items())
    )


def by_service(facts: Sequence[FigureFact], reference: float) -> list[Series]:
    """One series per service, by name."""
    grouped: dict[int, list[FigureFact]] = {}
    for fact in facts:
        grouped.setdefault(fact.service_id, []).append(fact)
    series = [
        Series(
            key=f"service-{sid}",
            label=rows[0].service_name,
            points=_sum_points(rows),
            reference=reference,
            category=rows[0].category,
            organisation=rows[0].organisation,
            service_id=sid,
        )
        for sid, rows in grouped.items()
    ]
    return sorted(series, key=lambda s: (s.label.casefold(), s.service_id or 0))


def by_category(facts: Sequence[FigureFact], reference: float) -> list[Series]:
    """One series per category (the sum of its services), in the vocabulary's order."""
    grouped: dict[str, list[FigureFact]] = {}
    for fact in facts:
        grouped.setdefault(fact.category, []).append(fact)
    order = list(CATEGORIES)
    return [
        Series(
            key=f"category-{code}",
            label=label(CATEGORIES, code),
            points=_sum_points(rows),
            reference=reference,
            category=code,
        )
        for code, rows in sorted(grouped.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    ]


def overall(facts: Sequence[FigureFact], reference: float) -> Series:
    """Every service together."""
    return Series(
        key="overall", label=_("Ensemble des services"), points=_sum_points(facts), reference=reference
    )


def largest_gaps(series: Iterable[Series], limit: int = 5) -> list[Series]:
    """The series where the neighbourhood is the most under-represented, worst first."""
    measured = [s for s in series if s.gap is not None and s.gap < 0]
    return sorted(measured, key=lambda s: (s.gap, s.label))[:limit]


def reference_of(share: Decimal | float) -> float:
    """The settings' reference share as a float percentage."""
    return float(share)


# ---------------------------------------------------------------------------------------------
# French formatting (the chart labels and the table cells use the same functions)
# ---------------------------------------------------------------------------------------------


def fmt_number(value: float | int, pattern: str = "#,##0.#") -> str:
    """A number in the request's language ("1 234,5" in French)."""
    return format_decimal(value, format=pattern, locale=current_language())


def fmt_share(value: float | None) -> str:
    """ "12,5 %" – or an em dash when there is nothing to measure."""
    if value is None:
        return "—"
    return _("%(value)s %%", value=fmt_number(round(value, 1), "0.0"))


def fmt_points(value: float | None) -> str:
    """ "−10,5 points" / "+3,0 points" (signed)."""
    if value is None:
        return "—"
    rounded = round(value, 1)
    sign = "+" if rounded > 0 else ("−" if rounded < 0 else "")
    return _("%(sign)s%(value)s points", sign=sign, value=fmt_number(abs(rounded), "0.0"))


def fmt_trend(value: float | None) -> str:
    """In words: "en hausse de 3,0 points", "stable", "—"."""
    if value is None:
        return "—"
    if abs(value) < STABLE_POINTS:
        return _("stable")
    amount = fmt_number(abs(round(value, 1)), "0.0")
    return _("en hausse de %(n)s points", n=amount) if value > 0 else _("en baisse de %(n)s points", n=amount)


def fmt_count(value: int) -> str:
    """An integer with French digit grouping."""
    return fmt_number(value, "#,##0")


# ---------------------------------------------------------------------------------------------
# CSV export rows
# ---------------------------------------------------------------------------------------------

CSV_HEADER = (
    "niveau",
    "nom",
    "categorie",
    "organisation",
    "periode",
    "usagers",
    "usagers_quartier",
    "part_quartier_pct",
    "part_population_pct",
    "ecart_points",
)


def _decimal(value: float | None) -> str:
    # French spreadsheets read a decimal comma; no sign trickery, so formulas cannot hide here
    if value is None:
        return ""
    text = f"{value:.1f}"
    return ("0.0" if text == "-0.0" else text).replace(".", ",")


def csv_rows(
    overall_series: Series, categories: Sequence[Series], services: Sequence[Series]
) -> list[list[str]]:
    """One row per series and period, with the share, the reference and the gap."""
    rows: list[list[str]] = []
    with_level = (
        [("ensemble", overall_series)]
        + [("categorie", s) for s in categories]
        + [("service", s) for s in services]
    )
    for level, series in with_level:
        for point in series.points:
            rows.append(
                [
                    level,
                    series.label,
                    label(CATEGORIES, series.category),
                    series.organisation,
                    point.period,
                    str(point.total),
                    str(point.neighbourhood),
                    _decimal(point.share),
                    _decimal(series.reference),
                    _decimal(series.gap_of(point)),
                ]
            )
    return rows
