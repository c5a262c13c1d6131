"""The admins' account pages: list, create, edit; audited; refused to everyone else."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.accounts.models import User
from core.audit.models import AuditEntry
from tests.core.accounts.factories import PASSWORD, make_contact, make_user, refresh, signed_in
from tests.helpers import csrf_token, login, post_form

ADMIN_PAGES = ["/admin/", "/admin/comptes", "/admin/comptes/nouveau", "/admin/comptes/{id}", "/admin/journal"]


def _count(db: Session, model: type) -> int:
    refresh(db)
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _audit(db: Session, action: str) -> list[AuditEntry]:
    refresh(db)
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# -- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_visitors_are_sent_to_the_login(client: TestClient, db: Session, path: str) -> None:
    user = make_user(db, "ana@example.org")
    url = path.format(id=user.id)
    response = client.get(url, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/compte/connexion?next=%2Fadmin")


def test_non_admins_get_403_on_every_page_and_form(client: TestClient, db: Session) -> None:
    target = make_user(db, "cible@example.org")
    make_user(db, "ana@example.org")
    login(client, "ana@example.org", PASSWORD)
    for path in ADMIN_PAGES:
        response = client.get(path.format(id=target.id))
        assert response.status_code == 403, path
        assert "Accès refusé" in response.text
    for path in ("/admin/comptes/nouveau", f"/admin/comptes/{target.id}"):
        data = {"email": "x@example.org", "display_name": "X", "is_admin": "y", "password": "0123456789ab"}
        assert post_form(client, path, data).status_code == 403
    refresh(db)
    assert db.get(User, target.id).is_admin is False  # type: ignore[union-attr]
    assert _count(db, User) == 2


def test_a_forged_admin_form_is_refused(admin_client: TestClient, db: Session) -> None:
    response = admin_client.post(
        "/admin/comptes/nouveau", data={"email": "x@example.org", "display_name": "X"}
    )
    assert response.status_code == 403
    assert _count(db, User) == 1


# -- list ---------------------------------------------------------------------------------------


def test_list_search_and_filters(admin_client: TestClient, db: Session) -> None:
    contact = make_contact(db, "Nadia", "Benali", "nadia@example.org")
    make_user(db, "nadia@example.org", name="Nadia Benali", contact_id=contact.id)
    make_user(db, "julien@example.org", name="Julien Roux", active=False)
    make_user(db, "sophie@example.org", name="Sophie Lefèvre", admin=True)
    page = admin_client.get("/admin/comptes")
    assert page.status_code == 200
    for name in ("Nadia Benali", "Julien Roux", "Sophie Lefèvre", "Cheffe de projet"):
        assert name in page.text
    assert "4 compte(s)" in page.text
    assert "<caption>" in page.text and 'scope="col"' in page.text

    def names(query: str) -> set[str]:
        text = admin_client.get("/admin/comptes?" + query).text
        everyone = ("Nadia Benali", "Julien Roux", "Sophie Lefèvre", "Cheffe de projet")
        return {n for n in everyone if f">{n}</a></th>" in text}  # rows of the table

    assert names("q=BENALI") == {"Nadia Benali"}
    assert names("q=julien%40example") == {"Julien Roux"}
    assert names("q=%25") == set()  # LIKE wildcards are searched literally
    assert names("actif=non") == {"Julien Roux"}
    assert names("actif=oui&admin=oui") == {"Sophie Lefèvre", "Cheffe de projet"}
    assert names("admin=non") == {"Nadia Benali", "Julien Roux"}


def test_list_pagination(admin_client: TestClient, db: Session) -> None:
    for i in range(55):
        make_user(db, f"personne{i:02d}@example.org", name=f"Personne {i:02d}", password=None)
    first = admin_client.get("/admin/comptes?admin=non")
    assert "Page 1 sur 2" in first.text and "Personne 00" in first.text and "Personne 50" not in first.text
    assert 'href="/admin/comptes?actif=&amp;admin=non&amp;page=2"' in first.text or "page=2" in first.text
    second = admin_client.get("/admin/comptes?admin=non&page=2")
    assert "Page 2 sur 2" in second.text and "Personne 54" in second.text and "Personne 00" not in second.text
    assert admin_client.get("/admin/comptes?page=zzz").status_code == 200
    assert "Page 2 sur 2" in admin_client.get("/admin/comptes?admin=non&page=999").text


def test_list_bad_filters(admin_client: TestClient) -> None:
    response = admin_client.get("/admin/comptes", params={"q": "x" * 201, "actif": "peut-être"})
    assert response.status_code == 400
    assert "plus de 200 caractères" in response.text
    assert "choix valide" in response.text


# -- create -------------------------------------------------------------------------------------


def test_create_an_account_linked_to_a_contact(app: Starlette, admin_client: TestClient, db: Session) -> None:
    contact = make_contact(db, "Karim", "Haddad", "karim.haddad@example.org")
    form = admin_client.get(f"/admin/comptes/nouveau?contact={contact.id}")
    assert 'value="karim.haddad@example.org"' in form.text and 'value="Karim Haddad"' in form.text
    assert (
        f'<option selected value="{contact.id}">' in form.text
        or f'value="{contact.id}" selected' in form.text
    )
    response = post_form(
        admin_client,
        "/admin/comptes/nouveau",
        {
            "email": "Karim.Haddad@Example.org",
            "display_name": "Karim Haddad",
            "contact_id": str(contact.id),
            "password": "bienvenue-karim",
        },
    )
    assert response.status_code == 200
    assert "Le compte est créé." in response.text
    refresh(db)
    user = db.scalar(select(User).where(User.email == "karim.haddad@example.org"))
    assert user is not None and user.contact_id == contact.id and not user.is_admin
    (entry,) = _audit(db, "accounts.user.created")
    assert entry.actor == "chef@example.org" and entry.object_id == str(user.id)
    assert entry.changes["contact_id"] == [None, contact.id]
    with TestClient(app) as karim:
        login(karim, "karim.haddad@example.org", "bienvenue-karim")
        assert signed_in(karim)


def test_create_without_contact_as_admin(admin_client: TestClient, db: Session) -> None:
    data = {"email": "dga@example.org", "display_name": "DGA", "contact_id": "", "is_admin": "y"}
    post_form(admin_client, "/admin/comptes/nouveau", {**data, "password": "0123456789"})
    refresh(db)
    user = db.scalar(select(User).where(User.email == "dga@example.org"))
    assert user is not None and user.is_admin and user.contact_id is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "", "display_name": "", "password": ""}, "Ce champ est obligatoire."),
        ({"email": "pas-une-adresse", "display_name": "X", "password": "0123456789"}, "Adresse électronique"),
        (
            {"email": "chef@example.org", "display_name": "X", "password": "0123456789"},
            "Un compte existe déjà",
        ),
        (
            {"email": "CHEF@example.org", "display_name": "X", "password": "0123456789"},
            "Un compte existe déjà",
        ),
        ({"email": "x@example.org", "display_name": "X", "password": "court"}, "au moins 10 caractères"),
        (
            {"email": "x@example.org", "display_name": "   ", "password": "0123456789"},
            "Ce champ est obligatoire.",
        ),
        (
            {"email": "x@example.org", "display_name": "X" * 201, "password": "0123456789"},
            "plus de 200 caractères",
        ),
        (
            {"email": "a" * 250 + "@example.org", "display_name": "X", "password": "0123456789"},
            "254 caractères",
        ),
        (
            {"email": "x@example.org", "display_name": "X", "password": "0123456789", "contact_id": "999999"},
            "choix",
        ),
        (
            {"email": "x@example.org", "display_name": "X", "password": "0123456789", "contact_id": "abc"},
            "choix",
        ),
    ],
)
def test_create_bad_input(admin_client: TestClient, db: Session, data: dict[str, str], message: str) -> None:
    response = post_form(admin_client, "/admin/comptes/nouveau", data)
    assert response.status_code == 400
    assert message in response.text
    if data.get("display_name", "").strip() and len(data["display_name"]) <= 200:
        assert f'value="{data["display_name"]}"' in response.text  # what was typed is kept
    if data.get("password"):
        assert f'value="{data["password"]}"' not in response.text
    assert _count(db, User) == 1 and _count(db, AuditEntry) == 0  # nothing half-written


def test_create_with_a_contact_already_linked(admin_client: TestClient, db: Session) -> None:
    contact = make_contact(db, "Léa", "Nguyen", "lea@example.org")
    make_user(db, "lea@example.org", contact_id=contact.id)
    data = {"email": "autre@example.org", "display_name": "Autre", "password": "0123456789"}
    response = post_form(admin_client, "/admin/comptes/nouveau", {**data, "contact_id": str(contact.id)})
    assert response.status_code == 400  # a taken contact is not even offered
    assert "Léa Nguyen" not in admin_client.get("/admin/comptes/nouveau").text
    assert _count(db, User) == 2


def test_hostile_text_is_escaped_everywhere(admin_client: TestClient, db: Session) -> None:
    hostile = '<script>alert("x")</script>'
    response = post_form(
        admin_client,
        "/admin/comptes/nouveau",
        {"email": "x@example.org", "display_name": hostile, "password": "0123456789"},
    )
    assert response.status_code == 200
    for path in ("/admin/comptes", "/admin/journal"):
        text = admin_client.get(path).text
        assert hostile not in text and "&lt;script&gt;" in text
    invalid = post_form(admin_client, "/admin/comptes/nouveau", {"email": hostile, "display_name": hostile})
    assert invalid.status_code == 400 and hostile not in invalid.text


# -- edit ---------------------------------------------------------------------------------------


def test_edit_is_audited_with_its_changes(admin_client: TestClient, db: Session) -> None:
    target = make_user(db, "ana@example.org", name="Ana")
    contact = make_contact(db, "Ana", "Lopez", "ana@example.org")
    data = {
        "email": "ana.lopez@example.org",
        "display_name": "Ana Lopez",
        "contact_id": str(contact.id),
        "is_admin": "y",
        "is_active": "y",
    }
    response = post_form(admin_client, f"/admin/comptes/{target.id}", data)
    assert response.status_code == 200 and "Le compte est enregistré." in response.text
    (entry,) = _audit(db, "accounts.user.updated")
    assert entry.changes == {
        "email": ["ana@example.org", "ana.lopez@example.org"],
        "display_name": ["Ana", "Ana Lopez"],
        "is_admin": [False, True],
        "contact_id": [None, contact.id],
    }
    # the account's page shows its history, readably
    assert "Administrateur·rice : non → oui" in response.text
    again = post_form(admin_client, f"/admin/comptes/{target.id}", data)
    assert "Aucune modification." in again.text
    assert len(_audit(db, "accounts.user.updated")) == 1


def test_admin_sets_a_new_password(app: Starlette, admin_client: TestClient, db: Session) -> None:
    target = make_user(db, "ana@example.org", name="Ana")
    data = {
        "email": "ana@example.org",
        "display_name": "Ana",
        "is_active": "y",
        "new_password": "nouveau-depart",
    }
    assert post_form(admin_client, f"/admin/comptes/{target.id}", data).status_code == 200
    (entry,) = _audit(db, "accounts.user.updated")
    assert entry.changes == {"password": ["", "modifié"]}  # never the hash
    with TestClient(app) as ana:
        login(ana, "ana@example.org", "nouveau-depart")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"is_admin": ""}, "vos propres droits"),
        ({"is_active": ""}, "votre propre compte"),
    ],
)
def test_admins_cannot_lock_themselves_out(
    admin_client: TestClient, db: Session, changes: dict[str, str], message: str
) -> None:
    me = db.scalar(select(User).where(User.email == "chef@example.org"))
    assert me is not None
    data = {"email": me.email, "display_name": me.display_name, "is_admin": "y", "is_active": "y", **changes}
    data = {k: v for k, v in data.items() if v}
    response = post_form(admin_client, f"/admin/comptes/{me.id}", data)
    assert response.status_code == 400 and message in response.text
    refresh(db)
    assert db.get(User, me.id).is_admin and db.get(User, me.id).is_active  # type: ignore[union-attr]
    assert signed_in(admin_client)


def test_editing_oneself_keeps_ones_session(admin_client: TestClient, db: Session) -> None:
    me = db.scalar(select(User).where(User.email == "chef@example.org"))
    assert me is not None
    data = {"email": me.email, "display_name": "Cheffe", "is_admin": "y", "is_active": "y"}
    post_form(admin_client, f"/admin/comptes/{me.id}", {**data, "new_password": "encore-plus-long"})
    assert signed_in(admin_client)


def test_edit_bad_input_changes_nothing(admin_client: TestClient, db: Session) -> None:
    target = make_user(db, "ana@example.org", name="Ana", admin=True)
    make_user(db, "bob@example.org")
    version = target.session_version
    for data, message in [
        ({"email": "bob@example.org", "display_name": "Ana"}, "Un compte existe déjà"),
        ({"email": "ana@example.org", "display_name": ""}, "Ce champ est obligatoire."),
        ({"email": "ana@example.org", "display_name": "Ana", "new_password": "court"}, "au moins 10"),
        ({"email": "ana@example.org", "display_name": "<b>Ana</b>", "contact_id": "42"}, "choix"),
    ]:
        response = post_form(admin_client, f"/admin/comptes/{target.id}", data)
        assert response.status_code == 400, data
        assert message in response.text, data
    refresh(db)
    after = db.get(User, target.id)
    assert after is not None
    assert (after.email, after.display_name, after.is_admin, after.session_version) == (
        "ana@example.org",
        "Ana",
        True,
        version,
    )
    assert _count(db, AuditEntry) == 0


def test_unknown_account_is_a_french_404(admin_client: TestClient) -> None:
    response = admin_client.get("/admin/comptes/999999")
    assert response.status_code == 404
    assert "Ce compte n&#39;existe pas." in response.text


def test_admin_pages_are_not_cached(admin_client: TestClient) -> None:
    response = admin_client.get("/admin/comptes")
    assert response.headers["cache-control"] == "no-store"
    assert csrf_token(admin_client) in admin_client.get("/admin/comptes/nouveau").text
