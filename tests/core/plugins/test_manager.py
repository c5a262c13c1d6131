"""The plugin manager: built-ins by name, RESEAU_PLUGINS, entry points, start-up checks, the facade."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click
import pluggy
import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route

import core.corehooks
from core import hookimpl
from core.app import create_app
from core.declarations import Registry
from core.config import BUILTIN_PLUGINS, Settings, load_settings
from core.declarations import CliCommand, NavItem, Panel, SpaceKind
from core.plugins import Hooks, PluginError, make_plugin_manager
from tests.core.plugins.support import FakeEntryPoint, fake_entry_points, plugin_manager_with

ROOT = Path(__file__).resolve().parents[3]


class Kinds:
    """A third-party plugin declaring one space kind under its own name ``tiers``."""

    @hookimpl
    def reseau_register_space_kinds(self) -> list[SpaceKind]:
        return [SpaceKind("tiers.atelier", "Atelier")]


# ----------------------------------------------------------------------- built-ins, RESEAU_PLUGINS


def test_builtins_register_by_name_in_a_stable_order() -> None:
    for names in (None, BUILTIN_PLUGINS, tuple(reversed(BUILTIN_PLUGINS))):
        pm = make_plugin_manager(names)
        hooks = Hooks(pm)
        assert hooks.plugin_names() == list(BUILTIN_PLUGINS)
        for name in BUILTIN_PLUGINS:
            assert pm.get_plugin(name).__name__ == f"plugins.{name}.hooks"
        assert pm.get_plugin("core") is core.corehooks
        # declarations follow the same order whatever the registration order
        assert [k.name.split(".")[0] for k in hooks.space_kinds()] == [
            "core",
            "groupes_techniques",
            "groupes_techniques",
            "club_economie",
            "unite_formation",
            "acces_services",
        ]


def test_plugin_info_comes_from_the_packages() -> None:
    infos = Hooks(make_plugin_manager(["club_economie"])).plugin_info()
    assert [(i.name, i.label, i.builtin) for i in infos] == [
        ("club_economie", "Club des Acteurs de l'Économie", True)
    ]
    assert infos[0].description.startswith("Club des Acteurs de l'Économie")
    other = Hooks(plugin_manager_with((), tiers=Kinds())).plugin_info()
    assert [(i.name, i.label, i.description, i.builtin) for i in other] == [("tiers", "tiers", "", False)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", ()),
        ("  ", ()),
        ("club_economie", ("club_economie",)),
        (" groupes_techniques , club_economie ,", ("groupes_techniques", "club_economie")),
    ],
)
def test_load_settings_reads_reseau_plugins(
    raw: str | None, expected: tuple[str, ...] | None, tmp_path: Path
) -> None:
    env = {"RESEAU_DATA_DIR": str(tmp_path), "RESEAU_SECRET_KEY": "x" * 40}
    if raw is not None:
        env["RESEAU_PLUGINS"] = raw
    assert load_settings(env).plugins == expected


def test_empty_plugin_list_enables_none() -> None:
    hooks = Hooks(make_plugin_manager(()))
    assert hooks.plugin_names() == []
    assert [k.name for k in hooks.space_kinds()] == ["core.espace"]
    assert hooks.routes() == {}


def test_a_plugin_listed_twice_is_registered_once() -> None:
    assert Hooks(make_plugin_manager(["club_economie", "club_economie"])).plugin_names() == ["club_economie"]


def test_unknown_plugin_is_a_clear_error(tmp_path: Path) -> None:
    message = re.escape("unknown plugin(s) in RESEAU_PLUGINS: club_economy (available: groupes_techniques,")
    with pytest.raises(PluginError, match=message):
        make_plugin_manager(["club_economy"])
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/x.db", plugins=("club_economy",), load_entrypoints=False
    )
    with pytest.raises(PluginError, match="club_economy"):
        create_app(settings)


def test_unknown_plugin_stops_the_cli_with_the_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.cli import main

    monkeypatch.setenv("RESEAU_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RESEAU_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("RESEAU_PLUGINS", "club_economy")
    fake_entry_points(monkeypatch)
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 1
    assert "unknown plugin(s) in RESEAU_PLUGINS: club_economy" in capsys.readouterr().err


# ----------------------------------------------------------------------------------- entry points


class CountingEntryPoint(FakeEntryPoint):
    """Counts the loads, to prove that a blocked plugin is never imported."""

    loads: list[str] = []

    def load(self) -> object:
        CountingEntryPoint.loads.append(self.name)
        return self.plugin


def test_third_party_plugins_come_from_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, tiers=Kinds())
    for names in (None, [*BUILTIN_PLUGINS, "tiers"], ["tiers"]):
        hooks = Hooks(make_plugin_manager(names, entrypoints=True))
        assert hooks.plugin_names()[-1] == "tiers"
        assert "tiers.atelier" in {k.name for k in hooks.space_kinds()}


def test_entry_points_left_out_of_reseau_plugins_are_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    CountingEntryPoint.loads = []
    point = CountingEntryPoint("tiers", Kinds())
    monkeypatch.setattr("core.plugins.entry_points", lambda *, group: [point])
    pm = make_plugin_manager(["club_economie"], entrypoints=True)
    assert pm.is_blocked("tiers") and not pm.has_plugin("tiers")
    assert CountingEntryPoint.loads == []
    hooks = Hooks(pm)
    assert hooks.plugin_names() == ["club_economie"]  # a blocked name is not an enabled plugin
    assert [i.name for i in hooks.plugin_info()] == ["club_economie"]
    assert "tiers.atelier" not in {k.name for k in hooks.space_kinds()}
    assert pm.register(Kinds(), name="tiers") is None  # pluggy refuses a blocked name
    assert not pm.has_plugin("tiers")
    make_plugin_manager((), entrypoints=True)
    assert CountingEntryPoint.loads == []


def test_entry_points_are_ignored_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, tiers=Kinds())
    assert "tiers" not in Hooks(make_plugin_manager(None, entrypoints=False)).plugin_names()
    with pytest.raises(PluginError, match="unknown plugin"):
        make_plugin_manager(["tiers"], entrypoints=False)


@pytest.mark.parametrize("name", ["core", "Tiers", "mon-plugin", "1plugin", "a" * 41, "club_economie"])
def test_entry_point_names_must_be_usable_as_prefixes(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    fake_entry_points(monkeypatch, **{name: Kinds()})
    with pytest.raises(PluginError):
        make_plugin_manager(None, entrypoints=True)
    # left out by RESEAU_PLUGINS, a badly named distribution does not stop the start-up
    assert Hooks(make_plugin_manager(["acces_services"], entrypoints=True)).plugin_names() == [
        "acces_services"
    ]


# ------------------------------------------------------------------------------ start-up checks


class Misspelled:
    @hookimpl
    def reseau_nav_item(self, ctx: Any) -> list[NavItem]:  # the hook is reseau_nav_items
        return []


class WrongArgument:
    @hookimpl
    def reseau_nav_items(self, ctx: Any, user: Any) -> list[NavItem]:  # no such argument
        return []


def test_a_misspelled_hookimpl_fails_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(pluggy.PluginValidationError, match="reseau_nav_item"):
        plugin_manager_with(tiers=Misspelled())
    fake_entry_points(monkeypatch, tiers=Misspelled())
    with pytest.raises(pluggy.PluginValidationError, match="unknown hook 'reseau_nav_item'"):
        make_plugin_manager(None, entrypoints=True)


def test_a_hookimpl_asking_for_an_unknown_argument_fails_at_registration() -> None:
    with pytest.raises(pluggy.PluginValidationError, match="user"):
        plugin_manager_with(tiers=WrongArgument())


def declaring(*kinds: SpaceKind) -> object:
    class Declaring:
        @hookimpl
        def reseau_register_space_kinds(self) -> list[SpaceKind]:
            return list(kinds)

    return Declaring()


@pytest.mark.parametrize(
    ("kinds", "message"),
    [
        ((SpaceKind("club_economie.atelier", "x"),), "must be named 'tiers.<name>'"),
        ((SpaceKind("core.atelier", "x"),), "must be named 'tiers.<name>'"),
        ((SpaceKind("tiers", "x"),), "must be named 'tiers.<name>'"),
        ((SpaceKind("tiers.", "x"),), "must be named 'tiers.<name>'"),
        ((SpaceKind("atelier", "x"),), "must be named 'tiers.<name>'"),
        (
            (SpaceKind("tiers.atelier", "x"), SpaceKind("tiers.atelier", "y")),
            "'tiers.atelier' declared twice",
        ),
    ],
)
def test_declared_names_are_namespaced_and_unique(kinds: tuple[SpaceKind, ...], message: str) -> None:
    pm = plugin_manager_with(tiers=declaring(*kinds))
    with pytest.raises(PluginError, match=re.escape(message)):
        Hooks(pm).space_kinds()
    with pytest.raises(PluginError):
        Registry.from_hooks(Hooks(pm))  # so the app refuses to start


def test_namespaced_declarations_are_accepted() -> None:
    hooks = Hooks(
        plugin_manager_with((), tiers=declaring(SpaceKind("tiers.atelier", "x"), SpaceKind("tiers.a.b", "y")))
    )
    assert [k.name for k in hooks.space_kinds()] == ["core.espace", "tiers.atelier", "tiers.a.b"]


def commands(*names: str) -> object:
    class Commands:
        @hookimpl
        def reseau_register_cli_commands(self) -> list[CliCommand]:
            return [CliCommand(name, click.Command(name)) for name in names]

    return Commands()


@pytest.mark.parametrize("names", [("tiers",), ("tiers-rapport", "tiers_export")])
def test_cli_commands_are_named_after_their_plugin(names: tuple[str, ...]) -> None:
    hooks = Hooks(plugin_manager_with((), tiers=commands(*names)))
    assert [c.name for c in hooks.cli_commands()] == list(names)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (("demo",), "must be named 'tiers'"),
        (("tiersx",), "must be named"),
        (("tiers", "tiers"), "declared twice"),
    ],
)
def test_cli_commands_of_another_name_are_refused(names: tuple[str, ...], message: str) -> None:
    with pytest.raises(PluginError, match=message):
        Hooks(plugin_manager_with((), tiers=commands(*names))).cli_commands()


class Routes:
    @hookimpl
    def reseau_register_routes(self) -> list[Route]:
        return [Route("/", lambda request: PlainTextResponse("plugin"), name="index")]


@pytest.mark.parametrize("name", ["espaces", "compte", "annuaire", "api", "static", "admin", "accessibilite"])
def test_a_plugin_cannot_replace_a_core_route(name: str, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/x.db", load_entrypoints=False)
    with pytest.raises(PluginError, match=f"cannot replace the core route /{name}"):
        create_app(settings, plugin_manager=plugin_manager_with(**{name: Routes()}))


# ------------------------------------------------------------------------------------- facade


def contributing(key: str, order: int) -> object:
    class Contributing:
        @hookimpl
        def reseau_nav_items(self, ctx: Any) -> list[NavItem]:
            return [NavItem(key, key, "/", order=order)]

        @hookimpl
        def reseau_dashboard_panels(self, ctx: Any) -> list[Panel]:
            return [Panel(key, key, "", order=order)]

    return Contributing()


def test_contributions_are_sorted_by_order_whatever_the_registration_order() -> None:
    ctx: Any = SimpleNamespace(user=None, url_for=lambda name, **params: f"/{name}")
    orders = {"a.late": 50, "b.early": 10, "c.tie": 10}
    results = []
    for names in (["a.late", "b.early", "c.tie"], ["c.tie", "b.early", "a.late"]):
        pm = make_plugin_manager(())
        for key in names:
            pm.register(contributing(key, orders[key]), name=key.split(".")[0])
        hooks = Hooks(pm)
        nav = [i.key for i in hooks.nav_items(ctx) if not i.key.startswith("core.")]
        panels = [p.key for p in hooks.dashboard_panels(ctx)]
        results.append((nav, panels))
    assert results[0] == results[1] == (["b.early", "c.tie", "a.late"], ["b.early", "c.tie", "a.late"])


def test_core_contributions_go_through_the_same_sorting() -> None:
    ctx: Any = SimpleNamespace(user=None, url_for=lambda name, **params: f"/{name}")
    pm = plugin_manager_with((), tiers=contributing("tiers.first", -1))
    assert [i.key for i in Hooks(pm).nav_items(ctx)] == [
        "tiers.first",
        "core.home",
        "core.directory",
        "core.calendar",
        "core.spaces",
    ]


def test_pm_hook_is_used_only_by_the_facade() -> None:
    offenders = []
    for path in sorted((ROOT / "core").rglob("*.py")) + sorted((ROOT / "plugins").rglob("*.py")):
        if path.name == "plugins.py" and path.parent.name == "core":
            continue
        if re.search(r"\bpm\.hook\b|\.hook\.reseau_", path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
