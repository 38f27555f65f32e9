"""Bulk reads and writes of the points tables, straight through the database driver.

The ingestion and the epochs move tens of thousands to millions of rows a call; SQLAlchemy's
per-row work (building parameters, then ``Row`` objects) cost more than the database itself
there. These helpers work on the session's own connection, inside its transaction: ``COPY``
on PostgreSQL (psycopg 3's ``cursor.copy``), the driver's ``executemany`` on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.types import TypeEngine


def connection(session: Session) -> tuple[Connection, Any]:
    """The session's SQLAlchemy connection and, under it, the driver's (sqlite3 or psycopg)."""
    conn = session.connection()
    driver = conn.connection.driver_connection
    if driver is None:  # pragma: no cover - only after the connection was invalidated
        raise RuntimeError("the session's database connection is closed")
    return conn, driver


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def among(conn: Connection, column: QueryableAttribute[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(%s)`` with the values as one array
    parameter (ten thousand placeholders cost psycopg more to rewrite than the query to run)."""
    values = list(values)
    if is_postgres(conn):
        return column == any_(bindparam(None, values, type_=ARRAY(column.expression.type)))
    return column.in_(values)


def next_ids(session: Session, table: Table, count: int) -> list[int]:
    """`count` fresh values of the table's ``id`` sequence (PostgreSQL), to COPY rows with
    their ids known beforehand (COPY returns none). Read from the driver's cursor: ten
    thousand through SQLAlchemy's rows took 36 ms."""
    _, driver = connection(session)
    with driver.cursor() as cursor:
        sequence = "nextval(pg_get_serial_sequence(%s, 'id'))"
        cursor.execute(f"SELECT {sequence} FROM generate_series(1, %s)", (table.name, count))
        return [value for (value,) in cursor.fetchall()]


def insert_tuples(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Inserts `rows` (tuples of values in the order of `columns`) in the session's transaction:
    ``COPY`` on PostgreSQL; SQLAlchemy's ``executemany`` elsewhere (so that its types store the
    values as the ORM does). Values: ints, strings, dates, timezone-aware datetimes, or None."""
    if not rows:
        return
    conn, _ = connection(session)
    if not is_postgres(conn):
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    with copy_rows(session, table, columns) as write:
        for row in rows:
            write(row)


@contextmanager
def copy_rows(
    session: Session, table: Table, columns: Sequence[str]
) -> Iterator[Callable[[Sequence[Any]], None]]:
    """A ``COPY`` into `table` (PostgreSQL) open for the block: it yields a function that
    writes one row (its values in the order of `columns`). Rows go to the server as they are
    written (in chunks), so that it stores and indexes them while the caller works on the
    next ones."""
    conn, driver = connection(session)
    types = [_pg_type(table.c[c].type, conn) for c in columns]
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types(types)  # binary: the server parses no text (about 12% less of its time)
        yield copy.write_row  # psycopg's C row formatter (psycopg-binary)


def _pg_type(type_: TypeEngine[Any], conn: Connection) -> str:
    """The PostgreSQL name of a column's type as psycopg's ``set_types`` knows it:
    ``VARCHAR(40)`` -> ``varchar``, ``TIMESTAMP WITH TIME ZONE`` -> ``timestamptz``..."""
    name = type_.compile(dialect=conn.dialect).split("(")[0].strip().lower()
    return _PG_NAMES.get(name, name)


_PG_NAMES = {
    "integer": "int4",
    "bigint": "int8",
    "smallint": "int2",
    "boolean": "bool",
    "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp",
}
