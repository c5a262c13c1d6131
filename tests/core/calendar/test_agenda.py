"""The agenda: ordered items, reordering with buttons, and open action items followed up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.calendar import agenda, services
from core.calendar.models import ActionItem, AgendaItem, Meeting
from core.calendar.services import MeetingInput
from tests.core.calendar.conftest import World, fresh
from tests.helpers import login, post_form

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def titles(db: Session, meeting_id: int) -> list[str]:
    return list(
        fresh(db).scalars(
            select(AgendaItem.title).where(AgendaItem.meeting_id == meeting_id).order_by(AgendaItem.position)
        )
    )


def item_id(db: Session, meeting_id: int, title: str) -> int:
    found = fresh(db).scalar(
        select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id, AgendaItem.title == title)
    )
    assert found is not None
    return found


def test_add_edit_reorder_remove_through_the_page(client: TestClient, world: World, db: Session) -> None:
    meeting = world.meeting()
    url = f"/agenda/reunions/{meeting.id}/ordre-du-jour"
    login(client, "anne@example.org")
    for title in ("Accueil", "Bilan 2025", "Questions diverses"):
        response = post_form(
            client, url, {"action": "add", "title": title, "duration_minutes": "20", "presenter": "0"}
        )
        assert response.status_code == 200 and "L'ordre du jour est enregistré." in response.text.replace(
            "&#39;", "'"
        )
    assert titles(db, meeting.id) == ["Accueil", "Bilan 2025", "Questions diverses"]
    bilan = item_id(db, meeting.id, "Bilan 2025")
    post_form(client, url, {"action": "up", "item_id": str(bilan)})
    assert titles(db, meeting.id) == ["Bilan 2025", "Accueil", "Questions diverses"]
    post_form(client, url, {"action": "up", "item_id": str(bilan)})  # already first: nothing moves
    post_form(client, url, {"action": "down", "item_id": str(item_id(db, meeting.id, "Questions diverses"))})
    assert titles(db, meeting.id) == ["Bilan 2025", "Accueil", "Questions diverses"]
    post_form(client, url, {"action": "down", "item_id": str(bilan)})
    assert titles(db, meeting.id) == ["Accueil", "Bilan 2025", "Questions diverses"]
    edit = client.get(url, params={"item": bilan})
    assert 'value="Bilan 2025"' in edit.text
    post_form(
        client,
        url,
        {
            "action": "update",
            "item_id": str(bilan),
            "title": "Bilan de l'année",
            "duration_minutes": "45",
            "presenter": str(world.marc),
        },
    )
    item = fresh(db).get(AgendaItem, bilan)
    assert item is not None and item.title == "Bilan de l'année" and item.duration_minutes == 45
    assert item.presenter_contact_id == world.marc
    post_form(client, url, {"action": "delete", "item_id": str(item_id(db, meeting.id, "Accueil"))})
    assert titles(db, meeting.id) == ["Bilan de l'année", "Questions diverses"]
    positions = (
        fresh(db)
        .scalars(
            select(AgendaItem.position)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position)
        )
        .all()
    )
    assert positions == [0, 1]
    page = client.get(f"/agenda/reunions/{meeting.id}").text
    assert "Présenté par Marc Membre" in page and "45 minutes" in page


def test_bad_agenda_input_is_refused(client: TestClient, world: World, db: Session) -> None:
    meeting = world.meeting()
    url = f"/agenda/reunions/{meeting.id}/ordre-du-jour"
    login(client, "anne@example.org")
    for data in (
        {"title": ""},
        {"title": "x", "duration_minutes": "-5"},
        {"title": "x", "duration_minutes": "abc"},
        {"title": "x", "presenter": str(world.olga)},
    ):
        response = post_form(client, url, {"action": "add", "presenter": "0", **data})
        assert response.status_code == 400, data
    assert titles(db, meeting.id) == []
    # an item of another meeting cannot be touched from this one
    other = world.meeting(space_id=world.space_a, start=datetime(2026, 4, 1, 8, 0, tzinfo=UTC))
    agenda.add_item(db, None, other, "Autre")
    db.commit()
    foreign = item_id(db, other.id, "Autre")
    assert post_form(client, url, {"action": "delete", "item_id": str(foreign)}).status_code == 404
    assert titles(db, other.id) == ["Autre"]


def _action(db: Session, meeting: Meeting, title: str, **values: object) -> ActionItem:
    action = ActionItem(meeting_id=meeting.id, space_id=meeting.space_id, title=title, **values)
    db.add(action)
    db.commit()
    return action


def test_open_action_items_follow_up_on_the_next_meeting(world: World, db: Session) -> None:
    past = world.meeting(start=NOW - timedelta(days=20))
    _action(db, past, "Envoyer le bilan", due_on=date(2026, 3, 5))
    _action(db, past, "Déjà fait", status="done")
    other_space = world.meeting(space_id=world.space_b, start=NOW - timedelta(days=20))
    _action(db, other_space, "Action de B")
    # the next meeting of the space gets the open action items of earlier meetings at creation
    start = NOW + timedelta(days=10)
    nxt = services.create_meeting(
        db,
        None,
        MeetingInput(
            space_id=world.space_a, title="Suivante", starts_at=start, ends_at=start + timedelta(hours=1)
        ),
        now=NOW,
    )
    db.commit()
    rows = db.execute(
        select(AgendaItem.title, AgendaItem.action_item_id).where(AgendaItem.meeting_id == nxt.id)
    ).all()
    assert [r.title for r in rows] == ["Envoyer le bilan"] and rows[0].action_item_id is not None
    # a later meeting is not "the next one": nothing added, nothing shown
    later_start = NOW + timedelta(days=40)
    later = services.create_meeting(
        db,
        None,
        MeetingInput(
            space_id=world.space_a,
            title="Plus tard",
            starts_at=later_start,
            ends_at=later_start + timedelta(hours=1),
        ),
        now=NOW,
    )
    db.commit()
    assert titles(db, later.id) == []
    assert agenda.agenda_view(db, later, now=NOW).pending_followups == []
    # an action decided after the next meeting was planned shows up on it (computed on GET)
    new_action = _action(db, past, "Relancer les bailleurs")
    view = agenda.agenda_view(db, nxt, now=NOW)
    assert [a.title for a in view.pending_followups] == ["Relancer les bailleurs"]
    assert titles(db, nxt.id) == ["Envoyer le bilan"]  # nothing written by showing it
    # once the next meeting is over, still-open items move on to the following one
    after = NOW + timedelta(days=11)
    view = agenda.agenda_view(db, fresh(db).get(Meeting, later.id), now=after)  # type: ignore[arg-type]
    assert {a.title for a in view.pending_followups} == {"Envoyer le bilan", "Relancer les bailleurs"}
    assert new_action.id


def test_pinning_follow_up_items_from_the_agenda_page(client: TestClient, world: World, db: Session) -> None:
    nxt = world.meeting(start=NOW + timedelta(days=3))
    past = world.meeting(start=NOW - timedelta(days=30))
    action = _action(db, past, "Chiffrer le projet")
    url = f"/agenda/reunions/{nxt.id}/ordre-du-jour"
    login(client, "anne@example.org")
    page = client.get(url)
    assert "Chiffrer le projet" in page.text and 'name="action_item_id"' in page.text
    assert "Chiffrer le projet" in client.get(f"/agenda/reunions/{nxt.id}").text
    post_form(client, url, {"action": "pin", "action_item_id": [str(action.id)]})
    assert titles(db, nxt.id) == ["Chiffrer le projet"]
    # once pinned it is not offered again
    assert 'name="action_item_id"' not in client.get(url).text
    # done actions show their status on the agenda
    fresh(db).get(ActionItem, action.id).status = "done"  # type: ignore[union-attr]
    db.commit()
    assert "réalisée" in client.get(f"/agenda/reunions/{nxt.id}").text
