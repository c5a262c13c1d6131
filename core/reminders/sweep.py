"""The sweep: ask every enabled rule what is due now and put it in the outbox, exactly once.

One short transaction, a savepoint per rule: the rule's state row is locked (so two sweepers
do not do the same work twice), the window ``(since, now]`` runs from the previous sweep (minus
the rule's overlap) to now, the rule's due emails are filtered by people's choices and
inserted with insert-or-ignore on their key, and the watermark moves to ``now``. A rule that
fails is rolled back to its savepoint and retried at the next sweep; the others go on.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.accounts.models import User
from core.db import transaction
from core.reminders.models import (
    ALL_RULES,
    DIGEST_NONE,
    EXPIRED,
    HELD,
    PENDING,
    ReminderOptOut,
    ReminderRuleState,
    ReminderUserSettings,
)
from core.reminders.outbox import insert_ignore, row_values
from core.reminders.preferences import next_digest_at
from core.reminders.rules import Due, Offset, ReminderRule, RuleRun, Timing

if TYPE_CHECKING:
    from core.app import AppState

log = logging.getLogger(__name__)

#: the very first sweep of a rule looks back this far, never over the whole history
FIRST_LOOKBACK = timedelta(days=1)
DIGEST_RULE = "core.digest"
#: the outbox key column's size
KEY_MAX = 300


@dataclass
class SweepReport:
    """What one sweep did: rows inserted per rule, rules that failed."""

    inserted: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Rows inserted by every rule."""
        return sum(self.inserted.values())


def effective_timing(rule: ReminderRule, state: ReminderRuleState | None) -> Timing:
    """The rule's default timing with the admins' changes applied."""
    timing = rule.default_timing
    if state is None:
        return timing
    offsets = timing.offsets if state.offsets is None else tuple(Offset.parse(o) for o in state.offsets)
    send_time = timing.send_time if not state.send_time else time.fromisoformat(state.send_time)
    return Timing(offsets=offsets, send_time=send_time, enabled=state.enabled)


def _lock_states(db: Session, names: Sequence[str]) -> dict[str, ReminderRuleState]:
    """The rules' state rows, created if missing, locked until the transaction ends (PostgreSQL,
    in name order so two sweepers cannot deadlock; SQLite's write transaction is exclusive
    already). Two statements for all the rules, not two per rule."""
    if not names:
        return {}
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.execute(
        insert(ReminderRuleState)
        .values([{"name": name, "enabled": True} for name in names])
        .on_conflict_do_nothing(index_elements=["name"])
    )
    stmt = select(ReminderRuleState).where(ReminderRuleState.name.in_(names)).order_by(ReminderRuleState.name)
    if dialect == "postgresql":
        stmt = stmt.with_for_update()
    return {state.name: state for state in db.scalars(stmt.execution_options(populate_existing=True))}


@dataclass(frozen=True)
class _Resolved:
    user_id: int | None
    language: str
    held: bool


def _resolve(
    db: Session,
    rule: ReminderRule,
    dues: list[Due],
    now: datetime,
    default_language: str,
    digest_time: time | None,
) -> list[tuple[Due, _Resolved]]:
    """Find each recipient's account, drop refused optional reminders, decide digests.

    A handful of queries for the whole batch, whatever its size.
    """
    user_ids = {d.recipient.user_id for d in dues if d.recipient.user_id is not None}
    contact_ids = {d.recipient.contact_id for d in dues if d.recipient.contact_id is not None}
    emails = {d.recipient.email.strip() for d in dues} | {d.recipient.email.strip().lower() for d in dues}
    users: list[User] = []
    if dues:
        users = list(
            db.scalars(
                select(User).where(
                    or_(User.id.in_(user_ids), User.contact_id.in_(contact_ids), User.email.in_(emails))
                )
            )
        )
    by_id = {u.id: u for u in users}
    by_contact = {u.contact_id: u for u in users if u.contact_id is not None}
    by_email = {u.email.strip().lower(): u for u in users}

    def account(due: Due) -> User | None:
        r = due.recipient
        return (
            by_id.get(r.user_id or -1)
            or by_contact.get(r.contact_id or -1)
            or by_email.get(r.email.strip().lower())
        )

    refused: dict[str, set[str]] = defaultdict(set)
    modes: dict[int, str] = {}
    if rule.opt_out_allowed and dues:
        addresses = {e.lower() for e in emails} | set(by_email)
        for email, name in db.execute(
            select(ReminderOptOut.email, ReminderOptOut.rule).where(
                ReminderOptOut.email.in_(addresses), ReminderOptOut.rule.in_((rule.name, ALL_RULES))
            )
        ):
            refused[email].add(name)
        if users:
            rows = db.execute(
                select(ReminderUserSettings.user_id, ReminderUserSettings.digest).where(
                    ReminderUserSettings.user_id.in_(by_id)
                )
            )
            modes = {user_id: digest for user_id, digest in rows}

    resolved = []
    for due in dues:
        user = account(due)
        if rule.opt_out_allowed:
            addresses = {due.recipient.email.strip().lower()}
            if user is not None:
                addresses.add(user.email.strip().lower())
            if any(refused.get(a) for a in addresses):
                continue
        language = due.recipient.language or (user.language if user is not None else None) or default_language
        held = False
        mode = modes.get(user.id, DIGEST_NONE) if user is not None else DIGEST_NONE
        if rule.opt_out_allowed and mode != DIGEST_NONE and digest_time is not None:
            # a reminder that would expire before the digest goes out is sent on its own
            held = due.expires_at is None or due.expires_at > next_digest_at(now, mode, digest_time)
        resolved.append((due, _Resolved(user.id if user is not None else None, language, held)))
    return resolved


