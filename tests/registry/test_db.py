"""The database's reading transactions: they neither wait for nor hold up a writer, and cannot
write."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
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
