"""Alembic environment: the shared metadata, batch mode for SQLite, objects Alembic must ignore."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Engine, create_engine

import core.models  # noqa: F401 - core tables
from core.db import Base

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


def run_migrations() -> None:
    engine: Engine | None = config.attributes.get("engine")
    owned = engine is None
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                include_object=include_object,
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
