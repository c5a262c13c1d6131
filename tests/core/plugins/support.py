"""Helpers to test hooks with small throw-away plugins, the way Datasette tests its hooks.

A test plugin is any object with ``@hookimpl`` methods (a class instance is simplest)::

    class Sample:
        @hookimpl
        def reseau_nav_items(self, ctx):
            return [NavItem("sample.home", "Échantillon", "/sample/", order=15)]

Declaration hooks (``reseau_register_*``) are read when the app is built, so build the app
with the plugin already registered::

    app = make_app(plugin_manager=plugin_manager_with(sample=Sample()))

Per-request hooks (contributions, events) can also be added to a running app for one block::

    with registered(app, Sample(), "sample"):
        client.get("/")

Commands that build their own plugin manager (``core.cli.main``) find test plugins through
faked entry points: ``fake_entry_points(monkeypatch, sample=Sample())`` then
``RESEAU_PLUGINS=sample``. Nothing is ever installed.

Every hook needs at least one test named ``test_hook_<hook name without "reseau_">…``, e.g.
``test_hook_nav_items_are_sorted``: the meta-test ``test_hooks_documented.py`` checks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pluggy
import pytest
from starlette.applications import Starlette

import core.plugins
from core.config import BUILTIN_PLUGINS
from core.plugins import ENTRYPOINT_GROUP, make_plugin_manager


def plugin_manager_with(names: Iterable[str] = BUILTIN_PLUGINS, **plugins: object) -> pluggy.PluginManager:
    """A plugin manager with the built-in plugins ``names`` plus ``plugins`` (name → object).

    Checked like the real one (``check_pending``), so a misspelled test hookimpl fails too.
    """
    pm = make_plugin_manager(names, entrypoints=False)
    for name, plugin in plugins.items():
        core.plugins.check_plugin_name(name)
        pm.register(plugin, name=name)
    pm.check_pending()
    return pm


@contextmanager
def registered(app: Starlette, plugin: object, name: str) -> Iterator[object]:
    """Register ``plugin`` in a running app for the block, then unregister it."""
    pm: pluggy.PluginManager = app.state.reseau.hooks.pm
    pm.register(plugin, name=name)
    try:
        pm.check_pending()
        yield plugin
    finally:
        pm.unregister(name=name)


@dataclass(frozen=True)
class FakeEntryPoint:
    """Stands for an ``importlib.metadata.EntryPoint`` of the ``reseau.plugins`` group."""

    name: str
    plugin: object
    group: str = ENTRYPOINT_GROUP

    def load(self) -> object:
        return self.plugin


def fake_entry_points(monkeypatch: pytest.MonkeyPatch, **plugins: object) -> list[FakeEntryPoint]:
    """Make ``core.plugins`` see these third-party plugins (name → object) as installed."""
    points = [FakeEntryPoint(name, plugin) for name, plugin in plugins.items()]

    def entry_points(*, group: str) -> list[Any]:
        return [p for p in points if p.group == group]

    monkeypatch.setattr(core.plugins, "entry_points", entry_points)
    return points
