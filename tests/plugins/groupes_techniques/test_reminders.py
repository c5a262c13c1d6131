"""Semi-annual reminders, by time travel across 2026 to the real SMTP sink: exactly the
reminders described, once each; escalation to the admins at S-4; none for a group that meets."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from core.accounts import services as accounts
from core.calendar.models import Minutes
from core.reminders.services import save_rule_timing
from core.reminders.testing import collect, walk
from plugins.groupes_techniques import reminders
from plugins.groupes_techniques.vocab import ESCALATION_RULE, SEMESTER_RULE
from tests.plugins.groupes_techniques.conftest import add_meeting, fresh, make_group, paris
from tests.smtp import SmtpSink


def _subjects(sink: SmtpSink, address: str) -> list[str]:
    return [str(m.message["Subject"]) for m in sink.to(address)]


def test_hook_register_reminder_rules_declares_the_plugin_rules(app: object) -> None:
    rules = app.state.reseau.registry.reminder_rules  # type: ignore[attr-defined]
    assert rules[SEMESTER_RULE] is reminders.SEMESTER_REMINDER
    assert [str(o) for o in rules[SEMESTER_RULE].default_timing.offsets] == ["J+0", "S-8", "S-4"]
    assert [str(o) for o in rules[ESCALATION_RULE].default_timing.offsets] == ["S-4"]


def test_a_year_of_reminders_exactly_once(make_app: object, db: Session, smtp_sink: SmtpSink) -> None:
    app = make_app(smtp_url=smtp_sink.url)  # type: ignore[operator]
    idle = make_group(
        db, "Groupe sans réunion", valid_from=date(2026, 1, 1), animators=("alice.idle@example.org",)
    )
    busy = make_group(
        db, "Groupe qui se réunit", valid_from=date(2026, 1, 1), animators=("bruno.busy@example.org",)
    )
    for starts in (paris(2026, 3, 10, 14), paris(2026, 9, 15, 14)):
        meeting = add_meeting(db, busy, starts)
        db.add(Minutes(meeting_id=meeting.id, body="Compte rendu", body_html="<p>Compte rendu</p>"))
    accounts.create_user(db, "chef.admin@example.org", "reseau-demo-2026", "Chef Admin", is_admin=True)
    db.commit()

    # each sweep looks back to the previous one: a step of days misses nothing
    walk(app, paris(2025, 12, 31, 12), paris(2026, 12, 31, 20), timedelta(days=5))
    walk(
        app, paris(2026, 5, 1, 0), paris(2026, 6, 5, 0), timedelta(hours=31)
    )  # going over again changes nothing

    idle_mail = smtp_sink.to("alice.idle@example.org")
    assert len(idle_mail) == 6
    subjects = _subjects(smtp_sink, "alice.idle@example.org")
    assert subjects.count("Groupe sans réunion : aucune réunion prévue pour la période qui commence") == 2
    assert subjects.count("Groupe sans réunion : réunion à prévoir avant le 30 juin 2026") == 2
    assert subjects.count("Groupe sans réunion : réunion à prévoir avant le 31 décembre 2026") == 2
    assert _subjects(smtp_sink, "chef.admin@example.org") == [
        "Obligation en risque : Groupe sans réunion, échéance le 30 juin 2026",
        "Obligation en risque : Groupe sans réunion, échéance le 31 décembre 2026",
    ]
    assert smtp_sink.to("bruno.busy@example.org") == []
    assert {m.rcpt_tos for m in smtp_sink.messages} == {
        ("alice.idle@example.org",),
        ("chef.admin@example.org",),
    }

    body = idle_mail[1].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "au moins 1 réunion par semestre (1er semestre 2026)" in body
    assert "1 réunion à prévoir" in body and "Échéance : 30 juin 2026" in body
    assert f"http://testserver/agenda/reunions/nouvelle?space={idle.id}&title=" in body
    assert "Groupe+sans+r%C3%A9union" in body
    admin_body = smtp_sink.to("chef.admin@example.org")[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Co-animation : Alice Idle" in admin_body


def test_a_meeting_planned_after_the_first_reminder_stops_the_next(
    make_app: object, db: Session, smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)  # type: ignore[operator]
    group = make_group(
        db, "Groupe tardif", valid_from=date(2026, 1, 1), animators=("carla.late@example.org",)
    )
    walk(app, paris(2025, 12, 31, 12), paris(2026, 2, 1, 12), timedelta(days=4))
    assert len(smtp_sink.to("carla.late@example.org")) == 1
    add_meeting(fresh(db), group, paris(2026, 6, 20, 14))
    walk(app, paris(2026, 2, 1, 12), paris(2026, 6, 19, 12), timedelta(days=4))  # S-8 and S-4 included
    assert len(smtp_sink.to("carla.late@example.org")) == 1, _subjects(smtp_sink, "carla.late@example.org")


def test_admins_change_the_timings(make_app: object, db: Session) -> None:
    app = make_app()  # type: ignore[operator]
    make_group(db, "Groupe réglé", valid_from=date(2026, 1, 1), animators=("dora.timing@example.org",))
    admin = accounts.create_user(db, "regle.admin@example.org", "reseau-demo-2026", "Admin", is_admin=True)
    db.commit()
    assert reminders.horizon_days(db) == 56
    errors = save_rule_timing(
        db,
        reminders.SEMESTER_REMINDER,
        enabled=True,
        offsets_text="J+0, S-6",
        send_time_text="09:00",
        actor=admin,
        now=paris(2026, 1, 2, 9),
    )
    assert errors == {}
    db.commit()
    assert reminders.horizon_days(fresh(db)) == 42
    # S-6 before 30 June is 19 May, at 09:00 Paris
    due = collect(app, SEMESTER_RULE, paris(2026, 5, 19, 9, 30))
    assert [d.key.rsplit(":", 2)[1] for d in due] == ["S-6"]
    assert due[0].due_at == paris(2026, 5, 19, 9)
    assert collect(app, SEMESTER_RULE, paris(2026, 5, 5, 9, 30)) == []
