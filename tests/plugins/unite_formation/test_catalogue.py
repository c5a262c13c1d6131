"""The public catalogue, a cycle's page and its .ics, and the trainers' pages."""

from __future__ import annotations

from datetime import date

from icalendar import Calendar
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from plugins.unite_formation.demo import CYCLES
from tests.helpers import FrozenClock, login, post_form
from tests.plugins.unite_formation.conftest import (
    OTHER_USER,
    PLAIN_ANIMATOR,
    TRAINER_EMAIL,
    CycleFactory,
    text,
    utc,
)

DEMO_PUBLISHED = [c.title for c in CYCLES if c.status == "published"]
DEMO_DRAFT = next(c.title for c in CYCLES if c.status == "draft")


def test_the_catalogue_lists_published_cycles_for_visitors(client: TestClient, unit: int) -> None:
    page = text(client.get("/unite_formation/"))
    for title in DEMO_PUBLISHED:
        assert title in page
    assert DEMO_DRAFT not in page


def test_filters_by_public_theme_dates_and_places(
    client: TestClient, unit: int, make_cycle: CycleFactory
) -> None:
    make_cycle(title="Cycle complet", capacity=1)
    make_cycle(title="Cycle pour parents", public="parents", theme="parentalite")
    client.get("/unite_formation/")
    page = text(client.get("/unite_formation/", params={"public": "parents"}))
    assert "Cycle pour parents" in page and "Cycle complet" not in page
    page = text(client.get("/unite_formation/", params={"theme": "numerique", "au": "2026-12-31"}))
    assert "Cycle complet" in page and "Cycle pour parents" not in page
    assert "Accompagner les démarches en ligne" not in page  # January 2027
    page = text(client.get("/unite_formation/", params={"du": "2027-01-01"}))
    assert "Accompagner les démarches en ligne" in page and "Cycle complet" not in page
    post_form(
        client,
        "/unite_formation/cycles/" + _id(client, "Cycle complet") + "/inscription",
        {"last_name": "Martin", "email": "a@example.org", "public_category": "benevoles"},
    )
    page = text(client.get("/unite_formation/", params={"places": "1"}))
    assert "Cycle pour parents" in page and "Cycle complet" not in page
    page = text(client.get("/unite_formation/", params={"public": "nonsense", "du": "pas une date"}))
    assert "Cycle complet" in page  # unknown filters are ignored, not an error


def _id(client: TestClient, title: str) -> str:
    import re

    page = client.get("/unite_formation/", params={"passes": "1"}).text
    match = re.search(r'href="/unite_formation/cycles/(\d+)">' + re.escape(title.replace("'", "&#39;")), page)
    assert match, title
    return match.group(1)


