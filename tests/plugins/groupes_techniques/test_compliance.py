"""Compliance computed from the meetings and the rule of each period, on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from plugins.groupes_techniques import compliance, services
from plugins.groupes_techniques.periods import Period, parse_code, semester_of
from plugins.groupes_techniques.vocab import AT_RISK, MET, MISSED, NONE, PLANNED, TODO, UPCOMING, YEAR
from tests.plugins.groupes_techniques.conftest import add_meeting, fresh, make_group, paris

HORIZON = 56


def cells(db: Session, space_id: int, years: list[int], now_: object) -> dict[str, compliance.Cell]:
    fresh(db)
    space = services.group(db, space_id)
    assert space is not None
    row = compliance.rows(db, [space], years, now=now_, horizon_days=HORIZON)[0]  # type: ignore[arg-type]
    return {c.period.code: c for c in row.cells}


def test_periods_are_semesters_and_years() -> None:
    assert semester_of(date(2026, 6, 30)) == Period(2026, 1)
    assert semester_of(date(2026, 7, 1)).code == "2026-S2"
    assert Period(2026, 2).next() == Period(2027, 1)
    assert parse_code("2026-S2") == Period(2026, 2) and parse_code("2026") == Period(2026, 0)
    assert parse_code("2026-S3") is None and parse_code("x") is None


def test_statuses_of_every_kind(db: Session) -> None:
    group = make_group(db, "Groupe Habitat")
    add_meeting(db, group, paris(2025, 3, 10, 14), minutes=True)  # 2025-S1 held
    add_meeting(db, group, paris(2025, 9, 10, 14))  # 2025-S2 no minutes
    add_meeting(db, group, paris(2026, 2, 10, 14), cancelled=True)  # 2026-S1 cancelled
    now_ = paris(2026, 3, 2, 10)
    found = cells(db, group.id, [2025, 2026], now_)
    assert found["2025-S1"].status == MET and len(found["2025-S1"].held) == 1
    assert found["2025-S2"].status == MISSED and len(found["2025-S2"].unconfirmed) == 1
    assert found["2026-S1"].status == TODO and found["2026-S1"].to_plan == 1
    assert found["2026-S2"].status == UPCOMING
    # within the horizon of the deadline: at risk; a meeting planned: planned
    assert cells(db, group.id, [2026], paris(2026, 5, 20, 10))["2026-S1"].status == AT_RISK
    add_meeting(db, group, paris(2026, 6, 15, 14))
    assert cells(db, group.id, [2026], paris(2026, 5, 20, 10))["2026-S1"].status == PLANNED
    # the meeting happened without minutes: planned while the period runs, missed after
    assert cells(db, group.id, [2026], paris(2026, 6, 20, 10))["2026-S1"].status == PLANNED
    assert cells(db, group.id, [2026], paris(2026, 7, 2, 10))["2026-S1"].status == MISSED


def test_attendance_alone_makes_a_meeting_held(db: Session) -> None:
    from core.directory.models import Contact

    group = make_group(db, "Groupe Éducation")
    person = Contact(first_name="Ana", last_name="Silva", email="ana@example.org")
    db.add(person)
    db.commit()
    add_meeting(db, group, paris(2026, 1, 20, 14), attendance=person)
    assert cells(db, group.id, [2026], paris(2026, 3, 2, 10))["2026-S1"].status == MET


def test_a_yearly_rule_spans_the_year(db: Session) -> None:
    group = make_group(db, "Comité politique", period=YEAR, valid_from=date(2025, 1, 1))
    add_meeting(db, group, paris(2025, 11, 10, 18), minutes=True)
    found = cells(db, group.id, [2025, 2026], paris(2026, 3, 2, 10))
    assert set(found) == {"2025", "2026"}
    assert found["2025"].status == MET and found["2025"].span == 2
    assert found["2026"].status == TODO


def test_no_obligation_before_the_first_rule(db: Session) -> None:
    group = make_group(db, "Groupe récent", valid_from=date(2026, 1, 1))
    found = cells(db, group.id, [2025, 2026], paris(2026, 3, 2, 10))
    assert found["2025-S1"].status == NONE and found["2025-S2"].status == NONE
    assert found["2026-S1"].status == TODO


def test_changing_the_obligation_never_rewrites_past_periods(db: Session) -> None:
    group = make_group(db, "Groupe Santé")
    add_meeting(db, group, paris(2025, 3, 10, 14), minutes=True)
    today = date(2026, 3, 2)
    with pytest.raises(services.GroupError) as refused:
        services.set_obligation(
            db, None, group, period="semester", min_meetings=2, valid_from=date(2025, 1, 1), today=today
        )
    assert refused.value.field == "valid_from"
    with pytest.raises(services.GroupError):
        services.set_obligation(
            db, None, group, period="year", min_meetings=2, valid_from=date(2026, 7, 1), today=today
        )
    with pytest.raises(services.GroupError) as too_many:
        services.set_obligation(
            db, None, group, period="semester", min_meetings=99, valid_from=date(2026, 7, 1), today=today
        )
    assert too_many.value.field == "min_meetings"
    services.set_obligation(
        db, None, group, period="semester", min_meetings=2, valid_from=date(2026, 1, 1), today=today
    )
    db.commit()
    found = cells(db, group.id, [2025, 2026], paris(2026, 3, 2, 10))
    assert found["2025-S1"].status == MET and found["2025-S1"].required == 1  # the rule of its time
    assert found["2026-S1"].required == 2
    # a yearly rule from next January; this year stays semi-annual
    services.set_obligation(
        db, None, group, period="year", min_meetings=3, valid_from=date(2027, 1, 1), today=today
    )
    db.commit()
    found = cells(db, group.id, [2026, 2027], paris(2026, 3, 2, 10))
    assert found["2026-S2"].required == 2 and found["2027"].required == 3
    # while the yearly rule runs, a change can only start on a 1 January
    with pytest.raises(services.GroupError):
        services.set_obligation(
            db, None, group, period="semester", min_meetings=1, valid_from=date(2027, 7, 1), today=today
        )
    history = services.obligations(db, [group.id])[group.id]
    assert [(r.valid_from, r.min_meetings) for r in history] == [
        (date(2025, 1, 1), 1),
        (date(2026, 1, 1), 2),
        (date(2027, 1, 1), 3),
    ]


def test_an_ad_hoc_group_is_judged_until_its_end(db: Session) -> None:
    group = make_group(db, "Groupe ponctuel mobilité")
    group.is_permanent = False
    group.ends_on = date(2026, 4, 30)
    fresh(db)
    found = cells(db, group.id, [2026], paris(2026, 3, 20, 10))
    assert found["2026-S1"].deadline == date(2026, 4, 30) and found["2026-S1"].status == AT_RISK
    assert found["2026-S2"].status == NONE
