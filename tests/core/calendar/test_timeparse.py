"""Paris wall times ↔ UTC on the two DST change days the hub will meet first."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from core.calendar.timeparse import (
    AmbiguousTime,
    NonexistentTime,
    fold_label,
    is_ambiguous,
    is_nonexistent,
    paris_day_bounds,
    utc_to_wall,
    wall_to_utc,
)

FALL_BACK = date(2026, 10, 25)
SPRING_FORWARD = date(2027, 3, 28)


def test_ordinary_times_convert_with_the_season_offset() -> None:
    assert wall_to_utc(date(2026, 3, 10), time(14, 0)) == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
    assert wall_to_utc(date(2026, 7, 10), time(14, 0)) == datetime(2026, 7, 10, 12, 0, tzinfo=UTC)


def test_a_time_in_the_spring_forward_gap_is_refused_in_french() -> None:
    with pytest.raises(NonexistentTime) as exc:
        wall_to_utc(SPRING_FORWARD, time(2, 30))
    assert "n'existe pas le 28 mars 2027" in str(exc.value)
    # even with an explicit fold: the time never shows on a Paris clock
    with pytest.raises(NonexistentTime):
        wall_to_utc(SPRING_FORWARD, time(2, 30), fold=1)
    assert is_nonexistent(SPRING_FORWARD, time(2, 0))
    assert not is_nonexistent(SPRING_FORWARD, time(3, 0))
    assert wall_to_utc(SPRING_FORWARD, time(3, 0)) == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    assert wall_to_utc(SPRING_FORWARD, time(1, 59)) == datetime(2027, 3, 28, 0, 59, tzinfo=UTC)


def test_a_time_that_happens_twice_must_be_resolved() -> None:
    with pytest.raises(AmbiguousTime) as exc:
        wall_to_utc(FALL_BACK, time(2, 30))
    assert "existe deux fois le 25 octobre 2026" in str(exc.value)
    assert exc.value.options == (
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    )
    assert wall_to_utc(FALL_BACK, time(2, 30), fold=0) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert wall_to_utc(FALL_BACK, time(2, 30), fold=1) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert is_ambiguous(FALL_BACK, time(2, 0)) and is_ambiguous(FALL_BACK, time(2, 59))
    assert not is_ambiguous(FALL_BACK, time(3, 0)) and not is_ambiguous(FALL_BACK, time(1, 59))
    assert fold_label(0, FALL_BACK, time(2, 30)) == "heure d'été (UTC+2)"
    assert fold_label(1, FALL_BACK, time(2, 30)) == "heure d'hiver (UTC+1)"


def test_utc_back_to_wall_time_keeps_which_occurrence() -> None:
    second = utc_to_wall(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    first = utc_to_wall(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    assert (first.day, first.at, first.fold) == (FALL_BACK, time(2, 30), 0)
    assert (second.day, second.at, second.fold) == (FALL_BACK, time(2, 30), 1)
    assert second.is_ambiguous


def test_paris_days_last_23_or_25_hours_on_change_days() -> None:
    start, end = paris_day_bounds(FALL_BACK)
    assert (end - start).total_seconds() == 25 * 3600
    start, end = paris_day_bounds(SPRING_FORWARD)
    assert (end - start).total_seconds() == 23 * 3600
