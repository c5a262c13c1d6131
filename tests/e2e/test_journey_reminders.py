"""Journey: time travels to a week before a meeting; the invitee who has not answered gets the
reminder, at the SMTP sink and on the admins' "Courriels" page.

The server runs on the real clock; time travel is ``reseau reminders run --at`` (one sweep and
one send at a chosen instant, what an operator would run) on the same database and sink.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.e2e.conftest import OpenPage, Shots
from tests.e2e.server import LiveServer
from tests.e2e.support import subject_contains, text_body, wait_for_mail
from tests.smtp import SmtpSink

UNANSWERED = "sophie.lefevre@example.org"  # invited with Pôle E.S.C.A.L.E., never answers


def test_time_travel_reminds_the_invitee_who_has_not_answered(
    open_page: OpenPage,
    live_server: LiveServer,
    e2e_sink: SmtpSink,
    seeded_meeting: dict[str, Any],
    shots: Shots,
) -> None:
    title = seeded_meeting["meeting_title"]
    week_before = seeded_meeting["meeting_starts_at"] - timedelta(days=7) + timedelta(hours=1)
    output = live_server.run_reminders_at(week_before)
    assert "courriel(s) mis en file" in output, output

    mail = wait_for_mail(e2e_sink, UNANSWERED, subject_contains(f"Sans réponse de votre part : {title}"))
    assert "/agenda/reponse/" in text_body(mail)

    admin = open_page("admin")
    admin.goto(live_server.url("/courriels/"))
    row = admin.get_by_role("row").filter(has_text=UNANSWERED).filter(has_text="Sans réponse de votre part")
    row.first.wait_for()
    shots(admin, "outbox-shows-the-reminder")
    row.first.get_by_role("link").first.click()
    admin.get_by_text(UNANSWERED, exact=False).first.wait_for()
    shots(admin, "reminder-message")
