"""Reminder tables: the outbox, per-rule settings and watermark, people's choices.

Also declares the indexes the sweep needs on core calendar columns (it finds what is due by
ranges on these columns, never by scanning the history).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.calendar.models import Invitation, Meeting
from core.db import PERSONAL, Base, Retention, UTCDateTime, utcnow

# outbox.status
PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
CANCELLED = "cancelled"
EXPIRED = "expired"
#: waiting for the recipient's daily or weekly digest
HELD = "held"
#: sent inside a digest (``digest_key`` names it)
DIGESTED = "digested"
STATUSES: tuple[str, ...] = (PENDING, SENDING, SENT, FAILED, CANCELLED, EXPIRED, HELD, DIGESTED)

# reminder_user_settings.digest
DIGEST_NONE = "none"
DIGEST_DAILY = "daily"
DIGEST_WEEKLY = "weekly"
DIGEST_MODES: tuple[str, ...] = (DIGEST_NONE, DIGEST_DAILY, DIGEST_WEEKLY)

#: an opt-out of every optional reminder
ALL_RULES = "*"


class OutboxMessage(Base):
    """One email: created by the sweep (or :func:`core.reminders.outbox.enqueue`), sent by the
    sender exactly once. Rows are never deleted; their status tells what happened.

    The subject and bodies are rendered (in the recipient's language) when the message is sent,
    from ``template`` and ``context``, and kept.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        # the sender's claim: pending rows whose next attempt is due
        Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),
        # expired leases go back to pending
        Index("ix_outbox_status_lease", "status", "lease_expires_at"),
        Index("ix_outbox_recipient_user_status", "recipient_user_id", "status"),
        {
            "info": {
                "retention": [
                    Retention(
                        "outbox_bodies",
                        "Contenu et destinataires des courriels envoyés",
                        "created_at",
                        days=180,
                        where={"status": [SENT, FAILED, CANCELLED, EXPIRED, DIGESTED]},
                    )
                ]
            }
        },
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the idempotency key: a second sweep, a restart or a second worker insert nothing
    key: Mapped[str] = mapped_column(String(300), unique=True)
    #: ``<sha256(key)>@<domain>``, so a re-send is recognisable as the same message
    message_id: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(120), index=True)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    #: the reminder may be refused by its recipient (opt-out, digest, unsubscribe link)
    optional: Mapped[bool] = mapped_column(Boolean, default=False)
    recipient_email: Mapped[str] = mapped_column(String(254), index=True, info=PERSONAL)
    recipient_name: Mapped[str] = mapped_column(String(200), default="", info=PERSONAL)
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recipient_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str] = mapped_column(String(8), default="fr")
    template: Mapped[str] = mapped_column(String(200))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, info=PERSONAL)
    #: ``[{"filename", "mime_type", "params", "alternative", "content_b64"}]``
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, info=PERSONAL)
    subject: Mapped[str] = mapped_column(String(500), default="", info=PERSONAL)
    body_text: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    body_html: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="SET NULL"), index=True)
    #: the digest this row was sent in (its key), when the recipient chose one
    digest_key: Mapped[str | None] = mapped_column(String(300), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: after this instant the message is never sent (status ``expired``)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the SMTP server's answer may quote the address
    last_error: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.key!r} {self.status}>"


class ReminderRuleState(Base):
    """Per rule: the admins' timing (``None`` = the rule's default) and the sweep's watermark."""

    __tablename__ = "reminder_rules"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: ``["J-7", "J-1"]``, or ``None`` for the rule's default offsets
    offsets: Mapped[list[str] | None] = mapped_column(JSON)
    #: ``"08:00"`` (Europe/Paris), or ``None`` for the rule's default
    send_time: Mapped[str | None] = mapped_column(String(5))
    #: the sweep has looked at everything due up to this instant
    swept_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ReminderOptOut(Base):
    """Someone (by address) does not want an optional rule's emails (``rule == "*"``: none)."""

    __tablename__ = "reminder_opt_outs"
    __table_args__ = (Index("uq_reminder_opt_outs_email_rule", "email", "rule", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: lower-cased address
    email: Mapped[str] = mapped_column(String(254), info=PERSONAL)
    rule: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: ``link`` (unsubscribe link) or ``preferences`` (the preferences page)
    source: Mapped[str] = mapped_column(String(20), default="link")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderUserSettings(Base):
    """An account's email choices beyond opt-outs: single emails, or a daily/weekly digest."""

    __tablename__ = "reminder_user_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(10), default=DIGEST_NONE)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The sweep finds new invitations, changed and cancelled meetings, and ended meetings by range
# on these columns (``starts_at`` and action items' ``(status, due_on)`` are indexed already).
Index("ix_invitations_invited_at", Invitation.invited_at)
Index("ix_meetings_updated_at", Meeting.updated_at)
Index("ix_meetings_cancelled_at", Meeting.cancelled_at)
Index("ix_meetings_ends_at", Meeting.ends_at)
