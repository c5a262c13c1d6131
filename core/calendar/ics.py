"""iCalendar building blocks shared by feeds, per-meeting files and email invitations.

Built with the ``icalendar`` library: a VTIMEZONE for Europe/Paris and one VEVENT per meeting
with a stable UID and its SEQUENCE. Times are written with ``TZID=Europe/Paris``, except a wall
time that happens twice (the night summer time ends), which is written in UTC so that no client
has to guess which of the two is meant.

Feeds are assembled from events serialised once and cached (see :mod:`core.calendar.feeds`):
:func:`event_bytes` serialises one event, :func:`assemble` puts cached events between the
calendar's header and footer, both produced by ``icalendar``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vDuration, vText

from core.calendar.models import CANCELLED, PUBLIC, Meeting
from core.i18n import PARIS
from core.i18n import gettext as _

PRODID = "-//Réseau//Contrat de ville//FR"
TZID = "Europe/Paris"
_END_CALENDAR = b"END:VCALENDAR\r\n"


@cache
def paris_timezone() -> Timezone:
    """The VTIMEZONE for Europe/Paris: the EU rule (last Sunday of March and of October, 01:00 UTC).

    Written as RRULEs (the form every client, Outlook included, understands) rather than with
    ``Timezone.from_tzinfo``: icalendar 7 dates the spring onset in the new offset (03:00)
    where RFC 5545 §3.6.5 wants the local time in TZOFFSETFROM (02:00), which moves the change
    by an hour for parsers that read the VTIMEZONE (vobject, dateutil). A test checks these
    rules against zoneinfo for every year the hub deals with.
    """
    tz = Timezone()
    tz.add("tzid", TZID)
    tz.add("x-lic-location", TZID)
    tz.add_component(_observance(TimezoneDaylight(), "CEST", 1, 2, datetime(1996, 3, 31, 2, 0)))
    tz.add_component(_observance(TimezoneStandard(), "CET", 2, 1, datetime(1996, 10, 27, 3, 0)))
    return tz


def _observance(
    part: TimezoneDaylight | TimezoneStandard, name: str, hours_from: int, hours_to: int, onset: datetime
) -> TimezoneDaylight | TimezoneStandard:
    """A VTIMEZONE part changing every year on the last Sunday of ``onset``'s month, at its local time."""
    part.add("tzname", name)
    part.add("tzoffsetfrom", timedelta(hours=hours_from))
    part.add("tzoffsetto", timedelta(hours=hours_to))
    part.add("dtstart", onset)
    part.add("rrule", {"freq": "yearly", "bymonth": onset.month, "byday": "-1su"})
    return part


def new_calendar(
    name: str | None = None,
    method: str | None = None,
    *,
    description: str | None = None,
    refresh: timedelta | None = None,
) -> Calendar:
    """An empty VCALENDAR with PRODID, VERSION, the Paris VTIMEZONE and an optional name/method.

    ``description`` becomes X-WR-CALDESC; ``refresh`` tells subscribed clients how often to
    poll (REFRESH-INTERVAL and X-PUBLISHED-TTL).
    """
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    # X- properties are not typed by icalendar: vText escapes a newline typed into a space's
    # name or description (unescaped, it broke the feed, or could add properties to it)
    if name:
        cal.add("x-wr-calname", vText(name))
        cal.add("x-wr-timezone", TZID)
    if description:
        cal.add("x-wr-caldesc", vText(description))
    if refresh is not None:
        cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(refresh))
    cal.add_component(paris_timezone())
    return cal


def is_ambiguous(moment: datetime) -> bool:
    """Whether the Paris wall time of this instant happens twice (the night summer time ends)."""
    local = moment.astimezone(PARIS).replace(tzinfo=None)
    return local.replace(tzinfo=PARIS, fold=0).utcoffset() != local.replace(tzinfo=PARIS, fold=1).utcoffset()


def _wall_time(moment: datetime) -> datetime:
    """Paris time (TZID) unless that wall time is ambiguous, then UTC."""
    return moment.astimezone(UTC) if is_ambiguous(moment) else moment.astimezone(PARIS)


