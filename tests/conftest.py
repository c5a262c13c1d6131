"""Fixtures: the app and its database on SQLite **and** PostgreSQL, a clock, clients, demo data.

Every test that uses ``db_url`` (directly or through ``app``, ``client``, ``db``…) runs once per
backend. PostgreSQL comes from ``RESEAU_TEST_DATABASE_URL`` (default: the local server); each
test session works in a database of its own, created and dropped here, so parallel runs never
meet. When ``CI`` is set, an unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core import migrate
from core.app import create_app
from core.config import BUILTIN_PLUGINS, Settings
from core.db import Base, make_engine, make_session_factory
from tests.helpers import FrozenClock
from tests.smtp import SmtpSink

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


def base_settings(database_url: str, data_dir: Path, **changes: Any) -> Settings:
    """Settings for a test app: no entry points, no scheduler, the test host trusted."""
    settings = Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key="test-secret-key-not-for-production",
        base_url="http://testserver",
        plugins=BUILTIN_PLUGINS,
        load_entrypoints=False,
        run_scheduler=False,
        trusted_hosts=("testserver", "127.0.0.1", "localhost"),
    )
    return settings.with_(**changes) if changes else settings


# --------------------------------------------------------------------------------- PostgreSQL


def _pg_server_url() -> str:
    return os.environ.get("RESEAU_TEST_DATABASE_URL", PG_DEFAULT)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to every head."""
    server = make_url(_pg_server_url())
    admin = make_engine(server.render_as_string(hide_password=False), pool_size=1)
    name = f"reseau_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL unreachable at {server!r} while CI is set: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(base_settings(url, Path(".")), engine=engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_postgres(url: str) -> None:
    """Delete every row (children first) so the next test starts from an empty, migrated schema."""
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            names = [t.name for t in Base.metadata.sorted_tables]
            existing = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'")).scalars())
            for name in reversed(names):
                if name in existing:
                    conn.execute(text(f'DELETE FROM "{name}"'))
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------- SQLite


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate.upgrade(base_settings(url, path.parent), engine=engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


# ---------------------------------------------------------------------------- per-test fixtures


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test run: ``sqlite`` or ``postgresql``."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database for one test."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "reseau.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
    else:
        url: str = request.getfixturevalue("pg_database")
        yield url
        _empty_postgres(url)


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock (2 March 2026, 10:00 Paris) that tests move by hand."""
    return FrozenClock()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at this test's database and a private data directory."""
    return base_settings(db_url, tmp_path / "data")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """An engine on the test database, for arranging and checking data."""
    eng = make_engine(settings.database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session for the test itself (commit what you arrange before the app reads it)."""
    with make_session_factory(engine)() as session:
        yield session


MakeApp = Callable[..., Starlette]


@pytest.fixture
def make_app(settings: Settings, clock: FrozenClock) -> Iterator[MakeApp]:
    """Build an app for this test: ``make_app(plugins=[...], clock=..., **setting_changes)``.

    ``plugin_manager=`` builds it with extra test plugins (see ``tests/core/plugins/support.py``).
    """
    built: list[Starlette] = []

    def factory(plugins: tuple[str, ...] | list[str] | None = None, **changes: Any) -> Starlette:
        app_clock = changes.pop("clock", clock)
        plugin_manager = changes.pop("plugin_manager", None)
        chosen = settings.with_(**changes)
        if plugins is not None:
            chosen = chosen.with_(plugins=tuple(plugins))
        app = create_app(chosen, clock=app_clock, plugin_manager=plugin_manager)
        built.append(app)
        return app

    yield factory
    for app in built:
        app.state.reseau.engine.dispose()


@pytest.fixture
def app(make_app: MakeApp) -> Starlette:
    """The app with every built-in plugin."""
    return make_app()


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    """An HTTP client for the app (no redirects followed unless asked)."""
    with TestClient(app, follow_redirects=True) as test_client:
        yield test_client


@pytest.fixture
def demo(app: Starlette) -> Starlette:
    """Load the demo data into the test database (through the app's own plugins)."""
    from core import demo as demo_data
    from core.db import transaction

    state = app.state.reseau
    with transaction(state.session_factory) as session:
        demo_data.load(session, state.hooks)
    return app


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server on loopback collecting what the app sends (``make_app(smtp_url=smtp_sink.url)``)."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()
