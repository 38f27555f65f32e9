"""``tanhui db upgrade`` and ``tanhui db current`` against an empty database, SQLite and
PostgreSQL: upgrade brings it to the newest migration (every table of the models exists), a
second upgrade changes nothing, current says where it is and exits 1 when it is behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from api.cli import app
from registry.db import alembic_config, make_engine
from registry.models import Base
from registry.runtime import TABLE_MODULES

assert TABLE_MODULES  # every table module imported: Base.metadata knows all the tables
HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return str(request.getfixturevalue("postgres").create_database())


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if "alembic_version" not in inspect(connection).get_table_names():
                return None
            return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one())
    finally:
        engine.dispose()


def test_db_upgrade__migrates_an_empty_database_to_head_once(empty_url: str) -> None:
    runner = CliRunner()
    before = runner.invoke(app, ["db", "current", "--database-url", empty_url])
    assert before.exit_code == 1, before.output
    assert "none" in before.output and "tanhui db upgrade" in before.output

    first = runner.invoke(app, ["db", "upgrade", "--database-url", empty_url])
    assert first.exit_code == 0, first.output
    assert f"migrated from an empty database to {HEAD} (head)" in first.output
    assert revision(empty_url) == HEAD
    assert set(Base.metadata.tables) <= tables(empty_url)

    again = runner.invoke(app, ["db", "upgrade", "--database-url", empty_url])
    assert again.exit_code == 0, again.output
    assert f"already at {HEAD} (head)" in again.output

    now = runner.invoke(app, ["db", "current", "--database-url", empty_url])
    assert now.exit_code == 0, now.output
    assert now.output.strip() == f"{HEAD} (head)"


def test_migrations__build_the_schema_the_models_declare(empty_url: str) -> None:
    """Every column, type, key, index and constraint of the models, as the migrations make them
    (a model changed without its migration, or the reverse, shows here)."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(empty_url)
    try:
        command.upgrade(alembic_config(empty_url, engine), "head")
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
    finally:
        engine.dispose()


def test_db_current__a_database_behind_head_exits_1_and_upgrade_catches_up(empty_url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(empty_url), "0011")
    runner = CliRunner()
    behind = runner.invoke(app, ["db", "current", "--database-url", empty_url])
    assert behind.exit_code == 1, behind.output
    assert f"0011 (behind the newest migration, {HEAD}" in behind.output
    upgraded = runner.invoke(app, ["db", "upgrade", "--database-url", empty_url])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"migrated from 0011 to {HEAD} (head)" in upgraded.output
    assert revision(empty_url) == HEAD


def test_db_upgrade__an_unreachable_database_is_a_message_and_exit_1() -> None:
    result = CliRunner().invoke(
        app, ["db", "upgrade", "--database-url", "postgresql://tanhui:secret@127.0.0.1:1/nowhere"]
    )
    assert result.exit_code == 1
    assert "cannot migrate" in result.output and "secret" not in result.output
    bogus = CliRunner().invoke(app, ["db", "current", "--database-url", "nosuchdb://x"])
    assert bogus.exit_code == 1 and "cannot use database" in bogus.output


