"""When reminders fall due: J-7 / J-1 / J+3 / J+7 in Paris wall time (DST included), working
days, admin timings, switches, and expiry – by time travel on the app's own clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.reminders.models import ReminderRuleState
from core.reminders.rules import Offset, Timing, add_working_days, is_working_day, paris_to_utc, parse_offsets
from core.reminders.sweep import sweep
from core.reminders.testing import collect, run_at, walk
from tests.core.reminders.conftest import World, paris
from tests.smtp import SmtpSink


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ------------------------------------------------------------------------------ pure helpers


def test_offsets_parse_the_french_way() -> None:
    assert parse_offsets("J-7, J-1") == (Offset(-7), Offset(-1))
    assert parse_offsets("J-5 ouvrés; H-2") == (Offset(-5, "working_days"), Offset(-2, "hours"))
    assert str(Offset.parse("j+3")) == "J+3" and Offset.parse("S-8").unit == "weeks"
    assert Offset.parse("J-5o").slug == "J-5o"
    for bad in ("7", "J7", "X-1", "H-2 ouvrés", "J-1000"):
        with pytest.raises(ValueError):
            Offset.parse(bad)
    assert Timing.of("J-7", at="08:30").send_time.minute == 30


def test_working_days_skip_weekends_and_french_public_holidays() -> None:
    assert not is_working_day(date(2026, 5, 1))  # fête du Travail (a Friday)
    assert not is_working_day(date(2026, 5, 8))  # Victoire 1945
    assert not is_working_day(date(2026, 7, 14))  # fête nationale (a Tuesday)
    assert not is_working_day(date(2026, 5, 14))  # Ascension
    assert is_working_day(date(2026, 7, 13))
    # J-5 ouvrés before Monday 11 May 2026: 8 May and 1 May are skipped
    assert add_working_days(date(2026, 5, 11), -5) == date(2026, 4, 30)
    assert add_working_days(date(2026, 7, 15), -1) == date(2026, 7, 13)
    assert add_working_days(date(2026, 7, 13), 1) == date(2026, 7, 15)
    assert add_working_days(date(2026, 7, 12), 0) == date(2026, 7, 10)  # a Sunday: the Friday before


def test_paris_wall_time_across_dst_changes() -> None:
    assert paris_to_utc(date(2026, 10, 24), Timing().send_time) == utc(2026, 10, 24, 6)  # CEST
    assert paris_to_utc(date(2026, 10, 25), Timing().send_time) == utc(2026, 10, 25, 7)  # CET
    # 02:30 does not exist on 28 March 2027: moved forward like calendar apps do
    assert paris_to_utc(date(2027, 3, 28), datetime(2000, 1, 1, 2, 30).time()) == utc(2027, 3, 28, 1, 30)
    # 02:30 happens twice on 25 October 2026: the first one
    assert paris_to_utc(date(2026, 10, 25), datetime(2000, 1, 1, 2, 30).time()) == utc(2026, 10, 25, 0, 30)


# ------------------------------------------------------------------------------ rules in time


def _dst_meeting(world: World, day: tuple[int, int, int]):  # type: ignore[no-untyped-def]
    space = world.space(slug=f"gt-{day[0]}-{day[1]}")
    animator = world.contact("Camille", "Martin", email=f"camille.{day[0]}@example.org")
    world.animator(space, animator)
    meeting = world.meeting(space, paris(*day, 10), created=paris(*day) - timedelta(days=40))
    world.agenda(meeting, "Bilan du semestre")
    pending = world.contact("Julien", "Roux", email=f"julien.{day[0]}@example.org")
    accepted = world.contact("Nadia", "Benali", email=f"nadia.{day[0]}@example.org")
    world.invite(meeting, pending, paris(*day) - timedelta(days=30))
    world.invite(meeting, accepted, paris(*day) - timedelta(days=30), response="accepted")
    world.commit()
    return meeting


@pytest.mark.parametrize(
    ("day", "j7", "j1", "j3"),
    [
        # 25 October 2026: the clocks go back at 03:00; reminders keep 08:00 Paris
        ((2026, 10, 25), utc(2026, 10, 18, 6), utc(2026, 10, 24, 6), utc(2026, 10, 28, 7)),
        # 28 March 2027: the clocks go forward at 02:00
        ((2027, 3, 28), utc(2027, 3, 21, 7), utc(2027, 3, 27, 7), utc(2027, 3, 31, 6)),
    ],
)
def test_dst_reminders_fire_at_the_right_utc_instants(make_app, world: World, day, j7, j1, j3) -> None:  # type: ignore[no-untyped-def]
    app = make_app(plugins=[])
    meeting = _dst_meeting(world, day)
    assert meeting.starts_at == paris(*day, 10)
    late = j3 + timedelta(hours=1)
    assert [d.due_at for d in collect(app, "core.reminder_unanswered", j7)] == [j7]
    assert [d.due_at for d in collect(app, "core.reminder_accepted", j1)] == [j1]
    assert [d.due_at for d in collect(app, "core.minutes_missing", late)] == [j3]
    # one minute early, nothing is due yet
    assert collect(app, "core.reminder_accepted", j1 - timedelta(minutes=1)) == []
    # walking the clock hour by hour around each instant: each reminder once, at its instant
    reports = []
    for instant in (j7, j1, j3):
        reports += walk(app, instant - timedelta(hours=2), instant + timedelta(hours=1))
    assert sum(s.total for s, _ in reports) == 3
    sent_at = {r.rule: r.sent_at for r in world.outbox() if r.status == "sent"}
    assert sent_at == {
        "core.reminder_unanswered": j7,
        "core.reminder_accepted": j1,
        "core.minutes_missing": j3,
    }
    j1_row = world.outbox("core.reminder_accepted")[0]
    assert j1_row.recipient_email.startswith("nadia") and "Bilan du semestre" in j1_row.body_text
    assert world.outbox("core.reminder_unanswered")[0].recipient_email.startswith("julien")
    assert world.outbox("core.minutes_missing")[0].recipient_email.startswith("camille")


def test_admin_timing_in_working_days_and_the_per_meeting_switch(make_app, world: World) -> None:  # type: ignore[no-untyped-def]
    app = make_app(plugins=[])
    space = world.space()
    meeting = world.meeting(space, paris(2026, 5, 11, 10))
    quiet = world.meeting(space, paris(2026, 5, 11, 14), title="Réunion sans rappel", reminders_enabled=False)
    for m in (meeting, quiet):
        world.invite(m, world.contact("Julien", f"Roux{m.id}"), paris(2026, 4, 1))
    world.db.add(
        ReminderRuleState(
            name="core.reminder_unanswered", enabled=True, offsets=["J-5 ouvrés"], send_time="09:15"
        )
    )
    world.commit()
    due = paris(2026, 4, 30, 9, 15)  # 1 May and 8 May are not working days
    [reminder] = collect(app, "core.reminder_unanswered", due)
    assert reminder.due_at == due and reminder.meeting_id == meeting.id
    assert reminder.key.endswith(":J-5o")
    assert (
        collect(app, "core.reminder_unanswered", paris(2026, 5, 4, 9, 15)) == []
    )  # J-7 is not used any more


def test_minutes_missing_stops_once_written_and_action_items_overdue(
    make_app, world: World, smtp_sink: SmtpSink
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(plugins=[], smtp_url=smtp_sink.url)
    space = world.space()
    camille, isabelle = world.contact("Camille", "Martin"), world.contact("Isabelle", "Moreau")
    world.animator(space, camille)
    world.animator(space, isabelle)
    owner = world.contact("Thomas", "Petit")
    meeting = world.meeting(space, paris(2026, 3, 10, 14))
    world.action(meeting, owner, date(2026, 3, 16))
    done = world.action(meeting, owner, date(2026, 3, 16), title="Déjà fait")
    done.status = "done"
    world.commit()

    run_at(app, paris(2026, 3, 13, 8))  # J+3
    assert sorted(m.rcpt_tos[0] for m in smtp_sink.messages) == [
        "camille.martin@example.org",
        "isabelle.moreau@example.org",
    ]
    assert "Compte rendu à écrire" in smtp_sink.messages[0].message["Subject"]
    world.minutes(meeting)
    world.commit()
    run_at(app, paris(2026, 3, 17, 8))  # J+7 for the minutes (written: nothing), J+1 for the action
    [overdue] = smtp_sink.messages[2:]
    assert overdue.rcpt_tos == ("thomas.petit@example.org",)
    assert "Action en retard : Envoyer le diagnostic" in overdue.message["Subject"]
    assert "List-Unsubscribe" in overdue.message  # optional reminders can be refused in one click


def test_a_reminder_is_never_sent_after_its_meeting_started(
    make_app, world: World, smtp_sink: SmtpSink
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(plugins=[], smtp_url=smtp_sink.url)
    meeting = world.meeting(world.space(), paris(2026, 3, 20, 9))
    world.invite(meeting, world.contact("Nadia", "Benali"), paris(2026, 3, 1), response="accepted")
    world.commit()
    state = app.state.reseau
    sweep(state, paris(2026, 3, 19, 8))  # swept at J-1, but the sender is down until the meeting
    [row] = world.outbox("core.reminder_accepted")
    assert row.status == "pending"
    _swept, sent = run_at(app, paris(2026, 3, 20, 9, 30))
    assert sent.expired == 1 and sent.sent == 0 and smtp_sink.count() == 0
    assert world.outbox("core.reminder_accepted")[0].status == "expired"
    # a sweep that only comes back after the meeting records the missed reminder as expired
    meeting2 = world.meeting(world.space(slug="autre"), paris(2026, 3, 25, 9))
    world.invite(meeting2, world.contact("Karim", "Haddad"), paris(2026, 3, 1), response="accepted")
    world.commit()
    sweep(state, paris(2026, 3, 24, 7))
    _swept, sent = run_at(app, paris(2026, 3, 25, 10))
    rows = [r for r in world.outbox("core.reminder_accepted") if r.meeting_id == meeting2.id]
    assert [r.status for r in rows] == ["expired"] and smtp_sink.count() == 0


def test_a_sweep_creates_and_locks_every_rule_state_in_two_statements(make_app, world: World) -> None:  # type: ignore[no-untyped-def]
    """The watermark rows of all the rules are written and locked together, not rule by rule
    (two statements instead of two per rule: a fifth of the sweep's round trips)."""
    from sqlalchemy import event, func, select

    app = make_app()
    state = app.state.reseau
    statements: list[str] = []

    def seen(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()).lower())

    event.listen(state.engine, "before_cursor_execute", seen)
    try:
        report = sweep(state, paris(2026, 3, 2, 8))
    finally:
        event.remove(state.engine, "before_cursor_execute", seen)
    assert not report.errors and len(report.inserted) == len(state.registry.reminder_rules) > 4
    assert sum(s.startswith("insert into reminder_rules") for s in statements) == 1
    assert sum(s.startswith("select") and "from reminder_rules" in s for s in statements) == 1
    world.db.rollback()
    count = world.db.scalar(select(func.count()).select_from(ReminderRuleState))
    assert count == len(state.registry.reminder_rules)  # one row per rule, created by that statement
