"""Helpers shared by the plugin's pages: parameters, 404s, signed links, form errors."""

from __future__ import annotations

from typing import Any, TypeVar

from starlette.exceptions import HTTPException

from core.web.context import RequestContext
from plugins.unite_formation import services as svc
from plugins.unite_formation.links import Links
from plugins.unite_formation.models import Cycle
from plugins.unite_formation.vocab import CYCLE_STATUSES, PUBLICS, REGISTRATION_STATUSES, THEMES

T = TypeVar("T")


def found(value: T | None) -> T:
    """The value, or a 404 page."""
    if value is None:
        raise HTTPException(404)
    return value


def int_param(ctx: RequestContext, name: str) -> int:
    value = ctx.request.path_params.get(name, ctx.request.query_params.get(name, ""))
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def form_value(ctx: RequestContext, name: str) -> str:
    value = ctx.form.get(name) if ctx.form is not None else None
    return value if isinstance(value, str) else ""


def links(ctx: RequestContext) -> Links:
    """Signed links with absolute URLs from ``RESEAU_BASE_URL``."""
    return Links(ctx.state.settings.secret_key, ctx.absolute_url)


def access(ctx: RequestContext) -> svc.Access:
    return svc.access_for(ctx.db, ctx.state.registry, ctx.user)


def cycle_or_404(ctx: RequestContext) -> Cycle:
    return found(svc.get_cycle(ctx.db, int_param(ctx, "cycle_id")))


def editable_cycle(ctx: RequestContext) -> tuple[Cycle, svc.Access]:
    """The cycle of the URL if the user may edit it: sign-in, 403 or 404 otherwise."""
    ctx.require_user()
    cycle = cycle_or_404(ctx)
    rights = access(ctx)
    if not rights.can_edit(cycle):
        raise HTTPException(403)
    return cycle, rights


def field_error(form: Any, error: svc.ServiceError) -> None:
    """Show a service's refusal next to its field (or at the top of the form)."""
    if error.field and error.field in form._fields:
        field = form[error.field]
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def vocab() -> dict[str, Any]:
    """The vocabularies every template may show."""
    return {
        "PUBLICS": PUBLICS,
        "THEMES": THEMES,
        "CYCLE_STATUSES": CYCLE_STATUSES,
        "REG_STATUSES": REGISTRATION_STATUSES,
    }
