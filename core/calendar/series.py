"""The series helper: several dated meetings at once from a recurrence rule.

The rule (dateutil's ``rrule``) only produces *dates*; each date becomes an ordinary,
independent meeting (its own UID, agenda, invitations) sharing a ``series_key``, so moving or
cancelling one never touches the others. Times are Paris wall times applied to each date
separately, so a series crossing a DST change keeps its local hour. A date whose time falls in
a spring-forward gap is refused; one that happens twice must be resolved by the person.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday
from dateutil.rrule import weekdays as RRULE_WEEKDAYS

from core.calendar import services
from core.calendar.models import Meeting
from core.calendar.services import MeetingInput, MeetingValidationError
from core.calendar.timeparse import WallTimeError, is_ambiguous, wall_to_utc
from core.i18n import format_date
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.accounts.models import User

MAX_OCCURRENCES = 52
MAX_SPAN_DAYS = 366 * 5

#: frequency codes of the form
WEEK = "weekly"
MONTH = "monthly"
#: monthly modes: the same day of the month, or "the first Tuesday"-like positions
SAME_DAY = "day"
NTH_WEEKDAY = "weekday"

WEEKDAY_LABELS = (
    _l("lundi"),
    _l("mardi"),
    _l("mercredi"),
    _l("jeudi"),
    _l("vendredi"),
    _l("samedi"),
    _l("dimanche"),
)
POSITION_LABELS = {
    1: _l("premier"),
    2: _l("deuxième"),
    3: _l("troisième"),
    4: _l("quatrième"),
    -1: _l("dernier"),
}


@dataclass(frozen=True)
class SeriesRule:
    """A recurrence: every ``interval`` weeks (on ``weekday``) or months (on the start's day of
    the month, or the ``position``-th ``weekday``), from ``first`` for ``count`` dates or until
    ``until`` (inclusive)."""

    frequency: str
    first: date
    interval: int = 1
    weekday: int | None = None  # 0 = Monday
    position: int | None = None  # 1..4 or -1 (last)
    monthly_mode: str = SAME_DAY
    count: int | None = None
    until: date | None = None

    def describe(self) -> str:
        """A French sentence for the preview: "tous les 6 mois, le premier mardi"."""
        if self.frequency == WEEK:
            every = (
                _("toutes les semaines")
                if self.interval == 1
                else _("toutes les %(n)s semaines", n=self.interval)
            )
            day = WEEKDAY_LABELS[self.weekday if self.weekday is not None else self.first.weekday()]
            return _("%(every)s, le %(day)s", every=every, day=day)
        every = _("tous les mois") if self.interval == 1 else _("tous les %(n)s mois", n=self.interval)
        if self.monthly_mode == NTH_WEEKDAY and self.position is not None and self.weekday is not None:
            return _(
                "%(every)s, le %(position)s %(day)s",
                every=every,
                position=POSITION_LABELS[self.position],
                day=WEEKDAY_LABELS[self.weekday],
            )
        return _("%(every)s, le %(n)s du mois", every=every, n=self.first.day)


class SeriesError(ValueError):
    """A rule that cannot produce dates, with French messages by field name."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


