"""the exchange: listings, trades, bands, market settings, trade instructions, statements, block times

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    uint64: sa.types.TypeEngine[Any] = sa.String(length=20) if sqlite else sa.Numeric(20, 0)
    with op.batch_alter_table("registry_meta") as batch:
        batch.add_column(sa.Column("exchange_address", sa.String(length=42), nullable=True))
    op.create_table(
        "block_times",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", name=op.f("pk_block_times")),
    )
    op.create_table(
        "listings",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seller", sa.String(length=42), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("project_type", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("amount_kg", uint64, nullable=False),
        sa.Column("remaining_kg", uint64, nullable=False),
        sa.Column("listed_at", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("cancelled_by", sa.String(length=42), nullable=True),
        sa.Column("closed_tx", sa.String(length=66), nullable=True),
        sa.Column("closed_block", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listings")),
    )
    op.create_index(op.f("ix_listings_seller"), "listings", ["seller"])
    op.create_index(op.f("ix_listings_batch_id"), "listings", ["batch_id"])
    op.create_index(op.f("ix_listings_state"), "listings", ["state"])
    op.create_table(
        "trades",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("trade_ref", sa.String(length=66), nullable=False),
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("project_type", sa.Integer(), nullable=False),
        sa.Column("seller", sa.String(length=42), nullable=False),
        sa.Column("buyer", sa.String(length=42), nullable=False),
        sa.Column("amount_kg", uint64, nullable=False),
        sa.Column("price_fen_per_t", uint64, nullable=False),
        sa.Column("block_trade", sa.Boolean(), nullable=False),
        sa.Column("certificate_id", sa.BigInteger(), nullable=True),
        sa.Column("settled_at", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
        sa.UniqueConstraint("trade_ref", name=op.f("uq_trades_trade_ref")),
    )
    for column in ("listing_id", "batch_id", "seller", "buyer", "day"):
        op.create_index(op.f(f"ix_trades_{column}"), "trades", [column])
    op.create_table(
        "market_bands",
        sa.Column("project_type", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("low", uint64, nullable=False),
        sa.Column("high", uint64, nullable=False),
        sa.Column("block_low", uint64, nullable=False),
        sa.Column("block_high", uint64, nullable=False),
        sa.Column("block_min_kg", uint64, nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_type", "day", name=op.f("pk_market_bands")),
    )
    op.create_table(
        "market_settings",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=66), nullable=False),
        sa.Column("value", uint64, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_market_settings")),
    )
    op.create_table(
        "trade_instructions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("trade_ref", sa.String(length=66), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("amount_kg", uint64, nullable=False),
        sa.Column("price_fen_per_t", uint64, nullable=False),
        sa.Column("buyer_fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("seller_fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("retirement", sa.JSON(), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["participants.id"], name=op.f("fk_trade_instructions_buyer_id_participants")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["participants.id"], name=op.f("fk_trade_instructions_requested_by_participants")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["chain_operations.id"],
            name=op.f("fk_trade_instructions_operation_id_chain_operations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_instructions")),
        sa.UniqueConstraint("reference", name=op.f("uq_trade_instructions_reference")),
        sa.UniqueConstraint("trade_ref", name=op.f("uq_trade_instructions_trade_ref")),
    )
    op.create_index(op.f("ix_trade_instructions_listing_id"), "trade_instructions", ["listing_id"])
    op.create_table(
        "exchange_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=False),
        sa.Column("statement", sa.JSON(), nullable=False),
        sa.Column("differences", sa.JSON(), nullable=False),
        sa.Column("indexed_block", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["participants.id"], name=op.f("fk_exchange_statements_submitted_by_participants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_statements")),
    )


def downgrade() -> None:
    op.drop_table("exchange_statements")
    op.drop_index(op.f("ix_trade_instructions_listing_id"), table_name="trade_instructions")
    op.drop_table("trade_instructions")
    op.drop_table("market_settings")
    op.drop_table("market_bands")
    for column in ("listing_id", "batch_id", "seller", "buyer", "day"):
        op.drop_index(op.f(f"ix_trades_{column}"), table_name="trades")
    op.drop_table("trades")
    for column in ("seller", "batch_id", "state"):
        op.drop_index(op.f(f"ix_listings_{column}"), table_name="listings")
    op.drop_table("listings")
    op.drop_table("block_times")
    with op.batch_alter_table("registry_meta") as batch:
        batch.drop_column("exchange_address")
