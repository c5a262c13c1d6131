"""The public JSON API: public meetings only, filters, pagination, JSON errors, CORS, OpenAPI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openapi_spec_validator import validate
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.calendar.models import CANCELLED, MEMBERS
from tests.core.api.meeting_data import make_meeting, make_space, many_meetings

PARIS = ZoneInfo("Europe/Paris")
ORIGIN = {"Origin": "https://www.ville-exemple.fr"}


@pytest.fixture
def meetings(db: Session) -> dict[str, Any]:
    """Two spaces with public, members-only and cancelled meetings."""
    emploi = make_space(db, "gt-emploi", "Groupe technique emploi")
    sante = make_space(db, "gt-sante", "Groupe technique santé")
    data = {
        "pleniere": make_meeting(
            db,
            emploi,
            datetime(2026, 3, 10, 14, 0, tzinfo=PARIS),
            title="Plénière de printemps",
            kind="core.pleniere",
            description="Bilan",
            location="Hôtel de ville",
            room="Salle 3",
            online_url="https://visio.example.org/pleniere",
        ),
        "atelier": make_meeting(
            db, sante, datetime(2026, 7, 2, 9, 30, tzinfo=PARIS), title="Atelier santé", kind="core.atelier"
        ),
        "annulee": make_meeting(
            db,
            emploi,
            datetime(2026, 3, 12, 10, 0, tzinfo=PARIS),
            title="Réunion annulée",
            status=CANCELLED,
            sequence=1,
        ),
        "reservee": make_meeting(
            db, emploi, datetime(2026, 3, 11, 10, 0, tzinfo=PARIS), title="Réservée", visibility=MEMBERS
        ),
    }
    db.commit()
    return data


def titles(response: Any) -> list[str]:
    return [item["title"] for item in response.json()["items"]]


def test_list_shows_public_meetings_with_every_field(client: TestClient, meetings: dict[str, Any]) -> None:
    response = client.get("/api/v1/meetings", headers=ORIGIN)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    body = response.json()
    assert body["total"] == 3
    assert titles(response) == ["Plénière de printemps", "Réunion annulée", "Atelier santé"]
    pleniere = meetings["pleniere"]
    assert body["items"][0] == {
        "id": pleniere.id,
        "uid": pleniere.uid,
        "title": "Plénière de printemps",
        "description": "Bilan",
        "kind": "core.pleniere",
        "kind_label": "Plénière",
        "space": {"slug": "gt-emploi", "name": "Groupe technique emploi"},
        "starts_at": "2026-03-10T14:00:00+01:00",
        "ends_at": "2026-03-10T16:00:00+01:00",
        "timezone": "Europe/Paris",
        "location": "Hôtel de ville",
        "room": "Salle 3",
        "online_url": "https://visio.example.org/pleniere",
        "status": "scheduled",
        "sequence": 0,
        "url": f"http://testserver/agenda/reunions/{pleniere.id}",
        "ics_url": f"http://testserver/ical/reunions/{pleniere.id}.ics",
    }
    assert body["items"][1]["status"] == "cancelled"
    assert body["items"][2]["starts_at"] == "2026-07-02T09:30:00+02:00"  # summer time
    assert "Réservée" not in response.text


def test_filters(client: TestClient, meetings: dict[str, Any]) -> None:
    assert titles(client.get("/api/v1/meetings?space=gt-sante")) == ["Atelier santé"]
    assert titles(client.get("/api/v1/meetings?kind=core.pleniere")) == ["Plénière de printemps"]
    assert titles(client.get("/api/v1/meetings?status=cancelled")) == ["Réunion annulée"]
    # from/to are Paris days, both included
    assert titles(client.get("/api/v1/meetings?from=2026-03-11&to=2026-03-12")) == ["Réunion annulée"]
    assert titles(client.get("/api/v1/meetings?to=2026-03-10")) == ["Plénière de printemps"]
    assert titles(client.get("/api/v1/meetings?from=2026-07-02")) == ["Atelier santé"]
    assert titles(client.get("/api/v1/meetings?space=gt-emploi&from=2026-03-11")) == ["Réunion annulée"]
    assert client.get("/api/v1/meetings?from=2027-01-01").json() == {
        "total": 0,
        "limit": 20,
        "offset": 0,
        "next": None,
        "previous": None,
        "items": [],
    }


def test_pagination(client: TestClient, db: Session) -> None:
    space = make_space(db, "gt")
    many_meetings(db, space, 7, datetime(2026, 4, 1, 8, 0, tzinfo=UTC), visibility="public")
    db.commit()
    first = client.get("/api/v1/meetings?limit=3&space=gt").json()
    assert first["total"] == 7
    assert [m["title"] for m in first["items"]] == ["Réunion n° 0", "Réunion n° 1", "Réunion n° 2"]
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/meetings?limit=3&space=gt&offset=3"
    second = client.get(first["next"]).json()
    assert [m["title"] for m in second["items"]] == ["Réunion n° 3", "Réunion n° 4", "Réunion n° 5"]
    assert second["previous"] == "http://testserver/api/v1/meetings?limit=3&space=gt&offset=0"
    last = client.get(second["next"]).json()
    assert [m["title"] for m in last["items"]] == ["Réunion n° 6"]
    assert last["next"] is None
    assert client.get("/api/v1/meetings").json()["limit"] == 20
    assert client.get("/api/v1/meetings?limit=100").json()["limit"] == 100


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("from=10/03/2026", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-03-12&to=2026-03-11", "to"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=dix", "limit"),
        ("offset=-1", "offset"),
        ("kind=core.inconnu", "kind"),
        ("status=reportee", "status"),
        ("space=nulle-part", "space"),
    ],
)
def test_bad_parameters_get_a_json_400(
    client: TestClient, meetings: dict[str, Any], query: str, parameter: str
) -> None:
    response = client.get(f"/api/v1/meetings?{query}", headers=ORIGIN)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    body = response.json()
    assert body["parameter"] == parameter
    assert isinstance(body["error"], str) and body["error"]


def test_detail(client: TestClient, meetings: dict[str, Any]) -> None:
    pleniere = meetings["pleniere"]
    response = client.get(f"/api/v1/meetings/{pleniere.id}", headers=ORIGIN)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json()["uid"] == pleniere.uid
    for missing in (meetings["reservee"].id, 999_999):
        absent = client.get(f"/api/v1/meetings/{missing}", headers=ORIGIN)
        assert absent.status_code == 404
        assert absent.json() == {"error": "Aucune réunion publique ne porte ce numéro."}
        assert absent.headers["access-control-allow-origin"] == "*"
    assert client.get("/api/v1/nulle-part").json() == {"error": "Page introuvable"}


def test_cors_preflight_allows_get_only(client: TestClient) -> None:
    preflight = client.options("/api/v1/meetings", headers={**ORIGIN, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    refused = client.options("/api/v1/meetings", headers={**ORIGIN, "Access-Control-Request-Method": "POST"})
    assert refused.status_code == 400


def test_openapi_document_is_valid_and_lists_both_paths(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json", headers=ORIGIN)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "http://testserver/api/v1"}]
    assert set(document["paths"]) == {"/meetings", "/meetings/{meeting_id}"}
    listing = document["paths"]["/meetings"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {
        "space",
        "from",
        "to",
        "kind",
        "status",
        "limit",
        "offset",
    }
    assert set(listing["responses"]) == {"200", "400"}
    assert set(document["paths"]["/meetings/{meeting_id}"]["get"]["responses"]) == {"200", "404"}
    fields = document["components"]["schemas"]["Meeting"]["properties"]
    assert {
        "id",
        "uid",
        "title",
        "space",
        "starts_at",
        "ends_at",
        "status",
        "sequence",
        "url",
        "ics_url",
    } <= set(fields)


def test_list_queries_do_not_grow_with_the_page(client: TestClient, db: Session, app: Starlette) -> None:
    space = make_space(db, "gt")
    many_meetings(
        db, space, 100, datetime(2026, 4, 1, 8, 0, tzinfo=UTC) + timedelta(hours=1), visibility="public"
    )
    db.commit()
    counts = []
    for limit in (2, 100):
        statements: list[str] = []

        def record(*args: Any, statements: list[str] = statements) -> None:
            statements.append(args[2])

        event.listen(app.state.reseau.engine, "before_cursor_execute", record)
        try:
            assert len(client.get(f"/api/v1/meetings?limit={limit}&space=gt").json()["items"]) == limit
        finally:
            event.remove(app.state.reseau.engine, "before_cursor_execute", record)
        counts.append(len(statements))
    assert counts[0] == counts[1]
