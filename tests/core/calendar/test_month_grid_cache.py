"""The month grid is rendered once per content and reused: never stale, never shown to the
wrong viewer, in the wrong language or with the wrong day marked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup
from starlette.testclient import TestClient

from core.calendar.fragments import FragmentCache
from core.calendar.models import Meeting
from tests.core.calendar.conftest import World, fresh
from tests.helpers import login, logout


def _grids(client: TestClient) -> FragmentCache:
    return client.app.state.reseau.extras["calendar.grids"]  # type: ignore[attr-defined]


def test_the_same_month_is_rendered_once_and_served_identically(client: TestClient, world: World) -> None:
    world.meeting(title="Plénière publique", visibility="public")
    first = client.get("/agenda/", params={"month": "2026-03"}).text
    grids = _grids(client)
    assert (grids.misses, grids.hits) == (1, 0)
    second = client.get("/agenda/", params={"month": "2026-03"}).text
    assert (grids.misses, grids.hits) == (1, 1)
    assert "14 h 00 Plénière publique" in second
    # the page around the grid is the page's own (the CSRF token of the filter form may differ)
    assert first.split('<div class="table-scroll"')[1] == second.split('<div class="table-scroll"')[1]


def test_a_changed_meeting_is_never_served_from_an_old_grid(client: TestClient, world: World) -> None:
    meeting = world.meeting(title="Plénière publique", visibility="public")
    assert "Plénière publique" in client.get("/agenda/", params={"month": "2026-03"}).text
    db = fresh(world.db)
    row = db.get(Meeting, meeting.id)
    row.title = "Plénière renommée"
    db.commit()
    html = client.get("/agenda/", params={"month": "2026-03"}).text
    assert "Plénière renommée" in html and "Plénière publique" not in html
    row = fresh(db).get(Meeting, meeting.id)
    row.status = "cancelled"
    db.commit()
    html = client.get("/agenda/", params={"month": "2026-03"}).text
    assert 'class="is-cancelled"' in html and "annulée" in html
    # a meeting added to the month is a new grid too
    world.meeting(title="Atelier ajouté", visibility="public", start=datetime(2026, 3, 20, 9, tzinfo=UTC))
    html = client.get("/agenda/", params={"month": "2026-03"}).text
    assert "Atelier ajouté" in html and "2 réunions" in html
    assert _grids(client).hits == 0


def test_a_grid_seen_by_an_admin_is_not_shown_to_an_anonymous_visitor(client: TestClient, world: World) -> None:
    world.meeting(title="Réunion interne A")  # members only
    world.meeting(title="Rencontre publique", visibility="public", start=datetime(2026, 3, 12, 9, tzinfo=UTC))
    login(client, "admin@example.org")
    assert "Réunion interne A" in client.get("/agenda/", params={"month": "2026-03"}).text
    logout(client)
    html = client.get("/agenda/", params={"month": "2026-03"}).text
    assert "Rencontre publique" in html and "Réunion interne A" not in html


def test_language_and_filters_are_part_of_the_key(client: TestClient, world: World) -> None:
    world.meeting(title="Plénière publique", visibility="public")
    world.meeting(title="Comité B", visibility="public", space_id=world.space_b)
    assert "<caption>Mars 2026 – 2 réunions</caption>" in client.get("/agenda/?month=2026-03").text
    english = client.get("/agenda/?month=2026-03&lang=en").text
    assert "<caption>March 2026 – 2 meetings</caption>" in english
    filtered = client.get(f"/agenda/?month=2026-03&space={world.space_b}").text
    assert "Comité B" in filtered and "Plénière publique" not in filtered
    # the week links of a filtered grid keep the filter
    assert f"?date=2026-02-23&amp;space={world.space_b}" in filtered


def test_the_day_marked_as_today_follows_the_clock(make_app: Any, world: World) -> None:
    app = make_app()
    with TestClient(app) as client:
        state = app.state.reseau
        state.clock = lambda: datetime(2026, 3, 2, 9, tzinfo=UTC)
        assert 'aria-current="date"' in client.get("/agenda/?month=2026-03").text
        state.clock = lambda: datetime(2026, 6, 15, 9, tzinfo=UTC)  # in June, the March grid has no today
        assert 'aria-current="date"' not in client.get("/agenda/?month=2026-03").text


def test_the_cache_keeps_the_most_recently_used_fragments() -> None:
    cache = FragmentCache(size=2)
    renders: list[str] = []

    def render(name: str) -> Any:
        return lambda: renders.append(name) or Markup(f"<p>{name}</p>")

    cache.get_or_render("a", render("a"))
    cache.get_or_render("b", render("b"))
    assert cache.get_or_render("a", render("a")) == Markup("<p>a</p>")  # a is now the most recent
    cache.get_or_render("c", render("c"))  # evicts b
    cache.get_or_render("a", render("a"))
    cache.get_or_render("b", render("b"))
    assert renders == ["a", "b", "c", "b"] and len(cache) == 2
