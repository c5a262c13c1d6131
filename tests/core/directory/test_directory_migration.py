"""The migration core_directory_0001 on a database holding data: backfill, index build, way back."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core import migrate
from core.db import make_engine
from core.directory import search
from tests.conftest import PG_DEFAULT, base_settings

REVISION = "core_directory_0001"


@pytest.fixture
def blank_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a new, empty database of the backend under test."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'blank.db'}")
        yield engine
        engine.dispose()
        return
    server = make_url(os.environ.get("RESEAU_TEST_DATABASE_URL", PG_DEFAULT))
    name = f"reseau_mig_{uuid.uuid4().hex[:10]}"
    admin = make_engine(server.render_as_string(hide_password=False), pool_size=1)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = make_engine(server.set(database=name).render_as_string(hide_password=False))
        yield engine
        engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def test_upgrade_backfills_and_indexes_existing_rows_and_goes_back(
    blank_engine: Engine, tmp_path: Path
) -> None:
    settings = base_settings(blank_engine.url.render_as_string(hide_password=False), tmp_path)
    cfg = migrate.alembic_config(settings, engine=blank_engine)
    command.upgrade(cfg, f"{REVISION}-1")
    with blank_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisations (name, name_key, kind, is_signatory, commitments, address, "
                "postcode, city, "
                "website, email, phone, description, search_doc, created_at, updated_at) VALUES "
                "('École Jean-Renoir', 'ecole jean renoir', 'autre', false, '', '', '', '', '', '', '', '', "
                "'ecole jean renoir villiers', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO contacts (first_name, last_name, function, email, phone, consent_listed, "
                "search_doc, "
                "created_at, updated_at) VALUES ('Hélène', 'Garnier', '', '', '', true, 'helene garnier', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(cfg, "heads")
    assert REVISION in migrate.current_heads(blank_engine)
    with Session(blank_engine) as db:
        assert db.scalar(text("SELECT name_key FROM contacts")) == "garnier helene"
        # rows written before the migration are in the new index
        found = search.search_organisations(db, search.OrganisationFilters(q="eco jean"))
        assert [o.name for o in found.items] == ["École Jean-Renoir"]
        assert search.search_contacts(db, search.ContactFilters(q="garn")).total == 1
    command.downgrade(cfg, f"{REVISION}-1")
    with blank_engine.connect() as conn:
        if blank_engine.dialect.name == "sqlite":
            left = conn.execute(
                text("SELECT name FROM sqlite_master WHERE name LIKE 'organisation_fts%' OR name LIKE 'contact_fts%'")
            ).all()
        else:
            left = conn.execute(
                text(
                    "SELECT indexname FROM pg_indexes WHERE indexname IN "
                    "('ix_fts_organisations_search_doc', 'ix_fts_contacts_search_doc') UNION "
                    "SELECT proname FROM pg_proc WHERE proname = 'reseau_unaccent'"
                )
            ).all()
        assert left == []
    command.upgrade(cfg, "heads")
    command.check(cfg)