def meeting_event(
    meeting: Meeting, url: str, *, space_name: str = "", stamp: datetime | None = None
) -> Event:
    """The VEVENT of a meeting: UID, SEQUENCE, times in Paris, place, online link, status.

    ``url`` is the meeting's absolute page URL (built from ``RESEAU_BASE_URL``). ``stamp``
    (DTSTAMP) defaults to the meeting's last change, so the same meeting always gives the same
    bytes; an iTIP message passes the instant it is sent. No attendee or organiser is written:
    feeds never carry anybody's address.
    """
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    changed = (meeting.updated_at or meeting.created_at or datetime.now(UTC)).astimezone(UTC)
    event.add("dtstamp", (stamp or changed).astimezone(UTC))
    if meeting.created_at is not None:
        event.add("created", meeting.created_at.astimezone(UTC))
    event.add("last-modified", changed)
    event.add("dtstart", _wall_time(meeting.starts_at))
    event.add("dtend", _wall_time(meeting.ends_at))
    event.add("summary", meeting.title)
    description = meeting.description or ""
    if meeting.online_url:
        online = _("En ligne : %(url)s", url=meeting.online_url)
        description = f"{description}\n\n{online}" if description else online
    if meeting.status == CANCELLED and meeting.cancel_reason:
        cancelled = _("Réunion annulée : %(reason)s", reason=meeting.cancel_reason)
        description = f"{cancelled}\n\n{description}" if description else cancelled
    if description:
        event.add("description", description)
    location = ", ".join(p for p in (meeting.room, meeting.location) if p)
    if not location and meeting.online_url:
        location = meeting.online_url
    if location:
        event.add("location", location)
    event.add("url", url)
    if meeting.online_url:
        event.add("conference", meeting.online_url, parameters={"VALUE": "URI", "FEATURE": "VIDEO"})
    if space_name:
        event.add("categories", [space_name])
        event.add("x-reseau-space", vText(space_name))
    event.add("status", "CANCELLED" if meeting.status == CANCELLED else "CONFIRMED")
    event.add("class", "PUBLIC" if meeting.visibility == PUBLIC else "PRIVATE")
    event.add("transp", "TRANSPARENT" if meeting.status == CANCELLED else "OPAQUE")
    return event


def event_bytes(event: Event) -> bytes:
    """One serialised VEVENT (``BEGIN:VEVENT`` … ``END:VEVENT`` with CRLF line ends)."""
    data: bytes = event.to_ical()
    return data


def assemble(calendar: Calendar, events: Iterable[bytes]) -> bytes:
    """The calendar's bytes with already serialised VEVENTs inside it, after its VTIMEZONE.

    Each piece comes from ``icalendar``; only whole components are put side by side, which
    keeps a feed of thousands of cached events cheap to build.
    """
    return b"".join(_calendar_frame(calendar.to_ical(), events))


def _calendar_frame(head: bytes, events: Iterable[bytes]) -> Iterable[bytes]:
    if not head.endswith(_END_CALENDAR):
        raise ValueError("not a serialised VCALENDAR")
    yield head[: -len(_END_CALENDAR)]
    yield from events
    yield _END_CALENDAR


@lru_cache(maxsize=256)
def calendar_head(
    name: str | None, method: str | None, description: str | None = None, refresh: timedelta | None = None
) -> bytes:
    """The serialised empty calendar of :func:`new_calendar` (cached: feeds reuse it)."""
    data: bytes = new_calendar(name, method, description=description, refresh=refresh).to_ical()
    return data


def assemble_feed(
    events: Iterable[bytes],
    *,
    name: str | None,
    method: str | None = None,
    description: str | None = None,
    refresh: timedelta | None = None,
) -> bytes:
    """A whole calendar around serialised events, with a cached header (see :func:`assemble`)."""
    return b"".join(_calendar_frame(calendar_head(name, method, description, refresh), events))


def single_meeting_calendar(meeting: Meeting, url: str, *, space_name: str = "") -> bytes:
    """The ``.ics`` file of one meeting (METHOD:PUBLISH, to import into any calendar)."""
    cal = new_calendar(method="PUBLISH")
    cal.add_component(meeting_event(meeting, url, space_name=space_name))
    data: bytes = cal.to_ical()
    return data
