"""Per-meeting .ics files and public feeds, read back with icalendar and vobject."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import vobject
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.calendar import ics
from core.calendar.feed_routes import meeting_path, meeting_url
from core.calendar.models import CANCELLED, MEMBERS
from tests.core.api.meeting_data import make_meeting, make_person, make_space, parse_feed
from tests.helpers import login

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    """An aware datetime from a Paris wall time (never ambiguous in these tests unless fold is set)."""
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def test_meeting_ics_is_a_calendar_attachment(client: TestClient, db: Session) -> None:
    space = make_space(db, "gt-emploi", "Groupe technique emploi")
    meeting = make_meeting(
        db,
        space,
        paris(2026, 3, 10, 14, 0),
        title="Comité de suivi",
        description="Bilan annuel",
        location="Hôtel de ville, 2 place de la Libération",
        room="Salle 3",
        online_url="https://visio.example.org/comite",
    )
    db.commit()
    response = client.get(f"/ical/reunions/{meeting.id}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert (
        response.headers["content-disposition"]
        == f'attachment; filename="reunion-2026-03-10-{meeting.id}.ics"'
    )
    calendar, events = parse_feed(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    event = events[meeting.uid]
    assert event.sequence == 0
    assert event.start_tzid == "Europe/Paris"
    assert event.start == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
    assert event.end == datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    assert event.status == "CONFIRMED"
    assert event.url == f"http://testserver/agenda/reunions/{meeting.id}"
    assert event.location == "Salle 3, Hôtel de ville, 2 place de la Libération"
    assert "https://visio.example.org/comite" in event.description
    assert str(event.raw["CONFERENCE"]) == "https://visio.example.org/comite"
    assert event.raw["CATEGORIES"].cats == ["Groupe technique emploi"]


def test_meeting_ics_follows_who_may_see_the_meeting(client: TestClient, db: Session) -> None:
    space = make_space(db, "equipe")
    other = make_space(db, "autre")
    meeting = make_meeting(db, space, paris(2026, 3, 10, 14, 0), visibility=MEMBERS)
    make_person(db, "membre@example.org", member_of=(space,))
    make_person(db, "etranger@example.org", member_of=(other,))
    db.commit()
    url = f"/ical/reunions/{meeting.id}.ics"
    anonymous = client.get(url, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/compte/connexion?next=")
    assert client.get(f"/ical/reunions/{meeting.id + 1000}.ics").status_code == 404

    login(client, "etranger@example.org", "mot-de-passe-de-test")
    assert client.get(url).status_code == 404
    login(client, "membre@example.org", "mot-de-passe-de-test")
    response = client.get(url)
    assert response.status_code == 200
    _, events = parse_feed(response.content)
    assert events[meeting.uid].raw["CLASS"] == "PRIVATE"


def test_public_feed_holds_public_meetings_of_the_window(client: TestClient, db: Session) -> None:
    # the test clock is 2 March 2026: the window starts on 2 March 2025
    space = make_space(db, "plateforme", "Plateforme emploi")
    other = make_space(db, "club", "Club entreprises")
    recent = make_meeting(db, space, paris(2025, 4, 1, 10, 0), title="Il y a onze mois")
    old = make_meeting(db, space, paris(2025, 2, 1, 10, 0), title="Il y a treize mois")
    future = make_meeting(db, other, paris(2030, 1, 15, 10, 0), title="Dans quatre ans")
    hidden = make_meeting(db, space, paris(2026, 4, 1, 10, 0), title="Réservée", visibility=MEMBERS)
    cancelled = make_meeting(
        db,
        space,
        paris(2026, 5, 1, 10, 0),
        title="Annulée",
        status=CANCELLED,
        sequence=1,
        cancel_reason="Salle indisponible",
    )
    db.commit()
    response = client.get("/ical/public.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar, events = parse_feed(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Réseau – réunions publiques"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert set(events) == {recent.uid, future.uid, cancelled.uid}
    assert old.uid not in events and hidden.uid not in events
    assert events[cancelled.uid].status == "CANCELLED"
    assert events[cancelled.uid].sequence == 1
    assert "Salle indisponible" in events[cancelled.uid].description
    assert events[recent.uid].status == "CONFIRMED"
    for event in events.values():
        assert event.start_tzid == "Europe/Paris"
        assert event.url.startswith("http://testserver/agenda/reunions/")
    # events come in a stable order (by meeting), so the same data always gives the same bytes
    assert list(events) == [recent.uid, future.uid, cancelled.uid]


def test_space_feed_holds_that_space_public_meetings(client: TestClient, db: Session) -> None:
    space = make_space(db, "gt-sante", "Groupe technique santé")
    other = make_space(db, "gt-logement")
    mine = make_meeting(db, space, paris(2026, 4, 2, 9, 30))
    make_meeting(db, space, paris(2026, 4, 3, 9, 30), visibility=MEMBERS)
    make_meeting(db, other, paris(2026, 4, 4, 9, 30))
    db.commit()
    response = client.get("/ical/espaces/gt-sante.ics")
    assert response.status_code == 200
    calendar, events = parse_feed(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Réseau – Groupe technique santé"
    assert list(events) == [mine.uid]
    assert client.get("/ical/espaces/inconnu.ics").status_code == 404


def test_times_around_daylight_saving_changes(client: TestClient, db: Session) -> None:
    space = make_space(db, "dst")
    cases = {
        # summer time ends on 25 October 2026: 02:00–03:00 happens twice
        "2026-10-25 01:30": paris(2026, 10, 25, 1, 30),
        "2026-10-25 02:30 (été)": datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=0),
        "2026-10-25 02:30 (hiver)": datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=1),
        "2026-10-25 03:30": paris(2026, 10, 25, 3, 30),
        # summer time starts on 28 March 2027: 02:00–03:00 does not exist
        "2027-03-28 01:30": paris(2027, 3, 28, 1, 30),
        "2027-03-28 03:30": paris(2027, 3, 28, 3, 30),
    }
    expected_utc = {
        "2026-10-25 01:30": datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
        "2026-10-25 02:30 (été)": datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        "2026-10-25 02:30 (hiver)": datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        "2026-10-25 03:30": datetime(2026, 10, 25, 2, 30, tzinfo=UTC),
        "2027-03-28 01:30": datetime(2027, 3, 28, 0, 30, tzinfo=UTC),
        "2027-03-28 03:30": datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
    }
    meetings = {
        label: make_meeting(db, space, start.astimezone(UTC), title=label, hours=0.5)
        for label, start in cases.items()
    }
    db.commit()
    _, events = parse_feed(client.get("/ical/public.ics").content)
    for label, meeting in meetings.items():
        event = events[meeting.uid]
        assert event.start == expected_utc[label], label
        assert event.end == expected_utc[label] + timedelta(minutes=30), label
        ambiguous = "02:30" in label and "2026" in label
        # a wall time that happens twice is written in UTC; every other one in Paris time
        assert event.start_tzid == (None if ambiguous else "Europe/Paris"), label


def test_paris_vtimezone_agrees_with_zoneinfo() -> None:
    """The VTIMEZONE (as vobject/dateutil read it) gives zoneinfo's offset around every change."""
    cal = ics.new_calendar("x")
    text = cal.to_ical().decode()
    vtz = vobject.readOne(text).vtimezone.gettzinfo()
    for year in range(2015, 2041):
        for month in (3, 10):
            last_sunday = max(
                datetime(year, month, day, tzinfo=UTC)
                for day in range(25, 32)
                if datetime(year, month, day).weekday() == 6
            )
            for quarter in range(-8, 16):  # from 22:00 the day before to 04:00 UTC, every 15 minutes
                instant = last_sunday + timedelta(minutes=15 * quarter)
                assert instant.astimezone(vtz).utcoffset() == instant.astimezone(PARIS).utcoffset(), instant


