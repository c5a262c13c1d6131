"""The whole journey through HTTP: a provider lists a service, enters two quarters of figures,
the indicators and chart show the gap, and a proposal is adopted at a meeting."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.audit.models import AuditEntry
from core.demo import organisation_by_name
from plugins.acces_services.models import Figure, Proposal, Service
from tests.helpers import login, logout, post_form
from tests.plugins.acces_services.conftest import ANIMATOR, CULTURE_PROVIDER, add_meeting, fresh, text, utc

SVG_NS = "{http://www.w3.org/2000/svg}"

NEW_SERVICE = {
    "organisation_id": "",
    "name": "Atelier théâtre des adolescents",
    "category": "arts",
    "description": "Improvisation et mise en scène, une fois par semaine.",
    "publics": ["adolescents"],
    "public_details": "Collégiens et lycéens",
    "age_min": "11",
    "age_max": "17",
    "address": "Salle Georges-Brassens",
    "postcode": "94350",
    "city": "Villiers-sur-Marne",
    "distance_band": "proche",
    "opening_hours": "Le mercredi de 17 h à 19 h",
    "price_details": "60 € l'année",
    "has_social_pricing": "y",
    "social_pricing_details": "De 15 € à 60 € selon le quotient familial",
    "registration": "À l'accueil du Pôle Culture",
    "accessibility": ["moteur", "auditif"],
    "contact_name": "Accueil du Pôle Culture",
    "contact_email": "culture@example.org",
    "contact_phone": "01 49 41 38 38",
    "website": "www.example.org/theatre",
    "is_published": "y",
}


def test_provider_lists_a_service_enters_figures_and_the_platform_adopts_a_proposal(
    client: TestClient, db: Session, platform: int
) -> None:
    culture = organisation_by_name(db, "Pôle Culture")
    assert culture is not None

    # 1. the provider lists a service of their organisation
    login(client, CULTURE_PROVIDER)
    form = client.get("/acces_services/services/nouveau")
    assert form.status_code == 200
    assert f'<option value="{culture.id}">Pôle Culture</option>' in form.text
    assert "E.S.C.A.L.E." not in form.text  # a provider files only under their own organisation
    response = post_form(
        client, "/acces_services/services/nouveau", {**NEW_SERVICE, "organisation_id": culture.id}
    )
    assert response.status_code == 200, response.text
    assert "Service enregistré." in response.text
    service = fresh(db).scalar(select(Service).where(Service.name == NEW_SERVICE["name"]))
    assert service is not None
    assert (
        service.organisation_id == culture.id
        and service.has_social_pricing
        and service.contact_phone == "+33149413838"
    )
    assert service.website == "https://www.example.org/theatre"
    assert sorted(service.publics) == ["adolescents"] and sorted(service.accessibility) == [
        "auditif",
        "moteur",
    ]
    assert (
        client.get("/acces_services/", params={"q": "theatre adolescents"}).text.count(NEW_SERVICE["name"])
        == 1
    )

    # 2. figures for two quarters (the clock says 2 March 2026: 2025-T3 and 2025-T4 are over)
    for period, total, local in (("2025-T3", 120, 12), ("2025-T4", "1 30", 15)):
        response = post_form(
            client,
            "/acces_services/frequentation/saisie",
            {
                "service_id": service.id,
                "period": period,
                "users_total": total,
                "users_neighbourhood": local,
            },
        )
        assert response.status_code == 200, response.text
        assert f"Chiffres de {period} enregistrés" in response.text
    stored = (
        fresh(db).scalars(select(Figure).where(Figure.service_id == service.id).order_by(Figure.period)).all()
    )
    assert [(f.period, f.users_total, f.users_neighbourhood) for f in stored] == [
        ("2025-T3", 120, 12),
        ("2025-T4", 130, 15),
    ]
    assert str(stored[0].period_start) == "2025-07-01" and str(stored[0].period_end) == "2025-09-30"

    # 3. the indicators show the gap to the neighbourhood's 23 % and the trend, chart and table agree
    page = client.get(f"/acces_services/indicateurs/services/{service.id}")
    assert page.status_code == 200
    assert "11,5 %" in page.text and "−11,5 points" in page.text and "en hausse de 1,5 points" in page.text
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", page.text, re.S).group(0))  # type: ignore[union-attr]
    assert svg.get("role") == "img"
    values = {t.get("data-period"): t.text for t in svg.iter(f"{SVG_NS}text") if t.get("class") == "value"}
    assert values == {"2025-T3": "10,0 %", "2025-T4": "11,5 %"}
    table = dict(
        re.findall(r'<th scope="row">(20\d\d-T\d)</th>.*?<td class="share">([^<]+)</td>', page.text, re.S)
    )
    assert table == values
    overview = client.get("/acces_services/indicateurs")
    assert NEW_SERVICE["name"] in overview.text
    logout(client)

    # 4. the platform adopts a proposal at one of its meetings, sends it, gets an answer
    meeting_id = add_meeting(db, platform, "Plateforme – séance de février", utc(2026, 2, 10, 13, 0))
    login(client, ANIMATOR)
    response = post_form(
        client,
        "/acces_services/propositions/nouvelle",
        {
            "kind": "recommandation",
            "title": "Ouvrir l'atelier théâtre au collège du quartier",
            "body": "Une séance délocalisée par semaine.",
            "service_ids": [service.id],
            "meeting_id": meeting_id,
            "is_public": "y",
        },
    )
    assert response.status_code == 200, response.text
    proposal = fresh(db).scalar(select(Proposal).where(Proposal.title.startswith("Ouvrir l'atelier")))
    assert proposal is not None and proposal.meeting_id == meeting_id and proposal.status == "draft"
    assert "en réunion « Plateforme – séance de février » du 10 février 2026" in response.text
    assert re.search(rf'<a href="[^"]*/reunions/{meeting_id}">voir la réunion</a>', response.text)
    url = f"/acces_services/propositions/{proposal.id}/statut"
    assert post_form(client, url, {"status": "submitted"}).status_code == 200
    refused = post_form(client, url, {"status": "answered", "answer": ""})
    assert refused.status_code == 400 and "Indiquez la réponse des élus." in refused.text
    assert (
        post_form(client, url, {"status": "answered", "answer": "Accord pour la rentrée."}).status_code == 200
    )
    done = post_form(client, url, {"status": "implemented"})
    assert done.status_code == 200 and "Mise en œuvre" in done.text
    proposal = fresh(db).get(Proposal, proposal.id)
    assert (
        proposal is not None
        and proposal.status == "implemented"
        and proposal.answer == "Accord pour la rentrée."
    )
    assert proposal.submitted_at is not None and proposal.answered_at is not None
    changes = [
        e.changes["status"]
        for e in db.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.action == "acces_services.proposal.status_changed",
                AuditEntry.object_id == str(proposal.id),
            )
            .order_by(AuditEntry.id)
        )
    ]
    assert changes == [["draft", "submitted"], ["submitted", "answered"], ["answered", "implemented"]]
    logout(client)

    # 5. the public sees the proposal in the public list, with its service
    public = client.get("/acces_services/propositions")
    assert "Ouvrir l'atelier théâtre au collège du quartier" in text(public)
    assert "Étude des freins à la pratique sportive" not in text(public)  # the demo's non-public study
