"""Links to a meeting's page, which the meetings work provides (``calendar:meeting``).

Follow-up pages link back to the meeting; until that page exists (parallel work), they fall
back to the meeting's minutes page so that every link still leads somewhere useful.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import NoMatchFound

if TYPE_CHECKING:
    from core.web.context import RequestContext


def meeting_url(ctx: RequestContext, meeting_id: int) -> str:
    """The path of the meeting's page (or of its minutes while there is no meeting page)."""
    try:
        return ctx.url_for("calendar:meeting", meeting_id=meeting_id)
    except NoMatchFound:
        return ctx.url_for("calendar:minutes", meeting_id=meeting_id)
