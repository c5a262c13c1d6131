"""Every calendar route checks permissions on the server, for every kind of visitor.

Visitors: anonymous, a member of space A, the animator of space B (another space), the
animator of space A, an admin, and a signed-in outsider. The meeting under test is a
members-only meeting of space A: it must not leak to anyone outside A (no IDOR by id).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.audit.models import AuditEntry
from core.calendar.models import Invitation, Meeting
from tests.core.calendar.conftest import World, fresh
from tests.core.calendar.test_meeting_pages import form
from tests.helpers import csrf_token, login

VISITORS = {
    "anonymous": None,
    "outsider": "olga@example.org",
    "member": "marc@example.org",
    "other_animator": "bruno@example.org",
    "animator": "anne@example.org",
    "admin": "admin@example.org",
}

#: expected status for the members-only meeting of space A: (read its page, manage it)
EXPECTED = {
    "anonymous": ("login", "login"),
    "outsider": (404, 404),
    "member": (200, 403),
    "other_animator": (404, 404),
    "animator": (200, 200),
    "admin": (200, 200),
}


def status(response: Any) -> int | str:
    if response.status_code == 303 and "/compte/connexion" in response.headers.get("location", ""):
        return "login"
    return int(response.status_code)


def manage_paths(meeting_id: int) -> list[str]:
    base = f"/agenda/reunions/{meeting_id}"
    return [
        f"{base}/modifier",
        f"{base}/dupliquer",
        f"{base}/annuler",
        f"{base}/ordre-du-jour",
        f"{base}/invitations",
    ]


def post_payloads(world: World, meeting_id: int) -> list[tuple[str, dict[str, Any]]]:
    base = f"/agenda/reunions/{meeting_id}"
    return [
        (f"{base}/modifier", form(world, title="Piratée", confirm_conflicts="y")),
        (f"{base}/dupliquer", form(world, title="Copie pirate", confirm_conflicts="y")),
        (f"{base}/annuler", {"reason": "Piratage"}),
        (f"{base}/retablir", {}),
        (f"{base}/ordre-du-jour", {"action": "add", "title": "Point pirate"}),
        (f"{base}/invitations", {"action": "contacts", "contact_id": [str(world.olga)]}),
        (f"{base}/invitations", {"action": "members"}),
    ]


@pytest.mark.parametrize("visitor", list(VISITORS))
def test_members_only_meeting_of_space_a(client: TestClient, world: World, db: Session, visitor: str) -> None:
    meeting = world.meeting(title="Réunion réservée")
    email = VISITORS[visitor]
    if email:
        login(client, email)
    read, manage = EXPECTED[visitor]
    page = client.get(f"/agenda/reunions/{meeting.id}", follow_redirects=False)
    assert status(page) == read
    if read != 200:
        assert "Réunion réservée" not in page.text
    for path in manage_paths(meeting.id):
        response = client.get(path, follow_redirects=False)
        assert status(response) == manage, path
        if manage != 200:
            assert "Réunion réservée" not in response.text, path
    if manage == 200:
        return
    token = csrf_token(client)
    audit_before = fresh(db).scalar(select(func.count()).select_from(AuditEntry))
    for path, data in post_payloads(world, meeting.id):
        response = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
        assert status(response) == manage, path
    fresh(db)
    kept = db.get(Meeting, meeting.id)
    assert (
        kept is not None
        and kept.title == "Réunion réservée"
        and kept.status == "scheduled"
        and kept.sequence == 0
    )
    assert db.scalar(select(func.count()).select_from(Meeting)) == 1
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


@pytest.mark.parametrize("visitor", ["member", "other_animator"])
def test_public_meeting_is_readable_but_not_manageable(
    client: TestClient, world: World, visitor: str
) -> None:
    meeting = world.meeting(title="Réunion publique", visibility="public")
    login(client, VISITORS[visitor] or "")
    assert client.get(f"/agenda/reunions/{meeting.id}").status_code == 200
    for path in manage_paths(meeting.id):
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize(
    ("visitor", "expected"),
    [
        ("anonymous", "login"),
        ("outsider", 403),
        ("member", 403),
        ("other_animator", 200),
        ("animator", 200),
        ("admin", 200),
    ],
)
def test_planning_pages(client: TestClient, world: World, visitor: str, expected: int | str) -> None:
    email = VISITORS[visitor]
    if email:
        login(client, email)
    for path in ("/agenda/reunions/nouvelle", "/agenda/series/nouvelle"):
        assert status(client.get(path, follow_redirects=False)) == expected, path


def test_animator_of_another_space_cannot_plan_in_space_a(
    client: TestClient, world: World, db: Session
) -> None:
    login(client, "bruno@example.org")
    page = client.get("/agenda/reunions/nouvelle", params={"space": world.space_a})
    assert "Groupe A" not in page.text  # only B is offered
    token = csrf_token(client)
    response = client.post("/agenda/reunions/nouvelle", data={**form(world), "csrf_token": token})
    assert response.status_code == 400
    assert fresh(db).scalar(select(func.count()).select_from(Meeting)) == 0


def test_admin_may_plan_anywhere(client: TestClient, world: World, db: Session) -> None:
    login(client, "admin@example.org")
    response = client.post(
        "/agenda/reunions/nouvelle",
        data={**form(world), "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303


@pytest.mark.parametrize("visitor", list(VISITORS))
def test_calendar_views_answer_everyone(client: TestClient, world: World, visitor: str) -> None:
    email = VISITORS[visitor]
    if email:
        login(client, email)
    for path in ("/agenda/", "/agenda/semaine", "/agenda/liste"):
        assert client.get(path).status_code == 200, path


def test_unknown_meeting_is_a_404(client: TestClient, world: World) -> None:
    login(client, "admin@example.org")
    assert client.get("/agenda/reunions/999999").status_code == 404
    assert client.get("/agenda/reunions/999999/modifier").status_code == 404


def test_state_never_changes_on_get(client: TestClient, world: World, db: Session) -> None:
    """The management URLs only answer POST for changes; a GET with action parameters is inert."""
    meeting = world.meeting()
    login(client, "anne@example.org")
    client.get(f"/agenda/reunions/{meeting.id}/annuler", params={"reason": "x"})
    client.get(f"/agenda/reunions/{meeting.id}/invitations", params={"action": "members"})
    client.get(f"/agenda/reunions/{meeting.id}/ordre-du-jour", params={"action": "add", "title": "x"})
    assert client.get(f"/agenda/reunions/{meeting.id}/retablir").status_code == 405
    fresh(db)
    assert db.get(Meeting, meeting.id).status == "scheduled"  # type: ignore[union-attr]
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0
