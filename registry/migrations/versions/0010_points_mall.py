"""the merchant alliance's mall: merchants, items, vouchers

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mall_merchants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_mall_merchants_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["participants.id"], name=op.f("fk_mall_merchants_approved_by_participants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mall_merchants")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_mall_merchants_participant_id")),
    )
    op.create_table(
        "mall_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("points_price", sa.BigInteger(), nullable=False),
        sa.Column("stock", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["mall_merchants.id"], name=op.f("fk_mall_items_merchant_id_mall_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mall_items")),
    )
    op.create_index(op.f("ix_mall_items_merchant_id"), "mall_items", ["merchant_id"], unique=False)
    op.create_table(
        "mall_vouchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeem_txn", sa.String(length=40), nullable=False),
        sa.Column("close_txn", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_mall_vouchers_citizen_id_citizens")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["mall_items.id"], name=op.f("fk_mall_vouchers_item_id_mall_items")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["mall_merchants.id"], name=op.f("fk_mall_vouchers_merchant_id_mall_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mall_vouchers")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_mall_vouchers_code_hash")),
    )
    for column in ("citizen_id", "item_id", "merchant_id", "status", "expires_at"):
        op.create_index(op.f(f"ix_mall_vouchers_{column}"), "mall_vouchers", [column], unique=False)


def downgrade() -> None:
    for column in ("citizen_id", "item_id", "merchant_id", "status", "expires_at"):
        op.drop_index(op.f(f"ix_mall_vouchers_{column}"), table_name="mall_vouchers")
    op.drop_table("mall_vouchers")
    op.drop_index(op.f("ix_mall_items_merchant_id"), table_name="mall_items")
    op.drop_table("mall_items")
    op.drop_table("mall_merchants")
