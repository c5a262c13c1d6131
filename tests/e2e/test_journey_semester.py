"""Journey: time travels to the end of a semester; the groupe technique that has not met gets its
reminder (``groupes_techniques.semester``), at the SMTP sink and on the admins' "Courriels" page,
while a group that met gets none.

The demo's "Habitat et cadre de vie" group has met in past semesters only (plugins/groupes_
techniques/demo.py) and no other journey plans a meeting in it. Time travel is ``reseau reminders
run --at`` a day before the semester's deadline: the window from the last sweep to then holds the
S-8 and S-4 reminders that are still ahead.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tests.e2e.conftest import ACCOUNTS, OpenPage, Shots
from tests.e2e.server import LiveServer
from tests.e2e.support import PARIS, paris_instant, subject_contains, text_body, wait_for_mail
from tests.smtp import SmtpSink

SILENT_GROUP = "Groupe technique Habitat et cadre de vie"
MET_GROUP = "Groupe technique Lien social, santé et accès aux droits"
ANIMATOR = ACCOUNTS["animator"]  # co-animator of every demo group


def _semester_end(day: date) -> date:
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


def _upcoming_deadline() -> date:
    """The end of the current semester, or of the next one when its S-4 reminder is already past."""
    today = datetime.now(PARIS).date()
    deadline = _semester_end(today)
    if deadline - timedelta(weeks=4) <= today:
        deadline = _semester_end(deadline + timedelta(days=1))
    return deadline


def test_time_travel_to_the_end_of_a_semester_reminds_the_group_that_has_not_met(
    open_page: OpenPage, live_server: LiveServer, e2e_sink: SmtpSink, shots: Shots
) -> None:
    deadline = _upcoming_deadline()
    output = live_server.run_reminders_at(paris_instant(deadline - timedelta(days=1), 12))
    assert "courriel(s) mis en file" in output, output

    reminder = wait_for_mail(e2e_sink, ANIMATOR, subject_contains(f"{SILENT_GROUP} : réunion à prévoir"))
    body = text_body(reminder)
    assert "Prévoir une réunion (formulaire prérempli pour le groupe)" in body, body
    assert not [m for m in e2e_sink.to(ANIMATOR) if MET_GROUP in str(m.message["Subject"])]

    admin = open_page("admin")
    admin.goto(live_server.url("/courriels/"))
    admin.locator("#destinataire").fill(ANIMATOR)
    admin.locator("#destinataire").press("Enter")
    admin.wait_for_load_state()
    row = admin.get_by_role("row").filter(has_text=f"{SILENT_GROUP} : réunion à prévoir")
    row.first.wait_for()
    assert "Réunion d'obligation à prévoir" in row.first.inner_text()
    shots(admin, "outbox-shows-the-semester-reminder")
    row.first.get_by_role("link").first.click()
    admin.get_by_text(SILENT_GROUP, exact=False).first.wait_for()
    shots(admin, "semester-reminder-message")
