"""Month, week and list views: accessible markup, filters, visibility, DST days."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.calendar.invitations import invite_contacts
from tests.core.calendar.conftest import World
from tests.helpers import login

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_month_grid_is_an_accessible_table(client: TestClient, world: World) -> None:
    meeting = world.meeting(title="Plénière publique", visibility="public")
    page = client.get("/agenda/", params={"month": "2026-03"})
    assert page.status_code == 200
    html = page.text
    assert "<caption>Mars 2026 – 1 réunion</caption>" in html
    assert html.count('<th scope="col"') == 8  # week column + 7 days
    assert '<abbr title="lundi">lun.</abbr>' in html
    assert html.count('<th scope="row"') == 6  # March 2026 spans six weeks (Mon 23 Feb … Sun 5 Apr)
    # today (2 March) is marked for everyone, in words too
    today_cell = re.search(r'<td class="[^"]*is-today"[^>]*aria-current="date">(.*?)</td>', html, re.S)
    assert today_cell and "lundi 2 mars 2026" in today_cell.group(1) and "aujourd'hui" in today_cell.group(1)
    assert f'href="/agenda/reunions/{meeting.id}"' in html and "14 h 00 Plénière publique" in html
    assert 'rel="prev"' in html and "month=2026-02" in html and "month=2026-04" in html
    assert "Février 2026" in html and "Avril 2026" in html


def test_month_parameter_falls_back_to_the_current_month(client: TestClient, world: World) -> None:
    for bad in ("nimporte", "2026-13", "99999-01"):
        assert "Mars 2026" in client.get("/agenda/", params={"month": bad}).text


def test_multi_day_meeting_shows_on_each_day(client: TestClient, world: World) -> None:
    world.meeting(
        title="Formation",
        start=datetime(2026, 3, 16, 8, 0, tzinfo=UTC),
        hours=24 * 2 + 8,
        visibility="public",
    )
    html = client.get("/agenda/", params={"month": "2026-03"}).text
    assert html.count("Formation") == 3
    assert html.count("(suite)") == 2


def test_members_only_meetings_are_hidden_from_outsiders(client: TestClient, world: World) -> None:
    world.meeting(title="Réunion interne A")
    world.meeting(title="Rencontre publique", visibility="public")
    views = [
        "/agenda/?month=2026-03",
        "/agenda/semaine?date=2026-03-10",
        "/agenda/liste?start=2026-03-01&end=2026-03-31",
    ]
    for path in views:
        html = client.get(path).text
        assert "Rencontre publique" in html and "Réunion interne A" not in html, path
    login(client, "olga@example.org")
    for path in views:
        assert "Réunion interne A" not in client.get(path).text, path
    login(client, "marc@example.org")
    for path in views:
        assert "Réunion interne A" in client.get(path).text, path


def test_invited_outsider_sees_the_members_only_meeting(
    client: TestClient, world: World, db: Session
) -> None:
    meeting = world.meeting(title="Réunion interne A")
    invite_contacts(db, None, meeting, [world.olga], now=NOW)
    db.commit()
    login(client, "olga@example.org")
    assert "Réunion interne A" in client.get("/agenda/?month=2026-03").text
    assert client.get(f"/agenda/reunions/{meeting.id}").status_code == 200


def test_filters_by_space_kind_and_mine(client: TestClient, world: World, db: Session) -> None:
    world.meeting(title="Comité A", kind="core.comite", visibility="public")
    world.meeting(title="Atelier B", kind="core.atelier", space_id=world.space_b, visibility="public")
    b_invite = world.meeting(
        title="Plénière B", kind="core.pleniere", space_id=world.space_b, visibility="public"
    )
    invite_contacts(db, None, b_invite, [world.marc], now=NOW)
    db.commit()
    base = "/agenda/liste?start=2026-03-01&end=2026-03-31"
    html = client.get(base + f"&space={world.space_b}").text
    assert "Atelier B" in html and "Plénière B" in html and "Comité A" not in html
    html = client.get(base + "&kind=core.comite").text
    assert "Comité A" in html and "Atelier B" not in html
    # "mine" means nothing to an anonymous visitor
    assert "Atelier B" in client.get(base + "&mine=1").text
    login(client, "marc@example.org")
    html = client.get(base + "&mine=1").text
    assert "Comité A" in html and "Plénière B" in html and "Atelier B" not in html
    # filters are kept by the view switch and the month links
    month = client.get("/agenda/", params={"space": world.space_b, "month": "2026-03"}).text
    assert f"space={world.space_b}" in month.split('rel="prev"')[0].rsplit("href=", 1)[1]
    assert f"/agenda/liste?space={world.space_b}" in month


def test_week_view_and_dst_day(client: TestClient, world: World) -> None:
    world.meeting(
        title="Nuit du changement d'heure",
        start=datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        hours=1,
        visibility="public",
    )
    html = client.get("/agenda/semaine", params={"date": "2026-10-22"}).text
    assert "Semaine du 19 octobre au 25 octobre 2026" in html
    assert "Dimanche 25 octobre 2026" in html
    assert "02 h 30 – 03 h 30" in html  # 01:30 UTC is the second 02:30 in Paris
    assert html.count('<h2 id="day-') == 7
    assert "Aucune réunion." in html


def test_list_view_range_and_pagination(client: TestClient, world: World) -> None:
    for day in range(1, 6):
        world.meeting(
            title=f"Réunion {day}", start=datetime(2026, 4, day, 8, 0, tzinfo=UTC), visibility="public"
        )
    html = client.get("/agenda/liste", params={"start": "2026-04-02", "end": "2026-04-04"}).text
    assert "3 réunions sur la période" in html
    assert "Réunion 1" not in html and "Réunion 2" in html and "Réunion 4" in html and "Réunion 5" not in html
    clamped = client.get("/agenda/liste", params={"start": "2026-01-01", "end": "2029-01-01"}).text
    assert "limitée à un an" in clamped
    # reversed dates are swapped rather than refused
    assert (
        "3 réunions" in client.get("/agenda/liste", params={"start": "2026-04-04", "end": "2026-04-02"}).text
    )


def test_cancelled_meetings_stay_visible_marked(client: TestClient, world: World, db: Session) -> None:
    from core.calendar import services

    meeting = world.meeting(title="Réunion reportée", visibility="public")
    services.cancel_meeting(db, None, meeting, "Report", now=NOW)
    db.commit()
    html = client.get("/agenda/liste?start=2026-03-01&end=2026-03-31").text
    assert "Réunion reportée" in html and "annulée" in html


def test_meeting_page_shows_details_and_links(client: TestClient, world: World) -> None:
    meeting = world.meeting(
        title="Hybride",
        room="Salle 2",
        location="Mairie",
        online_url="https://visio.example.org/h",
        visibility="public",
        description="Ligne 1\nLigne 2",
    )
    html = client.get(f"/agenda/reunions/{meeting.id}").text
    assert "Salle 2, Mairie" in html
    assert 'href="https://visio.example.org/h"' in html
    assert "Ligne 1\nLigne 2" in html
    assert "Ordre du jour" in html
    # anonymous visitors do not see who is invited
    assert "Voir le détail des réponses" not in html


def test_meeting_page_never_links_a_javascript_url(client: TestClient, world: World, db: Session) -> None:
    meeting = world.meeting(title="Ancienne donnée", visibility="public")
    meeting.online_url = "javascript:alert(1)"  # as if written by an old import, bypassing the services
    db.commit()
    html = client.get(f"/agenda/reunions/{meeting.id}").text
    assert "javascript:" not in html