def sweep_rule(
    db: Session,
    state: AppState,
    rule: ReminderRule,
    now: datetime,
    *,
    digest_time: time | None,
    rule_state: ReminderRuleState | None = None,
) -> int:
    """Sweep one rule at ``now`` in the session's transaction; return how many rows were inserted.

    ``rule_state`` is the rule's locked state row when the caller has it already."""
    settings = state.settings
    router = state.extras.get("router")
    if rule_state is None:
        rule_state = _lock_states(db, [rule.name])[rule.name]
    timing = effective_timing(rule, rule_state)
    if rule_state.swept_until is None:
        since = now - FIRST_LOOKBACK
    else:
        since = min(rule_state.swept_until, now) - rule.overlap
    inserted = 0
    if timing.enabled:
        run = RuleRun(
            db=db,
            rule=rule,
            timing=timing,
            since=since,
            now=now,
            settings=settings,
            url_path_for=router.url_path_for if router is not None else None,
        )
        dues = [d for d in rule.collect(run) if d.due_at <= now]
        for due in dues:
            # keys are namespaced by rule, so two rules can never silence each other
            if not due.key.startswith(f"{rule.name}:") or len(due.key) > KEY_MAX:
                raise ValueError(f"key {due.key[:80]!r} must start with '{rule.name}:' (max {KEY_MAX} chars)")
        rows = []
        for due, resolved in _resolve(db, rule, dues, now, settings.default_language, digest_time):
            status = PENDING
            if due.expires_at is not None and due.expires_at <= now:
                status = EXPIRED  # found too late (the sweep was down): recorded, never sent
            elif resolved.held:
                status = HELD
            rows.append(
                row_values(
                    due,
                    rule=rule.name,
                    language=resolved.language,
                    now=now,
                    optional=rule.opt_out_allowed,
                    user_id=resolved.user_id,
                    status=status,
                )
            )
        inserted = insert_ignore(db, rows)
    if rule_state.swept_until is None or rule_state.swept_until < now:
        rule_state.swept_until = now
    db.flush()
    return inserted


def sweep(
    state: AppState,
    now: datetime | None = None,
    *,
    rules: Iterable[str] | None = None,
    on_error: Callable[[str, BaseException], Any] | None = None,
) -> SweepReport:
    """Sweep every registered rule (or those named) at ``now`` (the app's clock by default).

    One transaction, a savepoint per rule: a rule that fails is rolled back alone (its
    watermark stays, so it is retried at the next sweep) and the others are kept. The digest
    rule runs last, so reminders held by this sweep can join a digest due now.
    """
    now = now or state.now()
    registry: dict[str, ReminderRule] = state.registry.reminder_rules
    names = list(rules) if rules is not None else list(registry)
    names.sort(key=lambda n: n == DIGEST_RULE)
    report = SweepReport()
    with transaction(state.session_factory) as db:
        states = _lock_states(db, names)
        digest_time = _digest_time(db, registry, states)
        for name in names:
            rule = registry[name]
            try:
                with db.begin_nested():
                    report.inserted[name] = sweep_rule(
                        db, state, rule, now, digest_time=digest_time, rule_state=states[name]
                    )
            except Exception as exc:  # one broken rule must not stop the others
                log.exception("reminder rule %s failed", name)
                report.errors[name] = f"{type(exc).__name__}: {exc}"
                if on_error is not None:
                    on_error(name, exc)
    return report


def _digest_time(
    db: Session, registry: dict[str, ReminderRule], states: dict[str, ReminderRuleState]
) -> time | None:
    """When digests go out, or ``None`` when there are none (rule missing or switched off):
    then nothing is held for them."""
    rule = registry.get(DIGEST_RULE)
    if rule is None:
        return None
    state = states[DIGEST_RULE] if DIGEST_RULE in states else db.get(ReminderRuleState, DIGEST_RULE)
    timing = effective_timing(rule, state)
    return timing.send_time if timing.enabled else None
