"""The core's own hook implementations: its roles, permissions and navigation.

Registered under the name ``core`` before any plugin, so core declarations go through the
same checks as the plugins' and come first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core import hookimpl
from core.declarations import MeetingKind, NavItem, Panel, Permission, SpaceKind, SpaceRole
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.spaces.models import ANIMATOR, MEMBER

if TYPE_CHECKING:
    from core.spaces.models import Space
    from core.web.context import RequestContext

# core permissions, granted in a space to these roles
SPACE_MANAGE = "core.space.manage"
SPACE_VIEW = "core.space.view"
MEETING_MANAGE = "core.meeting.manage"


@hookimpl
def reseau_register_space_kinds() -> list[SpaceKind]:
    return [SpaceKind("core.espace", _l("Espace de travail"), _l("Un espace de travail générique."))]


@hookimpl
def reseau_register_space_roles() -> list[SpaceRole]:
    return [
        SpaceRole(ANIMATOR, _l("Animateur·rice"), _l("Anime l'espace : réunions, membres, ressources.")),
        SpaceRole(MEMBER, _l("Membre"), _l("Participe à l'espace et voit ses contenus réservés.")),
    ]


@hookimpl
def reseau_register_permissions() -> list[Permission]:
    return [
        Permission(SPACE_MANAGE, _l("Gérer l'espace"), (ANIMATOR,)),
        Permission(SPACE_VIEW, _l("Voir les contenus réservés aux membres"), (ANIMATOR, MEMBER)),
        Permission(MEETING_MANAGE, _l("Organiser les réunions"), (ANIMATOR,)),
    ]


@hookimpl
def reseau_register_meeting_kinds() -> list[MeetingKind]:
    return [
        MeetingKind("core.reunion", _l("Réunion")),
        MeetingKind("core.pleniere", _l("Plénière")),
        MeetingKind("core.comite", _l("Comité")),
        MeetingKind("core.atelier", _l("Atelier")),
    ]


@hookimpl
def reseau_register_reminder_rules() -> list[Any]:
    from core.reminders.core_rules import core_rules

    return list(core_rules())


@hookimpl
def reseau_nav_items(ctx: RequestContext) -> list[NavItem]:
    items = [
        NavItem("core.home", _("Accueil"), ctx.url_for("home"), order=0),
        NavItem("core.directory", _("Annuaire"), ctx.url_for("directory:organisations"), order=10),
        NavItem("core.spaces", _("Espaces"), ctx.url_for("spaces:list"), order=20),
        NavItem("core.calendar", _("Agenda"), ctx.url_for("calendar:month"), order=15),
    ]
    if ctx.user is not None and ctx.user.is_admin:
        items.append(NavItem("core.admin", _("Administration"), ctx.url_for("admin:index"), order=900))
    return items


@hookimpl
def reseau_dashboard_panels(ctx: RequestContext) -> list[Panel]:
    from core.calendar.followup_routes import dashboard_panel_html
    from core.calendar.panels import dashboard_panel

    panels: list[Panel] = []
    meetings = dashboard_panel(ctx)
    if meetings is not None:
        panels.append(meetings)
    html = dashboard_panel_html(ctx)
    if html is not None:
        panels.append(Panel("core.my_actions", _("Mes actions à mener"), html, order=20))
    return panels


@hookimpl
def reseau_space_panels(ctx: RequestContext, space: Space) -> list[Panel]:
    from core.calendar.panels import space_panel
    from core.resources.routes import space_panel_html

    return [
        space_panel(ctx, space),
        Panel("core.resources", _("Ressources"), space_panel_html(ctx, space), order=60),
    ]
