"""Hook implementations of the acces_services plugin: short functions that delegate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from core import hookimpl
from core.declarations import NavItem, Panel, Permission, SpaceKind, SpaceRole
from core.i18n import lazy_gettext as _l
from core.spaces.models import ANIMATOR, MEMBER
from plugins.acces_services import models  # noqa: F401 - the plugin's tables in Base.metadata
from plugins.acces_services.vocab import (
    EDIT_SERVICES,
    ENTER_FIGURES,
    MANAGE,
    PROVIDER,
    SPACE_KIND,
    VIEW_INDICATORS,
)

if TYPE_CHECKING:
    from core.directory.models import Organisation
    from core.reminders.rules import ReminderRule
    from core.spaces.models import Space
    from core.web.context import RequestContext


@hookimpl
def reseau_register_space_kinds() -> list[SpaceKind]:
    return [
        SpaceKind(
            SPACE_KIND,
            _l("Plateforme d'accès aux services"),
            _l("Comprendre et lever les freins à l'accès aux services du territoire."),
        ),
    ]


@hookimpl
def reseau_register_space_roles() -> list[SpaceRole]:
    return [
        SpaceRole(
            PROVIDER,
            _l("Référent·e d'un service"),
            _l("Tient à jour les services de son organisation et leur fréquentation."),
        ),
    ]


@hookimpl
def reseau_register_permissions() -> list[Permission]:
    return [
        Permission(
            MANAGE,
            _l("Animer la plateforme : tous les services, chiffres, propositions et paramètres"),
            (ANIMATOR,),
        ),
        Permission(EDIT_SERVICES, _l("Décrire les services de son organisation"), (PROVIDER,)),
        Permission(
            ENTER_FIGURES, _l("Saisir la fréquentation des services de son organisation"), (PROVIDER,)
        ),
        Permission(
            VIEW_INDICATORS,
            _l("Consulter les indicateurs et les propositions en cours"),
            (ANIMATOR, MEMBER, PROVIDER),
        ),
    ]


@hookimpl
def reseau_register_reminder_rules() -> list[ReminderRule]:
    from plugins.acces_services.reminders import reminder_rules

    return reminder_rules()


@hookimpl
def reseau_register_routes() -> list[BaseRoute]:
    from plugins.acces_services.routes import routes

    return routes


@hookimpl
def reseau_nav_items(ctx: RequestContext) -> list[NavItem]:
    from plugins.acces_services.routes import nav_items

    return nav_items(ctx)


@hookimpl
def reseau_space_panels(ctx: RequestContext, space: Space) -> list[Panel]:
    from plugins.acces_services.routes import space_panels

    return space_panels(ctx, space)


@hookimpl
def reseau_dashboard_panels(ctx: RequestContext) -> list[Panel]:
    from plugins.acces_services.routes import dashboard_panels

    return dashboard_panels(ctx)


@hookimpl
def reseau_partner_panels(ctx: RequestContext, organisation: Organisation | None) -> list[Panel]:
    from plugins.acces_services.routes import partner_panels

    return partner_panels(ctx, organisation)


@hookimpl
def reseau_demo_data(session: Session) -> None:
    from plugins.acces_services.demo import load

    load(session)
