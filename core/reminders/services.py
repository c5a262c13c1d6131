"""Services behind the "Courriels" pages: the outbox for admins, rule timings, retries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit import services as audit
from core.reminders.models import FAILED, PENDING, STATUSES, OutboxMessage, ReminderRuleState
from core.reminders.rules import ReminderRule, Timing, format_offsets, paris_to_utc, parse_offsets
from core.reminders.sweep import effective_timing

if TYPE_CHECKING:
    from core.accounts.models import User

PAGE_SIZE = 50


@dataclass(frozen=True)
class OutboxFilters:
    """The admin page's filters (all optional)."""

    status: str = ""
    rule: str = ""
    recipient: str = ""
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Page:
    """One page of results."""

    items: Sequence[OutboxMessage]
    number: int
    pages: int
    total: int


def _filtered(filters: OutboxFilters):  # type: ignore[no-untyped-def]
    stmt = select(OutboxMessage)
    if filters.status in STATUSES:
        stmt = stmt.where(OutboxMessage.status == filters.status)
    if filters.rule:
        stmt = stmt.where(OutboxMessage.rule == filters.rule)
    if filters.recipient:
        needle = (
            filters.recipient.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        )
        stmt = stmt.where(func.lower(OutboxMessage.recipient_email).like(f"%{needle}%", escape="\\"))
    if filters.since:
        stmt = stmt.where(OutboxMessage.due_at >= paris_to_utc(filters.since, time(0)))
    if filters.until:
        stmt = stmt.where(OutboxMessage.due_at < paris_to_utc(filters.until + timedelta(days=1), time(0)))
    return stmt


def outbox_page(db: Session, filters: OutboxFilters, number: int = 1) -> Page:
    """The outbox rows matching ``filters``, newest first, ``PAGE_SIZE`` per page."""
    stmt = _filtered(filters)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(1, number), pages)
    items = db.scalars(
        stmt.order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)
    ).all()
    return Page(items, number, pages, total)


def status_counts(db: Session) -> dict[str, int]:
    """How many rows have each status (every status listed, zeros included)."""
    counts = dict.fromkeys(STATUSES, 0)
    for status, count in db.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ):
        counts[status] = count
    return counts


def retry(db: Session, message: OutboxMessage, actor: User, now: datetime) -> None:
    """Send a failed message again at once (its attempts start over). ``ValueError`` otherwise."""
    if message.status != FAILED:
        raise ValueError(message.status)
    message.status = PENDING
    message.attempts = 0
    message.next_attempt_at = now
    message.updated_at = now
    audit.record(db, actor, "reminders.outbox.retried", message, summary=message.key)


def rule_timing(db: Session, rule: ReminderRule) -> Timing:
    """The timing a rule runs with (defaults plus the admins' changes)."""
    return effective_timing(rule, db.get(ReminderRuleState, rule.name))


def save_rule_timing(
    db: Session,
    rule: ReminderRule,
    *,
    enabled: bool,
    offsets_text: str,
    send_time_text: str,
    actor: User,
    now: datetime,
) -> dict[str, str]:
    """Validate and store an admin's timing for ``rule``; return French errors by field (nothing
    is stored when there are any)."""
    from core.i18n import gettext as _

    errors: dict[str, str] = {}
    offsets: list[str] | None = None
    if rule.default_timing.offsets:
        try:
            parsed = parse_offsets(offsets_text)
        except ValueError as exc:
            errors["offsets"] = _(
                "« %(part)s » n'est pas un délai : écrivez par exemple J-7, J+3, J-5 ouvrés, H-2 ou S-8.",
                part=str(exc),
            )
        else:
            if not parsed:
                errors["offsets"] = _("Indiquez au moins un délai, ou désactivez la règle.")
            offsets = [str(o) for o in parsed]
    try:
        send_time = time.fromisoformat(send_time_text.strip())
    except ValueError:
        errors["send_time"] = _("Heure invalide : écrivez par exemple 08:00.")
        send_time = rule.default_timing.send_time
    if errors:
        return errors
    state = db.get(ReminderRuleState, rule.name)
    if state is None:
        state = ReminderRuleState(name=rule.name)
        db.add(state)
    before = {"enabled": state.enabled, "offsets": state.offsets, "send_time": state.send_time}
    state.enabled = enabled
    state.offsets = (
        offsets if offsets is not None and offsets != [str(o) for o in rule.default_timing.offsets] else None
    )
    default_time = rule.default_timing.send_time.strftime("%H:%M")
    state.send_time = None if send_time.strftime("%H:%M") == default_time else send_time.strftime("%H:%M")
    state.updated_at = now
    state.updated_by_id = actor.id
    after = {"enabled": state.enabled, "offsets": state.offsets, "send_time": state.send_time}
    audit.record(
        db,
        actor,
        "reminders.rule.updated",
        object_type="reminder_rules",
        object_id=rule.name,
        summary=f"{rule.name}: {format_offsets(rule_timing(db, rule).offsets)}",
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
    )
    db.flush()
    return {}
