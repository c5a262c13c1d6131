"""The public meetings the JSON API shows: parameters, query, and the JSON shape of a meeting.

Only public meetings, whatever the caller: the API is anonymous and meant for the city's
website. Times are given in Europe/Paris with their offset (``2026-03-10T14:00:00+01:00``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from core.calendar.models import CANCELLED, PUBLIC, SCHEDULED, Meeting
from core.i18n import PARIS
from core.i18n import gettext as _
from core.spaces.models import Space

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
STATUSES = (SCHEDULED, CANCELLED)
TIMEZONE = "Europe/Paris"


class QueryError(ValueError):
    """A query parameter the API cannot use; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class MeetingQuery:
    """The filters and page of ``GET /api/v1/meetings``."""

    space: str | None = None
    start: date | None = None
    end: date | None = None
    kind: str | None = None
    status: str | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0


def _date(params: Mapping[str, str], name: str) -> date | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise QueryError(name, _("« %(name)s » doit être une date AAAA-MM-JJ.", name=name)) from None


def _integer(params: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit():
        raise QueryError(name, _("« %(name)s » doit être un nombre entier positif.", name=name))
    value = int(raw)
    if value < low or (high is not None and value > high):
        if high is None:
            message = _("« %(name)s » doit valoir au moins %(low)s.", name=name, low=low)
        else:
            message = _(
                "« %(name)s » doit être compris entre %(low)s et %(high)s.", name=name, low=low, high=high
            )
        raise QueryError(name, message)
    return value


def parse_query(params: Mapping[str, str], kinds: Collection[str]) -> MeetingQuery:
    """Read and check the query parameters (unknown ones are ignored); raises :class:`QueryError`."""
    start = _date(params, "from")
    end = _date(params, "to")
    if start and end and end < start:
        raise QueryError("to", _("« to » doit être postérieure ou égale à « from »."))
    kind = params.get("kind") or None
    if kind is not None and kind not in kinds:
        raise QueryError("kind", _("Type de réunion inconnu : %(kind)s.", kind=kind))
    status = params.get("status") or None
    if status is not None and status not in STATUSES:
        raise QueryError("status", _("« status » vaut scheduled ou cancelled."))
    return MeetingQuery(
        space=params.get("space") or None,
        start=start,
        end=end,
        kind=kind,
        status=status,
        limit=_integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_integer(params, "offset", 0, 0, None),
    )


def paris_midnight(day: date) -> datetime:
    """Midnight at the start of ``day`` in Paris."""
    return datetime(day.year, day.month, day.day, tzinfo=PARIS)


def public_meetings(db: Session, query: MeetingQuery) -> tuple[list[tuple[Meeting, Space]], int]:
    """A page of public meetings (by start time) and how many match in all.

    ``from``/``to`` are Paris days, both included, compared with the start of the meeting.
    Raises :class:`QueryError` for a space that does not exist.
    """
    clauses: list[ColumnElement[bool]] = [Meeting.visibility == PUBLIC]
    if query.space is not None:
        space_id = db.scalar(select(Space.id).where(Space.slug == query.space))
        if space_id is None:
            raise QueryError("space", _("Espace inconnu : %(slug)s.", slug=query.space))
        clauses.append(Meeting.space_id == space_id)
    if query.start is not None:
        clauses.append(Meeting.starts_at >= paris_midnight(query.start))
    if query.end is not None:
        clauses.append(Meeting.starts_at < paris_midnight(query.end + timedelta(days=1)))
    if query.kind is not None:
        clauses.append(Meeting.kind == query.kind)
    if query.status is not None:
        clauses.append(Meeting.status == query.status)
    total = db.scalar(select(func.count(Meeting.id)).where(*clauses)) or 0
    rows = db.execute(
        select(Meeting, Space)
        .join(Space, Space.id == Meeting.space_id)
        .where(*clauses)
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    return [(meeting, space) for meeting, space in rows], total


def public_meeting(db: Session, meeting_id: int) -> tuple[Meeting, Space] | None:
    """A public meeting and its space, or ``None`` (unknown or not public alike)."""
    row = db.execute(
        select(Meeting, Space)
        .join(Space, Space.id == Meeting.space_id)
        .where(Meeting.id == meeting_id, Meeting.visibility == PUBLIC)
    ).first()
    return (row[0], row[1]) if row else None


def meeting_json(
    meeting: Meeting,
    space: Space,
    *,
    kind_label: str,
    url: str,
    ics_url: str,
) -> dict[str, Any]:
    """The public JSON of a meeting (see the ``Meeting`` schema of the OpenAPI document)."""
    return {
        "id": meeting.id,
        "uid": meeting.uid,
        "title": meeting.title,
        "description": meeting.description,
        "kind": meeting.kind,
        "kind_label": kind_label,
        "space": {"slug": space.slug, "name": space.name},
        "starts_at": meeting.starts_at.astimezone(PARIS).isoformat(),
        "ends_at": meeting.ends_at.astimezone(PARIS).isoformat(),
        "timezone": TIMEZONE,
        "location": meeting.location,
        "room": meeting.room,
        "online_url": meeting.online_url,
        "status": meeting.status,
        "sequence": meeting.sequence,
        "url": url,
        "ics_url": ics_url,
    }


def page_links(query: MeetingQuery, total: int, link: Callable[[int], str]) -> tuple[str | None, str | None]:
    """The URLs of the next and previous pages (``None`` at either end)."""
    following = link(query.offset + query.limit) if query.offset + query.limit < total else None
    previous = link(max(query.offset - query.limit, 0)) if query.offset > 0 else None
    return following, previous
