"""Database plumbing: the declarative ``Base``, engines, sessions and a UTC datetime type.

One ``Base`` for the core and every plugin, with a naming convention so that constraint names
are stable across SQLite and PostgreSQL (Alembic needs them for batch migrations).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: ``info`` marker for columns holding personal data (GDPR export, erasure, retention).
PERSONAL = {"personal": True}
#: ``info`` marker for a column whose name suggests personal data but that holds none (the name
#: of an organisation, the address of a public facility); the schema test accepts it.
NOT_PERSONAL = {"personal": False}


@dataclass(frozen=True)
class Retention:
    """How long the rows of one table are kept, declared on the table itself.

    ``__table_args__ = {"info": {"retention": [Retention(...)]}}``; the daily purge job
    (``core.privacy``) walks every table and applies each declaration:

    - ``kind``: the name in the settings (``RESEAU_RETENTION=kind=days,…``) and on the privacy
      page, ``<plugin>.<x>`` for a plugin (``club_economie.declined_applications``);
    - ``date_column``: rows whose value is older than ``days`` days (``NULL`` never is);
    - ``where``: only rows whose columns have these values (a list: any of them);
    - ``action``: ``"delete"`` the rows, or ``"anonymise"`` them (blank their personal columns,
      keep the row for the figures).
    """

    kind: str
    label: str
    date_column: str
    days: int
    action: Literal["delete", "anonymise"] = "anonymise"
    where: dict[str, Any] = field(default_factory=dict)


class Base(DeclarativeBase):
    """The declarative base of every table, core and plugins alike."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``; SQLite stores naive UTC text. Python always sees an
    aware UTC datetime, and a naive value is refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _sqlite_setup(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and explicit BEGIN so writers can ask for IMMEDIATE.

    pysqlite's own transaction handling is switched off (the documented SQLAlchemy recipe) so
    that a request which will write takes the write lock up front (``BEGIN IMMEDIATE``) and
    never fails half-way with "database is locked" when upgrading a read lock.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10, echo: bool = False) -> Engine:
    """Create the engine for ``url`` with the settings each backend needs."""
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, echo=echo, **kwargs)
        _sqlite_setup(engine)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory; sessions do not expire objects on commit (pages render after it)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def writer_bind(engine: Engine) -> Engine:
    """The same engine, flagged so that SQLite transactions start with ``BEGIN IMMEDIATE``."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_immediate=True)
    return engine


@contextmanager
def transaction(factory: sessionmaker[Session], *, write: bool = True) -> Iterator[Session]:
    """One unit of work: commit when the block ends normally, roll back on any error."""
    engine = factory.kw["bind"]
    with factory(bind=writer_bind(engine) if write else engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)
