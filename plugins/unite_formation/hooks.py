"""Hook implementations of the unite_formation plugin: short functions that delegate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from core import hookimpl
from core.declarations import MeetingKind, NavItem, Panel, Permission, SpaceKind, SpaceRole
from core.i18n import lazy_gettext as _l
from core.spaces.models import ANIMATOR
from plugins.unite_formation import models  # noqa: F401 - the plugin's tables in Base.metadata
from plugins.unite_formation.vocab import MANAGE, SESSION_KIND, SPACE_KIND, TEACH, TRAINER

if TYPE_CHECKING:
    from core.spaces.models import Space
    from core.web.context import RequestContext


@hookimpl
def reseau_register_space_kinds() -> list[SpaceKind]:
    return [
        SpaceKind(
            SPACE_KIND,
            _l("Unité locale de formation"),
            _l("Cycles de formation courts pour bénévoles, médiateurs, professionnels et parents."),
        ),
    ]


@hookimpl
def reseau_register_space_roles() -> list[SpaceRole]:
    return [
        SpaceRole(TRAINER, _l("Formateur·rice"), _l("Publie ses cycles de formation et tient l'émargement."))
    ]


@hookimpl
def reseau_register_permissions() -> list[Permission]:
    return [
        Permission(TEACH, _l("Publier des cycles de formation et gérer les siens"), (TRAINER, ANIMATOR)),
        Permission(MANAGE, _l("Gérer tous les cycles de formation et voir les statistiques"), (ANIMATOR,)),
    ]


@hookimpl
def reseau_register_meeting_kinds() -> list[MeetingKind]:
    return [MeetingKind(SESSION_KIND, _l("Session de formation"))]


@hookimpl
def reseau_demo_data(session: Session) -> None:
    from plugins.unite_formation.demo import load

    load(session)


@hookimpl
def reseau_register_routes() -> list[BaseRoute]:
    from plugins.unite_formation.routes import all_routes

    return list(all_routes())


@hookimpl
def reseau_nav_items(ctx: RequestContext) -> list[NavItem]:
    return [
        NavItem(
            "unite_formation.catalogue",
            _l("Cycles de formation"),
            ctx.url_for("unite_formation:index"),
            order=40,
        )
    ]


@hookimpl
def reseau_space_panels(ctx: RequestContext, space: Space) -> list[Panel]:
    from plugins.unite_formation.routes import space_panels

    return space_panels(ctx, space)


@hookimpl
def reseau_dashboard_panels(ctx: RequestContext) -> list[Panel]:
    from plugins.unite_formation.routes import dashboard_panels

    return dashboard_panels(ctx)


@hookimpl
def reseau_register_reminder_rules() -> list[Any]:
    from plugins.unite_formation.reminders import rules

    return rules()
