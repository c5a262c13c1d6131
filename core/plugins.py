"""The plugin manager factory and the typed facade through which the core calls hooks.

``pm.hook.*`` appears nowhere else in the code base: the core calls :class:`Hooks`.

A plugin's name is used as its URL prefix (``/<name>``), its template folder
(``templates/<name>/``), its table prefix (``<name>_``), its Alembic branch label and the
namespace of everything it declares (``<name>.<x>``), so it must be a lower-case identifier.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from core import PROJECT_NAME, hookspecs
from core.config import BUILTIN_PLUGINS
from core.declarations import (
    CliCommand,
    MeetingKind,
    NavItem,
    Panel,
    Permission,
    SpaceKind,
    SpaceRole,
    check_namespaced,
)

if TYPE_CHECKING:
    from core.directory.models import Contact, Organisation
    from core.spaces.models import Space
    from core.web.context import RequestContext

ENTRYPOINT_GROUP = "reseau.plugins"
CORE_PLUGIN = "core"
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

#: The core modules a plugin may import (checked by the contract tests). Besides these, every
#: ``core.<area>.models`` and ``core.<area>.services`` module is public. Everything else
#: (``core.app``, ``core.plugins``, ``core.web.middleware``, routes, CLI, migrations…) is the
#: core's own business and may change without notice.
PUBLIC_CORE_MODULES: frozenset[str] = frozenset(
    {
        "core",
        "core.declarations",
        "core.i18n",
        "core.db",
        "core.demo",
        "core.web.context",
        "core.web.forms",
        "core.accounts.permissions",
        "core.calendar.ics",
        "core.calendar.visibility",
        "core.directory.vocab",
        "core.directory.normalise",
        "core.directory.search",
        "core.pagination",
        "core.calendar.invitations",
        "core.calendar.rsvp",
        "core.calendar.series",
        "core.calendar.timeparse",
        "core.reminders.rules",
        "core.reminders.outbox",
        "core.reminders.runtime",
    }
)
PUBLIC_CORE_SUFFIXES: tuple[str, ...] = (".models", ".services")


def is_public_core_module(module: str) -> bool:
    """Whether a plugin may import ``module`` (a ``core`` module name)."""
    if module in PUBLIC_CORE_MODULES:
        return True
    parts = module.split(".")
    return len(parts) == 3 and parts[0] == CORE_PLUGIN and module.endswith(PUBLIC_CORE_SUFFIXES)


class PluginError(ValueError):
    """A plugin configuration or declaration the core refuses (raised at start-up)."""


@dataclass(frozen=True)
class PluginInfo:
    """What the admin pages show about a registered plugin."""

    name: str
    label: str
    description: str
    builtin: bool


def check_plugin_name(name: str) -> None:
    """Refuse a plugin name that cannot serve as URL prefix, table prefix and namespace."""
    if name == CORE_PLUGIN or not PLUGIN_NAME.match(name):
        raise PluginError(
            f"invalid plugin name {name!r}: use a lower-case identifier (letters, digits, '_'), not 'core'"
        )


def make_plugin_manager(
    names: Iterable[str] | None = None, *, entrypoints: bool = False
) -> pluggy.PluginManager:
    """Build a plugin manager with the core's own hooks and the chosen plugins.

    ``names`` lists the enabled plugins (``None``: every built-in one and every entry point;
    empty: none). Built-in plugins are registered by name, in :data:`BUILTIN_PLUGINS` order.
    Third-party plugins come from the ``reseau.plugins`` entry point when ``entrypoints`` is
    true; those that ``names`` leaves out are blocked. An unknown name is an error, and
    ``check_pending`` makes a misspelled hookimpl fail here rather than be silently ignored.
    """
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(importlib.import_module("core.corehooks"), name=CORE_PLUGIN)
    wanted = list(BUILTIN_PLUGINS) if names is None else list(dict.fromkeys(names))
    for name in BUILTIN_PLUGINS:
        if name in wanted:
            pm.register(importlib.import_module(f"plugins.{name}.hooks"), name=name)
    available = list(BUILTIN_PLUGINS)
    if entrypoints:
        for ep in sorted(entry_points(group=ENTRYPOINT_GROUP), key=lambda e: e.name):
            available.append(ep.name)
            if names is not None and ep.name not in wanted:
                if ep.name not in BUILTIN_PLUGINS and ep.name != CORE_PLUGIN:
                    pm.set_blocked(ep.name)  # left out by RESEAU_PLUGINS: never imported
                continue
            check_plugin_name(ep.name)
            if ep.name in BUILTIN_PLUGINS:
                raise PluginError(f"entry point {ep.name!r} has the name of a built-in plugin")
            pm.register(ep.load(), name=ep.name)
    unknown = [n for n in wanted if not pm.has_plugin(n)]
    if unknown:
        raise PluginError(
            f"unknown plugin(s) in RESEAU_PLUGINS: {', '.join(unknown)}"
            f" (available: {', '.join(available) or 'none'})"
        )
    pm.check_pending()
    return pm


def plugin_package(plugin: object) -> ModuleType | None:
    """The package a registered plugin belongs to (``plugins.x`` for ``plugins.x.hooks``).

    ``None`` for plugins that are not a module of a package (e.g. objects registered by tests):
    they have no templates, static files or migrations.
    """
    if not isinstance(plugin, ModuleType):
        return None
    parent = plugin.__name__.rpartition(".")[0]
    return importlib.import_module(parent) if parent else None


class Hooks:
    """Typed facade over the plugin manager: one method per hook."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    # -- introspection ---------------------------------------------------------------------

    def plugin_names(self) -> list[str]:
        """Enabled plugins (not the core), built-ins first in their fixed order, then by name."""
        # blocked names are listed by pluggy with a ``None`` plugin: they are not enabled
        names = [n for n, p in self.pm.list_name_plugin() if n != CORE_PLUGIN and p is not None]
        order = {n: i for i, n in enumerate(BUILTIN_PLUGINS)}
        return sorted(names, key=lambda n: (order.get(n, len(order)), n))

    def plugin_info(self) -> list[PluginInfo]:
        """Name, label and description of each enabled plugin, from its package metadata.

        ``LABEL`` and ``DESCRIPTION`` (else the docstring's first line) of the package; give them
        with ``lazy_gettext`` so they read in the visitor's language (this runs per request).
        """
        infos = []
        for name in self.plugin_names():
            package = plugin_package(self.pm.get_plugin(name))
            doc = ((package.__doc__ if package else None) or "").strip()
            description = str(getattr(package, "DESCRIPTION", "")) or (doc.splitlines()[0] if doc else "")
            infos.append(
                PluginInfo(
                    name=name,
                    label=str(getattr(package, "LABEL", name)),
                    description=description,
                    builtin=name in BUILTIN_PLUGINS,
                )
            )
        return infos

    def plugin_module(self, name: str) -> Any:
        """The registered hooks module (or object) of plugin ``name``."""
        return self.pm.get_plugin(name)

    def plugin_dir(self, name: str) -> Path | None:
        """The package directory of plugin ``name`` (``None`` when it is not a package)."""
        package = plugin_package(self.pm.get_plugin(name))
        if package is None or package.__file__ is None:
            return None
        return Path(package.__file__).resolve().parent

    def _per_plugin(self, hook_name: str) -> list[tuple[str, list[Any]]]:
        """Call a declaration hook plugin by plugin (core first), keeping who declared what.

        Each plugin's implementations are called through pluggy (a subset caller), so
        ``tryfirst``/wrappers keep their meaning; the owner is needed to check namespaces.
        """
        caller = getattr(self.pm.hook, hook_name)
        implementers = {impl.plugin_name for impl in caller.get_hookimpls()}
        results: list[tuple[str, list[Any]]] = []
        for owner in [CORE_PLUGIN, *self.plugin_names()]:
            if owner not in implementers:
                continue
            others = [p for n, p in self.pm.list_name_plugin() if n != owner and p is not None]
            answers = self.pm.subset_hook_caller(hook_name, remove_plugins=others)()
            results.append((owner, [item for answer in answers for item in (answer or [])]))
        return results

    def _declared(self, hook_name: str) -> list[Any]:
        items: list[Any] = []
        seen: dict[str, str] = {}
        for owner, declared in self._per_plugin(hook_name):
            names = [item.name for item in declared]
            try:
                check_namespaced(names, owner)
            except ValueError as exc:
                raise PluginError(f"{hook_name}: {exc}") from exc
            for name in names:
                if name in seen:
                    raise PluginError(f"{hook_name}: {name!r} declared twice")
                seen[name] = owner
            items.extend(declared)
        return items

    # -- declarations ------------------------------------------------------------------------

    def routes(self) -> dict[str, list[BaseRoute]]:
        """Each plugin's routes, by plugin name (the core's own are not here)."""
        return {
            owner: routes
            for owner, routes in self._per_plugin("reseau_register_routes")
            if owner != CORE_PLUGIN and routes
        }

    def space_kinds(self) -> list[SpaceKind]:
        """Every declared space kind, core first."""
        return self._declared("reseau_register_space_kinds")

    def space_roles(self) -> list[SpaceRole]:
        """Every declared space role, core first."""
        return self._declared("reseau_register_space_roles")

    def permissions(self) -> list[Permission]:
        """Every declared permission, core first."""
        return self._declared("reseau_register_permissions")

    def meeting_kinds(self) -> list[MeetingKind]:
        """Every declared meeting kind, core first."""
        return self._declared("reseau_register_meeting_kinds")

    def reminder_rules(self) -> list[Any]:
        """Every declared reminder rule, core first."""
        return self._declared("reseau_register_reminder_rules")

    def cli_commands(self) -> list[CliCommand]:
        """Every plugin's extra CLI commands, each named ``<plugin>`` or ``<plugin>-<x>``."""
        commands: list[CliCommand] = []
        seen: set[str] = set()
        for owner, declared in self._per_plugin("reseau_register_cli_commands"):
            for command in declared:
                key = command.name.replace("-", "_")
                if key != owner and not key.startswith(f"{owner}_"):
                    raise PluginError(
                        f"command {command.name!r} of plugin {owner!r} must be named "
                        f"'{owner}' or '{owner}-<name>'"
                    )
                if command.name in seen:
                    raise PluginError(f"command {command.name!r} declared twice")
                seen.add(command.name)
                commands.append(command)
        return commands

    # -- contributions -----------------------------------------------------------------------

    @staticmethod
    def _sorted(answers: Iterable[list[Any] | None]) -> list[Any]:
        """Flatten the plugins' answers and sort them: pluggy's call order is not an API."""
        items = [item for answer in answers for item in (answer or [])]
        return sorted(items, key=lambda item: (item.order, item.key))

    def nav_items(self, ctx: RequestContext) -> list[NavItem]:
        """Navigation entries for this request, sorted."""
        return self._sorted(self.pm.hook.reseau_nav_items(ctx=ctx))

    def dashboard_panels(self, ctx: RequestContext) -> list[Panel]:
        """Dashboard panels for this request, sorted."""
        return self._sorted(self.pm.hook.reseau_dashboard_panels(ctx=ctx))

    def space_panels(self, ctx: RequestContext, space: Space) -> list[Panel]:
        """Panels for a space's page, sorted."""
        return self._sorted(self.pm.hook.reseau_space_panels(ctx=ctx, space=space))

    def partner_panels(
        self, ctx: RequestContext, organisation: Organisation | None, contact: Contact | None
    ) -> list[Panel]:
        """Panels for an organisation's or a contact's page, sorted."""
        return self._sorted(
            self.pm.hook.reseau_partner_panels(ctx=ctx, organisation=organisation, contact=contact)
        )

    # -- data --------------------------------------------------------------------------------

    def demo_data(self, session: Session) -> None:
        """Let every plugin add its demo data (after the core's; plugins must not rely on each other)."""
        self.pm.hook.reseau_demo_data(session=session)
