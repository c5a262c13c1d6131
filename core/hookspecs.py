"""The plugin contract: every hook a Réseau plugin may implement.

Families (see ``docs/hooks.md`` for examples):

* declarations – ``reseau_register_<things>``: called once while the app is built, no I/O;
  return lists of frozen dataclasses whose names are namespaced ``<plugin>.<x>``.
* contributions – ``reseau_<plural noun>``: called per request; return items with an ``order``.
* decisions – ``reseau_<verb>_<noun>``, ``firstresult``: return a value or ``None``.
* events – ``reseau_on_<past event>``: called after the transaction committed; return nothing.
* data – ``reseau_demo_data``: fills demo data, idempotently.

Implementations take only the arguments they use and never give a parameter a default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from core import PROJECT_NAME
from core.declarations import (
    CliCommand,
    MeetingKind,
    NavItem,
    Panel,
    Permission,
    SpaceKind,
    SpaceRole,
)

if TYPE_CHECKING:
    from core.directory.models import Contact, Organisation
    from core.spaces.models import Space
    from core.web.context import RequestContext

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


# ---------------------------------------------------------------------------------------------
# Declarations: called once at app build, no I/O
# ---------------------------------------------------------------------------------------------


@hookspec
def reseau_register_routes() -> list[BaseRoute]:
    """Return the plugin's Starlette routes, relative to its mount point.

    The core mounts them under ``/<plugin>`` with ``Mount(..., name="<plugin>")`` so templates
    build URLs with ``url_for("<plugin>:<route name>", ...)``. Endpoints should be wrapped with
    :func:`core.web.context.page` so they get a database session, the user, CSRF checks and
    one transaction per request. A plugin cannot replace a core route.
    """


@hookspec
def reseau_register_space_kinds() -> list[SpaceKind]:
    """Return the kinds of spaces the plugin provides, e.g. ``SpaceKind("club_economie.club", ...)``."""


@hookspec
def reseau_register_space_roles() -> list[SpaceRole]:
    """Return the roles the plugin adds to spaces, e.g. ``unite_formation.trainer``."""


@hookspec
def reseau_register_permissions() -> list[Permission]:
    """Return the permissions the plugin checks, each with the space roles that grant it."""


@hookspec
def reseau_register_meeting_kinds() -> list[MeetingKind]:
    """Return the kinds of meetings the plugin adds to the shared calendar."""


@hookspec
def reseau_register_reminder_rules() -> list[Any]:
    """Return the plugin's reminder rules (``core.reminders.rules.ReminderRule`` objects).

    The reminders engine sweeps them; each yields due reminders with stable keys so that the
    outbox sends every message exactly once. See ``docs/reminders.md`` (rule API, templates,
    transactional emails with ``core.reminders.outbox.enqueue``, testing a rule).
    """


@hookspec
def reseau_register_cli_commands() -> list[CliCommand]:
    """Return click commands to add to ``reseau``, each named ``<plugin>`` or ``<plugin>-<x>``.

    The usual shape is one click group named after the plugin: ``reseau <plugin> <command>``.
    """


# ---------------------------------------------------------------------------------------------
# Contributions: called per request; the core sorts the items by ``order``
# ---------------------------------------------------------------------------------------------


@hookspec
def reseau_nav_items(ctx: RequestContext) -> list[NavItem]:
    """Return entries for the main navigation, given the current request context.

    Return only the entries the current user (``ctx.user``, maybe ``None``) may follow.
    """


@hookspec
def reseau_dashboard_panels(ctx: RequestContext) -> list[Panel]:
    """Return panels for the signed-in user's dashboard (home page)."""


@hookspec
def reseau_space_panels(ctx: RequestContext, space: Space) -> list[Panel]:
    """Return panels to show on a space's page (only spaces of the plugin's kinds, usually)."""


@hookspec
def reseau_partner_panels(
    ctx: RequestContext, organisation: Organisation | None, contact: Contact | None
) -> list[Panel]:
    """Return panels for an organisation's page (``contact`` is ``None``) or a contact's page."""


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


@hookspec
def reseau_demo_data(session: Session) -> None:
    """Add the plugin's demo data inside the ``reseau demo`` transaction.

    Called after the core's demo data exists (spaces, organisations, users). Must be
    idempotent: running ``reseau demo`` twice leaves the same data.
    """
