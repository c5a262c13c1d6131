"""Navigation entry and the panel on the club's space page."""

from __future__ import annotations

from core.declarations import NavItem, Panel
from core.i18n import gettext as _
from core.spaces.models import Space
from core.web.context import RequestContext
from plugins.club_economie import access, services
from plugins.club_economie.vocab import SPACE_KIND


def nav_items(ctx: RequestContext) -> list[NavItem]:
    """The club's page is public (it holds the application form): one entry for everybody."""
    return [
        NavItem("club_economie.club", _("Club des entreprises"), ctx.url_for("club_economie:index"), order=35)
    ]


def space_panels(ctx: RequestContext, space: Space) -> list[Panel]:
    """On the club's space page: how to join, and the animators' queue."""
    if space.kind != SPACE_KIND:
        return []
    counts = services.status_counts(ctx.db, space.id) if access.can_review(ctx, space) else None
    html = ctx.render_string(
        "club_economie/_space_panel.html", counts=counts, is_member=access.is_member(ctx, space)
    )
    return [Panel("club_economie.club", _("Le club"), html, order=10)]


def dashboard_panels(ctx: RequestContext) -> list[Panel]:
    """On the home page of the club's animators: the applications waiting for them."""
    space = services.club_space(ctx.db)
    if space is None or not access.can_review(ctx, space):
        return []
    counts = services.status_counts(ctx.db, space.id)
    html = ctx.render_string(
        "club_economie/_dashboard_panel.html",
        counts=counts,
        recent=services.recent(ctx.db, space.id),
    )
    return [Panel("club_economie.applications", _("Candidatures au club"), html, order=35)]
