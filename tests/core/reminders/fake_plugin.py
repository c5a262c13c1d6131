"""A plugin for tests: a rule that reacts to an absence (no meeting planned in a space before a
date) and a rule that always fails. Registered by the tests, found through the hook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import select

from core import hookimpl
from core.calendar.models import Meeting
from core.reminders.rules import Due, Recipient, ReminderRule, RuleRun, Timing, paris_to_utc
from core.spaces.models import Space

DEADLINE = date(2026, 6, 30)


def collect_absence(run: RuleRun) -> Iterator[Due]:
    """S-4 and S-1 before DEADLINE: spaces with no meeting planned before it."""
    for offset in run.timing.offsets:
        due_at = run.due_on(DEADLINE, offset)
        if not run.is_due(due_at):
            continue
        planned = select(Meeting.space_id).where(
            Meeting.starts_at < paris_to_utc(DEADLINE, run.timing.send_time)
        )
        for space in run.db.scalars(select(Space).where(Space.id.not_in(planned))):
            yield Due(
                key=f"fake_plugin.absence:{space.id}:{DEADLINE}:{offset.slug}",
                recipient=Recipient(email="animation@example.org", name="Équipe d'animation"),
                template="fake_plugin/emails/absence",
                context={"space": space.name, "deadline": DEADLINE},
                due_at=due_at,
                space_id=space.id,
            )


def collect_broken(run: RuleRun) -> Iterator[Due]:
    raise RuntimeError("this rule is broken")
    yield  # pragma: no cover


def collect_bad_key(run: RuleRun) -> Iterator[Due]:
    """A key outside the rule's namespace could silence another rule's email: refused."""
    yield Due("core.invitation:1:s0", Recipient("x@example.org"), "fake_plugin/emails/absence", {}, run.now)


@hookimpl
def reseau_register_reminder_rules() -> list[ReminderRule]:
    return [
        ReminderRule(
            "fake_plugin.absence",
            "Aucune réunion prévue",
            collect_absence,
            default_timing=Timing.of("S-4", "S-1"),
        ),
        ReminderRule("fake_plugin.broken", "Règle cassée", collect_broken, opt_out_allowed=False),
        ReminderRule("fake_plugin.bad_key", "Clé hors espace de noms", collect_bad_key),
    ]
