"""The plugin's hooks (navigation, space, dashboard and partner panels), its settings'
distances, its idempotent demo data and its migration branch."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.testclient import TestClient

from core import migrate
from core.accounts.services import get_user_by_email
from core.config import Settings
from core.db import transaction
from core.demo import load as load_demo
from core.demo import organisation_by_name
from core.spaces import services as spaces
from core.spaces.models import SpaceMembership
from core.web.context import RequestContext
from plugins.acces_services.demo import SLUG
from plugins.acces_services.models import Figure, PlatformSettings, Proposal, Service, ServiceTag
from tests.helpers import FrozenClock, login, post_form
from tests.plugins.acces_services.conftest import ANIMATOR, CULTURE_PROVIDER, fresh, text


def request_context(app: Starlette, db: Session, email: str | None) -> RequestContext:
    """A request context for calling contribution hooks directly (as a core page would)."""
    scope: dict[str, Any] = {
        "type": "http",
        "app": app,
        "method": "GET",
        "path": "/",
        "headers": [],
        "query_string": b"",
        "session": {},
    }
    user = get_user_by_email(db, email) if email else None
    return RequestContext(
        request=Request(scope), state=app.state.reseau, db=db, user=user, form=None, language="fr"
    )


def test_the_catalogue_is_in_the_main_navigation(client: TestClient) -> None:
    home = client.get("/")
    assert '<a href="/acces_services/">Accès aux services</a>' in home.text
    page = client.get("/acces_services/")
    assert '<a href="/acces_services/" aria-current="page">Accès aux services</a>' in page.text


def test_the_platform_space_gets_a_panel_with_the_largest_gaps(demo: Starlette, db: Session) -> None:
    hooks = demo.state.reseau.hooks
    space = spaces.get_by_slug(db, SLUG)
    other = spaces.get_by_slug(db, "equipe-projet")
    assert space is not None and other is not None
    member_panels = hooks.space_panels(request_context(demo, db, ANIMATOR), space)
    assert [p.key for p in member_panels if p.key.startswith("acces_services")] == ["acces_services.platform"]
    html = str(member_panels[0].html)
    assert (
        "12 services au catalogue." in html and "Conservatoire municipal" in html and "−14,0 points" in html
    )
    public_panels = hooks.space_panels(request_context(demo, db, None), space)
    assert "Conservatoire" not in str(public_panels[0].html) and "/acces_services/indicateurs" not in str(
        public_panels[0].html
    )
    assert not [
        p
        for p in hooks.space_panels(request_context(demo, db, ANIMATOR), other)
        if p.key.startswith("acces_services")
    ]


def test_an_organisation_page_lists_its_services(demo: Starlette, db: Session) -> None:
    hooks = demo.state.reseau.hooks
    culture = organisation_by_name(db, "Pôle Culture")
    adoma = organisation_by_name(db, "Adoma")
    ctx = request_context(demo, db, None)
    panels = [p for p in hooks.partner_panels(ctx, culture, None) if p.key == "acces_services.services"]
    assert len(panels) == 1 and "Médiathèque municipale" in str(panels[0].html)
    assert not [p for p in hooks.partner_panels(ctx, adoma, None) if p.key.startswith("acces_services")]
    assert not [p for p in hooks.partner_panels(ctx, None, None) if p.key.startswith("acces_services")]


def test_providers_see_the_figures_due_on_their_home_page(
    client: TestClient, db: Session, platform: int, clock: FrozenClock
) -> None:
    login(client, CULTURE_PROVIDER)
    assert "Fréquentation à saisir" not in client.get("/").text  # the demo entered every 2025-T4 figure
    culture = organisation_by_name(db, "Pôle Culture")
    assert culture is not None
    response = post_form(
        client,
        "/acces_services/services/nouveau",
        {
            "organisation_id": culture.id,
            "name": "Chorale des parents",
            "category": "arts",
            "distance_band": "quartier",
            "is_published": "y",
        },
    )
    assert response.status_code == 200
    # a service created after the quarter ended owes nothing for it…
    assert "Fréquentation à saisir" not in client.get("/").text
    # …but does once the next quarter is over
    clock.set(clock().replace(month=4, day=2))
    home = text(client.get("/"))
    assert "Fréquentation à saisir" in home and "Chorale des parents" in home
    assert "attendent leurs chiffres de 2026-T1" in home
    dashboard = text(client.get("/acces_services/plateforme"))
    assert "Chiffres manquants pour 2026-T1" in dashboard
    assert "Chorale des parents – Pôle Culture" in dashboard and "Thomas Petit" in dashboard


def test_distances_are_computed_from_coordinates_when_the_centre_is_known(
    client: TestClient, db: Session, platform: int
) -> None:
    culture = organisation_by_name(db, "Pôle Culture")
    assert culture is not None
    login(client, CULTURE_PROVIDER)
    near = {
        "organisation_id": culture.id,
        "name": "Lecture au pied des immeubles",
        "category": "culture",
        "latitude": "48,8305",
        "longitude": "2,5405",
        "is_published": "y",
    }
    refused = post_form(client, "/acces_services/services/nouveau", near)
    assert refused.status_code == 400 and "Choisissez la distance" in text(refused)  # no centre yet
    login(client, ANIMATOR)
    saved = post_form(
        client,
        "/acces_services/parametres",
        {
            "neighbourhood_name": "Les Hautes-Noues",
            "neighbourhood_share": "23",
            "period_kind": "quarter",
            "centre_latitude": "48,83",
            "centre_longitude": "2,54",
            "near_km": "0,5",
            "walk_km": "1,2",
            "city_km": "4",
        },
    )
    assert saved.status_code == 200, text(saved)
    assert post_form(client, "/acces_services/services/nouveau", near).status_code == 200
    far = {**near, "name": "Cinéma d'art et d'essai", "latitude": "48,86", "distance_band": "quartier"}
    assert post_form(client, "/acces_services/services/nouveau", far).status_code == 200
    fresh(db)
    lecture = db.scalar(select(Service).where(Service.name == near["name"]))
    cinema = db.scalar(select(Service).where(Service.name == far["name"]))
    assert lecture is not None and lecture.distance_band == "quartier" and 60 < (lecture.distance_m or 0) < 75
    assert cinema is not None and cinema.distance_band == "commune" and 3300 < (cinema.distance_m or 0) < 3400
    # moving the limits recomputes the located services
    post_form(
        client,
        "/acces_services/parametres",
        {
            "neighbourhood_name": "Les Hautes-Noues",
            "neighbourhood_share": "23",
            "period_kind": "quarter",
            "centre_latitude": "48,83",
            "centre_longitude": "2,54",
            "near_km": "0,05",
            "walk_km": "1",
            "city_km": "3",
        },
    )
    fresh(db)
    assert db.get(Service, lecture.id).distance_band == "proche"  # type: ignore[union-attr]
    assert db.get(Service, cinema.id).distance_band == "eloigne"  # type: ignore[union-attr]
    assert db.get(PlatformSettings, platform).centre_latitude == 48.83  # type: ignore[union-attr]
    refused = post_form(
        client,
        "/acces_services/parametres",
        {
            "neighbourhood_name": "Les Hautes-Noues",
            "neighbourhood_share": "23",
            "period_kind": "quarter",
            "centre_latitude": "48,83",
            "centre_longitude": "",
            "near_km": "2",
            "walk_km": "1",
            "city_km": "3",
        },
    )
    assert refused.status_code == 400


def test_demo_data_is_idempotent(demo: Starlette, db: Session) -> None:
    tables = (Service, ServiceTag, Figure, Proposal, SpaceMembership)

    def counts() -> list[int]:
        fresh(db)
        return [int(db.scalar(select(func.count()).select_from(t)) or 0) for t in tables]

    first = counts()
    assert first[0] == 12 and first[2] == 33 and first[3] == 2
    with transaction(demo.state.reseau.session_factory) as session:
        load_demo(session, demo.state.reseau.hooks)
    assert counts() == first


def test_the_migrations_match_the_models_and_go_down_and_up(settings: Settings, engine: Engine) -> None:
    cfg = migrate.alembic_config(settings, engine=engine)
    command.check(cfg)
    assert "acces_services_0002" in migrate.current_heads(engine)
    command.downgrade(cfg, "acces_services@base")
    try:
        assert not {"acces_services_0001", "acces_services_0002"} & set(migrate.current_heads(engine))
    finally:
        command.upgrade(cfg, "heads")
    command.check(cfg)


def test_personal_data_columns_are_marked_for_export_and_erasure() -> None:
    """The only data about a person the plugin stores is a service's contact (name, address,
    phone); figures are aggregates and proposals are the platform's texts."""
    from core.db import Base

    personal = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        if table.name.startswith("acces_services_")
        for column in table.columns
        if column.info.get("personal")
    }
    assert personal == {
        "acces_services_services.contact_name",
        "acces_services_services.contact_email",
        "acces_services_services.contact_phone",
    }
