"""Attendance per session (the core's attendance records), rates, attestations (PDF parsed
back), the questionnaire and its aggregated results."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.calendar.models import Attendance
from core.db import transaction
from plugins.unite_formation import attendance
from plugins.unite_formation import links as signed
from plugins.unite_formation import registrations as reg
from plugins.unite_formation.models import Cycle, Registration
from plugins.unite_formation.services import ServiceError
from tests.helpers import FrozenClock, login, post_form
from tests.plugins.unite_formation.conftest import (
    OTHER_USER,
    TRAINER_EMAIL,
    CycleFactory,
    access,
    fresh,
    links_for,
    text,
    utc,
)
from tests.plugins.unite_formation.test_registrations import person


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _setup(
    app: Starlette, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> tuple[Cycle, list[Registration]]:
    cycle = make_cycle(capacity=5)  # sessions 16, 23 and 30 March 2026, 14:00-17:00 Paris
    people = []
    for n in range(3):
        with transaction(app.state.reseau.session_factory) as session:
            people.append(
                reg.register(
                    session,
                    cycle.id,
                    person(n, organisation="Centre social"),
                    now=clock(),
                    links=links_for(app),
                )
            )
    fresh(db)
    stored = db.get(Cycle, cycle.id)
    assert stored is not None
    return stored, people


def _sessions(cycle: Cycle) -> list[int]:
    return [s.id for s in sorted(cycle.sessions, key=lambda s: s.meeting.starts_at)]


def test_attendance_is_the_cores_and_gives_a_rate_per_participant(
    app: Starlette, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle, (a, b, c) = _setup(app, db, make_cycle, clock)
    trainer = access(app, db, TRAINER_EMAIL)
    first, second, third = _sessions(cycle)
    with pytest.raises(ServiceError, match="pas encore eu lieu"):
        attendance.record(db, trainer, cycle, first, {a.id}, now=clock())
    clock.set(utc(2026, 3, 31, 9))
    attendance.record(db, trainer, cycle, first, {a.id, b.id, c.id}, now=clock())
    attendance.record(db, trainer, cycle, second, {a.id, b.id}, now=clock())
    attendance.record(db, trainer, cycle, third, {a.id}, now=clock())
    attendance.record(db, trainer, cycle, third, {a.id, c.id}, now=clock())  # corrected: c came, not b
    db.commit()
    rows = db.scalars(
        select(Attendance).where(Attendance.contact_id.in_([a.contact_id, b.contact_id, c.contact_id]))
    ).all()
    assert len(rows) == 7
    rates = attendance.rates(db, cycle)
    assert {k: (v.present, v.total, v.percent) for k, v in rates.items()} == {
        a.id: (3, 3, 100),
        b.id: (2, 3, 66),
        c.id: (2, 3, 66),
    }
    assert rates[a.id].reaches(80) and not rates[b.id].reaches(80) and rates[b.id].reaches(66)
    with pytest.raises(ServiceError, match="vos propres cycles"):
        attendance.record(db, access(app, db, OTHER_USER), cycle, first, set(), now=clock())


def test_attestations_over_the_threshold_only_for_trainer_and_participant(
    app: Starlette, client: TestClient, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle, (a, b, _c) = _setup(app, db, make_cycle, clock)
    clock.set(utc(2026, 3, 31, 9))
    login(client, TRAINER_EMAIL)
    for session_id, present in zip(_sessions(cycle), ([a.id, b.id], [a.id], [a.id, b.id]), strict=True):
        page = client.get(f"/unite_formation/gestion/{cycle.id}/seances/{session_id}/emargement")
        assert "Personne Numéro 0" in text(page)
        done = post_form(
            client,
            f"/unite_formation/gestion/{cycle.id}/seances/{session_id}/emargement",
            {"present": [str(i) for i in present]},
        )
        assert "Émargement enregistré." in text(done)
    response = client.get(f"/unite_formation/gestion/{cycle.id}/attestations/{a.id}.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    content = pdf_text(response.content)
    assert "Attestation de présence" in content
    assert (
        "Unité Locale de Formation atteste que Personne Numéro 0 a suivi la formation « Cycle d'essai »"
        in content
    )
    assert "lundi 16 mars 2026, de 14 h 00 à 17 h 00" in content
    assert "lundi 30 mars 2026, de 14 h 00 à 17 h 00" in content
    assert "3 séance(s) sur 3 (100 %), soit 9 h 00 de formation" in content
    assert "Karim Haddad" in content and "Unité Locale de Formation" in content
    below = client.get(f"/unite_formation/gestion/{cycle.id}/attestations/{b.id}.pdf")  # 2 of 3 = 66 %
    assert below.status_code == 403 and "sous le seuil de 80 %" in text(below)
    login(client, OTHER_USER)
    assert client.get(f"/unite_formation/gestion/{cycle.id}/attestations/{a.id}.pdf").status_code == 403
    # the participant, with no account, through the signed link of their email
    base = app.state.reseau.settings.base_url
    own = client.get(links_for(app).link(signed.ATTESTATION, a.id).removeprefix(base))
    assert own.status_code == 200 and "Personne Numéro 0" in pdf_text(own.content)
    assert client.get(links_for(app).link(signed.ATTESTATION, b.id).removeprefix(base)).status_code == 403
    assert (
        client.get(
            links_for(app)
            .link(signed.CANCEL, a.id)
            .removeprefix(base)
            .replace("inscription/annuler", "attestation")
        ).status_code
        == 400
    )


def test_the_questionnaire_once_after_the_last_session_and_its_results(
    app: Starlette, client: TestClient, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle, (a, b, _c) = _setup(app, db, make_cycle, clock)
    base = app.state.reseau.settings.base_url
    url_a = links_for(app).link(signed.EVALUATION, a.id).removeprefix(base)
    answers = {
        "overall": "5",
        "content": "4",
        "trainer": "5",
        "useful": "3",
        "organisation": "4",
        "comment": "Très concret.",
    }
    assert "ouvrira après la dernière séance" in text(client.get(url_a))
    clock.set(utc(2026, 3, 31, 9))
    incomplete = post_form(client, url_a, {"overall": "5"})
    assert incomplete.status_code == 400 and "Ce champ est obligatoire." in text(incomplete)
    assert "Merci pour vos réponses" in text(post_form(client, url_a, answers))
    assert "déjà répondu" in text(post_form(client, url_a, {**answers, "overall": "1"}))
    url_b = links_for(app).link(signed.EVALUATION, b.id).removeprefix(base)
    post_form(client, url_b, {**answers, "overall": "3", "comment": ""})
    login(client, TRAINER_EMAIL)
    page = text(client.get(f"/unite_formation/gestion/{cycle.id}/questionnaire"))
    assert "2 réponse(s) pour 3 participant(s)." in page
    assert "<td>4,0</td>" in page  # overall: (5 + 3) / 2
    assert "Très concret." in page
    login(client, OTHER_USER)
    assert client.get(f"/unite_formation/gestion/{cycle.id}/questionnaire").status_code == 403
