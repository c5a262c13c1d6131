"""The outbox: every email the hub sends goes through it.

Public services other areas call, in the caller's transaction:

* :func:`enqueue` – an immediate, transactional email ("your application was received"):
  inserted with the caller's data, so it exists only if the caller's transaction commits.
  Call ``core.reminders.runtime.send_soon(state)`` after commit (``ctx.after_commit``) to have
  an in-process sender pick it up at once; a separate worker picks it up at its next run.
* :func:`cancel_pending_for_meeting` – a meeting was rescheduled or cancelled: its pending
  reminders must not go out (new ones with new keys will be swept).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from email.utils import parseaddr
from typing import Any

from sqlalchemy import Insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.db import utcnow
from core.reminders.models import CANCELLED, HELD, PENDING, OutboxMessage
from core.reminders.rules import Attachment, Due

#: the rule name of transactional emails enqueued without one
TRANSACTIONAL = "core.transactional"


def message_id_for(key: str, mail_from: str) -> str:
    """``<sha256(key)@domain>``: the same key always gives the same Message-ID."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "reseau.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()}@{domain}>"


# ------------------------------------------------------------------------ JSON-safe context


def to_json(value: Any) -> Any:
    """``value`` with aware datetimes and dates tagged so they come back as such."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a reminder context")
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # lazy translations and the like


def from_json(value: Any) -> Any:
    """The inverse of :func:`to_json`."""
    if isinstance(value, dict):
        if len(value) == 1 and "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        if len(value) == 1 and "$date" in value:
            return date.fromisoformat(value["$date"])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def encode_attachments(attachments: Iterable[Attachment]) -> list[dict[str, Any]]:
    """Attachments as JSON rows (content in base64)."""
    return [
        {
            "filename": a.filename,
            "mime_type": a.mime_type,
            "params": dict(a.params),
            "alternative": a.alternative,
            "content_b64": base64.b64encode(a.content).decode("ascii"),
        }
        for a in attachments
    ]


def decode_attachments(rows: Iterable[Mapping[str, Any]]) -> list[Attachment]:
    """The inverse of :func:`encode_attachments`."""
    return [
        Attachment(
            filename=r["filename"],
            content=base64.b64decode(r["content_b64"]),
            mime_type=r["mime_type"],
            params=dict(r.get("params") or {}),
            alternative=bool(r.get("alternative")),
        )
        for r in rows
    ]


# ------------------------------------------------------------------------ inserting


def row_values(
    due: Due,
    *,
    rule: str,
    language: str,
    now: datetime,
    optional: bool = False,
    user_id: int | None = None,
    status: str = PENDING,
) -> dict[str, Any]:
    """The outbox row of ``due`` (as column values for a bulk insert)."""
    return {
        "key": due.key,
        "message_id": "",  # set when sent, from the key and RESEAU_MAIL_FROM's domain
        "rule": rule,
        "status": status,
        "optional": optional,
        "recipient_email": due.recipient.email.strip(),
        "recipient_name": due.recipient.name,
        "recipient_user_id": user_id if user_id is not None else due.recipient.user_id,
        "recipient_contact_id": due.recipient.contact_id,
        "language": language,
        "template": due.template,
        "context": to_json(dict(due.context)),
        "attachments": encode_attachments(due.attachments),
        "subject": "",
        "body_text": "",
        "body_html": "",
        "meeting_id": due.meeting_id,
        "space_id": due.space_id,
        "digest_key": None,
        "due_at": due.due_at,
        "expires_at": due.expires_at,
        "attempts": 0,
        "next_attempt_at": due.due_at,
        "last_error": "",
        "created_at": now,
        "updated_at": now,
    }


def insert_ignore(db: Session, rows: list[dict[str, Any]]) -> int:
    """Insert outbox rows, silently skipping keys that exist (never aborts the transaction).

    Returns how many rows were inserted.
    """
    if not rows:
        return 0
    dialect = db.get_bind().dialect.name
    stmt: Insert
    if dialect == "postgresql":
        stmt = pg_insert(OutboxMessage).on_conflict_do_nothing(index_elements=["key"])
    elif dialect == "sqlite":
        stmt = sqlite_insert(OutboxMessage).on_conflict_do_nothing(index_elements=["key"])
    else:  # pragma: no cover - only the two supported backends
        raise RuntimeError(f"unsupported database {dialect}")
    inserted = db.execute(stmt.returning(OutboxMessage.id), rows).all()
    return len(inserted)


def enqueue(
    db: Session,
    due: Due,
    *,
    rule: str = TRANSACTIONAL,
    now: datetime | None = None,
) -> OutboxMessage | None:
    """Put one transactional email in the outbox, in the caller's transaction.

    ``due.key`` makes it idempotent: enqueueing the same key twice keeps the first (``None`` is
    returned the second time). Opt-outs and digests do not apply (use a rule for optional
    reminders). The language is ``due.recipient.language`` or French; ``now`` is the
    request's clock (``ctx.now()``).
    """
    now = now or utcnow()
    values = row_values(due, rule=rule, language=due.recipient.language or "fr", now=now)
    if insert_ignore(db, [values]) == 0:
        return None
    return db.scalar(select(OutboxMessage).where(OutboxMessage.key == due.key))


def cancel_pending_for_meeting(db: Session, meeting_id: int, *, now: datetime | None = None) -> int:
    """Cancel the meeting's pending (and digest-held) outbox rows in the current transaction;
    return how many. Rows being sent or already sent are left alone: the sweep then sends an
    update or a cancellation notice with new keys."""
    result = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.meeting_id == meeting_id, OutboxMessage.status.in_((PENDING, HELD)))
        .values(status=CANCELLED, updated_at=now or utcnow(), last_error="réunion modifiée ou annulée")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
