"""Statistics: cycles, sessions, registrations, attendance rate, priority neighbourhood share,
per year and public category, and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.db import transaction
from plugins.unite_formation import attendance, stats
from plugins.unite_formation import registrations as reg
from plugins.unite_formation.models import Cycle
from tests.helpers import FrozenClock, login
from tests.plugins.unite_formation.conftest import (
    OTHER_USER,
    PLAIN_ANIMATOR,
    TRAINER_EMAIL,
    CycleFactory,
    access,
    fresh,
    links_for,
    utc,
)
from tests.plugins.unite_formation.test_registrations import person


def test_figures_per_year_and_public_and_their_csv(
    app: Starlette, client: TestClient, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    spring = make_cycle(days=(date(2026, 3, 16), date(2026, 3, 23)), title="Printemps")
    cancelled = make_cycle(days=(date(2026, 3, 17),), title="Annulé")
    make_cycle(days=(date(2026, 3, 18),), title="Brouillon", publish=False)
    people = []
    for n, (public, priority) in enumerate(
        [("benevoles", True), ("benevoles", False), ("parents", True), ("parents", True)]
    ):
        with transaction(app.state.reseau.session_factory) as session:
            people.append(
                reg.register(
                    session,
                    spring.id,
                    person(n, public_category=public, priority_area=priority),
                    now=clock(),
                    links=links_for(app),
                )
            )
    with transaction(app.state.reseau.session_factory) as session:
        reg.register(session, cancelled.id, person(9), now=clock(), links=links_for(app))
        reg.cancel_cycle(
            session,
            access(app, session, TRAINER_EMAIL),
            cancelled.id,
            "Salle indisponible",
            now=clock(),
            links=links_for(app),
        )
    clock.set(utc(2026, 3, 24, 9))
    with transaction(app.state.reseau.session_factory) as session:
        cycle = session.get(Cycle, spring.id)
        assert cycle is not None
        first, second = sorted(cycle.sessions, key=lambda s: s.meeting.starts_at)
        trainer = access(app, session, TRAINER_EMAIL)
        attendance.record(session, trainer, cycle, first.id, {p.id for p in people}, now=clock())
        attendance.record(session, trainer, cycle, second.id, {people[0].id, people[2].id}, now=clock())
    fresh(db)
    figures = stats.compute(db)
    demo_years = {2027}  # the demo's published cycles
    assert set(figures.by_year) == {2026} | demo_years
    year = figures.by_year[2026]
    assert (year.cycles, year.cancelled_cycles, year.sessions, year.registrations) == (1, 1, 2, 4)
    assert year.attendance_rate == 75.0  # 6 presences of 8 expected
    assert year.priority_share == 75.0
    parents = figures.by_year_and_public[(2026, "parents")]
    assert (parents.cycles, parents.registrations, parents.attendance_rate, parents.priority_share) == (
        1,
        2,
        75.0,
        100.0,
    )
    benevoles = figures.by_year_and_public[(2026, "benevoles")]
    assert (benevoles.registrations, benevoles.attendance_rate, benevoles.priority_share) == (2, 75.0, 50.0)

    login(client, PLAIN_ANIMATOR)
    page = client.get("/unite_formation/statistiques")
    assert page.status_code == 200 and "75,0 %" in page.text
    response = client.get("/unite_formation/statistiques.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Année", "Public", "Cycles"]
    assert ["2026", "Tous publics", "1", "1", "2", "4", "75,0", "75,0"] in rows
    assert ["2026", "Parents", "1", "0", "2", "2", "75,0", "100,0"] in rows
    login(client, TRAINER_EMAIL)  # a trainer is not an animator: no platform statistics
    assert client.get("/unite_formation/statistiques").status_code == 403
    login(client, OTHER_USER)
    assert client.get("/unite_formation/statistiques.csv").status_code == 403
