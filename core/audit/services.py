"""Writing and reading the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit.models import AuditEntry

if TYPE_CHECKING:
    from core.accounts.models import User


def record(
    db: Session,
    actor: User | None,
    action: str,
    obj: Any = None,
    *,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
) -> AuditEntry:
    """Append an entry in the current transaction (so it is kept only if the change is)."""
    if obj is not None:
        object_type = object_type or getattr(obj, "__tablename__", type(obj).__name__)
        object_id = object_id if object_id is not None else getattr(obj, "id", "")
    entry = AuditEntry(
        user_id=actor.id if actor is not None else None,
        actor=actor.email if actor is not None else "système",
        action=action,
        object_type=object_type or "",
        object_id=str(object_id or ""),
        summary=summary,
        changes=changes or {},
    )
    db.add(entry)
    return entry


def diff(obj: Any, new_values: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields of ``obj`` that ``new_values`` changes, as ``{field: [old, new]}`` (JSON-safe)."""
    changes: dict[str, list[Any]] = {}
    for key, new in new_values.items():
        old = getattr(obj, key, None)
        if old != new:
            changes[key] = [_jsonable(old), _jsonable(new)]
    return changes


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def entries_for(db: Session, object_type: str, object_id: str | int, limit: int = 50) -> Sequence[AuditEntry]:
    """The latest entries about one object, newest first."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return db.scalars(stmt).all()
