"""The database: engine, sessions and the unit of work.

SQLite is the embedded default, PostgreSQL the production database. Services take a
``Session`` and never commit; the caller owns the transaction::

    with db.transaction() as session:
        ...

On SQLite every transaction starts with ``BEGIN IMMEDIATE``, so two writers never interleave
(the nonce counters and idempotency records rely on it), and the writers of one process queue
behind an in-process lock first (see :meth:`Database.transaction`); on PostgreSQL the rows that
must not be taken twice are locked with ``SELECT ... FOR UPDATE``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, Select, bindparam, create_engine, event, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapper, Session, sessionmaker
from sqlalchemy.orm.base import instance_state

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def is_memory_sqlite(url: str) -> bool:
    """An in-memory SQLite database: it lives in one engine's connections only."""
    if not url.startswith("sqlite"):
        return False
    return url.rstrip("/").endswith(("sqlite:", ":memory:")) or "mode=memory" in url


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """An engine for `url`. On SQLite, `read_only` makes an engine whose every connection is
    ``PRAGMA query_only`` and whose transactions begin without the write lock (``BEGIN``): the
    readers of a file database (:meth:`Database.reading`)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            if read_only:
                cursor.execute("PRAGMA query_only=1")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            if read_only:
                # Under WAL a reader needs no lock: it reads one consistent snapshot while a
                # writer commits.
                conn.exec_driver_sql("BEGIN")
                return
            # An in-memory database has one engine, for its writers and its readers alike: a
            # reading transaction is marked by an execution option, its connection query_only.
            reading = bool(conn.get_execution_options().get("tanhui_read_only", False))
            if conn.info.get("query_only", False) != reading:  # kept per pooled connection
                conn.exec_driver_sql(f"PRAGMA query_only={int(reading)}")
                conn.info["query_only"] = reading
            conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, **kwargs)

    @event.listens_for(engine, "connect")
    def _postgres_connect(dbapi_connection: Any, _record: Any) -> None:
        # psycopg prepares a statement on the server from its fifth execution on a connection,
        # and PostgreSQL then may plan it once for all parameters (a generic plan), from the
        # statistics of that moment. A plan chosen while the tables were small (a new
        # registry, before autovacuum's first ANALYZE) was kept for the connection's life: a
        # spend's pending sum scanned every chain operation once per credit request of the
        # holder (20 ms after 300 transfers, 74 ms after 600). Planned for each execution's
        # parameters instead (tens of microseconds for these statements).
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_connection.commit()

    return engine


def loaded(session: Session, model: type[T], ident: Any) -> T | None:
    """``session.get(model, ident)`` (a row by its primary key, None if there is none), cheaper:
    from the session's identity map when it holds the row (and has not expired it), else with a
    statement built once per model. ``Session.get`` builds its statement anew on every call,
    even when it needs none, which cost more than the lookup itself on the hot paths (the
    commands, the relay and the indexer make a dozen a registry operation)."""
    found = session.identity_map.get((model, (ident,), None))
    if found is not None and not instance_state(found).expired:
        return found
    statement = _BY_KEY.get(model)
    if statement is None:
        mapper: Mapper[T] | None = sa_inspect(model)
        keys = mapper.primary_key if mapper is not None else ()
        if len(keys) != 1:
            return session.get(model, ident)
        statement = _BY_KEY[model] = select(model).where(keys[0] == bindparam("ident"))
    found = session.execute(statement, {"ident": ident}).scalar_one_or_none()
    return found


#: The statement of `loaded`, by model.
_BY_KEY: dict[type[Any], Select[Any]] = {}


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._writer: AbstractContextManager[object] = (
            threading.RLock() if url.startswith("sqlite") else nullcontext()
        )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Readers of a SQLite file have an engine of their own, its connections read-only once
        # and for all (switching a pooled connection between reading and writing cost two
        # statements per switch); an in-memory database has only the one engine.
        self._read_engine: Engine | None = None
        if url.startswith("sqlite") and not is_memory_sqlite(url):
            self._read_engine = make_engine(url, read_only=True)
            readers: Engine = self._read_engine
        else:
            readers = self.engine.execution_options(tanhui_read_only=True)
        self._readers = sessionmaker(readers, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on error.

        On SQLite the transactions of this process queue behind one lock before ``BEGIN
        IMMEDIATE``: SQLite's own busy handler makes a waiting writer sleep (1, 2, 5, 10 … 100
        ms), so under concurrent writers most of the time went to sleeping; the lock hands the
        database over at once. (Another process's writers still wait in the busy handler.) The
        lock is re-entrant, as a nested transaction of the same thread already waited on SQLite."""
        with self._writer, self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session inside one transaction that only reads: on SQLite it does not take the
        write lock (so it neither waits for writers nor holds them up) and sees one snapshot;
        a write in it fails. On PostgreSQL it is a READ ONLY transaction."""
        with self._readers() as session, session.begin():
            if not self.url.startswith("sqlite"):
                session.execute(text("SET TRANSACTION READ ONLY"))
            yield session

    def migrate(self) -> None:
        """Brings the schema to the newest migration (Alembic)."""
        from alembic import command

        command.upgrade(alembic_config(self.url, self.engine), "head")

    def dispose(self) -> None:
        self.engine.dispose()
        if self._read_engine is not None:
            self._read_engine.dispose()


def alembic_config(url: str, engine: Engine | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config
