"""Sessions end for real: logout, password change and a change of rights bump the session version."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.accounts.models import User
from core.audit.models import AuditEntry
from tests.core.accounts.factories import (
    PASSWORD,
    copy_of_cookie,
    make_contact,
    make_user,
    refresh,
    signed_in,
)
from tests.helpers import login, logout, post_form

NEW = "une phrase de passe neuve"


def _user(db: Session, email: str) -> User:
    refresh(db)
    user = db.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def test_logout_ends_every_copy_of_the_cookie(app: Starlette, client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org")
    login(client, "ana@example.org", PASSWORD)
    with copy_of_cookie(client, app) as stolen:
        assert signed_in(stolen)
        logout(client)
        assert not signed_in(client)
        assert not signed_in(stolen)  # the copy names version 1; the account is at version 2
    assert _user(db, "ana@example.org").session_version == 2


def test_logout_is_post_only(client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org")
    login(client, "ana@example.org", PASSWORD)
    assert client.get("/compte/deconnexion").status_code == 405
    assert signed_in(client)


def test_password_change_keeps_this_session_and_ends_the_others(
    app: Starlette, client: TestClient, db: Session
) -> None:
    make_user(db, "ana@example.org")
    login(client, "ana@example.org", PASSWORD)
    with TestClient(app) as phone, copy_of_cookie(client, app) as old_copy:
        login(phone, "ana@example.org", PASSWORD)
        response = post_form(
            client,
            "/compte/mot-de-passe",
            {
                "current_password": PASSWORD,
                "password": NEW,
                "confirm": NEW,
            },
        )
        assert response.status_code == 200
        assert "Votre mot de passe est changé" in response.text
        assert signed_in(client)
        assert not signed_in(phone)
        assert not signed_in(old_copy)
    logout(client)
    login(client, "ana@example.org", NEW)
    assert signed_in(client)
    actions = list(_audit_actions(db))
    assert "accounts.user.password_changed" in actions


def _audit_actions(db: Session) -> list[str]:
    refresh(db)
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_password_change_refusals(client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org")
    login(client, "ana@example.org", PASSWORD)
    cases = [
        (
            {"current_password": "pas le bon", "password": NEW, "confirm": NEW},
            "Le mot de passe actuel est incorrect.",
        ),
        ({"current_password": PASSWORD, "password": "court", "confirm": "court"}, "au moins 10 caractères"),
        ({"current_password": PASSWORD, "password": NEW, "confirm": NEW + "x"}, "ne sont pas identiques"),
        ({"current_password": PASSWORD, "password": PASSWORD, "confirm": PASSWORD}, "doit être différent"),
        ({"current_password": "", "password": "", "confirm": ""}, "Ce champ est obligatoire."),
        (
            {"current_password": PASSWORD, "password": "x" * 1001, "confirm": "x" * 1001},
            "plus de 1000 caractères",
        ),
    ]
    version = _user(db, "ana@example.org").session_version
    for data, message in cases:
        response = post_form(client, "/compte/mot-de-passe", data)
        assert response.status_code == 400, data
        assert message in response.text, data
        for secret in {data["current_password"], data["password"]} - {""}:
            assert f'value="{secret}"' not in response.text
    user = _user(db, "ana@example.org")
    assert user.session_version == version  # nothing changed
    logout(client)
    login(client, "ana@example.org", PASSWORD)


def test_guessing_the_current_password_is_throttled(client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org")
    login(client, "ana@example.org", PASSWORD)
    for i in range(5):
        data = {"current_password": f"essai {i}", "password": NEW, "confirm": NEW}
        assert post_form(client, "/compte/mot-de-passe", data).status_code == 400
    response = post_form(
        client, "/compte/mot-de-passe", {"current_password": PASSWORD, "password": NEW, "confirm": NEW}
    )
    assert response.status_code == 429
    assert "Trop de tentatives" in response.text


def test_password_page_needs_a_session(client: TestClient) -> None:
    response = client.get("/compte/mot-de-passe", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/compte/connexion?next=%2Fcompte%2Fmot-de-passe"


def test_an_admin_removing_rights_ends_the_sessions(
    app: Starlette, admin_client: TestClient, db: Session
) -> None:
    target = make_user(db, "ana@example.org", admin=True, name="Ana")
    with TestClient(app) as ana:
        login(ana, "ana@example.org", PASSWORD)
        assert ana.get("/admin/").status_code == 200
        with copy_of_cookie(ana, app) as copy:
            response = post_form(
                admin_client,
                f"/admin/comptes/{target.id}",
                {
                    "email": "ana@example.org",
                    "display_name": "Ana",
                    "contact_id": "",
                    "is_active": "y",
                },
            )
            assert response.status_code == 200
            assert not signed_in(ana) and not signed_in(copy)
        login(ana, "ana@example.org", PASSWORD)
        assert ana.get("/admin/").status_code == 403


def test_deactivation_ends_the_sessions_and_blocks_sign_in(
    app: Starlette, admin_client: TestClient, db: Session
) -> None:
    target = make_user(db, "ana@example.org", name="Ana")
    with TestClient(app) as ana:
        login(ana, "ana@example.org", PASSWORD)
        post_form(
            admin_client,
            f"/admin/comptes/{target.id}",
            {
                "email": "ana@example.org",
                "display_name": "Ana",
                "contact_id": "",
            },
        )
        assert not signed_in(ana)
        response = post_form(ana, "/compte/connexion", {"email": "ana@example.org", "password": PASSWORD})
        assert response.status_code == 400


def test_a_new_contact_link_ends_the_sessions(app: Starlette, admin_client: TestClient, db: Session) -> None:
    """Space roles come from the contact: a new link changes rights."""
    target = make_user(db, "ana@example.org", name="Ana")
    contact = make_contact(db, "Ana", "Lopez", "ana@example.org")
    with TestClient(app) as ana:
        login(ana, "ana@example.org", PASSWORD)
        post_form(
            admin_client,
            f"/admin/comptes/{target.id}",
            {
                "email": "ana@example.org",
                "display_name": "Ana",
                "contact_id": str(contact.id),
                "is_active": "y",
            },
        )
        assert not signed_in(ana)
    assert _user(db, "ana@example.org").contact_id == contact.id


def test_a_name_change_keeps_the_sessions(app: Starlette, admin_client: TestClient, db: Session) -> None:
    target = make_user(db, "ana@example.org", name="Ana")
    with TestClient(app) as ana:
        login(ana, "ana@example.org", PASSWORD)
        post_form(
            admin_client,
            f"/admin/comptes/{target.id}",
            {
                "email": "ana@example.org",
                "display_name": "Ana Lopez",
                "contact_id": "",
                "is_active": "y",
            },
        )
        assert signed_in(ana)
        assert "Ana Lopez" in ana.get("/compte/profil").text


# -- profile ------------------------------------------------------------------------------------


def test_profile_changes_name_and_language(client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org", name="Ana")
    login(client, "ana@example.org", PASSWORD)
    page = client.get("/compte/profil")
    assert page.status_code == 200 and 'value="Ana"' in page.text
    response = post_form(client, "/compte/profil", {"display_name": "  Ana Lopez ", "language": "en"})
    assert response.status_code == 200
    user = _user(db, "ana@example.org")
    assert (user.display_name, user.language) == ("Ana Lopez", "en")
    assert '<html lang="en">' in client.get("/").text
    assert signed_in(client)  # not a change of rights
    assert "accounts.user.profile_updated" in _audit_actions(db)


def test_profile_bad_input(client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org", name="Ana")
    login(client, "ana@example.org", PASSWORD)
    for data, message in [
        ({"display_name": "   ", "language": "fr"}, "Ce champ est obligatoire."),
        ({"display_name": "A" * 201, "language": "fr"}, "plus de 200 caractères"),
        ({"display_name": "Ana", "language": "de"}, "choix valide"),
        ({"display_name": "Ana"}, "Ce champ est obligatoire."),
    ]:
        response = post_form(client, "/compte/profil", data)
        assert response.status_code == 400, data
        assert message in response.text, data
    hostile = '<img src=x onerror="alert(1)">'
    response = post_form(client, "/compte/profil", {"display_name": hostile, "language": "xx"})
    assert response.status_code == 400
    assert hostile not in response.text and "&lt;img src=x onerror=" in response.text
    assert _user(db, "ana@example.org").display_name == "Ana"


def test_a_hostile_name_is_always_escaped(client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org", name="Ana")
    login(client, "ana@example.org", PASSWORD)
    hostile = "<script>alert('nom')</script>"
    assert post_form(client, "/compte/profil", {"display_name": hostile, "language": "fr"}).status_code == 200
    for path in ("/", "/compte/profil"):
        text = client.get(path).text
        assert hostile not in text and "&lt;script&gt;" in text


def test_language_switch_is_saved_on_the_account(client: TestClient, db: Session) -> None:
    make_user(db, "ana@example.org")
    login(client, "ana@example.org", PASSWORD)
    response = post_form(
        client, "/compte/langue", {"language": "en", "next": "/compte/profil"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/compte/profil"
    assert _user(db, "ana@example.org").language == "en"
    post_form(client, "/compte/langue", {"language": "klingon"})
    assert _user(db, "ana@example.org").language == "fr"
