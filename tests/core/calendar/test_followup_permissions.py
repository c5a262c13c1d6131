"""Every follow-up route checks permissions on the server, and objects of other spaces stay out of reach."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.calendar.models import ActionItem, Attendance, Decision, Minutes
from tests.core.resources.followup_world import World, build_world, sign_in
from tests.helpers import FrozenClock, post_form

MANAGE_GET = (
    "presences",
    "feuille-emargement",
    "feuille-emargement.pdf",
    "presences.csv",
    "compte-rendu/modifier",
    "decisions",
    "actions",
)
MANAGE_POST = (
    ("presences", {"action": "save", "present": []}),
    ("compte-rendu/modifier", {"body": "Texte"}),
    ("compte-rendu/publier", {}),
    ("decisions", {"action": "add", "text": "Décision"}),
    ("actions", {"title": "Action", "owner_contact_id": "None"}),
)
# who → expected status on a members-only meeting of space A (303: sent to the login page)
EXPECTED = {"anonymous": 303, "member_a": 403, "prefet": 403, "anim_b": 404, "outsider": 404}


@pytest.fixture
def world(db: Session, app: object, clock: FrozenClock) -> World:
    clock.set(datetime(2026, 3, 13, 9, 0, tzinfo=UTC))
    return build_world(db)


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_only_animators_and_admins_manage_the_followup(
    client: TestClient, world: World, db: Session, who: str
) -> None:
    sign_in(client, world, who)
    base = f"/agenda/reunions/{world.meeting.id}/"
    for path in MANAGE_GET:
        response = client.get(base + path, follow_redirects=False)
        assert response.status_code == EXPECTED[who], (path, response.status_code)
        if who == "anonymous":
            assert response.headers["location"].startswith("/compte/connexion?next=")
    for path, data in MANAGE_POST:
        response = post_form(client, base + path, data, follow_redirects=False)
        assert response.status_code == EXPECTED[who], (path, response.status_code)
    db.rollback()
    for model in (Attendance, Minutes, Decision, ActionItem):
        assert db.scalars(select(model)).all() == [], model


@pytest.mark.parametrize("who", ["anim_a", "admin"])
def test_animators_and_admins_reach_every_page(
    client: TestClient, world: World, db: Session, who: str
) -> None:
    sign_in(client, world, who)
    base = f"/agenda/reunions/{world.meeting.id}/"
    for path in (*MANAGE_GET, "compte-rendu"):
        assert client.get(base + path).status_code == 200, path
    for path, data in MANAGE_POST:
        response = post_form(client, base + path, data, follow_redirects=False)
        assert response.status_code == 303, (path, response.status_code)
    assert client.get("/agenda/mes-actions").status_code == 200


def test_an_animator_cannot_reach_another_space_s_meeting_or_objects(
    client: TestClient, world: World, db: Session
) -> None:
    foreign = ActionItem(
        meeting_id=world.meeting_b.id,
        space_id=world.space_b.id,
        title="Action du club",
        owner_contact_id=world.contacts["anim_b"].id,
    )
    db.add(foreign)
    db.commit()
    sign_in(client, world, "anim_a")
    base = f"/agenda/reunions/{world.meeting_b.id}/"
    for path in (*MANAGE_GET, "compte-rendu"):
        assert client.get(base + path).status_code == 404, path
    assert post_form(client, f"/agenda/actions/{foreign.id}", {"status": "done"}).status_code == 404
    assert "Action du club" not in client.get("/agenda/mes-actions").text
    db.rollback()
    assert db.get(ActionItem, foreign.id).status == "open"  # type: ignore[union-attr]
    assert client.get("/agenda/reunions/999999/presences").status_code == 404


def test_state_changes_need_post_and_a_csrf_token(client: TestClient, world: World) -> None:
    sign_in(client, world, "anim_a")
    base = f"/agenda/reunions/{world.meeting.id}/"
    assert client.get(base + "compte-rendu/publier").status_code == 405
    response = client.post(base + "decisions", data={"action": "add", "text": "Sans jeton"})
    assert response.status_code == 403


def test_my_actions_needs_a_signed_in_user(client: TestClient, world: World) -> None:
    response = client.get("/agenda/mes-actions", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/compte/connexion")
