"""The club's own pages: its home, its resources for project carriers, its opinions."""

from __future__ import annotations

from starlette.responses import Response

from core.web.context import RequestContext, page
from plugins.club_economie import access, members, services
from plugins.club_economie.vocab import MEETING_KINDS, label


@page
def index(ctx: RequestContext) -> Response:
    """The club's home: what it is, how to join, its next meetings, links for its people."""
    space = access.club(ctx)
    is_member = access.is_member(ctx, space)
    meetings = members.upcoming_meetings(ctx.db, space.id, ctx.now()) if is_member else []
    counts = services.status_counts(ctx.db, space.id) if access.can_review(ctx, space) else None
    return ctx.render(
        "club_economie/index.html",
        space=space,
        is_member=is_member,
        can_review=counts is not None,
        can_manage=access.can_manage(ctx, space),
        counts=counts,
        meetings=meetings,
        meeting_kinds=MEETING_KINDS,
        label=label,
    )
