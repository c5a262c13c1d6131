"""Writing and reading the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from babel.support import LazyProxy
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit.models import AuditEntry
from core.i18n import PARIS
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.pagination import Page, paginate

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


# -- the audit log page -------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """What the audit log page filters on (``None``/empty: any)."""

    action: str = ""
    user_id: int | None = None
    object_type: str = ""
    #: first and last day (inclusive), Europe/Paris
    since: date | None = None
    until: date | None = None


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)


def search(db: Session, filters: AuditFilters, page: int = 1, per_page: int = 50) -> Page[AuditEntry]:
    """Entries matching the filters, newest first, one page of them."""
    stmt = select(AuditEntry)
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.user_id is not None:
        stmt = stmt.where(AuditEntry.user_id == filters.user_id)
    if filters.object_type:
        stmt = stmt.where(AuditEntry.object_type == filters.object_type)
    if filters.since is not None:
        stmt = stmt.where(AuditEntry.at >= _paris_midnight(filters.since))
    if filters.until is not None:
        stmt = stmt.where(AuditEntry.at < _paris_midnight(filters.until + timedelta(days=1)))
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    return paginate(db, stmt, page, per_page)


def known_actions(db: Session) -> list[str]:
    """Every action recorded so far (for the filter's choices)."""
    return list(db.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def known_object_types(db: Session) -> list[str]:
    """Every object type recorded so far."""
    stmt = select(AuditEntry.object_type).where(AuditEntry.object_type != "").distinct()
    return list(db.scalars(stmt.order_by(AuditEntry.object_type)))


#: French labels of the fields the core records; others are shown by their name
FIELD_LABELS: dict[str, LazyProxy] = {
    "email": _l("Adresse électronique"),
    "display_name": _l("Nom affiché"),
    "is_admin": _l("Administrateur·rice"),
    "is_active": _l("Compte actif"),
    "contact_id": _l("Fiche de l'annuaire"),
    "language": _l("Langue"),
    "password": _l("Mot de passe"),
    "name": _l("Nom"),
    "first_name": _l("Prénom"),
    "last_name": _l("Nom de famille"),
    "function": _l("Fonction"),
    "phone": _l("Téléphone"),
    "website": _l("Site web"),
    "description": _l("Description"),
    "kind": _l("Type"),
    "role": _l("Rôle"),
}

#: French labels of the core's own actions; plugins' actions are shown by their code
ACTION_LABELS: dict[str, LazyProxy] = {
    "accounts.user.created": _l("Compte créé"),
    "accounts.user.updated": _l("Compte modifié"),
    "accounts.user.password_changed": _l("Mot de passe changé"),
    "accounts.user.profile_updated": _l("Préférences modifiées"),
    "accounts.user.logged_out": _l("Déconnexion"),
    "accounts.user.made_admin": _l("Droits d'administration donnés"),
}


def action_label(action: str) -> str:
    """The French label of an action, or its code."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def _readable(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("oui")
    if value is False:
        return _("non")
    if isinstance(value, list | tuple):
        return ", ".join(_readable(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k} : {_readable(v)}" for k, v in value.items()) or "—"
    return str(value)


@dataclass(frozen=True)
class ChangeLine:
    """One changed field, ready to show: label, value before, value after."""

    field: str
    label: str
    before: str
    after: str


def readable_changes(changes: dict[str, Any] | None) -> list[ChangeLine]:
    """``{"field": [old, new]}`` as lines a person can read (yes/no, dashes for empty values)."""
    lines = []
    for key, value in (changes or {}).items():
        if isinstance(value, list | tuple) and len(value) == 2:
            before, after = value
        else:
            before, after = None, value
        label = str(FIELD_LABELS.get(key, key))
        lines.append(ChangeLine(key, label, _readable(before), _readable(after)))
    return lines
