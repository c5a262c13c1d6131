"""The series helper: dates from rrule, preview before creating, independent meetings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.calendar.models import Meeting
from core.calendar.series import (
    MONTH,
    NTH_WEEKDAY,
    WEEK,
    SeriesError,
    SeriesRule,
    occurrences,
    series_dates,
)
from tests.core.calendar.conftest import World, fresh
from tests.helpers import login, post_form

URL = "/agenda/series/nouvelle"


def test_first_tuesday_every_six_months() -> None:
    rule = SeriesRule(
        MONTH, date(2026, 3, 1), interval=6, weekday=1, position=1, monthly_mode=NTH_WEEKDAY, count=4
    )
    assert series_dates(rule) == [date(2026, 3, 3), date(2026, 9, 1), date(2027, 3, 2), date(2027, 9, 7)]
    assert rule.describe() == "tous les 6 mois, le premier mardi"


def test_weekly_until_a_date_and_last_weekday_of_month() -> None:
    weekly = SeriesRule(WEEK, date(2026, 3, 2), interval=2, weekday=3, until=date(2026, 4, 9))
    assert series_dates(weekly) == [date(2026, 3, 5), date(2026, 3, 19), date(2026, 4, 2)]
    last = SeriesRule(MONTH, date(2026, 1, 1), weekday=4, position=-1, monthly_mode=NTH_WEEKDAY, count=2)
    assert series_dates(last) == [date(2026, 1, 30), date(2026, 2, 27)]


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (SeriesRule(MONTH, date(2026, 3, 1), count=None, until=None), "count"),
        (SeriesRule(MONTH, date(2026, 3, 1), count=100), "count"),
        (SeriesRule(WEEK, date(2026, 3, 1), until=date(2030, 1, 1)), "until"),
        (SeriesRule(MONTH, date(2026, 3, 1), until=date(2026, 1, 1)), "until"),
        (SeriesRule(MONTH, date(2026, 3, 1), interval=0, count=2), "interval"),
    ],
)
def test_bad_rules_are_refused(rule: SeriesRule, field: str) -> None:
    with pytest.raises(SeriesError) as exc:
        series_dates(rule)
    assert field in exc.value.errors


def test_series_across_dst_keeps_the_paris_hour() -> None:
    items = occurrences(
        [date(2026, 10, 20), date(2026, 10, 27)],
        start=datetime(1, 1, 1, 14).time(),
        end=datetime(1, 1, 1, 16).time(),
    )
    assert [i.starts_at for i in items] == [
        datetime(2026, 10, 20, 12, 0, tzinfo=UTC),
        datetime(2026, 10, 27, 13, 0, tzinfo=UTC),
    ]
    gap = occurrences(
        [date(2027, 3, 28)], start=datetime(1, 1, 1, 2, 30).time(), end=datetime(1, 1, 1, 4).time()
    )
    assert gap[0].error and gap[0].starts_at is None


def series_form(world: World, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "space_id": str(world.space_a),
        "kind": "core.comite",
        "title": "Comité de suivi",
        "frequency": MONTH,
        "interval": "6",
        "monthly_mode": NTH_WEEKDAY,
        "position": "1",
        "weekday": "1",
        "first": "2026-03-01",
        "count": "4",
        "start_time": "14:00",
        "end_time": "16:00",
        "room": "Salle du conseil",
        "visibility": "members",
        "reminders_enabled": "y",
    }
    data.update(changes)
    return data


def test_preview_then_create_through_the_page(client: TestClient, world: World, db: Session) -> None:
    login(client, "anne@example.org")
    assert client.get(URL, params={"space": world.space_a}).status_code == 200
    preview = post_form(client, URL, {**series_form(world), "action": "preview"})
    assert preview.status_code == 200, preview.text[-2000:]
    assert "Tous les 6 mois, le premier mardi" in preview.text
    for label in (
        "Mardi 3 mars 2026",
        "Mardi 1 septembre 2026",
        "Mardi 2 mars 2027",
        "Mardi 7 septembre 2027",
    ):
        assert label in preview.text
    assert "Créer les 4 réunions" in preview.text
    assert fresh(db).scalar(select(Meeting.id)) is None  # a preview writes nothing
    created = post_form(client, URL, {**series_form(world), "action": "create"}, follow_redirects=False)
    assert created.status_code == 303, created.text[-2000:]
    meetings = fresh(db).scalars(select(Meeting).order_by(Meeting.starts_at)).all()
    assert [m.starts_at for m in meetings] == [
        datetime(2026, 3, 3, 13, 0, tzinfo=UTC),
        datetime(2026, 9, 1, 12, 0, tzinfo=UTC),
        datetime(2027, 3, 2, 13, 0, tzinfo=UTC),
        datetime(2027, 9, 7, 12, 0, tzinfo=UTC),
    ]
    assert len({m.series_key for m in meetings}) == 1 and meetings[0].series_key
    assert len({m.uid for m in meetings}) == 4
    assert all(m.kind == "core.comite" and m.room == "Salle du conseil" for m in meetings)


def test_a_bad_date_in_the_series_creates_nothing(client: TestClient, world: World, db: Session) -> None:
    login(client, "anne@example.org")
    # weekly on Sundays from 2027-03-21 at 02:30: 2027-03-28 falls in the DST gap
    data = series_form(
        world,
        frequency=WEEK,
        interval="1",
        weekday="6",
        first="2027-03-21",
        count="3",
        start_time="02:30",
        end_time="04:00",
    )
    preview = post_form(client, URL, {**data, "action": "preview"})
    assert "n&#39;existe pas le 28 mars 2027" in preview.text
    refused = post_form(client, URL, {**data, "action": "create"})
    assert refused.status_code == 400
    assert fresh(db).scalar(select(Meeting.id)) is None


def test_series_with_past_dates_needs_confirmation(client: TestClient, world: World, db: Session) -> None:
    login(client, "anne@example.org")
    data = series_form(world, frequency=WEEK, interval="1", weekday="0", first="2026-02-16", count="3")
    refused = post_form(client, URL, {**data, "action": "create"})
    assert refused.status_code == 400 and "commence dans le passé" in refused.text
    assert fresh(db).scalar(select(Meeting.id)) is None
    done = post_form(client, URL, {**data, "action": "create", "confirm_past": "y"}, follow_redirects=False)
    assert done.status_code == 303
    assert len(fresh(db).scalars(select(Meeting.id)).all()) == 3


def test_series_conflicts_must_be_confirmed(client: TestClient, world: World, db: Session) -> None:
    world.meeting(
        start=datetime(2026, 3, 3, 13, 30, tzinfo=UTC), room="salle du Conseil", space_id=world.space_b
    )
    login(client, "anne@example.org")
    refused = post_form(client, URL, {**series_form(world), "action": "create"})
    assert refused.status_code == 400
    assert "même salle" in refused.text
    assert len(fresh(db).scalars(select(Meeting.id)).all()) == 1
    done = post_form(
        client,
        URL,
        {**series_form(world), "action": "create", "confirm_conflicts": "y"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert len(fresh(db).scalars(select(Meeting.id)).all()) == 5


def test_only_animators_reach_the_series_page(client: TestClient, world: World) -> None:
    assert client.get(URL, follow_redirects=False).status_code == 303
    login(client, "marc@example.org")
    assert client.get(URL).status_code == 403
    assert post_form(client, URL, {**series_form(world), "action": "create"}).status_code == 403
