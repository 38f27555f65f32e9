"""uint64 amounts in columns that hold every uint64; anomalies of the chain; block hashes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The columns the chain holds as uint64.
UINT64_COLUMNS = {
    "batches": ("period_start", "period_end", "issued_kg", "retired_kg", "invalidated_kg"),
    "holdings": ("amount_kg",),
    "transfers": ("amount_kg",),
    "retirements": ("amount_kg", "serial_first", "serial_last"),
    "invalidations": ("amount_kg",),
}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in UINT64_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.BigInteger(),
                    type_=sa.String(length=20) if sqlite else sa.Numeric(20, 0),
                    existing_nullable=False,
                    postgresql_using=f"{column}::numeric(20, 0)",
                )
        if sqlite:  # 20 zero-padded digits: text order is numeric order
            sets = ", ".join(f"{c} = printf('%020d', {c})" for c in columns)
            op.execute(f"UPDATE {table} SET {sets}")
    with op.batch_alter_table("registry_meta", schema=None) as batch_op:
        batch_op.add_column(sa.Column("indexed_block_hash", sa.String(length=66), nullable=True))
    with op.batch_alter_table("chain_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("block_hash", sa.String(length=66), nullable=True))
    op.create_table(
        "chain_anomalies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("event", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_anomalies")),
    )
    op.create_index(op.f("ix_chain_anomalies_block_number"), "chain_anomalies", ["block_number"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_chain_anomalies_block_number"), table_name="chain_anomalies")
    op.drop_table("chain_anomalies")
    with op.batch_alter_table("chain_events", schema=None) as batch_op:
        batch_op.drop_column("block_hash")
    with op.batch_alter_table("registry_meta", schema=None) as batch_op:
        batch_op.drop_column("indexed_block_hash")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in UINT64_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.String(length=20) if sqlite else sa.Numeric(20, 0),
                    type_=sa.BigInteger(),
                    existing_nullable=False,
                    postgresql_using=f"{column}::bigint",
                )
