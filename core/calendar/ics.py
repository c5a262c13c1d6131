"""iCalendar building blocks shared by feeds, per-meeting files and email invitations.

Built with the ``icalendar`` library: a VTIMEZONE for Europe/Paris generated from zoneinfo,
and one VEVENT per meeting with a stable UID and its SEQUENCE. Times are written with
``TZID=Europe/Paris``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from icalendar import Calendar, Event, Timezone, vText

from core.calendar.models import CANCELLED, Meeting
from core.i18n import PARIS

PRODID = "-//Réseau//Contrat de ville//FR"


@cache
def paris_timezone() -> Timezone:
    """The VTIMEZONE for Europe/Paris, covering the years the hub deals with."""
    return Timezone.from_tzinfo(PARIS, first_date=datetime(2015, 1, 1).date(), last_date=datetime(2040, 1, 1).date())


def new_calendar(name: str | None = None, method: str | None = None) -> Calendar:
    """An empty VCALENDAR with PRODID, VERSION, the Paris VTIMEZONE and an optional name/method."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", "Europe/Paris")
    cal.add_component(paris_timezone())
    return cal


def meeting_event(meeting: Meeting, url: str, *, space_name: str = "", stamp: datetime | None = None) -> Event:
    """The VEVENT of a meeting: UID, SEQUENCE, times in Paris, place, online link, status.

    ``url`` is the meeting's absolute page URL (built from ``RESEAU_BASE_URL``).
    """
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", (stamp or meeting.updated_at or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(PARIS))
    event.add("dtend", meeting.ends_at.astimezone(PARIS))
    event.add("summary", meeting.title)
    description = meeting.description or ""
    if meeting.online_url:
        description = (description + "\n\n" if description else "") + f"En ligne : {meeting.online_url}"
    if description:
        event.add("description", description)
    location = ", ".join(p for p in (meeting.room, meeting.location) if p)
    if not location and meeting.online_url:
        location = meeting.online_url
    if location:
        event.add("location", location)
    event.add("url", url)
    if meeting.online_url:
        event.add("conference", meeting.online_url, parameters={"value": "URI"})
    if space_name:
        event.add("categories", [space_name])
    event.add("status", "CANCELLED" if meeting.status == CANCELLED else "CONFIRMED")
    event.add("class", "PUBLIC" if meeting.visibility == "public" else "PRIVATE")
    event["X-RESEAU-SPACE"] = vText(space_name) if space_name else vText("")
    return event
