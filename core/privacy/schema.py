"""What the schema says about personal data: found by walking the tables, never listed by hand.

A table takes part in export and erasure as soon as it declares it (plugins included):

- columns holding personal data carry ``info=PERSONAL`` (``core.db``);
- rows about a person link to them by a foreign key to ``contacts.id`` or ``users.id``, or carry
  an ``email`` (or ``*_email``) column;
- a foreign key named ``*_by_id`` or ``author_id``, or listed in the table's
  ``info["actor_columns"]``, is an *actor* reference (who created or recorded the row): the
  row is exported with the person's data but erasure leaves it alone (it points at the
  anonymised account afterwards and is about something else; mentions of the person's name
  or address in its personal columns are still replaced).

Only the tables that exist in the connected database are walked (a disabled plugin's models
may be imported in the process while its tables are absent).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.db import Base, Retention

PERSON_TABLES = ("contacts", "users")
ACTOR_SUFFIXES = ("_by_id",)
ACTOR_NAMES = frozenset({"author_id"})
#: never exported: secrets, not data about the person
SECRET_COLUMNS = frozenset({"password_hash", "token_hash"})


@dataclass(frozen=True)
class PersonLinks:
    """How one table's rows point at a person."""

    table: sa.Table
    #: foreign keys to ``contacts.id``, by column name
    contact_columns: tuple[str, ...]
    #: foreign keys to ``users.id``
    user_columns: tuple[str, ...]
    #: columns holding an email address
    email_columns: tuple[str, ...]
    #: the subset of the above that are actor references (export only)
    actor_columns: frozenset[str]

    @property
    def any(self) -> bool:
        return bool(self.contact_columns or self.user_columns or self.email_columns)


def is_personal(column: sa.Column[object]) -> bool:
    """Whether the column is declared ``info=PERSONAL``."""
    return bool(column.info.get("personal"))


def personal_columns(table: sa.Table) -> list[sa.Column[object]]:
    """The table's columns declared personal."""
    return [c for c in table.columns if is_personal(c)]


def is_email_column(column: sa.Column[object]) -> bool:
    """Whether ``column`` holds an email address: a text column named ``email`` or ``*_email``.

    The type matters: a flag such as ``show_email`` (a boolean) is about an address, not one.
    """
    name = column.name.lower()
    return isinstance(column.type, sa.String) and (name == "email" or name.endswith("_email"))


def _is_actor(table: sa.Table, name: str) -> bool:
    return name.endswith(ACTOR_SUFFIXES) or name in ACTOR_NAMES or name in table.info.get("actor_columns", ())


def links(table: sa.Table) -> PersonLinks:
    """The person links of one table (foreign keys to contacts/users, email columns)."""
    contacts: list[str] = []
    users: list[str] = []
    for column in table.columns:
        for fk in column.foreign_keys:
            target = fk.target_fullname
            if target == "contacts.id" and table.name != "contacts":
                contacts.append(column.name)
            elif target == "users.id" and table.name != "users":
                users.append(column.name)
    emails = [c.name for c in table.columns if is_email_column(c)]
    actors = frozenset(n for n in (*contacts, *users) if _is_actor(table, n))
    return PersonLinks(table, tuple(contacts), tuple(users), tuple(emails), actors)


def existing_tables(db: Session) -> list[sa.Table]:
    """The tables of ``Base.metadata`` present in the connected database, in dependency order."""
    names = set(sa.inspect(db.connection()).get_table_names())
    return [t for t in Base.metadata.sorted_tables if t.name in names]


def walk(db: Session) -> Iterator[PersonLinks]:
    """Every existing table with its person links (tables with neither links nor personal
    columns are skipped)."""
    for table in existing_tables(db):
        found = links(table)
        if found.any or personal_columns(table) or table.name in PERSON_TABLES:
            yield found


def retention_rules(db: Session | None = None) -> list[tuple[sa.Table, Retention]]:
    """Every ``Retention`` declared in the tables' ``info`` (only existing tables given ``db``)."""
    tables = existing_tables(db) if db is not None else list(Base.metadata.sorted_tables)
    return [(t, rule) for t in tables for rule in t.info.get("retention", ())]