def test_a_cycle_page_and_its_ics(client: TestClient, unit: int, make_cycle: CycleFactory) -> None:
    cycle = make_cycle(title="Cycle au calendrier")
    page = text(client.get(f"/unite_formation/cycles/{cycle.id}"))
    assert "Cycle au calendrier" in page and "10 sur 10 disponibles" in page
    assert 'name="csrf_token"' in page and "M'inscrire au cycle" in page
    response = client.get(f"/unite_formation/cycles/{cycle.id}/seances.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = [e for e in cal.walk("VEVENT")]
    assert len(events) == 3
    assert [e.decoded("dtstart").date() for e in events] == [
        date(2026, 3, 16),
        date(2026, 3, 23),
        date(2026, 3, 30),
    ]
    assert {str(e["dtstart"].params["TZID"]) for e in events} == {"Europe/Paris"}


def test_drafts_are_hidden_from_visitors_but_shown_to_their_trainer(
    client: TestClient, unit: int, make_cycle: CycleFactory
) -> None:
    cycle = make_cycle(publish=False, title="Brouillon secret")
    assert client.get(f"/unite_formation/cycles/{cycle.id}").status_code == 404
    assert client.get(f"/unite_formation/cycles/{cycle.id}/seances.ics").status_code == 404
    login(client, TRAINER_EMAIL)
    assert "Brouillon secret" in text(client.get(f"/unite_formation/cycles/{cycle.id}"))


def test_a_trainer_creates_and_publishes_a_cycle_through_the_pages(
    client: TestClient, db: Session, unit: int, app: Starlette
) -> None:
    login(client, TRAINER_EMAIL)
    form = {
        "space_id": str(unit),
        "title": "Écrire un CV avec une personne",
        "theme": "emploi",
        "public": "benevoles",
        "objectives": "Savoir aider sans faire à la place.",
        "capacity": "8",
        "price": "0",
        "registration_opens_at": "2026-03-01T09:00",
        "registration_closes_at": "2026-03-20T18:00",
        "attendance_threshold": "80",
        "offer_hours": "48",
    }
    bad = post_form(client, "/unite_formation/gestion/nouveau", {**form, "capacity": "0"})
    assert bad.status_code == 400 and "Écrire un CV avec une personne" in text(bad)  # input kept
    response = post_form(client, "/unite_formation/gestion/nouveau", form)
    assert response.status_code == 200 and "Cycle enregistré." in text(response)
    admin_url = str(response.url)
    cycle_id = admin_url.rstrip("/").split("/")[-1]
    publish = post_form(client, f"/unite_formation/gestion/{cycle_id}/publier")
    assert "au moins une séance" in text(publish) and publish.status_code == 400
    added = post_form(
        client,
        f"/unite_formation/gestion/{cycle_id}/seances",
        {"day": "2026-03-24", "starts": "09:30", "ends": "12:00", "location": "Espace E.S.C.A.L.E."},
    )
    assert "Séance ajoutée." in text(added)
    missing = post_form(
        client,
        f"/unite_formation/gestion/{cycle_id}/seances",
        {"day": "2026-03-31", "starts": "09:30", "ends": "12:00"},
    )
    assert missing.status_code == 400 and "lieu de la séance" in text(missing)
    assert "Le cycle est publié." in text(post_form(client, f"/unite_formation/gestion/{cycle_id}/publier"))
    assert "Écrire un CV avec une personne" in text(client.get("/unite_formation/"))


def test_trainers_cannot_edit_other_cycles_over_http(
    client: TestClient, unit: int, make_cycle: CycleFactory
) -> None:
    cycle = make_cycle()
    login(client, OTHER_USER)
    assert client.get(f"/unite_formation/gestion/{cycle.id}").status_code == 403
    assert post_form(client, f"/unite_formation/gestion/{cycle.id}/clore").status_code == 403
    assert client.get("/unite_formation/gestion").status_code == 403
    login(client, PLAIN_ANIMATOR)
    assert client.get(f"/unite_formation/gestion/{cycle.id}").status_code == 200


def test_the_units_space_page_lists_its_upcoming_cycles(client: TestClient, unit: int) -> None:
    page = text(client.get("/espaces/unite-locale-formation"))
    assert "Prochains cycles de formation" in page
    for title in DEMO_PUBLISHED:
        assert title in page
    assert DEMO_DRAFT not in page


def test_a_signed_in_person_finds_the_form_filled(
    client: TestClient, unit: int, make_cycle: CycleFactory
) -> None:
    cycle = make_cycle()
    login(client, OTHER_USER)
    page = text(client.get(f"/unite_formation/cycles/{cycle.id}"))
    assert 'value="julien.roux@example.org"' in page and 'value="Julien"' in page and 'value="Roux"' in page


def test_the_shown_status_follows_the_registration_window(
    client: TestClient, unit: int, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle = make_cycle(title="Cycle à venir")
    clock.set(utc(2026, 1, 20, 9))
    assert "Inscriptions bientôt ouvertes" in text(client.get(f"/unite_formation/cycles/{cycle.id}"))
    clock.set(utc(2026, 3, 14, 9))
    page = text(client.get(f"/unite_formation/cycles/{cycle.id}"))
    assert "Inscriptions closes" in page and "Les inscriptions à ce cycle sont closes depuis le" in page
    assert "M'inscrire au cycle" not in page


def test_the_home_page_shows_my_trainings(client: TestClient, unit: int, make_cycle: CycleFactory) -> None:
    cycle = make_cycle(title="Cycle du tableau de bord")
    login(client, OTHER_USER)
    post_form(
        client,
        f"/unite_formation/cycles/{cycle.id}/inscription",
        {
            "first_name": "Julien",
            "last_name": "Roux",
            "email": "julien.roux@example.org",
            "public_category": "autre",
        },
    )
    home = text(client.get("/"))
    assert "Mes formations" in home and "Cycle du tableau de bord" in home and "Inscription confirmée" in home
    login(client, TRAINER_EMAIL)
    home = text(client.get("/"))
    assert "Les cycles que j'anime" in home and "Cycle du tableau de bord" in home
    assert "1 inscrit sur 10 places" in home
