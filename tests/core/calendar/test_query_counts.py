"""The calendar views cost a bounded number of queries, whatever the number of meetings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.calendar.models import Invitation, Meeting
from tests.core.calendar.conftest import World
from tests.helpers import login

PAGES = [
    "/agenda/?month=2026-03",
    "/agenda/?month=2026-03&mine=1",
    "/agenda/semaine?date=2026-03-10",
    "/agenda/liste?start=2026-03-01&end=2026-03-31",
    "/agenda/liste?start=2026-03-01&end=2026-03-31&mine=1&kind=core.reunion",
    "/",
]


def add_meetings(db: Session, world: World, n: int, offset: int = 0) -> None:
    """``n`` meetings spread over March 2026 in both spaces, half public, some with invitations."""
    start = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
    for i in range(offset, offset + n):
        at = start + timedelta(hours=(i * 7) % (30 * 24))
        meeting = Meeting(
            space_id=world.space_a if i % 2 else world.space_b,
            title=f"Réunion {i}",
            starts_at=at,
            ends_at=at + timedelta(hours=2 + (i % 3) * 24),
            visibility="public" if i % 3 else "members",
            room=f"Salle {i % 5}",
        )
        db.add(meeting)
        db.flush()
        if i % 4 == 0:
            db.add(Invitation(meeting_id=meeting.id, contact_id=world.marc))
    db.commit()


@contextmanager
def counting(app: Starlette) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = app.state.reseau.engine

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def counts(client: TestClient, app: Starlette) -> dict[str, int]:
    result = {}
    for path in PAGES:
        with counting(app) as statements:
            response = client.get(path)
        assert response.status_code == 200, path
        result[path] = len(statements)
    return result


@pytest.mark.parametrize("email", [None, "marc@example.org", "admin@example.org"])
def test_views_query_count_does_not_grow_with_meetings(
    app: Starlette, client: TestClient, world: World, db: Session, email: str | None
) -> None:
    if email:
        login(client, email)
    add_meetings(db, world, 10)
    few = counts(client, app)
    add_meetings(db, world, 190, offset=10)
    many = counts(client, app)
    assert many == few
    # and the numbers are small: the calendar views a handful; the home page adds the dashboard
    # panels of the four plugins (one or two queries each, none per meeting)
    assert max(count for path, count in few.items() if path != "/") <= 10, few
    assert few["/"] <= 20, few
    # the pages did show the meetings
    assert client.get(PAGES[3]).text.count("Réunion ") > 50


def test_meeting_and_management_pages_do_not_query_per_row(
    app: Starlette, client: TestClient, world: World, db: Session
) -> None:
    from core.calendar.models import AgendaItem
    from core.directory.models import Contact

    meeting = Meeting(
        space_id=world.space_a,
        title="Grande réunion",
        starts_at=datetime(2026, 3, 10, 13, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 10, 15, 0, tzinfo=UTC),
    )
    db.add(meeting)
    db.commit()

    def grow(n: int) -> None:
        for i in range(n):
            contact = Contact(first_name="Invité", last_name=f"N{i}", email=f"n{i}@example.org")
            db.add(contact)
            db.flush()
            db.add(
                Invitation(
                    meeting_id=meeting.id, contact_id=contact.id, response="accepted" if i % 2 else "pending"
                )
            )
            db.add(
                AgendaItem(
                    meeting_id=meeting.id, position=i, title=f"Point {i}", presenter_contact_id=contact.id
                )
            )
        db.commit()

    paths = [
        f"/agenda/reunions/{meeting.id}",
        f"/agenda/reunions/{meeting.id}/invitations",
        f"/agenda/reunions/{meeting.id}/ordre-du-jour",
    ]
    login(client, "anne@example.org")
    grow(3)
    few = {p: 0 for p in paths}
    for path in paths:
        with counting(app) as statements:
            assert client.get(path).status_code == 200
        few[path] = len(statements)
    grow(40)
    for path in paths:
        with counting(app) as statements:
            assert client.get(path).status_code == 200
        assert len(statements) == few[path], path


def test_a_public_meeting_page_is_read_in_six_queries_by_a_visitor(
    app: Starlette, client: TestClient, world: World, db: Session
) -> None:
    """The meeting and its space in one query, visibility decided without the database for a
    public meeting; then agenda, the next meeting of the space, minutes, resources…"""
    meeting = Meeting(
        space_id=world.space_a,
        title="Plénière ouverte",
        starts_at=datetime(2026, 3, 10, 13, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 10, 15, 0, tzinfo=UTC),
        visibility="public",
    )
    db.add(meeting)
    db.commit()
    with counting(app) as statements:
        page = client.get(f"/agenda/reunions/{meeting.id}")
    assert page.status_code == 200 and "Plénière ouverte" in page.text and "Groupe A" in page.text
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 6, selects
    # a members-only meeting still asks the database whether this visitor may see it
    meeting.visibility = "members"
    db.commit()
    assert client.get(f"/agenda/reunions/{meeting.id}", follow_redirects=False).status_code in (302, 303)
