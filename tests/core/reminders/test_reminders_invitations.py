"""Invitations as iTIP REQUESTs, updates with SEQUENCE+1, cancellations with METHOD:CANCEL –
delivered to a real SMTP server, exactly once."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from icalendar import Calendar

from core.reminders.testing import run_at
from tests.smtp import SmtpSink

from tests.core.reminders.conftest import World, paris


def _calendar_part(message):  # type: ignore[no-untyped-def]
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in message.walk()]
    return parts[0]


def test_invitation_is_a_real_itip_request_with_rsvp_links(mail_app, world: World, smtp_sink: SmtpSink, clock) -> None:  # type: ignore[no-untyped-def]
    space = world.space()
    nadia = world.contact("Nadia", "Benali")
    meeting = world.meeting(space, paris(2026, 3, 20, 14), online_url="https://visio.example.org/gt")
    world.agenda(meeting, "Point sur le diagnostic", "Calendrier des travaux")
    world.invite(meeting, nadia, clock.at)
    world.commit()

    swept, sent = run_at(mail_app, clock.at)
    assert swept.inserted["core.invitation"] == 1
    assert sent.sent == 1
    [received] = smtp_sink.messages
    assert received.rcpt_tos == ("nadia.benali@example.org",)
    message = received.message
    assert "Invitation : Réunion du groupe" in message["Subject"]
    assert message["To"].addresses[0].display_name == "Nadia Benali"
    key = f"core.invitation:{meeting.invitations if False else 1}"  # placeholder, replaced below
    row = world.outbox("core.invitation")[0]
    key = row.key
    assert key.startswith("core.invitation:") and key.endswith(":s0")
    assert message["Message-ID"] == f"<{hashlib.sha256(key.encode()).hexdigest()}@reseau.example.org>"
    assert row.status == "sent" and row.message_id == message["Message-ID"]

    part = _calendar_part(message)
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert part.get_param("charset") == "utf-8"
    ical = Calendar.from_ical(part.get_payload(decode=True))
    assert ical["METHOD"] == "REQUEST"
    [event] = ical.walk("VEVENT")
    assert str(event["UID"]) == meeting.uid
    assert int(event["SEQUENCE"]) == 0
    assert str(event["ORGANIZER"]) == "mailto:no-reply@reseau.example.org"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:nadia.benali@example.org"
    assert attendee.params["RSVP"] == "TRUE"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert event.decoded("DTSTART").utcoffset() == timedelta(hours=1)  # Paris, winter
    # the same invitation as an attachment for clients that ignore the inline part
    assert any(p.get_filename() == "invitation.ics" for p in message.walk())

    text = message.get_body(("plain",)).get_content()
    assert text.count("http://testserver/agenda/reponse/") == 3
    html = message.get_body(("html",)).get_content()
    assert "Point sur le diagnostic" in html and "https://visio.example.org/gt" in html
    assert message["Auto-Submitted"] == "auto-generated"
    assert "List-Unsubscribe" not in message  # an invitation is not optional

    # a second sweep and send at the same instant change nothing
    swept, sent = run_at(mail_app, clock.at)
    assert swept.total == 0 and sent.sent == 0
    assert smtp_sink.count() == 1
