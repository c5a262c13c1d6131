"""Disposable benchmark databases: a fresh SQLite file or PostgreSQL database, migrated with
every built-in plugin, loaded with the demo data and the generated data of a scale."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

PG_SERVER = os.environ.get("RESEAU_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass
class BenchDatabase:
    """A database made for one benchmark run (``drop()`` removes it; a given URL is kept)."""

    url: str
    kind: str
    generated_s: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    _pg_name: str | None = None

    def drop(self) -> None:
        """Remove a PostgreSQL database created here (a SQLite file goes with its folder)."""
        from core.db import make_engine

        if self._pg_name is None:
            return
        admin = make_engine(PG_SERVER, pool_size=1)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)'))
        admin.dispose()


def settings_for(url: str, data_dir: Path):  # type: ignore[no-untyped-def]
    """Settings of a benchmark app on ``url`` (every built-in plugin, no scheduler)."""
    from core.config import Settings

    return Settings(
        database_url=url,
        data_dir=data_dir,
        secret_key="bench-secret-key",
        load_entrypoints=False,
        run_scheduler=False,
    )


def create(kind: str, folder: Path, scale: str | None, *, progress: bool = True) -> BenchDatabase:
    """A fresh migrated database of ``kind`` (``sqlite`` or ``postgresql``) with the demo data
    and, when ``scale`` is given, the generated data of that scale."""
    from bench import generate
    from core import demo, migrate
    from core.db import make_engine, make_session_factory, transaction
    from core.plugins import Hooks, make_plugin_manager

    pg_name = None
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        pg_name = f"reseau_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = make_engine(PG_SERVER, pool_size=1)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
        admin.dispose()
        url = PG_SERVER.rsplit("/", 1)[0] + f"/{pg_name}"
    database = BenchDatabase(url=url, kind=kind, _pg_name=pg_name)
    settings = settings_for(url, folder)
    engine = make_engine(url)
    try:
        migrate.upgrade(settings, engine=engine)
        hooks = Hooks(make_plugin_manager(settings.plugins, entrypoints=False))
        with transaction(make_session_factory(engine)) as session:
            demo.load(session, hooks)
        if scale:
            started = time.perf_counter()
            database.rows = generate.generate(engine, generate.SCALES[scale], progress=progress)
            database.generated_s = time.perf_counter() - started
    except BaseException:
        engine.dispose()
        database.drop()
        raise
    engine.dispose()
    return database
