"""Export: a person downloads their data from their account; an admin, anyone's."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.core.privacy.conftest import EMAIL, FULL, Person
from tests.helpers import login


def test_own_data_page_and_json_download(demo: Starlette, person: Person) -> None:
    with TestClient(demo) as client:
        login(client, EMAIL)
        page = client.get("/compte/mes-donnees")
        assert page.status_code == 200
        for table in ("contacts", "users", "invitations", "outbox", "audit_log"):
            assert f"<code>{table}</code>" in page.text
        response = client.get("/compte/mes-donnees.json")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert "attachment" in response.headers["content-disposition"]
        data = json.loads(response.text)
    tables = data["tables"]
    assert tables["users"][0]["email"] == EMAIL
    assert "password_hash" not in tables["users"][0]
    assert [c["id"] for c in tables["contacts"]] == [person.contact_id]
    assert any(FULL in (i["comment"] or "") for i in tables["invitations"])
    assert {row["recipient_email"] for row in tables["outbox"]} == {EMAIL}
    # the audit entries by her and about her contact
    actions = {row["action"] for row in tables["audit_log"]}
    assert {"directory.organisation.updated", "directory.contact.updated"} <= actions
    # someone else's data is not in it
    assert person.bystander_email not in json.dumps(tables["outbox"])


def test_own_data_zip_has_one_csv_per_table_and_the_json(demo: Starlette, person: Person) -> None:
    with TestClient(demo) as client:
        login(client, EMAIL)
        response = client.get("/compte/mes-donnees.zip")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"contacts.csv", "users.csv", "invitations.csv", "donnees.json"} <= names
    text = archive.read("contacts.csv").decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0]["email"] == EMAIL


def test_signed_out_visitors_are_sent_to_the_login(demo: Starlette) -> None:
    with TestClient(demo) as client:
        for url in ("/compte/mes-donnees", "/compte/mes-donnees.json", "/compte/mes-donnees.zip"):
            response = client.get(url, follow_redirects=False)
            assert response.status_code in (302, 303)
            assert "/compte/connexion" in response.headers["location"]


def test_admin_exports_any_contact_or_account(demo: Starlette, person: Person) -> None:
    with TestClient(demo) as client:
        login(client, "admin@example.org")
        by_contact = client.get(f"/admin/donnees-personnelles/contacts/{person.contact_id}/export.json")
        by_user = client.get(f"/admin/donnees-personnelles/comptes/{person.user_id}/export.zip")
        profile = client.get(f"/admin/comptes/{person.user_id}")
    assert by_contact.status_code == 200 and by_user.status_code == 200
    data = json.loads(by_contact.text)
    assert data["subject"]["user_ids"] == [person.user_id]
    assert data["subject"]["contact_ids"] == [person.contact_id]
    assert "users.csv" in zipfile.ZipFile(io.BytesIO(by_user.content)).namelist()
    assert f"/admin/donnees-personnelles/comptes/{person.user_id}" in profile.text
