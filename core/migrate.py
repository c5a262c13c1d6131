"""Alembic, configured in code (no alembic.ini): one history, one branch per plugin.

Core revisions live in ``core/migrations/versions``; each plugin's in
``plugins/<name>/migrations`` with ``branch_labels=("<name>",)``. ``upgrade heads`` brings a
database to the head of the core and of every enabled plugin.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from core.config import Settings
from core.plugins import Hooks, make_plugin_manager

CORE_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def plugin_migration_dirs(hooks: Hooks) -> list[Path]:
    """The ``migrations`` folder of each enabled plugin that has one."""
    dirs = []
    for name in hooks.plugin_names():
        package_dir = hooks.plugin_dir(name)
        if package_dir is not None and (package_dir / "migrations").is_dir():
            dirs.append(package_dir / "migrations")
    return dirs


def alembic_config(settings: Settings, *, engine: Engine | None = None, hooks: Hooks | None = None) -> Config:
    """An Alembic ``Config`` for the enabled plugins, bound to ``engine`` when given."""
    hooks = hooks or Hooks(make_plugin_manager(settings.plugins, entrypoints=settings.load_entrypoints))
    cfg = Config()
    cfg.set_main_option("script_location", str(CORE_MIGRATIONS))
    locations = [CORE_MIGRATIONS / "versions", *plugin_migration_dirs(hooks)]
    cfg.set_main_option("version_locations", " ".join(str(p) for p in locations))
    cfg.set_main_option("path_separator", "space")
    cfg.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(settings: Settings, *, engine: Engine | None = None, revision: str = "heads") -> None:
    """Bring the database to ``revision`` (default: every head)."""
    command.upgrade(alembic_config(settings, engine=engine), revision)


def current_heads(engine: Engine) -> set[str]:
    """The revisions the database is at."""
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())
