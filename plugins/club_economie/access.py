"""Who may do what in the club, checked on the server for every page."""

from __future__ import annotations

from starlette.exceptions import HTTPException

from core.accounts.models import User
from core.i18n import gettext as _
from core.spaces.models import Space
from core.web.context import RequestContext
from plugins.club_economie import services
from plugins.club_economie.vocab import MANAGE, REVIEW, VIEW_MEMBERS


def club(ctx: RequestContext) -> Space:
    """The club's space, or a French 404 when it has not been created yet."""
    space = services.club_space(ctx.db)
    if space is None:
        raise HTTPException(404, detail=_("Le Club des acteurs de l'économie n'a pas encore été créé."))
    return space


def reviewer(ctx: RequestContext, space: Space) -> User:
    """The signed-in animator (or admin) who reviews applications."""
    return ctx.require(REVIEW, space.id)


def manager(ctx: RequestContext, space: Space) -> User:
    """The signed-in animator (or admin) who runs the club's life."""
    return ctx.require(MANAGE, space.id)


def is_member(ctx: RequestContext, space: Space) -> bool:
    """Whether the visitor is a member of the club (or an animator, or an admin)."""
    return ctx.user is not None and ctx.can(VIEW_MEMBERS, space.id)


def can_review(ctx: RequestContext, space: Space) -> bool:
    """Whether the visitor reviews applications."""
    return ctx.user is not None and ctx.can(REVIEW, space.id)


def can_manage(ctx: RequestContext, space: Space) -> bool:
    """Whether the visitor runs the club's life."""
    return ctx.user is not None and ctx.can(MANAGE, space.id)
