"""Directory pages (list, detail, forms, import/export)."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from core.directory.models import Organisation
from core.web.context import RequestContext, page


@page
def organisations(ctx: RequestContext) -> Response:
    """The list of organisations."""
    items = ctx.db.scalars(select(Organisation).order_by(Organisation.name_key).limit(50)).all()
    return ctx.render("directory/organisations.html", organisations=items)


routes = [Route("/", organisations, name="organisations")]
