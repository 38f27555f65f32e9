"""``tanhui db upgrade`` and ``tanhui db current``: the database schema's Alembic migrations
(registry/migrations), run against PostgreSQL in production or the SQLite file of the data
directory. The service migrates at start too; ``db upgrade`` lets an operator do it first, as a
step of a deployment, and see what it did."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import make_url

from api.cli._common import DatabaseUrl, DataDir, fail, new_typer, say, settings_from
from registry.db import Database, alembic_config

db_app = new_typer(help="The database schema: Alembic migrations.")


def _revisions(database: Database) -> tuple[str | None, str | None]:
    """(the database's current revision, the newest migration's); None: no revision."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(database.url)).get_current_head()
    with database.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head


def _open(data_dir: Any, database_url: str | None) -> Database:
    settings = settings_from(data_dir=data_dir, database_url=database_url)
    url = settings.resolved_database_url()
    try:
        return Database(url)
    except Exception as e:  # a malformed URL, a missing driver
        fail(f"cannot use database {_shown(url)}: {str(e).replace(url, _shown(url))}")


def _shown(url: str) -> str:
    """The URL without its password, for messages (deploy logs keep them)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even parseable: say nothing of it
        return "(a database URL that does not parse)"


def _describe(current: str | None, head: str | None) -> str:
    if current is None:
        return "none (an empty database: run `tanhui db upgrade`)"
    if current == head:
        return f"{current} (head)"
    return f"{current} (behind the newest migration, {head}: run `tanhui db upgrade`)"


@db_app.command("upgrade")
def upgrade(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Migrate the database to the newest schema (Alembic "head"); a database already there is
    left as it is. Prints the revision before and after."""
    database = _open(data_dir, database_url)
    try:
        before, _ = _revisions(database)
        database.migrate()
        after, head = _revisions(database)
    except Exception as e:
        fail(f"cannot migrate {database.engine.url.render_as_string(hide_password=True)}: {e}")
    finally:
        database.dispose()
    if before == after:
        say(f"already at {_describe(after, head)}")
    else:
        say(f"migrated from {before or 'an empty database'} to {_describe(after, head)}")


@db_app.command("current")
def current(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Print the database's schema revision, and whether it is the newest; exit 1 when it is
    behind (or empty)."""
    database = _open(data_dir, database_url)
    try:
        revision, head = _revisions(database)
    except Exception as e:
        fail(f"cannot read {database.engine.url.render_as_string(hide_password=True)}: {e}")
    finally:
        database.dispose()
    say(_describe(revision, head))
    if revision != head:
        fail("the database is not at the newest schema")
