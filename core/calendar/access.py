"""Loading a meeting for a page, with the permission checks every calendar route shares.

A meeting the viewer may not see answers 404 (its existence is not confirmed to a signed-in
stranger) – or sends an anonymous visitor to the login page; a meeting they may see but not
manage answers 403 on management pages.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException

from core.calendar import services
from core.calendar.models import Meeting
from core.calendar.visibility import can_see
from core.web.context import LoginRequired, RequestContext


def load_meeting(ctx: RequestContext, meeting_id: int, *, manage: bool = False) -> Meeting:
    """The meeting (space loaded) if the viewer may see it – and manage it when ``manage``."""
    meeting = services.get_meeting(ctx.db, meeting_id)
    if meeting is None:
        raise HTTPException(404)
    if manage:
        if ctx.user is None:
            raise LoginRequired()
        if services.can_manage(ctx.db, ctx.state.registry, ctx.user, meeting.space_id):
            return meeting
        if can_see(ctx.db, ctx.user, meeting):
            raise HTTPException(403)
        raise HTTPException(404)
    if can_see(ctx.db, ctx.user, meeting):
        return meeting
    if ctx.user is None:
        raise LoginRequired()
    raise HTTPException(404)


def can_manage_meeting(ctx: RequestContext, meeting: Meeting) -> bool:
    """Whether the viewer may edit this meeting (animator of its space, or admin)."""
    return services.can_manage(ctx.db, ctx.state.registry, ctx.user, meeting.space_id)


def int_param(value: Any) -> int | None:
    """A positive integer from a query or form value, else ``None``."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def wake_reminders(ctx: RequestContext) -> None:
    """Once this request commits, let the reminders sweep run now: invitations, updates and
    cancellation notices go out within seconds instead of at the next scheduled sweep."""
    from core.reminders.runtime import sweep_soon

    state = ctx.state
    ctx.after_commit(lambda: sweep_soon(state))
