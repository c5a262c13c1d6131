"""The plugin contract, checked on every plugin package (a new one is picked up automatically),
then on bad examples to prove each check catches what it should."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, ForeignKey, Integer, MetaData, Table, func, inspect, select
from sqlalchemy.orm import Session

from core import migrate
from core.config import BUILTIN_PLUGINS, Settings
from core.db import Base, make_session_factory, transaction
from core.plugins import Hooks, make_plugin_manager
from core.web.templating import CORE_TEMPLATES
from tests.core.plugins.contract import (
    import_problems,
    migration_problems,
    python_files,
    shape_problems,
    table_problems,
    template_problems,
)

ROOT = Path(__file__).resolve().parents[3]
PLUGINS_DIR = ROOT / "plugins"
CORE_VERSIONS = ROOT / "core" / "migrations" / "versions"
PACKAGES = sorted(p.name for p in PLUGINS_DIR.iterdir() if (p / "__init__.py").is_file())
PLUGINS = sorted(set(PACKAGES) | set(BUILTIN_PLUGINS))


def load(name: str) -> Hooks:
    """The plugin alone (with the core), its models imported."""
    hooks = Hooks(make_plugin_manager([name]))
    if (PLUGINS_DIR / name / "models.py").is_file():
        importlib.import_module(f"plugins.{name}.models")
    return hooks


def owned_tables(name: str) -> list[Table]:
    """Tables mapped by the plugin's classes, and any table carrying its prefix."""
    tables = {
        mapper.local_table.name: mapper.local_table
        for mapper in Base.registry.mappers
        if mapper.class_.__module__.startswith(f"plugins.{name}.") and isinstance(mapper.local_table, Table)
    }
    tables |= {t.name: t for t in Base.metadata.tables.values() if t.name.startswith(f"{name}_")}
    return list(tables.values())


def core_table_names() -> set[str]:
    for name in PLUGINS:
        load(name)
    plugin_tables = {t.name for name in PLUGINS for t in owned_tables(name)}
    return set(Base.metadata.tables) - plugin_tables


def test_every_plugin_package_is_a_registered_builtin_plugin() -> None:
    assert sorted(BUILTIN_PLUGINS) == PACKAGES


@pytest.mark.parametrize("name", PLUGINS)
def test_hooks_module_is_the_one_registered(name: str) -> None:
    hooks = load(name)
    assert hooks.plugin_names() == [name]
    assert hooks.plugin_module(name).__name__ == f"plugins.{name}.hooks"
    assert shape_problems(name, python_files(PLUGINS_DIR / name)) == []


@pytest.mark.parametrize("name", PLUGINS)
def test_tables_are_prefixed_and_point_only_at_the_core_or_their_own(name: str) -> None:
    load(name)
    assert table_problems(name, owned_tables(name), core_table_names()) == []


@pytest.mark.parametrize("name", PLUGINS)
def test_templates_are_namespaced(name: str) -> None:
    assert template_problems(name, PLUGINS_DIR / name / "templates", CORE_TEMPLATES) == []


@pytest.mark.parametrize("name", PLUGINS)
def test_declarations_are_namespaced_and_consistent(name: str) -> None:
    hooks = load(name)  # the facade raises on a name outside the namespace or declared twice
    declared = [
        *hooks.space_kinds(),
        *hooks.space_roles(),
        *hooks.permissions(),
        *hooks.meeting_kinds(),
        *hooks.reminder_rules(),
    ]
    assert all(d.name.startswith(("core.", f"{name}.")) for d in declared)
    roles = {r.name for r in hooks.space_roles()}
    for permission in hooks.permissions():
        assert set(permission.roles) <= roles, f"{permission.name} names an undeclared role"
    assert set(hooks.routes()) <= {name}
    assert all(c.name.replace("-", "_").startswith(name) for c in hooks.cli_commands())


