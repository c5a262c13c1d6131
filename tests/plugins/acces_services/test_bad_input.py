"""Bad input is refused in French next to the field, typed values kept, nothing half-written;
hostile text is escaped everywhere (HTML, SVG, CSV)."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.audit.models import AuditEntry
from core.demo import organisation_by_name
from plugins.acces_services import periods
from plugins.acces_services import services as svc
from plugins.acces_services.models import Figure, Service
from tests.helpers import login, post_form
from tests.plugins.acces_services.conftest import (
    ANIMATOR,
    CULTURE_PROVIDER,
    figure_count,
    fresh,
    service_id,
    text,
)

MEDIATHEQUE = "Médiathèque municipale"
HOSTILE = '=HYPERLINK("http://evil") <script>alert("x")</script>'


def field_error(html: str, field: str) -> str:
    """The error message shown under a field (tied to it with aria-describedby)."""
    match = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html, re.S)
    assert match, f"no error for {field}"
    assert f'aria-describedby="{field}-error"' in html or f"{field}-error" in html
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Erreur : ", "").strip()


def test_figures_that_make_no_sense_are_refused_in_french(
    client: TestClient, db: Session, platform: int
) -> None:
    mediatheque = service_id(db, MEDIATHEQUE)
    before = figure_count(db)
    login(client, CULTURE_PROVIDER)
    url = "/acces_services/frequentation/saisie"

    def post(period: str, total: str, local: str) -> tuple[int, str]:
        response = post_form(
            client,
            url,
            {"service_id": mediatheque, "period": period, "users_total": total, "users_neighbourhood": local},
        )
        return response.status_code, text(response)

    status, page = post("2025-T1", "100", "120")
    assert status == 400
    assert field_error(page, "users_neighbourhood") == (
        "Les usagers du quartier (120) ne peuvent pas être plus nombreux que l'ensemble des usagers (100)."
    )
    assert 'value="120"' in page and 'value="100"' in page and 'value="2025-T1"' in page
    assert (
        field_error(post("2025-T1", "-3", "0")[1], "users_total")
        == "Le nombre d'usagers ne peut pas être négatif."
    )
    assert field_error(post("2025-T1", "3", "-1")[1], "users_neighbourhood") == (
        "Le nombre d'usagers du quartier ne peut pas être négatif."
    )
    assert field_error(post("2027-T1", "3", "1")[1], "period") == "La période 2027-T1 est dans le futur."
    assert "n'est pas terminée" in field_error(post("2026-T1", "3", "1")[1], "period")
    assert "n'est pas une période valide" in field_error(post("trimestre 1", "3", "1")[1], "period")
    assert field_error(post("2025-T1", "", "1")[1], "users_total") == "Indiquez le nombre total d'usagers."
    assert field_error(post("2025-T1", "3,5", "1")[1], "users_total") == "N'est pas un entier valide."
    status, page = post("2025-T4", "10", "1")  # the demo entered 2025-T4 already
    assert status == 400 and "déjà saisis pour ce service" in field_error(page, "period")
    assert "Les corriger" in page
    assert figure_count(db) == before


def test_a_corrected_figure_keeps_the_previous_value_in_the_audit_log(
    client: TestClient, db: Session, platform: int
) -> None:
    mediatheque = service_id(db, MEDIATHEQUE)
    figure = db.scalar(select(Figure).where(Figure.service_id == mediatheque, Figure.period == "2025-T4"))
    assert figure is not None and (figure.users_total, figure.users_neighbourhood) == (1800, 360)
    login(client, CULTURE_PROVIDER)
    url = f"/acces_services/frequentation/{figure.id}/correction"
    refused = post_form(client, url, {"users_total": "1800", "users_neighbourhood": "1900"})
    assert refused.status_code == 400 and "ne peuvent pas être plus nombreux" in text(refused)
    response = post_form(client, url, {"users_total": "1 850", "users_neighbourhood": "360"})
    assert response.status_code == 200 and "Chiffres corrigés." in text(response)
    assert (fresh(db).get(Figure, figure.id).users_total) == 1850  # type: ignore[union-attr]
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "acces_services.figure.corrected"))
    assert entry is not None and entry.changes == {"users_total": [1800, 1850]}
    history = text(client.get(url))
    assert "Usagers : 1800 → 1850" in history


def test_service_form_keeps_values_and_shows_errors(client: TestClient, db: Session, platform: int) -> None:
    culture = organisation_by_name(db, "Pôle Culture")
    assert culture is not None
    login(client, CULTURE_PROVIDER)
    data = {
        "organisation_id": culture.id,
        "name": "N" * 201,
        "category": "arts",
        "description": "d" * 5001,
        "postcode": "9435",
        "age_min": "12",
        "age_max": "8",
        "website": "javascript:alert(1)",
        "contact_email": "pas-une-adresse",
        "contact_phone": "12",
        "latitude": "48,83",
        "distance_band": "",
    }
    response = post_form(client, "/acces_services/services/nouveau", data)
    assert response.status_code == 400
    page = text(response)
    assert "200" in field_error(page, "name") and "5000" in field_error(page, "description")
    assert field_error(page, "postcode") == "Cinq chiffres, par exemple 94350."
    assert "http" in field_error(page, "website")
    assert field_error(page, "contact_email") == "Adresse électronique invalide."
    assert field_error(page, "contact_phone")
    assert 'value="9435"' in page and "N" * 201 in page
    assert "Le formulaire contient des erreurs" in page
    # shapes right, but the rules of the platform refuse: ages, coordinates, distance
    data.update(
        name="Atelier", description="", postcode="94350", website="", contact_email="", contact_phone=""
    )
    page = text(post_form(client, "/acces_services/services/nouveau", data))
    assert field_error(page, "age_max") == "L'âge maximum doit être supérieur ou égal à l'âge minimum."
    data.update(age_max="18")
    page = text(post_form(client, "/acces_services/services/nouveau", data))
    assert field_error(page, "latitude") == "Indiquez la latitude et la longitude, ou aucune des deux."
    data.update(latitude="")
    page = text(post_form(client, "/acces_services/services/nouveau", data))
    assert "Choisissez la distance" in field_error(page, "distance_band")
    assert fresh(db).scalar(select(Service).where(Service.name == "Atelier")) is None


def test_hostile_text_is_escaped_in_pages_svg_and_csv(client: TestClient, db: Session, platform: int) -> None:
    culture = organisation_by_name(db, "Pôle Culture")
    assert culture is not None
    login(client, CULTURE_PROVIDER)
    response = post_form(
        client,
        "/acces_services/services/nouveau",
        {
            "organisation_id": culture.id,
            "name": HOSTILE + "\x07",
            "category": "arts",
            "distance_band": "proche",
            "description": "<img src=x onerror=alert(1)>\nligne 2",
            "opening_hours": "<b>toujours</b>",
            "is_published": "y",
        },
    )
    assert response.status_code == 200, text(response)
    service = fresh(db).scalar(select(Service).where(Service.name == HOSTILE))
    assert service is not None  # the control character was dropped
    post_form(
        client,
        "/acces_services/frequentation/saisie",
        {"service_id": service.id, "period": "2025-T4", "users_total": "10", "users_neighbourhood": "1"},
    )
    pages = [
        client.get("/acces_services/").text,
        client.get(f"/acces_services/services/{service.id}").text,
        client.get("/acces_services/guide").text,
        client.get("/acces_services/frequentation").text,
        client.get("/acces_services/indicateurs").text,
        client.get(f"/acces_services/indicateurs/services/{service.id}").text,
        client.get(f"/acces_services/services/{service.id}/modifier").text,
    ]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>toujours" not in html
        for chunk in re.findall(r"<svg\b.*?</svg>", html, re.S):
            ET.fromstring(chunk)  # still well-formed XML
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in pages[0] or "&lt;script&gt;" in pages[0]
    assert any("&lt;script&gt;" in html and "<svg" in html for html in pages[4:6])
    # the CSV export neutralises the formula
    exported = client.get("/acces_services/indicateurs.csv").content.decode("utf-8-sig")
    names = [
        row[1] for row in csv.reader(io.StringIO(exported), delimiter=";") if row and row[0] == "service"
    ]
    assert "'" + HOSTILE in names and HOSTILE not in names
    template = client.get("/acces_services/frequentation/modele.csv").content.decode("utf-8-sig")
    services = [row[1] for row in csv.reader(io.StringIO(template), delimiter=";")]
    assert "'" + HOSTILE in services and HOSTILE not in services


def test_overlong_and_odd_requests_do_not_break_pages(client: TestClient, db: Session, platform: int) -> None:
    login(client, ANIMATOR)
    response = post_form(
        client,
        "/acces_services/propositions/nouvelle",
        {"kind": "avis", "title": "T" * 201, "body": "b", "meeting_id": "999999"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "200" in field_error(page, "title")
    response = post_form(client, "/acces_services/propositions/nouvelle", {"kind": "inconnu", "title": "x"})
    assert response.status_code == 400
    assert client.get("/acces_services/services/abc").status_code == 404
    assert client.get("/acces_services/propositions/999999").status_code == 404
    assert client.get("/acces_services/frequentation/999999/correction").status_code == 404


def test_a_figure_entered_twice_at_once_gets_the_french_message(
    db: Session, platform: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = db.get(Service, service_id(db, MEDIATHEQUE))
    assert service is not None
    access = svc.Access(space_id=platform, signed_in=True, manage=True)
    # the other request's insert lands between our check and our insert
    monkeypatch.setattr(svc, "find_figure", lambda *args: None)
    with pytest.raises(svc.ServiceError, match="déjà saisis"):
        svc.add_figure(db, access, None, service, periods.parse_period("2025-T4"), 5, 1, "form")
    # the savepoint was rolled back: the session goes on
    assert db.scalar(
        select(Figure.users_total).where(Figure.service_id == service.id, Figure.period == "2025-T4")
    )
    db.rollback()
