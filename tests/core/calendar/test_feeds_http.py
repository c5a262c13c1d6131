"""Feeds over HTTP: conditional GET, a bounded number of queries, the shared event cache."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.calendar import feeds, ics
from core.calendar.feed_models import FeedEventCache
from core.calendar.models import MEMBERS, PUBLIC, Meeting
from tests.core.api.meeting_data import PASSWORD, make_person, make_space, many_meetings, parse_feed
from tests.helpers import login, post_form

FIRST = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@contextmanager
def counting_queries(app: Starlette) -> Iterator[list[str]]:
    """Collect the SQL statements the app runs inside the block."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = app.state.reseau.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_conditional_get_answers_304_until_the_feed_changes(client: TestClient, db: Session) -> None:
    space = make_space(db, "gt")
    meetings = many_meetings(db, space, 3, FIRST, visibility=PUBLIC)
    db.commit()
    first = client.get("/ical/public.ics")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["cache-control"] == "public, no-cache"
    last_modified = parsedate_to_datetime(first.headers["last-modified"])
    assert last_modified == max(m.updated_at for m in meetings).replace(microsecond=0)

    for header in (etag, f"W/{etag}", f'"autre", {etag}', "*"):
        again = client.get("/ical/public.ics", headers={"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.content == b""
        assert again.headers["etag"] == etag
    assert client.get("/ical/public.ics", headers={"If-None-Match": '"autre"'}).status_code == 200

    # a meeting that leaves the feed changes its ETag, even though no remaining meeting changed
    db.execute(update(Meeting).where(Meeting.id == meetings[1].id).values(visibility=MEMBERS))
    db.commit()
    changed = client.get("/ical/public.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    _, events = parse_feed(changed.content)
    assert set(events) == {meetings[0].uid, meetings[2].uid}


def test_private_feed_answers_304_too(client: TestClient, db: Session) -> None:
    space = make_space(db, "gt")
    make_person(db, "nadia.benali@example.org", member_of=(space,))
    many_meetings(db, space, 2, FIRST)
    db.commit()
    login(client, "nadia.benali@example.org", PASSWORD)
    page = post_form(client, "/ical/abonnement/lien")
    path = page.text.split('value="http://testserver', 1)[1].split('"', 1)[0]
    client.cookies.clear()
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "private, no-cache"
    again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == "private, no-cache"


@pytest.mark.parametrize("by_id_limit", [500, 5], ids=["missing-by-id", "missing-by-criteria"])
def test_feed_queries_do_not_grow_with_its_meetings(
    client: TestClient, db: Session, app: Starlette, monkeypatch: pytest.MonkeyPatch, by_id_limit: int
) -> None:
    monkeypatch.setattr(feeds, "_BY_ID_LIMIT", by_id_limit)
    small = make_space(db, "petit")
    large = make_space(db, "grand")
    for visibility in (PUBLIC, MEMBERS):
        many_meetings(db, small, 10, FIRST, visibility=visibility)
        many_meetings(db, large, 300, FIRST, visibility=visibility)
    make_person(db, "petit@example.org", member_of=(small,))
    make_person(db, "grand@example.org", member_of=(large,))
    db.commit()

    def private_path(email: str) -> str:
        login(client, email, PASSWORD)
        page = post_form(client, "/ical/abonnement/lien")
        client.cookies.clear()
        return page.text.split('value="http://testserver', 1)[1].split('"', 1)[0]

    paths = {"petit": private_path("petit@example.org"), "grand": private_path("grand@example.org")}

    def queries(url: str, **headers: str) -> tuple[int, bytes]:
        with counting_queries(app) as statements:
            response = client.get(url, headers=headers)
        assert response.status_code in (200, 304)
        return len(statements), response.content

    for urls in (
        ("/ical/espaces/petit.ics", "/ical/espaces/grand.ics"),
        (paths["petit"], paths["grand"]),
    ):
        cold_small, body_small = queries(urls[0])
        cold_large, body_large = queries(urls[1])
        assert body_large.count(b"BEGIN:VEVENT") > body_small.count(b"BEGIN:VEVENT") >= 10
        assert cold_small == cold_large
        runtime = app.state.reseau.extras["feeds"]
        runtime.cache.clear()  # a fresh worker: events come from the table
        runtime.bodies.clear()
        assert queries(urls[0])[0] == queries(urls[1])[0]
        warm = [queries(url) for url in urls]
        assert warm[0][0] == warm[1][0]
        assert warm[1][1] == body_large
        etags = [client.get(url).headers["etag"] for url in urls]
        assert (
            queries(urls[0], **{"If-None-Match": etags[0]})[0]
            == queries(urls[1], **{"If-None-Match": etags[1]})[0]
        )


def test_events_are_shared_between_workers_and_rebuilt_when_stale(
    make_app: Callable[..., Starlette], db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = make_space(db, "gt")
    meetings = many_meetings(db, space, 4, FIRST, visibility=PUBLIC)
    db.commit()
    with TestClient(make_app()) as first_worker:
        body = first_worker.get("/ical/public.ics").content
    stored = {mid: body for mid, body in db.execute(select(FeedEventCache.meeting_id, FeedEventCache.body))}
    assert set(stored) == {m.id for m in meetings}
    assert all(b.startswith(b"BEGIN:VEVENT") for b in stored.values())

    built: list[int] = []
    real_meeting_event = ics.meeting_event

    def counting_meeting_event(meeting: Meeting, *args: Any, **kwargs: Any) -> Any:
        built.append(meeting.id)
        return real_meeting_event(meeting, *args, **kwargs)

    monkeypatch.setattr(ics, "meeting_event", counting_meeting_event)
    with TestClient(make_app()) as second_worker:
        assert second_worker.get("/ical/public.ics").content == body
    assert built == []  # nothing serialised again

    # a stored event that no longer matches its meeting is rebuilt, never served
    db.execute(update(FeedEventCache).where(FeedEventCache.meeting_id == meetings[2].id).values(body=b"X"))
    db.execute(
        update(FeedEventCache).where(FeedEventCache.meeting_id == meetings[2].id).values(fingerprint="périmé")
    )
    db.commit()
    with TestClient(make_app()) as third_worker:
        assert third_worker.get("/ical/public.ics").content == body
    assert built == [meetings[2].id]
    db.rollback()
    assert db.scalar(select(FeedEventCache.body).where(FeedEventCache.meeting_id == meetings[2].id)) != b"X"


def test_caches_are_bounded_in_entries_and_bytes() -> None:
    cache = feeds.BytesCache(max_items=3, max_bytes=10)
    cache.put_many([(f"{i}|0", b"%d" % i) for i in range(3)])
    assert cache.get_many(["0|0"]) == [b"0"]  # 0 is now the most recent
    cache.put_many([("3|0", b"3")])
    assert len(cache) == 3
    assert cache.get_many(["1|0", "0|0", "3|0"]) == [None, b"0", b"3"]
    cache.put_many([("long", b"123456789")])  # 9 bytes: only room for one more byte
    assert (len(cache), cache.size) == (2, 10)
    assert cache.get("long") == b"123456789"
    cache.put_many([("huge", b"x" * 11)])  # larger than the whole cache: not kept
    assert cache.get("huge") is None and cache.size == 10


def test_validators_query_agrees_with_the_full_plan(app: Starlette, db: Session) -> None:
    """The single-row ETag query (used for If-None-Match) and the full build give the same ETag."""
    space = make_space(db, "sante", "Santé, égalité & «accès aux droits»")
    many_meetings(db, space, 12, FIRST, visibility=PUBLIC)
    many_meetings(db, make_space(db, "vide"), 0, FIRST)
    db.commit()
    runtime = feeds.FeedRuntime(
        meeting_url=lambda mid: f"http://testserver/agenda/reunions/{mid}", base_url="x"
    )
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for spec in (feeds.public_feed(), feeds.space_feed(space)):
        plan = feeds.plan_feed(db, spec, now=now, runtime=runtime)
        assert len(plan.ids) == 12
        assert feeds.feed_validators(db, spec, now=now, runtime=runtime) == (plan.etag, plan.last_modified)
    empty = feeds.FeedSpec("Vide", "", Meeting.id < 0)
    plan = feeds.plan_feed(db, empty, now=now, runtime=runtime)
    assert feeds.feed_validators(db, empty, now=now, runtime=runtime) == (plan.etag, None)
