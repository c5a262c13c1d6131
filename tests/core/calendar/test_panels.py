"""The calendar's panels (space page, dashboard) and its navigation entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.testclient import TestClient

from core.accounts.models import User
from core.calendar.invitations import invite_contacts
from core.spaces.models import Space
from core.web.context import RequestContext
from tests.core.calendar.conftest import World
from tests.helpers import login

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def context(app: Starlette, db: Session, user: User | None) -> RequestContext:
    """A request context as a space page would hand to ``reseau_space_panels``."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [],
        "app": app,
        "session": {},
        "query_string": b"",
    }
    return RequestContext(
        request=Request(scope), state=app.state.reseau, db=db, user=user, form=None, language="fr"
    )


def test_space_panel_lists_next_meetings_and_offers_planning_to_animators(
    app: Starlette, world: World, db: Session
) -> None:
    world.meeting(title="Réunion passée", start=NOW - timedelta(days=3))
    world.meeting(title="Prochaine réunion", start=NOW + timedelta(days=2))
    world.meeting(
        title="Réunion de B", space_id=world.space_b, start=NOW + timedelta(days=2), visibility="public"
    )
    space = db.get(Space, world.space_a)
    anne = db.query(User).filter_by(email="anne@example.org").one()
    panels = app.state.reseau.hooks.space_panels(context(app, db, anne), space)
    panel = next(p for p in panels if p.key == "core.calendar.space")
    assert panel.title == "Prochaines réunions"
    assert (
        "Prochaine réunion" in panel.html
        and "Réunion passée" not in panel.html
        and "Réunion de B" not in panel.html
    )
    assert f"/agenda/reunions/nouvelle?space={world.space_a}" in panel.html
    assert "Planifier une réunion" in panel.html
    # a visitor sees no members-only meeting and no planning link
    anonymous = app.state.reseau.hooks.space_panels(context(app, db, None), space)
    html = next(p for p in anonymous if p.key == "core.calendar.space").html
    assert "Prochaine réunion" not in html and "Planifier" not in html and "Aucune réunion prévue." in html


def test_dashboard_panel_shows_my_next_meetings_and_pending_answers(
    client: TestClient, world: World, db: Session
) -> None:
    mine = world.meeting(title="Réunion de mon espace", start=NOW + timedelta(days=1))
    invited = world.meeting(title="Invitation dans B", space_id=world.space_b, start=NOW + timedelta(days=4))
    world.meeting(
        title="Pas pour moi", space_id=world.space_b, start=NOW + timedelta(days=5), visibility="public"
    )
    invite_contacts(db, None, invited, [world.marc], now=NOW)
    db.commit()
    login(client, "marc@example.org")
    home = client.get("/").text
    assert "Mes prochaines réunions" in home
    assert "Réunion de mon espace" in home and "Invitation dans B" in home and "Pas pour moi" not in home
    assert "1 invitation attend votre réponse." in home
    assert "Votre réponse : Sans réponse" in home
    assert mine.id


def test_nav_has_the_agenda(client: TestClient) -> None:
    html = client.get("/agenda/").text
    assert '<a href="/agenda/" aria-current="page">Agenda</a>' in html
