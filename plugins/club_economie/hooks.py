"""Hook implementations of the club_economie plugin: short functions that delegate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from core import hookimpl
from core.declarations import CliCommand, MeetingKind, NavItem, Panel, Permission, SpaceKind
from core.i18n import lazy_gettext as _l
from core.spaces.models import ANIMATOR, MEMBER
from plugins.club_economie import models  # noqa: F401 - the plugin's tables in Base.metadata
from plugins.club_economie.vocab import MANAGE, MEETING_KINDS, REVIEW, SPACE_KIND, VIEW_MEMBERS

if TYPE_CHECKING:
    from core.spaces.models import Space
    from core.web.context import RequestContext


@hookimpl
def reseau_register_space_kinds() -> list[SpaceKind]:
    return [
        SpaceKind(
            SPACE_KIND,
            _l("Club des acteurs de l'économie"),
            _l("Entreprises, commerçants, acteurs de l'emploi et de l'insertion."),
        ),
    ]


@hookimpl
def reseau_register_permissions() -> list[Permission]:
    return [
        Permission(REVIEW, _l("Examiner les candidatures au club"), (ANIMATOR,)),
        Permission(MANAGE, _l("Animer le club : adhésions, ressources, avis"), (ANIMATOR,)),
        Permission(VIEW_MEMBERS, _l("Consulter l'annuaire des membres du club"), (ANIMATOR, MEMBER)),
    ]


@hookimpl
def reseau_register_meeting_kinds() -> list[MeetingKind]:
    return [MeetingKind(name, label) for name, label in MEETING_KINDS.items()]


@hookimpl
def reseau_register_routes() -> list[BaseRoute]:
    from plugins.club_economie.routes import routes

    return routes


@hookimpl
def reseau_nav_items(ctx: RequestContext) -> list[NavItem]:
    from plugins.club_economie.panels import nav_items

    return nav_items(ctx)


@hookimpl
def reseau_space_panels(ctx: RequestContext, space: Space) -> list[Panel]:
    from plugins.club_economie.panels import space_panels

    return space_panels(ctx, space)


@hookimpl
def reseau_dashboard_panels(ctx: RequestContext) -> list[Panel]:
    from plugins.club_economie.panels import dashboard_panels

    return dashboard_panels(ctx)


@hookimpl
def reseau_register_reminder_rules() -> list[Any]:
    from plugins.club_economie.reminders import rules

    return rules()


@hookimpl
def reseau_register_cli_commands() -> list[CliCommand]:
    from plugins.club_economie.cli import cli

    return [CliCommand("club_economie", cli)]


@hookimpl
def reseau_demo_data(session: Session) -> None:
    from plugins.club_economie.demo import load

    load(session)
