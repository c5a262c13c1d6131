"""The public catalogue: accent-insensitive full-text search, filters, service page, printable guide."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.audit.models import AuditEntry
from plugins.acces_services.models import Service
from tests.helpers import login, post_form
from tests.plugins.acces_services.conftest import ANIMATOR, CULTURE_PROVIDER, fresh, service_id, text

MEDIATHEQUE = "Médiathèque municipale"
CONSERVATOIRE = "Conservatoire municipal de musique, danse et théâtre"


def names(response: object) -> list[str]:
    """The services listed on a catalogue page, in order."""
    return re.findall(r'<h3><a href="/acces_services/services/\d+">([^<]+)</a></h3>', text(response))


def test_search_ignores_accents_and_case(client: TestClient, platform: int) -> None:
    for query in ("mediatheque", "MÉDIATHÈQUE", "Médiathèque", "mediath", "médiathèque municipale"):
        assert MEDIATHEQUE in names(client.get("/acces_services/", params={"q": query})), query
    for query in ("theatre", "théâtre", "THEATRE"):
        assert names(client.get("/acces_services/", params={"q": query})) == [
            CONSERVATOIRE,
            "Saison culturelle : spectacles et concerts",
        ], query
    assert names(client.get("/acces_services/", params={"q": "conservatoire theatre"})) == [CONSERVATOIRE]
    # the organisation's name and the category are searched too
    found = names(client.get("/acces_services/", params={"q": "pole escale"}))
    assert found == ["Espace emploi", "Point d'accès au droit"]
    assert "Piscine municipale" in names(client.get("/acces_services/", params={"q": "natation"}))
    assert names(client.get("/acces_services/", params={"q": "quidditch"})) == []
    page = client.get("/acces_services/", params={"q": "quidditch"})
    assert "Aucun service ne correspond." in page.text


def test_search_syntax_and_overlong_queries_are_harmless(client: TestClient, platform: int) -> None:
    for query in (
        '"',
        "*",
        "NOT",
        "a OR b",
        "médiathèque AND -",
        "(",
        "'; DROP TABLE x; --",
        "x" * 5000,
        "é" * 300,
    ):
        response = client.get("/acces_services/", params={"q": query})
        assert response.status_code == 200, query[:20]
    assert 'maxlength="200"' in client.get("/acces_services/").text


def test_filters_by_category_public_price_distance_and_accessibility(
    client: TestClient, platform: int
) -> None:
    def found(**params: str) -> list[str]:
        return names(client.get("/acces_services/", params=params))

    assert found(categorie="sport") == ["École municipale des sports", "Piscine municipale"]
    assert (
        found(tarif="gratuit") == sorted(found(tarif="gratuit"), key=lambda n: n.lower())
        and len(found(tarif="gratuit")) == 5
    )
    assert "Médiathèque municipale" in found(tarif="gratuit") and CONSERVATOIRE not in found(tarif="gratuit")
    assert CONSERVATOIRE in found(tarif="tarif_social") and "Médiathèque municipale" not in found(
        tarif="tarif_social"
    )
    assert found(distance="quartier") == [
        "Accueils de loisirs",
        "Espace emploi",
        "Permanence d'accès aux droits de la CAF",
        "Point d'accès au droit",
    ]
    near = found(distance="proche")
    assert set(found(distance="quartier")) < set(near) and "Piscine municipale" not in near
    assert found(public="petite_enfance") == [MEDIATHEQUE]
    assert found(accessibilite="visuel") == [MEDIATHEQUE, "Piscine municipale"]
    assert found(categorie="sport", public="enfants", q="ecole") == ["École municipale des sports"]
    # unknown codes are ignored rather than an error
    assert len(found(categorie="<script>", distance="loin")) == 12


def test_pagination_keeps_the_filters(client: TestClient, db: Session, platform: int) -> None:
    login(client, ANIMATOR)
    organisation = fresh(db).scalar(select(Service.organisation_id).limit(1))
    for index in range(20):
        response = post_form(
            client,
            "/acces_services/services/nouveau",
            {
                "organisation_id": organisation,
                "name": f"Atelier sportif n°{index:02d}",
                "category": "sport",
                "distance_band": "commune",
                "is_published": "y",
            },
        )
        assert response.status_code == 200
    first = client.get("/acces_services/", params={"categorie": "sport"})
    assert "22 services" in first.text and "Page 1 sur 2" in first.text and len(names(first)) == 20
    assert "categorie=sport&amp;page=2" in first.text
    second = client.get("/acces_services/", params={"categorie": "sport", "page": "2"})
    assert names(second) == ["Atelier sportif n°19", "École municipale des sports", "Piscine municipale"][1:]
    assert client.get("/acces_services/", params={"page": "abc"}).status_code == 200
    assert client.get("/acces_services/", params={"page": "999"}).status_code == 200


def test_a_renamed_service_is_found_by_its_new_name_only(
    client: TestClient, db: Session, platform: int
) -> None:
    mediatheque = service_id(db, MEDIATHEQUE)
    login(client, CULTURE_PROVIDER)
    form = client.get(f"/acces_services/services/{mediatheque}/modifier").text
    assert 'value="Médiathèque municipale"' in form
    data = {
        "organisation_id": fresh(db).scalar(select(Service.organisation_id).where(Service.id == mediatheque)),
        "name": "Bibliothèque Rosa-Parks",
        "category": "culture",
        "distance_band": "commune",
        "publics": ["enfants", "adultes"],
        "accessibility": ["moteur"],
        "is_free": "y",
        "is_published": "y",
    }
    response = post_form(client, f"/acces_services/services/{mediatheque}/modifier", data)
    assert response.status_code == 200, text(response)
    assert names(client.get("/acces_services/", params={"q": "bibliotheque rosa"})) == [
        "Bibliothèque Rosa-Parks"
    ]
    assert names(client.get("/acces_services/", params={"q": "mediatheque"})) == []
    entry = fresh(db).scalar(select(AuditEntry).where(AuditEntry.action == "acces_services.service.updated"))
    assert entry is not None and entry.changes["name"] == [MEDIATHEQUE, "Bibliothèque Rosa-Parks"]
    assert entry.changes["tags"][1] == "access:moteur, public:adultes, public:enfants"


def test_an_archived_or_unpublished_service_leaves_the_catalogue(
    client: TestClient, db: Session, platform: int
) -> None:
    mediatheque = service_id(db, MEDIATHEQUE)
    login(client, CULTURE_PROVIDER)
    response = post_form(client, f"/acces_services/services/{mediatheque}/archivage", {"action": "archive"})
    assert response.status_code == 200 and "retiré du catalogue" in text(response)
    assert MEDIATHEQUE not in names(client.get("/acces_services/"))
    assert (
        client.get(f"/acces_services/services/{mediatheque}").status_code == 200
    )  # its editor still sees it
    post_form(client, "/compte/deconnexion")
    client._reseau_csrf = None  # type: ignore[attr-defined]
    assert client.get(f"/acces_services/services/{mediatheque}").status_code == 404
    login(client, CULTURE_PROVIDER)
    post_form(client, f"/acces_services/services/{mediatheque}/archivage", {"action": "restore"})
    assert MEDIATHEQUE in names(client.get("/acces_services/"))


def test_the_guide_groups_services_by_category_for_printing(client: TestClient, platform: int) -> None:
    page = client.get("/acces_services/guide")
    assert page.status_code == 200
    body = text(page)
    headings = re.findall(r'<h2 id="cat-[a-z]+-title">([^<]+)</h2>', body)
    assert headings == [
        "Culture",
        "Arts et pratiques artistiques",
        "Sport",
        "Loisirs et vacances",
        "Accès aux droits",
        "Emploi et insertion",
    ]
    assert "acces_services.css" in body  # the print stylesheet
    filtered = text(client.get("/acces_services/guide", params={"categorie": "sport"}))
    assert re.findall(r'<h2 id="cat-[a-z]+-title">([^<]+)</h2>', filtered) == ["Sport"]
    css = client.get("/static/acces_services/acces_services.css")
    assert css.status_code == 200 and "@media print" in css.text


def test_the_service_page_shows_its_details(client: TestClient, db: Session, platform: int) -> None:
    page = text(client.get(f"/acces_services/services/{service_id(db, CONSERVATOIRE)}"))
    assert "Proposé par Pôle Culture" in page
    assert "Huit tranches selon le quotient familial" in page
    assert "Enfants (6-11 ans), Adolescents (12-17 ans), Adultes – à partir de 5 ans" in page
    assert "Handicap moteur" in page
    assert client.get("/acces_services/services/999999").status_code == 404


def test_a_service_page_lists_the_proposals_about_it_public_ones_for_everybody(
    client: TestClient, db: Session, platform: int
) -> None:
    conservatoire = text(client.get(f"/acces_services/services/{service_id(db, CONSERVATOIRE)}"))
    assert "Propositions de la plateforme sur ce service" in conservatoire
    assert "Rapprocher le conservatoire du quartier" in conservatoire
    piscine = f"/acces_services/services/{service_id(db, 'Piscine municipale')}"
    assert "Étude des freins à la pratique sportive" not in text(client.get(piscine))  # not public
    login(client, ANIMATOR)
    page = text(client.get(piscine))
    assert "Étude des freins à la pratique sportive des adolescents" in page and "non publique" in page