@pytest.mark.parametrize("name", PLUGINS)
def test_migrations_form_one_branch_on_the_core(name: str) -> None:
    load(name)
    settings = Settings(database_url="sqlite://", plugins=(name,), load_entrypoints=False)
    script = ScriptDirectory.from_config(migrate.alembic_config(settings))
    has_tables = bool(owned_tables(name))
    assert (
        migration_problems(name, PLUGINS_DIR / name / "migrations", has_tables, script, CORE_VERSIONS) == []
    )


@pytest.mark.parametrize("name", PLUGINS)
def test_imports_only_its_own_modules_and_the_public_core(name: str) -> None:
    assert import_problems(name, python_files(PLUGINS_DIR / name)) == []


def row_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            table: session.scalar(select(func.count()).select_from(Table(table, MetaData()))) or 0
            for table in sorted(inspect(engine).get_table_names())
            if not table.startswith(("sqlite_", "organisation_fts", "contact_fts"))
        }


@pytest.mark.parametrize("name", PLUGINS)
def test_demo_data_is_idempotent(name: str, engine: Engine) -> None:
    from core import demo

    hooks = load(name)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        demo.load(session, hooks)
    first = row_counts(engine)
    with transaction(factory) as session:
        demo.load(session, hooks)
    assert row_counts(engine) == first
    assert first["spaces"] >= 1 and first["users"] >= 1


# ------------------------------------------------------------- the checks catch what they should


def test_table_check_catches_bad_names_and_foreign_keys() -> None:
    meta = MetaData()
    Table("spaces", meta, Column("id", Integer, primary_key=True))
    Table("club_economie_offer", meta, Column("id", Integer, primary_key=True))
    good = Table(
        "tiers_item",
        meta,
        Column("id", Integer, primary_key=True),
        Column("space_id", ForeignKey("spaces.id")),
    )
    own = Table(
        "tiers_line",
        meta,
        Column("id", Integer, primary_key=True),
        Column("item_id", ForeignKey("tiers_item.id")),
    )
    unprefixed = Table("items", meta, Column("id", Integer, primary_key=True))
    foreign = Table(
        "tiers_link",
        meta,
        Column("id", Integer, primary_key=True),
        Column("offer_id", ForeignKey("club_economie_offer.id")),
    )
    assert table_problems("tiers", [good, own], {"spaces"}) == []
    assert table_problems("tiers", [good, unprefixed, foreign], {"spaces"}) == [
        "table 'items' of plugin 'tiers' must be named 'tiers_…'",
        "tiers_link.offer_id points at 'club_economie_offer', neither core nor tiers's",
    ]


def test_template_check_catches_unnamespaced_and_shadowing_templates(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    for relative in ("tiers/index.html", "base.html", "spaces/list.html", "autre/page.html"):
        (templates / relative).parent.mkdir(parents=True, exist_ok=True)
        (templates / relative).write_text("{% extends 'base.html' %}")
    assert template_problems("tiers", templates, CORE_TEMPLATES) == [
        "template 'autre/page.html' must live under templates/tiers/",
        "template 'base.html' must live under templates/tiers/",
        "template 'base.html' shadows a core template",
        "template 'spaces/list.html' must live under templates/tiers/",
        "template 'spaces/list.html' shadows a core template",
    ]
    assert template_problems("tiers", tmp_path / "absent", CORE_TEMPLATES) == []


REVISION = """
revision = {revision!r}
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = {depends!r}


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
"""


def script_with(tmp_path: Path, *revisions: dict[str, object]) -> tuple[Path, ScriptDirectory]:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for number, revision in enumerate(revisions):
        (migrations / f"r{number}.py").write_text(REVISION.format(**revision))
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "core" / "migrations"))
    cfg.set_main_option("version_locations", f"{CORE_VERSIONS} {migrations}")
    cfg.set_main_option("path_separator", "space")
    return migrations, ScriptDirectory.from_config(cfg)


def test_migration_check_accepts_a_branch_rooted_on_the_core(tmp_path: Path) -> None:
    migrations, script = script_with(
        tmp_path,
        {"revision": "tiers_0001", "down": None, "labels": ("tiers",), "depends": "core_0002"},
        {"revision": "tiers_0002", "down": "tiers_0001", "labels": None, "depends": None},
    )
    assert migration_problems("tiers", migrations, True, script, CORE_VERSIONS) == []