def series_dates(rule: SeriesRule) -> list[date]:
    """The dates of the rule (at most :data:`MAX_OCCURRENCES`), or :class:`SeriesError`."""
    errors: dict[str, list[str]] = {}
    if rule.frequency not in (WEEK, MONTH):
        errors["frequency"] = [_("Choisissez une fréquence.")]
    if not 1 <= rule.interval <= 24:
        errors["interval"] = [_("Indiquez un intervalle entre 1 et 24.")]
    if (rule.count is None) == (rule.until is None):
        errors["count"] = [_("Indiquez soit un nombre de réunions, soit une date de fin.")]
    if rule.count is not None and not 1 <= rule.count <= MAX_OCCURRENCES:
        errors["count"] = [_("Indiquez un nombre de réunions entre 1 et %(n)s.", n=MAX_OCCURRENCES)]
    if rule.until is not None and rule.until < rule.first:
        errors["until"] = [_("La date de fin doit être après la première date.")]
    if rule.until is not None and (rule.until - rule.first).days > MAX_SPAN_DAYS:
        errors["until"] = [_("Une série ne peut pas s'étendre sur plus de cinq ans.")]
    if (
        rule.frequency == MONTH
        and rule.monthly_mode == NTH_WEEKDAY
        and (rule.position not in POSITION_LABELS or rule.weekday is None)
    ):
        errors["position"] = [_("Choisissez la position et le jour de la semaine.")]
    if rule.weekday is not None and not 0 <= rule.weekday <= 6:
        errors["weekday"] = [_("Choisissez un jour de la semaine.")]
    if errors:
        raise SeriesError(errors)
    start = datetime.combine(rule.first, time(0))
    kwargs: dict[str, object] = {"dtstart": start, "interval": rule.interval}
    if rule.count is not None:
        kwargs["count"] = rule.count
    else:
        assert rule.until is not None
        kwargs["until"] = datetime.combine(rule.until, time(0))
    if rule.frequency == WEEK:
        day: weekday = RRULE_WEEKDAYS[rule.weekday if rule.weekday is not None else rule.first.weekday()]
        recurrence = rrule(WEEKLY, byweekday=day, **kwargs)
    elif rule.monthly_mode == NTH_WEEKDAY:
        assert rule.weekday is not None and rule.position is not None
        recurrence = rrule(MONTHLY, byweekday=RRULE_WEEKDAYS[rule.weekday](rule.position), **kwargs)
    else:
        recurrence = rrule(MONTHLY, bymonthday=rule.first.day, **kwargs)
    dates = [
        d.date() for d in recurrence.xafter(start - timedelta(seconds=1), count=MAX_OCCURRENCES + 1, inc=True)
    ]
    if not dates:
        raise SeriesError({"first": [_("Cette règle ne donne aucune date.")]})
    if len(dates) > MAX_OCCURRENCES:
        raise SeriesError(
            {
                "until": [
                    _("Cette règle donne plus de %(n)s réunions : réduisez la période.", n=MAX_OCCURRENCES)
                ]
            }
        )
    return dates


@dataclass(frozen=True)
class Occurrence:
    """One date of a series and its instants, or why it cannot be created as is."""

    day: date
    starts_at: datetime | None
    ends_at: datetime | None
    error: str = ""
    ambiguous: bool = False


def occurrences(
    dates: Iterable[date],
    start: time,
    end: time,
    *,
    start_fold: int | None = None,
    end_fold: int | None = None,
) -> list[Occurrence]:
    """Each date with ``start``–``end`` Paris time turned into UTC (end on the next day when it
    is not after the start, e.g. an evening ending after midnight is not expected: refused)."""
    result = []
    for day in dates:
        ambiguous = is_ambiguous(day, start) or is_ambiguous(day, end)
        try:
            starts_at = wall_to_utc(day, start, fold=start_fold)
            ends_at = wall_to_utc(day, end, fold=end_fold)
        except WallTimeError as exc:
            result.append(Occurrence(day, None, None, str(exc), ambiguous))
            continue
        if ends_at <= starts_at:
            result.append(
                Occurrence(day, starts_at, ends_at, _("La fin doit être après le début."), ambiguous)
            )
            continue
        result.append(Occurrence(day, starts_at, ends_at, "", ambiguous))
    return result


def create_series(
    db: Session,
    actor: User | None,
    template: MeetingInput,
    items: Sequence[Occurrence],
    *,
    now: datetime,
    kinds: Iterable[str] | None = None,
    confirm_past: bool = False,
) -> list[Meeting]:
    """Create one meeting per occurrence from ``template`` (its times are replaced), sharing a
    new ``series_key``. Every occurrence is checked first: one bad date creates nothing."""
    errors: dict[str, list[str]] = {}
    for item in items:
        if item.error or item.starts_at is None or item.ends_at is None:
            errors.setdefault("dates", []).append(
                _("%(date)s : %(error)s", date=format_date(item.day, "d MMMM y"), error=item.error)
            )
            continue
        try:
            services.clean_input(
                replace(template, starts_at=item.starts_at, ends_at=item.ends_at),
                now=now,
                kinds=kinds,
                confirm_past=confirm_past,
            )
        except MeetingValidationError as exc:
            for name, messages in exc.errors.items():
                errors.setdefault(name, [])
                errors[name] += [m for m in messages if m not in errors[name]]
    if not items:
        errors.setdefault("dates", []).append(_("Aucune date à créer."))
    if errors:
        raise MeetingValidationError(errors)
    key = f"series-{uuid.uuid4().hex[:20]}"
    meetings = []
    for item in items:
        assert item.starts_at is not None and item.ends_at is not None
        meetings.append(
            services.create_meeting(
                db,
                actor,
                replace(template, starts_at=item.starts_at, ends_at=item.ends_at),
                now=now,
                kinds=kinds,
                confirm_past=confirm_past,
                series_key=key,
            )
        )
    return meetings
