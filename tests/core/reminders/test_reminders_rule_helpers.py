"""The helpers rules share: rows due at an offset from an instant or a date, a space's animators
as recipients."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.orm import Session

from core.reminders.rules import (
    Offset,
    Recipient,
    ReminderRule,
    RuleRun,
    Timing,
    contact_recipient,
    space_animators,
)
from core.spaces.models import MEMBER, SpaceMembership
from tests.core.reminders.conftest import World, paris

J_MINUS_1 = Timing.of("J-1")


def _run(since: datetime, now: datetime, timing: Timing = J_MINUS_1) -> RuleRun:
    rule = ReminderRule("test.helpers", "Test", lambda run: [], default_timing=timing)
    # db and settings are not read by the time helpers
    return RuleRun(
        db=cast(Any, None), rule=rule, timing=timing, since=since, now=now, settings=cast(Any, None)
    )


class Recorder:
    """A ``rows_between`` that returns fixed rows and remembers the ranges it was asked."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self.rows = list(rows)
        self.asked: list[tuple[Any, Any]] = []

    def __call__(self, lo: Any, hi: Any) -> list[Any]:
        self.asked.append((lo, hi))
        return self.rows


# ------------------------------------------------------------------------------ rows_due_at


def test_rows_due_at_keeps_the_rows_whose_reminder_falls_in_the_window_with_its_instant() -> None:
    # the window holds 10 March 08:00 Paris: J-1 reminders of anchors on 11 March are due
    run = _run(paris(2026, 3, 10, 7), paris(2026, 3, 10, 9))
    on_time = ("a", paris(2026, 3, 11, 14))
    too_late = ("b", paris(2026, 3, 12, 14))  # returned by a loose query: J-1 is tomorrow
    no_anchor = ("c", None)
    between = Recorder([on_time, too_late, no_anchor])

    found = list(run.rows_due_at(Offset(-1), between, lambda row: row[1]))

    assert found == [(on_time, paris(2026, 3, 10, 8))]
    assert between.asked == [run.anchor_range(Offset(-1))]


def test_rows_due_at_hour_offsets_are_exact_durations() -> None:
    run = _run(paris(2026, 3, 10, 7), paris(2026, 3, 10, 9), Timing.of("H-2"))
    meeting = ("m", paris(2026, 3, 10, 10, 30))
    found = list(run.rows_due_at(Offset(-2, "hours"), Recorder([meeting]), lambda row: row[1]))
    assert found == [(meeting, paris(2026, 3, 10, 8, 30))]


def test_rows_due_at_does_not_query_when_nothing_can_be_due() -> None:
    run = _run(paris(2026, 3, 10, 9), paris(2026, 3, 10, 11))  # 08:00 is not in the window
    between = Recorder([("a", paris(2026, 3, 11, 14))])
    assert list(run.rows_due_at(Offset(-1), between, lambda row: row[1])) == []
    assert between.asked == []


# ------------------------------------------------------------------------------ rows_due_on


def test_rows_due_on_counts_from_dates_and_asks_the_date_range() -> None:
    run = _run(paris(2026, 3, 10, 7), paris(2026, 3, 10, 9), Timing.of("J+1"))
    yesterday = ("a", date(2026, 3, 9))
    today = ("b", date(2026, 3, 10))  # its J+1 is tomorrow
    between = Recorder([yesterday, today, ("c", None)])

    found = list(run.rows_due_on(Offset(1), between, lambda row: row[1]))

    assert found == [(yesterday, paris(2026, 3, 10, 8))]
    assert between.asked == [run.date_range(Offset(1))] == [(date(2026, 3, 9), date(2026, 3, 9))]


def test_rows_due_on_does_not_query_when_nothing_can_be_due() -> None:
    run = _run(paris(2026, 3, 10, 9), paris(2026, 3, 10, 11), Timing.of("J+1"))
    between = Recorder([("a", date(2026, 3, 9))])
    assert list(run.rows_due_on(Offset(1), between, lambda row: row[1])) == []
    assert between.asked == []


# ------------------------------------------------------------------------------ recipients


def test_contact_recipient_is_the_trimmed_address_name_and_contact(world: World) -> None:
    contact = world.contact("Léa", "Martin", email=" lea.martin@example.org ")
    assert contact_recipient(contact) == Recipient(
        email="lea.martin@example.org", name=contact.full_name, contact_id=contact.id
    )


def test_space_animators_are_the_writable_animators_of_each_space_in_contact_order(
    world: World, db: Session
) -> None:
    habitat = world.space()
    mobilite = world.space("Groupe technique Mobilité", "gt-mobilite")
    quiet = world.space("Groupe technique Énergie", "gt-energie")
    second = world.contact("Zoé", "Abel")
    first = world.contact("Yann", "Zola")
    gone = world.contact("Anne", "Onyme")
    gone.anonymised_at = paris(2026, 1, 1)
    silent = world.contact("Sans", "Adresse", email="placeholder@example.org")
    silent.email = ""
    member = world.contact("Marc", "Membre")
    for contact in (first, second, gone, silent):
        world.animator(habitat, contact)
    world.animator(mobilite, second)
    db.add(SpaceMembership(space_id=habitat.id, role=MEMBER, contact_id=member.id))
    db.flush()

    found = space_animators(db, [habitat.id, mobilite.id, quiet.id])

    assert found == {habitat.id: [second, first], mobilite.id: [second], quiet.id: []}


def test_space_animators_of_no_space_reads_nothing(db: Session) -> None:
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, …)
    event.listen(db.get_bind(), "before_cursor_execute", listener)
    try:
        assert space_animators(db, []) == {}
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", listener)
    assert statements == []


def test_window_helpers_agree_with_due_at_across_a_dst_change() -> None:
    # J-1 before Monday 30 March 2026 (CEST since Sunday): due Sunday 08:00 Paris = 06:00 UTC
    run = _run(paris(2026, 3, 29, 7, 30), paris(2026, 3, 29, 8, 30))
    anchor = paris(2026, 3, 30, 9)
    [(row, due)] = list(run.rows_due_at(Offset(-1), Recorder([anchor]), lambda a: a))
    assert row == anchor and due == run.due_at(anchor, Offset(-1)) == paris(2026, 3, 29, 8)
    assert due - timedelta(hours=6) == datetime(2026, 3, 29, tzinfo=due.tzinfo)