@pytest.mark.parametrize(
    ("revisions", "expected"),
    [
        (
            [{"revision": "tiers_0001", "down": None, "labels": None, "depends": "core_0002"}],
            "branch_labels must be ('tiers',)",
        ),
        (
            [{"revision": "tiers_0001", "down": None, "labels": ("tiers",), "depends": None}],
            "depends_on must name core revisions",
        ),
        (
            [
                {"revision": "tiers_0001", "down": None, "labels": ("tiers",), "depends": "core_0002"},
                {"revision": "tiers_0002", "down": None, "labels": ("tiers2",), "depends": "core_0002"},
            ],
            "exactly one root revision, found 2",
        ),
        (
            [{"revision": "tiers_0001", "down": "core_0002", "labels": ("tiers",), "depends": None}],
            "exactly one root revision, found 0",
        ),
    ],
)
def test_migration_check_catches_a_bad_branch(
    tmp_path: Path, revisions: list[dict[str, object]], expected: str
) -> None:
    migrations, script = script_with(tmp_path, *revisions)
    problems = migration_problems("tiers", migrations, True, script, CORE_VERSIONS)
    assert any(expected in p for p in problems), problems


def test_migration_check_wants_migrations_for_tables(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(Settings(plugins=(), load_entrypoints=False)))
    assert migration_problems("tiers", tmp_path / "none", True, script, CORE_VERSIONS) == [
        "plugin 'tiers' has tables but no migrations/ folder"
    ]
    assert migration_problems("tiers", tmp_path / "none", False, script, CORE_VERSIONS) == []


def test_import_check_catches_other_plugins_and_private_core_modules() -> None:
    files = {
        "hooks.py": "from core import hookimpl\nfrom core.declarations import SpaceKind\n"
        "from core.spaces import services\nfrom core.spaces.models import Space\n"
        "from . import services as own\nfrom .models import Thing\nimport core.i18n\n",
        "routes.py": "from core.web.context import page\nfrom core.web.middleware import origin_of\n"
        "from core.app import AppState\nfrom plugins.club_economie import services\n"
        "from ..club_economie.models import Offer\nfrom core.spaces import routes\n",
        "sub/deep.py": "from .. import services\nfrom ...club_economie import hooks\nimport plugins\n",
    }
    assert import_problems("tiers", files) == [
        "plugins/tiers/routes.py:2: imports 'core.web.middleware' (origin_of), not a public core module",
        "plugins/tiers/routes.py:3: imports 'core.app' (AppState), not a public core module",
        "plugins/tiers/routes.py:4: imports 'plugins.club_economie': plugins never import each other",
        "plugins/tiers/routes.py:5: imports 'plugins.club_economie.models': plugins never import each other",
        "plugins/tiers/routes.py:6: imports 'core.spaces' (routes), not a public core module",
        "plugins/tiers/sub/deep.py:2: imports 'plugins.club_economie': plugins never import each other",
        "plugins/tiers/sub/deep.py:3: imports 'plugins': plugins never import each other",
    ]


def test_shape_check_catches_logic_in_init_and_hookimpls_elsewhere() -> None:
    good = {
        "__init__.py": '"""Un module."""\n\nfrom __future__ import annotations\n\nLABEL = "Tiers"\n',
        "hooks.py": "from core import hookimpl\n",
    }
    assert shape_problems("tiers", good) == []
    bad = {
        "__init__.py": "import os\nLABEL = os.getcwd()\n",
        "services.py": "from core import hookimpl\n\n@hookimpl\ndef reseau_demo_data(session):\n    pass\n",
    }
    assert shape_problems("tiers", bad) == [
        "plugins/tiers/hooks.py is missing: it is the module the core registers",
        "plugins/tiers/__init__.py needs a docstring (its first line describes the plugin)",
        "plugins/tiers/__init__.py:1: only a docstring and constants belong here",
        "plugins/tiers/__init__.py:2: only a docstring and constants belong here",
        "plugins/tiers/services.py: @hookimpl belongs in hooks.py only",
    ]
