"""Meeting pages through HTTP: DST-safe times, confirmations, escaping, edit, cancel, duplicate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.calendar.models import CANCELLED, Invitation, Meeting
from tests.core.calendar.conftest import World, fresh, reload
from tests.helpers import login, post_form

NEW = "/agenda/reunions/nouvelle"


def form(world: World, **changes: Any) -> dict[str, Any]:
    """A valid new-meeting form for space A."""
    data: dict[str, Any] = {
        "space_id": str(world.space_a),
        "kind": "core.reunion",
        "title": "Groupe de travail",
        "description": "",
        "start_date": "2026-03-17",
        "start_time": "14:00",
        "end_time": "16:00",
        "end_date": "",
        "location": "Hôtel de ville",
        "room": "Salle des mariages",
        "online_url": "",
        "visibility": "members",
        "reminders_enabled": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def count(db: Session) -> int:
    db.rollback()
    return int(fresh(db).scalar(select(func.count()).select_from(Meeting)) or 0)


def test_animator_plans_a_meeting_stored_in_utc(client: TestClient, world: World, db: Session) -> None:
    login(client, "anne@example.org")
    response = post_form(client, NEW, form(world), follow_redirects=False)
    assert response.status_code == 303, response.text[-2000:]
    meeting = fresh(db).scalar(select(Meeting))
    assert meeting is not None
    assert response.headers["location"] == f"/agenda/reunions/{meeting.id}"
    assert meeting.starts_at == datetime(2026, 3, 17, 13, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(2026, 3, 17, 15, 0, tzinfo=UTC)
    page = client.get(response.headers["location"])
    assert "La réunion « Groupe de travail » est planifiée." in page.text
    assert "mardi 17 mars 2026, de 14 h 00 à 16 h 00" in page.text.replace("Mardi", "mardi")


def test_spring_forward_gap_is_refused_and_the_typed_values_kept(
    client: TestClient, world: World, db: Session
) -> None:
    login(client, "anne@example.org")
    response = post_form(
        client, NEW, form(world, start_date="2027-03-28", start_time="02:30", end_time="04:00")
    )
    assert response.status_code == 400
    assert "n&#39;existe pas le 28 mars 2027" in response.text
    assert 'value="2027-03-28"' in response.text and 'value="02:30"' in response.text
    assert 'value="Groupe de travail"' in response.text
    assert count(db) == 0


def test_fall_back_ambiguity_is_asked_then_resolved_explicitly(
    client: TestClient, world: World, db: Session
) -> None:
    login(client, "anne@example.org")
    data = form(world, start_date="2026-10-25", start_time="02:30", end_time="04:00")
    first = post_form(client, NEW, data)
    assert first.status_code == 400
    assert "existe deux fois le 25 octobre 2026" in first.text
    assert "heure d&#39;été (UTC+2)" in first.text and "heure d&#39;hiver (UTC+1)" in first.text
    assert 'name="start_fold"' in first.text
    assert count(db) == 0
    # the second 02:30 (winter time, UTC+1) is 01:30 UTC
    done = post_form(client, NEW, {**data, "start_fold": "1"}, follow_redirects=False)
    assert done.status_code == 303, done.text[-1500:]
    winter = fresh(db).scalar(select(Meeting))
    assert winter is not None and winter.starts_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert winter.ends_at == datetime(2026, 10, 25, 3, 0, tzinfo=UTC)
    # the first 02:30 (summer time) overlaps the other one: same animator, confirmed
    done = post_form(
        client, NEW, {**data, "start_fold": "0", "confirm_conflicts": "y"}, follow_redirects=False
    )
    assert done.status_code == 303
    summer = fresh(db).scalars(select(Meeting).order_by(Meeting.id.desc())).first()
    assert summer is not None and summer.starts_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    # editing the winter one shows which 02:30 it is
    edit = client.get(f"/agenda/reunions/{winter.id}/modifier")
    assert 'id="start_fold-1" name="start_fold" value="1" checked' in edit.text


def test_end_before_start_is_refused(client: TestClient, world: World, db: Session) -> None:
    login(client, "anne@example.org")
    response = post_form(client, NEW, form(world, start_time="16:00", end_time="15:00"))
    assert response.status_code == 400
    assert "La fin doit être après le début." in response.text
    assert 'aria-invalid="true"' in response.text
    assert count(db) == 0


def test_multi_day_meeting_with_end_date(client: TestClient, world: World, db: Session) -> None:
    login(client, "anne@example.org")
    response = post_form(
        client,
        NEW,
        form(world, start_time="09:00", end_time="17:00", end_date="2026-03-18"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    meeting = fresh(db).scalar(select(Meeting))
    assert meeting is not None and meeting.ends_at == datetime(2026, 3, 18, 16, 0, tzinfo=UTC)


def test_a_past_meeting_needs_the_confirmation_checkbox(
    client: TestClient, world: World, db: Session
) -> None:
    login(client, "anne@example.org")
    data = form(world, start_date="2026-02-20")
    refused = post_form(client, NEW, data)
    assert refused.status_code == 400
    assert "commence dans le passé" in refused.text
    assert 'name="confirm_past"' in refused.text
    assert count(db) == 0
    accepted = post_form(client, NEW, {**data, "confirm_past": "y"}, follow_redirects=False)
    assert accepted.status_code == 303
    assert count(db) == 1


def test_online_link_must_be_http(client: TestClient, world: World, db: Session) -> None:
    login(client, "anne@example.org")
    response = post_form(client, NEW, form(world, online_url="javascript:alert(1)"))
    assert response.status_code == 400
    assert "http:// ou https://" in response.text
    assert count(db) == 0
    ok = post_form(
        client, NEW, form(world, online_url="https://visio.example.org/r/42"), follow_redirects=False
    )
    assert ok.status_code == 303
    page = client.get(ok.headers["location"])
    assert 'href="https://visio.example.org/r/42"' in page.text


def test_hostile_input_is_escaped_everywhere(client: TestClient, world: World, db: Session) -> None:
    login(client, "anne@example.org")
    evil = '<script>alert("x")</script>'
    response = post_form(
        client,
        NEW,
        form(world, title=evil, description=evil, location=evil, room=evil, visibility="public"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    meeting_url = response.headers["location"]
    pages = [
        meeting_url,
        "/agenda/?month=2026-03",
        "/agenda/semaine?date=2026-03-17",
        "/agenda/liste?start=2026-03-01&end=2026-03-31",
        meeting_url + "/modifier",
        meeting_url + "/invitations",
        meeting_url + "/ordre-du-jour",
        meeting_url + "/annuler",
        "/",
    ]
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        assert "<script>" not in page.text, path
    assert "&lt;script&gt;" in client.get(meeting_url).text


def test_unknown_kind_or_space_of_someone_else_is_refused(
    client: TestClient, world: World, db: Session
) -> None:
    login(client, "anne@example.org")
    assert post_form(client, NEW, form(world, kind="ailleurs.truc")).status_code == 400
    assert post_form(client, NEW, form(world, space_id=str(world.space_b))).status_code == 400
    assert count(db) == 0


def test_new_meeting_form_is_prefilled_from_the_query(client: TestClient, world: World) -> None:
    login(client, "anne@example.org")
    page = client.get(
        NEW,
        params={
            "space": world.space_a,
            "title": "Groupe « emploi » <b>",
            "kind": "core.comite",
            "date": "2026-04-07",
            "start": "18:30",
            "visibility": "public",
            "room": "Salle 3",
        },
    )
    assert page.status_code == 200
    assert (
        f'<option selected value="{world.space_a}">' in page.text
        or f'value="{world.space_a}" selected' in page.text
    )
    assert 'value="Groupe « emploi » &lt;b&gt;"' in page.text
    assert 'value="2026-04-07"' in page.text and 'value="18:30"' in page.text
    assert 'value="Salle 3"' in page.text
    assert (
        "selected" in page.text.split('value="core.comite"')[1][:20]
        or 'selected value="core.comite"' in page.text
    )
    # values that are not allowed are ignored, not an error
    assert client.get(NEW, params={"space": world.space_b, "kind": "x", "date": "hier"}).status_code == 200


def test_edit_reschedules_keeping_uid_and_bumping_sequence(
    client: TestClient, world: World, db: Session
) -> None:
    meeting = world.meeting()
    uid = meeting.uid
    login(client, "anne@example.org")
    page = client.get(f"/agenda/reunions/{meeting.id}/modifier")
    assert 'value="2026-03-10"' in page.text and 'value="14:00"' in page.text
    response = post_form(
        client,
        f"/agenda/reunions/{meeting.id}/modifier",
        form(world, start_date="2026-03-12", start_time="10:00", end_time="12:00", title="Réunion de test"),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[-1500:]
    moved = reload(db, Meeting, meeting.id)
    assert moved.uid == uid and moved.sequence == 1
    assert moved.starts_at == datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    # a description change keeps the sequence
    post_form(
        client,
        f"/agenda/reunions/{meeting.id}/modifier",
        form(
            world,
            start_date="2026-03-12",
            start_time="10:00",
            end_time="12:00",
            title="Réunion de test",
            description="Précisions",
        ),
    )
    assert reload(db, Meeting, meeting.id).sequence == 1


def test_cancel_through_the_page_keeps_meeting_and_answers(
    client: TestClient, world: World, db: Session
) -> None:
    meeting = world.meeting()
    db.add(Invitation(meeting_id=meeting.id, contact_id=world.marc, response="accepted"))
    db.commit()
    login(client, "anne@example.org")
    url = f"/agenda/reunions/{meeting.id}/annuler"
    assert "Raison de l&#39;annulation" in client.get(url).text
    empty = post_form(client, url, {"reason": ""})
    assert empty.status_code == 400 and "Ce champ est obligatoire." in empty.text
    assert reload(db, Meeting, meeting.id).status != CANCELLED
    done = post_form(client, url, {"reason": "Grève des transports"})
    assert done.status_code == 200 and "La réunion est annulée." in done.text
    assert "Grève des transports" in done.text
    kept = reload(db, Meeting, meeting.id)
    assert kept.status == CANCELLED and kept.sequence == 1
    assert fresh(db).scalar(select(Invitation.response)) == "accepted"
    # cancelled meetings are not edited; they can be reinstated
    assert client.get(f"/agenda/reunions/{meeting.id}/modifier").url.path == f"/agenda/reunions/{meeting.id}"
    post_form(client, f"/agenda/reunions/{meeting.id}/retablir")
    assert reload(db, Meeting, meeting.id).status == "scheduled"


def test_duplicate_through_the_page(client: TestClient, world: World, db: Session) -> None:
    meeting = world.meeting(title="Plénière", room="Salle 1")
    login(client, "anne@example.org")
    page = client.get(f"/agenda/reunions/{meeting.id}/dupliquer")
    assert 'value="Plénière"' in page.text and 'value="Salle 1"' in page.text
    response = post_form(
        client,
        f"/agenda/reunions/{meeting.id}/dupliquer",
        form(world, title="Plénière", room="Salle 1", start_date="2026-09-15", copy_agenda="y"),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[-1500:]
    copy = fresh(db).scalars(select(Meeting).order_by(Meeting.id.desc())).first()
    assert copy is not None and copy.id != meeting.id and copy.space_id == world.space_a
    assert copy.starts_at == datetime(2026, 9, 15, 12, 0, tzinfo=UTC)
    assert copy.series_key is None and copy.uid != meeting.uid


def test_past_confirmation_is_offered_together_with_other_errors(client: TestClient, world: World) -> None:
    login(client, "anne@example.org")
    response = post_form(client, NEW, form(world, start_date="2026-02-20", title=""))
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.text
    assert 'name="confirm_past"' in response.text
