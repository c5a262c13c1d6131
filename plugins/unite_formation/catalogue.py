"""The public catalogue: published cycles with their places left, filtered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugins.unite_formation.models import Cycle
from plugins.unite_formation.registrations import Counts, counts, shown_status, window_error
from plugins.unite_formation.services import first_start, last_end, paris_instant
from plugins.unite_formation.vocab import CANCELLED, PUBLICS, THEMES, VISIBLE


@dataclass(frozen=True)
class Filters:
    """What the visitor asked for (unknown values are ignored, never an error)."""

    public: str = ""
    theme: str = ""
    start: date | None = None
    end: date | None = None
    places_left: bool = False
    past: bool = False


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_filters(params: Mapping[str, str]) -> Filters:
    """Filters from the query string (``public``, ``theme``, ``du``, ``au``, ``places``, ``passes``)."""
    public = params.get("public", "")
    theme = params.get("theme", "")
    return Filters(
        public=public if public in PUBLICS else "",
        theme=theme if theme in THEMES else "",
        start=_day(params.get("du")),
        end=_day(params.get("au")),
        places_left=params.get("places") == "1",
        past=params.get("passes") == "1",
    )


@dataclass(frozen=True)
class Entry:
    """A cycle as the catalogue shows it."""

    cycle: Cycle
    counts: Counts
    starts_at: datetime | None
    ends_at: datetime | None
    open_now: bool
    status: str


def entry(db: Session, cycle: Cycle, now: datetime) -> Entry:
    """A cycle with its places, dates and shown status at ``now``."""
    return Entry(
        cycle,
        counts(db, cycle, now),
        first_start(cycle),
        last_end(cycle),
        window_error(cycle, now) is None,
        shown_status(cycle, now),
    )


def search(db: Session, filters: Filters, now: datetime) -> list[Entry]:
    """Published cycles matching ``filters``, soonest first; finished ones only when asked."""
    stmt = select(Cycle).where(Cycle.status.in_(VISIBLE))
    if filters.public:
        stmt = stmt.where(Cycle.public == filters.public)
    if filters.theme:
        stmt = stmt.where(Cycle.theme == filters.theme)
    found = []
    for cycle in db.scalars(stmt).all():
        item = entry(db, cycle, now)
        if item.starts_at is None or item.ends_at is None:
            continue
        if not filters.past and (item.ends_at < now or cycle.status == CANCELLED):
            continue
        if filters.start is not None and item.ends_at < paris_instant(filters.start, time(0)):
            continue
        if filters.end is not None and item.starts_at >= paris_instant(
            filters.end + timedelta(days=1), time(0)
        ):
            continue
        if filters.places_left and (item.counts.left == 0 or not item.open_now):
            continue
        found.append(item)
    found.sort(key=lambda e: (e.starts_at or now, e.cycle.id))
    return found
