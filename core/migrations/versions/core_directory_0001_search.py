"""directory search: contact name key, email index, full-text indexes

Revision ID: core_directory_0001
Revises: core_0002
Create Date: 2026-11-25 18:53:44.668151

The full-text indexes are raw DDL per dialect (``core/migrations/env.py`` keeps Alembic's
autogenerate away from them):

* SQLite: FTS5 external-content tables ``organisation_fts`` / ``contact_fts`` over
  ``(name_key, search_doc)`` with ``unicode61 remove_diacritics 2``, kept in step by triggers.
  A later migration that *recreates* ``organisations`` or ``contacts`` in batch mode drops
  these triggers with the old table and must create them again (``SQLITE_TRIGGERS`` below).
* PostgreSQL: the ``unaccent`` extension, an IMMUTABLE wrapper ``reseau_unaccent(text)``
  (``unaccent`` itself is only STABLE, so it cannot appear in an index), and GIN expression
  indexes ``ix_fts_*`` on ``to_tsvector('simple', reseau_unaccent(search_doc))``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_directory_0001"
down_revision: str | Sequence[str] | None = "core_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS_TABLES = {"organisations": "organisation_fts", "contacts": "contact_fts"}

SQLITE_TRIGGERS = (
    """CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN
  INSERT INTO {fts}(rowid, name_key, search_doc) VALUES (new.id, new.name_key, new.search_doc);
END""",
    """CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN
  INSERT INTO {fts}({fts}, rowid, name_key, search_doc)
    VALUES ('delete', old.id, old.name_key, old.search_doc);
END""",
    """CREATE TRIGGER {fts}_au AFTER UPDATE OF name_key, search_doc ON {table} BEGIN
  INSERT INTO {fts}({fts}, rowid, name_key, search_doc)
    VALUES ('delete', old.id, old.name_key, old.search_doc);
  INSERT INTO {fts}(rowid, name_key, search_doc) VALUES (new.id, new.name_key, new.search_doc);
END""",
)


def _fold(text: str) -> str:
    # frozen copy of core.directory.normalise.fold at the time of this revision
    import re
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    return re.sub(r"[^0-9a-z]+", " ", stripped.casefold()).strip()


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=200), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_contacts_name_key"), ["name_key"], unique=False)

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisations_email"), ["email"], unique=False)

    bind = op.get_bind()
    contacts = sa.table(
        "contacts", sa.column("id"), sa.column("first_name"), sa.column("last_name"), sa.column("name_key")
    )
    for row in bind.execute(sa.select(contacts.c.id, contacts.c.first_name, contacts.c.last_name)).all():
        key = _fold(f"{row.last_name} {row.first_name}")[:200]
        bind.execute(contacts.update().where(contacts.c.id == row.id).values(name_key=key))

    if bind.dialect.name == "sqlite":
        for table, fts in FTS_TABLES.items():
            op.execute(
                f"CREATE VIRTUAL TABLE {fts} USING fts5(name_key, search_doc, content='{table}', "
                "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
            )
            for trigger in SQLITE_TRIGGERS:
                op.execute(trigger.format(fts=fts, table=table))
            op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608 - constant names
    elif bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        schema = bind.execute(
            sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'")
        ).scalar_one()
        # schema-qualified so the function works whatever the search_path (dump/restore, index builds)
        op.execute(
            "CREATE OR REPLACE FUNCTION reseau_unaccent(text) RETURNS text "
            "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS "
            f"$$ SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, $1) $$"
        )
        for table in FTS_TABLES:
            op.execute(
                f"CREATE INDEX ix_fts_{table}_search_doc ON {table} "
                "USING gin (to_tsvector('simple'::regconfig, reseau_unaccent(search_doc)))"
            )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for fts in FTS_TABLES.values():
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
    elif bind.dialect.name == "postgresql":
        for table in FTS_TABLES:
            op.execute(f"DROP INDEX IF EXISTS ix_fts_{table}_search_doc")
        op.execute("DROP FUNCTION IF EXISTS reseau_unaccent(text)")
        # the unaccent extension stays: other objects of the database may use it

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_email"))

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_name_key"))
        batch_op.drop_column("name_key")
