"""Space pages: list, detail with plugin panels, memberships."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from core.spaces.models import Space
from core.web.context import RequestContext, page


@page
def space_list(ctx: RequestContext) -> Response:
    """Every open space."""
    items = ctx.db.scalars(select(Space).where(Space.closed_at.is_(None)).order_by(Space.name)).all()
    return ctx.render("spaces/list.html", spaces=items)


routes = [Route("/", space_list, name="list")]
