"""``RESEAU_PLUGINS=`` (empty): the app starts and the whole core works without any plugin."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.app import create_app
from core.config import Settings, load_settings
from core.db import transaction
from core.demo import contact_by_email
from core.spaces.models import Space
from tests.core.plugins.test_contract import row_counts
from tests.helpers import login, post_form


@pytest.fixture
def bare_client(settings: Settings, tmp_path: Path, clock: object) -> TestClient:
    env = {
        "RESEAU_DATABASE_URL": settings.database_url,
        "RESEAU_DATA_DIR": str(tmp_path / "bare"),
        "RESEAU_SECRET_KEY": "test-secret-key-not-for-production",
        "RESEAU_BASE_URL": "http://testserver",
        "RESEAU_PLUGINS": "",
        "RESEAU_SCHEDULER": "0",
    }
    bare = load_settings(env)
    assert bare.plugins == ()
    app = create_app(bare.with_(load_entrypoints=False), clock=clock)  # type: ignore[arg-type]
    assert app.state.reseau.hooks.plugin_names() == []
    from core import demo

    with transaction(app.state.reseau.session_factory) as session:
        demo.load(session, app.state.reseau.hooks)
    with TestClient(app) as client:
        yield client  # type: ignore[misc]
    app.state.reseau.engine.dispose()


def test_the_core_works_without_any_plugin(bare_client: TestClient, db: Session) -> None:
    client = bare_client
    registry = client.app.state.reseau.registry  # type: ignore[attr-defined]
    assert list(registry.space_kinds) == ["core.espace"]
    assert list(registry.space_roles) == ["core.animator", "core.member"]
    for path in (
        "/",
        "/annuaire/",
        "/espaces/",
        "/espaces/equipe-projet",
        "/compte/connexion",
        "/donnees-personnelles",
        "/accessibilite",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/groupes_techniques/").status_code == 404
    nav = client.get("/").text.split('<nav class="main-nav"')[1].split("</nav>")[0]
    assert re.findall(r"<a [^>]*>([^<]+)</a>", nav) == ["Accueil", "Annuaire", "Agenda", "Espaces"]

    login(client, "camille.martin@example.org")
    assert client.get("/admin/").status_code == 200
    form = client.get("/espaces/nouveau").text
    assert 'value="core.espace"' in form and "club_economie" not in form
    created = post_form(
        client,
        "/espaces/nouveau",
        {"name": "Atelier sans module", "kind": "core.espace", "duration": "permanent", "pillar": ""},
    )
    assert created.status_code == 200
    lea = contact_by_email(db, "lea.nguyen@example.org")
    assert lea is not None
    added = post_form(
        client,
        "/espaces/atelier-sans-module/membres/ajouter",
        {"holder": f"contact:{lea.id}", "role": "core.animator"},
    )
    assert "Léa Nguyen a été ajouté·e : Animateur·rice." in unescape(added.text)
    assert post_form(client, "/espaces/atelier-sans-module/fermer").status_code == 200
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Space).where(Space.closed_at.is_not(None))) == 1


def test_core_demo_data_is_idempotent_without_plugins(bare_client: TestClient) -> None:
    from core import demo

    state = bare_client.app.state.reseau  # type: ignore[attr-defined]
    first = row_counts(state.engine)
    with transaction(state.session_factory) as session:
        demo.load(session, state.hooks)
    assert row_counts(state.engine) == first
