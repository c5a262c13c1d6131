"""Hook implementations of the groupes_techniques plugin: short functions that delegate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from core import hookimpl
from core.declarations import NavItem, Panel, Permission, SpaceKind
from core.i18n import lazy_gettext as _l
from core.spaces.models import ANIMATOR, MEMBER
from plugins.groupes_techniques import models  # noqa: F401 - the plugin's tables in Base.metadata
from plugins.groupes_techniques.vocab import ANIMATE, COMMITTEE_KIND, GROUP_KIND, VIEW

if TYPE_CHECKING:
    from core.spaces.models import Space
    from core.web.context import RequestContext


@hookimpl
def reseau_register_space_kinds() -> list[SpaceKind]:
    return [
        SpaceKind(
            GROUP_KIND,
            _l("Groupe technique"),
            _l("Un groupe de travail thématique, permanent ou ponctuel, qui doit se réunir régulièrement."),
        ),
        SpaceKind(
            COMMITTEE_KIND, _l("Comité de pilotage"), _l("Une instance de gouvernance du Contrat de ville.")
        ),
    ]


@hookimpl
def reseau_register_permissions() -> list[Permission]:
    return [
        Permission(ANIMATE, _l("Prévoir les réunions du groupe et chercher une date"), (ANIMATOR,)),
        Permission(VIEW, _l("Consulter les réunions et l'historique du groupe"), (ANIMATOR, MEMBER)),
    ]


@hookimpl
def reseau_register_routes() -> list[BaseRoute]:
    from plugins.groupes_techniques.routes import routes

    return routes


@hookimpl
def reseau_register_reminder_rules() -> list[Any]:
    from plugins.groupes_techniques.reminders import RULES

    return list(RULES)


@hookimpl
def reseau_nav_items(ctx: RequestContext) -> list[NavItem]:
    from plugins.groupes_techniques.routes import nav_items

    return nav_items(ctx)


@hookimpl
def reseau_space_panels(ctx: RequestContext, space: Space) -> list[Panel]:
    from plugins.groupes_techniques.routes import space_panels

    return space_panels(ctx, space)


@hookimpl
def reseau_dashboard_panels(ctx: RequestContext) -> list[Panel]:
    from plugins.groupes_techniques.routes import dashboard_panels

    return dashboard_panels(ctx)


@hookimpl
def reseau_demo_data(session: Session) -> None:
    from plugins.groupes_techniques.demo import load

    load(session)
