"""The plugin manager factory and the typed facade through which the core calls hooks.

``pm.hook.*`` appears nowhere else in the code base: the core calls :class:`Hooks`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
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


@dataclass(frozen=True)
class PluginInfo:
    """What the admin pages show about a registered plugin."""

    name: str
    label: str
    description: str
    builtin: bool


def make_plugin_manager(
    names: Iterable[str] | None = None, *, entrypoints: bool = False
) -> pluggy.PluginManager:
    """Build a plugin manager with the core's own hooks and the chosen plugins.

    ``names`` lists the enabled plugins (``None``: every built-in one). Third-party plugins come
    from the ``reseau.plugins`` entry point when ``entrypoints`` is true; those not listed in
    ``names`` (when given) are blocked. ``check_pending`` makes a misspelled hookimpl fail here.
    """
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(importlib.import_module("core.corehooks"), name=CORE_PLUGIN)
    wanted = list(BUILTIN_PLUGINS) if names is None else list(names)
    for name in wanted:
        if name in BUILTIN_PLUGINS:
            pm.register(importlib.import_module(f"plugins.{name}.hooks"), name=name)
    if entrypoints:
        if names is not None:
            for ep in entry_points(group=ENTRYPOINT_GROUP):
                if ep.name not in wanted:
                    pm.set_blocked(ep.name)
        pm.load_setuptools_entrypoints(ENTRYPOINT_GROUP)
    unknown = [n for n in wanted if pm.get_plugin(n) is None]
    if unknown:
        raise ValueError(f"unknown plugin(s) in RESEAU_PLUGINS: {', '.join(unknown)}")
    pm.check_pending()
    return pm


class Hooks:
    """Typed facade over the plugin manager: one method per hook."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    # -- introspection ---------------------------------------------------------------------

    def plugin_names(self) -> list[str]:
        """Enabled plugins (not the core), built-ins first in their fixed order."""
        names = [n for n, _ in self.pm.list_name_plugin() if n != CORE_PLUGIN and n is not None]
        order = {n: i for i, n in enumerate(BUILTIN_PLUGINS)}
        return sorted(names, key=lambda n: (order.get(n, len(order)), n))

    def plugin_info(self) -> list[PluginInfo]:
        """Name, label and description of each enabled plugin, from its package metadata."""
        infos = []
        for name in self.plugin_names():
            module = self.pm.get_plugin(name)
            package = importlib.import_module(module.__name__.rpartition(".")[0] or module.__name__)
            doc = (package.__doc__ or "").strip()
            infos.append(
                PluginInfo(
                    name=name,
                    label=getattr(package, "LABEL", name),
                    description=doc.splitlines()[0] if doc else "",
                    builtin=name in BUILTIN_PLUGINS,
                )
            )
        return infos

    def plugin_module(self, name: str) -> Any:
        """The registered hooks module of plugin ``name``."""
        return self.pm.get_plugin(name)

    def _each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation of a hook separately, keeping who answered what."""
        caller = getattr(self.pm.hook, hook_name)
        results = []
        for impl in caller.get_hookimpls():  # registration order, core first
            args = {name: kwargs[name] for name in impl.argnames}
            result = impl.function(**args)
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    def _declared(self, hook_name: str) -> list[Any]:
        items: list[Any] = []
        seen: set[str] = set()
        for owner, declared in self._each(hook_name):
            names = [item.name for item in declared]
            check_namespaced(names, owner)
            for name in names:
                if name in seen:
                    raise ValueError(f"{hook_name}: {name!r} declared twice")
                seen.add(name)
            items.extend(declared)
        return items

    # -- declarations ------------------------------------------------------------------------

    def routes(self) -> dict[str, list[BaseRoute]]:
        """Each plugin's routes, by plugin name (the core's own are not here)."""
        return {owner: list(r) for owner, r in self._each("reseau_register_routes") if owner != CORE_PLUGIN}

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
        """Every plugin's extra CLI commands."""
        return [c for _, cmds in self._each("reseau_register_cli_commands") for c in cmds]

    # -- contributions -----------------------------------------------------------------------

    @staticmethod
    def _sorted(items: Iterable[Any]) -> list[Any]:
        return sorted(items, key=lambda item: (item.order, item.key))

    def nav_items(self, ctx: RequestContext) -> list[NavItem]:
        """Navigation entries for this request, sorted."""
        return self._sorted(i for _, items in self._each("reseau_nav_items", ctx=ctx) for i in items)

    def dashboard_panels(self, ctx: RequestContext) -> list[Panel]:
        """Dashboard panels for this request, sorted."""
        return self._sorted(p for _, ps in self._each("reseau_dashboard_panels", ctx=ctx) for p in ps)

    def space_panels(self, ctx: RequestContext, space: Space) -> list[Panel]:
        """Panels for a space's page, sorted."""
        return self._sorted(
            p for _, ps in self._each("reseau_space_panels", ctx=ctx, space=space) for p in ps
        )

    def partner_panels(
        self, ctx: RequestContext, organisation: Organisation | None, contact: Contact | None
    ) -> list[Panel]:
        """Panels for an organisation's or a contact's page, sorted."""
        results = self._each("reseau_partner_panels", ctx=ctx, organisation=organisation, contact=contact)
        return self._sorted(p for _, ps in results for p in ps)

    # -- data --------------------------------------------------------------------------------

    def demo_data(self, session: Session) -> None:
        """Let every plugin add its demo data (core first)."""
        self._each("reseau_demo_data", session=session)
