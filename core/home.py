"""The home page (dashboard when signed in) and the legal pages every public site needs."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from core.web.context import RequestContext, page


@page
def home(ctx: RequestContext) -> Response:
    """Public welcome, or the signed-in user's dashboard with every plugin's panels."""
    panels = ctx.state.hooks.dashboard_panels(ctx) if ctx.user is not None else []
    return ctx.render("home.html", panels=panels, plugins=ctx.state.hooks.plugin_info())


@page
def accessibility(ctx: RequestContext) -> Response:
    """The accessibility statement (déclaration d'accessibilité, RGAA)."""
    return ctx.render("accessibility.html")


routes = [
    Route("/", home, name="home"),
    Route("/accessibilite", accessibility, name="accessibility"),
]
