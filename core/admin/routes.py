"""Administration: the entry page listing what admins can manage."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from core.web.context import RequestContext, page


@page
def index(ctx: RequestContext) -> Response:
    """The administration home: plugins enabled and links to every admin page."""
    ctx.require_admin()
    return ctx.render("admin/index.html", plugins=ctx.state.hooks.plugin_info())


routes = [Route("/", index, name="index")]
