"""The public application form: bad input refused in French with the input kept, hostile input
stored inert, one pending application per SIRET, honeypot, rate limit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.reminders.models import OutboxMessage
from plugins.club_economie.models import Application
from tests.helpers import post_form
from tests.plugins.club_economie.conftest import OTHER_SIRET, application_by_email, form_data, fresh, text

URL = "/club_economie/candidater"


def count(db: Session) -> int:
    fresh(db)
    return int(db.scalar(select(func.count(Application.id))) or 0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siret", "732 829 320 00075", "Ce numéro SIRET n'est pas valide"),
        ("siret", "12345", "Ce numéro SIRET n'est pas valide"),
        ("phone", "01 23", "Ce numéro de téléphone n'existe pas"),
        ("phone", "pas un numéro", "Numéro de téléphone illisible"),
        ("email", "mariam@", "Adresse électronique invalide"),
        ("naf_code", "ABCDE", "Code NAF invalide"),
        ("postcode", "9435", "Le code postal compte cinq chiffres"),
        ("consent", None, "Votre accord est nécessaire"),
        ("name", "   ", "Ce champ est obligatoire"),
        ("legal_form", "inconnue", "Not a valid choice"),
    ],
)
def test_bad_input_is_refused_in_french_and_the_form_keeps_it(
    club: Starlette, web: TestClient, db: Session, field: str, value: str | None, message: str
) -> None:
    before = count(db)
    data = form_data(**{field: value})
    response = post_form(web, URL, data)
    assert response.status_code == 400
    page = text(response)
    if message != "Not a valid choice":
        assert message in page
    assert "Le formulaire contient des erreurs" in page
    # what was typed is still there
    assert 'value="Atelier Couture Hautes-Noues"' in page or field == "name"
    assert "Des stages pour les jeunes du quartier." in page
    assert count(db) == before


def test_activity_or_naf_is_required(club: Starlette, web: TestClient, db: Session) -> None:
    response = post_form(web, URL, form_data(naf_code="", activity=""))
    assert response.status_code == 400
    assert "Indiquez votre activité ou votre code NAF." in text(response)


def test_a_project_without_siret_is_welcome(club: Starlette, web: TestClient, db: Session) -> None:
    response = post_form(web, URL, form_data(siret="", legal_form="projet", naf_code=""))
    assert response.status_code == 200 and "Merci" in text(response)
    assert application_by_email(db, "mariam.kone@example.org").siret == ""


def test_a_second_pending_application_with_the_same_siret_is_refused(
    club: Starlette, web: TestClient, db: Session
) -> None:
    before = count(db)
    # the demo's "Traiteur Saveurs du Monde" is pending with this SIRET
    response = post_form(web, URL, form_data(siret=OTHER_SIRET))
    assert response.status_code == 409
    page = text(response)
    assert "Une candidature pour ce SIRET a déjà été déposée" in page
    assert "inutile d'en envoyer une deuxième" in page
    assert 'value="Atelier Couture Hautes-Noues"' in page
    assert count(db) == before


def test_hostile_input_in_every_field_is_stored_as_text_and_shown_escaped(
    club: Starlette, web: TestClient, db: Session
) -> None:
    script = '<script>alert("x")</script>'
    hostile = form_data(
        name=f"Société {script}",
        activity=f"Vente {script}",
        address=f"1 rue {script}\x00\x07",
        city="Villiers'; DROP TABLE club_economie_applications; --",
        first_name=script,
        last_name="Robert'); DROP TABLE contacts;--",
        function="{{ 7*7 }}",
        contribution="{% raw %}{{ config }}{% endraw %}\r\n" + "é" * 100,
        expectations="\u202eevil\u202c " + script,
    )
    response = post_form(web, URL, hostile)
    assert response.status_code == 200, text(response)[:3000]
    application = application_by_email(db, "mariam.kone@example.org")
    assert application.name == f"Société {script}"
    assert "\x00" not in application.address and "\x07" not in application.address
    assert application.function == "{{ 7*7 }}"
    from tests.helpers import login

    login(web, "julien.roux@example.org")
    page = web.get(f"/club_economie/candidatures/{application.id}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text
    assert "{{ 7*7 }}" in text(page) and "49" not in text(page).split("{{ 7*7 }}")[0][-5:]


@pytest.mark.parametrize(
    "field", ["name", "activity", "address", "city", "first_name", "last_name", "function"]
)
def test_too_long_text_is_refused(club: Starlette, web: TestClient, db: Session, field: str) -> None:
    before = count(db)
    response = post_form(web, URL, form_data(**{field: "x" * 400}))
    assert response.status_code == 400
    assert "Le formulaire contient des erreurs" in text(response)
    assert count(db) == before


def test_the_honeypot_stores_nothing(club: Starlette, web: TestClient, db: Session) -> None:
    before = count(db)
    response = post_form(web, URL, form_data(website="http://spam.example"))
    assert response.status_code == 200 and "Merci" in text(response)
    assert count(db) == before
    fresh(db)
    assert not db.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.key.like("club_economie.received:%"))
    )


def test_the_rate_limit_per_address(club: Starlette, web: TestClient, db: Session) -> None:
    sirets = ["51234567900009", "80295478400004", "31987654600007"]
    for n, siret in enumerate(sirets):
        response = post_form(web, URL, form_data(siret=siret, email=f"personne{n}@example.org"))
        assert response.status_code == 200, text(response)[:2000]
    refused = post_form(web, URL, form_data(siret="", email="encore@example.org"))
    assert refused.status_code == 429
    assert "Trop de candidatures" in text(refused)
    assert 'value="encore@example.org"' in text(refused)
    fresh(db)
    stored = db.scalars(select(Application.ip_hash).where(Application.email.like("personne%"))).all()
    assert len(stored) == 3 and all(len(h) == 64 for h in stored)  # a keyed hash, never the address


def test_the_form_needs_the_csrf_token(club: Starlette, web: TestClient, db: Session) -> None:
    before = count(db)
    response = web.post(URL, data=form_data())
    assert response.status_code == 403
    assert count(db) == before


def test_the_database_refuses_a_second_pending_siret_when_two_submissions_race(
    club: Starlette, web: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two simultaneous submissions both pass the service's check; the partial unique index
    decides, and the loser gets the same French answer, nothing written."""
    from plugins.club_economie import services

    real = services.pending_with_siret
    calls: list[str] = []

    def not_yet_visible(session: Session, siret: str, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(siret)
        return None if len(calls) == 1 else real(session, siret, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "pending_with_siret", not_yet_visible)
    before = count(db)
    response = post_form(web, URL, form_data(siret=OTHER_SIRET))
    assert response.status_code == 409
    assert "Une candidature pour ce SIRET a déjà été déposée" in text(response)
    assert count(db) == before
    assert len(calls) == 2  # the check, then the answer after the database refused


def test_a_decided_application_does_not_hold_its_siret(db: Session) -> None:
    """Only pending applications are unique per SIRET: declined ones stay for their retention."""
    from plugins.club_economie.models import PENDING_SIRET

    assert "new" in PENDING_SIRET and "info_requested" in PENDING_SIRET and "declined" not in PENDING_SIRET
