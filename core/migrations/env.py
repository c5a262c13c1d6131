"""Alembic environment: the shared metadata, batch mode for SQLite, objects Alembic must ignore."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, create_engine

import core.models  # noqa: F401 - core tables
from core.db import Base
from core.migrate import enabled_plugins_only

config = context.config
target_metadata = Base.metadata

# objects created by raw DDL (full-text indexes) that the models do not describe
IGNORED_PREFIXES = ("organisation_fts", "contact_fts", "acces_services_service_fts")


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Leave full-text index tables, their shadow tables and expression indexes to raw DDL."""
    if name and name.startswith(IGNORED_PREFIXES):
        return False
    if type_ == "index" and name and name.startswith("ix_fts_"):
        return False
    return True


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """Switch SQLite's foreign keys off while batch migrations recreate tables.

    Batch mode copies a table, drops the old one and renames the copy; with foreign keys on,
    that DROP would fire ``ON DELETE CASCADE`` on every referencing table and lose rows. The
    pragma only works outside a transaction, hence the raw DBAPI connection (autocommit mode).
    Afterwards the foreign keys are checked and switched back on.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        problems = raw.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"migration left rows breaking foreign keys: {problems[:5]}")
    finally:
        if connection.in_transaction():  # after a failure: the pragma is ignored inside a transaction
            connection.rollback()
        raw.execute("PRAGMA foreign_keys=ON")


def run_migrations() -> None:
    engine: Engine | None = config.attributes.get("engine")
    owned = engine is None
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection, _sqlite_foreign_keys_off(connection):
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                include_object=enabled_plugins_only(include_object, config.attributes.get("plugins")),
                compare_type=True,
                user_module_prefix="core.db.",
            )
            with context.begin_transaction():
                context.run_migrations()
            if connection.in_transaction():
                connection.commit()
    finally:
        if owned:
            engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `reseau db upgrade`")
run_migrations()
