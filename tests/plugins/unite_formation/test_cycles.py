"""Cycles: trainers publish their own, animators and admins edit all; sessions are core meetings."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from core.calendar.models import MEMBERS, PUBLIC, Meeting
from plugins.unite_formation import services as svc
from plugins.unite_formation.models import Cycle, CycleSession
from plugins.unite_formation.vocab import DRAFT, PUBLISHED, SESSION_KIND
from tests.helpers import FrozenClock
from tests.plugins.unite_formation.conftest import (
    PLAIN_ANIMATOR,
    TRAINER_EMAIL,
    CycleFactory,
    access,
    fresh,
    make_trainer,
    trainer_contact,
)


def test_a_trainer_creates_a_draft_with_sessions_that_are_core_meetings(
    app: Starlette, db: Session, make_cycle: CycleFactory
) -> None:
    cycle = make_cycle(publish=False)
    fresh(db)
    stored = db.get(Cycle, cycle.id)
    assert stored is not None and stored.status == DRAFT
    assert stored.trainer_ids == {trainer_contact(db)}
    meetings = db.scalars(
        select(Meeting)
        .join(CycleSession, CycleSession.meeting_id == Meeting.id)
        .where(CycleSession.cycle_id == cycle.id)
    ).all()
    assert len(meetings) == 3
    assert {m.kind for m in meetings} == {SESSION_KIND}
    assert {m.visibility for m in meetings} == {MEMBERS}  # a draft's sessions are not public yet
    assert {m.space_id for m in meetings} == {stored.space_id}


def test_publishing_makes_the_sessions_public(app: Starlette, db: Session, make_cycle: CycleFactory) -> None:
    cycle = make_cycle()
    fresh(db)
    stored = db.get(Cycle, cycle.id)
    assert stored is not None and stored.status == PUBLISHED
    assert {m.visibility for m in svc.meetings_of(stored)} == {PUBLIC}


def test_publishing_needs_a_session(
    app: Starlette, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle = make_cycle(days=(), publish=False)
    with pytest.raises(svc.ServiceError, match="au moins une séance"):
        svc.publish(db, access(app, db, TRAINER_EMAIL), cycle, now=clock())


def test_trainers_edit_only_their_own_cycles_animators_all(
    app: Starlette, db: Session, unit: int, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle = make_cycle()
    make_trainer(db, unit, "autre.formatrice@example.org")
    other = access(app, db, "autre.formatrice@example.org")
    assert other.can_create and not other.can_edit(cycle)
    assert access(app, db, TRAINER_EMAIL).can_edit(cycle)
    assert access(app, db, PLAIN_ANIMATOR).can_edit(cycle)
    assert not access(app, db, None).can_edit(cycle)
    with pytest.raises(svc.ServiceError, match="vos propres cycles"):
        svc.add_session(
            db,
            other,
            cycle,
            svc.SessionInput(date(2026, 4, 6), time(9), time(12), "Salle"),
            now=clock(),
            kinds=app.state.reseau.registry.meeting_kinds,
        )
    assert [c.id for c in svc.cycles_for_editor(db, other)] == []
    assert cycle.id in [c.id for c in svc.cycles_for_editor(db, access(app, db, PLAIN_ANIMATOR))]


def test_bad_cycle_values_are_refused_in_french(
    app: Starlette, db: Session, unit: int, make_cycle: CycleFactory
) -> None:
    with pytest.raises(svc.ServiceError, match="nombre de places"):
        make_cycle(capacity=0)
    with pytest.raises(svc.ServiceError, match="clôture des inscriptions"):
        make_cycle(registration_closes_at=svc.paris_instant(date(2026, 1, 1), time(8)))
    fresh(db)
    assert db.scalar(select(func.count(Cycle.id)).where(Cycle.title == "Cycle d'essai")) == 0


def test_a_session_needs_a_place_or_a_link(
    app: Starlette, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle = make_cycle(publish=False)
    with pytest.raises(svc.ServiceError, match="lieu de la séance"):
        svc.add_session(
            db,
            access(app, db, TRAINER_EMAIL),
            cycle,
            svc.SessionInput(date(2026, 4, 6), time(9), time(12)),
            now=clock(),
            kinds=app.state.reseau.registry.meeting_kinds,
        )
