"""Erasure: one action by an administrator, and no trace of the person anywhere afterwards."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.accounts.models import User
from core.calendar.models import Invitation
from core.directory.models import Contact
from core.reminders.models import OutboxMessage
from tests.core.privacy.conftest import EMAIL, FIRST, FULL, LAST, Person, traces
from tests.helpers import csrf_from, login

NEEDLES = [EMAIL, FULL, f"{LAST} {FIRST}", "lefevre"]


def _erase(client: TestClient, person: Person) -> None:
    url = f"/admin/donnees-personnelles/contacts/{person.contact_id}"
    page = client.get(url)
    assert page.status_code == 200 and FULL in page.text
    response = client.post(url, data={"csrf_token": csrf_from(page.text), "confirm": "y"})
    assert response.status_code == 200, response.text[:300]
    assert "sont effacées" in response.text


def test_erasure_leaves_no_trace_in_the_whole_schema(demo: Starlette, person: Person, db: Session) -> None:
    assert traces(db, NEEDLES), "the world should hold the person before erasure"
    db.rollback()
    invitations_before = db.scalar(sa.select(sa.func.count()).select_from(Invitation))
    outbox_before = db.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    with TestClient(demo) as client:
        login(client, "admin@example.org")
        _erase(client, person)
    db.rollback()  # a fresh snapshot: the app wrote in another connection
    assert traces(db, NEEDLES) == []
    # the figures stay right: rows are anonymised, not deleted
    assert db.scalar(sa.select(sa.func.count()).select_from(Invitation)) == invitations_before
    assert db.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == outbox_before
    contact = db.get(Contact, person.contact_id)
    assert contact is not None and contact.anonymised_at is not None and not contact.consent_listed
    user = db.get(User, person.user_id)
    assert user is not None and not user.is_active and user.password_hash is None
    # the bystander keeps her own data; only the mention of the erased person is replaced
    assert traces(db, [person.bystander_email])


def test_erased_person_can_no_longer_sign_in_and_sessions_end(
    demo: Starlette, person: Person, db: Session
) -> None:
    with TestClient(demo) as her, TestClient(demo) as admin:
        login(her, EMAIL)
        assert her.get("/compte/profil").status_code == 200
        login(admin, "admin@example.org")
        _erase(admin, person)
        profile = her.get("/compte/profil", follow_redirects=False)
        assert profile.status_code in (302, 303) and "/compte/connexion" in profile.headers["location"]
        page = her.get("/compte/connexion")
        refused = her.post(
            "/compte/connexion",
            data={"csrf_token": csrf_from(page.text), "email": EMAIL, "password": "reseau-demo-2026"},
        )
        assert refused.status_code >= 400


def test_erasure_needs_the_confirmation_box(demo: Starlette, person: Person, db: Session) -> None:
    with TestClient(demo) as client:
        login(client, "admin@example.org")
        url = f"/admin/donnees-personnelles/comptes/{person.user_id}"
        page = client.get(url)
        response = client.post(url, data={"csrf_token": csrf_from(page.text)})
        assert response.status_code == 400
        assert "Cochez la case" in response.text
    db.rollback()  # a fresh snapshot: the app wrote in another connection
    contact = db.get(Contact, person.contact_id)
    assert contact is not None and contact.anonymised_at is None


def test_only_admins_reach_the_person_page(demo: Starlette, person: Person) -> None:
    with TestClient(demo) as client:
        url = f"/admin/donnees-personnelles/contacts/{person.contact_id}"
        assert client.get(url, follow_redirects=False).status_code in (302, 303)
        login(client, "nadia.benali@example.org")
        assert client.get(url).status_code == 403
        assert client.get(url + "/export.json").status_code == 403
        assert client.get("/admin/donnees-personnelles/contacts/999999").status_code == 403
        login(client, "admin@example.org")
        assert client.get("/admin/donnees-personnelles/contacts/999999").status_code == 404
        assert client.get("/admin/donnees-personnelles/autre/1").status_code == 404