def test_reschedule_keeps_uid_and_raises_sequence(client: TestClient, db: Session) -> None:
    space = make_space(db, "gt")
    meeting = make_meeting(db, space, paris(2026, 6, 2, 14, 0), title="Réunion de juin")
    db.commit()
    first = client.get("/ical/public.ics")
    _, before = parse_feed(first.content)
    assert before[meeting.uid].sequence == 0

    # what the meeting service does on a reschedule: new times, SEQUENCE + 1, same UID
    meeting.starts_at = paris(2026, 6, 9, 10, 0).astimezone(UTC)
    meeting.ends_at = paris(2026, 6, 9, 12, 0).astimezone(UTC)
    meeting.sequence += 1
    db.commit()
    second = client.get("/ical/public.ics")
    assert second.headers["etag"] != first.headers["etag"]
    _, after = parse_feed(second.content)
    assert list(after) == [meeting.uid]
    assert after[meeting.uid].sequence == 1
    assert after[meeting.uid].start == datetime(2026, 6, 9, 8, 0, tzinfo=UTC)

    meeting.status = CANCELLED
    meeting.sequence += 1
    db.commit()
    _, cancelled = parse_feed(client.get("/ical/public.ics").content)
    assert cancelled[meeting.uid].status == "CANCELLED"
    assert cancelled[meeting.uid].sequence == 2
    single = client.get(f"/ical/reunions/{meeting.id}.ics")
    _, events = parse_feed(single.content)
    assert events[meeting.uid].status == "CANCELLED"


def test_meeting_links_use_the_documented_meeting_page(app: Starlette) -> None:
    """Until (and once) the calendar mounts ``calendar:meeting``, links go to /agenda/reunions/<id>."""
    assert meeting_path(app, 42) == "/agenda/reunions/42"
    assert meeting_url(app, 42) == "http://testserver/agenda/reunions/42"
