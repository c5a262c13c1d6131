"""Pagination of a ``select()``: one count query, one page query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results, as ``macros/forms.html``'s ``pagination`` macro expects it."""

    items: Sequence[T]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, even when empty)."""
        return max(1, -(-self.total // self.per_page))


def paginate(db: Session, stmt: Select[Any], number: int, per_page: int = 50) -> Page[Any]:
    """The ``number``-th page (from 1) of ``stmt``'s scalar results; out-of-range numbers are clamped."""
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    number = min(max(1, number), pages)
    items = db.scalars(stmt.limit(per_page).offset((number - 1) * per_page)).all()
    return Page(items=items, number=number, per_page=per_page, total=total)


def page_number(raw: str | None) -> int:
    """A page number from a query string (anything unreadable is page 1)."""
    try:
        return max(1, int(raw or "1"))
    except ValueError:
        return 1
