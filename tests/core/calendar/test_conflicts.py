"""Booking conflicts: same room (names normalised) or an animator of both spaces; warned, not blocked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.calendar.conflicts import find_conflicts, room_key
from core.calendar.models import Meeting
from tests.core.calendar.conftest import World, fresh
from tests.core.calendar.test_meeting_pages import NEW, form
from tests.helpers import login, post_form

T = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)


def test_room_names_are_compared_normalised() -> None:
    assert room_key("  Salle  des Fêtes ") == room_key("salle des fetes") == room_key("SALLE-DES-FÊTES")
    assert room_key("") == ""


def test_same_room_overlapping_is_a_conflict_whatever_the_space(world: World, db: Session) -> None:
    other = world.meeting(space_id=world.space_b, start=T, room="Salle des Fêtes")
    found = find_conflicts(
        db,
        space_id=world.space_a,
        starts_at=T + timedelta(hours=1),
        ends_at=T + timedelta(hours=3),
        room="salle des fetes",
    )
    assert [(c.meeting.id, c.same_room, c.animators) for c in found] == [(other.id, True, [])]
    # touching is not overlapping; another room is no conflict; a cancelled meeting frees the room
    assert (
        find_conflicts(
            db,
            space_id=world.space_a,
            starts_at=T + timedelta(hours=2),
            ends_at=T + timedelta(hours=3),
            room="Salle des fêtes",
        )
        == []
    )
    assert (
        find_conflicts(
            db, space_id=world.space_a, starts_at=T, ends_at=T + timedelta(hours=1), room="Salle 2"
        )
        == []
    )
    other.status = "cancelled"
    db.commit()
    assert (
        find_conflicts(
            db, space_id=world.space_a, starts_at=T, ends_at=T + timedelta(hours=1), room="Salle des fêtes"
        )
        == []
    )


def test_an_animator_of_both_spaces_is_a_conflict(world: World, db: Session) -> None:
    other = world.meeting(space_id=world.space_b, start=T, room="Ailleurs")
    assert find_conflicts(db, space_id=world.space_a, starts_at=T, ends_at=T + timedelta(hours=1)) == []
    world.add_animator(world.space_b, world.anne)
    found = find_conflicts(db, space_id=world.space_a, starts_at=T, ends_at=T + timedelta(hours=1))
    assert len(found) == 1 and found[0].meeting.id == other.id and not found[0].same_room
    assert [a.id for a in found[0].animators] == [world.anne]
    # the meeting being edited does not conflict with itself
    assert (
        find_conflicts(
            db,
            space_id=world.space_b,
            starts_at=T,
            ends_at=T + timedelta(hours=1),
            exclude_meeting_id=other.id,
        )
        == []
    )


def test_long_meetings_are_found_and_the_check_is_one_query(world: World, db: Session, engine) -> None:  # type: ignore[no-untyped-def]
    long = world.meeting(space_id=world.space_b, start=T - timedelta(days=3), hours=24 * 5, room="Gymnase")
    statements: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        found = find_conflicts(
            fresh(db), space_id=world.space_a, starts_at=T, ends_at=T + timedelta(hours=1), room="gymnase"
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [c.meeting.id for c in found] == [long.id]
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_saving_warns_and_needs_confirmation(client: TestClient, world: World, db: Session) -> None:
    world.meeting(
        space_id=world.space_b,
        start=datetime(2026, 3, 17, 13, 30, tzinfo=UTC),
        room="Salle des mariages",
        title="Réunion du groupe B",
    )
    login(client, "anne@example.org")
    warned = post_form(client, NEW, form(world))
    assert warned.status_code == 400
    assert "conflits de réservation" in warned.text
    assert "même salle (Salle des mariages)" in warned.text
    assert "Réunion du groupe B" not in warned.text  # a members-only meeting Anne may not see
    assert 'name="confirm_conflicts"' in warned.text
    assert fresh(db).scalar(select(func.count()).select_from(Meeting)) == 1
    saved = post_form(client, NEW, {**form(world), "confirm_conflicts": "y"}, follow_redirects=False)
    assert saved.status_code == 303
    assert fresh(db).scalar(select(func.count()).select_from(Meeting)) == 2
    # the meeting page reminds the animator of the conflict
    assert "Conflits de réservation" in client.get(saved.headers["location"]).text


def test_visible_conflicts_are_named(client: TestClient, world: World) -> None:
    world.meeting(
        space_id=world.space_b,
        start=datetime(2026, 3, 17, 13, 30, tzinfo=UTC),
        room="Salle des mariages",
        title="Réunion publique B",
        visibility="public",
    )
    login(client, "anne@example.org")
    warned = post_form(client, NEW, form(world))
    assert "Réunion publique B" in warned.text
