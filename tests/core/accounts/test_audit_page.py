"""The audit log page: filters, pagination, readable changes; admins only."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.audit import services as audit
from core.audit.models import AuditEntry
from tests.core.accounts.factories import PASSWORD, make_user
from tests.helpers import login


def _entry(db: Session, at: datetime, action: str, actor_id: int | None, actor: str, **extra: object) -> None:
    db.add(AuditEntry(at=at, action=action, user_id=actor_id, actor=actor, **extra))  # type: ignore[arg-type]


def _arrange(db: Session) -> tuple[int, int]:
    chef = make_user(db, "chef@example.org", admin=True, name="Cheffe")
    nadia = make_user(db, "nadia@example.org", name="Nadia")
    _entry(
        db,
        datetime(2026, 2, 27, 23, 30, tzinfo=UTC),
        "directory.organisation.updated",
        nadia.id,
        "nadia@example.org",
        object_type="organisations",
        object_id="7",
        changes={
            "website": ["http://ancien.example.org", "https://valophis.fr"],
            "is_signatory": [False, True],
        },
    )
    _entry(
        db,
        datetime(2026, 2, 28, 23, 30, tzinfo=UTC),
        "accounts.user.created",
        chef.id,
        "chef@example.org",
        object_type="users",
        object_id=str(nadia.id),
        changes={"email": [None, "nadia@example.org"]},
    )
    _entry(
        db,
        datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
        "spaces.space.created",
        None,
        "système",
        object_type="spaces",
        object_id="3",
        summary="Import initial",
    )
    db.commit()
    return chef.id, nadia.id


def _rows(client: TestClient, query: str = "") -> list[str]:
    text = client.get("/admin/journal" + (f"?{query}" if query else "")).text
    found = []
    for action in ("directory.organisation.updated", "Compte créé", "spaces.space.created"):
        if f"<td>{action}" in text:
            found.append(action)
    return found


def test_the_log_and_its_filters(client: TestClient, db: Session) -> None:
    _, nadia_id = _arrange(db)
    login(client, "chef@example.org", PASSWORD)
    page = client.get("/admin/journal")
    assert page.status_code == 200
    # newest first, the changes readable, the system shown as such
    assert page.text.index("<td>spaces.space.created") < page.text.index("<td>directory.organisation.updated")
    assert "Import initial" in page.text and "système" in page.text
    assert "Site web" in page.text and "https://valophis.fr" in page.text
    assert "avant : non ; après : oui" in page.text  # booleans in words
    assert "avant : — ; après : nadia@example.org" in page.text  # empty values as dashes
    assert "dimanche 1 mars 2026, 11 h 00" in page.text  # Paris time

    assert _rows(client, "action=accounts.user.created") == ["Compte créé"]
    assert _rows(client, f"user={nadia_id}") == ["directory.organisation.updated"]
    assert _rows(client, "object_type=spaces") == ["spaces.space.created"]
    # days are Paris days: 27 Feb 23:30 UTC is already 28 Feb in Paris
    assert _rows(client, "since=2026-02-28&until=2026-02-28") == ["directory.organisation.updated"]
    assert _rows(client, "since=2026-03-01") == ["Compte créé", "spaces.space.created"]
    assert _rows(client, "until=2026-02-27") == []
    assert "Aucune entrée ne correspond." in client.get("/admin/journal?until=2026-02-27").text


def test_bad_filters_are_answered_in_french(client: TestClient, db: Session) -> None:
    _arrange(db)
    login(client, "chef@example.org", PASSWORD)
    for query, message in [
        ("since=31/02/2026", "date valide"),
        ("since=2026-03-02&until=2026-03-01", "La date de fin précède la date de début."),
        ("action=<script>x</script>", "choix valide"),
        ("user=abc", "choix valide"),
    ]:
        response = client.get(f"/admin/journal?{query}")
        assert response.status_code == 400, query
        assert message in response.text, query
        assert "<script>x</script>" not in response.text


def test_pagination_keeps_the_filters(client: TestClient, db: Session) -> None:
    chef_id, _ = _arrange(db)
    for i in range(60):
        _entry(
            db,
            datetime(2026, 3, 1, 12, i, tzinfo=UTC),
            "accounts.user.updated",
            chef_id,
            "chef@example.org",
            object_type="users",
            object_id="1",
            changes={"display_name": [f"Nom {i}", f"Nom {i + 1}"]},
        )
    db.commit()
    login(client, "chef@example.org", PASSWORD)
    first = client.get("/admin/journal?action=accounts.user.updated")
    assert "60 entrée(s)" in first.text and "Page 1 sur 2" in first.text
    assert "action=accounts.user.updated" in first.text.split('rel="next"')[0].rsplit("href=", 1)[1]
    second = client.get("/admin/journal?action=accounts.user.updated&page=2")
    assert "Page 2 sur 2" in second.text and "Nom 0" in second.text and "Nom 59" not in second.text


def test_non_admins_cannot_read_the_log(client: TestClient, db: Session) -> None:
    _arrange(db)
    login(client, "nadia@example.org", PASSWORD)
    assert client.get("/admin/journal").status_code == 403


def test_readable_changes() -> None:
    lines = audit.readable_changes({"is_admin": [False, True], "tags": [["a", "b"], []], "x": "seul"})
    assert [(line.label, line.before, line.after) for line in lines] == [
        ("Administrateur·rice", "non", "oui"),
        ("tags", "a, b", "—"),
        ("x", "—", "seul"),
    ]
    assert audit.readable_changes(None) == []