def test_db_upgrade__without_url_uses_the_data_directorys_sqlite(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert revision(f"sqlite:///{tmp_path / 'tanhui.db'}") == HEAD


def test_migration_0014__packs_the_leaves_of_existing_epochs_and_unpacks_them_back(empty_url: str) -> None:
    """An epoch's leaves written a row each (before 0014) come out of the upgrade as the packed
    arrays the proofs read, in their positions' order; a downgrade gives the rows back."""
    from alembic import command

    from registry.points import epochs

    engine = make_engine(empty_url)
    try:
        command.upgrade(alembic_config(empty_url, engine), "0013")
        with engine.begin() as c:
            for i in range(1, 5):
                c.execute(
                    text(
                        "INSERT INTO citizens (id, public_id, pseudonym, salt, token_hash, created_at)"
                        " VALUES (:i, :p, :s, '00', :t, CURRENT_TIMESTAMP)"
                    ),
                    {"i": i, "p": f"ctz_{i}", "s": f"0x{i:064x}", "t": f"{i:064x}"},
                )
            for epoch in (1, 2):
                c.execute(
                    text(
                        "INSERT INTO points_epochs (epoch, day, root, leaf_count, total_points, total_grams,"
                        " built_at) VALUES (:e, :d, :r, 3, 0, 0, CURRENT_TIMESTAMP)"
                    ),
                    {"e": epoch, "d": f"2026-01-0{epoch}", "r": "0x" + "00" * 32},
                )
            # positions written out of order: the upgrade must follow the positions
            for epoch, position, citizen, points, grams in [
                (1, 2, 1, 10, 100), (1, 0, 3, 2**62, 7), (1, 1, 2, -5, 0), (2, 0, 4, 1, 1),
            ]:  # fmt: skip
                c.execute(
                    text(
                        "INSERT INTO points_leaves (epoch, position, citizen_id, points, grams)"
                        " VALUES (:e, :p, :c, :pts, :g)"
                    ),
                    {"e": epoch, "p": position, "c": citizen, "pts": points, "g": grams},
                )
        command.upgrade(alembic_config(empty_url, engine), "0014")
        assert "points_leaves" not in tables(empty_url)
        with engine.connect() as c:
            packed = c.execute(
                text(
                    "SELECT epoch, leaf_count, citizen_ids, points, grams FROM points_epoch_leaves"
                    " ORDER BY epoch"
                )
            ).all()
        assert [(e, n, *(epochs.unpack(bytes(b)).tolist() for b in arrays)) for e, n, *arrays in packed] == [
            (1, 3, [3, 2, 1], [2**62, -5, 10], [7, 0, 100]),
            (2, 1, [4], [1], [1]),
        ]
        command.downgrade(alembic_config(empty_url, engine), "0013")
        with engine.connect() as c:
            rows = c.execute(
                text(
                    "SELECT epoch, position, citizen_id, points, grams FROM points_leaves"
                    " ORDER BY epoch, position"
                )
            ).all()
        assert [tuple(r) for r in rows] == [
            (1, 0, 3, 2**62, 7), (1, 1, 2, -5, 0), (1, 2, 1, 10, 100), (2, 0, 4, 1, 1),
        ]  # fmt: skip
    finally:
        engine.dispose()


def test_migration_0015__drops_the_points_tables_row_checks_and_puts_them_back(empty_url: str) -> None:
    from alembic import command

    def foreign_keys(engine: Any) -> set[tuple[str, str, str]]:
        found = inspect(engine)
        return {
            (table, key["constrained_columns"][0], key["referred_table"])
            for table in ("ledger_postings", "points_acts")
            for key in found.get_foreign_keys(table)
        }

    def indexes(engine: Any) -> set[str]:
        return {i["name"] for i in inspect(engine).get_indexes("points_acts")}

    engine = make_engine(empty_url)
    try:
        command.upgrade(alembic_config(empty_url, engine), "0014")
        before = foreign_keys(engine)
        assert before == {
            ("ledger_postings", "citizen_id", "citizens"),
            ("ledger_postings", "act_id", "points_acts"),
            ("points_acts", "citizen_id", "citizens"),
            ("points_acts", "partner_id", "points_partners"),
        }
        assert "ix_points_acts_citizen_id" in indexes(engine)
        command.upgrade(alembic_config(empty_url, engine), "0015")
        assert foreign_keys(engine) == set()
        assert "ix_points_acts_citizen_id" not in indexes(engine)
        assert "ix_points_acts_citizen_scene_day" in indexes(engine)
        # A posting naming a citizen that does not exist (what the keys would have refused): the
        # downgrade says so and changes nothing; without it, the keys come back.
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO ledger_postings (txn, kind, account, citizen_id, points, grams, created_at)"
                    " VALUES ('earn-x', 'earn', 'citizen:999', 999, 1, 0, CURRENT_TIMESTAMP)"
                )
            )
        refusal = "cannot restore fk_ledger_postings_citizen_id_citizens: 1 row"
        with pytest.raises(RuntimeError, match=refusal):
            command.downgrade(alembic_config(empty_url, engine), "0014")
        assert foreign_keys(engine) == set() and revision(empty_url) == "0015"
        with engine.begin() as c:
            c.execute(text("DELETE FROM ledger_postings"))
        command.downgrade(alembic_config(empty_url, engine), "0014")
        assert foreign_keys(engine) == before
        assert "ix_points_acts_citizen_id" in indexes(engine)
    finally:
        engine.dispose()


def test_migration_0016__a_batch_transfers_rows_share_their_log_and_the_downgrade_says_so(
    empty_url: str,
) -> None:
    from alembic import command

    def insert(c: Any, batch_id: int, item: int | None) -> None:
        columns = "batch_id, sender, recipient, amount_kg, tx_hash, block_number, log_index"
        values = f"{batch_id}, '0x{'a' * 40}', '0x{'b' * 40}', '5', '0x{'c' * 64}', 7, 0"
        if item is not None:
            columns, values = columns + ", item", values + f", {item}"
        c.execute(text(f"INSERT INTO transfers ({columns}) VALUES ({values})"))

    engine = make_engine(empty_url)
    try:
        command.upgrade(alembic_config(empty_url, engine), "0015")
        with engine.begin() as c:
            insert(c, 1, None)  # a transfer indexed before: item 0 once upgraded
        command.upgrade(alembic_config(empty_url, engine), "0016")
        with engine.begin() as c:
            assert c.execute(text("SELECT item FROM transfers")).scalar_one() == 0
            insert(c, 2, 1)  # the second batch of the same TransferBatch event
        with pytest.raises(IntegrityError), engine.begin() as c:
            insert(c, 3, 1)  # the same item of the same log twice
        with pytest.raises(RuntimeError, match="1 transfer row"):
            command.downgrade(alembic_config(empty_url, engine), "0015")
        assert revision(empty_url) == "0016"
        with engine.begin() as c:
            c.execute(text("DELETE FROM transfers WHERE item = 1"))
        command.downgrade(alembic_config(empty_url, engine), "0015")
        with pytest.raises(IntegrityError), engine.begin() as c:
            insert(c, 2, None)  # the old key: one row a log
    finally:
        engine.dispose()
