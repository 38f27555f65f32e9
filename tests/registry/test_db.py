"""The database's reading transactions: they neither wait for nor hold up a writer, and cannot
write."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from registry.db import Database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path) -> Database:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    else:
        url = str(request.getfixturevalue("postgres").create_database())
    database = Database(url)
    with database.transaction() as session:
        session.execute(text("CREATE TABLE t (v INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (1)"))
    yield database
    database.dispose()


def test_reading__sees_the_committed_state_while_a_writer_holds_its_transaction(db: Database) -> None:
    writing, release = threading.Event(), threading.Event()

    def writer() -> None:
        with db.transaction() as session:
            session.execute(text("UPDATE t SET v = 2"))
            writing.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writing.wait(10)
        started = time.monotonic()
        with db.reading() as session:
            value = session.execute(text("SELECT v FROM t")).scalar_one()
        # A BEGIN IMMEDIATE here would wait for the writer (up to the 60 s busy timeout).
        assert time.monotonic() - started < 2
        assert value == 1  # the writer has not committed
    finally:
        release.set()
        thread.join()
    with db.reading() as session:
        assert session.execute(text("SELECT v FROM t")).scalar_one() == 2


def test_reading__refuses_a_write(db: Database) -> None:
    with pytest.raises(DBAPIError), db.reading() as session:
        session.execute(text("UPDATE t SET v = 3"))
        session.flush()
    with db.transaction() as session:
        assert session.execute(text("SELECT v FROM t")).scalar_one() == 1


def test_reading_and_writing_in_turn__switch_no_connection_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Readers of a SQLite file have connections of their own, read-only from the start:
    switching a pooled connection between reading and writing (PRAGMA query_only) made every
    command pay for two more statements and cost a registry operation several milliseconds."""
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    statements: list[str] = []
    try:
        with db.transaction() as session:
            session.execute(text("CREATE TABLE t (v INTEGER)"))
        for engine in (db.engine, db._read_engine):
            assert engine is not None
            event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        for _ in range(3):
            with db.transaction() as session:
                session.execute(text("INSERT INTO t VALUES (1)"))
            with db.reading() as session:
                assert session.execute(text("SELECT count(*) FROM t")).scalar_one() >= 1
        assert not [s for s in statements if s.upper().startswith("PRAGMA")]
        assert statements.count("BEGIN IMMEDIATE") == 3 and statements.count("BEGIN") == 3
    finally:
        db.dispose()


def test_an_in_memory_database__reads_and_writes_on_its_one_engine() -> None:
    db = Database("sqlite://")
    try:
        with db.transaction() as session:
            session.execute(text("CREATE TABLE t (v INTEGER)"))
            session.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(DBAPIError), db.reading() as session:
            session.execute(text("UPDATE t SET v = 3"))
        with db.reading() as session:
            assert session.execute(text("SELECT v FROM t")).scalar_one() == 1
        with db.transaction() as session:  # the connection writes again after a read
            session.execute(text("UPDATE t SET v = 2"))
        with db.reading() as session:
            assert session.execute(text("SELECT v FROM t")).scalar_one() == 2
    finally:
        db.dispose()


@pytest.mark.postgres
def test_postgres__plans_each_execution_for_its_parameters_never_once_for_all(
    request: pytest.FixtureRequest,
) -> None:
    """psycopg prepares a statement on the server from its fifth execution, and PostgreSQL then
    may plan it once for all parameters from the statistics of that moment, and keep that plan
    for the connection's life: a spend's pending sum, planned while a new registry's tables
    were nearly empty, scanned every chain operation once per credit request of its holder (a
    transfer took 23 ms after 100 transfers on a new database, 59 ms after 400)."""
    db = Database(str(request.getfixturevalue("postgres").create_database()))
    try:
        with db.transaction() as session:
            session.execute(text("CREATE TABLE k (id INTEGER PRIMARY KEY, v INTEGER)"))
            session.execute(text("INSERT INTO k SELECT i, i FROM generate_series(1, 100) AS i"))
        with db.transaction() as session:
            lookup = text("SELECT v FROM k WHERE id = :id")
            assert [session.execute(lookup, {"id": i}).scalar_one() for i in range(1, 31)] == list(
                range(1, 31)
            )
            raw = session.connection().connection.driver_connection
            prepared, generic = raw.execute(
                "SELECT count(*), coalesce(sum(generic_plans), 0) FROM pg_prepared_statements"
                " WHERE statement LIKE 'SELECT v FROM k%'"
            ).fetchone()
        assert (prepared, generic) == (1, 0)
    finally:
        db.dispose()
