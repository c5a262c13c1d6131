"""Who may do what: providers only for their organisation, anonymous visitors the public
catalogue only, members read the indicators, animators and admins manage everything."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.spaces.models import MEMBER
from plugins.acces_services.models import Figure, Proposal, Service
from plugins.acces_services.vocab import PROVIDER
from tests.helpers import login, post_form
from tests.plugins.acces_services.conftest import (
    ADMIN,
    ANIMATOR,
    CULTURE_PROVIDER,
    ESCALE_PROVIDER,
    MakeUser,
    figure_count,
    fresh,
    service_id,
    text,
)

ESPACE_EMPLOI = "Espace emploi"
MEDIATHEQUE = "Médiathèque municipale"


def _figure_id(db: Session, name: str) -> int:
    found = db.scalar(select(Figure.id).join(Service).where(Service.name == name).limit(1))
    assert found is not None
    return found


def test_anonymous_visitors_see_the_public_catalogue_only(
    client: TestClient, db: Session, platform: int
) -> None:
    for url in (
        "/acces_services/",
        "/acces_services/guide",
        f"/acces_services/services/{service_id(db, MEDIATHEQUE)}",
        "/acces_services/propositions",
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(f"/acces_services/services/{service_id(db, MEDIATHEQUE)}")
    assert "Fréquentation" not in page.text and "Modifier le service" not in page.text
    for url in (
        "/acces_services/frequentation",
        "/acces_services/frequentation/saisie",
        "/acces_services/frequentation/import",
        "/acces_services/frequentation/modele.csv",
        "/acces_services/indicateurs",
        "/acces_services/indicateurs.csv",
        "/acces_services/plateforme",
        "/acces_services/services/nouveau",
        "/acces_services/parametres",
        "/acces_services/propositions/nouvelle",
        f"/acces_services/services/{service_id(db, MEDIATHEQUE)}/modifier",
    ):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and "/compte/connexion" in response.headers["location"], url
    # the demo's non-public study is neither listed nor reachable
    study = db.scalar(select(Proposal).where(Proposal.is_public.is_(False)))
    assert study is not None
    assert study.title not in text(client.get("/acces_services/propositions"))
    assert client.get(f"/acces_services/propositions/{study.id}").status_code == 404


def test_a_provider_cannot_edit_another_providers_service_or_figures(
    client: TestClient, db: Session, platform: int
) -> None:
    escale_service = service_id(db, ESPACE_EMPLOI)
    own_service = service_id(db, MEDIATHEQUE)
    escale_figure = _figure_id(db, ESPACE_EMPLOI)
    before = figure_count(db)
    login(client, CULTURE_PROVIDER)
    assert client.get(f"/acces_services/services/{own_service}/modifier").status_code == 200
    assert client.get(f"/acces_services/services/{escale_service}/modifier").status_code == 403
    response = post_form(
        client,
        f"/acces_services/services/{escale_service}/modifier",
        {"name": "Piraté", "category": "emploi", "organisation_id": "1", "distance_band": "quartier"},
    )
    assert response.status_code == 403
    assert (
        post_form(
            client, f"/acces_services/services/{escale_service}/archivage", {"action": "archive"}
        ).status_code
        == 403
    )
    assert client.get(f"/acces_services/frequentation/{escale_figure}/correction").status_code == 403
    response = post_form(
        client,
        f"/acces_services/frequentation/{escale_figure}/correction",
        {"users_total": "1", "users_neighbourhood": "0"},
    )
    assert response.status_code == 403
    response = post_form(
        client,
        "/acces_services/frequentation/saisie",
        {"service_id": escale_service, "period": "2025-T1", "users_total": "10", "users_neighbourhood": "1"},
    )
    assert response.status_code == 403
    # nor file a new service under another organisation
    escale = db.scalar(select(Service.organisation_id).where(Service.id == escale_service))
    response = post_form(
        client,
        "/acces_services/services/nouveau",
        {
            "organisation_id": escale,
            "name": "Faux service",
            "category": "emploi",
            "distance_band": "quartier",
        },
    )
    assert response.status_code == 400
    fresh(db)
    assert db.get(Service, escale_service).name == ESPACE_EMPLOI  # type: ignore[union-attr]
    assert db.scalar(select(Service).where(Service.name == "Faux service")) is None
    assert figure_count(db) == before
    # the figures page lists only the provider's own services
    page = text(client.get("/acces_services/frequentation"))
    assert MEDIATHEQUE in page and ESPACE_EMPLOI not in page
    # providers are members: they read the indicators, but not the settings
    assert client.get("/acces_services/indicateurs").status_code == 200
    assert client.get("/acces_services/parametres").status_code == 403
    assert client.get("/acces_services/propositions/nouvelle").status_code == 403


def test_the_escale_provider_edits_its_own_figures(client: TestClient, db: Session, platform: int) -> None:
    figure = _figure_id(db, ESPACE_EMPLOI)
    login(client, ESCALE_PROVIDER)
    response = post_form(
        client,
        f"/acces_services/frequentation/{figure}/correction",
        {"users_total": "600", "users_neighbourhood": "300"},
    )
    assert response.status_code == 200, text(response)
    assert fresh(db).get(Figure, figure).users_total == 600  # type: ignore[union-attr]
    assert (
        client.get(f"/acces_services/frequentation/{_figure_id(db, MEDIATHEQUE)}/correction").status_code
        == 403
    )


def test_a_plain_member_reads_but_does_not_enter(
    client: TestClient, db: Session, platform: int, make_user: MakeUser
) -> None:
    make_user("membre@example.org", "Conseil Citoyen des Hautes-Noues")  # the organisation is a member
    login(client, "membre@example.org")
    assert client.get("/acces_services/indicateurs").status_code == 200
    assert client.get("/acces_services/plateforme").status_code == 200
    study = fresh(db).scalar(select(Proposal).where(Proposal.is_public.is_(False)))
    assert study is not None and client.get(f"/acces_services/propositions/{study.id}").status_code == 200
    assert client.get("/acces_services/frequentation").status_code == 403
    assert client.get("/acces_services/services/nouveau").status_code == 403


def test_a_signed_in_outsider_sees_the_public_side_only(
    client: TestClient, db: Session, platform: int, make_user: MakeUser
) -> None:
    make_user("dehors@example.org", "Adoma")  # not a member of the platform
    login(client, "dehors@example.org")
    assert client.get("/acces_services/").status_code == 200
    for url in ("/acces_services/indicateurs", "/acces_services/plateforme", "/acces_services/frequentation"):
        assert client.get(url).status_code == 403, url


def test_animators_and_admins_manage_everything(client: TestClient, db: Session, platform: int) -> None:
    escale_service = service_id(db, ESPACE_EMPLOI)
    escale_figure = _figure_id(db, ESPACE_EMPLOI)
    for email in (ANIMATOR, ADMIN):
        login(client, email)
        for url in (
            f"/acces_services/services/{escale_service}/modifier",
            f"/acces_services/frequentation/{escale_figure}/correction",
            "/acces_services/parametres",
            "/acces_services/propositions/nouvelle",
            "/acces_services/services/nouveau",
        ):
            assert client.get(url).status_code == 200, (email, url)
        form = client.get("/acces_services/services/nouveau").text
        assert "Pôle E.S.C.A.L.E." in form and "Pôle Culture" in form
    response = post_form(
        client,
        f"/acces_services/frequentation/{escale_figure}/correction",
        {"users_total": "515", "users_neighbourhood": "300"},
    )
    assert response.status_code == 200


def test_roles_and_permissions_are_declared(app: object) -> None:
    registry = app.state.reseau.registry  # type: ignore[attr-defined]
    assert PROVIDER in registry.space_roles
    assert registry.permissions["acces_services.manage"].roles == ("core.animator",)
    assert PROVIDER in registry.permissions["acces_services.enter_figures"].roles
    assert PROVIDER in registry.permissions["acces_services.edit_services"].roles
    assert MEMBER in registry.permissions["acces_services.view_indicators"].roles
    assert "acces_services.plateforme" in registry.space_kinds
