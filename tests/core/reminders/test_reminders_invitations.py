"""Invitations as iTIP REQUESTs, updates with SEQUENCE+1, cancellations with METHOD:CANCEL –
delivered to a real SMTP server, exactly once."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from icalendar import Calendar

from core.reminders.testing import run_at
from tests.core.reminders.conftest import World, paris
from tests.smtp import SmtpSink


def _calendar_part(message):  # type: ignore[no-untyped-def]
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in message.walk()]
    return parts[0]


def test_invitation_is_a_real_itip_request_with_rsvp_links(
    mail_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
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


def test_reschedule_cancels_pending_and_sends_an_update_with_next_sequence(
    mail_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    space = world.space()
    nadia, julien, karim = (
        world.contact("Nadia", "Benali"),
        world.contact("Julien", "Roux"),
        world.contact("Karim", "Haddad"),
    )
    meeting = world.meeting(space, paris(2026, 3, 20, 14))
    world.invite(meeting, nadia, clock.at)
    world.invite(meeting, julien, clock.at, response="declined")
    world.commit()
    run_at(mail_app, clock.at)
    assert [m.rcpt_tos for m in smtp_sink.messages] == [("nadia.benali@example.org",)]

    # Karim is invited, but the meeting moves before his invitation leaves
    later = clock.advance(minutes=5)
    world.invite(meeting, karim, later)
    world.commit()
    from core.reminders.runtime import run_at as engine_run
    from core.reminders.sweep import sweep

    sweep(mail_app.state.reseau, later)  # Karim's invitation is pending (SEQUENCE 0)
    moved = clock.advance(minutes=5)
    world.reschedule(meeting, paris(2026, 3, 27, 9, 30), moved)
    world.commit()
    karim_rows = [r for r in world.outbox("core.invitation") if r.recipient_email.startswith("karim")]
    assert [r.status for r in karim_rows] == ["cancelled"]

    _swept, sent = engine_run(mail_app.state.reseau, moved)
    assert sent.sent == 2
    nadia_mail = smtp_sink.to("nadia.benali@example.org")
    assert len(nadia_mail) == 2
    update = nadia_mail[1].message
    assert "Réunion modifiée" in update["Subject"]
    ical = Calendar.from_ical(_calendar_part(update).get_payload(decode=True))
    assert ical["METHOD"] == "REQUEST"
    [event] = ical.walk("VEVENT")
    assert str(event["UID"]) == meeting.uid and int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART").hour == 9 and event.decoded("DTSTART").minute == 30
    # Karim gets one invitation, already at the new time; Julien (declined) nothing
    [karim_mail] = smtp_sink.to("karim.haddad@example.org")
    assert "Invitation" in karim_mail.message["Subject"]
    [event] = Calendar.from_ical(_calendar_part(karim_mail.message).get_payload(decode=True)).walk("VEVENT")
    assert int(event["SEQUENCE"]) == 1
    assert smtp_sink.to("julien.roux@example.org") == []
    assert {r.key.rsplit(":", 1)[1] for r in world.outbox("core.meeting_update")} == {"s1"}

    # an edit that does not change the sequence sends nothing more
    meeting.title = "Réunion du groupe (ordre du jour complété)"
    meeting.updated_at = clock.advance(minutes=5)
    world.commit()
    _swept, sent = engine_run(mail_app.state.reseau, clock.at)
    assert sent.sent == 0 and smtp_sink.count() == 3


def test_cancellation_sends_method_cancel_to_those_who_had_not_declined(
    mail_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    space = world.space()
    nadia, julien = world.contact("Nadia", "Benali"), world.contact("Julien", "Roux")
    meeting = world.meeting(space, paris(2026, 3, 20, 14))
    world.invite(meeting, nadia, clock.at, response="accepted")
    julien_invitation = world.invite(meeting, julien, clock.at)
    world.commit()
    run_at(mail_app, clock.at)
    assert smtp_sink.count() == 2
    julien_invitation.response = "declined"
    world.cancel(meeting, clock.advance(hours=1), reason="Salle indisponible")
    world.commit()

    swept, sent = run_at(mail_app, clock.at)
    assert swept.inserted["core.meeting_cancelled"] == 1
    [cancel] = smtp_sink.to("nadia.benali@example.org")[1:]
    message = cancel.message
    assert "Réunion annulée" in message["Subject"]
    assert "Salle indisponible" in message.get_body(("plain",)).get_content()
    part = _calendar_part(message)
    assert part.get_param("method") == "CANCEL"
    ical = Calendar.from_ical(part.get_payload(decode=True))
    assert ical["METHOD"] == "CANCEL"
    [event] = ical.walk("VEVENT")
    assert str(event["UID"]) == meeting.uid and int(event["SEQUENCE"]) == 1
    assert str(event["STATUS"]) == "CANCELLED"
    assert len(smtp_sink.to("julien.roux@example.org")) == 1  # the invitation only
    # the meeting's later reminders are never swept: it is cancelled
    swept, sent = run_at(mail_app, paris(2026, 3, 19, 8))
    assert sent.sent == 0


def test_cancellation_is_noticed_even_without_cancelled_at(
    mail_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    meeting = world.meeting(world.space(), paris(2026, 3, 20, 14))
    world.invite(meeting, world.contact("Nadia", "Benali"), clock.at)
    world.commit()
    run_at(mail_app, clock.at)
    world.cancel(meeting, clock.advance(hours=2), stamp=False)
    world.commit()
    run_at(mail_app, clock.at)
    assert [m.message["Subject"].split(" :")[0] for m in smtp_sink.messages] == [
        "Invitation",
        "Réunion annulée",
    ]


def test_invitations_to_a_past_meeting_or_unreachable_contact_are_not_sent(
    mail_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    space = world.space()
    past = world.meeting(space, clock.at - timedelta(days=1))
    world.invite(past, world.contact("Nadia", "Benali"), clock.at)
    future = world.meeting(space, paris(2026, 4, 2, 10))
    world.invite(future, world.contact("Sans", "Adresse", email=" "), clock.at)
    world.commit()
    swept, _sent = run_at(mail_app, clock.at)
    assert swept.total == 0 and smtp_sink.count() == 0
