"""Action items: recorded by animators, on their owner's dashboard, marked done; open items
for the next meeting's agenda."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.calendar.actions import open_action_items
from core.calendar.models import DONE, OPEN, ActionItem
from tests.core.resources.followup_world import World, build_world, sign_in
from tests.helpers import FrozenClock, post_form


@pytest.fixture
def world(db: Session, app: object) -> World:
    return build_world(db)


def add_item(client: TestClient, world: World, title: str, owner: str | None, due: str = "") -> None:
    data = {"title": title, "owner_contact_id": world.contacts[owner].id if owner else "None", "due_on": due}
    response = post_form(client, f"/agenda/reunions/{world.meeting.id}/actions", data, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]


def test_action_items_reach_their_owner_who_marks_them_done(
    client: TestClient, world: World, db: Session, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 4, 2, 9, 0, tzinfo=UTC))
    sign_in(client, world, "anim_a")
    add_item(client, world, "Envoyer le diagnostic « mobilité »", "prefet", "2026-04-01")
    add_item(client, world, "Réserver la salle", "anim_a", "2026-05-15")
    add_item(client, world, "Trouver un intervenant", None)
    page = client.get(f"/agenda/reunions/{world.meeting.id}/actions")
    assert "Envoyer le diagnostic « mobilité »" in page.text and "en retard" in page.text

    sign_in(client, world, "prefet")
    home = client.get("/")
    assert "Mes actions à mener" in home.text
    assert "Envoyer le diagnostic « mobilité »" in home.text and "Réserver la salle" not in home.text
    assert "en retard" in home.text
    db.rollback()
    item = db.scalar(select(ActionItem).where(ActionItem.title.startswith("Envoyer")))
    assert item is not None
    response = post_form(
        client, f"/agenda/actions/{item.id}", {"status": "done", "next": "/"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    db.rollback()
    assert db.get(ActionItem, item.id).status == DONE  # type: ignore[union-attr]
    assert db.get(ActionItem, item.id).done_at == clock()  # type: ignore[union-attr]
    assert "Mes actions à mener" not in client.get("/").text

    # the owner may not touch someone else's item; the animator sees every open one of the space
    other = db.scalar(select(ActionItem).where(ActionItem.title == "Réserver la salle"))
    assert other is not None
    # (404: the minutes are unpublished, so the item is not even readable for an invitee)
    assert post_form(client, f"/agenda/actions/{other.id}", {"status": "done"}).status_code == 404
    sign_in(client, world, "member_a")  # a member reads the item but may not change it
    assert post_form(client, f"/agenda/actions/{other.id}", {"status": "done"}).status_code == 403
    sign_in(client, world, "anim_a")
    mine = client.get("/agenda/mes-actions")
    assert "Réserver la salle" in mine.text and "Trouver un intervenant" in mine.text
    assert "Actions ouvertes des espaces que j" in mine.text
    assert [i.title for i in open_action_items(db, world.space_a.id)] == [
        "Réserver la salle",
        "Trouver un intervenant",
    ]
    assert open_action_items(db, world.space_b.id) == []


def test_bad_action_input_keeps_the_values_and_changes_nothing(
    client: TestClient, world: World, db: Session
) -> None:
    sign_in(client, world, "anim_a")
    url = f"/agenda/reunions/{world.meeting.id}/actions"
    response = post_form(client, url, {"title": "", "owner_contact_id": "None", "due_on": "pas une date"})
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.text
    # an owner outside the meeting and the space is refused (no arbitrary contact)
    response = post_form(
        client, url, {"title": "Action gardée", "owner_contact_id": world.contacts["outsider"].id}
    )
    assert response.status_code == 400
    assert 'value="Action gardée"' in response.text
    response = post_form(client, url, {"title": "x", "owner_contact_id": "None", "status": "open"})
    db.rollback()
    titles = db.scalars(select(ActionItem.title)).all()
    assert titles == ["x"]
    item = db.scalar(select(ActionItem))
    assert item is not None
    assert post_form(client, f"/agenda/actions/{item.id}", {"status": "perdu"}).status_code == 400
    db.rollback()
    assert db.get(ActionItem, item.id).status == OPEN  # type: ignore[union-attr]


def test_open_action_items_are_ordered_by_due_date(world: World, db: Session) -> None:
    for title, due in (("Sans date", None), ("Tard", date(2026, 6, 1)), ("Tôt", date(2026, 4, 1))):
        db.add(ActionItem(meeting_id=world.meeting.id, space_id=world.space_a.id, title=title, due_on=due))
    db.add(ActionItem(meeting_id=world.meeting.id, space_id=world.space_a.id, title="Faite", status=DONE))
    db.commit()
    assert [i.title for i in open_action_items(db, world.space_a.id)] == ["Tôt", "Tard", "Sans date"]
