"""``reseau db upgrade`` on empty SQLite and PostgreSQL databases, then ``alembic check``."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, Table, inspect, select, text
from sqlalchemy.orm import Session

from core import migrate
from core.calendar.models import Meeting
from core.config import BUILTIN_PLUGINS, Settings
from core.db import Base, make_engine
from core.resources.models import LINK, Resource
from core.spaces.models import MEMBER, Space, SpaceMembership
from tests.conftest import base_settings
from tests.core.plugins.support import fake_entry_points

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def empty_engine(empty_db_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_db_url)
    yield engine
    engine.dispose()


def script_heads(settings: Settings) -> set[str]:
    return set(ScriptDirectory.from_config(migrate.alembic_config(settings)).get_heads())


@pytest.mark.parametrize("plugins", [BUILTIN_PLUGINS, ()], ids=["all-plugins", "no-plugin"])
def test_upgrade_brings_an_empty_database_to_every_head_without_drift(
    empty_db_url: str, empty_engine: Engine, tmp_path: Path, plugins: tuple[str, ...]
) -> None:
    settings = base_settings(empty_db_url, tmp_path, plugins=plugins)
    assert inspect(empty_engine).get_table_names() == []
    migrate.upgrade(settings, engine=empty_engine)
    assert migrate.current_heads(empty_engine) == script_heads(settings)
    command.check(migrate.alembic_config(settings, engine=empty_engine))  # raises on any drift
    tables = set(inspect(empty_engine).get_table_names())
    core_tables = {
        t for t in Base.metadata.tables if not t.startswith(tuple(f"{p}_" for p in BUILTIN_PLUGINS))
    }
    assert core_tables <= tables


def test_upgrading_twice_is_harmless(empty_db_url: str, empty_engine: Engine, tmp_path: Path) -> None:
    settings = base_settings(empty_db_url, tmp_path)
    migrate.upgrade(settings, engine=empty_engine)
    with Session(empty_engine) as session:
        session.add(Space(slug="s", name="S", kind="core.espace"))
        session.commit()
    migrate.upgrade(settings, engine=empty_engine)
    assert migrate.current_heads(empty_engine) == script_heads(settings)
    with Session(empty_engine) as session:
        assert session.scalars(select(Space.slug)).all() == ["s"]


def test_later_migrations_keep_the_rows_of_an_earlier_schema(
    empty_db_url: str, empty_engine: Engine, tmp_path: Path
) -> None:
    """On SQLite, batch mode rebuilds tables; ``ON DELETE CASCADE`` must not fire meanwhile."""
    settings = base_settings(empty_db_url, tmp_path)
    migrate.upgrade(settings, engine=empty_engine, revision="core_0002")
    meta = MetaData()
    spaces = Table("spaces", meta, autoload_with=empty_engine)
    now = datetime(2026, 3, 2, 9, tzinfo=UTC).replace(tzinfo=None)
    with empty_engine.begin() as conn:
        conn.execute(
            spaces.insert().values(
                id=1,
                slug="s",
                name="S",
                kind="core.espace",
                description="",
                is_permanent=True,
                created_at=now,
            )
        )
        conn.execute(
            text(
                "INSERT INTO organisations (id, name, name_key, kind, is_signatory, commitments, address,"
                " postcode, city, website, email, phone, description, search_doc, created_at, updated_at)"
                " VALUES (1, 'O', 'o', 'autre', false, '', '', '', '', '', '', '', '', '', :t, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO space_memberships (space_id, role, organisation_id, added_at)"
                " VALUES (1, 'core.member', 1, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO resources (space_id, kind, title, description, category, url, filename,"
                " stored_name, content_type, size, visibility, created_at)"
                " VALUES (1, 'link', 'Charte', '', '', 'https://example.org', '', '', '', 0, 'members', :t)"
            ),
            {"t": now},
        )
    migrate.upgrade(settings, engine=empty_engine)
    with Session(empty_engine) as session:
        assert session.scalars(select(SpaceMembership.role)).all() == [MEMBER]
        assert session.scalars(select(Resource.kind)).all() == [LINK]
        # the constraints of the new revision hold
        start = datetime(2026, 3, 10, 13, tzinfo=UTC)
        session.add(Meeting(space_id=1, title="Réunion", starts_at=start, ends_at=start + timedelta(hours=1)))
        session.commit()
    if empty_engine.dialect.name == "sqlite":
        with empty_engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # switched back on


def _cli_env(url: str, tmp_path: Path, plugins: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESEAU_")}
    env.update(
        RESEAU_DATABASE_URL=url,
        RESEAU_DATA_DIR=str(tmp_path / "data"),
        RESEAU_SECRET_KEY="test-secret-key-not-for-production",
    )
    if plugins is not None:
        env["RESEAU_PLUGINS"] = plugins
    return env


def _reseau() -> list[str]:
    script = Path(sys.executable).with_name("reseau")
    if script.exists():
        return [str(script)]
    found = shutil.which("reseau")
    assert found, "the reseau console script is not installed"
    return [found]


def _run_reseau(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed ``reseau`` console script, as an operator would."""
    return subprocess.run(
        [*_reseau(), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize("plugins", [None, ""], ids=["default-plugins", "no-plugin"])
def test_cli_db_upgrade_then_check(
    empty_db_url: str, empty_engine: Engine, tmp_path: Path, plugins: str | None
) -> None:
    env = _cli_env(empty_db_url, tmp_path, plugins)
    upgrade = _run_reseau(["db", "upgrade"], env, tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    assert "Base de données à jour." in upgrade.stdout
    settings = base_settings(empty_db_url, tmp_path, plugins=BUILTIN_PLUGINS if plugins is None else ())
    assert migrate.current_heads(empty_engine) == script_heads(settings)
    check = _run_reseau(["db", "check"], env, tmp_path)
    assert check.returncode == 0, check.stderr
    assert "Les migrations correspondent aux modèles." in check.stdout


def test_a_disabled_plugins_tables_are_left_alone() -> None:
    def everything(*args: object) -> bool:
        return True

    meta = MetaData()
    plugin_table = Table("club_economie_candidature", meta)
    core_table = Table("spaces", meta)
    only_core = migrate.enabled_plugins_only(everything, [])
    assert not only_core(plugin_table, plugin_table.name, "table", False, None)
    assert only_core(core_table, core_table.name, "table", False, None)
    index = type("Index", (), {"table": plugin_table})()
    assert not only_core(index, "ix_club_economie_candidature_x", "index", False, None)
    with_club = migrate.enabled_plugins_only(everything, ["club_economie"])
    assert with_club(plugin_table, plugin_table.name, "table", False, None)
    assert migrate.enabled_plugins_only(everything, None) is everything


def test_a_plugins_first_revision_starts_its_own_branch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, empty_db_url: str, empty_engine: Engine
) -> None:
    package_name = f"tiers_plugin_{uuid.uuid4().hex[:8]}"  # a fresh package each run
    package = tmp_path / "src" / package_name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""Un module tiers."""\n')
    (package / "hooks.py").write_text('"""Hooks."""\n')
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    hooks_module = importlib.import_module(f"{package_name}.hooks")
    fake_entry_points(monkeypatch, tiers=hooks_module)
    settings = base_settings(empty_db_url, tmp_path, plugins=("tiers",), load_entrypoints=True)

    migrate.new_revision(settings, "tiers tables", branch="tiers", autogenerate=False)
    migrate.new_revision(settings, "tiers more", branch="tiers", autogenerate=False)
    script = ScriptDirectory.from_config(migrate.alembic_config(settings))
    core_heads = {r.revision for r in script.get_revisions("core@heads") if r is not None}
    revisions = {
        r.revision: r for r in script.walk_revisions() if Path(r.path).parent == package / "migrations"
    }
    assert len(revisions) == 2
    first = next(r for r in revisions.values() if r.down_revision is None)
    second = next(r for r in revisions.values() if r.down_revision is not None)
    depends_on = first.dependencies
    assert first.branch_labels == {"tiers"}
    assert ({depends_on} if isinstance(depends_on, str) else set(depends_on or ())) == core_heads
    assert second.down_revision == first.revision
    migrate.upgrade(settings, engine=empty_engine)
    assert second.revision in migrate.current_heads(empty_engine)
    with pytest.raises(ValueError, match="not an enabled plugin"):
        migrate.new_revision(settings, "x", branch="absent", autogenerate=False)
