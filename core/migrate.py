"""Alembic, configured in code (no alembic.ini): one history, one branch per plugin.

Core revisions live in ``core/migrations/versions``; each plugin's in
``plugins/<name>/migrations`` with ``branch_labels=("<name>",)``. ``upgrade heads`` brings a
database to the head of the core and of every enabled plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from core.config import BUILTIN_PLUGINS, Settings
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


IncludeObject = Callable[[Any, "str | None", str, bool, Any], bool]


def enabled_plugins_only(include: IncludeObject, enabled: Collection[str] | None) -> IncludeObject:
    """Wrap Alembic's ``include_object`` so that a disabled plugin's tables are left alone.

    Every built-in plugin's models may be imported in one process (tests, a shell), so
    ``Base.metadata`` can hold tables of plugins that this configuration does not enable:
    autogenerate and ``alembic check`` must neither create nor drop them. A plugin's tables are
    recognised by their ``<plugin>_`` prefix. ``enabled`` ``None`` means no filtering.
    """
    if enabled is None:
        return include
    disabled = tuple(f"{name}_" for name in BUILTIN_PLUGINS if name not in enabled)

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        if disabled and table and table.startswith(disabled):
            return False
        return include(obj, name, type_, reflected, compare_to)

    return include_object


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
    cfg.attributes["plugins"] = hooks.plugin_names()
    return cfg


def upgrade(settings: Settings, *, engine: Engine | None = None, revision: str = "heads") -> None:
    """Bring the database to ``revision`` (default: every head)."""
    command.upgrade(alembic_config(settings, engine=engine), revision)


def new_revision(
    settings: Settings,
    message: str,
    *,
    branch: str = "core",
    autogenerate: bool = True,
    engine: Engine | None = None,
) -> None:
    """Write a new migration on ``branch`` (``core`` or an enabled plugin's name).

    A plugin's first revision starts its own branch: ``branch_labels=("<name>",)``, stored in
    ``plugins/<name>/migrations/``, ``depends_on`` the current core heads.
    """
    hooks = Hooks(make_plugin_manager(settings.plugins, entrypoints=settings.load_entrypoints))
    kwargs: dict[str, Any] = {"message": message, "autogenerate": autogenerate, "head": f"{branch}@head"}
    if branch != "core":
        package_dir = hooks.plugin_dir(branch) if branch in hooks.plugin_names() else None
        if package_dir is None:
            raise ValueError(f"{branch!r} is not an enabled plugin package")
        (package_dir / "migrations").mkdir(exist_ok=True)
    cfg = alembic_config(settings, engine=engine, hooks=hooks)
    script = ScriptDirectory.from_config(cfg)
    if branch != "core" and not any(branch in r.branch_labels for r in script.walk_revisions()):
        kwargs.update(
            head="base",
            branch_label=branch,
            version_path=str(package_dir / "migrations"),  # type: ignore[operator]
            depends_on=sorted(r.revision for r in script.get_revisions("core@heads") if r is not None),
        )
    command.revision(cfg, **kwargs)


def current_heads(engine: Engine) -> set[str]:
    """The revisions the database is at."""
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())
