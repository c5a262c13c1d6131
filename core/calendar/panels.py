"""The calendar's contributions to other pages: the space panel and the dashboard panel.

Called by the core's hookimpls (:mod:`core.corehooks`); each panel costs a fixed number of
queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from core.calendar import services, views
from core.calendar.invitations import response_label
from core.calendar.models import PENDING, SCHEDULED, Invitation, Meeting
from core.declarations import Panel
from core.i18n import gettext as _

if TYPE_CHECKING:
    from core.spaces.models import Space
    from core.web.context import RequestContext

PANEL_SIZE = 5


def space_panel(ctx: RequestContext, space: Space) -> Panel:
    """ "Prochaines réunions" of a space, with a link to plan one for its animators."""
    entries = views.upcoming(
        ctx.db, ctx.state.registry, ctx.user, now=ctx.now(), limit=PANEL_SIZE, space_id=space.id
    )
    can_plan = services.can_manage(ctx.db, ctx.state.registry, ctx.user, space.id)
    html = ctx.render_string(
        "calendar/panels/space.html",
        entries=entries,
        space=space,
        can_plan=can_plan,
        list_url=ctx.url_for("calendar:list", query={"space": space.id}),
        new_url=ctx.url_for("calendar:meeting_new", query={"space": space.id}),
        series_url=ctx.url_for("calendar:series_new", query={"space": space.id}),
    )
    return Panel("core.calendar.space", _("Prochaines réunions"), html, order=20)


def dashboard_panel(ctx: RequestContext) -> Panel | None:
    """ "Mes prochaines réunions": meetings of my spaces or that I am invited to, with my answer."""
    if ctx.user is None:
        return None
    entries = views.upcoming(ctx.db, ctx.state.registry, ctx.user, now=ctx.now(), limit=PANEL_SIZE, mine=True)
    answers: dict[int, str] = {}
    if ctx.user.contact_id is not None and entries:
        answers = dict(
            ctx.db.execute(
                select(Invitation.meeting_id, Invitation.response).where(
                    Invitation.contact_id == ctx.user.contact_id,
                    Invitation.meeting_id.in_([e.meeting.id for e in entries]),
                )
            ).all()
        )
    pending = 0
    if ctx.user.contact_id is not None:
        pending = (
            ctx.db.scalar(
                select(func.count())
                .select_from(Invitation)
                .join(Meeting, Meeting.id == Invitation.meeting_id)
                .where(
                    Invitation.contact_id == ctx.user.contact_id,
                    Invitation.response == PENDING,
                    Meeting.status == SCHEDULED,
                    Meeting.ends_at > ctx.now(),
                )
            )
            or 0
        )
    html = ctx.render_string(
        "calendar/panels/dashboard.html",
        entries=entries,
        answers=answers,
        pending=pending,
        response_label=response_label,
        mine_url=ctx.url_for("calendar:list", query={"mine": "1"}),
    )
    return Panel("core.calendar.mine", _("Mes prochaines réunions"), html, order=10)
