"""People's choices: opt-outs per rule, daily or weekly digests, signed unsubscribe links."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.reminders.models import (
    ALL_RULES,
    DIGEST_DAILY,
    DIGEST_MODES,
    DIGEST_NONE,
    DIGEST_WEEKLY,
    HELD,
    PENDING,
    OutboxMessage,
    ReminderOptOut,
    ReminderUserSettings,
)
from core.reminders.rules import paris_date, paris_to_utc

if TYPE_CHECKING:
    from core.accounts.models import User
    from core.config import Settings

UNSUBSCRIBE_SALT = "reminders.unsubscribe"
#: unsubscribe links keep working for a long time: people find old emails
UNSUBSCRIBE_MAX_AGE = 400 * 24 * 3600


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(settings: Settings, email: str, rule: str) -> str:
    """A signed token saying "``email`` no longer wants ``rule``" (``"*"``: no optional email)."""
    return _serializer(settings).dumps({"e": email.strip().lower(), "r": rule})


def read_unsubscribe_token(settings: Settings, token: str) -> tuple[str, str] | None:
    """``(email, rule)`` from a valid, unexpired token; ``None`` when tampered with or too old."""
    try:
        data = _serializer(settings).loads(token, max_age=UNSUBSCRIBE_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str) or not isinstance(data.get("r"), str):
        return None
    return data["e"], data["r"]


def opt_out(db: Session, email: str, rule: str, *, user_id: int | None = None, source: str = "link") -> bool:
    """Record that ``email`` refuses ``rule``; ``False`` when it already did (harmless twice)."""
    email = email.strip().lower()
    exists = db.scalar(
        select(ReminderOptOut.id).where(ReminderOptOut.email == email, ReminderOptOut.rule == rule)
    )
    if exists is not None:
        return False
    db.add(ReminderOptOut(email=email, rule=rule, user_id=user_id, source=source))
    db.flush()
    return True


def opted_out_rules(db: Session, emails: Iterable[str]) -> set[str]:
    """The rules any of these addresses refused (``"*"`` included when present)."""
    lowered = {e.strip().lower() for e in emails if e}
    if not lowered:
        return set()
    return set(db.scalars(select(ReminderOptOut.rule).where(ReminderOptOut.email.in_(lowered))))


def user_emails(user: User, contact_email: str | None = None) -> list[str]:
    """The addresses under which a user's opt-outs are kept: the account's and their contact's."""
    return [e for e in {user.email.strip().lower(), (contact_email or "").strip().lower()} if e]


def set_user_choices(
    db: Session,
    user: User,
    *,
    refused: set[str],
    optional_rules: Iterable[str],
    digest: str,
    now: datetime,
    contact_email: str | None = None,
) -> None:
    """Save the preferences page: the optional rules the user refuses, and the digest mode.

    Leaving the digest releases the reminders it was holding so they go out now.
    """
    if digest not in DIGEST_MODES:
        raise ValueError(digest)
    emails = user_emails(user, contact_email)
    optional = set(optional_rules)
    db.execute(
        delete(ReminderOptOut).where(
            ReminderOptOut.email.in_(emails), ReminderOptOut.rule.in_(optional | {ALL_RULES})
        )
    )
    for rule in sorted(refused & optional):
        db.add(
            ReminderOptOut(email=user.email.strip().lower(), rule=rule, user_id=user.id, source="preferences")
        )
    row = db.get(ReminderUserSettings, user.id)
    if row is None:
        row = ReminderUserSettings(user_id=user.id)
        db.add(row)
    previous = row.digest
    row.digest = digest
    row.updated_at = now
    if previous != DIGEST_NONE and digest == DIGEST_NONE:
        db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.recipient_user_id == user.id, OutboxMessage.status == HELD)
            .values(status=PENDING, next_attempt_at=now, updated_at=now)
        )
    db.flush()


def digest_mode(db: Session, user_id: int) -> str:
    """The user's digest mode (``none`` by default)."""
    row = db.get(ReminderUserSettings, user_id)
    return row.digest if row is not None else DIGEST_NONE


def next_digest_at(after: datetime, mode: str, send_time: time) -> datetime:
    """The first digest instant strictly after ``after``: every day, or Mondays, at ``send_time``."""
    day: date = paris_date(after)
    while True:
        instant = paris_to_utc(day, send_time)
        if instant > after and (mode == DIGEST_DAILY or (mode == DIGEST_WEEKLY and day.weekday() == 0)):
            return instant
        day += timedelta(days=1)
