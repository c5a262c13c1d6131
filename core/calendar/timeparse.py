"""Europe/Paris wall times ↔ UTC instants, with the two DST traps made explicit.

People enter a date and a time as they read them on a Paris clock. Twice a year that is not
enough to name an instant:

* spring forward (last Sunday of March, 02:00 → 03:00): 02:30 **does not exist**; we refuse it
  rather than guess (zoneinfo would silently shift it by an hour);
* fall back (last Sunday of October, 03:00 → 02:00): 02:30 **happens twice**; the person must
  say which one (``fold`` 0 is the first, summer time UTC+2; ``fold`` 1 the second, winter
  time UTC+1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.i18n import PARIS, format_date
from core.i18n import gettext as _


class WallTimeError(ValueError):
    """A wall time that cannot be turned into one instant; ``str()`` is a French message."""


class NonexistentTime(WallTimeError):
    """The wall time falls in the spring-forward gap."""


class AmbiguousTime(WallTimeError):
    """The wall time happens twice (fall back); ``options`` are the two instants, in order."""

    def __init__(self, message: str, options: tuple[datetime, datetime]) -> None:
        super().__init__(message)
        self.options = options


@dataclass(frozen=True)
class WallTime:
    """A Paris date and time as shown in a form, and which occurrence it is (``fold``)."""

    day: date
    at: time
    fold: int = 0

    @property
    def is_ambiguous(self) -> bool:
        """Whether this wall time happens twice (the form must then show the choice)."""
        return is_ambiguous(self.day, self.at)


def _hm(at: time) -> str:
    return f"{at.hour:02d} h {at.minute:02d}"


def _occurrences(day: date, at: time, tz: ZoneInfo) -> tuple[datetime, datetime, bool]:
    """Both readings of a wall time (fold 0 and 1) in UTC, and whether it exists at all."""
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    # in a gap neither reading comes back to the same wall time
    exists = first.astimezone(tz).replace(tzinfo=None) == naive
    return first, second, exists


def wall_to_utc(day: date, at: time, *, fold: int | None = None, tz: ZoneInfo = PARIS) -> datetime:
    """The UTC instant of ``day`` ``at`` on a ``tz`` clock.

    Raises :class:`NonexistentTime` in a spring-forward gap, and :class:`AmbiguousTime` for a
    time that happens twice unless ``fold`` (0 first occurrence, 1 second) says which.
    """
    first, second, exists = _occurrences(day, at, tz)
    if not exists:
        raise NonexistentTime(
            _(
                "L'heure %(time)s n'existe pas le %(date)s : ce jour-là, on passe à l'heure d'été "
                "et les horloges sautent de 2 h 00 à 3 h 00. Choisissez une autre heure.",
                time=_hm(at),
                date=format_date(day, "d MMMM y"),
            )
        )
    if first != second:
        if fold is None:
            raise AmbiguousTime(
                _(
                    "L'heure %(time)s existe deux fois le %(date)s (retour à l'heure d'hiver) : "
                    "précisez laquelle.",
                    time=_hm(at),
                    date=format_date(day, "d MMMM y"),
                ),
                (first, second),
            )
        return second if fold else first
    return first


def is_ambiguous(day: date, at: time, tz: ZoneInfo = PARIS) -> bool:
    """Whether ``day`` ``at`` happens twice on a ``tz`` clock."""
    first, second, exists = _occurrences(day, at, tz)
    return exists and first != second


def is_nonexistent(day: date, at: time, tz: ZoneInfo = PARIS) -> bool:
    """Whether ``day`` ``at`` falls in a spring-forward gap on a ``tz`` clock."""
    return not _occurrences(day, at, tz)[2]


def utc_to_wall(instant: datetime, tz: ZoneInfo = PARIS) -> WallTime:
    """The Paris date, time and fold of an aware instant (to fill a form back)."""
    local = instant.astimezone(tz)
    return WallTime(local.date(), local.time().replace(tzinfo=None, fold=0), local.fold)


def fold_label(fold: int, day: date, at: time, tz: ZoneInfo = PARIS) -> str:
    """``heure d'été (UTC+2)`` or ``heure d'hiver (UTC+1)`` for one occurrence of a wall time."""
    aware = datetime.combine(day, at).replace(tzinfo=tz, fold=fold)
    offset = aware.utcoffset() or timedelta(0)
    hours = int(offset.total_seconds() // 3600)
    if aware.dst():
        return _("heure d'été (UTC+%(hours)s)", hours=hours)
    return _("heure d'hiver (UTC+%(hours)s)", hours=hours)


def paris_day_bounds(day: date, tz: ZoneInfo = PARIS) -> tuple[datetime, datetime]:
    """The UTC instants where a Paris calendar day starts and ends (23 or 25 hours on DST days)."""
    start = datetime.combine(day, time(0)).replace(tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0)).replace(tzinfo=tz).astimezone(UTC)
    return start, end


def paris_today(now: datetime, tz: ZoneInfo = PARIS) -> date:
    """Today's date in Paris at the instant ``now``."""
    return now.astimezone(tz).date()
