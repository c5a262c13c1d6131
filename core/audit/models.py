"""The audit table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import PERSONAL, Base, Retention, UTCDateTime, utcnow


class AuditEntry(Base):
    """One change: who (user, or a label such as "système"), what action, on which object."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id"),
        {
            "info": {
                "retention": [
                    Retention("audit", "Journal des modifications", "at", days=3 * 365, action="delete")
                ],
                # who made the change: erasing that person keeps the entry (their address in
                # ``actor`` is replaced); entries *about* them are found by object_type/object_id
                "actor_columns": ["user_id"],
            }
        },
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(254), default="", info=PERSONAL)
    #: dotted verb, e.g. ``directory.organisation.updated``
    action: Mapped[str] = mapped_column(String(120), index=True)
    object_type: Mapped[str] = mapped_column(String(80), default="")
    object_id: Mapped[str] = mapped_column(String(80), default="")
    #: may name people ("Contact « … » modifié")
    summary: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    #: {"field": [old, new], …}: old and new names, addresses…
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, info=PERSONAL)
